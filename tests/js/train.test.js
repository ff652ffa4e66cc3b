// Train it yourself, the parts without the DOM (web/trainview.js): a typed setting, the
// settings said in pycore's words, the curves' thinning, the filters' and digits' pixels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { count, DIGIT_COLOURS, describeSettings, digitPixels, filterPixels, Series, settingValue, thousands }
  from "../../web/trainview.js";

const TABLE = {      // pycore.training.SETTINGS as the worker sends it
  lr: { value: 0.01, low: 0.0001, high: 1, label: "learning rate" },
  batch_size: { value: 64, low: 8, high: 512, label: "batch size" },
  momentum: { value: 0.9, low: 0, high: 0.99, label: "momentum" },
};

test("a typed number is sent as a number, anything else as typed, for pycore to refuse", () => {
  assert.equal(settingValue("0.05"), 0.05);
  assert.equal(settingValue(" 64 "), 64);
  assert.equal(settingValue("1e-3"), 0.001);
  assert.equal(settingValue(".5"), 0.5);
  assert.equal(settingValue("-2"), -2);           // a number, out of range: pycore says so
  assert.equal(settingValue("12.5"), 12.5);       // not whole: pycore says so for the batch size
  assert.equal(settingValue(""), "");
  assert.equal(settingValue("abc"), "abc");
  assert.equal(settingValue("0x10"), "0x10");     // Number() would read 16: not a decimal
  assert.equal(settingValue("Infinity"), "Infinity");
});

test("the settings in use are said in the table's order and words", () => {
  assert.equal(describeSettings({ momentum: 0.5, lr: 0.02, batch_size: 32 }, TABLE),
    "learning rate 0.02, batch size 32, momentum 0.5");
  assert.equal(describeSettings({ lr: 0.1 }, TABLE), "learning rate 0.1");
});

test("counts and axis labels", () => {
  assert.equal(count(12345.6), "12,346");
  assert.equal(thousands(800), "800");
  assert.equal(thousands(12000), "12k");
  assert.equal(thousands(2500), "2.5k");
  assert.equal(thousands(1500000), "1.5M");
});

test("a curve keeps every point up to its limit, then merges neighbours in pairs", () => {
  const series = new Series(4);
  for (const x of [1, 2, 3, 4]) series.add(x, 10 * x);
  assert.deepEqual(series.points, [[1, 10], [2, 20], [3, 30], [4, 40]]);
  series.add(5, 50);                              // five: pairs merged, the last kept
  assert.deepEqual(series.points, [[1.5, 15], [3.5, 35], [5, 50]]);
  series.add(Number.NaN, 1);                      // not a point
  series.add(6, Number.POSITIVE_INFINITY);
  assert.equal(series.points.length, 3);
  for (let x = 6; x < 1000; x++) series.add(x, x);
  assert.ok(series.points.length <= 4 && series.points.at(-1)[0] > 900);
  series.clear();
  assert.deepEqual(series.points, []);
});

test("filters are grey 0.5 at zero, one scale for all, in a grid with transparent gaps", () => {
  const values = new Float32Array(2 * 2 * 2);
  values[0] = 1;                                  // filter 0's first weight: the largest
  values[4] = -0.5;                               // filter 1's first weight
  const { width, height, data } = filterPixels(values, { count: 2, side: 2, columns: 2, gap: 1 });
  assert.deepEqual([width, height], [6, 3]);
  const pixel = (x, y) => Array.from(data.subarray(4 * (y * width + x), 4 * (y * width + x) + 4));
  assert.deepEqual(pixel(0, 0), [255, 255, 255, 255]);
  assert.deepEqual(pixel(1, 0), [128, 128, 128, 255]);   // zero
  assert.deepEqual(pixel(3, 0), [64, 64, 64, 255]);      // -0.5 of the largest
  assert.deepEqual(pixel(2, 0), [0, 0, 0, 0]);           // the gap
  assert.deepEqual(pixel(0, 2), [0, 0, 0, 0]);
});

test("scoring digits are coloured right, wrong or not yet scored", () => {
  const digits = new Uint8Array(2 * 28 * 28);
  digits[0] = 255;                                // each digit's first pixel is full ink
  digits[28 * 28] = 255;
  const at = (pixels, x) => Array.from(pixels.data.subarray(4 * x, 4 * x + 3));
  const options = { columns: 2, gap: 2 };
  const scored = digitPixels(digits, Uint8Array.of(1, 0), options);
  assert.deepEqual([scored.width, scored.height], [60, 30]);
  assert.deepEqual(at(scored, 0), DIGIT_COLOURS.right.ink);
  assert.deepEqual(at(scored, 1), DIGIT_COLOURS.right.paper);
  assert.deepEqual(at(scored, 30), DIGIT_COLOURS.wrong.ink);
  assert.deepEqual(at(scored, 31), DIGIT_COLOURS.wrong.paper);
  const unscored = digitPixels(digits, null, options);
  assert.deepEqual(at(unscored, 0), DIGIT_COLOURS.unknown.ink);
  assert.deepEqual(at(unscored, 30), DIGIT_COLOURS.unknown.ink);
});
