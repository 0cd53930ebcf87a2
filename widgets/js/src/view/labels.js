// Edge labels that stay readable: each shape label goes to the first spot along its edge where it
// overlaps no other label, no group label and no node box; a label with no free spot is left out
// (the details panel still lists every input's shape). Sizes are estimated from the text, as the
// layout does (measure.js), so placing labels reads nothing back from the page.

export const LABEL_CHAR_W = 6.2; // a 10 px edge-label character, a little wide (brackets are narrow)
export const LABEL_H = 12; // from 9 px above the baseline to 3 px below
export const HEAD_CHAR_W = 6.4; // a group label's 11 px bold character (scene.js truncates with it)

/** The rectangle of a label whose text starts at (x, y) (its baseline). */
export function labelRect(x, y, text) {
  return { x0: x, y0: y - 9, x1: x + text.length * LABEL_CHAR_W, y1: y - 9 + LABEL_H };
}

/** The rectangle of a group box's label (drawn at the box's top left, cut to the box's width). */
export function headRect(b, text) {
  const w = Math.min(text.length * HEAD_CHAR_W, Math.max(0, b.w - 12));
  return { x0: b.x + 6, y0: b.y + 4, x1: b.x + 6 + w, y1: b.y + 19 };
}

const meets = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Where a label of an edge may go, best first, as the (x, y) where its text starts: the middle of
 * the edge (where it has always been drawn), then the middle of each of its other segments from
 * the centre outward, then each of those a label's height above and below.
 */
export function labelSpots(geo, pts) {
  const spots = [[geo.lx + 4, geo.ly + 3]];
  if (pts && pts.length >= 4) {
    const mids = [];
    for (let k = 0; k + 3 < pts.length; k += 2) mids.push({ i: mids.length, x: (pts[k] + pts[k + 2]) / 2, y: (pts[k + 1] + pts[k + 3]) / 2 });
    const c = (mids.length - 1) / 2;
    mids.sort((a, b) => Math.abs(a.i - c) - Math.abs(b.i - c) || a.i - b.i);
    for (const m of mids) spots.push([m.x + 4, m.y + 3]);
  }
  const n = spots.length;
  for (let i = 0; i < n; i++) spots.push([spots[i][0], spots[i][1] - LABEL_H - 2], [spots[i][0], spots[i][1] + LABEL_H + 2]);
  return spots;
}

/**
 * Place labels: `labels` is [{key, text, spots}], `obstacles` rectangles nothing may cover (group
 * labels, node boxes). Returns key -> [x, y], or null for a label left out.
 */
export function placeLabels(labels, obstacles) {
  const cell = 64;
  const grid = new Map(); // a coarse grid, so each spot is tested against what is near it only
  const cells = (r, fn) => {
    for (let i = Math.floor(r.x0 / cell); i <= Math.floor(r.x1 / cell); i++)
      for (let j = Math.floor(r.y0 / cell); j <= Math.floor(r.y1 / cell); j++) fn(i + ":" + j);
  };
  const add = (r) => cells(r, (k) => (grid.get(k) || grid.set(k, []).get(k)).push(r));
  const free = (r) => {
    let ok = true;
    cells(r, (k) => {
      if (ok) for (const o of grid.get(k) || []) if (meets(r, o)) return (ok = false);
    });
    return ok;
  };
  for (const o of obstacles) add(o);
  const out = new Map();
  for (const { key, text, spots } of labels) {
    out.set(key, null);
    for (const [x, y] of spots) {
      const r = labelRect(x, y, text);
      if (!free(r)) continue;
      add(r);
      out.set(key, [x, y]);
      break;
    }
  }
  return out;
}
