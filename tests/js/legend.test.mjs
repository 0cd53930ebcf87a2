import { test } from "node:test";
import assert from "node:assert/strict";
import { DEVICE_PALETTE, KIND_COLORS, NO_DEVICE, legendItems, nodeColor } from "../../widgets/js/src/view/legend.js";

const node = (kind, device) => ({ kind, node: { kind, device } });

test("nodes are coloured by kind, unknown kinds as ops, collapsed groups grey", () => {
  assert.equal(nodeColor(node("param"), "kind", []), KIND_COLORS.param);
  assert.equal(nodeColor(node("weird"), "kind", []), KIND_COLORS.op);
  assert.equal(nodeColor({ kind: "group" }, "device", []), KIND_COLORS.group);
});

test("by device: one palette colour per device in the order first seen, white without one", () => {
  const devices = [];
  assert.equal(nodeColor(node("op", "gpu:0"), "device", devices), DEVICE_PALETTE[0]);
  assert.equal(nodeColor(node("op", "cpu"), "device", devices), DEVICE_PALETTE[1]);
  assert.equal(nodeColor(node("op", "gpu:0"), "device", devices), DEVICE_PALETTE[0]);
  assert.equal(nodeColor(node("op"), "device", devices), NO_DEVICE);
  assert.deepEqual(devices, ["gpu:0", "cpu"]);
});

test("the legend lists the document's kinds in a fixed order, and collapsed groups when drawn", () => {
  const nodes = [{ kind: "op" }, { kind: "input" }, { kind: "op" }];
  assert.deepEqual(legendItems(nodes, null, "kind", []).map((i) => i[0]), ["input", "op"]);
  const vis = [{ kind: "op" }, { kind: "group" }];
  assert.deepEqual(legendItems(nodes, vis, "kind", []).map((i) => i[0]), ["input", "op", "collapsed group"]);
});

test("the device legend names each device with its node colour, then 'no device'", () => {
  const devices = [];
  const items = legendItems([{ device: "cpu" }, { device: "gpu" }, {}], null, "device", devices);
  assert.deepEqual(items, [["cpu", DEVICE_PALETTE[0]], ["gpu", DEVICE_PALETTE[1]], ["no device", NO_DEVICE]]);
});
