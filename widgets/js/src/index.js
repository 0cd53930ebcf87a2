// GraphView: the anywidget front end of sidebyside.widget.GraphView.
// Draws a "sidebyside.graph/1" document as SVG: colours by kind or device (with a legend), collapsible
// groups laid out one group at a time in a Web Worker, folded parameters listed inside their op,
// repeated blocks folded into one box, a details panel on click (synced to Python as `selected`),
// live appends placed incrementally (nodes on screen never move), a highlighted node while stepping,
// counters, and a strip of compiled graphs with their break reasons.
import {
  addToIndex,
  ancestry,
  extendVisible,
  fmtShape,
  indexDocSliced,
  visibleGraphSliced,
  FAMILY_PREFIX,
  GROUP_PREFIX,
  groupType,
  homeGroup,
  indexDoc,
} from "./graph.js";
import { layoutWorker } from "./layoutclient.js";
import { LINE_H, nodeLabel, nodeSub, paramLines } from "./measure.js";
import { LiveRouter } from "./liveroute.js";
import { Placer, placeBatch } from "./placement.js";
import { layoutInput } from "./request.js";
import { drawnCopy, forget, remember, sameContent } from "./viewcache.js";

const SVGNS = "http://www.w3.org/2000/svg";
export const KIND_COLORS = {
  input: "#8fd18f",
  param: "#f5c26b",
  const: "#d9d9d9",
  op: "#9ec5f0",
  control: "#d7a8e8",
  output: "#f29e9e",
  group: "#eeeeee",
};
const DEVICE_PALETTE = ["#9ec5f0", "#f5c26b", "#8fd18f", "#f29e9e", "#d7a8e8", "#a6e3e0", "#e8d38f"];
const EDGE_LABEL_LIMIT = 150;
const READABLE_ZOOM = 1.0; // node text is >= 10 px at this zoom
const PRESENTER_ZOOM = 1.6; // ... and >= 16 px for a projector
const SLICE_MS = 8; // drawing work per frame for big graphs, so the page keeps answering
// Visible nodes above which off-screen elements are hidden. Measured (benchmarks/graph_render.py):
// the first paint and layout of a few hundred new SVG nodes with their text took 60-100 ms in one
// frame, the same with what is off screen hidden a few ms, so every view culls.
const CULL_ABOVE = 0;
const LIVE_SLICE_MS = 8; // live growth: placing and drawing per frame when a big batch arrives
const LIVE_CHUNK = 32; // ... in chunks of this many nodes
const CROWDED_RELAYOUT_MS = 250; // live growth with no free spot re-lays out at most this often
let counter = 0;

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

// The element that holds a node's (or a group box's) parts. Not <g>: chromium keeps a layout object
// for a <g> with display: none and lays out everything inside it (measured: hiding 300 off-screen
// nodes cost 30-50 ms of layout, moving them 12 ms), while an <a> without href is a plain group
// whose display: none really takes it out of the page's layout (no layout, 2 ms of style).
const HIDEABLE = "a";
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ESCAPES[c]);

/** An SVG element as markup: attribute values are escaped here, `inner` is markup already. */
function markup(tag, attrs, inner = "") {
  let m = "<" + tag;
  for (const k in attrs) {
    const v = attrs[k];
    m += " " + k + '="' + (typeof v === "number" ? v : esc(v)) + '"';
  }
  return m + ">" + inner + "</" + tag + ">";
}

/**
 * New scene elements as markup, parsed by the browser in one call per layer. Measured (an expanded
 * GPT-2 block, 120 nodes and 85 group boxes): creating them with createElementNS and setAttribute,
 * about 20 calls per node, was most of the expand's drawing time.
 */
class MarkupBatch {
  constructor() {
    this.layers = new Map(); // layer -> {text: [markup of one element], done: [fn(element)]}
  }

  add(layer, text, done) {
    let b = this.layers.get(layer);
    if (!b) this.layers.set(layer, (b = { text: [], done: [] }));
    b.text.push(text);
    b.done.push(done);
  }

  flush() {
    for (const [layer, b] of this.layers) {
      const last = layer.lastElementChild;
      layer.insertAdjacentHTML("beforeend", b.text.join(""));
      let el = last ? last.nextElementSibling : layer.firstElementChild;
      for (const done of b.done) {
        done(el);
        el = el.nextElementSibling;
      }
    }
    this.layers.clear();
  }
}

function html(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

/**
 * Let the page paint a frame and handle input, then continue. (A plain task boundary, e.g. a
 * MessageChannel message, was measured to let chromium skip frames for hundreds of ms.)
 */
function yieldToPage() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function truncate(text, px, charW) {
  const n = Math.max(3, Math.floor(px / charW));
  return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
}

class GraphViewUI {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.viewId = "gv" + ++counter + "-" + Math.random().toString(36).slice(2, 8);
    this.colorBy = "kind";
    this.zoom = { k: 1, x: 0, y: 0 };
    this.applied = new Set();
    this.stack = [];
    this.nodeEls = new Map();
    this.boxEls = new Map();
    this.edgeEls = new Map();
    this.unfolded = new Set();
    this.layoutSeq = 0;
    this.loadSeq = 0;
    this.toggleSeq = 0;
    this.queued = [];
    this.busy = 0;
    // "auto" (dagre for small levels, the linear layered layout for big ones); the benchmark's
    // stand-in model asks for one engine to compare them.
    this.engine = model.get("layout_engine") || "auto";
    this.build();
    this.listen();
    if (!this.restore()) this.load();
    model.send({ type: "ready", view: this.viewId, epoch: model.get("_epoch") });
  }

  // ---- DOM skeleton -------------------------------------------------------------------------
  build() {
    const root = html("div", "gv-root", this.el);
    this.root = root;
    const head = html("div", "gv-head", root);
    this.titleEl = html("span", "gv-title", head);
    this.countersEl = html("span", "gv-counters", head);
    this.statusEl = html("span", "gv-status", head);
    const bar = html("div", "gv-toolbar", root);
    const lab = html("label", "gv-simplified", bar);
    this.simplifiedBox = html("input", "", lab);
    this.simplifiedBox.type = "checkbox";
    lab.appendChild(document.createTextNode(" simplified"));
    const colorLab = html("label", "", bar, "colour by ");
    this.colorSel = html("select", "gv-colorby", colorLab);
    for (const c of ["kind", "device"]) html("option", "", this.colorSel, c).value = c;
    this.backBtn = html("button", "gv-back", bar, "\u2190 back");
    this.backBtn.style.display = "none";
    html("button", "gv-relayout", bar, "re-layout").onclick = () => this.relayout({ keepZoom: true });
    html("button", "gv-fit", bar, "fit").onclick = () => this.fit();
    html("button", "gv-start", bar, "start").onclick = () => this.openView();
    html("button", "gv-collapse-all", bar, "collapse groups").onclick = () => this.collapseAll();
    this.strip = html("div", "gv-strip", root);
    this.strip.style.display = "none";
    const body = html("div", "gv-body", root);
    this.canvas = html("div", "gv-canvas", body);
    this.svg = svg("svg", { class: "gv-svg", width: "100%", height: "100%" }, this.canvas);
    const defs = svg("defs", {}, this.svg);
    const marker = svg(
      "marker",
      { id: this.viewId + "-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      defs,
    );
    svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "gv-arrow" }, marker);
    this.scene = svg("g", { class: "gv-scene" }, this.svg);
    this.messageEl = html("div", "gv-message", this.canvas);
    this.details = html("div", "gv-details", body);
    this.details.style.display = "none";
    this.legend = html("div", "gv-legend", root);
    this.applyLook();
    if (typeof ResizeObserver !== "undefined") {
      // A drag on the canvas's resize handle: remember the height the user chose.
      this.resizer = new ResizeObserver((entries) => {
        const r = entries[entries.length - 1].contentRect;
        this.size = { W: r.width || 600, H: r.height || 400 };
        const h = this.canvas.clientHeight;
        if (this.autoHeight !== undefined && Math.abs(h - this.autoHeight) > 2) this.userHeight = h;
      });
      this.resizer.observe(this.canvas);
    }
  }

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
  }

  /**
   * Set the automatic canvas height and remember it: reading it back from the DOM right after
   * drawing would force a layout of the whole page (measured: 280 ms with 2000 live nodes).
   */
  setCanvasHeight(h) {
    this.canvas.style.height = h + "px";
    this.autoHeight = h;
    if (this.size && !this.sizeStale) this.size = { W: this.size.W, H: h };
    else this.sizeStale = true;
  }

  /** Presenter / full-width classes and the canvas height (the `height` trait; 0 = automatic). */
  applyLook() {
    const m = this.model;
    this.presenter = !!m.get("presenter");
    this.root.classList.toggle("gv-presenter", this.presenter);
    this.root.classList.toggle("gv-full-width", this.presenter || !!m.get("full_width"));
    const h = m.get("height") || 0;
    if (h > 0) this.canvas.style.height = h + "px";
    else if (!this.canvas.style.height) this.canvas.style.height = this.maxHeight(320) + "px";
    this.sizeStale = true;
  }

  maxHeight(fallback) {
    const vh = (typeof window !== "undefined" && window.innerHeight) || 0;
    if (!vh) return fallback;
    return Math.round(this.presenter ? Math.max(300, vh - 170) : Math.min(720, Math.max(260, vh * 0.7)));
  }

  listen() {
    const m = this.model;
    this.handlers = [
      ["change:graph", () => this.load()],
      ["change:_epoch", () => this.load()],
      ["change:collapsed", () => this.onCollapsedTrait()],
      ["change:highlight", () => this.updateHighlight(true)],
      ["change:counters", () => this.updateHeader()],
      ["change:title", () => this.updateHeader()],
      ["change:message", () => this.updateHeader()],
      ["change:presenter", () => this.onLookChange()],
      ["change:full_width", () => this.onLookChange()],
      ["change:height", () => this.onLookChange()],
      ["change:simplified", () => (this.simplifiedBox.checked = !!m.get("simplified"))],
      ["change:selected", () => this.showDetails(m.get("selected"), false)],
      ["msg:custom", (msg) => this.onCustom(msg)],
      ["destroy", () => forget(this.doc)], // the model closed: no later view will need its drawing
    ];
    for (const [ev, fn] of this.handlers) m.on(ev, fn);
    this.simplifiedBox.onchange = () => {
      m.set("simplified", this.simplifiedBox.checked);
      m.save_changes();
    };
    this.colorSel.onchange = () => {
      this.colorBy = this.colorSel.value;
      this.recolor();
    };
    this.backBtn.onclick = () => this.closeSubgraph();
    // Clicks on nodes and group labels, for all of them at once (no listener per element).
    this.svg.addEventListener("click", (ev) => {
      const t = ev.target.closest && ev.target.closest(".gv-node, .gv-group-head");
      if (!t) return;
      ev.stopPropagation();
      if (t.classList.contains("gv-group-head")) this.toggleGroup(t.dataset.group);
      else if (this.vis && this.vis.nodes.has(t.dataset.id)) this.onNodeClick(this.vis.nodes.get(t.dataset.id));
    });
    // Pan and zoom.
    this.svg.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const r = this.svg.getBoundingClientRect();
        const px = ev.clientX - r.left;
        const py = ev.clientY - r.top;
        const f = Math.exp(-ev.deltaY * 0.0015);
        const k = Math.min(4, Math.max(Math.min(0.05, this.fitZoom() * 0.5), this.zoom.k * f));
        this.zoom.x = px - ((px - this.zoom.x) * k) / this.zoom.k;
        this.zoom.y = py - ((py - this.zoom.y) * k) / this.zoom.k;
        this.zoom.k = k;
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
  }

  destroy() {
    for (const [ev, fn] of this.handlers) this.model.off(ev, fn);
    if (this.resizer) this.resizer.disconnect();
    clearTimeout(this.relayoutSoon);
    this.layoutSeq += 1; // drop layouts still in flight
  }

  onLookChange() {
    this.applyLook();
    this.autoHeight = undefined;
    this.openView();
  }

  // ---- data ---------------------------------------------------------------------------------
  async load() {
    if (this.doc && this.model.get("graph") === this.doc && this.model.get("_epoch") === this.epoch) return;
    if (this.adoptSettled()) return;
    const seq = ++this.loadSeq;
    this.layoutSeq += 1; // a layout of the previous document must not draw
    this.doc = this.model.get("graph") || {};
    this.epoch = this.model.get("_epoch");
    this.applied = new Set();
    this.stack = [];
    this.backBtn.style.display = "none";
    this.loading = true;
    this.setBusy(1);
    const t0 = performance.now();
    const state = await indexDocSliced(this.doc, yieldToPage, () => seq !== this.loadSeq);
    this.setBusy(-1);
    if (!state) return; // a newer document arrived meanwhile
    this.indexMs = performance.now() - t0;
    this.loading = false;
    this.rootState = state;
    this.rootState.doc = this.doc;
    this.rootState.name = this.doc.name;
    this.state = this.rootState;
    this.collapsed = new Set(this.model.get("collapsed") || []);
    this.unfolded = new Set();
    this.resetScene = true;
    this.simplifiedBox.checked = !!this.model.get("simplified");
    this.buildStrip();
    for (const msg of this.queued.splice(0)) this.onCustom(msg);
    this.relayout({ open: true });
  }

  /**
   * The document was replaced by one with the same content (Python folds the live batches into
   * `graph` after each cell): keep the drawing, with its zoom and groups, instead of starting over.
   */
  adoptSettled() {
    const doc = this.model.get("graph");
    if (!doc || !this.drawnState(this.doc) || !sameContent(this.rootState, doc)) return false;
    this.doc = this.rootState.doc = doc;
    this.rootState.name = doc.name;
    this.epoch = this.model.get("_epoch"); // appends of the old epoch are in the document now
    remember(doc, this);
    this.updateHeader();
    this.buildStrip(); // its graph breaks come from the document's meta
    return true;
  }

  /** What a new view of this model needs to draw at once (viewcache.js); null while it changes. */
  drawnState(doc) {
    if (this.doc !== doc || this.loading || this.busy || this.catchingUp || this.relayoutSoon) return null;
    if (this.state !== this.rootState || !this.pos || !this.vis || this.tooLarge) return null;
    const { doc: _doc, ...index } = this.rootState; // the document itself is the model's: not copied
    return {
      index,
      vis: this.vis,
      pos: this.pos,
      homes: this.homes || new Map(),
      routes: this.routes,
      boxList: this.boxList,
      boxParents: this.boxParents || new Map(),
      bounds: this.bounds,
      collapsed: this.collapsed,
      unfolded: this.unfolded,
      applied: this.applied,
      seenNodes: this.seenNodes,
      seenEdges: this.seenEdges,
      epoch: this.epoch,
      zoom: this.zoom,
      userMoved: !!this.userMoved,
      size: this.size,
      height: this.canvas.style.height,
      autoHeight: this.autoHeight,
      userHeight: this.userHeight,
      colorBy: this.colorBy,
    };
  }

  /**
   * A new view of a model an earlier view of this page drew (JupyterLab makes one when the cell's
   * display is updated): draw that view's result at once, no blank frame and no layout. False when
   * there is none to copy.
   */
  restore() {
    const doc = this.model.get("graph");
    const d = doc && drawnCopy(doc);
    if (!d || d.epoch !== this.model.get("_epoch")) return false;
    const { index, height, size, ...view } = d;
    Object.assign(this, view);
    this.doc = doc;
    this.rootState = this.state = Object.assign(index, { doc });
    this.colorSel.value = this.colorBy;
    this.simplifiedBox.checked = !!this.model.get("simplified");
    if (height) this.canvas.style.height = height;
    if (size) {
      this.size = size;
      this.sizeStale = false;
    }
    this.resetScene = true;
    this.buildStrip();
    const token = ++this.layoutSeq;
    const t0 = performance.now();
    this.setBusy(1);
    this.draw(token).then((ok) => {
      this.setBusy(-1);
      if (!ok) return;
      this.finish(t0, 0, 0);
      if (this.state.order.length > this.seenNodes || this.state.edges.length > this.seenEdges) this.catchUp();
    });
    return true;
  }

  onCollapsedTrait() {
    if (!this.state) return;
    const next = new Set(this.model.get("collapsed") || []);
    if (next.size === this.collapsed.size && [...next].every((g) => this.collapsed.has(g))) return;
    this.collapsed = next;
    this.relayout({ keepZoom: true });
  }

  onCustom(msg) {
    if (!msg || msg.type !== "append") return;
    if (this.loading) {
      this.queued.push(msg); // applied once the document is indexed
      return;
    }
    if (msg.view && msg.view !== this.viewId) return;
    if (msg.epoch !== this.epoch) return;
    for (const b of msg.batches || [msg]) {
      if (this.applied.has(b.seq)) continue;
      this.applied.add(b.seq);
      addToIndex(this.rootState, b.nodes, b.edges, b.groups);
    }
    if (this.state !== this.rootState) return;
    if (this.rootState.regrouped) {
      this.rootState.regrouped = false;
      this.relayout({ keepZoom: true });
      return;
    }
    this.catchUp();
  }

  maxNodes() {
    return this.model.get("max_nodes") || 10000;
  }

  // ---- layout -------------------------------------------------------------------------------
  setBusy(delta) {
    this.busy += delta;
    this.showBusy();
  }

  /** data-busy counts layouts and a live catch-up still in progress (tests wait for "0"). */
  showBusy() {
    const n = this.busy + (this.catchingUp ? 1 : 0);
    this.root.dataset.busy = String(n);
    this.root.classList.toggle("gv-busy", this.busy > 0);
  }

  /** Lay the visible graph out in the worker, then draw it. opts: {open, keepZoom, anchor}. */
  async relayout(opts = {}) {
    const token = ++this.layoutSeq;
    const t0 = performance.now();
    const state = this.state;
    const anchor = opts.anchor ? this.screenOf(opts.anchor) : null;
    this.setBusy(1);
    const vis = opts.vis || (await visibleGraphSliced(state, this.collapsed, this.unfolded, yieldToPage, () => token !== this.layoutSeq));
    if (!vis || token !== this.layoutSeq) {
      this.setBusy(-1);
      return;
    }
    this.vis = vis;
    this.seenNodes = vis.seenNodes;
    this.seenEdges = vis.seenEdges;
    this.tooLarge = this.vis.nodes.size > this.maxNodes();
    if (this.tooLarge || !this.vis.nodes.size) {
      this.pos = new Map();
      this.routes = new Map();
      this.boxList = [];
      this.bounds = null;
      await this.draw(token);
      this.setBusy(-1);
      this.finish(t0, 0, 0);
      if (state.order.length > this.seenNodes) this.catchUp();
      return;
    }
    const tVis = performance.now();
    const { items, groups, edgeList, edges } = layoutInput(state, this.collapsed, this.vis);
    const tInput = performance.now();
    const req = { view: this.viewId + (this.stack.length ? "/" + this.stack.length : ""), items, groups, edges, engine: this.engine };
    let res;
    try {
      res = await layoutWorker().layout(req);
    } catch (err) {
      this.setBusy(-1);
      this.flash("layout failed: " + (err.message || err));
      return;
    }
    if (token !== this.layoutSeq) {
      this.setBusy(-1);
      return; // a newer layout was asked for meanwhile
    }
    const t1 = performance.now();
    // Where the time went (main thread: visible graph, worker input; then the worker's layout,
    // the round trip, and drawing), for the benchmark.
    this.phases = { index: opts.open ? this.indexMs : 0, visible: tVis - t0, input: tInput - tVis, worker: res.ms, roundTrip: t1 - tInput };
    this.pos = new Map();
    this.homes = new Map();
    items.forEach(([id, w, h, home], i) => {
      this.pos.set(id, { x: res.x[i], y: res.y[i], w, h });
      this.homes.set(id, home);
    });
    this.boxParents = new Map(groups);
    this.routes = new Map();
    edgeList.forEach((e, i) => {
      if (res.routes[i]) this.routes.set(e.key, res.routes[i]);
    });
    this.boxList = res.boxes.map(([id, x, y, w, h, depth]) => ({ id, x, y, w, h, depth })).sort((a, b) => a.depth - b.depth);
    this.bounds = { x0: 0, y0: 0, x1: res.width, y1: res.height };
    this.root.dataset.layoutMs = String(Math.round(res.ms));
    this.root.dataset.levelsLaidOut = String(res.laidOut);
    // Decide the zoom first: with culling, what is off screen is created hidden.
    if (opts.open) this.openView();
    else {
      this.growCanvas();
      if (anchor) this.keepAnchor(opts.anchor, anchor);
      else if (!opts.keepZoom) this.fit();
    }
    const ok = await this.draw(token);
    if (!ok) {
      this.setBusy(-1);
      return;
    }
    this.phases.draw = performance.now() - t1;
    Object.assign(this.phases, { drawJs: this.drawStats.js, slices: this.drawStats.slices });
    this.root.dataset.phases = JSON.stringify(this.phases, (k, v) => (typeof v === "number" ? Math.round(v) : v));
    this.setBusy(-1);
    this.finish(t0, t1, res.ms);
    if (state.order.length > this.seenNodes || state.edges.length > this.seenEdges) this.catchUp();
    else if (this.applied.size) {
      // A live view: build what placing the next batch needs now, in a frame of its own (not
      // the one that paints the drawing), rather than in that batch's handler.
      yieldToPage().then(() => token === this.layoutSeq && !this.busy && this.preparePlacement());
    }
  }

  finish(t0, t1, layoutMs) {
    const ms = performance.now() - t0;
    this.root.dataset.renderMs = String(Math.round(ms));
    this.root.dataset.drawMs = String(Math.round(t1 ? performance.now() - t1 : 0));
    this.root.dataset.visibleNodes = String(this.vis ? this.vis.nodes.size : 0);
    this.root.dataset.drawn = String((Number(this.root.dataset.drawn) || 0) + 1);
    if (this.state === this.rootState) remember(this.doc, this);
    this.root.dispatchEvent(new CustomEvent("gv-drawn", { bubbles: true, detail: { ms, layoutMs } }));
  }

  /** Screen position of a node or group box (for keeping it still across a re-layout). */
  screenOf(id) {
    const p = this.anchorBox(id);
    if (!p) return null;
    return { x: p.x * this.zoom.k + this.zoom.x, y: p.y * this.zoom.k + this.zoom.y };
  }

  anchorBox(id) {
    const gid = id.startsWith(GROUP_PREFIX) ? id.slice(GROUP_PREFIX.length) : id;
    const b = (this.boxList || []).find((x) => x.id === gid);
    if (b) return { x: b.x + b.w / 2, y: b.y };
    const p = this.pos && (this.pos.get(GROUP_PREFIX + gid) || this.pos.get(id));
    return p ? { x: p.x, y: p.y - p.h / 2 } : null;
  }

  keepAnchor(id, screen) {
    const p = this.anchorBox(id);
    if (!p) return;
    this.zoom.x = screen.x - p.x * this.zoom.k;
    this.zoom.y = screen.y - p.y * this.zoom.k;
    this.applyZoom();
  }

  /**
   * Live growth: add what arrived since the last layout; nodes on screen never move. A big batch
   * is placed and drawn over several frames (LIVE_SLICE_MS each, in arrival order, LIVE_CHUNK
   * nodes at a time with the edges whose two ends are in), so the page keeps answering (measured:
   * 2000 nodes arriving at once blocked the page for 380 ms of CPU in one task).
   */
  catchUp() {
    if (this.catchingUp) return; // a sliced catch-up is under way: it takes the new nodes too
    this.catchUpSlice();
  }

  catchUpSlice() {
    if (!this.vis || this.busy || this.relayoutSoon || this.tooLarge || !this.pos) return this.endCatchUp();
    if (!this.layers) {
      this.endCatchUp();
      this.relayout({ open: true });
      return;
    }
    const t0 = performance.now();
    const state = this.state;
    if (!this.catchingUp) this.pendingEdges = [];
    for (let i = this.seenEdges; i < state.edges.length; i++) this.pendingEdges.push(state.edges[i]);
    this.seenEdges = state.edges.length;
    this.preparePlacement();
    const wasEmpty = this.nodeEls.size === 0;
    let last = null;
    do {
      const ids = state.order.slice(this.seenNodes, this.seenNodes + LIVE_CHUNK);
      this.seenNodes += ids.length;
      const more = this.seenNodes < state.order.length;
      const fresh = extendVisible(state, this.collapsed, this.vis, ids, []);
      // Edges whose two ends are in (so a node is placed below its inputs); the rest wait for
      // the nodes still to come, and all go in with the last nodes.
      const ready = [];
      const waiting = [];
      for (const e of this.pendingEdges) (!more || (this.vis.rep.has(e.source) && this.vis.rep.has(e.target)) ? ready : waiting).push(e);
      this.pendingEdges = waiting;
      fresh.edges = extendVisible(state, this.collapsed, this.vis, [], ready).edges;
      if (this.vis.nodes.size > this.maxNodes()) {
        this.tooLarge = true;
        this.endCatchUp();
        this.draw(this.layoutSeq);
        this.finish(t0, 0, 0);
        return;
      }
      this.placeAndDraw(fresh, ids);
      if (this.relayoutSoon) return this.endCatchUp(); // crowded: a re-layout takes the rest
      if (fresh.nodes.length) last = fresh.nodes[fresh.nodes.length - 1];
    } while (this.seenNodes < state.order.length && performance.now() - t0 < LIVE_SLICE_MS);
    this.updateHeader();
    if (this.messageEl.style.display === "block" && this.vis.nodes.size) this.messageEl.style.display = "none";
    // Follow the growth until the user pans or zooms by hand.
    if (wasEmpty) this.openView();
    else if (!this.userMoved && last) this.follow(this.pos.get(last));
    if (this.seenNodes < state.order.length || this.pendingEdges.length) {
      this.catchingUp = true;
      this.showBusy();
      const seq = this.layoutSeq;
      yieldToPage()
        .then(() => {
          if (seq !== this.layoutSeq) return this.endCatchUp(); // a new layout covers the rest
          this.catchUpSlice();
        })
        .catch((err) => {
          this.endCatchUp(); // the next batch starts afresh
          this.flash("live update failed: " + (err.message || err));
        });
      return;
    }
    this.endCatchUp();
    this.finish(t0, t0, 0);
  }

  /** The placer and edge router of live growth, built once per layout (their cost grows with the graph). */
  preparePlacement() {
    if (this.placer || !this.pos || !this.vis) return;
    if (!this.homes) this.homes = new Map();
    this.placer = new Placer(this.pos, this.homes, this.boxList, this.boxParents);
    this.router = new LiveRouter(this.placer, this.pos, this.homes, this.routes, this.vis.edges.values());
  }

  /** Live growth: place new nodes below their inputs and draw them with their edges. */
  placeAndDraw(fresh, ids) {
    const placed = placeBatch(this.placer, this.state, this.collapsed, this.vis, fresh, this.pos, this.homes);
    // Edges go around boxes as a layout routes them: the new ones, and those a new node or a grown
    // box now covers.
    const routed = placed && this.router.update(fresh.edges, (key) => this.vis.edges.get(key));
    if (!routed) {
      // No free spot for a node near its inputs (its group's box would swallow a neighbour, e.g. a
      // module called a second time): draw none of this batch and lay the view out again soon
      // (what arrives meanwhile waits for it), instead of drawing boxes over each other. So
      // does an edge with no way around the boxes.
      this.placer = null;
      this.relayoutSoon = setTimeout(() => {
        this.relayoutSoon = null;
        this.relayout({ keepZoom: true });
      }, CROWDED_RELAYOUT_MS);
      return;
    }
    for (const id of fresh.nodes) {
      const v = this.vis.nodes.get(id);
      const p = this.pos.get(id);
      this.growBounds(p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2);
      this.drawNode(v, this.layers.nodes);
      this.growBoxes(v);
    }
    for (const key of routed) this.drawEdge(this.vis.edges.get(key), this.layers.edges, this.vis.edges.size <= EDGE_LABEL_LIMIT);
    this.cullNew({ nodes: fresh.nodes, edges: routed });
    // Counted member totals of collapsed groups changed: refresh their subtitles.
    const freshSet = fresh.nodes.length ? new Set(fresh.nodes) : null;
    for (const id of ids) {
      const r = this.vis.rep.get(id);
      if (r && r !== id && !(freshSet && freshSet.has(r))) this.refreshSub(r);
    }
  }

  endCatchUp() {
    this.pendingEdges = [];
    if (!this.catchingUp) return;
    this.catchingUp = false;
    this.showBusy();
  }

  /** Live growth with culling on: hide the new elements that are off screen (cost: the batch). */
  cullNew(fresh) {
    if (!this.culling()) return;
    if (!this.culledOnce) {
      this.cull(); // the graph just grew past the limit: one full pass
      return;
    }
    const r = this.culledRect || this.viewRect();
    const off = (x0, y0, x1, y1) => x1 < r.x0 || x0 > r.x1 || y1 < r.y0 || y0 > r.y1;
    for (const id of fresh.nodes) {
      const g = this.nodeEls.get(id);
      const p = this.pos.get(id);
      if (g && p && off(p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2)) {
        g.gvHidden = true;
        g.style.display = "none";
      }
    }
    for (const key of fresh.edges) {
      const rec = this.edgeEls.get(key);
      // A re-routed edge may have moved onto the screen as well as off it.
      if (rec && !!rec.path.gvHidden !== off(...rec.bbox)) {
        rec.path.gvHidden = !rec.path.gvHidden;
        rec.path.style.display = rec.path.gvHidden ? "none" : "";
      }
    }
  }

  growBounds(x0, y0, x1, y1) {
    if (!this.bounds) this.bounds = { x0, y0, x1, y1 };
    const b = this.bounds;
    b.x0 = Math.min(b.x0, x0);
    b.y0 = Math.min(b.y0, y0);
    b.x1 = Math.max(b.x1, x1);
    b.y1 = Math.max(b.y1, y1);
  }

  /** A live node inside expanded groups: draw their boxes as the placer grew them around it. */
  growBoxes(v) {
    for (const gid of ancestry(this.state, homeGroup(v))) {
      const r = this.placer.boxes.get(gid);
      if (this.collapsed.has(gid) || !r) continue;
      let b = this.boxEls.get(gid);
      if (!b) {
        if (!this.boxParents) this.boxParents = new Map();
        if (!this.boxParents.has(gid)) this.boxParents.set(gid, this.placer.parents.get(gid) || "");
        b = this.drawBox({ id: gid, ...r, depth: ancestry(this.state, gid).length - 1 });
      } else {
        Object.assign(b, r);
        this.placeBox(b);
      }
      this.growBounds(b.x, b.y, b.x + b.w, b.y + b.h);
    }
  }

  collapseAll() {
    this.collapsed = new Set([...this.state.groups.values()].filter((g) => !g.parent).map((g) => g.id));
    this.unfolded = new Set();
    this.syncCollapsed();
    this.relayout({ open: true });
  }

  async toggleGroup(gid) {
    const next = new Set(this.collapsed);
    if (next.has(gid)) {
      next.delete(gid);
      // Children of a group being opened start collapsed when the group is big.
      const limit = this.model.get("collapse_above") || 150;
      const g = this.state.groups.get(gid);
      if (g && g.size > limit) {
        for (const c of this.state.groups.values()) if (c.parent === gid) next.add(c.id);
      }
    } else next.add(gid);
    const seq = ++this.toggleSeq;
    const vis = await visibleGraphSliced(this.state, next, this.unfolded, yieldToPage, () => seq !== this.toggleSeq);
    if (!vis) return; // another click came first
    if (vis.nodes.size > this.maxNodes()) {
      this.flash(`Not expanded: ${vis.nodes.size} nodes would be visible (limit ${this.maxNodes()}).`);
      return;
    }
    this.collapsed = next;
    this.syncCollapsed();
    this.relayout({ anchor: GROUP_PREFIX + gid, vis });
  }

  unfoldFamily(fid) {
    this.unfolded.add(fid);
    this.relayout({ anchor: fid });
  }

  syncCollapsed() {
    if (this.state !== this.rootState) return;
    this.model.set("collapsed", [...this.collapsed].sort());
    this.model.save_changes();
  }

  flash(text) {
    this.statusEl.textContent = text;
    this.statusEl.classList.add("gv-warn");
  }

  // ---- drawing ------------------------------------------------------------------------------
  color(v) {
    if (v.kind === "group") return KIND_COLORS.group;
    if (this.colorBy === "device") {
      const d = v.node.device;
      if (!d) return "#ffffff";
      return DEVICE_PALETTE[this.deviceIndex(d) % DEVICE_PALETTE.length];
    }
    return KIND_COLORS[v.node.kind] || KIND_COLORS.op;
  }

  deviceIndex(d) {
    if (!this.devices) this.devices = [];
    let i = this.devices.indexOf(d);
    if (i < 0) {
      this.devices.push(d);
      i = this.devices.length - 1;
    }
    return i;
  }

  recolor() {
    for (const [id, g] of this.nodeEls) {
      const v = this.vis.nodes.get(id);
      if (v) g.querySelector(".gv-box").setAttribute("fill", this.color(v));
    }
    this.drawLegend();
  }

  /**
   * Bring the scene up to date with the layout: elements of boxes, edges and nodes that stay are
   * moved (not rebuilt), new ones are created, gone ones removed; big graphs are built over several
   * frames. Resolves false if a newer layout superseded this one.
   */
  async draw(token) {
    this.updateHeader();
    this.placer = null;
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
    this.cull();
    return true;
  }

  /**
   * While culling, show or hide a moved element for its new place right away: the frames between
   * drawing slices never lay out what ends up off screen.
   */
  cullMoved(el, x0, y0, x1, y1) {
    const r = this.cullRect || this.culledRect;
    if (r) this.showIn(r, el, x0, y0, x1, y1);
  }

  clearScene() {
    this.scene.textContent = "";
    this.culledOnce = false;
    this.culledRect = null;
    this.layers = null;
    this.nodeEls = new Map();
    this.boxEls = new Map();
    this.edgeEls = new Map();
  }

  drawBox(b) {
    const old = this.boxEls.get(b.id);
    if (old) {
      Object.assign(old, { x: b.x, y: b.y, w: b.w, h: b.h, depth: b.depth });
      old.el.setAttribute("data-parent", (this.boxParents && this.boxParents.get(b.id)) || "");
      this.placeBox(old);
      return old;
    }
    const g = this.state.groups.get(b.id);
    const type = groupType(g);
    b.text = "\u25be " + (g.label || g.id) + (type && !(g.label || "").includes(type) ? " \u00b7 " + type : "");
    const title = (g.label || g.id) + (type ? " (" + type + ")" : "") + ": click the label to collapse";
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
    this.create(this.layers.heads, markup("text", head, esc(truncate(b.text, w - 12, 6.4))), (el) => {
      b.head = el;
      el.gvHidden = !!hidden.style;
    });
    this.boxEls.set(b.id, b);
    return b;
  }

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
    const label = truncate(b.text, w - 12, 6.4);
    if (b.head.textContent !== label) b.head.textContent = label;
    this.cullMoved(b.el, x, y, x + w, y + h);
    this.cullMoved(b.head, x, y, x + w, y + h);
  }

  edgePath(e) {
    const a = this.pos.get(e.source);
    const b = this.pos.get(e.target);
    if (!a || !b) return null;
    const pts = this.routes.get(e.key);
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

  drawEdge(e, layer, withLabels) {
    const old = this.edgeEls.get(e.key);
    // Unchanged by a re-layout (an expand moves only part of the scene): nothing to redo.
    if (old && this.sameGeometry(old, e)) return;
    const geo = this.edgePath(e);
    if (!geo) return;
    const info = edgeInfo(e.edge);
    if (old) {
      this.keepGeometry(old, e);
      old.bbox = geo.bbox;
      old.path.setAttribute("d", geo.d);
      this.cullMoved(old.path, ...geo.bbox);
      if (old.label) {
        old.label.setAttribute("x", geo.lx + 4);
        old.label.setAttribute("y", geo.ly + 3);
        this.cullMoved(old.label, ...geo.bbox);
      }
      return;
    }
    const rec = { path: null, label: null, bbox: geo.bbox };
    this.keepGeometry(rec, e);
    const hidden = this.cullRect && this.offScreen(...geo.bbox) ? { style: "display: none" } : {};
    const path = { class: "gv-edge", d: geo.d, "marker-end": `url(#${this.viewId}-arrow)`, "data-source": e.source, "data-target": e.target, ...hidden };
    this.create(layer, markup("path", path), (el) => {
      rec.path = el;
      el.gvHidden = !!hidden.style;
    });
    if (withLabels && info) {
      const text = e.edge.shape ? fmtShape(e.edge.shape) : info;
      this.create(layer, markup("text", { class: "gv-edge-label", x: geo.lx + 4, y: geo.ly + 3, ...hidden }, esc(text)), (el) => {
        rec.label = el;
        el.gvHidden = !!hidden.style;
      });
    }
    this.edgeEls.set(e.key, rec);
  }

  /** What an edge's path was drawn from: its route, or its two end boxes when it has none. */
  keepGeometry(rec, e) {
    const pts = this.routes.get(e.key);
    const a = this.pos.get(e.source);
    const b = this.pos.get(e.target);
    rec.geo = pts && pts.length >= 4 ? Array.from(pts) : a && b ? [a.x, a.y, a.h, b.x, b.y, b.h] : null;
  }

  sameGeometry(rec, e) {
    const was = rec.geo;
    if (!was) return false;
    const pts = this.routes.get(e.key);
    let now = pts;
    if (!(pts && pts.length >= 4)) {
      const a = this.pos.get(e.source);
      const b = this.pos.get(e.target);
      if (!a || !b) return false;
      now = [a.x, a.y, a.h, b.x, b.y, b.h];
    }
    if (now.length !== was.length) return false;
    for (let i = 0; i < now.length; i++) if (now[i] !== was[i]) return false;
    return true;
  }

  drawNode(v, layer) {
    const p = this.pos.get(v.id);
    if (!p) return;
    const transform = `translate(${p.x - p.w / 2},${p.y - p.h / 2})`;
    const label = nodeLabel(v);
    const sub = nodeSub(v);
    const sig = { key: `${p.w}x${p.h}|${label}|${sub}`, label, sub };
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
    let inner = "";
    if (v.family) inner += markup("rect", { class: "gv-stack", x: 4, y: -4, width: p.w, height: p.h, rx: 8 });
    inner += markup("rect", { class: "gv-box", width: p.w, height: p.h, rx: v.kind === "group" ? 8 : 4, fill: this.color(v) });
    inner += markup("text", { class: "gv-label", x: p.w / 2, y: 16 }, esc(sig.label));
    if (sig.sub) inner += markup("text", { class: "gv-sub", x: p.w / 2, y: 30 }, esc(sig.sub));
    let y = sig.sub ? 30 : 16;
    for (const line of paramLines(v)) {
      y += LINE_H;
      inner += markup("text", { class: "gv-param", x: p.w / 2, y }, esc(line));
    }
    const title = v.node ? `${v.node.op} (${v.node.kind})` : v.family ? "repeated blocks: click to unfold" : "group: click to expand";
    inner += markup("title", {}, esc(title));
    this.create(layer, markup(HIDEABLE, attrs, inner), (g) => {
      g.gvBox = attrs["data-box"];
      g.gvSig = sig.key;
      g.gvTransform = transform;
      g.gvHidden = !!hidden;
      this.nodeEls.set(v.id, g);
    });
  }

  /** New elements go into the draw's batch; outside a draw (live growth) they are created now. */
  create(layer, text, done) {
    if (this.batch) this.batch.add(layer, text, done);
    else {
      const b = new MarkupBatch();
      b.add(layer, text, done);
      b.flush();
    }
  }

  /** Is the box off screen (created hidden)? Only while culling: during a draw or after a pass. */
  offScreen(x0, y0, x1, y1) {
    const r = this.cullRect || this.culledRect;
    return !!r && (x1 < r.x0 || x0 > r.x1 || y1 < r.y0 || y0 > r.y1);
  }

  /** Show `el` if its box meets rectangle r, else hide it (display: none); true if shown. */
  showIn(r, el, x0, y0, x1, y1) {
    const hide = x1 < r.x0 || x0 > r.x1 || y1 < r.y0 || y0 > r.y1;
    if (!!el.gvHidden !== hide) {
      el.gvHidden = hide;
      el.style.display = hide ? "none" : "";
    }
    return !hide;
  }

  refreshSub(id) {
    const g = this.nodeEls.get(id);
    const v = this.vis.nodes.get(id);
    const t = g && g.querySelector(".gv-sub");
    if (t && v) t.textContent = nodeSub(v);
  }

  drawLegend() {
    this.legend.textContent = "";
    const items = [];
    if (this.colorBy === "device") {
      const seen = new Set();
      for (const n of this.state.nodes.values()) if (n.device) seen.add(n.device);
      for (const d of seen) items.push([d, DEVICE_PALETTE[this.deviceIndex(d) % DEVICE_PALETTE.length]]);
      items.push(["no device", "#ffffff"]);
    } else {
      const seen = new Set([...this.state.nodes.values()].map((n) => n.kind));
      for (const k of Object.keys(KIND_COLORS)) if (seen.has(k)) items.push([k, KIND_COLORS[k]]);
      if (this.vis && [...this.vis.nodes.values()].some((v) => v.kind === "group")) items.push(["collapsed group", KIND_COLORS.group]);
    }
    for (const [name, col] of items) {
      const it = html("span", "gv-legend-item", this.legend);
      html("span", "gv-swatch", it).style.background = col;
      it.appendChild(document.createTextNode(name));
    }
  }

  /** Compiled graphs (top-level "CompiledGraph" groups) and the graph breaks between them. */
  buildStrip() {
    const s = this.strip;
    s.textContent = "";
    const meta = this.doc.meta || {};
    const breaks = Array.isArray(meta.breaks) ? meta.breaks : [];
    const graphs = [...this.rootState.groups.values()].filter((g) => !g.parent && groupType(g) === "CompiledGraph");
    if (!graphs.length && !breaks.length) {
      s.style.display = "none";
      return;
    }
    s.style.display = "";
    const zeroBased = breaks.some((b) => b.graph === 0);
    const breakChip = (b) => {
      const c = html("span", "gv-break", s);
      html("b", "", c, "graph break: ");
      c.appendChild(document.createTextNode(String(b.reason || "")));
      if (b.where) html("span", "gv-where", c, " at " + b.where);
    };
    const used = new Set();
    graphs.forEach((g, i) => {
      const chip = html("button", "gv-graph-chip", s, g.label || g.id);
      chip.title = "show " + (g.label || g.id);
      chip.onclick = () => this.focusGroup(g.id);
      breaks.forEach((b, j) => {
        if (!used.has(j) && b.graph === (zeroBased ? i : i + 1)) {
          used.add(j);
          breakChip(b);
        }
      });
    });
    breaks.forEach((b, j) => {
      if (!used.has(j)) breakChip(b);
    });
  }

  focusGroup(gid) {
    const b = (this.boxList || []).find((x) => x.id === gid);
    const p = b ? { x: b.x + b.w / 2, y: b.y + Math.min(b.h, 200) / 2 } : this.pos && this.pos.get(GROUP_PREFIX + gid);
    if (!p) return;
    const { W, H } = this.canvasSize();
    const k = Math.max(this.zoom.k, this.readableZoom());
    this.zoom = { k, x: W / 2 - p.x * k, y: Math.min(H / 2, 40) - (b ? b.y : p.y - 20) * k };
    this.userMoved = true;
    this.applyZoom();
  }

  updateHeader() {
    const m = this.model;
    const title = m.get("title") || this.doc.name || "graph";
    this.titleEl.textContent = this.stack.length ? title + " \u203a " + this.state.name : title;
    const c = m.get("counters") || {};
    const parts = [];
    if (c.traces !== undefined) parts.push(`traces ${c.traces}`);
    if (c.recompiles !== undefined) parts.push(`recompiles ${c.recompiles}`);
    if (c.graph_breaks !== undefined) parts.push(`graph breaks ${c.graph_breaks}`);
    this.countersEl.textContent = parts.join(" \u00b7 ");
    const n = this.state ? this.state.nodes.size : 0;
    const e = this.state ? this.state.edges.length : 0;
    const meta = (this.state && this.state.doc && this.state.doc.meta) || {};
    const raw = this.state === this.rootState && Number.isFinite(meta.raw_node_count) ? meta.raw_node_count : n;
    const v = this.vis ? this.vis.nodes.size : 0;
    this.statusEl.classList.remove("gv-warn");
    this.statusEl.textContent = `raw ${raw} \u00b7 shown ${n} nodes, ${e} edges` + (v && v !== n ? ` \u00b7 ${v} boxes` : "");
    this.root.dataset.nodes = String(n);
  }

  applyZoom() {
    const t = `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`;
    if (this.sceneTransform !== t) this.scene.setAttribute("transform", t);
    this.sceneTransform = t;
    this.root.dataset.zoom = this.zoom.k.toFixed(4);
    this.scheduleCull();
  }

  // ---- culling: big graphs keep only what is near the screen in the page's layout -------------
  // The browser lays out and paints every displayed SVG element after any change; with thousands
  // of nodes that alone blocks the page for longer than a frame. Elements far off screen are
  // hidden (display: none) and shown again when panning or zooming brings them near.
  culling() {
    return !!this.vis && this.vis.nodes.size > CULL_ABOVE;
  }

  scheduleCull() {
    if (this.cullPending || !this.culling()) return;
    this.cullPending = true;
    requestAnimationFrame(() => {
      this.cullPending = false;
      // A full pass costs every element; skip it while the screen (plus a small margin) is still
      // inside the rectangle of the last pass: all that can be seen is shown already. Live growth
      // pans a little per batch, so most of its frames skip it.
      const last = this.culledRect;
      const r = this.viewRect(0.1);
      if (last && r.x0 >= last.x0 && r.y0 >= last.y0 && r.x1 <= last.x1 && r.y1 <= last.y1) return;
      this.cull();
    });
  }

  /** The scene rectangle on screen, with a margin of `margin` screens on every side. */
  viewRect(margin = 0.75) {
    const { W, H } = this.canvasSize();
    const { k, x, y } = this.zoom;
    const mx = margin * W;
    const my = margin * H;
    return { x0: (-x - mx) / k, y0: (-y - my) / k, x1: (W + mx - x) / k, y1: (H + my - y) / k };
  }

  cull() {
    const on = this.culling();
    const r = this.viewRect();
    this.culledRect = on ? r : null;
    let shown = 0;
    const all = { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity };
    const show = (el, x0, y0, x1, y1) => (this.showIn(on ? r : all, el, x0, y0, x1, y1) ? 1 : 0);
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
  }

  readableZoom() {
    return this.presenter ? PRESENTER_ZOOM : READABLE_ZOOM;
  }

  fitZoom() {
    const b = this.bounds;
    if (!b) return 1;
    const { W, H } = this.canvasSize();
    return Math.min((W - 20) / (b.x1 - b.x0 || 1), (H - 20) / (b.y1 - b.y0 || 1));
  }

  /** Show everything, zooming out as far as that needs. */
  fit() {
    this.userMoved = false;
    const b = this.bounds;
    if (!b) return;
    const { W } = this.canvasSize();
    const k = Math.min(this.presenter ? 2 : 1.25, this.fitZoom());
    this.zoom = { k, x: (W - (b.x1 - b.x0) * k) / 2 - b.x0 * k, y: 10 - b.y0 * k };
    this.applyZoom();
  }

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
    const k = kRead;
    // Centre on what is in the first screenful; left-align it if even that is too wide.
    const yMax = b.y0 + (H - 20) / k;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const p of this.pos.values()) {
      if (p.y - p.h / 2 > yMax) continue;
      x0 = Math.min(x0, p.x - p.w / 2);
      x1 = Math.max(x1, p.x + p.w / 2);
    }
    for (const bx of this.boxList || []) {
      if (bx.y > yMax) continue;
      x0 = Math.min(x0, bx.x);
      x1 = Math.min(Math.max(x1, bx.x + bx.w), x0 + (W - 20) / k);
    }
    if (!isFinite(x0)) {
      x0 = b.x0;
      x1 = b.x1;
    }
    const x = (x1 - x0) * k <= W - 20 ? (W - (x1 - x0) * k) / 2 - x0 * k : 10 - x0 * k;
    this.zoom = { k, x, y: 10 - b.y0 * k };
    this.userMoved = false;
    this.applyZoom();
  }

  /** Automatic height: after an expand, grow the canvas (never shrink it) up to its maximum. */
  growCanvas() {
    const b = this.bounds;
    if (!b || this.model.get("height") > 0 || this.userHeight !== undefined) return;
    const want = Math.round((b.y1 - b.y0) * this.zoom.k + 24);
    const h = Math.min(this.maxHeight(480), want);
    if (h > this.canvasSize().H + 2) this.setCanvasHeight(h);
  }

  /** Keep a newly placed live node in view: zoom out while that stays readable, else pan. */
  follow(p) {
    if (!p) return;
    const { W, H } = this.canvasSize();
    const { k, x, y } = this.zoom;
    const sx0 = (p.x - p.w / 2) * k + x;
    const sy0 = (p.y - p.h / 2) * k + y;
    const sx1 = (p.x + p.w / 2) * k + x;
    const sy1 = (p.y + p.h / 2) * k + y;
    if (sx0 >= 0 && sy0 >= 0 && sx1 <= W && sy1 <= H) return;
    if (this.fitZoom() >= this.readableZoom()) {
      this.fit();
      return;
    }
    if (sx0 < 0 || sx1 > W) this.zoom.x = W / 2 - p.x * k;
    if (sy1 > H) this.zoom.y = H - 20 - (p.y + p.h / 2) * k;
    if (sy0 < 0) this.zoom.y = 20 - (p.y - p.h / 2) * k;
    this.applyZoom();
  }

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
  }

  // ---- interaction --------------------------------------------------------------------------
  onNodeClick(v) {
    if (v.family) {
      this.unfoldFamily(v.id);
      return;
    }
    if (v.collapsedGroup) {
      this.toggleGroup(v.collapsedGroup.id);
      return;
    }
    this.showDetails(v.id, true);
  }

  showDetails(id, fromClick) {
    if (!this.state) return;
    for (const e of this.scene.querySelectorAll(".gv-selected")) e.classList.remove("gv-selected");
    const n = id ? this.state.nodes.get(id) : null;
    if (!n) {
      this.details.style.display = "none";
      return;
    }
    if (this.nodeEls.has(id)) this.nodeEls.get(id).classList.add("gv-selected");
    const d = this.details;
    d.textContent = "";
    d.style.display = "block";
    const close = html("button", "gv-close", d, "\u00d7");
    close.title = "close";
    close.onclick = () => {
      d.style.display = "none";
    };
    html("div", "gv-details-title", d, n.label || n.op);
    const table = html("table", "", d);
    const row = (k, val) => {
      if (val === null || val === undefined || val === "") return;
      const tr = html("tr", "", table);
      html("th", "", tr, k);
      html("td", "", tr, typeof val === "string" ? val : JSON.stringify(val));
    };
    row("id", n.id);
    row("op", n.op);
    row("kind", n.kind);
    row("group", n.group);
    row("shape", n.shape ? fmtShape(n.shape) : null);
    row("dtype", n.dtype);
    row("device", n.device);
    if (n.plumbing) row("plumbing", "yes");
    for (const p of Array.isArray(n.params) ? n.params : []) {
      row(p.kind === "const" ? "const" : "param", `${p.name} ${p.shape ? fmtShape(p.shape) : ""} ${p.dtype || ""}`.trim());
    }
    if (n.attrs && Object.keys(n.attrs).length) {
      for (const [k, val] of Object.entries(n.attrs).slice(0, 12)) {
        const s = typeof val === "string" ? val : JSON.stringify(val);
        row(k, s && s.length > 120 ? s.slice(0, 117) + "..." : s);
      }
    }
    const ins = this.state.edges.filter((e) => e.target === id);
    const outs = this.state.edges.filter((e) => e.source === id);
    const nm = (x) => {
      const m = this.state.nodes.get(x);
      return m ? m.label || m.op || x : x;
    };
    if (ins.length) row("inputs", ins.map((e) => nm(e.source) + (e.shape ? " " + fmtShape(e.shape) : "")).join(", "));
    if (outs.length) row("used by", outs.map((e) => nm(e.target)).join(", "));
    for (const sg of n.subgraphs || []) {
      const b = html("button", "gv-open-sub", d, "open " + sg);
      b.onclick = () => this.openSubgraph(sg);
    }
    if (fromClick && this.state === this.rootState && this.model.get("selected") !== id) {
      this.model.set("selected", id);
      this.model.save_changes();
    }
  }

  openSubgraph(name) {
    const sub = (this.state.doc && this.state.doc.subgraphs && this.state.doc.subgraphs[name]) || (this.doc.subgraphs || {})[name];
    if (!sub) {
      this.flash("subgraph " + name + " is not in the document");
      return;
    }
    this.stack.push({ state: this.state, collapsed: this.collapsed, unfolded: this.unfolded });
    this.state = indexDoc(sub);
    this.state.doc = sub;
    this.state.name = name;
    this.collapsed = new Set();
    this.unfolded = new Set();
    this.resetScene = true;
    this.backBtn.style.display = "";
    this.details.style.display = "none";
    this.relayout({ open: true });
  }

  closeSubgraph() {
    const top = this.stack.pop();
    if (!top) return;
    this.state = top.state;
    this.collapsed = top.collapsed;
    this.unfolded = top.unfolded;
    this.resetScene = true;
    if (!this.stack.length) this.backBtn.style.display = "none";
    this.details.style.display = "none";
    this.relayout({ open: true });
  }
}

function edgeInfo(e) {
  const parts = [];
  if (e.shape) parts.push(fmtShape(e.shape));
  if (e.dtype) parts.push(e.dtype);
  return parts.join(" ");
}

function render({ model, el }) {
  const ui = new GraphViewUI(model, el);
  return () => ui.destroy();
}

// Loaded as the shared engine widget's module: register the renderer for the views' loader, and
// start the layout worker now so the first graph does not wait for it.
function initialize() {
  const key = Symbol.for("sidebyside.graphview.engine");
  const g = globalThis;
  if (!g[key]) {
    let resolve;
    const ready = new Promise((r) => (resolve = r));
    g[key] = { ready, resolve };
  }
  try {
    layoutWorker();
  } catch (err) {
    // started again (and reported) on first use
  }
  g[key].resolve({ render });
}

export default { initialize, render };
export { GraphViewUI, ancestry, GROUP_PREFIX, FAMILY_PREFIX };
