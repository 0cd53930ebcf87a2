// The page's side of the layout worker: one worker per engine (shared by all views on the page),
// started from a Blob URL holding the separately bundled worker source (no network, no CDN).
// Where workers are not allowed, the same code runs on the main thread, one request per task.
/* global __WORKER_SOURCE__ */
const SOURCE = typeof __WORKER_SOURCE__ === "string" ? __WORKER_SOURCE__ : "";

let shared = null;

function inlineWorker() {
  // Same protocol as a Worker, for pages whose security policy forbids blob: workers.
  const scope = {
    postMessage: (data) => setTimeout(() => fake.onmessage && fake.onmessage({ data }), 0),
  };
  const fake = {
    inline: true,
    onmessage: null,
    postMessage: (data) => setTimeout(() => scope.onmessage && scope.onmessage({ data }), 0),
  };
  new Function("self", SOURCE)(scope);
  return fake;
}

function start() {
  let w;
  try {
    const url = URL.createObjectURL(new Blob([SOURCE], { type: "text/javascript" }));
    w = new Worker(url, { name: "sidebyside-graph-layout" });
  } catch (err) {
    w = inlineWorker();
  }
  const pending = new Map();
  let seq = 0;
  w.onmessage = (ev) => {
    const res = ev.data;
    const p = pending.get(res.id);
    if (!p) return;
    pending.delete(res.id);
    if (res.error) p.reject(new Error(res.error));
    else p.resolve({ ...res, routes: unpackRoutes(res.points, res.starts) });
  };
  w.onerror = (ev) => {
    for (const p of pending.values()) p.reject(new Error("layout worker failed: " + (ev.message || ev)));
    pending.clear();
  };
  return {
    inline: !!w.inline,
    layout(req) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ ...req, type: "layout", id });
      });
    },
  };
}

/** The worker's packed routes (worker.js packRoutes) as views into the one array, null where none. */
function unpackRoutes(points, starts) {
  const routes = new Array(starts.length - 1).fill(null);
  let end = starts[starts.length - 1];
  for (let i = routes.length - 1; i >= 0; i--) {
    if (starts[i] < 0) continue;
    routes[i] = points.subarray(starts[i], end);
    end = starts[i];
  }
  return routes;
}

/** The page's layout worker (started on first use). */
export function layoutWorker() {
  if (!shared) shared = start();
  return shared;
}
