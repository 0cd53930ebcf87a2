// Drawing: the SVG scene of group boxes (with their labels), edges (with shape labels) and nodes.
// A draw brings the scene up to date with a layout: elements that stay are moved, not rebuilt;
// new ones are written as markup and parsed in batches; big graphs are drawn over several frames.
// The pure functions build paths and markup from positions; the methods own the elements.
import { fmtShape, groupType } from "../graph.js";
import { LINE_H, nodeLabel, nodeSub, paramLines } from "../measure.js";
import { HIDEABLE, MarkupBatch, esc, markup, nextFrame, svg, truncate } from "./dom.js";
import { HEAD_CHAR_W, headRect, labelSpots, placeLabels } from "./labels.js";

export const EDGE_LABEL_LIMIT = 150; // edges above which none carries a shape label
export const SLICE_MS = 8; // drawing work per frame for big graphs, so the page keeps answering

/** What an edge's label could say: "[2, 3] float32" (empty when the edge knows neither). */
export function edgeInfo(e) {
  const parts = [];
  if (e.shape) parts.push(fmtShape(e.shape));
  if (e.dtype) parts.push(e.dtype);
  return parts.join(" ");
}

/** What an edge's label says: its shape, else its dtype; empty for none. */
export function labelText(e) {
  const info = edgeInfo(e);
  return info && e.shape ? fmtShape(e.shape) : info;
}

/**
 * An edge's SVG path `d`, its label's anchor (lx, ly) and its bounding box [x0, y0, x1, y1]: along
 * its route when it has one (flat [x, y, x, y, ...]), else a curve from the bottom of its source
 * to the top of its target. Null while an end has no position.
 */
export function edgePath(e, pos, routes) {
  const a = pos.get(e.source);
  const b = pos.get(e.target);
  if (!a || !b) return null;
  const pts = routes.get(e.key);
  let d;
  let lx;
  let ly;
  if (pts && pts.length >= 4) {
    d = "M" + pts[0].toFixed(1) + "," + pts[1].toFixed(1);
    for (let k = 2; k < pts.length; k += 2) d += " L" + pts[k].toFixed(1) + "," + pts[k + 1].toFixed(1);
    const k = 2 * Math.floor(pts.length / 4);
    lx = pts[k];
    ly = pts.length >= 8 ? (pts[k + 1] + pts[k - 1]) / 2 : (pts[1] + pts[pts.length - 1]) / 2;
  } else {
    const x1 = a.x;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y - b.h / 2;
    const my = (y1 + y2) / 2;
    d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
    lx = (a.x + b.x) / 2;
    ly = my;
  }
  let bbox;
  if (pts && pts.length >= 4) {
    bbox = [Infinity, Infinity, -Infinity, -Infinity];
    for (let k = 0; k < pts.length; k += 2) {
      bbox[0] = Math.min(bbox[0], pts[k]);
      bbox[1] = Math.min(bbox[1], pts[k + 1]);
      bbox[2] = Math.max(bbox[2], pts[k]);
      bbox[3] = Math.max(bbox[3], pts[k + 1]);
    }
  } else {
    bbox = [Math.min(a.x, b.x), a.y, Math.max(a.x, b.x), b.y];
  }
  return { d, lx, ly, bbox };
}

/** What an edge's path is drawn from: its route, or its two end boxes when it has none. */
export function edgeGeometry(e, pos, routes) {
  const pts = routes.get(e.key);
  if (pts && pts.length >= 4) return Array.from(pts);
  const a = pos.get(e.source);
  const b = pos.get(e.target);
  return a && b ? [a.x, a.y, a.h, b.x, b.y, b.h] : null;
}

/** Is an edge drawn from geometry `was` still where the layout puts it? */
export function sameGeometry(was, e, pos, routes) {
  if (!was) return false;
  const pts = routes.get(e.key);
  let now = pts; // compared in place: no copy per edge and draw
  if (!(pts && pts.length >= 4)) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) return false;
    now = [a.x, a.y, a.h, b.x, b.y, b.h];
  }
  if (now.length !== was.length) return false;
  for (let i = 0; i < now.length; i++) if (now[i] !== was[i]) return false;
  return true;
}

/** A group box's label ("▾ layer1 · Sequential") and tooltip. */
export function boxTexts(g) {
  const type = groupType(g);
  return {
    text: "\u25be " + (g.label || g.id) + (type && !(g.label || "").includes(type) ? " \u00b7 " + type : ""),
    title: (g.label || g.id) + (type ? " (" + type + ")" : "") + ": click the label to collapse",
  };
}

/** A node's look: what decides whether its element can stay (its size and texts). */
export function nodeSignature(v, p) {
  const label = nodeLabel(v);
  const sub = nodeSub(v);
  return { key: `${p.w}x${p.h}|${label}|${sub}`, label, sub };
}

/** The markup inside a node's element: box, label, subtitle, folded params and tooltip. */
export function nodeInner(v, p, sig, fill) {
  let inner = "";
  if (v.family) inner += markup("rect", { class: "gv-stack", x: 4, y: -4, width: p.w, height: p.h, rx: 8 });
  inner += markup("rect", { class: "gv-box", width: p.w, height: p.h, rx: v.kind === "group" ? 8 : 4, fill });
  inner += markup("text", { class: "gv-label", x: p.w / 2, y: 16 }, esc(sig.label));
  if (sig.sub) inner += markup("text", { class: "gv-sub", x: p.w / 2, y: 30 }, esc(sig.sub));
  let y = sig.sub ? 30 : 16;
  for (const line of paramLines(v)) {
    y += LINE_H;
    inner += markup("text", { class: "gv-param", x: p.w / 2, y }, esc(line));
  }
  const title = v.node ? `${v.node.op} (${v.node.kind})` : v.family ? "repeated blocks: click to unfold" : "group: click to expand";
  return inner + markup("title", {}, esc(title));
}

/** GraphViewUI's drawing methods (state: layers, nodeEls, boxEls, edgeEls, batch while drawing). */
export const sceneMethods = {
  /**
   * Bring the scene up to date with the layout: elements of boxes, edges and nodes that stay are
   * moved (not rebuilt), new ones are created, gone ones removed; big graphs are built over several
   * frames. Resolves false if a newer layout superseded this one.
   */
  async draw(token) {
    this.updateHeader();
    this.placer = null;
    this.labelAt = null;
    this.messageEl.textContent = "";
    this.messageEl.style.display = "none";
    const msg = this.model.get("message");
    if (this.tooLarge || (msg && !this.vis.nodes.size)) {
      this.clearScene();
      this.messageEl.style.display = "block";
      this.messageEl.textContent =
        msg ||
        `Too large to draw: ${this.vis.nodes.size} visible nodes (limit ${this.maxNodes()}). ` +
          "Collapse groups or use the simplified view.";
      this.drawLegend();
      this.drawOverview(false);
      return true;
    }
    if (this.resetScene || !this.layers) this.clearScene();
    this.cullRect = this.culling() ? this.viewRect() : null;
    this.resetScene = false;
    this.layers = this.layers || {
      groups: svg("g", { class: "gv-groups" }, this.scene),
      edges: svg("g", { class: "gv-edges" }, this.scene),
      heads: svg("g", { class: "gv-heads" }, this.scene), // group labels above the edges
      nodes: svg("g", { class: "gv-nodes" }, this.scene),
    };
    this.applyZoom();
    // Remove what is gone.
    const boxIds = new Set((this.boxList || []).map((b) => b.id));
    for (const [id, b] of this.boxEls) {
      if (!boxIds.has(id)) {
        b.el.remove();
        b.head.remove();
        this.boxEls.delete(id);
      }
    }
    for (const [key, e] of this.edgeEls) {
      if (!this.vis.edges.has(key)) {
        e.path.remove();
        if (e.label) e.label.remove();
        this.edgeEls.delete(key);
      }
    }
    for (const [id, g] of this.nodeEls) {
      if (!this.vis.nodes.has(id)) {
        g.remove();
        this.nodeEls.delete(id);
      }
    }
    const tasks = [];
    for (const b of this.boxList || []) tasks.push(() => this.drawBox({ ...b }));
    const withLabels = this.vis.edges.size <= EDGE_LABEL_LIMIT;
    this.labelAt = withLabels ? this.placeEdgeLabels() : null;
    for (const e of this.vis.edges.values()) tasks.push(() => this.drawEdge(e, this.layers.edges, withLabels));
    for (const v of this.vis.nodes.values()) tasks.push(() => this.drawNode(v, this.layers.nodes));
    let i = 0;
    this.drawStats = { js: 0, slices: 0 };
    while (i < tasks.length) {
      const t = performance.now();
      this.batch = new MarkupBatch();
      try {
        while (i < tasks.length && performance.now() - t < SLICE_MS) tasks[i++]();
        this.batch.flush();
      } finally {
        this.batch = null;
      }
      this.drawStats.js += performance.now() - t;
      this.drawStats.slices += 1;
      if (i < tasks.length) {
        await nextFrame();
        if (token !== this.layoutSeq) return false;
      }
    }
    this.updateHighlight(false);
    const sel = this.model.get("selected");
    if (sel && this.nodeEls.has(sel)) this.nodeEls.get(sel).classList.add("gv-selected");
    this.drawLegend();
    this.cullRect = null;
    this.labelAt = null; // live growth places its labels where the edge's middle is
    this.cull();
    this.drawOverview(false);
    return true;
  },

  clearScene() {
    this.scene.textContent = "";
    this.culledOnce = false;
    this.culledRect = null;
    this.layers = null;
    this.nodeEls = new Map();
    this.boxEls = new Map();
    this.edgeEls = new Map();
  },

  /** New elements go into the draw's batch; outside a draw (live growth) they are created now. */
  create(layer, text, done) {
    if (this.batch) this.batch.add(layer, text, done);
    else {
      const b = new MarkupBatch();
      b.add(layer, text, done);
      b.flush();
    }
  },

  drawBox(b) {
    const old = this.boxEls.get(b.id);
    if (old) {
      Object.assign(old, { x: b.x, y: b.y, w: b.w, h: b.h, depth: b.depth });
      old.el.setAttribute("data-parent", (this.boxParents && this.boxParents.get(b.id)) || "");
      this.placeBox(old);
      return old;
    }
    const { text, title } = boxTexts(this.state.groups.get(b.id));
    b.text = text;
    const { x, y, w, h } = b;
    b.geo = x + "," + y + "," + w + "," + h;
    const hidden = this.offScreen(x, y, x + w, y + h) ? { style: "display: none" } : {};
    const box = { class: "gv-group", "data-group": b.id, "data-parent": (this.boxParents && this.boxParents.get(b.id)) || "", ...hidden };
    const rect = markup("rect", { rx: 6, x, y, width: w, height: h });
    this.create(this.layers.groups, markup(HIDEABLE, box, rect + markup("title", {}, esc(title))), (el) => {
      b.el = el;
      b.rect = el.firstElementChild;
      el.gvHidden = !!hidden.style;
    });
    const head = { class: "gv-group-head", "data-group": b.id, x: x + 6, y: y + 15, ...hidden };
    // The label never runs past its own box (so labels of neighbouring boxes cannot overlap).
    this.create(this.layers.heads, markup("text", head, esc(truncate(b.text, w - 12, HEAD_CHAR_W))), (el) => {
      b.head = el;
      el.gvHidden = !!hidden.style;
    });
    this.boxEls.set(b.id, b);
    return b;
  },

  placeBox(b) {
    // Only what changed is written: every write makes the page restyle (and lay out) the element.
    const { x, y, w, h } = b;
    const geo = x + "," + y + "," + w + "," + h;
    if (b.geo === geo) return;
    b.geo = geo;
    b.rect.setAttribute("x", x);
    b.rect.setAttribute("y", y);
    b.rect.setAttribute("width", w);
    b.rect.setAttribute("height", h);
    b.head.setAttribute("x", x + 6);
    b.head.setAttribute("y", y + 15);
    // The label never runs past its own box (so labels of neighbouring boxes cannot overlap).
    const label = truncate(b.text, w - 12, HEAD_CHAR_W);
    if (b.head.textContent !== label) b.head.textContent = label;
    this.cullMoved(b.el, x, y, x + w, y + h);
    this.cullMoved(b.head, x, y, x + w, y + h);
  },

  /**
   * Where each edge's label goes in this draw (view/labels.js): clear of other labels, group
   * labels and node boxes. key -> [x, y], or null for a label left out.
   */
  placeEdgeLabels() {
    const obstacles = [];
    for (const b of this.boxList || []) {
      const g = this.state.groups.get(b.id);
      if (g) obstacles.push(headRect(b, boxTexts(g).text));
    }
    for (const id of this.vis.nodes.keys()) {
      const p = this.pos.get(id);
      if (p) obstacles.push({ x0: p.x - p.w / 2, y0: p.y - p.h / 2, x1: p.x + p.w / 2, y1: p.y + p.h / 2 });
    }
    const labels = [];
    for (const e of this.vis.edges.values()) {
      const text = labelText(e.edge);
      const geo = text && edgePath(e, this.pos, this.routes);
      if (geo) labels.push({ key: e.key, text, spots: labelSpots(geo, this.routes.get(e.key)) });
    }
    return placeLabels(labels, obstacles);
  },

  drawEdge(e, layer, withLabels) {
    const old = this.edgeEls.get(e.key);
    // Placed in this draw: [x, y], or null when there is no room; undefined outside a draw (live).
    const placed = this.labelAt ? this.labelAt.get(e.key) : undefined;
    // Unchanged by a re-layout (an expand moves only part of the scene): only its label may move.
    if (old && sameGeometry(old.geo, e, this.pos, this.routes)) {
      if (placed !== undefined) this.putLabel(old, e, layer, placed, withLabels);
      return;
    }
    const geo = edgePath(e, this.pos, this.routes);
    if (!geo) return;
    const spot = placed !== undefined ? placed : [geo.lx + 4, geo.ly + 3];
    if (old) {
      old.geo = edgeGeometry(e, this.pos, this.routes);
      old.bbox = geo.bbox;
      old.path.setAttribute("d", geo.d);
      this.cullMoved(old.path, ...geo.bbox);
      this.putLabel(old, e, layer, spot, withLabels);
      return;
    }
    const rec = { path: null, label: null, bbox: geo.bbox };
    rec.geo = edgeGeometry(e, this.pos, this.routes);
    const hidden = this.cullRect && this.offScreen(...geo.bbox) ? { style: "display: none" } : {};
    const path = { class: "gv-edge", d: geo.d, "marker-end": `url(#${this.viewId}-arrow)`, "data-source": e.source, "data-target": e.target, ...hidden };
    this.create(layer, markup("path", path), (el) => {
      rec.path = el;
      el.gvHidden = !!hidden.style;
    });
    this.putLabel(rec, e, layer, spot, withLabels);
    this.edgeEls.set(e.key, rec);
  },

  /** Move an edge's label to `spot` ([x, y] where its text starts), create it, or drop it (null). */
  putLabel(rec, e, layer, spot, withLabels) {
    if (rec.label) {
      if (!spot) {
        rec.label.remove();
        rec.label = null;
        return;
      }
      if (rec.label.gvAt !== spot[0] + "," + spot[1]) {
        rec.label.gvAt = spot[0] + "," + spot[1];
        rec.label.setAttribute("x", spot[0]);
        rec.label.setAttribute("y", spot[1]);
      }
      this.cullMoved(rec.label, ...rec.bbox);
      return;
    }
    const text = withLabels && spot ? labelText(e.edge) : "";
    if (!text) return;
    const hidden = !!this.cullRect && this.offScreen(...rec.bbox); // as its path (drawEdge)
    const attrs = { class: "gv-edge-label", x: spot[0], y: spot[1], ...(hidden ? { style: "display: none" } : {}) };
    this.create(layer, markup("text", attrs, esc(text)), (el) => {
      rec.label = el;
      el.gvAt = spot[0] + "," + spot[1];
      el.gvHidden = hidden;
    });
  },

  drawNode(v, layer) {
    const p = this.pos.get(v.id);
    if (!p) return;
    const transform = `translate(${p.x - p.w / 2},${p.y - p.h / 2})`;
    const sig = nodeSignature(v, p);
    const old = this.nodeEls.get(v.id);
    if (old && old.gvSig === sig.key) {
      if (old.gvTransform !== transform) {
        old.setAttribute("transform", transform);
        old.gvTransform = transform;
        this.cullMoved(old, p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2);
      }
      const home = this.homes && this.homes.get(v.id);
      if (home !== undefined && old.gvBox !== home) {
        old.setAttribute("data-box", home);
        old.gvBox = home;
      }
      return;
    }
    if (old) old.remove();
    const cls = "gv-node gv-kind-" + v.kind + (v.family ? " gv-family" : "");
    const attrs = { class: cls, "data-id": v.id, transform };
    // The group box it is drawn in (for tests that check edges against boxes).
    if (this.homes && this.homes.has(v.id)) attrs["data-box"] = this.homes.get(v.id);
    const hidden = this.cullRect && this.offScreen(p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2);
    if (hidden) attrs.style = "display: none";
    this.create(layer, markup(HIDEABLE, attrs, nodeInner(v, p, sig, this.color(v))), (g) => {
      g.gvBox = attrs["data-box"];
      g.gvSig = sig.key;
      g.gvTransform = transform;
      g.gvHidden = !!hidden;
      this.nodeEls.set(v.id, g);
    });
  },

  /** A collapsed group's member count changed (live growth): rewrite its subtitle. */
  refreshSub(id) {
    const g = this.nodeEls.get(id);
    const v = this.vis.nodes.get(id);
    const t = g && g.querySelector(".gv-sub");
    if (t && v) t.textContent = nodeSub(v);
  },

  /** Light up the node being executed (or the box holding it); `scroll` brings it on screen. */
  updateHighlight(scroll) {
    for (const e of this.scene.querySelectorAll(".gv-hl")) e.classList.remove("gv-hl");
    const id = this.model.get("highlight");
    if (!id || !this.vis) return;
    const r = this.vis.rep.get(id) || id;
    const g = this.nodeEls.get(r);
    if (!g) return;
    g.classList.add("gv-hl");
    if (scroll) {
      const p = this.pos.get(r);
      const { W, H } = this.canvasSize();
      const sx = p.x * this.zoom.k + this.zoom.x;
      const sy = p.y * this.zoom.k + this.zoom.y;
      if (sx < 0 || sx > W || sy < 0 || sy > H) {
        this.zoom.x = W / 2 - p.x * this.zoom.k;
        this.zoom.y = H / 2 - p.y * this.zoom.k;
        this.applyZoom();
      }
    }
  },
};
