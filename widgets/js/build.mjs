// Build the GraphView bundle: `npm ci && npm run build` writes ../sidebyside/static/graphview.{js,css}
// (the engine) and loader.js (the small module each view carries).
// Everything (dagre included) goes into one ES module: no CDN, works offline.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../sidebyside/static");

// Both ES modules share these options; only the engine keeps its licence comments (dagre is MIT).
const esm = { bundle: true, format: "esm", minify: true, target: "es2020", charset: "utf8",
              logLevel: "info" };
await build({ ...esm, entryPoints: [path.join(here, "src/index.js")],
              outfile: path.join(out, "graphview.js"), legalComments: "eof" });
await build({ ...esm, entryPoints: [path.join(here, "src/loader.js")],
              outfile: path.join(out, "loader.js") });
await build({
  entryPoints: [path.join(here, "src/style.css")],
  outfile: path.join(out, "graphview.css"),
  bundle: true,
  minify: true,
  logLevel: "info",
});
