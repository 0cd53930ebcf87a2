// Live growth the way the view does it (index.js catchUp: extendVisible, then placement.js
// placeBatch, boxes grown around the new nodes, then liveroute.js routing the edges), on
// recordings written by tests/layout/live_docs.py:
//     node tests/layout/live_check.mjs [--no-router] REC.json [REC.json ...]
// --no-router draws new edges as curves, as the view did before liveroute.js: a broken view, to show
// that the check fails on it.
// After every batch it checks that no two group boxes that share a parent overlap, no two group
// labels overlap, no node overlaps another node or a box it is not in, every box holds its
// nodes, and no edge, as the view draws it (its route, else a curve), passes through a node or a
// group box other than its ends and the boxes holding them. A batch after which the placer found
// no free spot (`crowded`) or an edge no way around is not drawn but laid out again, as the view
// does, and checked after that layout.
// Prints one JSON line per recording and exits 1 on any problem.
import { readFileSync } from "node:fs";
import { addToIndex, extendVisible, indexDoc, visibleGraph } from "../../widgets/js/src/graph.js";
import { layoutRequest } from "../../widgets/js/src/layout.js";
import { LiveRouter } from "../../widgets/js/src/liveroute.js";
import { Placer, placeBatch } from "../../widgets/js/src/placement.js";
import { layoutInput } from "../../widgets/js/src/request.js";
import { Grid, crosses } from "./layout_check.mjs";

const meets = (a, b, tol = 0.5) => a.x < b.x + b.w - tol && b.x < a.x + a.w - tol && a.y < b.y + b.h - tol && b.y < a.y + a.h - tol;

/** A full layout of what is visible (the view's relayout): positions, homes, boxes, parents. */
function relayout(state, collapsed) {
  const vis = visibleGraph(state, collapsed, new Set());
  const { items, groups, edges } = layoutInput(state, collapsed, vis);
  const res = layoutRequest({ view: "live", items, groups, edges }, null);
  const pos = new Map();
  const homes = new Map();
  items.forEach(([id, w, h, home], i) => {
    pos.set(id, { x: res.x[i], y: res.y[i], w, h });
    homes.set(id, home);
  });
  const boxes = res.boxes.map(([id, x, y, w, h]) => ({ id, x, y, w, h }));
  const routes = new Map();
  layoutInput(state, collapsed, vis).edgeList.forEach((e, i) => res.routes[i] && routes.set(e.key, res.routes[i]));
  return { vis, pos, homes, boxes, parents: new Map(groups), routes };
}

/**
 * Problems in the picture: overlapping sibling boxes or group labels, nodes over foreign boxes,
 * nodes outside their boxes, nodes over nodes.
 */
function problems(state, pos, homes, boxes, parents) {
  const bad = [];
  const list = [...boxes];
  // Group labels as index.js draws them: at (x + 6, y + 15), 12 px type, cut to the box's width.
  const head = ([id, b]) => {
    const g = state.groups.get(id);
    const text = "\u25be " + ((g && g.label) || id);
    return { x: b.x + 6, y: b.y + 4, w: Math.max(0, Math.min(text.length * 6.4, b.w - 12)), h: 14 };
  };
  for (let i = 0; i < list.length; i++) {
    const [a, ra] = list[i];
    const ha = head(list[i]);
    for (let j = i + 1; j < list.length; j++) {
      const [b, rb] = list[j];
      if ((parents.get(a) || "") === (parents.get(b) || "") && meets(ra, rb)) bad.push(`group ${a} overlaps group ${b}`);
      if (meets(ha, head(list[j]))) bad.push(`label ${a} overlaps label ${b}`);
    }
  }
  // A node must sit inside every box on its home's chain and meet no other box. The chain is walked
  // once per node, and only boxes near the node (a grid) can meet it: the same verdicts as testing
  // every node against every box, which made this check quadratic in the recording's size.
  const chainOf = (home) => {
    const out = new Set();
    for (let x = home, n = 0; x && n < 1000; x = parents.get(x) || "", n++) out.add(x);
    return out;
  };
  const boxGrid = new Grid(200);
  for (const [gid, b] of boxes) boxGrid.add({ id: gid, x: b.x, y: b.y, w: b.w, h: b.h });
  const nodes = [...pos].map(([id, p]) => [id, { x: p.x - p.w / 2, y: p.y - p.h / 2, w: p.w, h: p.h }]);
  for (const [id, r] of nodes) {
    const chain = chainOf(homes.get(id) || "");
    for (const near of boxGrid.near(r.x, r.y, r.x + r.w, r.y + r.h)) {
      if (!chain.has(near.id) && meets(r, boxes.get(near.id))) bad.push(`node ${id} overlaps group ${near.id}`);
    }
    for (const gid of chain) {
      const b = boxes.get(gid);
      if (b && (r.x < b.x || r.y < b.y || r.x + r.w > b.x + b.w || r.y + r.h > b.y + b.h)) bad.push(`node ${id} sticks out of group ${gid}`);
    }
  }
  nodes.sort((a, b) => a[1].x - b[1].x);
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length && nodes[j][1].x < nodes[i][1].x + nodes[i][1].w; j++) {
      if (meets(nodes[i][1], nodes[j][1])) bad.push(`node ${nodes[i][0]} overlaps node ${nodes[j][0]}`);
    }
  }
  return bad;
}

/** An edge as index.js draws it (edgePath): its route, else a cubic curve (sampled as geometry.js does). */
function drawnPoints(e, pos, routes) {
  const pts = routes.get(e.key);
  if (pts && pts.length >= 4) return pts;
  const a = pos.get(e.source);
  const b = pos.get(e.target);
  const [x1, y1, x2, y2] = [a.x, a.y + a.h / 2, b.x, b.y - b.h / 2];
  const my = (y1 + y2) / 2;
  const out = [];
  for (let k = 0; k <= 24; k++) {
    const t = k / 24;
    const [a, b, c, d] = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3];
    out.push((a + b) * x1 + (c + d) * x2, a * y1 + (b + c) * my + d * y2);
  }
  return out;
}

/** Edges that pass through a node or box other than their ends and the boxes holding those ends. */
function edgeProblems(vis, pos, homes, boxes, parents, routes) {
  const grid = new Grid(200);
  for (const [id, p] of pos) grid.add({ id, kind: "node", x: p.x - p.w / 2, y: p.y - p.h / 2, w: p.w, h: p.h });
  for (const [id, b] of boxes) grid.add({ id, kind: "group", x: b.x, y: b.y, w: b.w, h: b.h });
  const chain = (box, out) => {
    for (let b = box, n = 0; b && n < 1000; b = parents.get(b) || "", n++) out.add(b);
    return out;
  };
  const bad = [];
  for (const e of vis.edges.values()) {
    if (!pos.has(e.source) || !pos.has(e.target)) continue;
    const own = chain(homes.get(e.target) || "", chain(homes.get(e.source) || "", new Set()));
    const pts = drawnPoints(e, pos, routes);
    for (let k = 0; k + 3 < pts.length; k += 2) {
      for (const r of grid.near(pts[k], pts[k + 1], pts[k + 2], pts[k + 3])) {
        if (r.kind === "node" ? r.id === e.source || r.id === e.target : own.has(r.id)) continue;
        if (crosses(pts[k], pts[k + 1], pts[k + 2], pts[k + 3], r)) bad.push(`edge ${e.source} -> ${e.target} crosses ${r.kind} ${r.id}`);
      }
    }
  }
  return [...new Set(bad)];
}

function replay({ name, doc, collapsed, batches }, { noRouter = false } = {}) {
  const state = indexDoc(doc);
  const shut = new Set(collapsed || []);
  let view = relayout(state, shut);
  let placer = null;
  let router = null;
  let relayouts = 0;
  let placeMs = 0;
  let edgeBatches = 0; // batches after which some edge crosses a foreign node or box
  const bad = [];
  batches.forEach((batch, k) => {
    addToIndex(state, batch.nodes, batch.edges, batch.groups);
    const ids = state.order.slice(view.seenNodes ?? view.vis.seenNodes);
    const es = state.edges.slice(view.seenEdges ?? view.vis.seenEdges);
    view.seenNodes = state.order.length;
    view.seenEdges = state.edges.length;
    const t0 = performance.now();
    const fresh = extendVisible(state, shut, view.vis, ids, es);
    if (!placer) {
      placer = new Placer(view.pos, view.homes, view.boxes, view.parents);
      router = new LiveRouter(placer, view.pos, view.homes, view.routes, view.vis.edges.values());
    }
    const placed = placeBatch(placer, state, shut, view.vis, fresh, view.pos, view.homes);
    // --no-router: a broken view, whose new edges are drawn as curves (the check must fail on it).
    if (placed && !noRouter && !router.update(fresh.edges, (key) => view.vis.edges.get(key))) placer.crowded = true;
    placeMs += performance.now() - t0;
    let now;
    if (placer.crowded) {
      // The view draws nothing of this batch and lays everything out again instead.
      relayouts += 1;
      view = relayout(state, shut);
      view.seenNodes = state.order.length;
      view.seenEdges = state.edges.length;
      placer = null;
      const boxes = new Map(view.boxes.map((b) => [b.id, b]));
      now = problems(state, view.pos, view.homes, boxes, view.parents);
      now.push(...edgeProblems(view.vis, view.pos, view.homes, boxes, view.parents, view.routes));
    } else {
      now = problems(state, view.pos, view.homes, placer.boxes, placer.parents);
      now.push(...edgeProblems(view.vis, view.pos, view.homes, placer.boxes, placer.parents, view.routes));
    }
    for (const b of now) bad.push(`after batch ${k}: ${b}`);
    if (now.some((b) => b.startsWith("edge "))) edgeBatches += 1;
  });
  const nodes = batches.reduce((n, b) => n + b.nodes.length, 0);
  return { rec: name, batches: batches.length, nodes, relayouts, placeMs: Math.round(placeMs), edgeBatches, problems: bad.length, bad: bad.slice(0, 20) };
}

// node live_check.mjs [--no-router] REC.json ...
const args = process.argv.slice(2);
let failed = 0;
for (const f of args.filter((a) => !a.startsWith("--"))) {
  const r = replay(JSON.parse(readFileSync(f, "utf8")), { noRouter: args.includes("--no-router") });
  if (r.problems) failed += 1;
  console.log(JSON.stringify(r));
}
process.exit(failed ? 1 : 0);
