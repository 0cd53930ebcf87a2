// Live growth on the main thread: new nodes are placed below their inputs without moving any node
// already on screen, and the group boxes they sit in grow around them. A row index keeps each
// placement's cost independent of the graph's size.
//
// A spot is taken only if nothing foreign ends up inside or under it: the node overlaps no other
// node and no box it is not in, and no box that grows around it (its group and that group's
// expanded ancestors) swallows a node or box from outside that group. So sibling group boxes never
// overlap, after any number of appends. Where no such spot is found near the inputs, the node is
// placed anyway and `crowded` is set: the caller re-lays the view out.
import { ancestry, homeGroup } from "./graph.js";
import { NODE_SEP, RANK_SEP, nodeSize } from "./measure.js";

const ROW = 8; // row bucket height (px) of the spatial index
const PAD = 10; // the layout's group box padding (sides, bottom) and header: layout.js PAD, HEAD
const HEAD = 22;
const GAP = 6; // the least space kept between a growing box and anything foreign
const TRIES_RIGHT = 12; // spots tried along a row, then
const TRIES_DOWN = 8; // rows tried further down, before giving up (bounded per node)

export class Placer {
  /**
   * pos: id -> {x, y, w, h} of the nodes on screen; homes: id -> the box a node is drawn in ("" at
   * the top); boxes: [{id, x, y, w, h}] group boxes on screen; parents: box id -> parent box id.
   */
  constructor(pos, homes, boxes, parents) {
    this.rows = new Map();
    this.top = Infinity;
    this.left = Infinity;
    this.right = -Infinity;
    this.homes = homes || new Map();
    this.boxes = new Map();
    this.parents = new Map(parents || []);
    this.crowded = false;
    this.placed = []; // what each place() covered since: {node, x, y, w, h} and grown {gid, x, y, w, h}
    for (const b of boxes || []) this.boxes.set(b.id, { x: b.x, y: b.y, w: b.w, h: b.h });
    for (const [id, p] of pos) this.index(p, this.homes.get(id) || "");
  }

  index(p, home) {
    p.home = home;
    const a = Math.floor((p.y - p.h / 2) / ROW);
    const b = Math.floor((p.y + p.h / 2) / ROW);
    for (let r = a; r <= b; r++) {
      if (!this.rows.has(r)) this.rows.set(r, []);
      this.rows.get(r).push(p);
    }
    this.top = Math.min(this.top, p.y - p.h / 2);
    this.left = Math.min(this.left, p.x - p.w / 2);
    this.right = Math.max(this.right, p.x + p.w / 2);
  }

  /** The box overlapping a w x h box centred at (x, y) that reaches furthest right, or null. */
  hit(x, y, w, h) {
    const a = Math.floor((y - h / 2 - 4) / ROW);
    const b = Math.floor((y + h / 2 + 4) / ROW);
    let best = null;
    for (let r = a; r <= b; r++) {
      for (const p of this.rows.get(r) || []) {
        if (Math.abs(p.y - y) < (p.h + h) / 2 + 4 && Math.abs(p.x - x) < (p.w + w) / 2 + NODE_SEP / 2) {
          if (!best || p.x + p.w / 2 > best.x + best.w / 2) best = p;
        }
      }
    }
    return best;
  }

  /** Nodes whose box meets the rect [x0, x1] x [y0, y1]. */
  nodesIn(x0, y0, x1, y1) {
    const out = [];
    for (let r = Math.floor(y0 / ROW); r <= Math.floor(y1 / ROW); r++) {
      for (const p of this.rows.get(r) || []) {
        if (p.x + p.w / 2 > x0 && p.x - p.w / 2 < x1 && p.y + p.h / 2 > y0 && p.y - p.h / 2 < y1) out.push(p);
      }
    }
    return out;
  }

  /** Is box or node home `home` inside group `gid` (or `gid` itself)? */
  within(home, gid) {
    for (let g = home, n = 0; g && n < 1000; g = this.parents.get(g) || "", n++) if (g === gid) return true;
    return false;
  }

  /**
   * What would be wrong with a node of size s centred at (x, y) in the groups `chain` (outermost
   * first): the rect of the first foreign thing in the way, or null. The rect's `grows` is true
   * when it is a group box's growth (not the node itself) that meets it: moving right does not help
   * then. `grown` receives each group's box as it would become.
   */
  obstacle(x, y, s, chain, grown) {
    const hit = this.hit(x, y, s.w, s.h);
    if (hit) return { x: hit.x - hit.w / 2, y: hit.y - hit.h / 2, w: hit.w, h: hit.h };
    const mine = new Set(chain);
    const node = { x: x - s.w / 2, y: y - s.h / 2, w: s.w, h: s.h };
    // Rects that must stay free of foreign things: the node itself (no box it is not in may meet
    // it), then each group box's new part.
    const checks = [[node, null, ""]];
    for (let k = chain.length - 1; k >= 0; k--) {
      const inner = chain.length - 1 - k;
      const env = { x: node.x - PAD * (inner + 1), y: node.y - PAD - HEAD * (inner + 1), w: 0, h: 0 };
      env.w = node.w + 2 * PAD * (inner + 1);
      env.h = node.y + node.h + PAD * (inner + 1) - env.y;
      const old = this.boxes.get(chain[k]);
      const box = old ? union(old, env) : env;
      grown.set(chain[k], box);
      for (const strip of newPart(old, box)) checks.push([strip, chain[k], chain[k]]);
    }
    for (const [r, gid] of checks) {
      const m = { x: r.x - GAP, y: r.y - GAP, w: r.w + 2 * GAP, h: r.h + 2 * GAP };
      for (const [bid, b] of this.boxes) {
        if (mine.has(bid) || (gid && this.within(bid, gid))) continue; // its own boxes, boxes inside
        if (meets(m, b)) return { ...b, grows: !!gid };
      }
      if (gid) {
        for (const p of this.nodesIn(m.x, m.y, m.x + m.w, m.y + m.h)) {
          if (!this.within(p.home, gid)) return { x: p.x - p.w / 2, y: p.y - p.h / 2, w: p.w, h: p.h, grows: true };
        }
      }
    }
    return null;
  }

  /**
   * Place a node (size s) given the positions of its visible inputs and the expanded groups it is
   * drawn in (outermost first); returns its box and grows theirs (this.boxes).
   */
  place(s, inputs, chain = []) {
    let x;
    let y;
    if (inputs.length) {
      let bottom = -Infinity;
      let sx = 0;
      for (const p of inputs) {
        bottom = Math.max(bottom, p.y + p.h / 2);
        sx += p.x;
      }
      y = bottom + RANK_SEP + s.h / 2;
      x = sx / inputs.length;
    } else {
      // No inputs on screen: the top row, right of everything.
      y = (isFinite(this.top) ? this.top : 12) + s.h / 2;
      x = (isFinite(this.right) ? this.right : 0) + NODE_SEP + s.w / 2;
    }
    // A node whose group already has a box goes inside that box or below it, never above it
    // (its inputs may sit far above: a weight read early, a tensor from an earlier layer).
    const own = chain.length ? this.boxes.get(chain[chain.length - 1]) : null;
    let home = own; // the innermost of its groups that has a box already
    for (let k = chain.length - 1; k >= 0 && !home; k--) home = this.boxes.get(chain[k]);
    if (own) {
      y = Math.max(y, own.y + HEAD + s.h / 2);
      if (x < own.x || x > own.x + own.w) x = own.x + PAD + s.w / 2;
    }
    // Slide right past whatever is in the way; when a growing box would swallow something, try
    // right below everything in the node's innermost box, then rows further down, each from the
    // box's left (growing it downwards, not sideways).
    let grown = new Map();
    let found = false;
    for (let row = 0; row < TRIES_DOWN && !found; row++) {
      if (row && home) x = home.x + PAD + s.w / 2;
      if (row === 1 && home) y = Math.max(y, home.y + home.h - PAD + RANK_SEP + s.h / 2);
      for (let step = 0; step < TRIES_RIGHT; step++) {
        grown = new Map();
        const o = this.obstacle(x, y, s, chain, grown);
        if (!o) {
          found = true;
          break;
        }
        if (o.grows) break;
        x = Math.max(x + 1, o.x + o.w + GAP + NODE_SEP + s.w / 2 + PAD * chain.length);
      }
      if (!found) y += s.h + RANK_SEP;
    }
    if (!found) {
      // Nowhere near: keep the last spot tried and ask for a re-layout.
      this.crowded = true;
      grown = new Map();
      this.obstacle(x, y, s, chain, grown);
    }
    for (const [gid, b] of grown) {
      for (const strip of newPart(this.boxes.get(gid), b)) this.placed.push({ gid, ...strip });
      this.boxes.set(gid, b);
    }
    for (let k = 1; k < chain.length; k++) if (!this.parents.has(chain[k])) this.parents.set(chain[k], chain[k - 1]);
    if (chain.length && !this.parents.has(chain[0])) this.parents.set(chain[0], "");
    const p = { x, y, w: s.w, h: s.h };
    this.index(p, chain.length ? chain[chain.length - 1] : "");
    this.placed.push({ node: p, x: x - s.w / 2, y: y - s.h / 2, w: s.w, h: s.h });
    return p;
  }
}

/**
 * Place the nodes that a live batch made visible (fresh: {nodes, edges} from extendVisible), each
 * below its visible inputs and inside its expanded groups (those not in `collapsed`); records each
 * in pos and homes. Returns false when the placer found no free spot (`crowded`): the caller lays
 * the view out again.
 */
export function placeBatch(placer, state, collapsed, vis, fresh, pos, homes) {
  const inputs = new Map();
  for (const key of fresh.edges) {
    const e = vis.edges.get(key);
    if (!inputs.has(e.target)) inputs.set(e.target, []);
    inputs.get(e.target).push(e.source);
  }
  for (const id of fresh.nodes) {
    const v = vis.nodes.get(id);
    v.size = nodeSize(v);
    const ins = (inputs.get(id) || []).map((s) => pos.get(s)).filter(Boolean);
    const chain = ancestry(state, homeGroup(v)).filter((g) => !collapsed.has(g));
    pos.set(id, placer.place(v.size, ins, chain));
    homes.set(id, chain.length ? chain[chain.length - 1] : "");
    if (placer.crowded) return false;
  }
  return true;
}

const meets = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

function union(a, b) {
  const x0 = Math.min(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  return { x: x0, y: y0, w: Math.max(a.x + a.w, b.x + b.w) - x0, h: Math.max(a.y + a.h, b.y + b.h) - y0 };
}

/** The part of box `now` that `old` did not cover, as up to four rects (all of it if no old). */
function newPart(old, now) {
  if (!old) return [now];
  const out = [];
  const right = now.x + now.w;
  const bottom = now.y + now.h;
  if (now.y < old.y) out.push({ x: now.x, y: now.y, w: now.w, h: old.y - now.y });
  if (bottom > old.y + old.h) out.push({ x: now.x, y: old.y + old.h, w: now.w, h: bottom - old.y - old.h });
  if (now.x < old.x) out.push({ x: now.x, y: now.y, w: old.x - now.x, h: now.h });
  if (right > old.x + old.w) out.push({ x: old.x + old.w, y: now.y, w: right - old.x - old.w, h: now.h });
  return out;
}
