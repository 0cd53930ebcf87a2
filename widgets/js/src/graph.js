// The visible graph: which boxes are drawn once plumbing is gone, groups are collapsed and repeated
// blocks are folded into one "BasicBlock ×8" box. Pure functions over a "sidebyside.graph/1"
// document, no DOM; shared by the main thread and the layout worker.

export const GROUP_PREFIX = "group:";
export const FAMILY_PREFIX = "family:";

/** Index a document: nodes by id, groups by id (with parent links), edges as a list. */
export function indexDoc(doc) {
  const nodes = new Map();
  const groups = new Map();
  const edges = [];
  const state = { nodes, groups, edges, order: [] };
  addToIndex(state, doc.nodes || [], doc.edges || [], doc.groups || []);
  return state;
}

// Big documents are indexed in slices of about this many milliseconds, with `pause()` (a promise
// that lets the page render and answer input) between slices.
const SLICE_MS = 8;
const STEP = 256;

async function sliced(items, fn, pause, cancelled) {
  let i = 0;
  while (i < items.length) {
    const t = performance.now();
    while (i < items.length && performance.now() - t < SLICE_MS) {
      const j = Math.min(items.length, i + STEP);
      fn(items.slice(i, j));
      i = j;
    }
    if (i < items.length) {
      await pause();
      if (cancelled()) return false;
    }
  }
  return true;
}

/** indexDoc without blocking the page on big documents; resolves null if cancelled() meanwhile. */
export async function indexDocSliced(doc, pause, cancelled) {
  const state = { nodes: new Map(), groups: new Map(), edges: [], order: [] };
  addToIndex(state, [], [], doc.groups || []);
  if (!(await sliced(doc.nodes || [], (ns) => addToIndex(state, ns, [], []), pause, cancelled))) return null;
  if (!(await sliced(doc.edges || [], (es) => addToIndex(state, [], es, []), pause, cancelled))) return null;
  return state;
}

/** visibleGraph without blocking the page: covers the nodes and edges indexed when it started. */
export async function visibleGraphSliced(state, collapsed, unfolded, pause, cancelled) {
  const families = activeFamilies(state, collapsed, unfolded);
  const vis = { nodes: new Map(), edges: new Map(), rep: new Map(), families };
  const order = state.order.slice();
  const edges = state.edges.slice();
  if (!(await sliced(order, (ids) => extendVisible(state, collapsed, vis, ids, []), pause, cancelled))) return null;
  if (!(await sliced(edges, (es) => extendVisible(state, collapsed, vis, [], es), pause, cancelled))) return null;
  vis.seenNodes = order.length;
  vis.seenEdges = edges.length;
  return vis;
}

/** Add a batch (live append) to an index; returns the ids of nodes that were new. */
export function addToIndex(state, nodes, edges, groups) {
  for (const g of groups || []) {
    const known = state.groups.get(g.id);
    if (!known) {
      state.groups.set(g.id, { ...g, size: 0 });
      state.chains = null; // a new group can be a missing link in a cached chain
    } else if (JSON.stringify(known.repeat || null) !== JSON.stringify(g.repeat || null)) {
      // A live recording marks its repeated blocks when it ends (group.repeat): the families
      // change, so the view needs a full layout rather than an incremental one.
      known.repeat = g.repeat || null;
      state.regrouped = true;
    }
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
  const added = [];
  for (const e of edges || []) {
    if (state.nodes.has(e.source) && state.nodes.has(e.target)) {
      state.edges.push(e);
      added.push(e);
    }
  }
  state.lastEdges = added;
  return fresh;
}

function ensureGroup(state, gid) {
  // Iterative: a group id may be nested thousands deep ("a/b/c/..."), never recurse on it.
  const missing = [];
  let g = gid;
  while (g && !state.groups.has(g)) {
    missing.push(g);
    const cut = g.lastIndexOf("/");
    g = cut > 0 ? g.slice(0, cut) : null;
  }
  if (missing.length) state.chains = null;
  for (const id of missing) {
    const cut = id.lastIndexOf("/");
    state.groups.set(id, { id, label: id.slice(cut + 1), parent: cut > 0 ? id.slice(0, cut) : null, size: 0 });
  }
}

/** Group ids from the outermost to `gid` itself (cached per group: do not modify the array). */
export function ancestry(state, gid) {
  if (!gid) return [];
  if (!state.chains) state.chains = new Map();
  let chain = state.chains.get(gid);
  if (!chain) {
    chain = ancestryOf(state, gid);
    state.chains.set(gid, chain);
  }
  return chain;
}

function ancestryOf(state, gid) {
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

/** The class name of a group ("BasicBlock"), from group.type or a "name (Type)" label. */
export function groupType(g) {
  if (!g) return "";
  if (g.type) return g.type;
  const m = /\(([^()]+)\)\s*$/.exec(g.label || "");
  return m ? m[1] : "";
}

/**
 * Repeat families folded into one box: group id -> family id. A family (siblings sharing
 * group.repeat.key) folds when at least two of its members are present, all of them are collapsed,
 * and it was not unfolded by a click.
 */
export function activeFamilies(state, collapsed, unfolded) {
  const fams = new Map();
  for (const g of state.groups.values()) {
    if (!g.repeat || g.repeat.key === undefined || g.repeat.key === null || !g.size) continue;
    const fid = FAMILY_PREFIX + (g.parent || "") + "|" + g.repeat.key;
    if (!fams.has(fid)) fams.set(fid, []);
    fams.get(fid).push(g.id);
  }
  const out = new Map();
  for (const [fid, members] of fams) {
    if (members.length < 2 || (unfolded && unfolded.has(fid))) continue;
    if (!members.every((m) => collapsed.has(m))) continue;
    for (const m of members) out.set(m, fid);
  }
  return out;
}

/** The id a node is drawn as: itself, its outermost collapsed group, or that group's family. */
export function representative(state, nodeId, collapsed, families) {
  const n = state.nodes.get(nodeId);
  if (!n) return null;
  for (const gid of ancestry(state, n.group)) {
    if (collapsed.has(gid)) {
      const f = families && families.get(gid);
      if (f) return f;
      // A collapsed group of one node (a Conv2d module around its one conv op) shows the node.
      return state.groups.get(gid).size > 1 ? GROUP_PREFIX + gid : nodeId;
    }
  }
  return nodeId;
}

function visibleNodeFor(state, r, id, families) {
  if (r.startsWith(FAMILY_PREFIX)) {
    const members = [...families].filter(([, f]) => f === r).map(([g]) => state.groups.get(g));
    const first = members[0];
    return { id: r, kind: "group", family: { id: r, members, parent: first.parent, type: groupType(first), key: first.repeat.key }, members: 0 };
  }
  if (r.startsWith(GROUP_PREFIX)) {
    const g = state.groups.get(r.slice(GROUP_PREFIX.length));
    return { id: r, collapsedGroup: g, kind: "group", members: 0 };
  }
  return { id: r, node: state.nodes.get(id), kind: state.nodes.get(id).kind };
}

/** Visible nodes (real, collapsed groups, folded families) and deduplicated edges between them. */
export function visibleGraph(state, collapsed, unfolded) {
  const families = activeFamilies(state, collapsed, unfolded);
  const vis = { nodes: new Map(), edges: new Map(), rep: new Map(), families };
  extendVisible(state, collapsed, vis, state.order, state.edges);
  vis.seenNodes = state.order.length;
  vis.seenEdges = state.edges.length;
  return vis;
}

/**
 * Add nodes and edges to a visible graph in place (live growth): the cost grows with the batch,
 * not with the graph. Returns {nodes, edges}: the visible node ids and edge keys that are new.
 */
export function extendVisible(state, collapsed, vis, nodeIds, edges) {
  const fresh = [];
  const freshEdges = [];
  for (const id of nodeIds) {
    const r = representative(state, id, collapsed, vis.families);
    vis.rep.set(id, r);
    let v = vis.nodes.get(r);
    if (!v) {
      v = visibleNodeFor(state, r, id, vis.families);
      vis.nodes.set(r, v);
      fresh.push(r);
    }
    if (v.kind === "group") v.members += 1;
  }
  for (const e of edges) {
    const s = vis.rep.get(e.source);
    const t = vis.rep.get(e.target);
    if (!s || !t || s === t) continue;
    const key = s + "\u2192" + t;
    const prev = vis.edges.get(key);
    if (prev) prev.count += 1;
    else {
      vis.edges.set(key, { key, source: s, target: t, edge: e, count: 1 });
      freshEdges.push(key);
    }
  }
  return { nodes: fresh, edges: freshEdges };
}

/** The expanded group a visible node sits in (null at the top level). */
export function homeGroup(v) {
  if (v.node) return v.node.group || null;
  if (v.family) return v.family.parent || null;
  return v.collapsedGroup.parent || null;
}

/**
 * Expanded groups drawn as boxes: gid -> [visible ids inside]. A group around a single node gets no
 * box of its own (the node stands for it), so leaf modules do not add a frame per op.
 */
export function expandedGroups(state, collapsed, vis) {
  const boxes = new Map();
  for (const v of vis.nodes.values()) {
    for (const gid of ancestry(state, homeGroup(v))) {
      if (collapsed.has(gid)) break;
      if (!boxes.has(gid)) boxes.set(gid, []);
      boxes.get(gid).push(v.id);
    }
  }
  for (const [gid, ids] of boxes) if (ids.length < 2 && ids[0] && !ids[0].startsWith(GROUP_PREFIX) && !ids[0].startsWith(FAMILY_PREFIX)) boxes.delete(gid);
  return boxes;
}

/** The box a visible node is drawn in: its innermost expanded group that has a box ("" if none). */
export function boxHome(state, v, boxes) {
  let g = homeGroup(v);
  const seen = new Set();
  while (g && !boxes.has(g) && !seen.has(g)) {
    seen.add(g);
    const grp = state.groups.get(g);
    g = grp ? grp.parent : null;
  }
  return g && boxes.has(g) ? g : "";
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
