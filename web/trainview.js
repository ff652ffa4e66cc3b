/* Train it yourself: the parts that decide without the DOM (tests/js/train.test.js). Reading
   a setting as typed, saying the settings in use, the curves' points (thinned, so a long run
   stays cheap to draw), and the pixels of the filters and of the scoring digits. Every number
   shown is pycore's; nothing here computes the network's figures. */

const SIDE = 28;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/* What the form sends for a typed value: the number, or the text as typed (pycore refuses it
   and says why: "the learning rate must be a number, got 'abc'"). */
export function settingValue(text) {
  const trimmed = String(text).trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
}

/* "learning rate 0.01, batch size 64, momentum 0.9": settings in table's order and words. */
export function describeSettings(settings, table) {
  return Object.entries(table).filter(([name]) => name in settings)
    .map(([name, { label }]) => `${label} ${settings[name]}`).join(", ");
}

/* 12,345 */
export function count(n) {
  return Math.round(n).toLocaleString("en-GB");
}

/* An axis label for a count of images: 800, 12k, 1.5M. */
export function thousands(n) {
  if (Math.abs(n) >= 1e6) return `${Number((n / 1e6).toFixed(2))}M`;
  if (Math.abs(n) >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(n);
}

/* Points [[x, y]] of a curve, at most `limit`: past it, neighbours are merged in pairs (their
   means), so the early part of a long run gets coarser and the whole stays drawable. */
export class Series {
  constructor(limit = 200) {
    this.limit = limit;
    this.points = [];
  }

  add(x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.points.push([x, y]);
    if (this.points.length <= this.limit) return;
    const merged = [];
    for (let i = 0; i + 1 < this.points.length; i += 2) {
      const [[x0, y0], [x1, y1]] = [this.points[i], this.points[i + 1]];
      merged.push([(x0 + x1) / 2, (y0 + y1) / 2]);
    }
    if (this.points.length % 2) merged.push(this.points[this.points.length - 1]);
    this.points = merged;
  }

  clear() {
    this.points = [];
  }
}

/* RGBA pixels of `count` square maps of `side` pixels in a grid `columns` wide with `gap`
   transparent pixels after each; paint(index, i) gives map index's pixel i as [r, g, b]. */
function grid(count, side, columns, gap, paint) {
  const rows = Math.ceil(count / columns);
  const width = Math.min(count, columns) * (side + gap);
  const height = rows * (side + gap);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let index = 0; index < count; index++) {
    const x0 = (index % columns) * (side + gap);
    const y0 = Math.floor(index / columns) * (side + gap);
    for (let i = 0; i < side * side; i++) {
      const at = 4 * ((y0 + Math.floor(i / side)) * width + x0 + (i % side));
      data.set(paint(index, i), at);
      data[at + 3] = 255;
    }
  }
  return { width, height, data };
}

/* The first layer's filters, planar (count * side * side), as the Inside section shows the
   shipped ones: grey 0.5 is zero, one scale for all (the largest weight's size). */
export function filterPixels(values, { count = 20, side = 5, columns = 10, gap = 1 } = {}) {
  let extent = 0;
  for (const w of values) extent = Math.max(extent, Math.abs(w));
  return grid(count, side, columns, gap, (index, i) => {
    const grey = Math.round(255 * (0.5 + (0.5 * values[index * side * side + i]) / (extent || 1)));
    return [grey, grey, grey];
  });
}

// ink and background of a digit read right, read wrong, not scored yet; what the page calls them
export const DIGIT_COLOURS = {
  right: { ink: [150, 235, 160], paper: [0, 0, 0], name: "green on black" },
  wrong: { ink: [255, 120, 100], paper: [110, 0, 0], name: "red on dark red" },
  unknown: { ink: [255, 255, 255], paper: [0, 0, 0], name: "white on black" },
};

/* The scoring digits (Uint8Array, 28×28 each, 0-255) in a grid, each coloured by right[i]
   (1 read right, 0 wrong; no right: not scored yet). */
export function digitPixels(digits, right, { count = digits.length / (SIDE * SIDE), columns = 10, gap = 2 } = {}) {
  return grid(count, SIDE, columns, gap, (index, i) => {
    const { ink, paper } = DIGIT_COLOURS[!right ? "unknown" : right[index] ? "right" : "wrong"];
    const v = digits[index * SIDE * SIDE + i] / 255;
    return [0, 1, 2].map((c) => Math.round(paper[c] + (ink[c] - paper[c]) * v));
  });
}
