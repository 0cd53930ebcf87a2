// Zoom and pan: the scene's transform {k, x, y} (screen = scene * k + (x, y)), the canvas size,
// fitting the graph, the opening view, following live growth, and the wheel and drag handlers.
// The pure functions below compute transforms from plain numbers; the methods apply them.
import { GROUP_PREFIX } from "../graph.js";

export const READABLE_ZOOM = 1.0; // node text is >= 10 px at this zoom
export const PRESENTER_ZOOM = 1.6; // ... and >= 16 px for a projector
export const MAX_ZOOM = 4;

/** The scale at which bounds {x0, y0, x1, y1} fit a W x H canvas (10 px margins); 1 with none. */
export function fitScale(b, W, H) {
  if (!b) return 1;
  return Math.min((W - 20) / (b.x1 - b.x0 || 1), (H - 20) / (b.y1 - b.y0 || 1));
}

/** The transform that shows bounds b at scale k: centred across, 10 px from the top. */
export function fitTransform(b, W, k) {
  return { k, x: (W - (b.x1 - b.x0) * k) / 2 - b.x0 * k, y: 10 - b.y0 * k };
}

/** The transform after a wheel step of deltaY at screen point (px, py): that point stays put. */
export function wheelZoom(zoom, px, py, deltaY, minK) {
  const f = Math.exp(-deltaY * 0.0015);
  const k = Math.min(MAX_ZOOM, Math.max(minK, zoom.k * f));
  return { k, x: px - ((px - zoom.x) * k) / zoom.k, y: py - ((py - zoom.y) * k) / zoom.k };
}

/**
 * The opening transform of a graph too big to fit at scale k: its top at scale k, centred on
 * what is in the first screenful, left-aligned if even that is too wide.
 */
export function startTransform(b, pos, boxList, W, H, k) {
  const yMax = b.y0 + (H - 20) / k;
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const p of pos.values()) {
    if (p.y - p.h / 2 > yMax) continue;
    x0 = Math.min(x0, p.x - p.w / 2);
    x1 = Math.max(x1, p.x + p.w / 2);
  }
  for (const bx of boxList || []) {
    if (bx.y > yMax) continue;
    x0 = Math.min(x0, bx.x);
    x1 = Math.min(Math.max(x1, bx.x + bx.w), x0 + (W - 20) / k);
  }
  if (!isFinite(x0)) {
    x0 = b.x0;
    x1 = b.x1;
  }
  const x = (x1 - x0) * k <= W - 20 ? (W - (x1 - x0) * k) / 2 - x0 * k : 10 - x0 * k;
  return { k, x, y: 10 - b.y0 * k };
}

/**
 * "fit" for a projector: the whole graph when it fits at a scale >= kMin (at most kMax); else
 * scale kMin, so text stays readable, keeping the scene point now in the middle of the screen in
 * the middle, but never showing space past the graph's edges (its top 10 px below the canvas top
 * when it is near). What is left off screen is on the overview map (view/overview.js).
 */
export function readableFit(b, zoom, W, H, kMin, kMax) {
  const kFit = fitScale(b, W, H);
  if (kFit >= kMin) return fitTransform(b, W, Math.min(kMax, kFit));
  const k = kMin;
  // One axis: null when the graph fits across it at scale k; else the offset that keeps the scene
  // point now in the middle there, held between the graph's two edges (10 px margins).
  const along = (lo, hi, span, offset) => {
    if ((hi - lo) * k <= span - 20) return null;
    const want = span / 2 - ((span / 2 - offset) / zoom.k) * k;
    return Math.max(span - 10 - hi * k, Math.min(10 - lo * k, want));
  };
  const x = along(b.x0, b.x1, W, zoom.x) ?? (W - (b.x1 - b.x0) * k) / 2 - b.x0 * k; // centred
  const y = along(b.y0, b.y1, H, zoom.y) ?? 10 - b.y0 * k; // its top at the top
  return { k, x, y };
}

/**
 * The canvas height a presenter's widget can have: what the notebook shows of it at once (`area`,
 * its scrolling panel's height) less the widget's other parts (`chrome`: header, toolbar, strip,
 * legend) and a small margin; never under `least`.
 */
export function presenterHeight(area, chrome, least = 200) {
  return Math.round(Math.max(least, area - chrome - 6));
}

/** Is box p {x, y, w, h} (centred on x, y) entirely on a W x H screen under `zoom`? */
export function onScreen(p, zoom, W, H) {
  const { k, x, y } = zoom;
  const sx0 = (p.x - p.w / 2) * k + x;
  const sy0 = (p.y - p.h / 2) * k + y;
  const sx1 = (p.x + p.w / 2) * k + x;
  const sy1 = (p.y + p.h / 2) * k + y;
  return sx0 >= 0 && sy0 >= 0 && sx1 <= W && sy1 <= H;
}

/** The transform that pans (never zooms) just enough to bring box p onto the screen. */
export function panTo(p, zoom, W, H) {
  const { k } = zoom;
  const z = { ...zoom };
  const sx0 = (p.x - p.w / 2) * k + zoom.x;
  const sx1 = (p.x + p.w / 2) * k + zoom.x;
  const sy0 = (p.y - p.h / 2) * k + zoom.y;
  const sy1 = (p.y + p.h / 2) * k + zoom.y;
  if (sx0 < 0 || sx1 > W) z.x = W / 2 - p.x * k;
  if (sy1 > H) z.y = H - 20 - (p.y + p.h / 2) * k;
  if (sy0 < 0) z.y = 20 - (p.y - p.h / 2) * k;
  return z;
}

/** GraphViewUI's zoom, pan and canvas-size methods (state: zoom, bounds, size, userMoved, ...). */
export const zoomMethods = {
  /**
   * The canvas's size, read from the DOM only when unknown or after this view changed it: reading
   * it right after adding SVG elements would force a layout of the whole page (live growth).
   */
  canvasSize() {
    if (!this.size || this.sizeStale) {
      this.size = { W: this.canvas.clientWidth || 600, H: this.canvas.clientHeight || 400 };
      this.sizeStale = false;
    }
    return this.size;
  },

  /**
   * Set the automatic canvas height and remember it: reading it back from the DOM right after
   * drawing would force a layout of the whole page (measured: 280 ms with 2000 live nodes).
   */
  setCanvasHeight(h) {
    this.canvas.style.height = h + "px";
    this.autoHeight = h;
    if (this.size && !this.sizeStale) this.size = { W: this.size.W, H: h };
    else this.sizeStale = true;
  },

  maxHeight(fallback) {
    const vh = (typeof window !== "undefined" && window.innerHeight) || 0;
    if (this.presenter) {
      const area = this.visibleArea();
      if (area) return presenterHeight(area, this.chromeHeight());
    }
    if (!vh) return fallback;
    return Math.round(this.presenter ? Math.max(300, vh - 170) : Math.min(720, Math.max(260, vh * 0.7)));
  },

  /**
   * The height of what the page shows of this widget at once: its outermost scrolling ancestor
   * (JupyterLab's notebook panel; the output areas inside it scroll too but take their content's
   * height), within the window; 0 before the widget is on the page.
   */
  visibleArea() {
    if (typeof getComputedStyle === "undefined" || !this.root.isConnected) return 0;
    let area = window.innerHeight || 0;
    let outer = 0;
    for (let el = this.root.parentElement; el && el !== document.body; el = el.parentElement) {
      const oy = getComputedStyle(el).overflowY;
      if ((oy === "auto" || oy === "scroll") && el.clientHeight > 0) outer = el.clientHeight;
    }
    if (outer) area = area ? Math.min(area, outer) : outer;
    return area;
  },

  /** The widget's height outside the canvas; a legend not drawn yet counts as one line. */
  chromeHeight() {
    const legend = this.legend && !this.legend.childElementCount ? 1.4 * parseFloat(getComputedStyle(this.root).fontSize) + 4 : 0;
    return this.root.offsetHeight - this.canvas.offsetHeight + legend;
  },

  /**
   * Presenter, automatic height, after a draw: if the widget (its legend wrapped, a strip shown)
   * is still taller than what the page shows at once, shorten the canvas by the difference.
   */
  keepOnScreen() {
    if (!this.presenter || this.model.get("height") > 0 || this.userHeight !== undefined) return;
    const area = this.visibleArea();
    const over = area ? this.root.offsetHeight + 6 - area : 0;
    if (over <= 0) return;
    this.setCanvasHeight(Math.max(200, this.canvasSize().H - over));
    this.placeOverview();
  },

  /** Wheel zooms about the pointer; a drag on the background pans. */
  listenPanZoom() {
    this.svg.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const r = this.svg.getBoundingClientRect();
        Object.assign(this.zoom, wheelZoom(this.zoom, ev.clientX - r.left, ev.clientY - r.top, ev.deltaY, Math.min(0.05, this.fitZoom() * 0.5)));
        this.userMoved = true;
        this.applyZoom();
      },
      { passive: false },
    );
    this.svg.addEventListener("mousedown", (ev) => {
      if (ev.target.closest && ev.target.closest(".gv-node, .gv-group-head")) return;
      const sx = ev.clientX - this.zoom.x;
      const sy = ev.clientY - this.zoom.y;
      const move = (e) => {
        this.userMoved = true;
        this.zoom.x = e.clientX - sx;
        this.zoom.y = e.clientY - sy;
        this.applyZoom();
      };
      const up = () => {
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
      };
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
  },

  applyZoom() {
    const t = `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`;
    if (this.sceneTransform !== t) this.scene.setAttribute("transform", t);
    this.sceneTransform = t;
    this.root.dataset.zoom = this.zoom.k.toFixed(4);
    this.scheduleCull();
    this.placeOverview();
  },

  readableZoom() {
    return this.presenter ? PRESENTER_ZOOM : READABLE_ZOOM;
  },

  fitZoom() {
    if (!this.bounds) return 1;
    const { W, H } = this.canvasSize();
    return fitScale(this.bounds, W, H);
  },

  /** Show everything, zooming out as far as that needs (a presenter: as far as stays readable). */
  fit() {
    this.userMoved = false;
    const b = this.bounds;
    if (!b) return;
    const { W, H } = this.canvasSize();
    // A projector: never below the presenter's readable size; the map shows what does not fit.
    if (this.presenter) this.zoom = readableFit(b, this.zoom, W, H, PRESENTER_ZOOM, 2);
    else this.zoom = fitTransform(b, W, Math.min(1.25, this.fitZoom()));
    this.applyZoom();
  },

  /**
   * The opening view: the whole graph if it fits at a readable zoom, else its start (top) at a
   * readable zoom. Sizes the canvas to the graph when the height is automatic.
   */
  openView() {
    const b = this.bounds;
    if (!b) return;
    const kRead = this.readableZoom();
    const auto = !(this.model.get("height") > 0) && this.userHeight === undefined;
    if (auto) {
      const want = Math.round((b.y1 - b.y0) * Math.max(kRead, Math.min(1.25, this.fitZoom())) + 24);
      const h = Math.max(160, Math.min(this.maxHeight(480), want));
      this.setCanvasHeight(h);
    }
    const { W, H } = this.canvasSize();
    if (this.fitZoom() >= kRead) {
      this.fit();
      return;
    }
    this.zoom = startTransform(b, this.pos, this.boxList, W, H, kRead);
    this.userMoved = false;
    this.applyZoom();
  },

  /**
   * The canvas is now a different width (it was wasW): a graph that fits is fitted again, else
   * what was centred stays centred. Not once the user has panned or zoomed, nor while a layout
   * (which opens the view at the new size itself) is under way.
   */
  refit(wasW) {
    if (!this.bounds || this.userMoved || this.busy) return;
    if (this.fitZoom() >= this.readableZoom()) {
      this.fit();
      return;
    }
    this.zoom.x += (this.canvasSize().W - wasW) / 2;
    this.applyZoom();
  },

  /** Automatic height: after an expand, grow the canvas (never shrink it) up to its maximum. */
  growCanvas() {
    const b = this.bounds;
    if (!b || this.model.get("height") > 0 || this.userHeight !== undefined) return;
    const want = Math.round((b.y1 - b.y0) * this.zoom.k + 24);
    const h = Math.min(this.maxHeight(480), want);
    if (h > this.canvasSize().H + 2) this.setCanvasHeight(h);
  },

  /** Keep a newly placed live node in view: zoom out while that stays readable, else pan. */
  follow(p) {
    if (!p) return;
    const { W, H } = this.canvasSize();
    if (onScreen(p, this.zoom, W, H)) return;
    if (this.fitZoom() >= this.readableZoom()) {
      this.fit();
      return;
    }
    Object.assign(this.zoom, panTo(p, this.zoom, W, H)); // in place, as the wheel and a drag
    this.applyZoom();
  },

  /** Bring a group (a compiled graph of the strip) to the top of the screen at a readable zoom. */
  focusGroup(gid) {
    const b = (this.boxList || []).find((x) => x.id === gid);
    const p = b ? { x: b.x + b.w / 2, y: b.y + Math.min(b.h, 200) / 2 } : this.pos && this.pos.get(GROUP_PREFIX + gid);
    if (!p) return;
    const { W, H } = this.canvasSize();
    const k = Math.max(this.zoom.k, this.readableZoom());
    this.zoom = { k, x: W / 2 - p.x * k, y: Math.min(H / 2, 40) - (b ? b.y : p.y - 20) * k };
    this.userMoved = true;
    this.applyZoom();
  },

  /** Screen position of a node or group box (for keeping it still across a re-layout). */
  screenOf(id) {
    const p = this.anchorBox(id);
    if (!p) return null;
    return { x: p.x * this.zoom.k + this.zoom.x, y: p.y * this.zoom.k + this.zoom.y };
  },

  anchorBox(id) {
    const gid = id.startsWith(GROUP_PREFIX) ? id.slice(GROUP_PREFIX.length) : id;
    const b = (this.boxList || []).find((x) => x.id === gid);
    if (b) return { x: b.x + b.w / 2, y: b.y };
    const p = this.pos && (this.pos.get(GROUP_PREFIX + gid) || this.pos.get(id));
    return p ? { x: p.x, y: p.y - p.h / 2 } : null;
  },

  keepAnchor(id, screen) {
    const p = this.anchorBox(id);
    if (!p) return;
    this.zoom.x = screen.x - p.x * this.zoom.k;
    this.zoom.y = screen.y - p.y * this.zoom.k;
    this.applyZoom();
  },
};
