// Live growth: edges routed around boxes on the main thread, as the layout does it (layout.js), for
// the nodes a Placer (placement.js) puts on screen between two layouts.
//
// A new edge leaves its source's bottom, turns in the gap below it, runs down (or up, against the
// flow) a vertical lane clear of every node and group box that is not one of its ends or a box
// holding one, turns in the gap above its target and enters its top. A node placed on an edge
// already drawn, or a group box grown over one, re-routes that edge the same way. Every query goes
// through the Placer's row index and a grid of the drawn edges' segments, so the cost grows with the
// batch and the edges it touches, not with the graph.

const CLEAR = 3; // the least space kept between an edge and a foreign node or box
const CELL = 64; // row band height and column width (px) of the edge segment grid
const SPAN = 1024; // ... and the length of its cells along the band or column
const TURNS = [15, 8, 4]; // distances (px) from an end at which an edge may turn
const SLIDES = 16; // lane moves tried sideways, each way, before giving up on a turn pair

export class LiveRouter {
  /**
   * placer: the Placer holding the nodes and boxes on screen; pos: id -> {x, y, w, h}; homes: id ->
   * the box a node is drawn in; routes: edge key -> flat points (updated in place); edges: the
   * visible edges ({key, source, target}) drawn so far.
   */
  constructor(placer, pos, homes, routes, edges) {
    this.placer = placer;
    this.pos = pos;
    this.homes = homes;
    this.routes = routes;
    this.rowBands = new Map(); // segment grid: "band:cell" -> [key, points, index] (flat segments)
    this.columns = new Map(); // ... "column:cell" -> the same (steep segments)
    this.edges = new Map();
    this.boxBands = new Map(); // row band -> ids of the group boxes that reach into it
    for (const [id, b] of placer.boxes) this.indexBox(id, b);
    for (const e of edges) {
      this.edges.set(e.key, e);
      const pts = routes.get(e.key);
      if (pts && pts.length >= 4) this.index(e.key, pts);
    }
    this.seenPlaced = placer.placed.length;
  }

  /**
   * A flat segment goes in the cells of the row bands (CELL high, SPAN wide) it meets, a steep one
   * in those of the columns (CELL wide, SPAN high): a few entries each, however long (a layout's
   * routes on a big graph run tens of thousands of px), and a query looks at few segments.
   */
  index(key, pts) {
    for (let k = 0; k + 3 < pts.length; k += 2) {
      const entry = [key, pts, k];
      const x0 = Math.min(pts[k], pts[k + 2]);
      const x1 = Math.max(pts[k], pts[k + 2]);
      const y0 = Math.min(pts[k + 1], pts[k + 3]);
      const y1 = Math.max(pts[k + 1], pts[k + 3]);
      const flat = Math.floor(y1 / CELL) - Math.floor(y0 / CELL) <= Math.floor(x1 / CELL) - Math.floor(x0 / CELL);
      const [map, a0, a1, b0, b1] = flat ? [this.rowBands, y0, y1, x0, x1] : [this.columns, x0, x1, y0, y1];
      for (let i = Math.floor(a0 / CELL); i <= Math.floor(a1 / CELL); i++) {
        for (let j = Math.floor(b0 / SPAN); j <= Math.floor(b1 / SPAN); j++) {
          const c = i + ":" + j;
          const list = map.get(c);
          if (list) list.push(entry);
          else map.set(c, [entry]);
        }
      }
    }
  }

  indexBox(id, r) {
    for (let j = Math.floor(r.y / CELL); j <= Math.floor((r.y + r.h) / CELL); j++) {
      const set = this.boxBands.get(j);
      if (set) set.add(id);
      else this.boxBands.set(j, new Set([id]));
    }
  }

  /** Boxes an edge may pass through: those holding either of its ends. */
  own(e) {
    const out = new Set();
    const parents = this.placer.parents;
    for (const id of [e.source, e.target]) {
      for (let g = this.homes.get(id) || "", n = 0; g && n < 1000 && !out.has(g); g = parents.get(g) || "", n++) out.add(g);
    }
    return out;
  }

  /**
   * Route the new edges (keys) and re-route the drawn ones that a node or box placed since the last
   * call now covers. Returns the keys whose route changed, or null when some edge found no way
   * around (the caller lays the view out again).
   */
  update(keys, edgeOf) {
    const todo = new Set();
    for (const key of keys) {
      this.edges.set(key, edgeOf(key));
      todo.add(key);
    }
    const placed = this.placer.placed;
    for (let i = this.seenPlaced; i < placed.length; i++) {
      const r = placed[i];
      if (r.gid) this.indexBox(r.gid, r);
      for (const key of this.crossing(r)) {
        if (todo.has(key)) continue;
        const e = this.edges.get(key);
        if (r.node ? r.node === this.pos.get(e.source) || r.node === this.pos.get(e.target) : this.own(e).has(r.gid)) continue;
        todo.add(key);
      }
    }
    this.seenPlaced = placed.length;
    for (const key of todo) {
      const e = this.edges.get(key);
      const pts = this.route(e);
      if (!pts) return null;
      this.routes.set(key, pts);
      this.index(key, pts);
    }
    return todo;
  }

  /** Keys of the drawn edges with a segment through the inside of rect r. */
  crossing(r) {
    const out = new Set();
    const look = (map, a0, a1, b0, b1) => {
      for (let i = Math.floor(a0 / CELL); i <= Math.floor(a1 / CELL); i++) {
        for (let j = Math.floor(b0 / SPAN); j <= Math.floor(b1 / SPAN); j++) {
          for (const [key, pts, k] of map.get(i + ":" + j) || []) {
            if (out.has(key) || this.routes.get(key) !== pts) continue; // stale: re-routed since
            if (segmentCrosses(pts[k], pts[k + 1], pts[k + 2], pts[k + 3], r)) out.add(key);
          }
        }
      }
    };
    look(this.rowBands, r.y, r.y + r.h, r.x, r.x + r.w);
    look(this.columns, r.x, r.x + r.w, r.y, r.y + r.h);
    return out;
  }

  /** Is the axis-parallel segment (x0, y0)-(x1, y1) clear of foreign nodes and boxes? */
  clear(x0, y0, x1, y1, ends, own) {
    const lx = Math.min(x0, x1) - CLEAR;
    const hx = Math.max(x0, x1) + CLEAR;
    const ly = Math.min(y0, y1) - CLEAR;
    const hy = Math.max(y0, y1) + CLEAR;
    this.blocker = null;
    for (const p of this.placer.nodesIn(lx, ly, hx, hy)) {
      if (p === ends[0] || p === ends[1]) continue;
      this.blocker = { x: p.x - p.w / 2, y: p.y - p.h / 2, w: p.w, h: p.h };
      return false;
    }
    const near = new Set();
    for (let j = Math.floor(ly / CELL); j <= Math.floor(hy / CELL); j++) for (const id of this.boxBands.get(j) || []) near.add(id);
    for (const id of near) {
      const b = this.placer.boxes.get(id);
      if (own.has(id) || b.x >= hx || b.x + b.w <= lx || b.y >= hy || b.y + b.h <= ly) continue;
      this.blocker = b;
      return false;
    }
    return true;
  }

  /** x of a channel left and right of every node and box on screen (spread a little apart). */
  channels() {
    let x0 = this.placer.left;
    let x1 = this.placer.right;
    for (const b of this.placer.boxes.values()) {
      x0 = Math.min(x0, b.x);
      x1 = Math.max(x1, b.x + b.w);
    }
    this.spread = ((this.spread || 0) + 1) % 8;
    return [x1 + 10 + 3 * this.spread, x0 - 10 - 3 * this.spread];
  }

  /**
   * Points of a route for edge e around everything foreign: out of the source, a turn, a vertical
   * lane, a turn, into the target. null if none was found within the bounded tries.
   */
  route(e) {
    const s = this.pos.get(e.source);
    const t = this.pos.get(e.target);
    if (!s || !t) return null;
    const ends = [s, t];
    const own = this.own(e);
    const ax = s.x;
    const ay = s.y + s.h / 2;
    const bx = t.x;
    const by = t.y - t.h / 2;
    const span = by - ay;
    const turns = span > 0 ? [...new Set([Math.min(TURNS[0], span / 2), ...TURNS.filter((d) => d < span / 2)])] : TURNS;
    for (const d1 of turns) {
      const y1 = ay + d1;
      if (!this.clear(ax, ay, ax, y1, ends, own)) continue;
      for (const d2 of turns) {
        const y2 = by - d2;
        if (!this.clear(bx, y2, bx, by, ends, own)) continue;
        // Only the two stubs touch the ends: the rest of the way goes around them too (an edge
        // against the flow must not climb through its own source).
        const x = this.lane(ax, y1, bx, y2, [], own);
        if (x !== null) return simplify([ax, ay, ax, y1, x, y1, x, y2, bx, y2, bx, by]);
      }
    }
    return null;
  }

  /** An x for the vertical lane between the two turns, nearest the straight way first. */
  lane(ax, y1, bx, y2, ends, own) {
    const ok = (x) => this.clear(ax, y1, x, y1, ends, own) && this.clear(x, y1, x, y2, ends, own) && this.clear(x, y2, bx, y2, ends, own);
    for (const x of [bx, ax]) if (ok(x)) return x;
    // Slide sideways past whatever blocks the lane, both ways; the nearer success wins. A long
    // edge through a crowded stretch runs in a channel beside everything, as a layout's does.
    const found = [];
    if (Math.abs(y2 - y1) > 2000) found.push(...this.channels().filter(ok));
    for (const dir of [1, -1]) {
      let x = (ax + bx) / 2;
      for (let n = 0; n < SLIDES; n++) {
        if (ok(x)) {
          found.push(x);
          break;
        }
        const b = this.blocker;
        x = dir > 0 ? Math.max(x + 1, b.x + b.w + CLEAR + 1) : Math.min(x - 1, b.x - CLEAR - 1);
      }
    }
    if (!found.length) found.push(...this.channels().filter(ok));
    if (!found.length) return null;
    const mid = (ax + bx) / 2;
    return found.reduce((a, b) => (Math.abs(a - mid) <= Math.abs(b - mid) ? a : b));
  }
}

/** Drop repeated points and points in the middle of a straight run. */
function simplify(pts) {
  const out = [pts[0], pts[1]];
  for (let k = 2; k < pts.length; k += 2) {
    const n = out.length;
    if (Math.abs(out[n - 2] - pts[k]) < 0.01 && Math.abs(out[n - 1] - pts[k + 1]) < 0.01) continue;
    if (n >= 4) {
      const [px, py, qx, qy] = [out[n - 4], out[n - 3], out[n - 2], out[n - 1]];
      const collinear = (Math.abs(px - qx) < 0.01 && Math.abs(qx - pts[k]) < 0.01) || (Math.abs(py - qy) < 0.01 && Math.abs(qy - pts[k + 1]) < 0.01);
      if (collinear) {
        out[n - 2] = pts[k];
        out[n - 1] = pts[k + 1];
        continue;
      }
    }
    out.push(pts[k], pts[k + 1]);
  }
  return out;
}

/** Does the segment pass through the inside of rect r? (Liang-Barsky, as tests/browser/geometry.js.) */
function segmentCrosses(px, py, qx, qy, r) {
  const x0 = r.x + 1;
  const y0 = r.y + 1;
  const x1 = r.x + r.w - 1;
  const y1 = r.y + r.h - 1;
  if (x1 <= x0 || y1 <= y0) return false;
  let t0 = 0;
  let t1 = 1;
  const dx = qx - px;
  const dy = qy - py;
  for (const [p, q] of [[-dx, px - x0], [dx, x1 - px], [-dy, py - y0], [dy, y1 - py]]) {
    if (p === 0) {
      if (q <= 0) return false;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 >= t1) return false;
    }
  }
  return t1 - t0 > 1e-6;
}
