// Opening and closing: groups collapse to one box and expand on a click (the `collapsed` trait
// is synced with Python), folded families of repeated blocks unfold, and a node's subgraphs (the
// branches of a cond, the body of a loop) open in place of the graph with a way back.
import { GROUP_PREFIX, indexDoc, visibleGraphSliced } from "../graph.js";
import { yieldToPage } from "./dom.js";

/**
 * The collapsed set after a click on group gid: a collapsed group opens, an open one collapses.
 * The children of a group being opened start collapsed when it holds more than `limit` nodes.
 */
export function toggled(collapsed, gid, groups, limit) {
  const next = new Set(collapsed);
  if (next.has(gid)) {
    next.delete(gid);
    const g = groups.get(gid);
    if (g && g.size > limit) {
      for (const c of groups.values()) if (c.parent === gid) next.add(c.id);
    }
  } else next.add(gid);
  return next;
}

/** The ids of the groups with no parent ("collapse groups" folds the graph down to them). */
export function topLevel(groups) {
  return [...groups].filter((g) => !g.parent).map((g) => g.id);
}

/** GraphViewUI's group, family and subgraph methods (state: collapsed, unfolded, stack). */
export const groupsMethods = {
  onCollapsedTrait() {
    if (!this.state) return;
    const next = new Set(this.model.get("collapsed") || []);
    if (next.size === this.collapsed.size && [...next].every((g) => this.collapsed.has(g))) return;
    this.collapsed = next;
    this.relayout({ keepZoom: true });
  },

  collapseAll() {
    this.collapsed = new Set(topLevel(this.state.groups.values()));
    this.unfolded = new Set();
    this.syncCollapsed();
    this.relayout({ open: true });
  },

  async toggleGroup(gid) {
    const next = toggled(this.collapsed, gid, this.state.groups, this.model.get("collapse_above") || 150);
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
  },

  unfoldFamily(fid) {
    this.unfolded.add(fid);
    this.relayout({ anchor: fid });
  },

  syncCollapsed() {
    if (this.state !== this.rootState) return;
    this.model.set("collapsed", [...this.collapsed].sort());
    this.model.save_changes();
  },

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
  },

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
  },

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
  },
};
