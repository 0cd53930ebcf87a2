// Live growth the way the view does it (index.js catchUp: extendVisible, then Placer.place per new
// node, boxes grown around it), on recordings written by tests/layout/live_docs.py:
//     node tests/layout/live_check.mjs REC.json [REC.json ...]
// After every batch it checks that no two group boxes that share a parent overlap, no two group
// labels overlap, no node overlaps another node or a box it is not in, and every box holds its
// nodes. A batch after which the placer found no free spot (`crowded`) is not drawn but laid out
// again, as the view does, and checked after that layout.
// Prints one JSON line per recording and exits 1 on any problem.
import { readFileSync } from "node:fs";
import { addToIndex, ancestry, extendVisible, homeGroup, indexDoc, visibleGraph } from "../../widgets/js/src/graph.js";
import { layoutRequest } from "../../widgets/js/src/layout.js";
import { nodeSize } from "../../widgets/js/src/measure.js";
import { Placer } from "../../widgets/js/src/placement.js";
import { layoutInput } from "../../widgets/js/src/request.js";

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
  return { vis, pos, homes, boxes, parents: new Map(groups) };
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
  const within = (home, g) => {
    for (let x = home, n = 0; x && n < 1000; x = parents.get(x) || "", n++) if (x === g) return true;
    return false;
  };
  const nodes = [...pos].map(([id, p]) => [id, { x: p.x - p.w / 2, y: p.y - p.h / 2, w: p.w, h: p.h }]);
  for (const [id, r] of nodes) {
    const home = homes.get(id) || "";
    for (const [gid, b] of boxes) {
      const inside = within(home, gid);
      if (!inside && meets(r, b)) bad.push(`node ${id} overlaps group ${gid}`);
      if (inside && (r.x < b.x || r.y < b.y || r.x + r.w > b.x + b.w || r.y + r.h > b.y + b.h)) bad.push(`node ${id} sticks out of group ${gid}`);
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

function replay({ name, doc, collapsed, batches }) {
  const state = indexDoc(doc);
  const shut = new Set(collapsed || []);
  let view = relayout(state, shut);
  let placer = null;
  let relayouts = 0;
  let placeMs = 0;
  const bad = [];
  batches.forEach((batch, k) => {
    addToIndex(state, batch.nodes, batch.edges, batch.groups);
    const ids = state.order.slice(view.seenNodes ?? view.vis.seenNodes);
    const es = state.edges.slice(view.seenEdges ?? view.vis.seenEdges);
    view.seenNodes = state.order.length;
    view.seenEdges = state.edges.length;
    const t0 = performance.now();
    const fresh = extendVisible(state, shut, view.vis, ids, es);
    if (!placer) placer = new Placer(view.pos, view.homes, view.boxes, view.parents);
    const inputs = new Map();
    for (const key of fresh.edges) {
      const e = view.vis.edges.get(key);
      if (!inputs.has(e.target)) inputs.set(e.target, []);
      inputs.get(e.target).push(e.source);
    }
    for (const id of fresh.nodes) {
      const v = view.vis.nodes.get(id);
      const ins = (inputs.get(id) || []).map((s) => view.pos.get(s)).filter(Boolean);
      const chain = ancestry(state, homeGroup(v)).filter((g) => !shut.has(g));
      view.pos.set(id, placer.place(nodeSize(v), ins, chain));
      view.homes.set(id, chain.length ? chain[chain.length - 1] : "");
      if (placer.crowded) break;
    }
    placeMs += performance.now() - t0;
    let now;
    if (placer.crowded) {
      // The view draws nothing of this batch and lays everything out again instead.
      relayouts += 1;
      view = relayout(state, shut);
      view.seenNodes = state.order.length;
      view.seenEdges = state.edges.length;
      placer = null;
      now = problems(state, view.pos, view.homes, new Map(view.boxes.map((b) => [b.id, b])), view.parents);
    } else now = problems(state, view.pos, view.homes, placer.boxes, placer.parents);
    for (const b of now) bad.push(`after batch ${k}: ${b}`);
  });
  const nodes = batches.reduce((n, b) => n + b.nodes.length, 0);
  return { rec: name, batches: batches.length, nodes, relayouts, placeMs: Math.round(placeMs), problems: bad.length, bad: bad.slice(0, 20) };
}

let failed = 0;
for (const f of process.argv.slice(2)) {
  const r = replay(JSON.parse(readFileSync(f, "utf8")));
  if (r.problems) failed += 1;
  console.log(JSON.stringify(r));
}
process.exit(failed ? 1 : 0);
