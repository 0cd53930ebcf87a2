// Live growth the way the view does it (index.js catchUp: extendVisible, then placement.js
// placeBatch, boxes grown around the new nodes, then liveroute.js routing the edges), on
// recordings written by tests/layout/live_docs.py:
//     node tests/layout/live_check.mjs [--full] [--no-router] [--per-batch] REC.json [REC.json ...]
// Edge crossings are checked by difference (EdgeWatch, below) unless --full asks for the whole
// picture after every batch; --no-router draws new edges as curves (a broken view, to show the
// check fails); --per-batch adds the edge crossings listed after each batch to the output.
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

/**
 * The same edge check, by difference: after a batch only edges drawn differently (new, re-routed, or
 * a curve whose end moved) and nodes or boxes that are new or moved can make or clear a crossing, so
 * only pairs with at least one changed side are tested, and a crossing found earlier stays counted
 * until one of its sides changes. After every batch `problems` equals what edgeProblems would list
 * for the whole picture (`--full` runs that instead; benchmarks/live_check_equivalence.mjs compares
 * the two on the same recordings, with and without a broken router). Checking every edge after every
 * one of MobileNetV2's 560 batches was 3/4 of this script's time, and the test's timeout under load.
 */
class EdgeWatch {
  constructor() {
    this.obstacles = new Map(); // "node:id" | "group:id" -> { sig, r, cells }
    this.obstacleCells = new Map(); // grid cell -> Set of obstacle keys
    this.edges = new Map(); // edge key -> { e, sig, pts, own, cells }
    this.edgeCells = new Map(); // grid cell -> Set of edge keys
    this.found = new Map(); // edge key -> Map(obstacle key -> problem text)
  }

  static cellsOf(x0, y0, x1, y1) {
    const out = [];
    for (let i = Math.floor(Math.min(x0, x1) / 200); i <= Math.floor(Math.max(x0, x1) / 200); i++)
      for (let j = Math.floor(Math.min(y0, y1) / 200); j <= Math.floor(Math.max(y0, y1) / 200); j++) out.push(i + ":" + j);
    return out;
  }

  static put(index, cells, key) {
    for (const c of cells) (index.get(c) || index.set(c, new Set()).get(c)).add(key);
  }

  static drop(index, cells, key) {
    for (const c of cells) index.get(c)?.delete(key);
  }

  forget(edgeKey) {
    this.found.delete(edgeKey);
  }

  /** Changed obstacles and edges since the last call; crossings of every pair with a changed side. */
  update(vis, pos, homes, boxes, parents, routes) {
    const chain = (box, out) => {
      for (let b = box, n = 0; b && n < 1000; b = parents.get(b) || "", n++) out.add(b);
      return out;
    };
    const changedObstacles = new Set();
    const seen = new Set();
    const see = (key, kind, id, x, y, w, h) => {
      seen.add(key);
      const sig = `${x},${y},${w},${h}`;
      const old = this.obstacles.get(key);
      if (old && old.sig === sig) return;
      if (old) EdgeWatch.drop(this.obstacleCells, old.cells, key);
      const r = { id, kind, x, y, w, h };
      const cells = EdgeWatch.cellsOf(x, y, x + w, y + h);
      EdgeWatch.put(this.obstacleCells, cells, key);
      this.obstacles.set(key, { sig, r, cells });
      changedObstacles.add(key);
    };
    for (const [id, p] of pos) see("node:" + id, "node", id, p.x - p.w / 2, p.y - p.h / 2, p.w, p.h);
    for (const [id, b] of boxes) see("group:" + id, "group", id, b.x, b.y, b.w, b.h);
    for (const [key, o] of this.obstacles) {
      if (seen.has(key)) continue;
      EdgeWatch.drop(this.obstacleCells, o.cells, key);
      this.obstacles.delete(key);
      changedObstacles.add(key);
    }
    // Crossings whose obstacle changed are tested again below.
    for (const hits of this.found.values()) for (const o of hits.keys()) if (changedObstacles.has(o)) hits.delete(o);

    const changedEdges = new Set();
    const live = new Set();
    for (const e of vis.edges.values()) {
      if (!pos.has(e.source) || !pos.has(e.target)) continue;
      live.add(e.key);
      const routed = routes.get(e.key);
      const a = pos.get(e.source);
      const b = pos.get(e.target);
      const ends = routed && routed.length >= 4 ? "" : `${a.x},${a.y},${a.h},${b.x},${b.y},${b.h}`;
      const sig = `${e.source}>${e.target}|${homes.get(e.source) || ""}|${homes.get(e.target) || ""}|${ends}`;
      const old = this.edges.get(e.key);
      if (old && old.sig === sig && old.routed === routed) continue;
      if (old) EdgeWatch.drop(this.edgeCells, old.cells, e.key);
      const pts = drawnPoints(e, pos, routes);
      const cells = new Set();
      for (let k = 0; k + 3 < pts.length; k += 2) for (const c of EdgeWatch.cellsOf(pts[k], pts[k + 1], pts[k + 2], pts[k + 3])) cells.add(c);
      const own = chain(homes.get(e.target) || "", chain(homes.get(e.source) || "", new Set()));
      EdgeWatch.put(this.edgeCells, cells, e.key);
      this.edges.set(e.key, { e, sig, routed, pts, own, cells });
      this.found.delete(e.key);
      changedEdges.add(e.key);
    }
    for (const [key, d] of this.edges) {
      if (live.has(key)) continue;
      EdgeWatch.drop(this.edgeCells, d.cells, key);
      this.edges.delete(key);
      this.found.delete(key);
    }
    // Every pair with a changed side: changed edges against every obstacle near them, and every edge
    // near a changed obstacle against it.
    const pairs = new Map(); // edge key -> Set of obstacle keys
    const pair = (ek, ok) => (pairs.get(ek) || pairs.set(ek, new Set()).get(ek)).add(ok);
    for (const ek of changedEdges) for (const c of this.edges.get(ek).cells) for (const ok of this.obstacleCells.get(c) || []) pair(ek, ok);
    for (const ok of changedObstacles) {
      const o = this.obstacles.get(ok);
      if (!o) continue;
      for (const c of o.cells) for (const ek of this.edgeCells.get(c) || []) pair(ek, ok);
    }
    for (const [ek, oks] of pairs) {
      const { e, pts, own } = this.edges.get(ek);
      for (const ok of oks) {
        const { r } = this.obstacles.get(ok);
        if (r.kind === "node" ? r.id === e.source || r.id === e.target : own.has(r.id)) continue;
        for (let k = 0; k + 3 < pts.length; k += 2) {
          if (crosses(pts[k], pts[k + 1], pts[k + 2], pts[k + 3], r)) {
            (this.found.get(ek) || this.found.set(ek, new Map()).get(ek)).set(ok, `edge ${e.source} -> ${e.target} crosses ${r.kind} ${r.id}`);
            break;
          }
        }
      }
    }
    const all = [];
    for (const hits of this.found.values()) all.push(...hits.values());
    return [...new Set(all)];
  }
}

function replay({ name, doc, collapsed, batches }, { full = false, noRouter = false, perBatch = null } = {}) {
  const watch = new EdgeWatch();
  const edges = full ? edgeProblems : (...args) => watch.update(...args);
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
    // --no-router: a broken view for the equivalence run, whose new edges are drawn as curves.
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
      now.push(...edges(view.vis, view.pos, view.homes, boxes, view.parents, view.routes));
    } else {
      now = problems(state, view.pos, view.homes, placer.boxes, placer.parents);
      now.push(...edges(view.vis, view.pos, view.homes, placer.boxes, placer.parents, view.routes));
    }
    if (perBatch) perBatch.push(now.filter((b) => b.startsWith("edge ")).sort());
    for (const b of now) bad.push(`after batch ${k}: ${b}`);
    if (now.some((b) => b.startsWith("edge "))) edgeBatches += 1;
  });
  const nodes = batches.reduce((n, b) => n + b.nodes.length, 0);
  return { rec: name, batches: batches.length, nodes, relayouts, placeMs: Math.round(placeMs), edgeBatches, problems: bad.length, bad: bad.slice(0, 20) };
}

export { replay };

// node live_check.mjs [--full] [--no-router] [--per-batch] REC.json ...
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const args = process.argv.slice(2);
  const opts = { full: args.includes("--full"), noRouter: args.includes("--no-router") };
  let failed = 0;
  for (const f of args.filter((a) => !a.startsWith("--"))) {
    const perBatch = args.includes("--per-batch") ? [] : null;
    const r = replay(JSON.parse(readFileSync(f, "utf8")), { ...opts, perBatch });
    if (r.problems) failed += 1;
    console.log(JSON.stringify(perBatch ? { ...r, perBatch } : r));
  }
  process.exit(failed ? 1 : 0);
}
