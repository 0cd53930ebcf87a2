// Layout: a full layered layout with dagre, and a stable incremental placement for live appends
// (nodes already on screen never move; new ones go below their inputs).
import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import { GROUP_PREFIX, nodeSubtitle } from "./graph.js";

const CHAR_W = 6.6;
const NODE_SEP = 16;
const RANK_SEP = 30;
// Up to this many visible nodes dagre lays the graph out (with group clusters); above it a fast
// layered layout in linear time takes over (dagre needs ~1 s for 800 nodes), and group boxes are
// drawn around their members afterwards.
export const DAGRE_LIMIT = 150;

export function nodeLabel(v) {
  if (v.collapsedGroup) return (v.collapsedGroup.label || v.collapsedGroup.id) + " \u25b8";
  return v.node.label || v.node.op || v.node.id;
}

export function nodeSub(v) {
  if (v.collapsedGroup) return v.members + " nodes";
  return nodeSubtitle(v.node);
}

export function nodeSize(v) {
  const a = nodeLabel(v).length;
  const b = nodeSub(v).length * 0.9;
  const w = Math.max(44, Math.ceil(Math.max(a, b) * CHAR_W + 16));
  return { w: Math.min(w, 260), h: nodeSub(v) ? 34 : 22 };
}

/** Full layout of the visible graph. Returns {pos: Map id->{x,y,w,h}, points: Map key->[{x,y}]}. */
export function fullLayout(vis, boxes, state) {
  if (vis.nodes.size > DAGRE_LIMIT) return fastLayout(vis);
  const compound = boxes.size > 0;
  const g = new graphlib.Graph({ compound, multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 8, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const sizes = new Map();
  for (const v of vis.nodes.values()) {
    const s = nodeSize(v);
    sizes.set(v.id, s);
    g.setNode(v.id, { width: s.w, height: s.h });
  }
  if (compound) {
    for (const gid of boxes.keys()) g.setNode("cluster:" + gid, { paddingTop: 18 });
    for (const gid of boxes.keys()) {
      const parent = state.groups.get(gid).parent;
      if (parent && boxes.has(parent)) g.setParent("cluster:" + gid, "cluster:" + parent);
    }
    for (const v of vis.nodes.values()) {
      const gid = v.collapsedGroup ? v.collapsedGroup.parent : v.node.group;
      if (gid && boxes.has(gid)) g.setParent(v.id, "cluster:" + gid);
    }
  }
  for (const e of vis.edges.values()) g.setEdge(e.source, e.target);
  dagreLayout(g);
  const pos = new Map();
  for (const v of vis.nodes.values()) {
    const n = g.node(v.id);
    const s = sizes.get(v.id);
    pos.set(v.id, { x: n.x, y: n.y, w: s.w, h: s.h });
  }
  const points = new Map();
  for (const e of vis.edges.values()) {
    const le = g.edge(e.source, e.target);
    if (le && le.points) points.set(e.key, le.points);
  }
  return { pos, points };
}

/** Place new visible nodes without moving existing ones: below their inputs, or on the top row. */
export function placeNew(newIds, vis, pos) {
  const preds = new Map();
  for (const e of vis.edges.values()) {
    if (!preds.has(e.target)) preds.set(e.target, []);
    preds.get(e.target).push(e.source);
  }
  let top = Infinity;
  let right = -Infinity;
  for (const p of pos.values()) {
    top = Math.min(top, p.y - p.h / 2);
    right = Math.max(right, p.x + p.w / 2);
  }
  if (!isFinite(top)) top = 12;
  if (!isFinite(right)) right = 0;
  const placed = [...pos.values()];
  for (const id of newIds) {
    const v = vis.nodes.get(id);
    if (!v || pos.has(id)) continue;
    const s = nodeSize(v);
    const ps = (preds.get(id) || []).map((p) => pos.get(p)).filter(Boolean);
    let x;
    let y;
    if (ps.length) {
      y = Math.max(...ps.map((p) => p.y + p.h / 2)) + RANK_SEP + s.h / 2;
      x = ps.reduce((a, p) => a + p.x, 0) / ps.length;
    } else {
      y = top + s.h / 2;
      x = right + NODE_SEP + s.w / 2;
    }
    // Slide right until the spot is free.
    for (let guard = 0; guard < 500; guard++) {
      const hit = placed.find(
        (p) => Math.abs(p.y - y) < (p.h + s.h) / 2 + 4 && Math.abs(p.x - x) < (p.w + s.w) / 2 + NODE_SEP / 2,
      );
      if (!hit) break;
      x = hit.x + hit.w / 2 + NODE_SEP + s.w / 2;
    }
    const p = { x, y, w: s.w, h: s.h };
    pos.set(id, p);
    placed.push(p);
    right = Math.max(right, x + s.w / 2);
  }
}

/** Bounding boxes of expanded groups around their (visible) members, innermost drawn last. */
export function groupBoxes(boxes, pos, state) {
  const out = [];
  const depth = (gid) => {
    let d = 0;
    let g = state.groups.get(gid);
    while (g && g.parent) {
      d += 1;
      g = state.groups.get(g.parent);
    }
    return d;
  };
  for (const [gid, ids] of boxes) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const id of ids) {
      const p = pos.get(id);
      if (!p) continue;
      x0 = Math.min(x0, p.x - p.w / 2);
      y0 = Math.min(y0, p.y - p.h / 2);
      x1 = Math.max(x1, p.x + p.w / 2);
      y1 = Math.max(y1, p.y + p.h / 2);
    }
    if (!isFinite(x0)) continue;
    const d = depth(gid);
    const pad = 6;
    out.push({ id: gid, depth: d, x: x0 - pad, y: y0 - pad - 14, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad + 14 });
  }
  out.sort((a, b) => a.depth - b.depth);
  return out;
}

export function isGroupId(id) {
  return id.startsWith(GROUP_PREFIX);
}

/**
 * Fast layered layout for big graphs: longest-path ranks, then pulled down next to their first consumer, a few barycenter sweeps for the order inside each rank, then left-to-right packing.
 * Linear in nodes + edges per sweep. Edges are drawn as curves (no routing points).
 */
export function fastLayout(vis) {
  const ids = [...vis.nodes.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const preds = Array.from({ length: n }, () => []);
  const succs = Array.from({ length: n }, () => []);
  for (const e of vis.edges.values()) {
    const a = index.get(e.source);
    const b = index.get(e.target);
    if (a === undefined || b === undefined) continue;
    succs[a].push(b);
    preds[b].push(a);
  }
  // Topological order (Kahn); nodes left in cycles are appended in document order.
  const indeg = preds.map((p) => p.length);
  const order = [];
  const queue = [];
  for (let i = 0; i < n; i++) if (!indeg[i]) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    order.push(v);
    for (const w of succs[v]) if (--indeg[w] === 0) queue.push(w);
  }
  if (order.length < n) {
    const seen = new Set(order);
    for (let i = 0; i < n; i++) if (!seen.has(i)) order.push(i);
  }
  const pos = new Array(n).fill(0);
  order.forEach((v, k) => (pos[v] = k));
  const rank = new Array(n).fill(0);
  for (const v of order) for (const u of preds[v]) if (pos[u] < pos[v]) rank[v] = Math.max(rank[v], rank[u] + 1);
  // Then as late as possible: side branches (parameters, transposes...) sit just above their
  // first consumer instead of all on the top row. Moving a node down never passes a consumer.
  for (let k = order.length - 1; k >= 0; k--) {
    const v = order[k];
    let m = Infinity;
    for (const w of succs[v]) if (pos[w] > pos[v]) m = Math.min(m, rank[w]);
    if (isFinite(m) && m - 1 > rank[v]) rank[v] = m - 1;
  }
  const maxRank = Math.max(0, ...rank);
  const layers = Array.from({ length: maxRank + 1 }, () => []);
  for (const v of order) layers[rank[v]].push(v);
  const sizes = ids.map((id) => nodeSize(vis.nodes.get(id)));
  const x = new Array(n).fill(0);
  const pack = (layer, want) => {
    layer.sort((a, b) => want[a] - want[b]);
    let right = -Infinity;
    for (const v of layer) {
      const half = sizes[v].w / 2;
      const cx = Math.max(want[v], right + NODE_SEP + half);
      x[v] = cx;
      right = cx + half;
    }
    // Re-centre the row on what it wanted, so rows do not drift right.
    if (layer.length) {
      let shift = 0;
      for (const v of layer) shift += want[v] - x[v];
      shift /= layer.length;
      for (const v of layer) x[v] += shift;
    }
  };
  const bary = (v, nbrs, fallback) => {
    if (!nbrs.length) return fallback;
    let s = 0;
    for (const u of nbrs) s += x[u];
    return s / nbrs.length;
  };
  // Initial placement: document order, then sweeps down (by predecessors) and up (by successors).
  const want = new Array(n).fill(0);
  for (const layer of layers) {
    let acc = 0;
    for (const v of layer) {
      want[v] = acc + sizes[v].w / 2;
      acc += sizes[v].w + NODE_SEP;
    }
    pack(layer, want);
  }
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers : [...layers].reverse();
    for (const layer of seq) {
      for (const v of layer) want[v] = bary(v, down ? preds[v] : succs[v], x[v]);
      pack(layer, want);
    }
  }
  const out = new Map();
  let y = 12;
  let minX = Infinity;
  for (let i = 0; i < n; i++) minX = Math.min(minX, x[i] - sizes[i].w / 2);
  for (const layer of layers) {
    let h = 0;
    for (const v of layer) h = Math.max(h, sizes[v].h);
    for (const v of layer) out.set(ids[v], { x: x[v] - minX + 12, y: y + h / 2, w: sizes[v].w, h: sizes[v].h });
    y += h + RANK_SEP;
  }
  return { pos: out, points: new Map() };
}
