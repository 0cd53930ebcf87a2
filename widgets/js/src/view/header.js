// The header line and the busy state: title (with the open subgraph), the capture's counters
// (traces, recompiles, graph breaks), the status "raw N · shown N nodes, E edges · V boxes" or a
// warning, and data-busy, which counts layouts and a live catch-up in progress (tests wait for 0);
// and, under it, what a view without its kernel can do (restored from saved state, or a recording
// cut short by a kernel restart).

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

export const SAVED_NOTE = "saved view: pan, zoom and expand work; re-run the cell for live updates";
export const RESTARTED_NOTE = "the kernel restarted: pan, zoom and expand work; re-run the cell for live updates";
export const DISCONNECTED = "jupyter-widgets-disconnected"; // ipywidgets' class: no live kernel comm
export const KERNEL_GONE = new Set(["restarting", "autorestarting", "dead", "terminating"]);

/**
 * What the view says about its kernel, or null while connected. `restored`: ipywidgets marks a
 * view whose model has no live connection to a kernel (its red "disconnected" icon), as a view
 * restored from the notebook's saved state is until the cell is re-run. `restarted`: the kernel
 * restarted or stopped after this view was drawn (ipywidgets 8.1 leaves no mark then).
 * `received`: nodes that arrived live and that the document does not hold (Python folds them in
 * when the cell ends), so a recording the kernel never finished. Returns {kind, status, note}: a
 * status line that replaces the counts (null: keep them) and a note under the header.
 */
export function connectionNote(restored, restarted, received, edges) {
  if (!restored && !restarted) return null;
  if (received > 0) {
    return {
      kind: "cut",
      status: `recording cut short: the kernel stopped after ${received} nodes, ${edges} edges`,
      note: "what arrived is shown; pan, zoom and expand work; re-run the cell to record it all",
    };
  }
  // a saved view stays one (a restart changes nothing it can do); a live one lost its kernel
  return restored ? { kind: "saved", status: null, note: SAVED_NOTE } : { kind: "restarted", status: null, note: RESTARTED_NOTE };
}

/**
 * The kernel status signal of the notebook a widget manager serves, or null: JupyterLab's
 * ipywidgets manager keeps its notebook's context (sessionContext.statusChanged), a kernel-only
 * manager its kernel. The one place the view reaches into the manager (anywidget passes it on as
 * model.widget_manager); elsewhere (a page without JupyterLab) there is none.
 */
export function kernelStatusSignal(wm) {
  try {
    const ctx = wm && wm.context;
    const sc = ctx && ctx.sessionContext;
    if (sc && sc.statusChanged && typeof sc.statusChanged.connect === "function") return sc.statusChanged;
    const k = wm && wm.kernel;
    if (k && k.statusChanged && typeof k.statusChanged.connect === "function") return k.statusChanged;
  } catch (err) {
    // a manager of another shape: no signal
  }
  return null;
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
    this.showConnection();
  },

  /** Nodes shown that arrived live and are not in the document (a recording not yet folded in). */
  liveReceived() {
    const s = this.rootState;
    const held = this.doc && Array.isArray(this.doc.nodes) ? this.doc.nodes.length : 0;
    return s && this.applied && this.applied.size ? Math.max(0, s.order.length - held) : 0;
  },

  /**
   * Follow ipywidgets' mark of a view without a live kernel connection (a class on the view's
   * element, set and cleared as the connection changes) and the kernel's restarts, and say what
   * that means in the header.
   */
  watchConnection() {
    const host = this.el;
    if (!host || !host.classList) return;
    const update = () => {
      if (this.state) this.updateHeader();
      else this.showConnection();
    };
    const check = () => {
      const off = !!(host.closest ? host.closest("." + DISCONNECTED) : host.classList.contains(DISCONNECTED));
      if (off === !!this.disconnected) return;
      this.disconnected = off;
      update();
    };
    check();
    if (typeof MutationObserver !== "undefined") {
      this.connectionObserver = new MutationObserver(check);
      this.connectionObserver.observe(host, { attributes: true, attributeFilter: ["class"] });
    }
    const signal = kernelStatusSignal(this.model.widget_manager);
    if (signal) {
      this.kernelSignal = signal;
      this.onKernelStatus = (_sender, status) => {
        if (!KERNEL_GONE.has(status) || this.kernelGone) return;
        this.kernelGone = true; // for good: a re-run cell makes a new model and view
        update();
      };
      signal.connect(this.onKernelStatus, this);
    }
  },

  unwatchConnection() {
    if (this.connectionObserver) this.connectionObserver.disconnect();
    if (this.kernelSignal) this.kernelSignal.disconnect(this.onKernelStatus, this);
  },

  showConnection() {
    if (!this.noteEl) return;
    const received = this.state === this.rootState ? this.liveReceived() : 0;
    const c = connectionNote(!!this.disconnected, !!this.kernelGone, received, this.state ? this.state.edges.length : 0);
    const kind = c ? c.kind : "live";
    if (this.root.dataset.connection !== kind) {
      // written only when it changes: live growth updates the header with every batch
      this.noteEl.textContent = c ? c.note : "";
      this.noteEl.style.display = c ? "" : "none";
      this.root.dataset.connection = kind;
    }
    if (c && c.status) {
      this.statusEl.textContent = c.status;
      this.statusEl.classList.add("gv-warn");
      if (this.legend && !this.legend.childElementCount && this.vis) this.drawLegend(); // live growth draws none
    }
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
