// The details panel (sidebar): what a clicked node is (op, kind, shape, dtype, device, folded
// params, attributes), what feeds it and what uses it, and buttons that open its subgraphs.
// The selection is synced to Python as the `selected` trait.
import { fmtShape } from "../graph.js";
import { html } from "./dom.js";

const MAX_ATTRS = 12;
const MAX_VALUE = 120;

/**
 * The panel's rows as [name, text] pairs for node `id` of an indexed document (nodes: Map,
 * edges: list); rows without a value are left out. Null when the node is unknown.
 */
export function detailRows(state, id) {
  const n = id ? state.nodes.get(id) : null;
  if (!n) return null;
  const rows = [];
  const row = (k, val) => {
    if (val === null || val === undefined || val === "") return;
    rows.push([k, typeof val === "string" ? val : JSON.stringify(val)]);
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
    for (const [k, val] of Object.entries(n.attrs).slice(0, MAX_ATTRS)) {
      const s = typeof val === "string" ? val : JSON.stringify(val);
      row(k, s && s.length > MAX_VALUE ? s.slice(0, MAX_VALUE - 3) + "..." : s);
    }
  }
  const ins = state.edges.filter((e) => e.target === id);
  const outs = state.edges.filter((e) => e.source === id);
  const nm = (x) => {
    const m = state.nodes.get(x);
    return m ? m.label || m.op || x : x;
  };
  if (ins.length) row("inputs", ins.map((e) => nm(e.source) + (e.shape ? " " + fmtShape(e.shape) : "")).join(", "));
  if (outs.length) row("used by", outs.map((e) => nm(e.target)).join(", "));
  return rows;
}

/** GraphViewUI's details method (state: details, the panel element). */
export const detailsMethods = {
  showDetails(id, fromClick) {
    if (!this.state) return;
    for (const e of this.scene.querySelectorAll(".gv-selected")) e.classList.remove("gv-selected");
    const rows = detailRows(this.state, id);
    if (!rows) {
      this.details.style.display = "none";
      return;
    }
    const n = this.state.nodes.get(id);
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
    for (const [k, val] of rows) {
      const tr = html("tr", "", table);
      html("th", "", tr, k);
      html("td", "", tr, val);
    }
    for (const sg of n.subgraphs || []) {
      const b = html("button", "gv-open-sub", d, "open " + sg);
      b.onclick = () => this.openSubgraph(sg);
    }
    if (fromClick && this.state === this.rootState && this.model.get("selected") !== id) {
      this.model.set("selected", id);
      this.model.save_changes();
    }
  },
};
