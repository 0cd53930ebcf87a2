"""A static picture (PNG) of what a GraphView shows, drawn in the kernel with Pillow.

A widget needs a running JupyterLab that trusts the notebook. Everything else sees a picture: an
untrusted notebook (a fresh clone before "Trust Notebook"), `jupyter nbconvert --to html` (offline,
no widget script from a CDN), GitHub's notebook preview. So every GraphView output carries this PNG
beside its widget, with a caption saying how to get the live view.

The layout is a plain layered one (longest path from the inputs, then a few barycentre sweeps to
untangle each layer), iterative throughout, over the boxes the view shows at first sight: nodes
outside collapsed groups plus one box per collapsed group. It is a picture, not the widget's layout.
"""

from __future__ import annotations

import io
from collections import defaultdict

from sidebyside.graph.transform import group_chain as _chain
from sidebyside.graph.transform import group_parents as _group_parents

#: Node colours by kind: the widget's palette (widgets/js/src/index.js), so both read the same.
KIND_COLOURS = {
    "input": "#8fd18f",
    "param": "#f5c26b",
    "const": "#d9d9d9",
    "op": "#9ec5f0",
    "control": "#d7a8e8",
    "output": "#f29e9e",
    "group": "#eeeeee",
}
#: Above this many boxes the picture lists counts instead of drawing boxes nobody could read.
MAX_BOXES = 400
CAPTION = "static picture · run the cell in a trusted notebook for the live, clickable view"


def boxes_and_links(doc: dict, collapsed) -> tuple[list[dict], list[tuple[int, int]]]:
    """The boxes a view shows at first sight and the links between them (indices into boxes)."""
    collapsed = set(collapsed or ())
    parents = _group_parents(doc.get("groups", []))
    labels = {g["id"]: g.get("label") or g["id"] for g in doc.get("groups", [])}
    for g in doc.get("groups", []):  # "0 (BasicBlock)" says little alone: "layer1/0 (BasicBlock)"
        parent = g.get("parent")
        if parent and labels[g["id"]][:1].isdigit():
            owner = parent.rsplit("/", 1)[-1].split("@")[0]  # "seq@2" (its second call) -> "seq"
            labels[g["id"]] = f"{owner}/{labels[g['id']]}"
    repeats = {g["id"]: g.get("repeat") for g in doc.get("groups", []) if g.get("repeat")}
    index: dict[str, int] = {}
    boxes: list[dict] = []
    box_of: dict[str, int] = {}
    for n in doc.get("nodes", []):
        key, box = n["id"], None
        for gid in _chain(n.get("group"), parents):
            if gid in collapsed:
                key = "group:" + gid
                box = {"label": labels.get(gid, gid), "sub": "", "kind": "group", "count": 0,
                       "repeat": repeats.get(gid)}
                break
        if key not in index:
            index[key] = len(boxes)
            boxes.append(box or {"label": str(n.get("label") or n["op"]), "sub": _sub(n),
                                 "kind": n.get("kind", "op"), "count": 0})
        boxes[index[key]]["count"] += 1
        box_of[n["id"]] = index[key]
    for b in boxes:
        if b["kind"] == "group":
            rep = b.get("repeat")
            alike = (f" · {rep.get('index', 0) + 1} of {rep['count']} alike"
                     if rep and rep.get("count") else "")
            b["sub"] = f"{b['count']} node{'s' if b['count'] != 1 else ''}{alike}"

    links = set()
    for e in doc.get("edges", []):
        s, t = box_of.get(e["source"]), box_of.get(e["target"])
        if s is not None and t is not None and s != t:
            links.add((s, t))
    return boxes, sorted(links)


def _shape(shape) -> str:
    return "" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def _sub(node: dict) -> str:
    """The second line of a box: op and shape, then the parameters folded into it (Netron-style)."""
    op, label = str(node.get("op") or ""), str(node.get("label") or "")
    parts = [op] if op and op != label else []
    if node.get("shape") is not None:
        parts.append(_shape(node["shape"]))
    text = " ".join(parts)
    folded = [f"{p.get('name')} {_shape(p.get('shape'))}".strip() for p in node.get("params") or []]
    return " · ".join([t for t in [text, ", ".join(folded)] if t])


def layers(count: int, links, inputs=()) -> list[list[int]]:
    """Boxes by layer, each layer ordered to reduce crossings.

    A box's layer is its longest path from a source; sources and boxes no `inputs` box feeds are
    pulled down next to their first consumer (a weight beside the op that uses it)."""
    succ, pred = defaultdict(list), defaultdict(list)
    indeg = [0] * count
    for s, t in links:
        succ[s].append(t)
        pred[t].append(s)
        indeg[t] += 1
    depth = [0] * count
    ready = [i for i in range(count) if indeg[i] == 0]
    order = []
    while ready:  # Kahn's algorithm: iterative, so deep graphs cannot overflow the stack
        i = ready.pop()
        order.append(i)
        for t in succ[i]:
            depth[t] = max(depth[t], depth[i] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    fed = [False] * count
    for i in inputs:
        fed[i] = True
    for i in order:
        if fed[i]:
            for t in succ[i]:
                fed[t] = True
    if len(order) < count:  # a cycle (should not happen in a dataflow graph): park those boxes last
        last = max(depth) + 1
        for i in range(count):
            if indeg[i] > 0:
                depth[i] = last
    # Sources, and boxes no input feeds (weights and what is computed from them alone), sit just
    # above their first consumer, not all in the top row: visit them consumers first.
    for i in reversed(order):
        if (not fed[i] or not pred[i]) and succ[i]:
            depth[i] = max(0, min(depth[t] for t in succ[i]) - 1)
    rows: list[list[int]] = [[] for _ in range(max(depth, default=-1) + 1)]
    for i in range(count):
        rows[depth[i]].append(i)
    pos = {i: float(k) for row in rows for k, i in enumerate(row)}
    for _ in range(3):  # barycentre sweeps, down then up
        for row in rows[1:]:
            _reorder(row, pred, pos)
        for row in reversed(rows[:-1]):
            _reorder(row, succ, pos)
    return rows


def _reorder(row: list[int], nbrs, pos: dict) -> None:
    def centre(i):
        around = nbrs[i]
        return sum(pos[j] for j in around) / len(around) if around else pos[i]

    row.sort(key=centre)
    for k, i in enumerate(row):
        pos[i] = float(k)


def render_png(doc: dict, collapsed=(), title: str = "", note: str = "") -> bytes:
    """The picture of one view as PNG bytes."""
    return render_row_png([(doc, collapsed, title, note)])


def render_row_png(views) -> bytes:
    """Views side by side in one picture: `views` holds (doc, collapsed, title, note) tuples."""
    from PIL import Image, ImageDraw

    panels = []
    for doc, collapsed, title, note in views:
        boxes, links = boxes_and_links(doc, collapsed)
        inputs = [i for i, b in enumerate(boxes) if b["kind"] == "input"]
        rows = layers(len(boxes), links, inputs) if len(boxes) <= MAX_BOXES else []
        if boxes and not rows:
            note = note or f"{len(boxes)} boxes: too many for a picture; run the cell for the view"
        elif not boxes:
            note = note or "empty graph"
        panels.append((boxes, links, rows, title, note))
    widths = [max([len(r) for r in rows] + [2]) * _COL_W + _PAD for _, _, rows, _, _ in panels]
    height = _TOP + max([len(rows) * _ROW_H for _, _, rows, _, _ in panels] + [_ROW_H]) + _BOTTOM
    image = Image.new("RGB", (max(sum(widths), 480), height), "white")
    draw = ImageDraw.Draw(image)
    left = 0
    for (boxes, links, rows, title, note), width in zip(panels, widths):
        draw.text((left + 6, 8), _clip(title, width // 8), fill="#222", font=_font(15))
        if note:
            draw.text((left + 6, _TOP - 6), _clip(note, width // 6), fill="#666", font=_font(11))
        if rows:
            _draw_graph(draw, boxes, links, rows, left + _PAD // 2, _TOP + 14)
        left += width
    draw.text((6, height - _BOTTOM + 4), CAPTION, fill="#555", font=_font(12))
    scale = min(1.0, _MAX_W / image.width, _MAX_H / image.height)
    if scale < 1.0:  # a huge graph: a smaller picture beats one nobody can open
        image = image.resize((int(image.width * scale), int(image.height * scale)),
                             Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_BOX_W, _BOX_H, _COL_W, _ROW_H = 150, 36, 168, 60  # pixels
_PAD, _TOP, _BOTTOM = 16, 44, 24
_MAX_W, _MAX_H = 2400, 2400
_FONTS: dict = {}


def _font(size: int):
    from PIL import ImageFont

    if size not in _FONTS:
        _FONTS[size] = ImageFont.load_default(size=size)
    return _FONTS[size]


def _draw_graph(draw, boxes, links, rows, x0: int, y0: int) -> None:
    span = max(len(r) for r in rows)
    centre = {}
    for depth, row in enumerate(rows):
        offset = (span - len(row)) * _COL_W / 2
        for k, i in enumerate(row):
            centre[i] = (x0 + offset + k * _COL_W + _COL_W / 2, y0 + depth * _ROW_H + _BOX_H / 2)
    for s, t in links:
        (xs, ys), (xt, yt) = centre[s], centre[t]
        start, end = (xs, ys + _BOX_H / 2), (xt, yt - _BOX_H / 2)
        if yt <= ys:  # drawn upwards (a cycle): from the side instead
            start, end = (xs + _BOX_W / 2, ys), (xt + _BOX_W / 2, yt)
        draw.line([start, end], fill="#999", width=1)
        _arrow_head(draw, start, end)
    for i, b in enumerate(boxes):
        x, y = centre[i]
        rect = [x - _BOX_W / 2, y - _BOX_H / 2, x + _BOX_W / 2, y + _BOX_H / 2]
        draw.rounded_rectangle(rect, radius=5, fill=KIND_COLOURS.get(b["kind"], "#ffffff"),
                               outline="#555" if b["kind"] != "group" else "#99aabb",
                               width=1 if b["kind"] != "group" else 2)
        label, sub = _clip(b["label"], 20), _clip(b["sub"], 28)
        draw.text((x, y - (7 if sub else 0)), label, fill="#111", font=_font(13), anchor="mm")
        if sub:
            draw.text((x, y + 9), sub, fill="#333", font=_font(10), anchor="mm")


def _arrow_head(draw, start, end) -> None:
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    back = (x1 - 7 * ux, y1 - 7 * uy)
    draw.polygon([(x1, y1), (back[0] - 3.5 * uy, back[1] + 3.5 * ux),
                  (back[0] + 3.5 * uy, back[1] - 3.5 * ux)], fill="#777")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 1, 1)] + "…"
