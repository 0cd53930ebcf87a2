import { test } from "node:test";
import assert from "node:assert/strict";
import { boxTexts, edgeGeometry, edgeInfo, edgePath, nodeInner, nodeSignature, sameGeometry } from "../../widgets/js/src/view/scene.js";

const pos = new Map([["a", { x: 50, y: 20, w: 40, h: 20 }], ["b", { x: 150, y: 120, w: 40, h: 20 }]]);

test("an unrouted edge curves from the bottom of its source to the top of its target", () => {
  const g = edgePath({ key: "a>b", source: "a", target: "b" }, pos, new Map());
  assert.equal(g.d, "M50,30 C50,70 150,70 150,110");
  assert.deepEqual([g.lx, g.ly], [100, 70]);
  assert.deepEqual(g.bbox, [50, 20, 150, 120]);
  assert.equal(edgePath({ key: "a>c", source: "a", target: "c" }, pos, new Map()), null);
});

test("a routed edge follows its route; its label sits on the middle segment", () => {
  const routes = new Map([["a>b", [50, 30, 50, 70, 150, 70, 150, 110]]]);
  const g = edgePath({ key: "a>b", source: "a", target: "b" }, pos, routes);
  assert.equal(g.d, "M50.0,30.0 L50.0,70.0 L150.0,70.0 L150.0,110.0");
  assert.deepEqual([g.lx, g.ly], [150, 70]);
  assert.deepEqual(g.bbox, [50, 30, 150, 110]);
});

test("an edge is redrawn only when its route or its ends moved", () => {
  const e = { key: "a>b", source: "a", target: "b" };
  const routes = new Map([["a>b", new Float64Array([50, 30, 150, 110])]]);
  const was = edgeGeometry(e, pos, routes);
  assert.ok(Array.isArray(was));
  assert.ok(sameGeometry(was, e, pos, routes));
  assert.ok(!sameGeometry(was, e, pos, new Map([["a>b", [50, 30, 151, 110]]])));
  const free = edgeGeometry(e, pos, new Map());
  assert.ok(sameGeometry(free, e, pos, new Map()));
  const moved = new Map(pos).set("b", { x: 150, y: 121, w: 40, h: 20 });
  assert.ok(!sameGeometry(free, e, moved, new Map()));
  assert.ok(!sameGeometry(null, e, pos, new Map()));
});

test("edge labels say shape and dtype; group labels do not repeat a type they carry", () => {
  assert.equal(edgeInfo({ shape: [2, null], dtype: "int64" }), "[2, ?] int64");
  assert.equal(edgeInfo({}), "");
  assert.equal(boxTexts({ id: "net/l1", label: "layer1", type: "Sequential" }).text, "\u25be layer1 \u00b7 Sequential");
  assert.equal(boxTexts({ id: "net/l1", label: "layer1 (Sequential)" }).text, "\u25be layer1 (Sequential)");
  assert.equal(boxTexts({ id: "g" }).title, "g: click the label to collapse");
});

test("a node's markup: escaped text, subtitle, folded params, and a stack behind a family", () => {
  const v = { id: "c", kind: "op", node: { id: "c", op: "conv<2d>", label: "a&b", kind: "op", shape: [1, 2],
              params: [{ name: "weight", shape: [8, 3] }] } };
  const p = { w: 120, h: 50 };
  const sig = nodeSignature(v, p);
  assert.equal(sig.key, "120x50|a&b|[1, 2]");
  const m = nodeInner(v, p, sig, "#9ec5f0");
  assert.ok(m.startsWith('<rect class="gv-box" width="120" height="50" rx="4" fill="#9ec5f0"></rect>'), m);
  assert.ok(m.includes('<text class="gv-label" x="60" y="16">a&amp;b</text>'));
  assert.ok(m.includes('<text class="gv-sub" x="60" y="30">[1, 2]</text>'));
  assert.ok(m.includes('<text class="gv-param" x="60" y="43">weight [8, 3]</text>'));
  assert.ok(m.endsWith("<title>conv&lt;2d&gt; (op)</title>"));
  const fam = { id: "family:x", kind: "group", family: { type: "Block", members: [1, 2, 3] }, members: 12 };
  const fm = nodeInner(fam, p, nodeSignature(fam, p), "#eee");
  assert.ok(fm.startsWith('<rect class="gv-stack"'));
  assert.ok(fm.includes("Block \u00d73") && fm.includes("click to unfold"));
});
