// The visible graph: which nodes are drawn once plumbing is gone and groups are collapsed.
// Pure functions over a "sidebyside.graph/1" document, no DOM.

export const GROUP_PREFIX = "group:";

/** Index a document: nodes by id, groups by id (with parent links), edges as a list. */
export function indexDoc(doc) {
  const nodes = new Map();
  const groups = new Map();
  const edges = [];
  const state = { nodes, groups, edges, order: [] };
  addToIndex(state, doc.nodes || [], doc.edges || [], doc.groups || []);
  return state;
}

/** Add a batch (live append) to an index; returns the ids of nodes that were new. */
export function addToIndex(state, nodes, edges, groups) {
  for (const g of groups || []) {
    if (!state.groups.has(g.id)) state.groups.set(g.id, { ...g, size: 0 });
  }
  const fresh = [];
  for (const n of nodes || []) {
    if (state.nodes.has(n.id)) continue;
    state.nodes.set(n.id, n);
    state.order.push(n.id);
    fresh.push(n.id);
    if (n.group) ensureGroup(state, n.group);
    for (const gid of ancestry(state, n.group)) state.groups.get(gid).size += 1;
  }
  for (const e of edges || []) {
    if (state.nodes.has(e.source) && state.nodes.has(e.target)) state.edges.push(e);
  }
  return fresh;
}

function ensureGroup(state, gid) {
  if (state.groups.has(gid)) return;
  const cut = gid.lastIndexOf("/");
  const parent = cut > 0 ? gid.slice(0, cut) : null;
  if (parent) ensureGroup(state, parent);
  state.groups.set(gid, { id: gid, label: gid.slice(cut + 1), parent, size: 0 });
}

/** Group ids from the outermost to `gid` itself. */
export function ancestry(state, gid) {
  const chain = [];
  let g = gid;
  const seen = new Set();
  while (g && state.groups.has(g) && !seen.has(g)) {
    seen.add(g);
    chain.push(g);
    g = state.groups.get(g).parent;
  }
  return chain.reverse();
}

/** The id a node is drawn as: itself, or its outermost collapsed group. */
export function representative(state, nodeId, collapsed) {
  const n = state.nodes.get(nodeId);
  if (!n) return null;
  for (const gid of ancestry(state, n.group)) {
    if (collapsed.has(gid)) return GROUP_PREFIX + gid;
  }
  return nodeId;
}

/** Visible nodes (real or collapsed groups) and deduplicated edges between them. */
export function visibleGraph(state, collapsed) {
  const rep = new Map();
  const vnodes = new Map();
  for (const id of state.order) {
    const r = representative(state, id, collapsed);
    rep.set(id, r);
    if (!vnodes.has(r)) {
      if (r.startsWith(GROUP_PREFIX)) {
        const g = state.groups.get(r.slice(GROUP_PREFIX.length));
        vnodes.set(r, { id: r, collapsedGroup: g, kind: "group", members: 0 });
      } else {
        vnodes.set(r, { id: r, node: state.nodes.get(id), kind: state.nodes.get(id).kind });
      }
    }
    const v = vnodes.get(r);
    if (v.collapsedGroup) v.members += 1;
  }
  const vedges = new Map();
  for (const e of state.edges) {
    const s = rep.get(e.source);
    const t = rep.get(e.target);
    if (!s || !t || s === t) continue;
    const key = s + "\u2192" + t;
    const prev = vedges.get(key);
    if (prev) prev.count += 1;
    else vedges.set(key, { key, source: s, target: t, edge: e, count: 1 });
  }
  return { nodes: vnodes, edges: vedges, rep };
}

/** Expanded groups that contain at least one visible real node: drawn as boxes. */
export function expandedGroups(state, collapsed, vis) {
  const boxes = new Map();
  for (const v of vis.nodes.values()) {
    // A collapsed group sits inside its (open) parent groups, like a node.
    const home = v.node ? v.node.group : v.collapsedGroup.parent;
    for (const gid of ancestry(state, home)) {
      if (collapsed.has(gid)) break;
      if (!boxes.has(gid)) boxes.set(gid, []);
      boxes.get(gid).push(v.id);
    }
  }
  return boxes;
}

export function fmtShape(shape) {
  if (shape === null || shape === undefined) return "";
  return "[" + shape.map((d) => (d === null || d === undefined ? "?" : String(d))).join(", ") + "]";
}

export function nodeSubtitle(n) {
  const parts = [];
  if (n.shape) parts.push(fmtShape(n.shape));
  if (n.dtype) parts.push(n.dtype);
  if (n.device) parts.push(n.device);
  return parts.join(" ");
}
