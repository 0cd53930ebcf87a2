// dagre as a level-layout engine, for measuring it against the bundled layered layout
// (bench-engines.mjs). Not part of the widget bundle.
import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import { IN, OUT } from "./layout.js";
import { NODE_SEP, RANK_SEP } from "./measure.js";

export function dagreLevel(nodes, edges, inPort, outPort) {
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 8, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.w, height: n.h });
  for (const [a, b] of edges) g.setEdge(a, b, { weight: a === IN || b === OUT ? 1 : 2 });
  // Pin the ports to the top and bottom rows: invisible edges from "in" to every source and from
  // every sink to "out" (weight 0: they constrain the ranks without pulling anything).
  if (inPort || outPort) {
    const hasIn = new Set();
    const hasOut = new Set();
    for (const [a, b] of edges) {
      hasOut.add(a);
      hasIn.add(b);
    }
    for (const n of nodes) {
      if (n.id === IN || n.id === OUT) continue;
      if (inPort && !hasIn.has(n.id) && !g.hasEdge(IN, n.id)) g.setEdge(IN, n.id, { weight: 0 });
      if (outPort && !hasOut.has(n.id) && !g.hasEdge(n.id, OUT)) g.setEdge(n.id, OUT, { weight: 0 });
    }
  }
  dagreLayout(g);
  const pos = new Map();
  for (const n of nodes) {
    const d = g.node(n.id);
    pos.set(n.id, { x: d.x, y: d.y, w: n.w, h: n.h });
  }
  const dummies = new Map();
  for (const [a, b] of edges) {
    const le = g.edge(a, b);
    const pts = le && le.points ? le.points.slice(1, -1) : [];
    // dagre gives the boundary points and one point per crossed rank; keep the rank points only.
    const s = pos.get(a);
    const t = pos.get(b);
    dummies.set(a + "\u0001" + b, pts.filter((p) => p.y > s.y + 0.5 && p.y < t.y - 0.5).map((p) => ({ x: p.x, y: p.y })));
  }
  return { pos, dummies };
}

