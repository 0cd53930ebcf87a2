// GraphView: the anywidget front end of sidebyside.widget.GraphView.
// Draws a "sidebyside.graph/1" document as SVG: colours by kind or device (with a legend), collapsible
// groups, a details panel on click (synced to Python as `selected`), live appends that never move
// nodes already on screen, a highlighted node while stepping, and counters.
import { addToIndex, ancestry, expandedGroups, fmtShape, GROUP_PREFIX, indexDoc, visibleGraph } from "./graph.js";
import { fullLayout, groupBoxes, nodeLabel, nodeSub, placeNew } from "./layout.js";

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
let counter = 0;

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

function html(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
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
    this.build();
    this.listen();
    this.load();
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
    html("button", "gv-relayout", bar, "re-layout").onclick = () => this.relayout(true);
    html("button", "gv-fit", bar, "fit").onclick = () => this.fit();
    html("button", "gv-collapse-all", bar, "collapse groups").onclick = () => this.collapseAll();
    const body = html("div", "gv-body", root);
    this.canvas = html("div", "gv-canvas", body);
    this.svg = svg("svg", { class: "gv-svg", width: "100%", height: "100%" }, this.canvas);
    const defs = svg("defs", {}, this.svg);
    const marker = svg(
      "marker",
      { id: this.viewId + "-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      defs,
    );
    svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#666" }, marker);
    this.scene = svg("g", { class: "gv-scene" }, this.svg);
    this.messageEl = html("div", "gv-message", this.canvas);
    this.details = html("div", "gv-details", body);
    this.details.style.display = "none";
    this.legend = html("div", "gv-legend", root);
    this.canvas.style.height = (this.model.get("height") || 420) + "px";
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
      ["change:simplified", () => (this.simplifiedBox.checked = !!m.get("simplified"))],
      ["change:selected", () => this.showDetails(m.get("selected"), false)],
      ["msg:custom", (msg) => this.onCustom(msg)],
    ];
    for (const [ev, fn] of this.handlers) m.on(ev, fn);
    this.simplifiedBox.onchange = () => {
      m.set("simplified", this.simplifiedBox.checked);
      m.save_changes();
    };
    this.colorSel.onchange = () => {
      this.colorBy = this.colorSel.value;
      this.draw();
    };
    this.backBtn.onclick = () => this.closeSubgraph();
    // Pan and zoom.
    this.svg.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const r = this.svg.getBoundingClientRect();
        const px = ev.clientX - r.left;
        const py = ev.clientY - r.top;
        const f = Math.exp(-ev.deltaY * 0.0015);
        const k = Math.min(4, Math.max(0.05, this.zoom.k * f));
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
  }

  // ---- data ---------------------------------------------------------------------------------
  load() {
    if (this.doc && this.model.get("graph") === this.doc && this.model.get("_epoch") === this.epoch) return;
    this.doc = this.model.get("graph") || {};
    this.epoch = this.model.get("_epoch");
    this.applied = new Set();
    this.stack = [];
    this.backBtn.style.display = "none";
    this.rootState = indexDoc(this.doc);
    this.rootState.doc = this.doc;
    this.rootState.name = this.doc.name;
    this.state = this.rootState;
    this.collapsed = new Set(this.model.get("collapsed") || []);
    this.simplifiedBox.checked = !!this.model.get("simplified");
    this.relayout(false);
  }

  onCollapsedTrait() {
    const next = new Set(this.model.get("collapsed") || []);
    if (next.size === this.collapsed.size && [...next].every((g) => this.collapsed.has(g))) return;
    this.collapsed = next;
    this.relayout(false);
  }

  onCustom(msg) {
    if (!msg || msg.type !== "append") return;
    if (msg.view && msg.view !== this.viewId) return;
    if (msg.epoch !== this.epoch) return;
    const fresh = [];
    for (const b of msg.batches || [msg]) {
      if (this.applied.has(b.seq)) continue;
      this.applied.add(b.seq);
      fresh.push(...addToIndex(this.rootState, b.nodes, b.edges, b.groups));
    }
    if (this.state !== this.rootState) return;
    this.grow(fresh);
  }

  maxNodes() {
    return this.model.get("max_nodes") || 3000;
  }

  // ---- layout -------------------------------------------------------------------------------
  relayout() {
    const t0 = performance.now();
    this.vis = visibleGraph(this.state, this.collapsed);
    this.boxes = expandedGroups(this.state, this.collapsed, this.vis);
    this.tooLarge = this.vis.nodes.size > this.maxNodes();
    if (this.tooLarge) {
      this.pos = new Map();
      this.points = new Map();
    } else {
      const r = fullLayout(this.vis, this.boxes, this.state);
      this.pos = r.pos;
      this.points = r.points;
    }
    this.root.dataset.layoutMs = String(Math.round(performance.now() - t0));
    this.draw();
    this.fit();
    this.timing(t0);
  }

  /** Live growth: place only new visible nodes; existing positions are kept. */
  grow(freshIds) {
    const t0 = performance.now();
    const before = new Set(this.vis ? this.vis.nodes.keys() : []);
    this.vis = visibleGraph(this.state, this.collapsed);
    this.boxes = expandedGroups(this.state, this.collapsed, this.vis);
    this.tooLarge = this.vis.nodes.size > this.maxNodes();
    if (!this.tooLarge) {
      const newVisible = [];
      for (const id of freshIds) {
        const r = this.vis.rep.get(id);
        if (r && !before.has(r) && !newVisible.includes(r)) newVisible.push(r);
      }
      placeNew(newVisible, this.vis, this.pos);
    }
    this.draw();
    // Follow the growth (zoom out to show new nodes) until the user pans or zooms by hand.
    if (before.size === 0 || (!this.userMoved && !this.allVisible())) this.fit();
    this.timing(t0);
  }

  timing(t0) {
    this.root.dataset.renderMs = String(Math.round(performance.now() - t0));
    this.root.dataset.visibleNodes = String(this.vis.nodes.size);
  }

  collapseAll() {
    this.collapsed = new Set([...this.state.groups.values()].filter((g) => !g.parent).map((g) => g.id));
    this.syncCollapsed();
    this.relayout(false);
  }

  toggleGroup(gid) {
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
    const vis = visibleGraph(this.state, next);
    if (vis.nodes.size > this.maxNodes()) {
      this.flash(`Not expanded: ${vis.nodes.size} nodes would be visible (limit ${this.maxNodes()}).`);
      return;
    }
    this.collapsed = next;
    this.syncCollapsed();
    this.relayout(false);
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
    if (v.collapsedGroup) return KIND_COLORS.group;
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

  draw() {
    this.updateHeader();
    this.scene.textContent = "";
    this.nodeEls = new Map();
    this.messageEl.textContent = "";
    this.messageEl.style.display = "none";
    const msg = this.model.get("message");
    if (this.tooLarge || (msg && !this.vis.nodes.size)) {
      this.messageEl.style.display = "block";
      this.messageEl.textContent =
        msg ||
        `Too large to draw: ${this.vis.nodes.size} visible nodes (limit ${this.maxNodes()}). ` +
          "Collapse groups or use the simplified view.";
      this.drawLegend();
      return;
    }
    const frag = document.createDocumentFragment();
    const gl = svg("g", { class: "gv-groups" }, frag);
    for (const b of groupBoxes(this.boxes, this.pos, this.state)) {
      const g = this.state.groups.get(b.id);
      const box = svg("g", { class: "gv-group", "data-group": b.id }, gl);
      svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }, box);
      const head = svg("text", { class: "gv-group-head", x: b.x + 6, y: b.y + 12 }, box);
      head.textContent = "\u25be " + (g.label || g.id);
      head.onclick = (ev) => {
        ev.stopPropagation();
        this.toggleGroup(b.id);
      };
    }
    const el = svg("g", { class: "gv-edges" }, frag);
    const withLabels = this.vis.edges.size <= EDGE_LABEL_LIMIT;
    const marker = `url(#${this.viewId}-arrow)`;
    for (const e of this.vis.edges.values()) {
      const a = this.pos.get(e.source);
      const b = this.pos.get(e.target);
      if (!a || !b) continue;
      const pts = this.points.get(e.key);
      let d;
      if (pts && pts.length > 1) {
        d = "M" + pts.map((p) => p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" L");
      } else {
        const x1 = a.x;
        const y1 = a.y + a.h / 2;
        const x2 = b.x;
        const y2 = b.y - b.h / 2;
        const my = (y1 + y2) / 2;
        d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
      }
      const p = svg("path", { class: "gv-edge", d, "marker-end": marker, "data-source": e.source, "data-target": e.target }, el);
      const info = edgeInfo(e.edge);
      const t = svg("title", {}, p);
      t.textContent = info || e.source + " \u2192 " + e.target;
      if (withLabels && info) {
        const lx = pts && pts.length > 2 ? pts[Math.floor(pts.length / 2)].x : (a.x + b.x) / 2;
        const ly = pts && pts.length > 2 ? pts[Math.floor(pts.length / 2)].y : (a.y + a.h / 2 + b.y - b.h / 2) / 2;
        const lt = svg("text", { class: "gv-edge-label", x: lx + 4, y: ly + 3 }, el);
        lt.textContent = e.edge.shape ? fmtShape(e.edge.shape) : info;
      }
    }
    const nl = svg("g", { class: "gv-nodes" }, frag);
    for (const v of this.vis.nodes.values()) {
      const p = this.pos.get(v.id);
      if (!p) continue;
      const g = svg(
        "g",
        { class: "gv-node gv-kind-" + v.kind, "data-id": v.id, transform: `translate(${p.x - p.w / 2},${p.y - p.h / 2})` },
        nl,
      );
      svg("rect", { width: p.w, height: p.h, rx: v.collapsedGroup ? 8 : 4, fill: this.color(v) }, g);
      const t1 = svg("text", { class: "gv-label", x: p.w / 2, y: 14 }, g);
      t1.textContent = nodeLabel(v);
      const sub = nodeSub(v);
      if (sub) {
        const t2 = svg("text", { class: "gv-sub", x: p.w / 2, y: 28 }, g);
        t2.textContent = sub;
      }
      const tt = svg("title", {}, g);
      tt.textContent = v.node ? `${v.node.op} (${v.node.kind})` : "group: click to expand";
      g.onclick = (ev) => {
        ev.stopPropagation();
        this.onNodeClick(v);
      };
      this.nodeEls.set(v.id, g);
    }
    this.scene.appendChild(frag);
    this.applyZoom();
    this.updateHighlight(false);
    const sel = this.model.get("selected");
    if (sel && this.nodeEls.has(sel)) this.nodeEls.get(sel).classList.add("gv-selected");
    this.drawLegend();
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
      if (this.vis && [...this.vis.nodes.values()].some((v) => v.collapsedGroup)) items.push(["collapsed group", KIND_COLORS.group]);
    }
    for (const [name, col] of items) {
      const it = html("span", "gv-legend-item", this.legend);
      html("span", "gv-swatch", it).style.background = col;
      it.appendChild(document.createTextNode(name));
    }
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
    const v = this.vis ? this.vis.nodes.size : 0;
    this.statusEl.classList.remove("gv-warn");
    this.statusEl.textContent = `${n} nodes, ${e} edges` + (v && v !== n ? ` (${v} shown)` : "");
    this.root.dataset.nodes = String(n);
  }

  applyZoom() {
    this.scene.setAttribute("transform", `translate(${this.zoom.x},${this.zoom.y}) scale(${this.zoom.k})`);
  }

  allVisible() {
    const W = this.canvas.clientWidth || 600;
    const H = this.canvas.clientHeight || 400;
    const { k, x, y } = this.zoom;
    for (const p of this.pos.values()) {
      if ((p.x - p.w / 2) * k + x < 0 || (p.x + p.w / 2) * k + x > W) return false;
      if ((p.y - p.h / 2) * k + y < 0 || (p.y + p.h / 2) * k + y > H) return false;
    }
    return true;
  }

  fit() {
    this.userMoved = false;
    if (!this.pos || !this.pos.size) return;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const p of this.pos.values()) {
      x0 = Math.min(x0, p.x - p.w / 2);
      y0 = Math.min(y0, p.y - p.h / 2 - 16);
      x1 = Math.max(x1, p.x + p.w / 2);
      y1 = Math.max(y1, p.y + p.h / 2);
    }
    const W = this.canvas.clientWidth || 600;
    const H = this.canvas.clientHeight || 400;
    const k = Math.min(1.25, Math.max(0.05, Math.min((W - 20) / (x1 - x0 || 1), (H - 20) / (y1 - y0 || 1))));
    this.zoom = { k, x: (W - (x1 - x0) * k) / 2 - x0 * k, y: 10 - y0 * k };
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
      // Keep the highlighted node on screen.
      const p = this.pos.get(r);
      const W = this.canvas.clientWidth || 600;
      const H = this.canvas.clientHeight || 400;
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
    if (v.collapsedGroup) {
      this.toggleGroup(v.collapsedGroup.id);
      return;
    }
    this.showDetails(v.id, true);
  }

  showDetails(id, fromClick) {
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
    this.stack.push({ state: this.state, collapsed: this.collapsed });
    this.state = indexDoc(sub);
    this.state.doc = sub;
    this.state.name = name;
    this.collapsed = new Set();
    this.backBtn.style.display = "";
    this.details.style.display = "none";
    this.relayout(false);
  }

  closeSubgraph() {
    const top = this.stack.pop();
    if (!top) return;
    this.state = top.state;
    this.collapsed = top.collapsed;
    if (!this.stack.length) this.backBtn.style.display = "none";
    this.details.style.display = "none";
    this.relayout(false);
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

// Loaded as the shared engine widget's module: register the renderer for the views' loader.
function initialize() {
  const key = Symbol.for("sidebyside.graphview.engine");
  const g = globalThis;
  if (!g[key]) {
    let resolve;
    const ready = new Promise((r) => (resolve = r));
    g[key] = { ready, resolve };
  }
  g[key].resolve({ render });
}

export default { initialize, render };
export { GraphViewUI, ancestry, GROUP_PREFIX };
