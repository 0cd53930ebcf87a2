// Per-page memory of drawn GraphViews, so a new view of a model drawn earlier draws at once.
// After a cell that shows or records a view ends, Python settles the live batches into `graph` and
// updates the output's picture; JupyterLab then makes a new view of the same model, which would
// otherwise start blank and lay out from scratch, losing zoom, pan and expanded groups.
//
// Keyed by the graph document object (the model's `graph` value, shared by all views of a model):
// a changed document is a different object, so a stale drawing is never reused, and an entry goes
// away with its document when the model closes. A view that sees its document replaced by one with
// the same content (the settle) moves its entry to the new object (see sameContent).
const drawnBy = new WeakMap(); // graph document -> the view that last drew it

/** Record that `view` has drawn `doc` (its current state can be copied by a later view). */
export function remember(doc, view) {
  if (doc) drawnBy.set(doc, view);
}

export function forget(doc) {
  if (doc) drawnBy.delete(doc);
}

/**
 * True when an index (graph.js) holds exactly the nodes, edges and groups of `doc`, in the same
 * order: a linear check, far cheaper than indexing and laying the document out again.
 */
export function sameContent(state, doc) {
  const nodes = doc.nodes || [];
  const edges = doc.edges || [];
  if (nodes.length !== state.order.length || edges.length !== state.edges.length) return false;
  const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);
  if (!nodes.every((n, i) => n.id === state.order[i] && same(n, state.nodes.get(n.id)))) return false;
  if (!edges.every((e, i) => same(e, state.edges[i]))) return false;
  return (doc.groups || []).every((g) => {
    const known = state.groups.get(g.id);
    return known && known.label === g.label && known.parent === g.parent && same(known.repeat || null, g.repeat || null);
  });
}

/**
 * A copy of what the last view drew for `doc`, or null: its index, visible graph, positions,
 * routes, boxes, groups collapsed, zoom and canvas size (see GraphViewUI.drawnState). Copied, not
 * shared, so the earlier view (still alive when the same model is shown twice) and the new one
 * never change each other's state.
 */
export function drawnCopy(doc) {
  const view = drawnBy.get(doc);
  const drawn = view && view.drawnState(doc);
  if (!drawn) return null;
  try {
    return structuredClone(drawn);
  } catch (err) {
    return null; // something in it cannot be copied: lay out afresh
  }
}
