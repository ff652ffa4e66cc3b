// The prediction scheduler (web/scheduler.js) with a fake clock: throttling while drawing,
// a prediction at every stroke's end, one request at a time, and dropped replies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PredictionScheduler } from "../../web/scheduler.js";

/* A scheduler whose clock, timers and predictor the test drives. */
function harness({ interval = 60 } = {}) {
  const clock = { now: 0, timers: [] };
  const sent = [];        // one {resolve, reject, drawing} per predict() call
  const shown = [];       // [result, final]
  const failures = [];
  const busy = [];
  let drawing = 0;        // what is "on the canvas": predict() snapshots it
  const scheduler = new PredictionScheduler({
    interval,
    now: () => clock.now,
    setTimer: (callback, wait) => {
      const timer = { at: clock.now + wait, callback };
      clock.timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      clock.timers = clock.timers.filter((t) => t !== timer);
    },
    predict: () => new Promise((resolve, reject) => sent.push({ resolve, reject, drawing })),
    show: (result, final) => shown.push([result, final]),
    fail: (error) => failures.push(error.message),
    onBusy: (value) => busy.push(value),
  });
  const advance = async (ms) => {
    clock.now += ms;
    for (const timer of clock.timers.filter((t) => t.at <= clock.now)) {
      clock.timers = clock.timers.filter((t) => t !== timer);
      timer.callback();
    }
    await settle();
  };
  const draw = () => {
    drawing += 1;
  };
  return { scheduler, clock, sent, shown, failures, busy, advance, draw };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("nothing is sent before start, and the wanted drawing goes out on start", async () => {
  const h = harness();
  h.draw();
  h.scheduler.request(false);
  assert.equal(h.sent.length, 0);
  assert.equal(h.scheduler.busy, true);
  h.scheduler.start();
  assert.equal(h.sent.length, 1);
});

test("live requests are throttled to one per interval; a stroke's end goes out at once", async () => {
  const h = harness({ interval: 60 });
  h.scheduler.start();
  h.draw();
  h.scheduler.request(false);
  assert.equal(h.sent.length, 1);
  h.sent[0].resolve("first");
  await settle();
  assert.deepEqual(h.shown, [["first", false]]);
  h.draw();
  h.scheduler.request(false);                // 0 ms after the last: waits
  h.draw();
  h.scheduler.request(false);
  assert.equal(h.sent.length, 1);
  assert.equal(h.clock.timers.length, 1);    // one timer, not one per request
  await h.advance(30);
  assert.equal(h.sent.length, 1);
  await h.advance(30);
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1].drawing, 3);        // the drawing as it is when sent
  h.sent[1].resolve("second");
  await settle();
  h.draw();
  h.scheduler.request(true);                 // the stroke ended: no waiting
  assert.equal(h.sent.length, 3);
  assert.equal(h.clock.timers.length, 0);
  h.sent[2].resolve("final");
  await settle();
  assert.deepEqual(h.shown.at(-1), ["final", true]);
});

test("one request in flight; changes meanwhile are sent when it returns, the final flag kept", async () => {
  const h = harness();
  h.scheduler.start();
  h.draw();
  h.scheduler.request(false);
  h.draw();
  h.scheduler.request(true);
  h.draw();
  h.scheduler.request(false);
  assert.equal(h.sent.length, 1);
  h.sent[0].resolve("live");
  await settle();
  assert.equal(h.sent.length, 2);            // urgent: no throttling wait
  assert.equal(h.sent[1].drawing, 3);
  h.sent[1].resolve("end");
  await settle();
  assert.deepEqual(h.shown, [["live", false], ["end", true]]);
  assert.equal(h.scheduler.busy, false);
  assert.equal(h.busy.at(-1), false);
});

test("after drop(), the reply for the older drawing is not shown and a pending change is forgotten", async () => {
  const h = harness();
  h.scheduler.start();
  h.draw();
  h.scheduler.request(false);
  h.draw();
  h.scheduler.request(false);               // wanted, waiting for the first
  h.scheduler.drop();
  h.sent[0].resolve("stale");
  await settle();
  assert.deepEqual(h.shown, []);
  assert.equal(h.sent.length, 1);
  assert.equal(h.scheduler.busy, false);
  h.draw();
  h.scheduler.request(true);
  h.sent[1].resolve("fresh");
  await settle();
  assert.deepEqual(h.shown, [["fresh", true]]);
});

test("drop() cancels a throttling timer", async () => {
  const h = harness();
  h.scheduler.start();
  h.scheduler.request(false);
  h.sent[0].resolve("a");
  await settle();
  h.scheduler.request(false);
  assert.equal(h.clock.timers.length, 1);
  h.scheduler.drop();
  assert.equal(h.clock.timers.length, 0);
  await h.advance(100);
  assert.equal(h.sent.length, 1);
});

test("a failed prediction is reported and the next one still goes out", async () => {
  const h = harness();
  h.scheduler.start();
  h.scheduler.request(true);
  h.scheduler.request(true);
  h.sent[0].reject(new Error("worker gone"));
  await settle();
  assert.deepEqual(h.failures, ["worker gone"]);
  assert.equal(h.sent.length, 2);
  h.sent[1].resolve("ok");
  await settle();
  assert.deepEqual(h.shown, [["ok", true]]);
});

test("a predictor that throws at once counts as a failure", async () => {
  const h = harness();
  h.scheduler.predict = () => {
    throw new Error("no snapshot");
  };
  h.scheduler.start();
  h.scheduler.request(true);
  await settle();
  assert.deepEqual(h.failures, ["no snapshot"]);
  assert.equal(h.scheduler.busy, false);
});
