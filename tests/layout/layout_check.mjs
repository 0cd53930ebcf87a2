// Geometry of the bundled layout (widgets/js/src/layout.js) on real graph documents, without a
// browser: node tests/layout/layout_check.mjs DOC.json [DOC.json ...]
//
// Each document (written by tests/layout/real_docs.py) is laid out the way the view does it
// (visible graph -> layout input -> layoutRequest) in several states: every group collapsed, the
// groups collapsed at first sight, each of those groups expanded on its own (as a click does),
// and every group expanded. In each it checks:
//   * every edge has a route, and no route segment passes through a node or group box that is not
//     one of its ends or a box holding one of its ends,
//   * no two boxes drawn at the same level (nodes and group boxes that share a parent) overlap,
//   * no two group labels overlap,
//   * every box lies inside its parent group's box.
// Prints one JSON line per state ({doc, state, nodes, boxes, edges, segments, ms, bad: [...]})
// and exits 1 if any state has a problem. `--self-test` shows that each check can fail.
import { readFileSync } from "node:fs";
import { indexDoc, visibleGraph } from "../../widgets/js/src/graph.js";
import { layoutRequest } from "../../widgets/js/src/layout.js";
import { layoutInput } from "../../widgets/js/src/request.js";

const INSET = 1.5; // touching a border is fine: an edge must pass through the inside to count
const HEAD_CHAR_W = 6.4; // index.js draws group labels truncated to their box at this width

// The same segment-through-rectangle test (Liang-Barsky) the browser tests run on drawn SVG.
(0, eval)(readFileSync(new URL("../browser/geometry.js", import.meta.url), "utf8"));

/** Does the segment p-q pass through the inside of rect r (shrunk by INSET)? */
export function crosses(px, py, qx, qy, r) {
  return globalThis.gvSegmentCrossesRect([px, py], [qx, qy], r, INSET);
}

const overlap = (a, b, tol = 0.5) =>
  a.x < b.x + b.w - tol && b.x < a.x + a.w - tol && a.y < b.y + b.h - tol && b.y < a.y + a.h - tol;

// A coarse grid over the scene, so a segment is tested against the rects near it only.
export class Grid {
  constructor(cell) {
    this.cell = cell;
    this.cells = new Map();
  }
  add(r) {
    const c = this.cell;
    for (let i = Math.floor(r.x / c); i <= Math.floor((r.x + r.w) / c); i++)
      for (let j = Math.floor(r.y / c); j <= Math.floor((r.y + r.h) / c); j++) {
        const k = i + ":" + j;
        if (!this.cells.has(k)) this.cells.set(k, []);
        this.cells.get(k).push(r);
      }
  }
  near(x0, y0, x1, y1) {
    const c = this.cell;
    const out = new Set();
    for (let i = Math.floor(Math.min(x0, x1) / c); i <= Math.floor(Math.max(x0, x1) / c); i++)
      for (let j = Math.floor(Math.min(y0, y1) / c); j <= Math.floor(Math.max(y0, y1) / c); j++)
        for (const r of this.cells.get(i + ":" + j) || []) out.add(r);
    return out;
  }
}

/** Lay out one state of a document and list what is wrong with the picture. */
export function checkState(state, collapsed, cache) {
  const vis = visibleGraph(state, collapsed, new Set());
  const { items, groups, edgeList, edges } = layoutInput(state, collapsed, vis);
  const t0 = performance.now();
  const res = layoutRequest({ view: "check", items, groups, edges }, cache);
  const ms = performance.now() - t0;
  return { ...checkLayout(state, { items, groups, edgeList }, res), ms: Math.round(ms) };
}

/** What is wrong with a laid-out picture (layoutRequest's result for this input). */
export function checkLayout(state, { items, groups, edgeList }, res) {
  const parent = new Map(groups);
  const rects = [];
  const nodeRect = new Map();
  items.forEach(([id, w, h, home], i) => {
    const r = { id, kind: "node", x: res.x[i] - w / 2, y: res.y[i] - h / 2, w, h, parent: home };
    rects.push(r);
    nodeRect.set(id, r);
  });
  const boxRect = new Map();
  for (const [id, x, y, w, h] of res.boxes) {
    const r = { id, kind: "group", x, y, w, h, parent: parent.get(id) || "" };
    rects.push(r);
    boxRect.set(id, r);
  }
  const grid = new Grid(200);
  for (const r of rects) grid.add(r);
  const bad = [];
  const chain = (box) => {
    const out = new Set();
    for (let b = box; b && !out.has(b); b = parent.get(b) || "") out.add(b);
    return out;
  };
  let segments = 0;
  edgeList.forEach((e, i) => {
    const pts = res.routes[i];
    if (!pts || pts.length < 4) {
      bad.push(`${e.source} -> ${e.target} has no route`);
      return;
    }
    const own = new Set([...chain(nodeRect.get(e.source).parent), ...chain(nodeRect.get(e.target).parent)]);
    for (let k = 0; k + 3 < pts.length; k += 2) {
      segments += 1;
      for (const r of grid.near(pts[k], pts[k + 1], pts[k + 2], pts[k + 3])) {
        if (r.kind === "node" && (r.id === e.source || r.id === e.target)) continue;
        if (r.kind === "group" && own.has(r.id)) continue;
        if (crosses(pts[k], pts[k + 1], pts[k + 2], pts[k + 3], r)) bad.push(`${e.source} -> ${e.target} crosses ${r.kind} ${r.id}`);
      }
    }
  });
  // Siblings (same parent) never overlap; every box sits inside its parent's box.
  for (const a of rects) {
    for (const b of grid.near(a.x, a.y, a.x + a.w, a.y + a.h)) {
      if (a.parent === b.parent && a.id < b.id && overlap(a, b)) bad.push(`${a.kind} ${a.id} overlaps ${b.kind} ${b.id}`);
    }
    const p = a.parent && boxRect.get(a.parent);
    if (p && (a.x < p.x - 0.5 || a.y < p.y - 0.5 || a.x + a.w > p.x + p.w + 0.5 || a.y + a.h > p.y + p.h + 0.5))
      bad.push(`${a.kind} ${a.id} sticks out of its group ${a.parent}`);
  }
  // Group labels: drawn at (x + 6, y + 15) (baseline), 12 px type, truncated to the box's width.
  const heads = [];
  for (const [id, x, y, w] of res.boxes) {
    const g = state.groups.get(id);
    const text = "\u25be " + (g.label || g.id);
    heads.push({ id, x: x + 6, y: y + 4, w: Math.max(0, Math.min(text.length * HEAD_CHAR_W, w - 12)), h: 14 });
  }
  for (let i = 0; i < heads.length; i++)
    for (let j = i + 1; j < heads.length; j++)
      if (overlap(heads[i], heads[j])) bad.push(`label ${heads[i].id} overlaps label ${heads[j].id}`);
  const uniq = [...new Set(bad)];
  return { nodes: items.length, boxes: res.boxes.length, edges: edgeList.length, segments, bad: uniq };
}

/** The states a document is checked in: name -> collapsed set. */
export function* states(state, firstSight, { each = true } = {}) {
  const all = [...state.groups.keys()];
  yield ["all collapsed", new Set(all.filter((g) => !state.groups.get(g).parent))];
  const open = new Set(firstSight);
  yield ["first sight", open];
  if (each) {
    // Expanding one group by a click (index.js toggleGroup): its children start collapsed when big.
    for (const gid of firstSight) {
      const next = new Set(open);
      next.delete(gid);
      const g = state.groups.get(gid);
      if (g && g.size > 150) for (const c of state.groups.values()) if (c.parent === gid) next.add(c.id);
      yield ["expanded " + gid, next];
    }
  }
  yield ["all expanded", new Set()];
}

/**
 * The checks can fail: a small grouped graph laid out cleanly, then spoiled three ways (a node
 * moved onto an edge, a group box moved onto its sibling, a label pushed onto another).
 */
function selfTest() {
  const doc = {
    nodes: [
      { id: "x", op: "input", kind: "input" },
      { id: "a1", op: "conv", kind: "op", group: "A" },
      { id: "a2", op: "relu", kind: "op", group: "A" },
      { id: "b1", op: "conv", kind: "op", group: "B" },
      { id: "b2", op: "relu", kind: "op", group: "B" },
      { id: "add", op: "add", kind: "op" },
    ],
    edges: [["x", "a1"], ["a1", "a2"], ["x", "b1"], ["b1", "b2"], ["a2", "add"], ["b2", "add"], ["x", "add"]].map(([source, target]) => ({ source, target })),
    groups: [{ id: "A", label: "A" }, { id: "B", label: "B" }],
  };
  const state = indexDoc(doc);
  const vis = visibleGraph(state, new Set(), new Set());
  const input = layoutInput(state, new Set(), vis);
  const fresh = () => layoutRequest({ view: "self", items: input.items, groups: input.groups, edges: input.edges }, null);
  const out = { clean: checkLayout(state, input, fresh()).bad };
  // 1. The node "a2" moved onto the middle of the first segment of the edge x -> b1.
  let res = fresh();
  const e = input.edgeList.findIndex((ed) => ed.source === "x" && ed.target === "b1");
  const r = res.routes[e];
  const i = input.items.findIndex(([id]) => id === "a2");
  res.x[i] = (r[0] + r[2]) / 2;
  res.y[i] = (r[1] + r[3]) / 2;
  out.nodeOnEdge = checkLayout(state, input, res).bad;
  // 2. Box B moved onto box A.
  res = fresh();
  const A = res.boxes.find((b) => b[0] === "A");
  const B = res.boxes.find((b) => b[0] === "B");
  B[1] = A[1] + 5;
  B[2] = A[2] + 5;
  out.boxOnBox = checkLayout(state, input, res).bad;
  // 3. Box B's top left corner moved next to A's, so the two labels share a row.
  res = fresh();
  const B2 = res.boxes.find((b) => b[0] === "B");
  const A2 = res.boxes.find((b) => b[0] === "A");
  B2[1] = A2[1] + 8;
  B2[2] = A2[2] + 2;
  out.labelOnLabel = checkLayout(state, input, res).bad.filter((b) => b.startsWith("label"));
  console.log(JSON.stringify(out));
}

function main(files) {
  let failed = 0;
  for (const f of files) {
    const { name, doc, collapsed } = JSON.parse(readFileSync(f, "utf8"));
    const state = indexDoc(doc);
    const cache = new Map();
    for (const [label, set] of states(state, collapsed || [])) {
      const r = checkState(state, set, cache);
      if (r.bad.length) failed += 1;
      console.log(JSON.stringify({ doc: name, state: label, ...r, bad: r.bad.slice(0, 20), problems: r.bad.length }));
    }
  }
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "--self-test") selfTest();
  else main(process.argv.slice(2));
}
