import { test } from "node:test";
import assert from "node:assert/strict";
import { esc, markup, truncate } from "../../widgets/js/src/view/dom.js";

test("markup escapes attribute values and leaves numbers and inner markup alone", () => {
  const m = markup("text", { class: 'a"b', x: 1.5, "data-id": "<n&1>" }, esc("<b>x</b>"));
  assert.equal(m, '<text class="a&quot;b" x="1.5" data-id="&lt;n&amp;1&gt;">&lt;b&gt;x&lt;/b&gt;</text>');
  assert.equal(markup("title", {}), "<title></title>");
});

test("truncate cuts to the width with an ellipsis, never below three characters", () => {
  assert.equal(truncate("layer1 (Sequential)", 1000, 6.4), "layer1 (Sequential)");
  assert.equal(truncate("abcdefghij", 6.4 * 5, 6.4), "abcd\u2026");
  assert.equal(truncate("abcdefghij", 1, 6.4), "ab\u2026");
});
