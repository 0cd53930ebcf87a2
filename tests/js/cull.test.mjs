import { test } from "node:test";
import assert from "node:assert/strict";
import { cullMethods, holds, outside, sceneRect, showIn } from "../../widgets/js/src/view/cull.js";
import { zoomMethods } from "../../widgets/js/src/view/zoom.js";
import { fakeEl, fakeView } from "./fakes.mjs";

test("the scene rectangle is what the screen shows, widened by the margin", () => {
  const r = sceneRect({ k: 2, x: -100, y: 50 }, 600, 400, 0);
  assert.deepEqual(r, { x0: 50, y0: -25, x1: 350, y1: 175 });
  const m = sceneRect({ k: 1, x: 0, y: 0 }, 600, 400, 0.5);
  assert.deepEqual(m, { x0: -300, y0: -200, x1: 900, y1: 600 });
  assert.ok(holds(m, sceneRect({ k: 1, x: 0, y: 0 }, 600, 400, 0.1)));
  assert.ok(!holds(r, m));
});

test("a box touching the rectangle is shown; only a change of state writes the style", () => {
  const r = { x0: 0, y0: 0, x1: 100, y1: 100 };
  assert.equal(outside(r, 100, 100, 120, 120), false);
  assert.equal(outside(r, -20, -20, 0, 0), false); // touching either corner counts as inside
  assert.equal(outside(r, 101, 0, 120, 10), true);
  const el = fakeEl();
  assert.equal(showIn(r, el, 200, 0, 210, 10), false);
  assert.equal(el.style.display, "none");
  el.style.display = "untouched";
  showIn(r, el, 300, 0, 310, 10); // still hidden: no write
  assert.equal(el.style.display, "untouched");
  assert.equal(showIn(r, el, 50, 50, 60, 60), true);
  assert.equal(el.style.display, "");
});

test("a cull pass hides what is far off screen and counts the nodes shown", () => {
  const pos = new Map([["near", { x: 100, y: 100, w: 40, h: 20 }], ["far", { x: 100, y: 5000, w: 40, h: 20 }]]);
  const nodeEls = new Map([["near", fakeEl()], ["far", fakeEl()]]);
  const edge = { path: fakeEl(), label: fakeEl(), bbox: [100, 100, 100, 5000] }; // spans both: shown
  const box = { el: fakeEl(), head: fakeEl(), x: 0, y: 3000, w: 10, h: 10 };
  const v = fakeView({ pos, nodeEls, edgeEls: new Map([["e", edge]]), boxEls: new Map([["b", box]]),
                       zoom: { k: 1, x: 0, y: 0 }, vis: { nodes: { size: 2 } } }, zoomMethods, cullMethods);
  v.cull();
  assert.equal(v.root.dataset.shownNodes, "1");
  assert.equal(nodeEls.get("far").style.display, "none");
  assert.ok(!nodeEls.get("near").gvHidden);
  assert.ok(!edge.path.gvHidden && !edge.label.gvHidden);
  assert.equal(box.el.style.display, "none");
  assert.ok(v.offScreen(0, 5000, 10, 5010) && !v.offScreen(0, 0, 10, 10));
  // Panning the far node on screen and culling again shows it.
  v.zoom = { k: 1, x: 0, y: -4900 };
  v.cull();
  assert.equal(nodeEls.get("far").style.display, "");
  assert.equal(nodeEls.get("near").style.display, "none");
});
