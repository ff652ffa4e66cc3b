/* Cropping an opened picture: button#crop, then a rectangle dragged over the digit on the
   drawing box (mouse, touch or pen, through Pointer Events), or, from the keyboard, the
   rectangle the crop starts with (the middle of the picture) moved with the arrow keys,
   resized with Shift and the arrow keys, and taken with Enter; the pad then shows, and the
   network reads, only that part of the picture (pad.cropPicture; undo takes it back).
   Escape, or the button again, cancels. The rectangle is mapped to the picture's pixels
   here (drawing); what is read from them is pycore's. */

export const MIN_CROP = 0.05;          // of the box's side: a shorter drag is a slip, not a choice
export const MIN_CROP_PIXELS = 8;      // of the picture a side: fewer cannot hold a digit
const TOO_SMALL = "That rectangle is too small to hold a digit: drag over the whole digit (or " +
  "widen it with Shift and the arrow keys), or press Escape to keep the picture as it is.";
const MISSED = "That rectangle is beside the picture: drag over the digit in it (or move it there " +
  "with the arrow keys).";
export const KEY_STEP = 0.025;         // of the box's side: what one arrow key moves or resizes
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/* The rectangle a crop starts with: the middle half (each way) of where the picture lies in
   the box (placed: fractions of the box). */
export function startingRect(placed) {
  return { x: placed.x + placed.width / 4, y: placed.y + placed.height / 4,
    width: placed.width / 2, height: placed.height / 2 };
}

/* rect after the arrow key `key`: moved by KEY_STEP that way, or with resize (Shift) its
   right or bottom edge moved (Right and Down grow it, Left and Up shrink it, down to
   MIN_CROP); it stays in the box. null for any other key. */
export function nudged(rect, key, resize) {
  const arrow = ARROWS[key];
  if (!arrow) return null;
  const [dx, dy] = arrow;
  const clip = (value, low, high) => Math.min(high, Math.max(low, value));
  if (resize) {
    return { ...rect, width: clip(rect.width + dx * KEY_STEP, Math.min(MIN_CROP, rect.width), 1 - rect.x),
      height: clip(rect.height + dy * KEY_STEP, Math.min(MIN_CROP, rect.height), 1 - rect.y) };
  }
  return { ...rect, x: clip(rect.x + dx * KEY_STEP, 0, 1 - rect.width), y: clip(rect.y + dy * KEY_STEP, 0, 1 - rect.height) };
}

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
    this.rect = null;          // the rectangle shown (the keys move it), fractions of the box
    button.addEventListener("click", () => (this.active ? this.cancel() : this.begin()));
    for (const [type, handler] of [["pointerdown", this.down], ["pointermove", this.move],
      ["pointerup", this.up], ["pointercancel", this.lost]]) {
      box.addEventListener(type, handler.bind(this), { capture: true });
    }
    document.addEventListener("keydown", (event) => this.key(event), { capture: true });
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
    this.show(startingRect(this.pad.shownPicture().placed));
    this.say("Drag a rectangle over the digit, or move this one with the arrow keys (Shift and " +
      "the arrows resize it) and press Enter; the network then reads only that part. Escape cancels.");
  }

  cancel() {
    this.cancelDrag();
    this.hide();
    this.setActive(false);
    this.say("");
  }

  /* While cropping: Escape cancels (and does not clear the box); with the focus on the crop
     button, the box or nowhere in particular, the arrow keys move or resize the rectangle
     and Enter takes it (not a click of the focused button, which would cancel). */
  key(event) {
    if (!this.active) return;
    if (event.key === "Escape") {
      this.cancel();
    } else {
      const focus = document.activeElement;
      const here = this.pointer === null &&     // not in the middle of a drag
        !event.ctrlKey && !event.metaKey && !event.altKey &&
        (focus === null || focus === document.body || focus === this.button || this.box.contains(focus));
      if (!here) return;
      const rect = this.rect ?? startingRect(this.pad.shownPicture().placed);
      if (event.key === "Enter" && !event.shiftKey) {
        this.choose(rect);
      } else {
        const moved = nudged(rect, event.key, event.shiftKey);
        if (moved === null) return;
        this.show(moved);
      }
    }
    event.preventDefault();
    event.stopImmediatePropagation();
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
    this.show(spanned(this.start, this.start));      // the drag replaces the rectangle shown
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
    if (!this.choose(rect)) this.hide();  // a slip is not left on screen
  }

  /* Crop to rect (fractions of the box), or say why not and stay cropping (the user can
     drag or move the rectangle again); true if cropped. */
  choose(rect) {
    const crop = pictureRect(rect, this.pad.shownPicture());
    const refused = cropRefusal(rect, crop);
    if (refused) {
      this.say(refused, true);
      return false;
    }
    this.hide();
    this.setActive(false);
    this.pad.cropPicture(crop);
    this.say("The network reads the part you chose; Undo (Ctrl+Z) brings the whole picture back.");
    return true;
  }

  cancelDrag() {
    this.pointer = null;
    this.start = null;
  }

  /* The browser took the pointer away mid-drag: the drag's rectangle goes. */
  lost(event) {
    if (event.pointerId !== this.pointer) return;
    this.cancelDrag();
    this.hide();
  }

  /* The rectangle over the box (percentages of it): dragged, or moved by the keys. */
  show(rect) {
    this.rect = rect;
    const { x, y, width, height } = rect;
    Object.assign(this.area.style, { left: `${100 * x}%`, top: `${100 * y}%`,
      width: `${100 * width}%`, height: `${100 * height}%` });
    this.area.hidden = false;
  }

  hide() {
    this.rect = null;
    this.area.hidden = true;
  }
}
