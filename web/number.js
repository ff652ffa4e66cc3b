/* Number mode: several digits side by side in a box three times as wide, each read by the
   network (pycore.number splits the ink and reads each digit; the worker's "classify-number").
   This module switches the mode (button#mode-number, aria-pressed) and renders what pycore
   said: the number in #number[data-value], and per digit a small panel with the 28×28 image
   the network saw and its top probability. It decides nothing about the image. */

import { INPUT_SIZE } from "./pad.js";

// The number box's input canvas, as tall as one digit's box (the pen stays the same width):
// train/numbers.py's NUMBER_SIZE measures the split on this size.
export const NUMBER_INPUT = { width: 3 * INPUT_SIZE, height: INPUT_SIZE };

/* classify_number_pixels' flat array -> {found, reason, timings: {split, forward} (ms),
   digits: [{digit, probabilities, image, box, verdict, reason}]}, by the layout the worker reported (Classifier.number_layout:
   pycore.number's NUMBER_PACKED and DIGIT_PACKED, its REASONS and pycore.verdict's tables). */
export function readNumber(flat, layout) {
  let at = 0;
  const take = (parts) => {
    const out = {};
    for (const [name, size] of parts) {
      out[name] = flat.subarray(at, at + size);
      at += size;
    }
    return out;
  };
  const head = take(layout.number);
  const found = head.found[0];
  const count = head.reason[0] === 0 ? found : 0;          // a refused number carries no digits
  const size = (parts) => parts.reduce((sum, [, n]) => sum + n, 0);
  const expected = size(layout.number) + count * size(layout.digit);
  if (flat.length !== expected) throw new Error(`classify_number_pixels gave ${flat.length} numbers, expected ${expected}`);
  const digits = [];
  for (let i = 0; i < count; i++) {
    const { digit, probabilities, image, box, verdict: [code, why] } = take(layout.digit);
    digits.push({ digit: digit[0], probabilities, image, box: Array.from(box), verdict: layout.verdicts[code],
      reason: layout.verdict_reasons[why][1] });
  }
  const [split, forward] = head.timings;
  return { found, reason: layout.reasons[head.reason[0]][1], timings: { split, forward }, digits };
}

export class NumberMode extends EventTarget {
  /* button: #mode-number; panel: #number-result (with #number, #number-reason and
     #number-digits); pad: the DrawingPad whose box it widens. Dispatches "switch". */
  constructor({ button, panel, pad }) {
    super();
    Object.assign(this, { button, panel, pad, on: false, layout: null });
    this.output = panel.querySelector("#number");
    this.reason = panel.querySelector("#number-reason");
    this.list = panel.querySelector("#number-digits");
    this.region = panel.querySelector("#number-announce");
    this.oneDigit = { width: pad.inputCanvas.width, height: pad.inputCanvas.height };
    document.body.dataset.mode = "digit";
    button.addEventListener("click", () => this.toggle());
  }

  /* The worker's Classifier.number_layout(), once it has started. */
  start(layout) {
    this.layout = layout;
  }

  toggle() {
    this.on = !this.on;
    this.button.setAttribute("aria-pressed", String(this.on));
    document.body.dataset.mode = this.on ? "number" : "digit";
    this.panel.hidden = !this.on;
    this.clear();
    const { width, height } = this.on ? NUMBER_INPUT : this.oneDigit;
    this.pad.setInputSize(width, height);      // clears the drawing (a "clear" change)
    this.dispatchEvent(new Event("switch"));
  }

  /* A "number" reply: its packed array rendered. */
  show({ packed }) {
    const { reason, digits } = readNumber(packed, this.layout);
    this.output.dataset.value = digits.map(({ digit }) => digit).join("");
    this.output.textContent = reason ? "—" : this.output.dataset.value || "?";
    this.reason.textContent = reason;
    this.list.replaceChildren(...digits.map((digit, index) => panelOf(digit, index)));
    return this.output.dataset.value;
  }

  /* Screen readers hear the number when a stroke ends, not at every live update. */
  announce() {
    const value = this.output.dataset.value;
    this.region.textContent = value ? `The network reads ${value}.` : this.reason.textContent;
  }

  clear() {
    this.output.dataset.value = "";
    this.output.textContent = "?";
    this.reason.textContent = "";
    this.list.replaceChildren();
  }
}

/* One digit's panel: the 28×28 image, the digit read and its probability as pycore gave it;
   data-probs holds the ten probabilities, data-verdict pycore's verdict on the digit. */
function panelOf({ digit, probabilities, image, box, verdict, reason }, index) {
  const item = document.createElement("li");
  Object.assign(item.dataset, { digitIndex: String(index), read: String(digit), verdict,
    prob: probabilities[digit].toFixed(6), probs: Array.from(probabilities, (p) => p.toFixed(6)).join(","),
    box: box.join(",") });
  const canvas = Object.assign(document.createElement("canvas"), { width: 28, height: 28 });
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    pixels.data.fill(Math.round(image[i] * 255), 4 * i, 4 * i + 3);
    pixels.data[4 * i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  const label = document.createElement("span");
  label.textContent = `${digit} · ${(probabilities[digit] * 100).toFixed(0)}%`;
  item.title = verdict === "digit" ? `read as ${digit}` : `read as ${digit}, though ${reason}`;
  item.classList.toggle("unsure", verdict !== "digit");
  item.append(canvas, label);
  return item;
}
