// Culling: big graphs keep only what is near the screen in the page's layout.
// The browser lays out and paints every displayed SVG element after any change; with thousands
// of nodes that alone blocks the page for longer than a frame. Elements far off screen are
// hidden (display: none) and shown again when panning or zooming brings them near.

// Visible nodes above which off-screen elements are hidden. Measured (benchmarks/graph_render.py):
// the first paint and layout of a few hundred new SVG nodes with their text took 60-100 ms in one
// frame, the same with what is off screen hidden a few ms, so every view culls.
export const CULL_ABOVE = 0;

/** The scene rectangle a W x H screen shows under `zoom`, widened by `margin` screens each side. */
export function sceneRect(zoom, W, H, margin) {
  const { k, x, y } = zoom;
  const mx = margin * W;
  const my = margin * H;
  return { x0: (-x - mx) / k, y0: (-y - my) / k, x1: (W + mx - x) / k, y1: (H + my - y) / k };
}

/** Does the box x0..x1, y0..y1 lie wholly outside rectangle r? */
export function outside(r, x0, y0, x1, y1) {
  return x1 < r.x0 || x0 > r.x1 || y1 < r.y0 || y0 > r.y1;
}

/** Does rectangle `outer` hold all of rectangle `inner`? */
export function holds(outer, inner) {
  return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 && inner.y1 <= outer.y1;
}

/** Show `el` if its box meets rectangle r, else hide it (display: none); true if shown. */
export function showIn(r, el, x0, y0, x1, y1) {
  const hide = outside(r, x0, y0, x1, y1);
  if (!!el.gvHidden !== hide) {
    el.gvHidden = hide;
    el.style.display = hide ? "none" : "";
  }
  return !hide;
}

const EVERYWHERE = { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity };

/** GraphViewUI's culling methods (state: culledRect, cullRect while drawing, culledOnce). */
export const cullMethods = {
  culling() {
    return !!this.vis && this.vis.nodes.size > CULL_ABOVE;
  },

  scheduleCull() {
    if (this.cullPending || !this.culling()) return;
    this.cullPending = true;
    requestAnimationFrame(() => {
      this.cullPending = false;
      // A full pass costs every element; skip it while the screen (plus a small margin) is still
      // inside the rectangle of the last pass: all that can be seen is shown already. Live growth
      // pans a little per batch, so most of its frames skip it.
      const last = this.culledRect;
      if (last && holds(last, this.viewRect(0.1))) return;
      this.cull();
    });
  },

  /** The scene rectangle on screen, with a margin of `margin` screens on every side. */
  viewRect(margin = 0.75) {
    const { W, H } = this.canvasSize();
    return sceneRect(this.zoom, W, H, margin);
  },

  /** One full pass: show what is near the screen, hide the rest (everything shown when off). */
  cull() {
    const on = this.culling();
    const r = this.viewRect();
    this.culledRect = on ? r : null;
    let shown = 0;
    const show = (el, x0, y0, x1, y1) => (showIn(on ? r : EVERYWHERE, el, x0, y0, x1, y1) ? 1 : 0);
    for (const b of this.boxEls.values()) {
      show(b.el, b.x, b.y, b.x + b.w, b.y + b.h);
      show(b.head, b.x, b.y, b.x + b.w, b.y + b.h);
    }
    for (const [id, g] of this.nodeEls) {
      const p = this.pos.get(id);
      if (p) shown += show(g, p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2);
    }
    for (const rec of this.edgeEls.values()) {
      const [x0, y0, x1, y1] = rec.bbox;
      show(rec.path, x0, y0, x1, y1);
      if (rec.label) show(rec.label, x0, y0, x1, y1);
    }
    this.culledOnce = true;
    this.root.dataset.shownNodes = String(shown); // nodes not hidden by culling
  },

  /** Is the box off screen (created hidden)? Only while culling: during a draw or after a pass. */
  offScreen(x0, y0, x1, y1) {
    const r = this.cullRect || this.culledRect;
    return !!r && outside(r, x0, y0, x1, y1);
  },

  /**
   * While culling, show or hide a moved element for its new place right away: the frames between
   * drawing slices never lay out what ends up off screen.
   */
  cullMoved(el, x0, y0, x1, y1) {
    const r = this.cullRect || this.culledRect;
    if (r) showIn(r, el, x0, y0, x1, y1);
  },

  /** Live growth with culling on: hide the new elements that are off screen (cost: the batch). */
  cullNew(fresh) {
    if (!this.culling()) return;
    if (!this.culledOnce) {
      this.cull(); // the graph just grew past the limit: one full pass
      return;
    }
    const r = this.culledRect || this.viewRect();
    for (const id of fresh.nodes) {
      const g = this.nodeEls.get(id);
      const p = this.pos.get(id);
      if (g && p && outside(r, p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2)) {
        g.gvHidden = true;
        g.style.display = "none";
      }
    }
    for (const key of fresh.edges) {
      const rec = this.edgeEls.get(key);
      // A re-routed edge may have moved onto the screen as well as off it.
      if (rec && !!rec.path.gvHidden !== outside(r, ...rec.bbox)) {
        rec.path.gvHidden = !rec.path.gvHidden;
        rec.path.style.display = rec.path.gvHidden ? "none" : "";
      }
    }
  },
};
