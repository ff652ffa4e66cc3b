// The teaching panel's file check (web/teach.js parseExport): an export of this page is read
// back exactly; anything else is refused with a message saying what is wrong.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExport } from "../../web/teach.js";

const image = Array.from({ length: 784 }, (_, i) => i % 256);
const file = (changes = {}) => JSON.stringify({ format: "mnist-draw-examples", version: 1,
  examples: [{ label: 1, image, strokes: [{ points: [{ x: 0.1, y: 0.2 }] }], added: 5 }], ...changes });

test("an export is read back: labels, images as bytes, strokes", () => {
  const [example] = parseExport(file());
  assert.equal(example.label, 1);
  assert.ok(example.image instanceof Uint8Array);
  assert.deepEqual(Array.from(example.image), image);
  assert.deepEqual(example.strokes, [{ points: [{ x: 0.1, y: 0.2 }] }]);
  assert.equal(example.added, 5);
});

test("other files are refused, each with its reason", () => {
  assert.throws(() => parseExport("hello"), /not an export of this page \(not JSON\)/);
  assert.throws(() => parseExport(JSON.stringify({ examples: [] })), /not an export of this page/);
  assert.throws(() => parseExport(file({ version: 2 })), /version 2 of the format/);
  assert.throws(() => parseExport(file({ examples: "none" })), /no list of examples/);
  assert.throws(() => parseExport(file({ examples: [{ label: 10, image }] })), /example 1 has no digit 0–9/);
  assert.throws(() => parseExport(file({ examples: [{ label: 3, image: image.slice(1) }] })), /not 28×28/);
  assert.throws(() => parseExport(file({ examples: [{ label: 3, image: image.map(() => 300) }] })), /0 to 255/);
});
