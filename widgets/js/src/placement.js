// Live growth on the main thread: new nodes are placed below their inputs without moving any node
// already on screen. A row index keeps each placement's cost independent of the graph's size.
import { NODE_SEP, RANK_SEP } from "./measure.js";

const ROW = 8; // row bucket height (px) of the spatial index

export class Placer {
  constructor(pos) {
    this.rows = new Map();
    this.top = Infinity;
    this.right = -Infinity;
    for (const p of pos.values()) this.index(p);
  }

  index(p) {
    const a = Math.floor((p.y - p.h / 2) / ROW);
    const b = Math.floor((p.y + p.h / 2) / ROW);
    for (let r = a; r <= b; r++) {
      if (!this.rows.has(r)) this.rows.set(r, []);
      this.rows.get(r).push(p);
    }
    this.top = Math.min(this.top, p.y - p.h / 2);
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

  /** Place `id` (size s) given the positions of its visible inputs; returns its box. */
  place(s, inputs) {
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
      // No inputs on screen: the top row, right of everything (free by construction).
      y = (isFinite(this.top) ? this.top : 12) + s.h / 2;
      x = (isFinite(this.right) ? this.right : 0) + NODE_SEP + s.w / 2;
      const p = { x, y, w: s.w, h: s.h };
      this.index(p);
      return p;
    }
    // Slide right past whatever occupies the spot (bounded: each step passes one box).
    for (let guard = 0; guard < 200; guard++) {
      const hit = this.hit(x, y, s.w, s.h);
      if (!hit) break;
      x = hit.x + hit.w / 2 + NODE_SEP + s.w / 2;
    }
    const p = { x, y, w: s.w, h: s.h };
    this.index(p);
    return p;
  }
}
