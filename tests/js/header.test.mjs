import { test } from "node:test";
import assert from "node:assert/strict";
import { SAVED_NOTE, connectionNote, countersText, headerMethods, statusText } from "../../widgets/js/src/view/header.js";
import { fakeEl, fakeView } from "./fakes.mjs";

test("counters list only what the capture reports", () => {
  assert.equal(countersText({ traces: 3, recompiles: 1, graph_breaks: 2 }), "traces 3 \u00b7 recompiles 1 \u00b7 graph breaks 2");
  assert.equal(countersText({ graph_breaks: 0 }), "graph breaks 0");
  assert.equal(countersText({}), "");
});

test("the status counts raw and shown nodes, and boxes only when they differ", () => {
  assert.equal(statusText(40, 8, 7, 8), "raw 40 \u00b7 shown 8 nodes, 7 edges");
  assert.equal(statusText(40, 8, 7, 3), "raw 40 \u00b7 shown 8 nodes, 7 edges \u00b7 3 boxes");
  assert.equal(statusText(0, 0, 0, 0), "raw 0 \u00b7 shown 0 nodes, 0 edges");
});

test("a view without its kernel says what it can do: restored, or a recording cut short", () => {
  assert.equal(connectionNote(false, 0, 0), null); // connected: nothing to say
  assert.equal(connectionNote(false, 29, 28), null); // a live recording in progress
  assert.deepEqual(connectionNote(true, 0, 9), { status: null, note: SAVED_NOTE });
  const cut = connectionNote(true, 29, 28);
  assert.match(cut.status, /cut short.*29 nodes, 28 edges/);
  assert.match(cut.note, /re-run the cell/);
});

/** A view after 29 nodes arrived live into an empty document (a recording), header elements fake. */
function liveView(disconnected, docNodes = 0) {
  const classes = new Set();
  const el = () => Object.assign(fakeEl(), { textContent: "", classList: { add: (c) => classes.add(c), remove: (c) => classes.delete(c), contains: (c) => classes.has(c) } });
  const order = Array.from({ length: 29 }, (_, i) => "n" + i);
  const state = { nodes: new Map(order.map((id) => [id, {}])), edges: new Array(28), order, doc: { meta: { raw_node_count: docNodes } } };
  const v = fakeView({
    titleEl: el(), countersEl: el(), statusEl: el(), noteEl: el(), stack: [],
    doc: { name: "rec", nodes: order.slice(0, docNodes), meta: { raw_node_count: docNodes } },
    state, rootState: state, vis: { nodes: state.nodes }, applied: new Set([1, 2]),
    legend: { childElementCount: 0 }, disconnected,
  }, headerMethods);
  v.legendDrawn = 0;
  v.drawLegend = () => (v.legendDrawn += 1);
  v.statusClasses = classes;
  return v;
}

test("a kernel restart during a recording: the header says it was cut short, and the legend is drawn", () => {
  const live = liveView(false);
  live.updateHeader(); // still recording: the counts, no note
  assert.equal(live.statusEl.textContent, "raw 0 \u00b7 shown 29 nodes, 28 edges");
  assert.equal(live.noteEl.style.display, "none");
  assert.equal(live.root.dataset.connection, "live");
  const cut = liveView(true);
  cut.updateHeader();
  assert.match(cut.statusEl.textContent, /recording cut short: the kernel stopped after 29 nodes, 28 edges/);
  assert.ok(cut.statusClasses.has("gv-warn"));
  assert.match(cut.noteEl.textContent, /re-run the cell/);
  assert.equal(cut.noteEl.style.display, "");
  assert.equal(cut.root.dataset.connection, "cut");
  assert.equal(cut.legendDrawn, 1);
});

test("a view restored from saved state (the document holds every node) says what it can do", () => {
  const saved = liveView(true, 29);
  saved.applied = new Set(); // drawn from the saved document, no live batches
  saved.updateHeader();
  assert.equal(saved.statusEl.textContent, "raw 29 \u00b7 shown 29 nodes, 28 edges"); // counts kept
  assert.equal(saved.noteEl.textContent, SAVED_NOTE);
  assert.equal(saved.root.dataset.connection, "saved");
});

test("ipywidgets' disconnected mark on the view's element is what decides", () => {
  const v = liveView(undefined, 29);
  v.applied = new Set();
  let marked = true;
  v.el = { classList: { contains: () => marked }, closest: () => (marked ? {} : null) };
  v.watchConnection(); // no MutationObserver in node: the first check only
  assert.equal(v.disconnected, true);
  assert.equal(v.root.dataset.connection, "saved");
  marked = false;
  v.watchConnection();
  assert.equal(v.disconnected, false);
  assert.equal(v.root.dataset.connection, "live");
  assert.equal(v.noteEl.style.display, "none");
});
