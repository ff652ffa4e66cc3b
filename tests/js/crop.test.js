// web/crop.js's pure parts: the rectangle a drag spans, the picture's pixels under it, and
// the crops refused (too small to hold a digit, beside the picture).
import assert from "node:assert/strict";
import { test } from "node:test";
import { KEY_STEP, MIN_CROP, MIN_CROP_PIXELS, cropRefusal, nudged, pictureRect, spanned, startingRect } from "../../web/crop.js";

// A 4000 x 3000 picture fills the box's width, centred: 3/4 of its height, from 1/8 down.
const PHOTO = { placed: { x: 0, y: 0.125, width: 1, height: 0.75 }, source: { x: 0, y: 0, width: 4000, height: 3000 } };

test("crop: a drag spans a rectangle whichever way it goes, clipped to the box", () => {
  assert.deepEqual(spanned({ x: 0.25, y: 0.5 }, { x: 0.75, y: 1 }), { x: 0.25, y: 0.5, width: 0.5, height: 0.5 });
  assert.deepEqual(spanned({ x: 0.75, y: 1 }, { x: 0.25, y: 0.5 }), { x: 0.25, y: 0.5, width: 0.5, height: 0.5 });
  const clipped = spanned({ x: -0.5, y: 0.5 }, { x: 0.5, y: 1.5 });
  assert.deepEqual(clipped, { x: 0, y: 0.5, width: 0.5, height: 0.5 });
});

test("crop: the rectangle maps to the picture's whole pixels, within the picture", () => {
  assert.deepEqual(pictureRect({ x: 0.25, y: 0.125, width: 0.5, height: 0.375 }, PHOTO),
    { x: 1000, y: 0, width: 2000, height: 1500 });
  // the band above the picture is not picture: the crop starts at its top row
  assert.deepEqual(pictureRect({ x: 0, y: 0, width: 0.5, height: 0.5 }, PHOTO),
    { x: 0, y: 0, width: 2000, height: 1500 });
  assert.equal(pictureRect({ x: 0, y: 0, width: 1, height: 0.1 }, PHOTO), null);    // only the band
  // a crop of a crop: the shown part's own pixels, offset by where it starts
  const cropped = { placed: { x: 0, y: 0, width: 1, height: 1 }, source: { x: 1000, y: 500, width: 800, height: 800 } };
  assert.deepEqual(pictureRect({ x: 0.5, y: 0.5, width: 0.5, height: 0.5 }, cropped),
    { x: 1400, y: 900, width: 400, height: 400 });
});

test("crop: too small to hold a digit, or beside the picture, is refused with a sentence", () => {
  const rect = { x: 0.2, y: 0.2, width: 0.5, height: 0.5 };
  assert.equal(cropRefusal(rect, pictureRect(rect, PHOTO)), null);
  const slip = { x: 0.2, y: 0.2, width: MIN_CROP / 2, height: 0.5 };
  assert.match(cropRefusal(slip, pictureRect(slip, PHOTO)), /too small to hold a digit/);
  const band = { x: 0, y: 0, width: 1, height: 0.1 };
  assert.match(cropRefusal(band, pictureRect(band, PHOTO)), /beside the picture/);
  const tiny = { placed: { x: 0.4, y: 0.4, width: 0.2, height: 0.2 }, source: { x: 0, y: 0, width: 20, height: 20 } };
  const few = { x: 0.4, y: 0.4, width: 0.06, height: 0.2 };                  // 6 of its pixels wide
  assert.ok(pictureRect(few, tiny).width < MIN_CROP_PIXELS);
  assert.match(cropRefusal(few, pictureRect(few, tiny)), /too small/);
});

test("crop from the keyboard: it starts over the middle of the picture", () => {
  assert.deepEqual(startingRect(PHOTO.placed), { x: 0.25, y: 0.3125, width: 0.5, height: 0.375 });
  const rect = startingRect(PHOTO.placed);
  assert.equal(cropRefusal(rect, pictureRect(rect, PHOTO)), null);         // a crop as it stands
});

test("crop from the keyboard: the arrows move the rectangle, within the box", () => {
  const rect = { x: 0.25, y: 0.25, width: 0.5, height: 0.5 };
  const close = (got, want) => {
    for (const key of Object.keys(want)) assert.ok(Math.abs(got[key] - want[key]) < 1e-12, `${key}: ${got[key]}`);
  };
  close(nudged(rect, "ArrowLeft", false), { x: 0.25 - KEY_STEP, y: 0.25, width: 0.5, height: 0.5 });
  close(nudged(rect, "ArrowDown", false), { x: 0.25, y: 0.25 + KEY_STEP, width: 0.5, height: 0.5 });
  let moved = rect;
  for (let i = 0; i < 40; i++) moved = nudged(moved, "ArrowRight", false);
  close(moved, { x: 0.5, y: 0.25, width: 0.5, height: 0.5 });              // stops at the box's edge
  for (let i = 0; i < 40; i++) moved = nudged(moved, "ArrowUp", false);
  close(moved, { x: 0.5, y: 0, width: 0.5, height: 0.5 });
  assert.equal(nudged(rect, "Enter", false), null);
  assert.equal(nudged(rect, "a", true), null);
});

test("crop from the keyboard: Shift and the arrows resize it, never below MIN_CROP or past the box", () => {
  const rect = { x: 0.25, y: 0.25, width: 0.5, height: 0.5 };
  const grown = nudged(nudged(rect, "ArrowRight", true), "ArrowDown", true);
  assert.ok(Math.abs(grown.width - (0.5 + KEY_STEP)) < 1e-12 && Math.abs(grown.height - (0.5 + KEY_STEP)) < 1e-12);
  assert.equal(grown.x, 0.25);
  assert.equal(grown.y, 0.25);
  let shrunk = rect;
  for (let i = 0; i < 40; i++) shrunk = nudged(nudged(shrunk, "ArrowLeft", true), "ArrowUp", true);
  assert.deepEqual(shrunk, { x: 0.25, y: 0.25, width: MIN_CROP, height: MIN_CROP });
  let wide = rect;
  for (let i = 0; i < 40; i++) wide = nudged(wide, "ArrowRight", true);
  assert.equal(wide.x + wide.width, 1);                                      // up to the box's edge
});
