// The layout worker's input for a visible graph: every box with its size and the expanded group it
// sits in, the expanded groups (nested), and the edges. Pure: used by the page and by
// bench-engines.mjs.
import { boxHome, expandedGroups } from "./graph.js";
import { nodeSize } from "./measure.js";

export function layoutInput(state, collapsed, vis) {
  const boxes = expandedGroups(state, collapsed, vis);
  const items = [];
  for (const v of vis.nodes.values()) {
    if (!v.size) v.size = nodeSize(v);
    items.push([v.id, v.size.w, v.size.h, boxHome(state, v, boxes)]);
  }
  const groups = [...boxes.keys()].map((gid) => {
    const g = state.groups.get(gid);
    return [gid, g.parent ? boxHome(state, { collapsedGroup: { parent: g.parent } }, boxes) : ""];
  });
  const edgeList = [...vis.edges.values()];
  return { items, groups, edgeList, edges: edgeList.map((e) => [e.source, e.target]) };
}
