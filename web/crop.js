/* Cropping an opened picture: button#crop, then a rectangle dragged over the digit on the
   drawing box (mouse, touch or pen, through Pointer Events); the pad then shows, and the
   network reads, only that part of the picture (pad.cropPicture; undo takes it back).
   Escape, or the button again, cancels. The rectangle is mapped to the picture's pixels
   here (drawing); what is read from them is pycore's. */

export const MIN_CROP = 0.05;          // of the box's side: a shorter drag is a slip, not a choice
export const MIN_CROP_PIXELS = 8;      // of the picture a side: fewer cannot hold a digit
const TOO_SMALL = "That rectangle is too small to hold a digit: drag over the whole digit, " +
  "or press Escape to keep the picture as it is.";
const MISSED = "That rectangle is beside the picture: drag over the digit in it.";

/* The rectangle spanned by two points (fractions of the box), clipped to the box. */
export function spanned(a, b) {
  const clip = (value) => Math.min(1, Math.max(0, value));
  const x = clip(Math.min(a.x, b.x));
  const y = clip(Math.min(a.y, b.y));
  return { x, y, width: clip(Math.max(a.x, b.x)) - x, height: clip(Math.max(a.y, b.y)) - y };
}

/* The picture's pixels under rect (fractions of the box), whole pixels, as
   {x, y, width, height}; null if rect misses the picture. placed: where the picture lies in
   the box (fractions), source: which of its pixels are shown there (pad.shownPicture()). */
export function pictureRect(rect, { placed, source }) {
  const scaleX = source.width / placed.width;
  const scaleY = source.height / placed.height;
  const left = Math.max(0, Math.floor((rect.x - placed.x) * scaleX));
  const top = Math.max(0, Math.floor((rect.y - placed.y) * scaleY));
  const right = Math.min(source.width, Math.ceil((rect.x + rect.width - placed.x) * scaleX));
  const bottom = Math.min(source.height, Math.ceil((rect.y + rect.height - placed.y) * scaleY));
  if (right <= left || bottom <= top) return null;
  return { x: source.x + left, y: source.y + top, width: right - left, height: bottom - top };
}

/* Why a dragged rect cannot be the crop (a sentence), or null. crop: pictureRect's answer. */
export function cropRefusal(rect, crop) {
  if (rect.width < MIN_CROP || rect.height < MIN_CROP) return TOO_SMALL;
  if (crop === null) return MISSED;
  if (crop.width < MIN_CROP_PIXELS || crop.height < MIN_CROP_PIXELS) return TOO_SMALL;
  return null;
}

export class Cropper {
  /* button: button#crop; box: the drawing box's element around the canvas (its pointer
     events are taken before the pad's while cropping); area: the rectangle shown while
     dragging; pad: the DrawingPad; say(text, isError): the message under the box. */
  constructor({ button, box, area, pad, say }) {
    Object.assign(this, { button, box, area, pad, say });
    this.start = null;
    this.pointer = null;
    button.addEventListener("click", () => (this.active ? this.cancel() : this.begin()));
    for (const [type, handler] of [["pointerdown", this.down], ["pointermove", this.move],
      ["pointerup", this.up], ["pointercancel", this.cancelDrag]]) {
      box.addEventListener(type, handler.bind(this), { capture: true });
    }
    document.addEventListener("keydown", (event) => {
      if (this.active && event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();   // Escape cancels the crop here, not clears the box
        this.cancel();
      }
    }, { capture: true });
    this.update();
  }

  get active() {
    return this.button.getAttribute("aria-pressed") === "true";
  }

  /* Enabled only while a picture is open; opening, undoing or clearing ends a crop begun. */
  update() {
    this.button.disabled = this.pad.picture === null;
    if (this.active) this.cancel();
  }

  begin() {
    this.setActive(true);
    this.say("Drag a rectangle over the digit; the network then reads only that part. " +
      "Escape cancels.");
  }

  cancel() {
    this.cancelDrag();
    this.setActive(false);
    this.say("");
  }

  setActive(on) {
    this.button.setAttribute("aria-pressed", String(on));
    if (on) this.box.dataset.cropping = "true";
    else delete this.box.dataset.cropping;
  }

  pointAt(event) {
    const rect = this.box.getBoundingClientRect();
    return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height };
  }

  down(event) {
    if (!this.active || this.pointer !== null) return;
    event.preventDefault();
    event.stopPropagation();               // not a stroke
    this.pointer = event.pointerId;
    this.box.setPointerCapture(event.pointerId);
    this.start = this.pointAt(event);
    this.show(spanned(this.start, this.start));
  }

  move(event) {
    if (event.pointerId !== this.pointer) return;
    event.preventDefault();
    event.stopPropagation();
    this.show(spanned(this.start, this.pointAt(event)));
  }

  up(event) {
    if (event.pointerId !== this.pointer) return;
    event.stopPropagation();
    const rect = spanned(this.start, this.pointAt(event));
    this.cancelDrag();
    const crop = pictureRect(rect, this.pad.shownPicture());
    const refused = cropRefusal(rect, crop);
    if (refused) {
      this.say(refused, true);             // still cropping: the user can drag again
      return;
    }
    this.setActive(false);
    this.pad.cropPicture(crop);
    this.say("The network reads the part you chose; Undo (Ctrl+Z) brings the whole picture back.");
  }

  cancelDrag() {
    this.pointer = null;
    this.start = null;
    this.area.hidden = true;
  }

  /* The dragged rectangle over the box (percentages of it). */
  show({ x, y, width, height }) {
    Object.assign(this.area.style, { left: `${100 * x}%`, top: `${100 * y}%`,
      width: `${100 * width}%`, height: `${100 * height}%` });
    this.area.hidden = false;
  }
}
