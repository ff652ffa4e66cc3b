// The chart scales (web/charts.js): round ticks that cover the data, and the linear map.
import assert from "node:assert/strict";
import { test } from "node:test";
import { linearScale, niceTicks } from "../../web/charts.js";

test("loss ticks are round and cover every value", () => {
  const axis = niceTicks(0.0234, 0.3913, 4);
  assert.deepEqual(axis.ticks, [0, 0.1, 0.2, 0.3, 0.4]);
  assert.equal(axis.decimals, 1);
  assert.ok(axis.lo <= 0.0234 && axis.hi >= 0.3913);
});

test("accuracy ticks are whole percents at a 5 % step, none past the data's range", () => {
  const axis = niceTicks(0.8784, 0.9958, 4);
  assert.deepEqual(axis.ticks, [0.85, 0.9, 0.95, 1]);
  assert.equal(axis.decimals, 2);    // 2 decimals of a fraction: whole percents
});

test("a narrow range gets finer steps with as many decimals as they need", () => {
  const axis = niceTicks(0.9951, 0.9962, 4);
  assert.ok(axis.ticks.length >= 3 && axis.ticks.length <= 7, axis.ticks);
  for (const tick of axis.ticks) assert.equal(Number(tick.toFixed(axis.decimals)), tick);
  assert.ok(axis.lo <= 0.9951 && axis.hi >= 0.9962);
  assert.ok(Math.abs(axis.step - 0.0005) < 1e-12, String(axis.step));
});

test("epoch ticks end at or after the last epoch", () => {
  for (const last of [1, 3, 15, 55, 60, 61, 120]) {
    const axis = niceTicks(1, last, 6);
    assert.ok(axis.hi >= last, `${last}: ${axis.ticks}`);
    assert.ok(axis.lo <= 1);
    assert.ok(axis.ticks.every((t) => Number.isFinite(t)));
  }
  assert.deepEqual(niceTicks(1, 60, 6).ticks, [0, 10, 20, 30, 40, 50, 60]);
});

test("one value gets a band around it, zero too", () => {
  const axis = niceTicks(0.5, 0.5, 4);
  assert.ok(axis.lo < 0.5 && axis.hi > 0.5);
  const zero = niceTicks(0, 0, 4);
  assert.ok(zero.lo < 0 && zero.hi > 0);
});

test("reversed bounds are accepted; non-numbers are refused", () => {
  assert.deepEqual(niceTicks(0.4, 0, 4).ticks, niceTicks(0, 0.4, 4).ticks);
  assert.throws(() => niceTicks(Number.NaN, 1), /no ticks/);
});

test("linearScale maps the domain onto the range, flipped too", () => {
  const y = linearScale(0, 0.4, 184, 14);
  assert.equal(y(0), 184);
  assert.equal(y(0.4), 14);
  assert.ok(Math.abs(y(0.2) - 99) < 1e-9);
  assert.equal(linearScale(3, 3, 0, 10)(3), 5);
});
