/* Inside the network: for the last prediction, each layer's output maps, and the first
   convolution's learned filters; one enlarged view of whichever map is selected.

   One canvas per layer holds its maps in a grid (a pixel per unit, scaled up by CSS), under
   a grid of buttons, one per map, that pointing, tapping and the keyboard reach. One canvas
   a layer, not one a map: Chromium commits every canvas on the page to the compositor each
   frame, whether it changed or not. Each grid is one tab stop; the arrow keys, Home and End
   move inside it (a roving tabindex).

   The maps' shapes are pycore's (Classifier.map_shapes, sent by the worker when it is
   ready); what is decided here is only how they are laid out. */

// how each layer is laid out: columns of maps, the gap between them, what a map is called
const LAYOUT = {
  kernels: { columns: 10, gap: 1, title: "First convolution, learned filter", planar: true },
  conv1: { columns: 10, gap: 2, title: "First convolution, feature map" },
  conv2: { columns: 10, gap: 1, title: "Second convolution, feature map" },
  dense1: { columns: 1, gap: 0, title: "Dense layer, all {units} units", square: true },
};
const ACTIVATIONS = ["conv1", "conv2", "dense1"];

/* A layer's maps from its shape: channels-last [height, width, channels] maps, planar
   [count, height, width] filters, or [units] shown as one square map. */
export function mapGeometry(layer, shape) {
  const { columns, gap, planar, square } = LAYOUT[layer];
  let side;
  let count;
  if (square) {
    side = Math.ceil(Math.sqrt(shape[0]));
    count = 1;
  } else if (planar) {
    [count, side] = shape;
  } else {
    [side, , count] = shape;
  }
  return { side, count, columns: Math.min(columns, count), gap };
}

export class Inside {
  constructor(section) {
    this.section = section;
    this.zoom = section.querySelector("#zoom");
    this.zoomContext = this.zoom.getContext("2d");
    this.caption = section.querySelector("#zoom-caption");
    this.sheets = {};           // layer -> {canvas, context, image, buttons, geometry, title}
    this.shown = new Map();     // button -> {layer, index, max} (max null: nothing drawn yet)
    this.selected = null;       // the button whose map is enlarged
    this.updates = 0;
  }

  /* Build the grids for shapes {layer: shape} (Classifier.map_shapes). */
  layout(shapes) {
    for (const layer of Object.keys(LAYOUT)) {
      if (!shapes[layer]) continue;
      this.makeSheet(layer, shapes[layer]);
      this.blank(layer);
    }
    this.clear();
  }

  makeSheet(layer, shape) {
    const geometry = mapGeometry(layer, shape);
    const { side, count, columns, gap } = geometry;
    const units = shape.reduce((a, b) => a * b, 1);
    const title = LAYOUT[layer].title.replace("{units}", String(units));
    const box = this.section.querySelector(`[data-layer="${layer}"]`);
    box.textContent = "";
    const rows = Math.ceil(count / columns);
    const canvas = document.createElement("canvas");
    canvas.width = columns * (side + gap);
    canvas.height = rows * (side + gap);
    canvas.className = "sheet";
    canvas.setAttribute("aria-hidden", "true");     // the buttons carry the names
    Object.assign(box.dataset, { side: String(side), cell: String(side + gap), columns: String(columns) });
    box.style.setProperty("--columns", String(columns));
    box.style.setProperty("--rows", String(rows));
    box.style.setProperty("--gap-share", String(gap / (side + gap)));
    box.style.aspectRatio = `${canvas.width} / ${canvas.height}`;
    box.setAttribute("role", "group");
    box.appendChild(canvas);
    const buttons = [];
    for (let index = 0; index < count; index++) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "map";
      button.tabIndex = index === 0 ? 0 : -1;
      button.dataset.index = String(index);
      button.setAttribute("aria-label", count > 1 ? `${title} ${index + 1} of ${count}` : title);
      button.addEventListener("pointerenter", () => this.select(button));
      button.addEventListener("click", () => this.select(button));
      button.addEventListener("focus", () => {
        for (const other of buttons) other.tabIndex = other === button ? 0 : -1;
        this.select(button);
      });
      box.appendChild(button);
      this.shown.set(button, { layer, index, max: null });
      buttons.push(button);
    }
    if (count > 1) {
      box.setAttribute("aria-label", `${title}s: ${count}; the arrow keys move between them`);
      box.addEventListener("keydown", (event) => {
        const at = buttons.indexOf(document.activeElement);
        const to = at < 0 ? -1 : arrowTarget(event.key, at, count, columns);
        if (to < 0) return;
        event.preventDefault();
        buttons[to].focus();
      });
    }
    this.sheets[layer] = { canvas, context: canvas.getContext("2d"),
      image: new ImageData(canvas.width, canvas.height), buttons, geometry, title };
    const heading = this.section.querySelector(`[data-heading="${layer}"]`);
    if (heading) heading.textContent = headingText(layer, shape, geometry);
  }

  /* Where a map sits on its layer's canvas: cells of side + gap pixels, gaps transparent. */
  origin(layer, index) {
    const { side, columns, gap } = this.sheets[layer].geometry;
    return [(index % columns) * (side + gap), Math.floor(index / columns) * (side + gap)];
  }

  /* Every map of a layer black: nothing to show yet. */
  blank(layer) {
    const { canvas, context, buttons, geometry } = this.sheets[layer];
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#000";
    buttons.forEach((button, index) => {
      context.fillRect(...this.origin(layer, index), geometry.side, geometry.side);
      delete button.dataset.max;
      this.shown.get(button).max = null;
    });
  }

  /* values: channels-last (side*side*count) or planar (count*side*side); each map's pixels
     get grey = 255 * scale(value). All maps of a layer go to its canvas at once. */
  paintMaps(layer, values, scale) {
    const { canvas, context, image, buttons, geometry } = this.sheets[layer];
    const { side, count } = geometry;
    const planar = Boolean(LAYOUT[layer].planar);
    const area = side * side;
    buttons.forEach((button, channel) => {
      const [x0, y0] = this.origin(layer, channel);
      let max = -Infinity;
      for (let i = 0; i < area; i++) {
        const v = planar ? values[channel * area + i] : values[i * count + channel];
        if (v > max) max = v;
        const grey = Math.round(255 * Math.min(1, Math.max(0, scale(v))));
        const at = 4 * ((y0 + Math.floor(i / side)) * canvas.width + x0 + (i % side));
        image.data[at] = image.data[at + 1] = image.data[at + 2] = grey;
        image.data[at + 3] = 255;
      }
      button.dataset.max = max.toFixed(5);
      this.shown.get(button).max = max;
    });
    context.putImageData(image, 0, 0);
  }

  /* activations: {conv1, conv2, dense1} as Float32Arrays, channels last. */
  show(activations) {
    for (const layer of ACTIVATIONS) {
      if (!this.sheets[layer]) continue;
      const top = largest(activations[layer]);
      this.paintMaps(layer, activations[layer], (v) => v / top);
    }
    this.updates += 1;
    this.section.dataset.updates = String(this.updates);
    this.section.dataset.shown = "true";
    if (this.selected) this.select(this.selected);
  }

  clear() {
    for (const layer of ACTIVATIONS) if (this.sheets[layer]) this.blank(layer);
    this.section.dataset.shown = "false";
    if (this.selected && this.shown.get(this.selected).layer !== "kernels") this.select(this.selected);
  }

  /* The first convolution's weights, planar: grey 0.5 is zero. */
  showKernels(kernels) {
    if (!this.sheets.kernels) return;
    let extent = 0;
    for (const w of kernels) extent = Math.max(extent, Math.abs(w));
    this.paintMaps("kernels", kernels, (w) => 0.5 + (0.5 * w) / (extent || 1));
  }

  select(button) {
    const { layer, index, max } = this.shown.get(button);
    const { geometry, title, canvas } = this.sheets[layer];
    const { side, count } = geometry;
    if (this.selected !== button) {
      this.selected?.classList.remove("selected");
      button.classList.add("selected");
      this.selected = button;
    }
    if (this.zoom.width !== side) this.zoom.width = this.zoom.height = side;   // the map covers it all
    this.zoom.dataset.layer = layer;
    this.zoom.dataset.index = String(index);
    this.zoomContext.drawImage(canvas, ...this.origin(layer, index), side, side, 0, 0, side, side);
    const name = count > 1 ? `${title} ${index + 1} of ${count}` : title;
    this.caption.textContent = layer === "kernels" ? `${name} (${side}×${side} weights).`
      : max !== null ? `${name}: strongest response ${max.toFixed(2)}.` : `${name}: draw a digit to see it.`;
  }
}

/* The index the key moves to in a grid of count maps, columns wide, or -1. */
export function arrowTarget(key, at, count, columns) {
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + columns, ArrowUp: at - columns,
    Home: 0, End: count - 1 }[key];
  return to === undefined || to < 0 || to >= count ? -1 : to;
}

function headingText(layer, shape, { side, count }) {
  if (layer === "kernels") return `The ${count} learned ${side}×${side} filters of the first convolution`;
  if (layer === "dense1") return `Dense layer: ${shape[0]} units, in a ${side}×${side} grid`;
  const which = layer === "conv1" ? "First" : "Second";
  return `${which} convolution: ${count} feature maps, ${side}×${shape[1]}`;
}

function largest(values) {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max || 1;
}
