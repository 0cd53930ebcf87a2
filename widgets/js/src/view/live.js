// Live catch-up: a recording sends batches of new nodes and edges while the user's code runs.
// Each batch is added to the index; what the last layout has not drawn yet is placed below its
// inputs (placement.js), its edges routed around the boxes (liveroute.js) and drawn, in chunks
// over several frames. Nodes on screen never move; a crowded graph is laid out again instead.
import { addToIndex, ancestry, extendVisible, homeGroup } from "../graph.js";
import { LiveRouter } from "../liveroute.js";
import { Placer, placeBatch } from "../placement.js";
import { yieldToPage } from "./dom.js";
import { EDGE_LABEL_LIMIT } from "./scene.js";

export const LIVE_SLICE_MS = 8; // live growth: placing and drawing per frame when a big batch arrives
export const LIVE_CHUNK = 32; // ... in chunks of this many nodes
export const CROWDED_RELAYOUT_MS = 250; // live growth with no free spot re-lays out at most this often

/**
 * The batches of an "append" message this view has still to apply (marked applied in `applied`):
 * none when it is meant for another view or another epoch (a re-run cell); a replayed seq once.
 */
export function batchesToApply(msg, viewId, epoch, applied) {
  if (msg.view && msg.view !== viewId) return [];
  if (msg.epoch !== epoch) return [];
  const out = [];
  for (const b of msg.batches || [msg]) {
    if (applied.has(b.seq)) continue;
    applied.add(b.seq);
    out.push(b);
  }
  return out;
}

/**
 * Split the edges waiting to be drawn into those whose two ends are on screen (`rep` maps a node to
 * what draws it) and the rest; with no `more` nodes to come, all are ready.
 */
export function readyEdges(pending, rep, more) {
  const ready = [];
  const waiting = [];
  for (const e of pending) (!more || (rep.has(e.source) && rep.has(e.target)) ? ready : waiting).push(e);
  return { ready, waiting };
}

/** Grow bounds {x0, y0, x1, y1} (null: none yet) to hold a box; returns the bounds. */
export function growRect(b, x0, y0, x1, y1) {
  if (!b) return { x0, y0, x1, y1 };
  b.x0 = Math.min(b.x0, x0);
  b.y0 = Math.min(b.y0, y0);
  b.x1 = Math.max(b.x1, x1);
  b.y1 = Math.max(b.y1, y1);
  return b;
}

/** GraphViewUI's live methods (state: applied, queued, seenNodes, seenEdges, pendingEdges, ...). */
export const liveMethods = {
  onCustom(msg) {
    if (!msg || msg.type !== "append") return;
    if (this.loading) {
      this.queued.push(msg); // applied once the document is indexed
      return;
    }
    for (const b of batchesToApply(msg, this.viewId, this.epoch, this.applied)) addToIndex(this.rootState, b.nodes, b.edges, b.groups);
    if (this.state !== this.rootState) return;
    if (this.rootState.regrouped) {
      this.rootState.regrouped = false;
      this.relayout({ keepZoom: true });
      return;
    }
    this.catchUp();
  },

  /**
   * Live growth: add what arrived since the last layout; nodes on screen never move. A big batch
   * is placed and drawn over several frames (LIVE_SLICE_MS each, in arrival order, LIVE_CHUNK
   * nodes at a time with the edges whose two ends are in), so the page keeps answering (measured:
   * 2000 nodes arriving at once blocked the page for 380 ms of CPU in one task).
   */
  catchUp() {
    if (this.catchingUp) return; // a sliced catch-up is under way: it takes the new nodes too
    this.catchUpSlice();
  },

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
      const { ready, waiting } = readyEdges(this.pendingEdges, this.vis.rep, more);
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
    this.drawOverview(true);
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
  },

  endCatchUp() {
    this.pendingEdges = [];
    if (!this.catchingUp) return;
    this.catchingUp = false;
    this.showBusy();
  },

  /** The placer and edge router of live growth, built once per layout (their cost grows with the graph). */
  preparePlacement() {
    if (this.placer || !this.pos || !this.vis) return;
    if (!this.homes) this.homes = new Map();
    this.placer = new Placer(this.pos, this.homes, this.boxList, this.boxParents);
    this.router = new LiveRouter(this.placer, this.pos, this.homes, this.routes, this.vis.edges.values());
  },

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
  },

  growBounds(x0, y0, x1, y1) {
    this.bounds = growRect(this.bounds, x0, y0, x1, y1);
  },

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
  },
};
