// The compile strip: for a torch.compile capture, one chip per compiled graph (top-level
// "CompiledGraph" groups; a click brings that graph on screen) and the graph breaks between them
// with their reasons, from the document's meta.breaks.
import { groupType } from "../graph.js";
import { html } from "./dom.js";

/**
 * The strip's items in order: {graph: group} and {break: {reason, where, graph}}. A break sits
 * after the graph it ends (meta numbers graphs from 1, or from 0 when one says 0); breaks naming
 * no drawn graph come last. Empty when there is nothing compiled.
 */
export function stripItems(groups, meta) {
  const breaks = Array.isArray(meta && meta.breaks) ? meta.breaks : [];
  const graphs = [...groups].filter((g) => !g.parent && groupType(g) === "CompiledGraph");
  if (!graphs.length && !breaks.length) return [];
  const zeroBased = breaks.some((b) => b.graph === 0);
  const items = [];
  const used = new Set();
  graphs.forEach((g, i) => {
    items.push({ graph: g });
    breaks.forEach((b, j) => {
      if (!used.has(j) && b.graph === (zeroBased ? i : i + 1)) {
        used.add(j);
        items.push({ break: b });
      }
    });
  });
  breaks.forEach((b, j) => {
    if (!used.has(j)) items.push({ break: b });
  });
  return items;
}

/** GraphViewUI's strip method (state: strip, the strip element). */
export const stripMethods = {
  /** Compiled graphs (top-level "CompiledGraph" groups) and the graph breaks between them. */
  buildStrip() {
    const s = this.strip;
    s.textContent = "";
    const items = stripItems(this.rootState.groups.values(), this.doc.meta || {});
    if (!items.length) {
      s.style.display = "none";
      return;
    }
    s.style.display = "";
    for (const it of items) {
      if (it.graph) {
        const g = it.graph;
        const chip = html("button", "gv-graph-chip", s, g.label || g.id);
        chip.title = "show " + (g.label || g.id);
        chip.onclick = () => this.focusGroup(g.id);
      } else {
        const b = it.break;
        const c = html("span", "gv-break", s);
        html("b", "", c, "graph break: ");
        c.appendChild(document.createTextNode(String(b.reason || "")));
        if (b.where) html("span", "gv-where", c, " at " + b.where);
      }
    }
  },
};
