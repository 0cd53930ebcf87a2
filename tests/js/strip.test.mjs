import { test } from "node:test";
import assert from "node:assert/strict";
import { stripItems } from "../../widgets/js/src/view/strip.js";

const graphs = [1, 2, 3].map((i) => ({ id: `g${i}`, label: `graph ${i} of 3`, type: "CompiledGraph", parent: null }));
const names = (items) => items.map((it) => (it.graph ? it.graph.id : "break:" + it.break.reason));

test("each break follows the graph it ends (graphs numbered from 1)", () => {
  const meta = { breaks: [{ graph: 2, reason: "b" }, { graph: 1, reason: "a" }] };
  assert.deepEqual(names(stripItems(graphs, meta)), ["g1", "break:a", "g2", "break:b", "g3"]);
});

test("numbered from 0 when a break says graph 0; breaks naming no graph come last", () => {
  const meta = { breaks: [{ graph: 0, reason: "a" }, { graph: 9, reason: "z" }] };
  assert.deepEqual(names(stripItems(graphs, meta)), ["g1", "break:a", "g2", "g3", "break:z"]);
});

test("only top-level compiled graphs; nothing compiled gives no strip; breaks alone do", () => {
  const other = [{ id: "m", label: "m", type: "Linear", parent: null }, { ...graphs[0], parent: "m" }];
  assert.deepEqual(stripItems(other, {}), []);
  assert.deepEqual(stripItems(other, { breaks: "no" }), []);
  assert.deepEqual(names(stripItems([], { breaks: [{ graph: 1, reason: "print" }] })), ["break:print"]);
});
