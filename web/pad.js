/* The drawing pad: owns the strokes and the opened picture as data, keeps its own undo
   stack, and paints two canvases from them: the visible box (a white sheet, as sharp as
   the screen) and the network's input (a fixed size, transparent under the strokes, so
   pycore reads the ink from the alpha channel alone). Learnt from signature_pad.

   It dispatches "change" events whose detail.reason says what happened:
     "stroke"      a stroke began or grew (live)
     "stroke-end"  a stroke ended: a prediction must follow
     "undo"        the last stroke or picture was taken back
     "clear"       everything was cleared
     "picture"     a picture was opened (it replaces the strokes; undo brings them back)
     "crop"        the picture was cropped to a part of it (undo brings the whole back)
*/

export const STROKE_WIDTH = 1 / 18;   // of the box side: MNIST-like stroke weight
// The network's input is drawn from the same strokes on a fixed square canvas: the digit
// still spans a hundred pixels or more before pycore area-averages it down to 20, and
// preprocessing costs a fraction of what a screen-sized canvas would.
export const INPUT_SIZE = 200;
const MAX_PIXEL_RATIO = 3;            // the visible box: sharp on high-density screens

export class DrawingPad extends EventTarget {
  constructor(canvas, inputCanvas) {
    super();
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.inputCanvas = inputCanvas;
    inputCanvas.width = inputCanvas.height = INPUT_SIZE;
    this.inputContext = inputCanvas.getContext("2d", { willReadFrequently: true });
    this.strokes = [];          // [{points: [{x, y}]}], x and y as fractions of the box
    this.picture = null;        // {bitmap, crop: {x, y, width, height} of its pixels or null}, under the strokes
    this.undoable = [];         // what undo takes back, last first: "stroke" or {picture, strokes}
    this.activeStroke = null;
    this.activePointer = null;
    this.renderQueued = false;
    for (const [type, handler] of [["pointerdown", this.down], ["pointermove", this.move],
      ["pointerup", this.up], ["pointercancel", this.up], ["lostpointercapture", this.up]]) {
      canvas.addEventListener(type, handler.bind(this));
    }
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  get isEmpty() {
    return this.strokes.length === 0 && this.picture === null;
  }

  get drawing() {               // a stroke is being drawn
    return this.activePointer !== null;
  }

  get canUndo() {
    return this.undoable.length > 0 || this.activeStroke !== null;
  }

  /* The strokes (and the picture) as plain data, for keeping (a taught example's strokes). */
  toData() {
    return {
      strokes: this.strokes.map(({ points }) => ({ points: points.map(({ x, y }) => ({ x, y })) })),
      picture: this.picture,
    };
  }

  /* The input canvas's RGBA pixels (a new buffer, to transfer to the worker). */
  snapshot() {
    if (this.renderQueued) this.render();
    const { width, height } = this.inputCanvas;
    const pixels = this.inputContext.getImageData(0, 0, width, height).data.buffer;
    // an opened picture's digit is told from its surroundings in Python (pycore.pictures)
    return { width, height, pixels, photo: this.picture !== null };
  }

  clear() {
    this.stopStroke();
    this.strokes = [];
    this.undoable = [];
    this.picture = null;
    this.render();
    this.changed("clear");
  }

  /* Another shape of box (number mode's wider one): the input canvas becomes width x height
     pixels (the visible box takes its shape from the page's CSS), and the drawing is cleared,
     not undoably: strokes are fractions of the box, so they would not keep their shape. */
  setInputSize(width, height) {
    this.inputCanvas.width = width;
    this.inputCanvas.height = height;
    this.clear();
  }

  /* Take back the last stroke (or the last opened picture); not while a stroke is drawn. */
  undo() {
    if (this.drawing || !this.undoable.length) return false;
    const last = this.undoable.pop();
    if (last === "stroke") this.strokes.pop();
    else {
      this.picture = last.picture;
      this.strokes = last.strokes;
    }
    this.stopStroke();
    this.render();
    this.changed("undo");
    return true;
  }

  /* Show a decoded picture (an ImageBitmap) under the strokes, which it replaces. */
  openPicture(bitmap) {
    this.showPicture({ bitmap, crop: null }, "picture");
  }

  /* Show only the part crop = {x, y, width, height} (the picture's pixels) of the open
     picture, filling the box; the strokes go with the whole picture (undo brings both back). */
  cropPicture(crop) {
    this.showPicture({ bitmap: this.picture.bitmap, crop }, "crop");
  }

  /* Where the open picture lies in the box (x and width as fractions of its width, y and
     height of its height) and which of its pixels are shown there:
     {placed: {x, y, width, height}, source: {x, y, width, height}}. */
  shownPicture() {
    const source = shownSource(this.picture);
    const { width, height } = this.inputCanvas;
    const placed = placement(source, width, height);
    return { source, placed: { x: placed.x / width, y: placed.y / height,
      width: placed.width / width, height: placed.height / height } };
  }

  showPicture(picture, reason) {
    this.undoable.push({ picture: this.picture, strokes: this.strokes });
    this.picture = picture;
    this.strokes = [];
    this.stopStroke();
    this.render();
    this.changed(reason);
  }

  changed(reason) {
    this.dispatchEvent(new CustomEvent("change", { detail: { reason } }));
  }

  stopStroke() {
    this.activeStroke = null;
    this.activePointer = null;
  }

  pointAt(event) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height };
  }

  down(event) {
    if (this.activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.activePointer = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.activeStroke = { points: [this.pointAt(event)] };
    this.strokes.push(this.activeStroke);
    this.undoable.push("stroke");
    this.queueRender();
    this.changed("stroke");
  }

  move(event) {
    if (event.pointerId !== this.activePointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) this.activeStroke.points.push(this.pointAt(e));
    this.queueRender();
    this.changed("stroke");
  }

  up(event) {
    if (event.pointerId !== this.activePointer) return;
    this.stopStroke();
    this.render();
    this.changed("stroke-end");
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
    const width = Math.max(1, Math.round(rect.width * ratio));
    const height = Math.max(1, Math.round(rect.height * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.render();   // the input canvas has a fixed size: nothing new to predict
    }
  }

  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => this.renderQueued && this.render());
  }

  render() {
    this.renderQueued = false;
    paint(this.context, this.canvas.width, this.canvas.height, this, { sheet: true });
    paint(this.inputContext, this.inputCanvas.width, this.inputCanvas.height, this, { sheet: false });
  }
}

/* Black strokes, smoothed through segment midpoints, over the picture if one is open. */
function paint(ctx, width, height, { strokes, picture }, { sheet }) {
  ctx.clearRect(0, 0, width, height);
  if (sheet) {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
  }
  if (picture) paintPicture(ctx, width, height, picture, sheet);
  ctx.strokeStyle = ctx.fillStyle = "#000000";
  ctx.lineWidth = Math.min(width, height) * STROKE_WIDTH;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const { points } of strokes) {
    const p = points.map(({ x, y }) => [x * width, y * height]);
    ctx.beginPath();
    if (p.length === 1) {
      ctx.arc(p[0][0], p[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.moveTo(p[0][0], p[0][1]);
    for (let i = 1; i < p.length - 1; i++) {
      ctx.quadraticCurveTo(p[i][0], p[i][1], (p[i][0] + p[i + 1][0]) / 2, (p[i][1] + p[i + 1][1]) / 2);
    }
    ctx.lineTo(p[p.length - 1][0], p[p.length - 1][1]);
    ctx.stroke();
  }
}

/* The picture's pixels the box shows: its crop, or all of it. */
function shownSource({ bitmap, crop }) {
  return crop ?? { x: 0, y: 0, width: bitmap.width, height: bitmap.height };
}

/* A source rectangle scaled to fit a width x height canvas, centred, on whole pixels (so
   that an opaque picture and its bands cover every pixel fully). */
function placement(source, width, height) {
  const scale = Math.min(width / source.width, height / source.height);
  const w = Math.max(1, Math.round(source.width * scale));
  const h = Math.max(1, Math.round(source.height * scale));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/* The picture (its crop), centred; the bands beside it continue its edge rows (or columns),
   so the border pycore reads is the picture's own paper, dark or light, and unevenly lit
   paper has no step where the picture ends. Nothing is painted under it: a transparent
   picture stays transparent in the network's input (transparency is background, pycore
   reads its alpha); in the visible box (sheet) a checkerboard shows through, so a white
   digit shows as well as a black one. */
function paintPicture(ctx, width, height, picture, sheet) {
  const { x: sx, y: sy, width: sw, height: sh } = shownSource(picture);
  const { x, y, width: w, height: h } = placement({ width: sw, height: sh }, width, height);
  const bitmap = picture.bitmap;
  if (sheet) paintCheckers(ctx, x, y, w, h);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  if (y > 0) {
    ctx.drawImage(bitmap, sx, sy, sw, 1, x, 0, w, y);
    ctx.drawImage(bitmap, sx, sy + sh - 1, sw, 1, x, y + h, w, height - y - h);
  }
  if (x > 0) {
    ctx.drawImage(bitmap, sx, sy, 1, sh, 0, y, x, h);
    ctx.drawImage(bitmap, sx + sw - 1, sy, 1, sh, x + w, y, width - x - w, h);
  }
  ctx.drawImage(bitmap, sx, sy, sw, sh, x, y, w, h);
}

/* Light and mid grey squares, as picture editors show transparency. */
function paintCheckers(ctx, x, y, w, h) {
  const side = Math.max(4, Math.round(Math.min(ctx.canvas.width, ctx.canvas.height) / 20));
  ctx.fillStyle = "#d4d4d4";
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = "#9a9a9a";
  for (let top = y; top < y + h; top += side) {
    for (let left = x + (((top - y) / side) % 2) * side; left < x + w; left += 2 * side) {
      ctx.fillRect(left, top, Math.min(side, x + w - left), Math.min(side, y + h - top));
    }
  }
}
