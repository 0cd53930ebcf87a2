// The view is one class whose methods come from the modules under view/: every method the code
// calls on `this` must exist on it, and no module may silently replace another's method.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { GraphViewUI, compose } from "../../widgets/js/src/index.js";

const SRC = new URL("../../widgets/js/src/", import.meta.url);
const sources = ["index.js", ...readdirSync(new URL("view/", SRC)).map((f) => "view/" + f)];

test("every this.method(...) the view's code calls is a method of GraphViewUI", () => {
  const missing = [];
  for (const f of sources) {
    const text = readFileSync(new URL(f, SRC), "utf8");
    for (const [, name] of text.matchAll(/\bthis\.([A-Za-z_]\w*)\(/g)) {
      if (typeof GraphViewUI.prototype[name] !== "function") missing.push(`${f}: this.${name}()`);
    }
  }
  assert.deepEqual(missing, []);
});

test("installed methods are not enumerable, as a class's own", () => {
  assert.equal(typeof GraphViewUI.prototype.fit, "function");
  assert.deepEqual(Object.keys(GraphViewUI.prototype), []);
});

test("compose refuses a method defined by two parts", () => {
  class A {}
  compose(A, { f() {} });
  assert.throws(() => compose(A, { f() {} }), /defined twice/);
  class B {
    g() {}
  }
  assert.throws(() => compose(B, { g() {} }), /defined twice/);
});
