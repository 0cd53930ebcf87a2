// What a box says and how big it is: shared by the drawing code and the layout worker, so both
// agree on sizes without measuring text in the DOM (which would block the page).
import { fmtShape, groupType, nodeSubtitle } from "./graph.js";

const CHAR_W = 7.0; // average width of a 12 px system-ui character (labels); smaller text: x0.85
export const NODE_SEP = 16;
export const RANK_SEP = 30;
export const MAX_PARAM_LINES = 4;
export const LINE_H = 13;

export function nodeLabel(v) {
  if (v.family) return `${v.family.type || "block"} \u00d7${v.family.members.length}`;
  if (v.collapsedGroup) return (v.collapsedGroup.label || v.collapsedGroup.id) + " \u25b8";
  return v.node.label || v.node.op || v.node.id;
}

export function nodeSub(v) {
  if (v.family) return `${v.members} nodes \u00b7 click to unfold`;
  if (v.collapsedGroup) {
    const g = v.collapsedGroup;
    const t = groupType(g);
    const parts = [];
    // Do not repeat a type the label already carries ("layer1 (Sequential)").
    if (t && !(g.label || "").includes(t)) parts.push(t);
    if (g.repeat && g.repeat.count > 1) parts.push(`${(g.repeat.index ?? 0) + 1} of ${g.repeat.count}`);
    parts.push(v.members + " nodes");
    return parts.join(" \u00b7 ");
  }
  return nodeSubtitle(v.node);
}

/** Folded parameters and constants listed inside the node, Netron-style ("weight [64, 3, 7, 7]"). */
export function paramLines(v) {
  const ps = v.node && Array.isArray(v.node.params) ? v.node.params : [];
  if (!ps.length) return [];
  const lines = ps.slice(0, MAX_PARAM_LINES).map((p) => {
    const name = String(p.name || (p.kind === "const" ? "const" : "param"));
    const short = name.length > 24 ? "\u2026" + name.slice(-23) : name;
    return `${short} ${p.shape ? fmtShape(p.shape) : ""}`.trim();
  });
  if (ps.length > MAX_PARAM_LINES) lines.push(`+${ps.length - MAX_PARAM_LINES} more`);
  return lines;
}

export function nodeSize(v) {
  const a = nodeLabel(v).length;
  const b = nodeSub(v).length * 0.85;
  const lines = paramLines(v);
  let c = 0;
  for (const l of lines) c = Math.max(c, l.length * 0.85);
  const w = Math.max(44, Math.ceil(Math.max(a, b, c) * CHAR_W + 16));
  const h = (nodeSub(v) ? 36 : 24) + (lines.length ? lines.length * LINE_H + 2 : 0);
  return { w: Math.min(w, 280), h };
}
