// Hierarchical layout, TensorBoard-style: every expanded group (and the top level) is laid out on
// its own, with its children (nodes, collapsed groups, and expanded child groups as boxes of their
// own size) as the only nodes. A group whose contents did not change reuses its cached layout, so
// expanding one group lays out that group and its ancestors only.
//
// Edges that cross a group's border enter through an "in" port at the group's top and leave through
// an "out" port at its bottom; at every level an edge is routed rank by rank through the gaps
// between boxes (vertical inside a rank band, across the empty gap between ranks), so long edges such
// as skip connections go around boxes, never through them. Edges against the flow (cycles: a module
// called twice, a collapsed group that both feeds and consumes a node) climb a lane of their own in
// the same way; edges past a level's routing budget run in a channel beside the whole level.
//
// Runs in a Web Worker (worker.js), never on the page's main thread.
//
// The engine is our own linear-time layered layout (fastLevel below). dagre was measured against it
// on the benchmark's real models (benchmarks/graph_render.py, "layout engines"): 10-900x slower
// per level with no visible gain here, so it is not bundled; bench-engines.mjs plugs it in with
// useEngine("dagre", dagreLevel) to keep measuring.
import { NODE_SEP, RANK_SEP } from "./measure.js";

export const PAD = 10; // group box padding (sides, bottom)
export const HEAD = 22; // group box header (its label)
export const MARGIN = 12;
export const IN = "\u0000in";
export const OUT = "\u0000out";
const engines = new Map();

/** Make another level-layout function available as req.engine = name (benchmarks only). */
export function useEngine(name, fn) {
  engines.set(name, fn);
}
const PORT_W = 6;
const PORT_GAP = 12;
const CACHE_LIMIT = 4000;

/**
 * Lay out a request: {items: [[id, w, h, home]], groups: [[gid, parent]], edges: [[s, t]], engine}.
 * `home` / `parent` are "" for the top level. Returns {x, y (Float64Array, per item),
 * boxes: [[gid, x, y, w, h]], routes: [flat point arrays per edge], width, height, laidOut}.
 */
export function layoutRequest(req, cache) {
  const engine = req.engine || "auto";
  const parentOf = new Map();
  const depth = new Map([["", 0]]);
  const levels = new Map([["", { id: "", children: [], edges: new Map(), inPort: false, outPort: false }]]);
  for (const [gid, parent] of req.groups) {
    parentOf.set(gid, parent || "");
    levels.set(gid, { id: gid, children: [], edges: new Map(), inPort: false, outPort: false });
  }
  // Depth of each level (iterative: nesting can be deep).
  for (const gid of parentOf.keys()) {
    const chain = [];
    let g = gid;
    while (g && !depth.has(g)) {
      chain.push(g);
      g = parentOf.has(g) ? parentOf.get(g) : "";
    }
    let d = depth.get(g || "");
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i], ++d);
  }
  for (const [gid, parent] of req.groups) {
    const lv = levels.get(levels.has(parent) ? parent : "");
    lv.children.push({ id: gid, group: true });
  }
  const size = new Map();
  const homeOf = new Map();
  for (const [id, w, h, home] of req.items) {
    const lv = levels.get(levels.has(home) ? home : "");
    homeOf.set(id, lv.id);
    size.set(id, { w, h });
    lv.children.push({ id, group: false });
  }
  const chainOf = (level) => {
    const c = [];
    let g = level;
    while (g) {
      c.push(g);
      g = parentOf.get(g) || "";
    }
    c.push("");
    return c.reverse();
  };
  // Split each edge into per-level pieces: out of its source's groups, across the lowest common
  // level, into its target's groups.
  const pieces = [];
  for (const [s, t] of req.edges) {
    const hs = homeOf.get(s);
    const ht = homeOf.get(t);
    if (hs === undefined || ht === undefined) {
      pieces.push(null);
      continue;
    }
    const cs = chainOf(hs);
    const ct = chainOf(ht);
    let l = 0;
    while (l + 1 < cs.length && l + 1 < ct.length && cs[l + 1] === ct[l + 1]) l++;
    const segs = [];
    for (let j = cs.length - 1; j > l; j--) segs.push([cs[j], j + 1 < cs.length ? cs[j + 1] : s, OUT]);
    segs.push([cs[l], l + 1 < cs.length ? cs[l + 1] : s, l + 1 < ct.length ? ct[l + 1] : t]);
    for (let j = l + 1; j < ct.length; j++) segs.push([ct[j], IN, j + 1 < ct.length ? ct[j + 1] : t]);
    for (const [lv, a, b] of segs) {
      const L = levels.get(lv);
      L.edges.set(a + "\u0001" + b, [a, b]);
      if (a === OUT || b === OUT) L.outPort = true;
      if (a === IN || b === IN) L.inPort = true;
    }
    pieces.push(segs);
  }
  // Bottom-up: deepest levels first, each group's size known before its parent is laid out.
  const order = [...levels.keys()].sort((a, b) => depth.get(b) - depth.get(a));
  const local = new Map();
  let laidOut = 0;
  for (const lid of order) {
    const L = levels.get(lid);
    const kids = L.children.map((c) => ({ id: c.id, ...(size.get(c.id) || { w: 40, h: 22 }) }));
    const edges = [...L.edges.values()];
    const sig = JSON.stringify([engine, L.inPort, L.outPort, kids.map((k) => [k.id, k.w, k.h]), edges]);
    const ck = (req.view || "") + "\u0002" + lid; // views share the worker: keep their caches apart
    let res = cache && cache.get(ck);
    if (!res || res.sig !== sig) {
      res = layoutLevel(kids, edges, L.inPort, L.outPort, engine);
      res.sig = sig;
      laidOut += 1;
      if (cache) {
        if (cache.size > CACHE_LIMIT) cache.clear();
        cache.set(ck, res);
      }
    }
    local.set(lid, res);
    if (lid !== "") size.set(lid, { w: res.width + 2 * PAD, h: res.height + HEAD + PAD });
  }
  // Top-down: absolute offsets of every level's content.
  const offset = new Map([["", { x: MARGIN, y: MARGIN }]]);
  const boxes = [];
  for (const lid of [...order].reverse()) {
    const off = offset.get(lid);
    const res = local.get(lid);
    for (const c of levels.get(lid).children) {
      if (!c.group) continue;
      const p = res.pos.get(c.id);
      const s = size.get(c.id);
      const bx = off.x + p.x - s.w / 2;
      const by = off.y + p.y - s.h / 2;
      boxes.push([c.id, bx, by, s.w, s.h, depth.get(c.id)]);
      offset.set(c.id, { x: bx + PAD, y: by + HEAD });
    }
  }
  const x = new Float64Array(req.items.length);
  const y = new Float64Array(req.items.length);
  req.items.forEach(([id], i) => {
    const lid = homeOf.get(id);
    const p = local.get(lid).pos.get(id);
    const off = offset.get(lid);
    x[i] = off.x + p.x;
    y[i] = off.y + p.y;
  });
  const routes = pieces.map((segs) => (segs ? composeRoute(segs, local, offset) : null));
  const root = local.get("");
  return { x, y, boxes, routes, width: root.width + 2 * MARGIN, height: root.height + 2 * MARGIN, laidOut, levels: levels.size };
}

/** Join an edge's per-level pieces into one polyline (flat [x0, y0, x1, y1, ...], absolute). */
function composeRoute(segs, local, offset) {
  const out = [];
  let exitX = null; // where the edge left the group it came out of (absolute x)
  for (let i = 0; i < segs.length; i++) {
    const [lid, a, b] = segs[i];
    const res = local.get(lid);
    const r = res.routes.get(a + "\u0001" + b);
    if (!r) return null;
    const off = offset.get(lid);
    const pts = [];
    for (let k = 0; k < r.length; k += 2) pts.push([r[k] + off.x, r[k + 1] + off.y]);
    // Leaving a group: continue straight down from its out port; entering one: aim at its in port.
    if (exitX !== null && pts.length >= 2 && a !== IN) {
      pts[0][0] = exitX;
      pts[1][0] = exitX;
    }
    const next = segs[i + 1];
    if (next && next[1] === IN && pts.length >= 2) {
      const nres = local.get(next[0]);
      const inp = nres.pos.get(IN);
      if (inp) {
        const ix = inp.x + offset.get(next[0]).x;
        pts[pts.length - 1][0] = ix;
        pts[pts.length - 2][0] = ix;
      }
    }
    if (b === OUT) {
      const op = res.pos.get(OUT);
      exitX = op.x + off.x;
      // Down to the group's bottom border.
      const gbottom = off.y + res.height + PAD;
      pts.push([exitX, gbottom]);
    } else exitX = null;
    if (a === IN && out.length) {
      // From the group's top border down to the in port.
      const ip = res.pos.get(IN);
      pts.unshift([ip.x + off.x, off.y - HEAD]);
    }
    for (const p of pts) {
      const n = out.length;
      if (n >= 2 && Math.abs(out[n - 2] - p[0]) < 0.01 && Math.abs(out[n - 1] - p[1]) < 0.01) continue;
      out.push(p[0], p[1]);
    }
  }
  return out;
}

/** Lay out one level: children [{id, w, h}], edges [[a, b]] (a/b may be the ports). */
export function layoutLevel(kids, edges, inPort, outPort, engine) {
  const nodes = kids.slice();
  if (inPort) nodes.push({ id: IN, w: PORT_W, h: 2 });
  if (outPort) nodes.push({ id: OUT, w: PORT_W, h: 2 });
  const other = engines.get(engine);
  const r = other ? other(nodes, edges, inPort, outPort) : fastLevel(nodes, edges, inPort, outPort);
  // Normalise to a top-left origin at (0, 0).
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of r.pos.values()) {
    x0 = Math.min(x0, p.x - p.w / 2);
    y0 = Math.min(y0, p.y - p.h / 2);
    x1 = Math.max(x1, p.x + p.w / 2);
    y1 = Math.max(y1, p.y + p.h / 2);
  }
  const back = r.back || new Map();
  for (const pts of r.dummies.values()) {
    for (const d of pts) {
      x0 = Math.min(x0, d.x - 4);
      x1 = Math.max(x1, d.x + 4);
    }
  }
  // A back edge's lane and the gaps it turns in (above its target's row, below its source's) may
  // lie outside the boxes: the level grows to hold them.
  for (const b of back.values()) {
    for (const d of b.lane) {
      x0 = Math.min(x0, d.x - 4);
      x1 = Math.max(x1, d.x + 4);
    }
    y0 = Math.min(y0, b.above - 2);
    y1 = Math.max(y1, b.below + 2);
  }
  if (!isFinite(x0)) {
    x0 = y0 = 0;
    x1 = y1 = 0;
  }
  // Channels beside everything for the edges routed around the level (spread a little apart).
  const side = r.side || new Map();
  let nl = 0;
  let nr = 0;
  for (const sd of side.values()) {
    sd.x = sd.right ? x1 + 10 + 3 * (nr++ % 8) : x0 - 10 - 3 * (nl++ % 8);
    y0 = Math.min(y0, sd.above - 2);
    y1 = Math.max(y1, sd.below + 2);
  }
  for (const sd of side.values()) {
    x0 = Math.min(x0, sd.x - 4);
    x1 = Math.max(x1, sd.x + 4);
  }
  for (const sd of side.values()) {
    sd.x -= x0;
    sd.above -= y0;
    sd.below -= y0;
  }
  for (const p of r.pos.values()) {
    p.x -= x0;
    p.y -= y0;
  }
  for (const pts of r.dummies.values()) {
    for (const d of pts) {
      d.x -= x0;
      d.y -= y0;
    }
  }
  for (const b of back.values()) {
    for (const d of b.lane) {
      d.x -= x0;
      d.y -= y0;
    }
    b.above -= y0;
    b.below -= y0;
  }
  // Rank bands: the vertical extent of the tallest box in each row.
  const band = new Map();
  for (const [id, p] of r.pos) {
    if (id === IN || id === OUT) continue;
    const k = Math.round(p.y);
    band.set(k, Math.max(band.get(k) || 0, p.h / 2));
  }
  const half = (yy, fallback) => {
    const h = band.get(Math.round(yy));
    return h === undefined ? fallback : h;
  };
  const routes = new Map();
  for (const [a, b] of edges) {
    const s = r.pos.get(a);
    const t = r.pos.get(b);
    if (!s || !t) continue;
    const key = a + "\u0001" + b;
    const ds = r.dummies.get(key) || [];
    const bk = back.get(key);
    const sd = side.get(key);
    const pts = [];
    if (sd) {
      // Around the level: into the gap below the source's row, out to a channel beside every box,
      // along it to the gap above the target's row, and in.
      pts.push(s.x, s.y + s.h / 2, s.x, sd.below, sd.x, sd.below, sd.x, sd.above, t.x, sd.above, t.x, t.y - t.h / 2);
    } else if (bk) {
      // Against the flow (a cycle, e.g. a module called twice, or a collapsed group that both
      // feeds and consumes a node): out of the source's bottom into the gap below its row, up a
      // lane of its own beside the rows in between, across the gap above the target's row and
      // into the target's top, like every other edge.
      const lane = bk.lane;
      const last = lane[lane.length - 1];
      pts.push(s.x, s.y + s.h / 2, s.x, bk.below, last.x, bk.below);
      for (let k = lane.length - 1; k >= 0; k--) {
        const d = lane[k];
        pts.push(d.x, d.y + half(d.y, 0), d.x, d.y - half(d.y, 0));
      }
      pts.push(lane[0].x, bk.above, t.x, bk.above, t.x, t.y - t.h / 2);
    } else if (s.y < t.y) {
      pts.push(s.x, s.y + s.h / 2, s.x, s.y + half(s.y, s.h / 2));
      for (const d of ds) pts.push(d.x, d.y - half(d.y, 0), d.x, d.y + half(d.y, 0));
      pts.push(t.x, t.y - half(t.y, t.h / 2), t.x, t.y - t.h / 2);
    } else {
      // Only when a level has more long edges than its routing budget: a plain line.
      pts.push(s.x, s.y + s.h / 2, t.x, t.y - t.h / 2);
    }
    routes.set(key, pts);
  }
  return { pos: r.pos, routes, width: x1 - x0, height: y1 - y0 };
}

/**
 * Linear-time layered layout for big levels: longest-path ranks (pulled down next to their first
 * consumer), one routing point per crossed rank, a few barycenter sweeps, left-to-right packing.
 */
export function fastLevel(nodes, edges, inPort, outPort) {
  const n0 = nodes.length;
  const ids = nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = Array.from({ length: n0 }, () => []);
  const succs = Array.from({ length: n0 }, () => []);
  const E = [];
  for (const [a, b] of edges) {
    const u = index.get(a);
    const v = index.get(b);
    if (u === undefined || v === undefined || u === v) continue;
    succs[u].push(v);
    preds[v].push(u);
    E.push([u, v, a + "\u0001" + b]);
  }
  const indeg = preds.map((p) => p.length);
  const order = [];
  const queue = [];
  for (let i = 0; i < n0; i++) if (!indeg[i]) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    order.push(v);
    for (const w of succs[v]) if (--indeg[w] === 0) queue.push(w);
  }
  if (order.length < n0) {
    const seen = new Set(order);
    for (let i = 0; i < n0; i++) if (!seen.has(i)) order.push(i);
  }
  const topo = new Array(n0).fill(0);
  order.forEach((v, k) => (topo[v] = k));
  const inI = inPort ? index.get(IN) : -1;
  const outI = outPort ? index.get(OUT) : -1;
  const rank = new Array(n0).fill(0);
  for (const v of order) for (const u of preds[v]) if (topo[u] < topo[v]) rank[v] = Math.max(rank[v], rank[u] + 1);
  for (let k = order.length - 1; k >= 0; k--) {
    const v = order[k];
    if (v === inI) continue;
    let m = Infinity;
    for (const w of succs[v]) if (topo[w] > topo[v]) m = Math.min(m, rank[w]);
    if (isFinite(m) && m - 1 > rank[v]) rank[v] = m - 1;
  }
  if (inI >= 0) {
    for (let i = 0; i < n0; i++) if (i !== inI) rank[i] += 1;
    rank[inI] = 0;
  }
  if (outI >= 0) {
    let m = 0;
    for (let i = 0; i < n0; i++) if (i !== outI) m = Math.max(m, rank[i]);
    rank[outI] = m + 1;
  }
  // Routing points: one dummy per crossed rank (capped, so a pathological level stays linear).
  const w = nodes.map((n) => n.w);
  const h = nodes.map((n) => n.h);
  const chains = new Map();
  let budget = 4 * n0 + 1000;
  const allPreds = preds.map((p) => p.slice());
  const allSuccs = succs.map((s) => s.slice());
  const rk = rank.slice();
  const back = new Map(); // edge key -> its lane (dummy ids, top row first)
  const outer = []; // edges past the budget: routed around the whole level instead
  for (const [u, v, key] of E) {
    if (rank[v] <= rank[u]) {
      // A back edge (cycle): one dummy in every row from the target's down to the source's, so
      // the edge climbs in a lane of its own instead of cutting through the rows in between.
      const span = rank[u] - rank[v] + 1;
      if (span > budget) {
        outer.push([u, v, key]);
        continue;
      }
      budget -= span;
      const lane = [];
      for (let r = rank[v]; r <= rank[u]; r++) {
        const d = w.length;
        const prev = lane.length ? lane[lane.length - 1] : -1;
        w.push(4);
        h.push(0);
        rk.push(r);
        // Pulled towards the target at the top and the source at the bottom; the ends keep no
        // link to the lane (it would drag them sideways).
        allPreds.push(prev >= 0 ? [prev] : [v]);
        allSuccs.push([]);
        if (prev >= 0) allSuccs[prev].push(d);
        lane.push(d);
      }
      allSuccs[lane[lane.length - 1]].push(u);
      back.set(key, lane);
      continue;
    }
    const span = rank[v] - rank[u];
    if (span <= 1) continue;
    if (span - 1 > budget) {
      outer.push([u, v, key]);
      continue;
    }
    budget -= span - 1;
    const chain = [];
    let prev = u;
    for (let r = rank[u] + 1; r < rank[v]; r++) {
      const d = w.length;
      w.push(4);
      h.push(0);
      rk.push(r);
      allPreds.push([prev]);
      allSuccs.push([]);
      allSuccs[prev].push(d);
      chain.push(d);
      prev = d;
    }
    allSuccs[prev].push(v);
    allPreds[v].push(prev);
    chains.set(key, chain);
  }
  const N = w.length;
  let maxRank = 0;
  for (let i = 0; i < N; i++) maxRank = Math.max(maxRank, rk[i]);
  const layers = Array.from({ length: maxRank + 1 }, () => []);
  for (const v of order) layers[rk[v]].push(v);
  for (let d = n0; d < N; d++) layers[rk[d]].push(d);
  const x = new Array(N).fill(0);
  const sep = (v) => (v >= n0 ? 8 : NODE_SEP);
  const pack = (layer, want) => {
    layer.sort((a, b) => want[a] - want[b]);
    let right = -Infinity;
    for (const v of layer) {
      const half = w[v] / 2;
      const cx = Math.max(want[v], right + sep(v) + half);
      x[v] = cx;
      right = cx + half;
    }
    if (layer.length) {
      let shift = 0;
      for (const v of layer) shift += want[v] - x[v];
      shift /= layer.length;
      for (const v of layer) x[v] += shift;
    }
  };
  const want = new Array(N).fill(0);
  for (const layer of layers) {
    let acc = 0;
    for (const v of layer) {
      want[v] = acc + w[v] / 2;
      acc += w[v] + sep(v);
    }
    pack(layer, want);
  }
  const bary = (nbrs, fallback) => {
    if (!nbrs.length) return fallback;
    let s = 0;
    for (const u of nbrs) s += x[u];
    return s / nbrs.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers : [...layers].reverse();
    for (const layer of seq) {
      for (const v of layer) want[v] = bary(down ? allPreds[v] : allSuccs[v], x[v]);
      pack(layer, want);
    }
  }
  const pos = new Map();
  const yc = new Array(N).fill(0);
  // Rows holding only a port sit closer to their neighbours: they carry edges, not boxes.
  const portRow = (layer) => layer.length === 1 && (layer[0] === inI || layer[0] === outI);
  // Each row's top and bottom, and the middle of the gap below it (back edges turn there).
  const top = new Array(layers.length).fill(0);
  const gapBelow = new Array(layers.length).fill(0);
  const gapSize = new Array(layers.length).fill(RANK_SEP);
  let yy = 0;
  layers.forEach((layer, i) => {
    let lh = 0;
    for (const v of layer) lh = Math.max(lh, h[v]);
    for (const v of layer) yc[v] = yy + lh / 2;
    const next = layers[i + 1];
    const gap = portRow(layer) || (next && portRow(next)) ? PORT_GAP : RANK_SEP;
    top[i] = yy;
    gapBelow[i] = yy + lh + gap / 2;
    gapSize[i] = gap;
    yy += lh + gap;
  });
  for (let i = 0; i < n0; i++) pos.set(ids[i], { x: x[i], y: yc[i], w: w[i], h: h[i] });
  const dummies = new Map();
  for (const [key, chain] of chains) dummies.set(key, chain.map((d) => ({ x: x[d], y: yc[d] })));
  // Edges that turn in the same gap are spread a few pixels apart (never onto the rows' edges).
  let k = 0;
  const spread = (gap) => ((k % 5) - 2) * Math.min(3, gap / 6);
  const gapAbove = (r) => (r > 0 ? gapBelow[r - 1] + spread(gapSize[r - 1]) : top[0] - RANK_SEP / 2 + spread(RANK_SEP));
  const lanes = new Map();
  for (const [key, lane] of back) {
    const r0 = rk[lane[0]];
    const r1 = rk[lane[lane.length - 1]];
    lanes.set(key, { lane: lane.map((d) => ({ x: x[d], y: yc[d] })), above: gapAbove(r0), below: gapBelow[r1] + spread(gapSize[r1]) });
    k++;
  }
  // Edges past the budget run down (or up) beside the level, on the side nearer to them.
  const side = new Map();
  let xmin = Infinity;
  let xmax = -Infinity;
  for (let i = 0; i < N; i++) {
    xmin = Math.min(xmin, x[i] - w[i] / 2);
    xmax = Math.max(xmax, x[i] + w[i] / 2);
  }
  for (const [u, v, key] of outer) {
    side.set(key, { right: x[u] + x[v] >= xmin + xmax, above: gapAbove(rk[v]), below: gapBelow[rk[u]] + spread(gapSize[rk[u]]) });
    k++;
  }
  return { pos, dummies, back: lanes, side };
}
