// web/number.js's readNumber: the worker's packed number mode reply, read by the layout the
// worker reports (pycore.number.layout(): the layout below is its shape, with fewer reasons).
import assert from "node:assert/strict";
import { test } from "node:test";
import { NUMBER_INPUT, readNumber } from "../../web/number.js";

const LAYOUT = {
  number: [["found", 1], ["reason", 1], ["timings", 2]],
  digit: [["digit", 1], ["probabilities", 10], ["image", 784], ["box", 4], ["verdict", 2]],
  reasons: [["", ""], ["too-many", "more than 12 digits — draw a shorter number"]],
  verdicts: ["digit", "blank", "not-a-digit"],
  verdict_reasons: [["", ""], ["small", "too small to read — draw larger"]],
};

function packed(found, reason, digits) {
  const parts = [found, reason, 1.5, 2.5];
  for (const [digit, verdict, why] of digits) {
    const probabilities = Array.from({ length: 10 }, (_, i) => (i === digit ? 0.91 : 0.01));
    parts.push(digit, ...probabilities, ...new Array(784).fill(digit / 10), 1, 2, 3, 4, verdict, why);
  }
  return new Float32Array(parts);
}

test("number: the digits, left to right, with their images, boxes and verdicts", () => {
  const { found, reason, timings, digits } = readNumber(packed(2, 0, [[4, 0, 0], [2, 2, 1]]), LAYOUT);
  assert.equal(found, 2);
  assert.deepEqual(timings, { split: 1.5, forward: 2.5 });
  assert.equal(reason, "");
  assert.deepEqual(digits.map(({ digit }) => digit), [4, 2]);
  assert.equal(digits[0].probabilities.length, 10);
  assert.ok(Math.abs(digits[1].probabilities[2] - 0.91) < 1e-6);
  assert.equal(digits[1].image.length, 784);
  assert.ok(Math.abs(digits[1].image[0] - 0.2) < 1e-6);
  assert.deepEqual(digits[0].box, [1, 2, 3, 4]);
  assert.deepEqual(digits.map(({ verdict, reason: why }) => [verdict, why]),
    [["digit", ""], ["not-a-digit", "too small to read — draw larger"]]);
});

test("number: blank, refused, and an array of the wrong length", () => {
  const timings = { split: 1.5, forward: 2.5 };
  assert.deepEqual(readNumber(packed(0, 0, []), LAYOUT), { found: 0, reason: "", timings, digits: [] });
  assert.deepEqual(readNumber(packed(13, 1, []), LAYOUT),
    { found: 13, reason: "more than 12 digits — draw a shorter number", timings, digits: [] });
  assert.throws(() => readNumber(packed(2, 0, [[1, 0, 0]]), LAYOUT), /expected/);
  assert.throws(() => readNumber(packed(0, 0, [[1, 0, 0]]), LAYOUT), /gave 805 numbers, expected 4/);
});

test("number: the wide box's input is three one-digit boxes side by side", () => {
  assert.deepEqual(NUMBER_INPUT, { width: 600, height: 200 });
});
