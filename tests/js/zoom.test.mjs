import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_ZOOM, PRESENTER_ZOOM, fitScale, fitTransform, onScreen, panTo, presenterHeight, readableFit, startTransform,
  wheelZoom, zoomMethods,
} from "../../widgets/js/src/view/zoom.js";
import { fakeView } from "./fakes.mjs";

const toScreen = (z, x, y) => [x * z.k + z.x, y * z.k + z.y];

test("fit: the scale that shows the bounds with 10 px margins, centred across", () => {
  const b = { x0: 100, y0: 50, x1: 300, y1: 150 };
  assert.equal(fitScale(b, 420, 1000), 2);
  assert.equal(fitScale(b, 1000, 120), 1);
  assert.equal(fitScale(null, 10, 10), 1);
  const z = fitTransform(b, 420, 2);
  assert.deepEqual(toScreen(z, 100, 50), [10, 10]);
  assert.deepEqual(toScreen(z, 300, 50), [410, 10]);
});

test("the wheel zooms about the pointer and stays within its limits", () => {
  const z0 = { k: 1, x: 30, y: -20 };
  const z = wheelZoom(z0, 200, 100, -300, 0.05);
  assert.ok(z.k > 1);
  const scenePt = [(200 - z0.x) / z0.k, (100 - z0.y) / z0.k];
  const after = toScreen(z, ...scenePt);
  assert.ok(Math.abs(after[0] - 200) < 1e-9 && Math.abs(after[1] - 100) < 1e-9, after);
  assert.equal(wheelZoom({ k: 3.9, x: 0, y: 0 }, 0, 0, -5000, 0.05).k, MAX_ZOOM);
  assert.equal(wheelZoom({ k: 0.3, x: 0, y: 0 }, 0, 0, 5000, 0.2).k, 0.2);
});

test("a graph too big to fit opens at its top, centred on the first screenful", () => {
  const pos = new Map([["a", { x: 100, y: 20, w: 40, h: 20 }], ["b", { x: 140, y: 60, w: 40, h: 20 }],
                       ["far", { x: 5000, y: 3000, w: 40, h: 20 }]]);
  const b = { x0: 0, y0: 10, x1: 6000, y1: 4000 };
  const z = startTransform(b, pos, [], 600, 400, 1);
  assert.equal(z.y, 10 - 10); // the top of the bounds 10 px below the canvas top
  const [l] = toScreen(z, 80, 0);
  const [r] = toScreen(z, 160, 0);
  assert.equal(l + r, 600); // a..b (80..160) centred on the 600 px canvas; "far" below is ignored
  // Wider than the screen: left-aligned instead.
  pos.set("wide", { x: 1000, y: 30, w: 2000, h: 20 });
  assert.deepEqual(toScreen(startTransform(b, pos, [], 600, 400, 1), 0, 10), [10, 10]);
});

test("following a node pans just enough to bring it on screen", () => {
  const z = { k: 1, x: 0, y: 0 };
  const p = { x: 300, y: 900, w: 40, h: 20 };
  assert.equal(onScreen(p, z, 600, 400), false);
  const after = panTo(p, z, 600, 400);
  assert.equal(onScreen(p, after, 600, 400), true);
  assert.equal(after.k, 1);
  assert.equal(after.x, 0); // already inside across: no horizontal pan
  assert.deepEqual(z, { k: 1, x: 0, y: 0 }); // the input is not changed
  // Above the screen and off to the side: panned down and across to it.
  const up = { x: 2000, y: -300, w: 40, h: 20 };
  const z2 = panTo(up, z, 600, 400);
  assert.equal(onScreen(up, z2, 600, 400), true);
  assert.equal(z2.y, 20 - (up.y - up.h / 2)); // 20 px below the top edge
  assert.equal(z2.x, 300 - up.x); // centred across
});

test("fit() caps the zoom (presenter 2, else 1.25) and openView() fits a small graph", () => {
  const v = fakeView({ bounds: { x0: 0, y0: 0, x1: 50, y1: 20 }, zoom: { k: 1, x: 0, y: 0 } }, zoomMethods);
  v.fit();
  assert.equal(v.zoom.k, 1.25);
  v.presenter = true;
  v.fit();
  assert.equal(v.zoom.k, 2);
  v.userMoved = true;
  v.openView();
  assert.equal(v.userMoved, false);
  assert.equal(v.zoom.k, 2);
  assert.ok(v.readableZoom() === PRESENTER_ZOOM);
  assert.equal(v.root.dataset.zoom, "2.0000");
  assert.equal(v.scene.attrs.transform, `translate(${v.zoom.x},${v.zoom.y}) scale(2)`);
});

test("the wheel changes the zoom object in place (a restored view shares it)", () => {
  const listeners = {};
  const zoom = { k: 1, x: 0, y: 0 };
  const v = fakeView({ zoom, bounds: null }, zoomMethods);
  v.svg = { addEventListener: (t, fn) => (listeners[t] = fn), getBoundingClientRect: () => ({ left: 0, top: 0 }) };
  v.listenPanZoom();
  listeners.wheel({ preventDefault() {}, clientX: 10, clientY: 10, deltaY: -100 });
  assert.equal(v.zoom, zoom);
  assert.ok(zoom.k > 1 && v.userMoved);
});

test("a new canvas width fits a fitting graph again and keeps a big one's centre, unless moved", () => {
  const v = fakeView({ bounds: { x0: 0, y0: 0, x1: 200, y1: 100 }, zoom: { k: 1, x: 0, y: 0 }, busy: 0 }, zoomMethods);
  v.size = { W: 1000, H: 400 };
  v.fit();
  v.size = { W: 500, H: 400 };
  v.refit(1000);
  assert.deepEqual(toScreen(v.zoom, 0, 0)[0] + toScreen(v.zoom, 200, 0)[0], 500); // centred in 500 px
  v.bounds = { x0: 0, y0: 0, x1: 5000, y1: 9000 }; // too big to fit readably
  v.zoom = { k: 1, x: 100, y: -40 };
  v.size = { W: 700, H: 400 };
  v.refit(500);
  assert.deepEqual(v.zoom, { k: 1, x: 200, y: -40 });
  v.userMoved = true;
  v.size = { W: 300, H: 400 };
  v.refit(700);
  assert.deepEqual(v.zoom, { k: 1, x: 200, y: -40 });
});

test("a presenter's fit never goes below the readable zoom: a tall chain keeps the middle of the screen", () => {
  // lab 02's unrolled loop: a narrow chain, far taller than a 500 px canvas at 1.6
  const b = { x0: 0, y0: 0, x1: 120, y1: 900 };
  const W = 1200;
  const H = 500;
  assert.ok(fitScale(b, W, H) < PRESENTER_ZOOM); // an ordinary fit would shrink the text
  const top = readableFit(b, { k: 3, x: 0, y: 0 }, W, H, PRESENTER_ZOOM, 2);
  assert.equal(top.k, PRESENTER_ZOOM);
  assert.equal(toScreen(top, 0, 0)[0] + toScreen(top, 120, 0)[0], W); // narrow: centred across
  assert.equal(toScreen(top, 0, 0)[1], 10); // the screen's middle was above the graph: its top shows
  // Scrolled to the middle (scene y 450 in the middle of the screen): it stays there.
  const mid = readableFit(b, { k: 1, x: 0, y: H / 2 - 450 }, W, H, PRESENTER_ZOOM, 2);
  assert.equal(toScreen(mid, 0, 450)[1], H / 2);
  // Past the end: the bottom of the graph 10 px above the canvas's bottom, no empty screen.
  const end = readableFit(b, { k: 1, x: 0, y: -2000 }, W, H, PRESENTER_ZOOM, 2);
  assert.equal(toScreen(end, 0, 900)[1], H - 10);
  // A graph that fits at a readable zoom is fitted whole, at most at kMax.
  assert.deepEqual(readableFit({ x0: 0, y0: 0, x1: 100, y1: 100 }, top, W, H, PRESENTER_ZOOM, 2),
                   fitTransform({ x0: 0, y0: 0, x1: 100, y1: 100 }, W, 2));
});

test("fit() of a presenter view that cannot fit readably stays at the presenter zoom", () => {
  const v = fakeView({ bounds: { x0: 0, y0: 0, x1: 120, y1: 900 }, zoom: { k: 1, x: 0, y: 0 }, presenter: true }, zoomMethods);
  v.fit();
  assert.equal(v.zoom.k, PRESENTER_ZOOM);
  v.presenter = false;
  v.fit();
  assert.ok(v.zoom.k < 0.5); // the ordinary fit shows it all
});

test("a presenter's canvas takes what the notebook shows at once, less the widget's other parts", () => {
  assert.equal(presenterHeight(607, 103), 498); // JupyterLab at 1280x720, presentation mode
  assert.equal(presenterHeight(300, 150), 200); // never under the least
});
