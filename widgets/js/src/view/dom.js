// Small DOM helpers shared by the view's parts: SVG and HTML elements, SVG markup built as text
// (escaped here) and parsed in batches, and waiting for the page's next frame.
const SVGNS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

export function html(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// The element that holds a node's (or a group box's) parts. Not <g>: chromium keeps a layout object
// for a <g> with display: none and lays out everything inside it (measured: hiding 300 off-screen
// nodes cost 30-50 ms of layout, moving them 12 ms), while an <a> without href is a plain group
// whose display: none really takes it out of the page's layout (no layout, 2 ms of style).
export const HIDEABLE = "a";
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
export const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ESCAPES[c]);

/** An SVG element as markup: attribute values are escaped here, `inner` is markup already. */
export function markup(tag, attrs, inner = "") {
  let m = "<" + tag;
  for (const k in attrs) {
    const v = attrs[k];
    m += " " + k + '="' + (typeof v === "number" ? v : esc(v)) + '"';
  }
  return m + ">" + inner + "</" + tag + ">";
}

/**
 * New scene elements as markup, parsed by the browser in one call per layer. Measured (an expanded
 * GPT-2 block, 120 nodes and 85 group boxes): creating them with createElementNS and setAttribute,
 * about 20 calls per node, was most of the expand's drawing time.
 */
export class MarkupBatch {
  constructor() {
    this.layers = new Map(); // layer -> {text: [markup of one element], done: [fn(element)]}
  }

  add(layer, text, done) {
    let b = this.layers.get(layer);
    if (!b) this.layers.set(layer, (b = { text: [], done: [] }));
    b.text.push(text);
    b.done.push(done);
  }

  flush() {
    for (const [layer, b] of this.layers) {
      const last = layer.lastElementChild;
      layer.insertAdjacentHTML("beforeend", b.text.join(""));
      let el = last ? last.nextElementSibling : layer.firstElementChild;
      for (const done of b.done) {
        done(el);
        el = el.nextElementSibling;
      }
    }
    this.layers.clear();
  }
}

/** Text cut to fit `px` pixels at `charW` pixels a character, with an ellipsis when cut. */
export function truncate(text, px, charW) {
  const n = Math.max(3, Math.floor(px / charW));
  return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
}

export const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

/**
 * Let the page paint a frame and handle input, then continue. (A plain task boundary, e.g. a
 * MessageChannel message, was measured to let chromium skip frames for hundreds of ms.)
 */
export function yieldToPage() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
