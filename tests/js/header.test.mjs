import { test } from "node:test";
import assert from "node:assert/strict";
import { countersText, statusText } from "../../widgets/js/src/view/header.js";

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
