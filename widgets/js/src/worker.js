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
  self.postMessage({ type: "layout", id: req.id, ms, ...res }, [res.x.buffer, res.y.buffer]);
};
