// Colours and the legend: a node is coloured by its kind (input, param, op, ...) or by its device,
// and the legend under the canvas lists the colours the graph uses.
import { html } from "./dom.js";

export const KIND_COLORS = {
  input: "#8fd18f",
  param: "#f5c26b",
  const: "#d9d9d9",
  op: "#9ec5f0",
  control: "#d7a8e8",
  output: "#f29e9e",
  group: "#eeeeee",
};
export const DEVICE_PALETTE = ["#9ec5f0", "#f5c26b", "#8fd18f", "#f29e9e", "#d7a8e8", "#a6e3e0", "#e8d38f"];
export const NO_DEVICE = "#ffffff";

/** The index of a device in `devices` (the order first seen), adding it when new. */
export function deviceIndex(devices, d) {
  let i = devices.indexOf(d);
  if (i < 0) {
    devices.push(d);
    i = devices.length - 1;
  }
  return i;
}

/** The fill of a visible node `v` (a node, a collapsed group or a folded family). */
export function nodeColor(v, colorBy, devices) {
  if (v.kind === "group") return KIND_COLORS.group;
  if (colorBy === "device") {
    const d = v.node.device;
    if (!d) return NO_DEVICE;
    return DEVICE_PALETTE[deviceIndex(devices, d) % DEVICE_PALETTE.length];
  }
  return KIND_COLORS[v.node.kind] || KIND_COLORS.op;
}

/**
 * The legend as [name, colour] pairs: the kinds (or devices) of the document's nodes, and
 * "collapsed group" while one is drawn.
 */
export function legendItems(nodes, visNodes, colorBy, devices) {
  const items = [];
  if (colorBy === "device") {
    const seen = new Set();
    for (const n of nodes) if (n.device) seen.add(n.device);
    for (const d of seen) items.push([d, DEVICE_PALETTE[deviceIndex(devices, d) % DEVICE_PALETTE.length]]);
    items.push(["no device", NO_DEVICE]);
  } else {
    const seen = new Set([...nodes].map((n) => n.kind));
    for (const k of Object.keys(KIND_COLORS)) if (seen.has(k)) items.push([k, KIND_COLORS[k]]);
    if (visNodes && [...visNodes].some((v) => v.kind === "group")) items.push(["collapsed group", KIND_COLORS.group]);
  }
  return items;
}

/** GraphViewUI's colour and legend methods (state: colorBy, devices, legend, nodeEls). */
export const legendMethods = {
  color(v) {
    if (!this.devices) this.devices = [];
    return nodeColor(v, this.colorBy, this.devices);
  },

  recolor() {
    for (const [id, g] of this.nodeEls) {
      const v = this.vis.nodes.get(id);
      if (v) g.querySelector(".gv-box").setAttribute("fill", this.color(v));
    }
    this.drawLegend();
  },

  drawLegend() {
    this.legend.textContent = "";
    if (!this.devices) this.devices = [];
    const vis = this.vis ? this.vis.nodes.values() : null;
    for (const [name, col] of legendItems(this.state.nodes.values(), vis, this.colorBy, this.devices)) {
      const it = html("span", "gv-legend-item", this.legend);
      html("span", "gv-swatch", it).style.background = col;
      it.appendChild(document.createTextNode(name));
    }
  },
};
