// The header line and the busy state: title (with the open subgraph), the capture's counters
// (traces, recompiles, graph breaks), the status "raw N · shown N nodes, E edges · V boxes" or a
// warning, and data-busy, which counts layouts and a live catch-up in progress (tests wait for 0).

/** "traces 3 · recompiles 1 · graph breaks 2": only the counters the capture reports. */
export function countersText(c) {
  const parts = [];
  if (c.traces !== undefined) parts.push(`traces ${c.traces}`);
  if (c.recompiles !== undefined) parts.push(`recompiles ${c.recompiles}`);
  if (c.graph_breaks !== undefined) parts.push(`graph breaks ${c.graph_breaks}`);
  return parts.join(" \u00b7 ");
}

/** The status line: raw (captured) and shown nodes, edges, and boxes drawn when they differ. */
export function statusText(raw, nodes, edges, boxes) {
  return `raw ${raw} \u00b7 shown ${nodes} nodes, ${edges} edges` + (boxes && boxes !== nodes ? ` \u00b7 ${boxes} boxes` : "");
}

/** GraphViewUI's header and busy methods (state: titleEl, countersEl, statusEl, busy). */
export const headerMethods = {
  updateHeader() {
    const m = this.model;
    const title = m.get("title") || this.doc.name || "graph";
    this.titleEl.textContent = this.stack.length ? title + " \u203a " + this.state.name : title;
    this.countersEl.textContent = countersText(m.get("counters") || {});
    const n = this.state ? this.state.nodes.size : 0;
    const e = this.state ? this.state.edges.length : 0;
    const meta = (this.state && this.state.doc && this.state.doc.meta) || {};
    const raw = this.state === this.rootState && Number.isFinite(meta.raw_node_count) ? meta.raw_node_count : n;
    const v = this.vis ? this.vis.nodes.size : 0;
    this.statusEl.classList.remove("gv-warn");
    this.statusEl.textContent = statusText(raw, n, e, v);
    this.root.dataset.nodes = String(n);
  },

  /** A warning in the status line (until the next update). */
  flash(text) {
    this.statusEl.textContent = text;
    this.statusEl.classList.add("gv-warn");
  },

  setBusy(delta) {
    this.busy += delta;
    this.showBusy();
  },

  /** data-busy counts layouts and a live catch-up still in progress (tests wait for "0"). */
  showBusy() {
    const n = this.busy + (this.catchingUp ? 1 : 0);
    this.root.dataset.busy = String(n);
    this.root.classList.toggle("gv-busy", this.busy > 0);
  },
};
