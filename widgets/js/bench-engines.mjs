// Layout engines side by side, in node (V8, as in chromium): the bundled layered layout and dagre.
//   node bench-engines.mjs views.json   ->  one JSON line per view: {name, fast, dagre} (ms)
// views.json: [{name, doc, collapsed}] (benchmarks/graph_render.py writes it; every group is
// expanded here, the worst case for the engine).
import { readFileSync } from "node:fs";
import { indexDoc, visibleGraph } from "./src/graph.js";
import { layoutRequest, useEngine } from "./src/layout.js";
import { dagreLevel } from "./src/layout-dagre.js";
import { layoutInput } from "./src/request.js";

useEngine("dagre", dagreLevel);
const views = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const { name, doc } of views) {
  const out = { name };
  for (const engine of ["fast", "dagre", "fast"]) {
    const state = indexDoc(doc);
    const vis = visibleGraph(state, new Set(), new Set());
    const { items, groups, edges } = layoutInput(state, new Set(), vis);
    const t0 = performance.now();
    layoutRequest({ items, groups, edges, engine }, null);
    out[engine] = performance.now() - t0; // "fast" twice: the second run has a warm JIT
  }
  out.boxes = visibleGraph(indexDoc(doc), new Set(), new Set()).nodes.size;
  console.log(JSON.stringify(out));
}
