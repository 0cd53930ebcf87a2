// The small ES module every GraphView instance carries (it travels into saved widget state once per
// view). The drawing engine (index.js + dagre, ~65 KB) is the ES module of ONE shared engine widget
// per kernel: its initialize() registers the renderer here, so a notebook full of views stores the
// engine once instead of once per view.
const KEY = Symbol.for("sidebyside.graphview.engine");
const PREFIX = "IPY_MODEL_";

function slot() {
  const g = globalThis;
  if (!g[KEY]) {
    let resolve;
    const ready = new Promise((r) => (resolve = r));
    g[KEY] = { ready, resolve };
  }
  return g[KEY];
}

async function engine(model) {
  const ref = model.get("_engine");
  if (typeof ref === "string" && ref.startsWith(PREFIX) && model.widget_manager) {
    await model.widget_manager.get_model(ref.slice(PREFIX.length)); // loads the engine's module
  }
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the GraphView engine did not load: re-run the cell")), 60000);
  });
  try {
    return await Promise.race([slot().ready, late]);
  } finally {
    clearTimeout(timer);
  }
}

export default {
  async render({ model, el }) {
    try {
      const api = await engine(model);
      return api.render({ model, el });
    } catch (err) {
      el.textContent = String(err.message || err);
      return undefined;
    }
  },
};
