import { test } from "node:test";
import assert from "node:assert/strict";
import {
  RESTARTED_NOTE, SAVED_NOTE, connectionNote, countersText, headerMethods, kernelStatusSignal, statusText,
} from "../../widgets/js/src/view/header.js";
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

test("a view without its kernel says what it can do: restored, restarted, or a recording cut short", () => {
  assert.equal(connectionNote(false, false, 0, 0), null); // connected: nothing to say
  assert.equal(connectionNote(false, false, 29, 28), null); // a live recording in progress
  assert.deepEqual(connectionNote(true, false, 0, 9), { kind: "saved", status: null, note: SAVED_NOTE });
  assert.deepEqual(connectionNote(false, true, 0, 9), { kind: "restarted", status: null, note: RESTARTED_NOTE });
  assert.equal(connectionNote(true, true, 0, 9).kind, "saved"); // a saved view whose new kernel restarts
  for (const [restored, restarted] of [[false, true], [true, false]]) {
    const cut = connectionNote(restored, restarted, 29, 28);
    assert.equal(cut.kind, "cut");
    assert.match(cut.status, /cut short.*29 nodes, 28 edges/);
    assert.match(cut.note, /re-run the cell/);
  }
});

test("the kernel's status signal comes from JupyterLab's widget manager, or there is none", () => {
  const signal = { connect() {}, disconnect() {} };
  assert.equal(kernelStatusSignal({ context: { sessionContext: { statusChanged: signal } } }), signal);
  assert.equal(kernelStatusSignal({ kernel: { statusChanged: signal } }), signal);
  assert.equal(kernelStatusSignal({ get_model() {} }), null); // another manager (the harness, a test)
  assert.equal(kernelStatusSignal(undefined), null);
  assert.equal(kernelStatusSignal({ get context() { throw new Error("disposed"); } }), null);
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
  let slot = null;
  live.model.widget_manager = { context: { sessionContext: { statusChanged: { connect: (fn) => (slot = fn), disconnect() {} } } } };
  live.el = { classList: { contains: () => false }, closest: () => null };
  live.watchConnection();
  live.updateHeader(); // still recording: the counts, no note
  assert.equal(live.statusEl.textContent, "raw 0 \u00b7 shown 29 nodes, 28 edges");
  assert.equal(live.noteEl.style.display, "none");
  assert.equal(live.root.dataset.connection, "live");
  slot(null, "busy");
  assert.equal(live.root.dataset.connection, "live");
  slot(null, "restarting"); // the kernel restarts
  assert.match(live.statusEl.textContent, /recording cut short: the kernel stopped after 29 nodes, 28 edges/);
  assert.ok(live.statusClasses.has("gv-warn"));
  assert.match(live.noteEl.textContent, /re-run the cell/);
  assert.equal(live.noteEl.style.display, "");
  assert.equal(live.root.dataset.connection, "cut");
  assert.equal(live.legendDrawn, 1);
  live.updateHeader(); // a later update (a batch, a trait) keeps saying so
  assert.match(live.statusEl.textContent, /cut short/);
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
  v.watchConnection(); // no MutationObserver in node, no widget manager: the first check only
  assert.equal(v.disconnected, true);
  assert.equal(v.root.dataset.connection, "saved");
  marked = false;
  v.watchConnection();
  assert.equal(v.disconnected, false);
  assert.equal(v.root.dataset.connection, "live");
  assert.equal(v.noteEl.style.display, "none");
});
