// Build the GraphView bundle: `npm ci && npm run build` writes ../sidebyside/static/graphview.{js,css}
// (the engine) and loader.js (the small module each view carries).
// The layout worker (src/worker.js + dagre) is bundled first, on its own, and embedded in the engine
// as a string that the page starts from a Blob URL: one ES module, no CDN, works offline.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../sidebyside/static");

const common = { bundle: true, minify: true, target: "es2020", charset: "utf8", logLevel: "info" };
// The worker keeps dagre's licence comment (MIT) inside the embedded source.
const worker = await build({ ...common, entryPoints: [path.join(here, "src/worker.js")], format: "iife",
                             legalComments: "eof", write: false });
const workerSource = worker.outputFiles[0].text;

const esm = { ...common, format: "esm" };
await build({ ...esm, entryPoints: [path.join(here, "src/index.js")],
              outfile: path.join(out, "graphview.js"), legalComments: "eof",
              define: { __WORKER_SOURCE__: JSON.stringify(workerSource) } });
await build({ ...esm, entryPoints: [path.join(here, "src/loader.js")],
              outfile: path.join(out, "loader.js") });
await build({
  entryPoints: [path.join(here, "src/style.css")],
  outfile: path.join(out, "graphview.css"),
  bundle: true,
  minify: true,
  logLevel: "info",
});
