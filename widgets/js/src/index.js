// GraphView: the anywidget front end of sidebyside.widget.GraphView.
// Draws a "sidebyside.graph/1" document as SVG: colours by kind or device (with a legend), collapsible
// groups laid out one group at a time in a Web Worker, folded parameters listed inside their op,
// repeated blocks folded into one box, a details panel on click (synced to Python as `selected`),
// live appends placed incrementally (nodes on screen never move), a highlighted node while stepping,
// counters, and a strip of compiled graphs with their break reasons.
//
// This file is the view's core: the page skeleton, the model's traits and messages, loading a
// document and laying it out. Each other concern is a module of its own under view/, read one at
// a time; their methods are installed on GraphViewUI below and share its state (`this`):
//   view/dom.js      SVG/HTML helpers, markup batches, waiting for a frame
//   view/scene.js    drawing: group boxes, edges, nodes (markup), highlight
//   view/labels.js   edge labels placed where they overlap nothing
//   view/zoom.js     zoom and pan, fit, the opening view, following live growth, canvas size
//   view/cull.js     hiding what is far off screen (big graphs)
//   view/live.js     live catch-up: append batches placed and drawn over several frames
//   view/overview.js the map of a graph bigger than the screen
//   view/groups.js   collapsing and expanding groups, unfolding families, opening subgraphs
//   view/legend.js   colours and the legend
//   view/details.js  the details panel of a clicked node
//   view/strip.js    the strip of compiled graphs and graph breaks
//   view/header.js   title, counters, status line, the busy state, a note when the kernel is gone
import { GROUP_PREFIX, FAMILY_PREFIX, ancestry, indexDocSliced, visibleGraphSliced } from "./graph.js";
import { layoutWorker } from "./layoutclient.js";
import { layoutInput } from "./request.js";
import { drawnCopy, forget, remember, sameContent } from "./viewcache.js";
import { cullMethods } from "./view/cull.js";
import { detailsMethods } from "./view/details.js";
import { html, svg, yieldToPage } from "./view/dom.js";
import { groupsMethods } from "./view/groups.js";
import { headerMethods } from "./view/header.js";
import { KIND_COLORS, legendMethods } from "./view/legend.js";
import { liveMethods } from "./view/live.js";
import { overviewMethods } from "./view/overview.js";
import { sceneMethods } from "./view/scene.js";
import { stripMethods } from "./view/strip.js";
import { zoomMethods } from "./view/zoom.js";

let counter = 0;

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
    this.noteEl = html("div", "gv-note", root); // view/header.js: a view without its kernel
    this.noteEl.style.display = "none";
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
    this.buildOverview();
    this.details = html("div", "gv-details", body);
    this.details.style.display = "none";
    this.legend = html("div", "gv-legend", root);
    this.applyLook();
    if (typeof ResizeObserver !== "undefined") {
      // A drag on the canvas's resize handle: remember the height the user chose. A new width
      // (the window, the notebook's panel, or a view drawn while hidden): fit it again.
      this.resizer = new ResizeObserver((entries) => {
        const r = entries[entries.length - 1].contentRect;
        const was = this.size;
        this.size = { W: r.width || 600, H: r.height || 400 };
        const h = this.canvas.clientHeight;
        if (this.autoHeight !== undefined && Math.abs(h - this.autoHeight) > 2) this.userHeight = h;
        if (was && Math.abs(was.W - this.size.W) > 2) this.refit(was.W);
      });
      this.resizer.observe(this.canvas);
    }
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
    this.listenPanZoom(); // view/zoom.js
    this.watchConnection(); // view/header.js
  }

  destroy() {
    for (const [ev, fn] of this.handlers) this.model.off(ev, fn);
    if (this.resizer) this.resizer.disconnect();
    this.unwatchConnection(); // view/header.js
    clearTimeout(this.relayoutSoon);
    clearTimeout(this.overviewSoon);
    this.layoutSeq += 1; // drop layouts still in flight
  }

  onLookChange() {
    this.applyLook();
    this.autoHeight = undefined;
    this.openView();
  }

  // ---- data: a document in, indexed, laid out, drawn ----------------------------------------
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

  maxNodes() {
    return this.model.get("max_nodes") || 10000;
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
    if (this.presenter) this.keepOnScreen(); // view/zoom.js: the whole widget on the screen
    const ms = performance.now() - t0;
    this.root.dataset.renderMs = String(Math.round(ms));
    this.root.dataset.drawMs = String(Math.round(t1 ? performance.now() - t1 : 0));
    this.root.dataset.visibleNodes = String(this.vis ? this.vis.nodes.size : 0);
    this.root.dataset.drawn = String((Number(this.root.dataset.drawn) || 0) + 1);
    if (this.state === this.rootState) remember(this.doc, this);
    this.root.dispatchEvent(new CustomEvent("gv-drawn", { bubbles: true, detail: { ms, layoutMs } }));
  }
}

/**
 * Install the methods of each part on the class, as its own methods would be (not enumerable). A
 * name defined twice is a mistake: it throws when the bundle loads rather than silently shadowing.
 */
export function compose(cls, ...parts) {
  for (const part of parts) {
    for (const name of Object.keys(part)) {
      if (Object.prototype.hasOwnProperty.call(cls.prototype, name)) throw new Error(`GraphViewUI.${name} is defined twice`);
      Object.defineProperty(cls.prototype, name, { value: part[name], writable: true, configurable: true, enumerable: false });
    }
  }
  return cls;
}

compose(GraphViewUI, headerMethods, zoomMethods, cullMethods, sceneMethods, legendMethods, liveMethods, overviewMethods, groupsMethods, detailsMethods, stripMethods);

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
export { GraphViewUI, ancestry, GROUP_PREFIX, FAMILY_PREFIX, KIND_COLORS };
