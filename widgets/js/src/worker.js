// The layout worker's entry point: bundled on its own (build.mjs) and started from a Blob URL by
// the engine, so layout never blocks the page and nothing is fetched from the network.
import { layoutRequest } from "./layout.js";

const cache = new Map(); // level id -> its last layout (reused while its contents are unchanged)

self.onmessage = (ev) => {
  const req = ev.data;
  if (!req || req.type !== "layout") return;
  const t0 = performance.now();
  let res;
  try {
    res = layoutRequest(req, cache);
  } catch (err) {
    self.postMessage({ type: "layout", id: req.id, error: String((err && err.stack) || err) });
    return;
  }
  const ms = performance.now() - t0;
  // The edge routes travel as one transferred array (moved, not copied) with their offsets.
  const { points, starts } = packRoutes(res.routes);
  self.postMessage({ type: "layout", id: req.id, ms, ...res, routes: null, points, starts }, [res.x.buffer, res.y.buffer, points.buffer, starts.buffer]);
};

/** Routes (flat point arrays or null) as one Float64Array; route i is points[starts[i], starts[i + 1]), -1 for null. */
function packRoutes(routes) {
  let n = 0;
  for (const r of routes) if (r) n += r.length;
  const points = new Float64Array(n);
  const starts = new Int32Array(routes.length + 1);
  let k = 0;
  routes.forEach((r, i) => {
    starts[i] = r ? k : -1;
    if (r) {
      points.set(r, k);
      k += r.length;
    }
  });
  starts[routes.length] = k;
  return { points, starts };
}
