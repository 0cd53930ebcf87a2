// sidebyside-lab: a reopened notebook keeps its saved widget state when it is saved again, and
// opening it does not mark it unsaved.
//
// Why: with `saveState` on, the ipywidgets manager (@jupyter-widgets/jupyterlab-manager 5.0.x,
// ipywidgets 8.1.x) writes into the notebook only the models that have a live comm
// (`get_state_sync` filters on `comm_live`). Models restored from the notebook's own saved state
// have none, so saving a reopened notebook drops them, and the next reopen says "model not found"
// (jupyter-widgets/ipywidgets#3270). The same manager marks the notebook dirty for every model it
// restores, which invites autosave to do exactly that.
//
// What: per notebook, remember every widget model state the notebook has held (as opened, and
// each later write). Whenever the `widgets` metadata is written (the manager does it on the
// context's saveState 'started', right before the context serializes the notebook), put back every
// model still referenced by an output, or by such a model (IPY_MODEL_ references: children,
// layout, style), that the writer left out. What the writer did write (live models) stays: newer.
//
// Why metadataChanged and not our own saveState slot: slots run in connection order, and the
// manager connects its slot only once a kernel is ready, after `context.ready` (so a slot of ours
// connected then would run first and be overwritten). The metadata change arrives synchronously
// inside the manager's own write, whatever the order.
//
// No imports: the plugin reaches notebooks through `app.docRegistry` (no tokens to share).

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const WIDGET_STATE = 'application/vnd.jupyter.widget-state+json';
const MODEL_REF = 'IPY_MODEL_';

/** Model ids that `value` references: IPY_MODEL_ strings, and widget-view outputs nested in
 * a model's state (an Output widget's outputs). Iterative: states can be deep. */
export function referencedIds(value, into = []) {
  const todo = [value];
  while (todo.length) {
    const v = todo.pop();
    if (typeof v === 'string') {
      if (v.startsWith(MODEL_REF)) {
        into.push(v.slice(MODEL_REF.length));
      }
    } else if (Array.isArray(v)) {
      todo.push(...v);
    } else if (v && typeof v === 'object') {
      const view = v[WIDGET_VIEW];
      if (view && typeof view.model_id === 'string') {
        into.push(view.model_id);
      }
      todo.push(...Object.values(v));
    }
  }
  return into;
}

/** Model ids shown by the notebook's outputs. */
function outputIds(notebook) {
  const ids = [];
  for (const cell of notebook.cells || []) {
    for (const output of cell.outputs || []) {
      const view = output.data && output.data[WIDGET_VIEW];
      if (view && typeof view.model_id === 'string') {
        ids.push(view.model_id);
      }
    }
  }
  return ids;
}

/** The saved models of a `widgets` metadata value, or null when it holds no widget state. */
function savedModels(widgets) {
  const state = widgets && widgets[WIDGET_STATE];
  return state && state.state && typeof state.state === 'object' ? state.state : null;
}

/**
 * `written` (id -> model state) plus every model reachable from the outputs that it lacks and
 * `memory` has. Returns null when nothing is missing.
 */
export function withReferencedModels(written, outputs, memory) {
  const missing = {};
  const seen = new Set();
  const todo = [...outputs];
  while (todo.length) {
    const id = todo.pop();
    if (seen.has(id)) {
      continue;
    }
    seen.add(id);
    const entry = written[id] || memory.get(id);
    if (!entry) {
      continue;
    }
    if (!written[id]) {
      missing[id] = entry;
    }
    referencedIds(entry.state, todo);
  }
  return Object.keys(missing).length ? { ...written, ...missing } : null;
}

/** Deep equality of two JSON values, key order ignored. */
export function sameJSON(a, b) {
  const todo = [[a, b]];
  while (todo.length) {
    const [x, y] = todo.pop();
    if (x === y) {
      continue;
    }
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) {
      return false;
    }
    if (Array.isArray(x) !== Array.isArray(y)) {
      return false;
    }
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) {
      return false;
    }
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) {
        return false;
      }
      todo.push([x[k], y[k]]);
    }
  }
  return true;
}

/** Whether a kernel message creates or changes a widget model. The manager's startup query of
 * the kernel's widgets (ipywidgets 8's control comm) answers `update_states`, empty when the
 * kernel has none, and closes its comm: neither is a change. */
export function kernelSpeaksToWidgets(msg) {
  const type = msg.header.msg_type;
  if (type === 'comm_open') {
    return true;
  }
  if (type !== 'comm_msg') {
    return false;
  }
  const data = (msg.content && msg.content.data) || {};
  return !(data.method === 'update_states' && Object.keys(data.states || {}).length === 0);
}

const watched = new WeakSet();

function watch(context) {
  if (watched.has(context)) {
    return; // a second view of the same notebook
  }
  watched.add(context);
  const memory = new Map(); // model id -> the latest state of it this notebook held
  let writing = false;
  let clean = null; // the notebook as it is on disk (as opened, or as last saved)
  let kernelWidgets = false; // the kernel has spoken to widgets: their state may be newer
  let checkPending = false;

  const remember = widgets => {
    const models = savedModels(widgets);
    for (const id of Object.keys(models || {})) {
      memory.set(id, models[id]);
    }
  };

  context.ready.then(() => {
    const model = context.model;
    remember(model.getMetadata('widgets'));
    clean = model.dirty ? null : model.toJSON();

    model.metadataChanged.connect((_, change) => {
      if (change.key !== 'widgets' || writing) {
        return;
      }
      const widgets = model.getMetadata('widgets');
      const written = savedModels(widgets);
      if (written) {
        const kept = withReferencedModels(written, outputIds(model.toJSON()), memory);
        if (kept) {
          writing = true;
          try {
            model.setMetadata('widgets', {
              ...widgets,
              [WIDGET_STATE]: { ...widgets[WIDGET_STATE], state: kept }
            });
          } finally {
            writing = false;
          }
        }
      }
      remember(model.getMetadata('widgets'));
    });

    context.saveState.connect((_, state) => {
      if (state === 'completed') {
        clean = model.toJSON();
      }
    });

    // The manager marks the notebook dirty for each model it restores from the notebook, though
    // nothing differs from the file. Clear that flag when the notebook still equals the file and
    // no kernel has sent widget messages (then live widget state may be unsaved: keep the flag).
    context.sessionContext.iopubMessage.connect((_, msg) => {
      if (kernelSpeaksToWidgets(msg)) {
        kernelWidgets = true;
      }
    });
    const check = () => {
      checkPending = false;
      if (model.dirty && !kernelWidgets && clean !== null && !model.isDisposed
          && sameJSON(model.toJSON(), clean)) {
        model.dirty = false;
      }
    };
    const onState = (_, change) => {
      if (change.name === 'dirty' && change.newValue && !checkPending && !kernelWidgets) {
        checkPending = true;
        setTimeout(check, 0); // once per burst: the manager restores models one by one
      }
    };
    model.stateChanged.connect(onState);
  });
}

const plugin = {
  id: 'sidebyside-lab:keep-widget-state',
  description: 'Saving a reopened notebook keeps its widget state; reopening does not mark it unsaved.',
  autoStart: true,
  activate: app => {
    if (!app.docRegistry) {
      return; // a front end without documents (RISE's slide page): nothing to keep
    }
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel, context) => watch(context)
    });
  }
};

export default plugin;
