// Geometry checks on a drawn GraphView, run in the page by tests/test_browser.py and
// tests/test_widget_bundle.py: page.evaluate(this file's text), then gvEdgeCrossings(root) and
// gvTextSizes(root). tests/layout/layout_check.mjs loads it in node for gvSegmentCrossesRect.
(() => {
  const translate = (el) => {
    const m = /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(el.getAttribute("transform") || "");
    return m ? [parseFloat(m[1]), parseFloat(m[2])] : [0, 0];
  };

  // Points of an edge's path in scene coordinates ("M x,y L x,y ..." or one cubic "C").
  const pathPoints = (d) => {
    const nums = (d.match(/-?\d+(\.\d+)?(e-?\d+)?/g) || []).map(Number);
    const pts = [];
    for (let i = 0; i + 1 < nums.length; i += 2) pts.push([nums[i], nums[i + 1]]);
    if (!d.includes("C") || pts.length !== 4) return pts;
    const [p0, p1, p2, p3] = pts;
    const out = [];
    for (let k = 0; k <= 24; k++) {
      const t = k / 24;
      const a = (1 - t) ** 3, b = 3 * (1 - t) ** 2 * t, c = 3 * (1 - t) * t * t, e = t ** 3;
      out.push([a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1]]);
    }
    return out;
  };

  // Does the segment p-q pass through the inside of rect r (shrunk by `inset`)? Liang-Barsky.
  const crosses = (p, q, r, inset) => {
    const x0 = r.x + inset, y0 = r.y + inset, x1 = r.x + r.w - inset, y1 = r.y + r.h - inset;
    if (x1 <= x0 || y1 <= y0) return false;
    let t0 = 0, t1 = 1;
    const dx = q[0] - p[0], dy = q[1] - p[1];
    for (const [pp, qq] of [[-dx, p[0] - x0], [dx, x1 - p[0]], [-dy, p[1] - y0], [dy, y1 - p[1]]]) {
      if (pp === 0) {
        if (qq <= 0) return false;
      } else {
        const t = qq / pp;
        if (pp < 0) t0 = Math.max(t0, t);
        else t1 = Math.min(t1, t);
        if (t0 >= t1) return false;
      }
    }
    return t1 - t0 > 1e-6;
  };
  globalThis.gvSegmentCrossesRect = crosses;

  /** Edges that pass through a node or group box other than their own ends and those ends' groups. */
  if (typeof window === "undefined") return; // node: only the segment test above
  window.gvEdgeCrossings = (root, inset = 1.5) => {
    const nodes = new Map();
    for (const g of root.querySelectorAll(".gv-node")) {
      const [x, y] = translate(g);
      const r = g.querySelector("rect.gv-box");
      nodes.set(g.dataset.id, { x, y, w: +r.getAttribute("width"), h: +r.getAttribute("height"), box: g.dataset.box || "" });
    }
    const groups = new Map();
    for (const g of root.querySelectorAll(".gv-group")) {
      const r = g.querySelector("rect");
      groups.set(g.dataset.group, { x: +r.getAttribute("x"), y: +r.getAttribute("y"), w: +r.getAttribute("width"), h: +r.getAttribute("height"), parent: g.dataset.parent || "" });
    }
    const chain = (box) => {
      const out = new Set();
      for (let b = box; b && !out.has(b); b = (groups.get(b) || {}).parent) out.add(b);
      return out;
    };
    const bad = [];
    let segments = 0;
    for (const e of root.querySelectorAll(".gv-edge")) {
      const s = e.dataset.source, t = e.dataset.target;
      const own = new Set([...chain((nodes.get(s) || {}).box), ...chain((nodes.get(t) || {}).box)]);
      const pts = pathPoints(e.getAttribute("d"));
      for (let i = 0; i + 1 < pts.length; i++) {
        segments += 1;
        for (const [id, r] of nodes) {
          if (id !== s && id !== t && crosses(pts[i], pts[i + 1], r, inset)) bad.push(`${s} -> ${t} crosses node ${id}`);
        }
        for (const [id, r] of groups) {
          if (!own.has(id) && crosses(pts[i], pts[i + 1], r, inset)) bad.push(`${s} -> ${t} crosses group ${id}`);
        }
      }
    }
    return { edges: root.querySelectorAll(".gv-edge").length, segments, bad: [...new Set(bad)] };
  };

  /** Pairs of group labels whose on-screen boxes overlap (there should be none). */
  window.gvHeadOverlaps = (root) => {
    const heads = [...root.querySelectorAll(".gv-group-head")]
      .map((t) => [t.dataset.group, t.getBoundingClientRect()])
      .filter(([, b]) => b.width && b.height);
    const out = [];
    for (let i = 0; i < heads.length; i++) {
      for (let j = i + 1; j < heads.length; j++) {
        const [a, p] = heads[i];
        const [b, q] = heads[j];
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1) out.push([a, b]);
      }
    }
    return out;
  };

  /**
   * Edge labels drawn over another edge label or over a group label (there should be none):
   * ["label text / other text", ...] from their on-screen boxes.
   */
  window.gvEdgeLabelOverlaps = (root) => {
    const boxes = (sel) => [...root.querySelectorAll(sel)]
      .map((t) => [t.textContent, t.getBoundingClientRect()])
      .filter(([, b]) => b.width && b.height);
    const labels = boxes(".gv-edge-label");
    const heads = boxes(".gv-group-head");
    const meet = (p, q) => p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1;
    const out = [];
    labels.forEach(([a, p], i) => {
      for (const [b, q] of [...labels.slice(i + 1), ...heads]) if (meet(p, q)) out.push(a + " / " + b);
    });
    return out;
  };

  /** On-screen font size (px) of every text in the view that is inside the visible canvas. */
  window.gvTextSizes = (root) => {
    const canvas = root.querySelector(".gv-canvas").getBoundingClientRect();
    const sizes = {};
    for (const t of root.querySelectorAll(".gv-label, .gv-sub, .gv-param, .gv-group-head")) {
      const b = t.getBoundingClientRect();
      if (!b.width || !b.height) continue; // hidden (culled off screen)
      if (b.bottom < canvas.top || b.top > canvas.bottom || b.right < canvas.left || b.left > canvas.right) continue;
      const px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
      const k = t.getAttribute("class");
      sizes[k] = Math.min(sizes[k] ?? Infinity, px);
    }
    return sizes;
  };
})();
