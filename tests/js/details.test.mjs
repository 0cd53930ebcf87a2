import { test } from "node:test";
import assert from "node:assert/strict";
import { detailRows } from "../../widgets/js/src/view/details.js";

const state = {
  nodes: new Map([
    ["x", { id: "x", op: "placeholder", label: "x", kind: "input" }],
    ["c", { id: "c", op: "conv2d", label: "conv1", kind: "op", group: "net", shape: [1, 8, null], dtype: "float32",
            params: [{ name: "weight", kind: "param", shape: [8, 3], dtype: "float32" }, { name: "k", kind: "const" }],
            attrs: { stride: [2, 2], text: "y".repeat(200), ...Object.fromEntries([...Array(20)].map((_, i) => ["a" + i, i])) } }],
    ["r", { id: "r", op: "relu", kind: "op", device: "", plumbing: true }],
  ]),
  edges: [{ source: "x", target: "c", shape: [1, 3] }, { source: "c", target: "r" }, { source: "gone", target: "r" }],
};

test("a node's rows: identity, shape, folded params, attributes, inputs and users by name", () => {
  const rows = Object.fromEntries(detailRows(state, "c").filter(([k]) => !k.startsWith("a")));
  assert.deepEqual(rows, {
    id: "c", op: "conv2d", kind: "op", group: "net", shape: "[1, 8, ?]", dtype: "float32",
    param: "weight [8, 3] float32", const: "k", stride: "[2,2]", text: "y".repeat(117) + "...",
    inputs: "x [1, 3]", "used by": "relu",
  });
});

test("empty values are left out, attributes stop at 12, unknown inputs keep their id", () => {
  const c = detailRows(state, "c");
  assert.equal(c.filter(([k]) => /^a\d+$/.test(k)).length, 10); // stride, text and 10 more
  const r = Object.fromEntries(detailRows(state, "r"));
  assert.equal("device" in r, false);
  assert.equal(r.plumbing, "yes");
  assert.equal(r.inputs, "conv1, gone");
  assert.equal(detailRows(state, "nope"), null);
  assert.equal(detailRows(state, null), null);
});
