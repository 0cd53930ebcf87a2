import { test } from "node:test";
import assert from "node:assert/strict";
import { OVERVIEW_H, OVERVIEW_W, centreOn, mapPath, mapTransform, overviewMethods, screenOnMap } from "../../widgets/js/src/view/overview.js";
import { zoomMethods } from "../../widgets/js/src/view/zoom.js";
import { fakeEl, fakeView } from "./fakes.mjs";

const tall = { x0: 0, y0: 0, x1: 100, y1: 1000 };

test("the map shows the whole graph inside its box, centred", () => {
  const m = mapTransform(tall);
  const [x0, y0] = [tall.x0 * m.s + m.ox, tall.y0 * m.s + m.oy];
  const [x1, y1] = [tall.x1 * m.s + m.ox, tall.y1 * m.s + m.oy];
  assert.ok(x0 >= 0 && y0 >= 0 && x1 <= OVERVIEW_W && y1 <= OVERVIEW_H);
  assert.ok(Math.abs(x0 + x1 - OVERVIEW_W) < 1e-9 && Math.abs(y1 - y0 - (OVERVIEW_H - 8)) < 1e-9);
});

test("every node is at least a pixel on the map", () => {
  const m = { s: 0.01, ox: 0, oy: 0 };
  const d = mapPath(new Map([["a", { x: 100, y: 100, w: 40, h: 20 }]]), m);
  assert.equal(d, "M0.8,0.9h1.0v1.0h-1.0z");
});

test("the screen's rectangle on the map, and a click on the map centres the view there", () => {
  const m = mapTransform(tall);
  const v = screenOnMap({ k: 1, x: 0, y: 0 }, 100, 200, m); // the top fifth of the graph
  assert.ok(Math.abs(v.h - 200 * m.s) < 1e-9 && Math.abs(v.y - m.oy) < 1e-9);
  const z = centreOn(50, 900, 2, 600, 400);
  assert.deepEqual([50 * z.k + z.x, 900 * z.k + z.y], [300, 200]);
});

test("the map shows only while part of the graph is off screen", () => {
  const view = fakeView({ zoom: { k: 1, x: 0, y: 0 }, bounds: tall, pos: new Map([["a", { x: 50, y: 20, w: 40, h: 20 }]]) }, zoomMethods, overviewMethods);
  view.size = { W: 600, H: 400 };
  Object.assign(view, { overview: fakeEl(), overviewNodes: fakeEl(), overviewView: fakeEl() });
  view.drawOverview(false);
  assert.equal(view.overview.style.display, "");
  assert.ok(view.overviewNodes.attrs.d.startsWith("M"));
  view.zoom = { k: 0.3, x: 0, y: 0 }; // all of it on screen now
  view.placeOverview();
  assert.equal(view.overview.style.display, "none");
  view.tooLarge = true;
  view.drawOverview(false);
  assert.equal(view.map, null);
});

test("live growth redraws the map later, once, not in the batch's handler", async () => {
  const view = fakeView({ zoom: { k: 1, x: 0, y: 0 }, bounds: tall, pos: new Map([["a", { x: 50, y: 20, w: 40, h: 20 }]]) }, zoomMethods, overviewMethods);
  view.size = { W: 600, H: 400 };
  Object.assign(view, { overview: fakeEl(), overviewNodes: fakeEl(), overviewView: fakeEl() });
  view.drawOverview(true);
  view.drawOverview(true);
  assert.equal(view.overviewNodes.attrs.d, undefined);
  const timer = view.overviewSoon;
  assert.ok(timer);
  clearTimeout(timer);
  view.overviewSoon = null;
  view.drawOverview(false);
  assert.ok(view.overviewNodes.attrs.d.startsWith("M"));
});
