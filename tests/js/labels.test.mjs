import { test } from "node:test";
import assert from "node:assert/strict";
import { LABEL_H, headRect, labelRect, labelSpots, placeLabels } from "../../widgets/js/src/view/labels.js";

const meets = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

test("the first spot is the edge's middle; then its segments' middles from the centre outward", () => {
  const pts = [0, 0, 0, 100, 200, 100, 200, 300];
  const spots = labelSpots({ lx: 200, ly: 100 }, pts);
  assert.deepEqual(spots.slice(0, 4), [[204, 103], [104, 103], [4, 53], [204, 203]]);
  assert.deepEqual(spots.slice(4, 6), [[204, 103 - LABEL_H - 2], [204, 103 + LABEL_H + 2]]);
  assert.equal(labelSpots({ lx: 10, ly: 20 }, null).length, 3); // an unrouted edge: middle, above, below
});

test("labels that would meet go to their next free spot, never onto an obstacle", () => {
  const a = { key: "a", text: "[1, 3]", spots: [[0, 10], [0, 40]] };
  const b = { key: "b", text: "[3]", spots: [[2, 12], [2, 60], [2, 90]] };
  const head = { x0: 0, y0: 50, x1: 100, y1: 65 };
  const at = placeLabels([a, b], [head]);
  assert.deepEqual(at.get("a"), [0, 10]);
  assert.deepEqual(at.get("b"), [2, 90]); // its first spot meets a's label, its second the group label
  const rects = [labelRect(...at.get("a"), a.text), labelRect(...at.get("b"), b.text), head];
  assert.ok(!meets(rects[0], rects[1]) && !meets(rects[1], rects[2]));
});

test("a label with no free spot is left out", () => {
  const at = placeLabels([{ key: "a", text: "[2]", spots: [[0, 10]] }], [{ x0: -5, y0: -5, x1: 50, y1: 50 }]);
  assert.equal(at.get("a"), null);
});

test("a group label's rectangle is cut to its box, as it is drawn", () => {
  assert.deepEqual(headRect({ x: 10, y: 20, w: 400, h: 50 }, "abc"), { x0: 16, y0: 24, x1: 16 + 3 * 6.4, y1: 39 });
  assert.equal(headRect({ x: 10, y: 20, w: 40, h: 50 }, "a long group label").x1, 16 + 28);
});
