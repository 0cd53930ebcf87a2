// The overview: when the graph does not fit on screen, a small map in the canvas's corner shows
// all of it (node boxes as specks, the screen as a rectangle), as Netron and Model Explorer do; a
// click on the map brings that part of the graph to the middle of the screen.
import { holds, sceneRect } from "./cull.js";
import { svg } from "./dom.js";

export const OVERVIEW_W = 140;
export const OVERVIEW_H = 100;
const PAD = 4;
const LIVE_REDRAW_MS = 500; // live growth redraws the map at most this often

/** How the map shows the scene: scene (x, y) -> map (x * s + ox, y * s + oy), centred, padded. */
export function mapTransform(b, W = OVERVIEW_W, H = OVERVIEW_H) {
  const bw = b.x1 - b.x0 || 1;
  const bh = b.y1 - b.y0 || 1;
  const s = Math.min((W - 2 * PAD) / bw, (H - 2 * PAD) / bh);
  return { s, ox: (W - bw * s) / 2 - b.x0 * s, oy: (H - bh * s) / 2 - b.y0 * s };
}

/** One SVG path of every node box (centred at x, y) as drawn on the map, at least 1 px each. */
export function mapPath(pos, m) {
  let d = "";
  for (const p of pos.values()) {
    const x = (p.x - p.w / 2) * m.s + m.ox;
    const y = (p.y - p.h / 2) * m.s + m.oy;
    d += "M" + x.toFixed(1) + "," + y.toFixed(1) + "h" + Math.max(1, p.w * m.s).toFixed(1) + "v" + Math.max(1, p.h * m.s).toFixed(1) + "h" + (-Math.max(1, p.w * m.s)).toFixed(1) + "z";
  }
  return d;
}

/** The screen's rectangle on the map ({x, y, w, h}), cut to the map. */
export function screenOnMap(zoom, W, H, m) {
  const r = sceneRect(zoom, W, H, 0);
  const x0 = Math.max(0, r.x0 * m.s + m.ox);
  const y0 = Math.max(0, r.y0 * m.s + m.oy);
  const x1 = Math.min(OVERVIEW_W, r.x1 * m.s + m.ox);
  const y1 = Math.min(OVERVIEW_H, r.y1 * m.s + m.oy);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/** The transform that puts scene point (sx, sy) in the middle of a W x H screen at scale k. */
export function centreOn(sx, sy, k, W, H) {
  return { k, x: W / 2 - sx * k, y: H / 2 - sy * k };
}

/** GraphViewUI's overview methods (state: overview, the map's element; map, its transform). */
export const overviewMethods = {
  buildOverview() {
    this.overview = document.createElement("div");
    this.overview.className = "gv-overview";
    this.overview.style.display = "none";
    this.overview.title = "overview: click to go there";
    this.canvas.appendChild(this.overview);
    const s = svg("svg", { width: OVERVIEW_W, height: OVERVIEW_H }, this.overview);
    this.overviewNodes = svg("path", { class: "gv-overview-nodes", d: "" }, s);
    this.overviewView = svg("rect", { class: "gv-overview-view", x: 0, y: 0, width: 0, height: 0 }, s);
    this.overview.addEventListener("mousedown", (ev) => ev.stopPropagation()); // not a pan
    this.overview.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (!this.map) return;
      const r = this.overview.getBoundingClientRect();
      const sx = (ev.clientX - r.left - this.map.ox) / this.map.s;
      const sy = (ev.clientY - r.top - this.map.oy) / this.map.s;
      const { W, H } = this.canvasSize();
      this.zoom = centreOn(sx, sy, this.zoom.k, W, H);
      this.userMoved = true;
      this.applyZoom();
    });
  },

  /**
   * Redraw the map's node boxes after a draw. Live growth redraws it in a task of its own, at most
   * every LIVE_REDRAW_MS, not in the batch's handler (a map of 2000 nodes costs a few ms).
   */
  drawOverview(live) {
    if (!this.overview) return;
    if (live) {
      if (!this.overviewSoon) {
        this.overviewSoon = setTimeout(() => {
          this.overviewSoon = null;
          this.drawOverview(false);
        }, LIVE_REDRAW_MS);
      }
      return this.placeOverview();
    }
    if (!this.bounds || !this.pos || !this.pos.size || this.tooLarge) {
      this.map = null;
      this.overview.style.display = "none";
      return;
    }
    this.map = mapTransform(this.bounds);
    this.overviewNodes.setAttribute("d", mapPath(this.pos, this.map));
    this.placeOverview();
  },

  /** Show the map while part of the graph is off screen, with the screen's rectangle on it. */
  placeOverview() {
    if (!this.overview) return;
    const { W, H } = this.canvasSize();
    const all = this.map && !holds(sceneRect(this.zoom, W, H, 0), this.bounds);
    if (!all) {
      if (this.overview.style.display !== "none") this.overview.style.display = "none";
      return;
    }
    if (this.overview.style.display !== "") this.overview.style.display = "";
    const v = screenOnMap(this.zoom, W, H, this.map);
    this.overviewView.setAttribute("x", v.x.toFixed(1));
    this.overviewView.setAttribute("y", v.y.toFixed(1));
    this.overviewView.setAttribute("width", v.w.toFixed(1));
    this.overviewView.setAttribute("height", v.h.toFixed(1));
  },
};
