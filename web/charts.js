/* Line charts drawn as SVG, and the scales under them. niceTicks and linearScale are pure
   (tests/js/charts.test.js); lineChart builds the SVG. */

const SVG = "http://www.w3.org/2000/svg";

/* Round ticks covering [lo, hi]: about `count` steps of 1, 2 or 5 times a power of ten.
   Returns {lo, hi, step, ticks, decimals}: the axis runs from the first tick to the last, so
   no point lies past the last label, and each tick needs `decimals` digits after the point. */
export function niceTicks(lo, hi, count = 4) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new Error(`no ticks for [${lo}, ${hi}]`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12) {            // one value: a band around it
    const pad = Math.abs(lo) > 1e-12 ? 0.05 * Math.abs(lo) : 1;
    lo -= pad;
    hi += pad;
  }
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= rough * (1 - 1e-9));
  const step = mantissa * power;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], step, ticks, decimals };
}

/* The affine map taking [d0, d1] to [r0, r1] (the middle of the range when d0 === d1). */
export function linearScale(d0, d1, r0, r1) {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

function svgElement(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/* A line chart per epoch in figure: series [{name, key, points: [[epoch, value]]}];
   format(value, decimals) writes an axis label (decimals: what the ticks' step needs) or,
   with no decimals, a point's own value. Each point is a circle carrying data-series,
   data-epoch and data-value (the metrics file's number). Another x than the epoch: xLabel
   names it, xFormat(x) writes its ticks (its integer ticks only, as the epoch's). */
export function lineChart(figure, { title, series, format, xLabel = "epoch", xFormat = String }) {
  const W = 420;
  const H = 220;
  const left = 52;
  const right = 12;
  const top = 14;
  const bottom = 36;
  const all = series.flatMap((s) => s.points);
  figure.textContent = "";
  if (!all.length) {
    figure.hidden = true;
    return;
  }
  figure.hidden = false;
  const epochs = all.map(([e]) => e);
  const values = all.map(([, v]) => v);
  const yAxis = niceTicks(Math.min(...values), Math.max(...values), 4);
  const xAxis = niceTicks(Math.min(...epochs), Math.max(...epochs), 6);
  const epochTicks = xAxis.ticks.filter((e) => Number.isInteger(e));
  const x = linearScale(xAxis.lo, xAxis.hi, left, W - right);
  const y = linearScale(yAxis.lo, yAxis.hi, H - bottom, top);
  const id = `${figure.id}-title`;
  const svg = svgElement("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id, class: "chart-svg" });
  svg.appendChild(svgElement("title", { id }, title));
  const axes = svgElement("g", { class: "axes" });
  axes.appendChild(svgElement("line", { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }));
  axes.appendChild(svgElement("line", { x1: left, y1: top, x2: left, y2: H - bottom }));
  for (const v of yAxis.ticks) {
    axes.appendChild(svgElement("line", { x1: left - 4, y1: y(v), x2: W - right, y2: y(v), class: "grid" }));
    axes.appendChild(svgElement("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick-y" },
      format(v, yAxis.decimals)));
  }
  for (const e of epochTicks) {
    axes.appendChild(svgElement("text", { x: x(e), y: H - bottom + 16, "text-anchor": "middle", class: "tick-x" },
      xFormat(e)));
  }
  axes.appendChild(svgElement("text", { x: (left + W - right) / 2, y: H - 4, "text-anchor": "middle" }, xLabel));
  svg.appendChild(axes);
  series.forEach((s, n) => {
    const group = svgElement("g", { class: `series series-${n}`, "data-series": s.key });
    if (s.points.length > 1) {
      group.appendChild(svgElement("polyline", {
        points: s.points.map(([e, v]) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(" ") }));
    }
    for (const [e, v] of s.points) {
      const dot = svgElement("circle", { cx: x(e).toFixed(1), cy: y(v).toFixed(1), r: 3,
        "data-series": s.key, "data-epoch": e, "data-value": v });
      dot.appendChild(svgElement("title", {}, `${s.name}, ${xLabel} ${xFormat(e)}: ${format(v)}`));
      group.appendChild(dot);
    }
    svg.appendChild(group);
  });
  figure.appendChild(svg);
  const legend = document.createElement("figcaption");
  legend.append(`${title}: `);
  series.forEach((s, n) => {
    const item = Object.assign(document.createElement("span"), { className: `key key-${n}` });
    const last = s.points[s.points.length - 1];
    item.textContent = `${s.name}${last ? ` (last ${format(last[1])})` : ""}`;
    legend.append(item, n < series.length - 1 ? "; " : ".");
  });
  figure.appendChild(legend);
}
