import { test } from "node:test";
import assert from "node:assert/strict";
import { batchesToApply, growRect, readyEdges } from "../../widgets/js/src/view/live.js";

test("append batches: each seq once, only this view's and this epoch's", () => {
  const applied = new Set();
  const msg = { type: "append", epoch: 1, batches: [{ seq: 1 }, { seq: 2 }] };
  assert.deepEqual(batchesToApply(msg, "v1", 1, applied).map((b) => b.seq), [1, 2]);
  assert.deepEqual(batchesToApply({ ...msg, batches: [{ seq: 2 }, { seq: 3 }] }, "v1", 1, applied).map((b) => b.seq), [3]);
  assert.deepEqual(batchesToApply({ epoch: 7, batches: [{ seq: 4 }] }, "v1", 1, applied), []);
  assert.deepEqual(batchesToApply({ view: "v2", epoch: 1, batches: [{ seq: 5 }] }, "v1", 1, applied), []);
  // A message that is itself one batch.
  assert.deepEqual(batchesToApply({ epoch: 1, seq: 6 }, "v1", 1, applied).map((b) => b.seq), [6]);
  assert.deepEqual([...applied].sort(), [1, 2, 3, 6]);
});

test("an edge waits until both its ends are drawn, unless no more nodes come", () => {
  const rep = new Map([["a", "a"], ["b", "b"]]);
  const edges = [{ source: "a", target: "b" }, { source: "b", target: "c" }];
  const { ready, waiting } = readyEdges(edges, rep, true);
  assert.deepEqual([ready, waiting], [[edges[0]], [edges[1]]]);
  assert.deepEqual(readyEdges(edges, rep, false), { ready: edges, waiting: [] });
});

test("bounds grow to hold each new box and start from the first", () => {
  let b = growRect(null, 0, 0, 10, 10);
  assert.deepEqual(b, { x0: 0, y0: 0, x1: 10, y1: 10 });
  b = growRect(b, -5, 2, 8, 30);
  assert.deepEqual(b, { x0: -5, y0: 0, x1: 10, y1: 30 });
});
