import { test } from "node:test";
import assert from "node:assert/strict";
import { toggled, topLevel } from "../../widgets/js/src/view/groups.js";

const groups = new Map([
  ["net", { id: "net", parent: null, size: 500 }],
  ["net/a", { id: "net/a", parent: "net", size: 200 }],
  ["net/b", { id: "net/b", parent: "net", size: 10 }],
  ["net/a/x", { id: "net/a/x", parent: "net/a", size: 5 }],
  ["head", { id: "head", parent: null, size: 3 }],
]);

test("a click opens a collapsed group and collapses an open one, without changing the input", () => {
  const before = new Set(["head"]);
  assert.deepEqual([...toggled(before, "head", groups, 150)], []);
  assert.deepEqual([...toggled(before, "net/b", groups, 150)].sort(), ["head", "net/b"]);
  assert.deepEqual([...before], ["head"]);
});

test("opening a big group collapses its children (not its grandchildren); a small one does not", () => {
  assert.deepEqual([...toggled(new Set(["net"]), "net", groups, 150)].sort(), ["net/a", "net/b"]);
  assert.deepEqual([...toggled(new Set(["net"]), "net", groups, 1000)], []);
  assert.deepEqual([...toggled(new Set(["net/a"]), "net/a", groups, 150)].sort(), ["net/a/x"]);
});

test("collapse all folds down to the groups without a parent", () => {
  assert.deepEqual(topLevel(groups.values()), ["net", "head"]);
});
