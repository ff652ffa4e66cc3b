// The pure parts of the page's modules: which files "Open a picture…" refuses before
// decoding, and how the Inside section lays out and moves through its maps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { arrowTarget, mapGeometry } from "../../web/inside.js";
import { MAX_FILE_BYTES, refusal, TYPES } from "../../web/pictures.js";

test("pictures: too large, SVG and non-images are refused with their name in the message", () => {
  assert.equal(refusal("a.png", 1000, "image/png"), null);
  assert.equal(refusal("a", 1000, ""), null);             // unknown type: the decoder decides
  assert.match(refusal("big.jpg", MAX_FILE_BYTES + 1, "image/jpeg"), /“big.jpg” is too large \(20.0 MB\).*20 MB/);
  assert.match(refusal("d.svg", 300, "image/svg+xml"), /“d.svg” is an SVG drawing/);
  assert.match(refusal("notes.txt", 10, "text/plain"), /not an image \(text\/plain\)/);
  assert.equal(MAX_FILE_BYTES, 20e6);                     // "MB" in the messages is 10^6 bytes
  assert.ok(!Object.keys(TYPES).includes("image/svg+xml"));
});

test("inside: map geometry comes from the shapes pycore sends", () => {
  assert.deepEqual(mapGeometry("conv1", [24, 24, 20]), { side: 24, count: 20, columns: 10, gap: 2 });
  assert.deepEqual(mapGeometry("conv2", [8, 8, 40]), { side: 8, count: 40, columns: 10, gap: 1 });
  assert.deepEqual(mapGeometry("dense1", [256]), { side: 16, count: 1, columns: 1, gap: 0 });
  assert.deepEqual(mapGeometry("kernels", [20, 5, 5]), { side: 5, count: 20, columns: 10, gap: 1 });
  assert.deepEqual(mapGeometry("conv1", [12, 12, 6]), { side: 12, count: 6, columns: 6, gap: 2 });
});

test("inside: arrow keys move by one or by a row, Home and End to the ends, never out", () => {
  assert.equal(arrowTarget("ArrowRight", 0, 20, 10), 1);
  assert.equal(arrowTarget("ArrowDown", 3, 20, 10), 13);
  assert.equal(arrowTarget("ArrowUp", 13, 20, 10), 3);
  assert.equal(arrowTarget("ArrowUp", 3, 20, 10), -1);
  assert.equal(arrowTarget("ArrowLeft", 0, 20, 10), -1);
  assert.equal(arrowTarget("ArrowRight", 19, 20, 10), -1);
  assert.equal(arrowTarget("Home", 12, 20, 10), 0);
  assert.equal(arrowTarget("End", 2, 40, 10), 39);
  assert.equal(arrowTarget("Enter", 2, 40, 10), -1);
});
