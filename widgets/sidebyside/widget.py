"""GraphView: a live computation-graph widget (an anywidget with a bundled, offline ES module).

    from sidebyside.widget import GraphView, side_by_side, step_through
    view = GraphView(graph, title="z = (x+y) + x*y")     # a sidebyside.graph.Graph, a dict or JSON
    view                                               # draws it: click a node, toggle "simplified"
    view.selected                                      # id of the node clicked in the browser
    view.append(nodes, edges)                          # live growth, batched (<= 1 message / 100 ms)
    side_by_side(torch_view, tf_view)                  # two views next to each other

    GraphView(graph, presenter=True)                   # full width, large type: for a projector

The front end lives in widgets/js/src (built with esbuild into sidebyside/static/graphview.js: no
CDN). Layout runs in a Web Worker started from that bundle, one group at a time, so the page never
waits for it; the canvas opens at a readable zoom on the start of the graph. That engine is loaded
once per kernel (GraphEngine) and each view carries only a tiny loader module, so saved notebooks
hold the engine once. Python does the data work: the simplified view (plumbing nodes hidden) is computed
here and sent as the `graph` trait; live appends travel as small custom messages carrying only the
new nodes and edges; which groups start collapsed and whether a graph is too large to draw are also
decided here, so the browser never receives more than it can draw.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import anywidget
import ipywidgets
import traitlets

from sidebyside.graph.model import jsonable

__all__ = ["GraphView", "GraphEngine", "side_by_side", "step_through", "STATIC",
           "MAX_VISIBLE_NODES"]

STATIC = Path(__file__).parent / "static"
#: Above this many visible nodes (after collapsing groups) a graph is refused with a message. The
#: browser lays out in a Web Worker and draws big graphs over several frames, so 10,000 stays usable.
MAX_VISIBLE_NODES = 10000
#: Live appends are sent at most this often (seconds); flush() sends the rest at once.
APPEND_INTERVAL = 0.1

_NODE_DEFAULTS = {
    "label": None,
    "kind": "op",
    "group": None,
    "shape": None,
    "dtype": None,
    "device": None,
    "plumbing": False,
    "subgraphs": [],
    "attrs": {},
}
_EDGE_DEFAULTS = {"shape": None, "dtype": None}


def _empty_doc(name: str = "") -> dict:
    return {
        "schema": "sidebyside.graph/1",
        "name": name,
        "framework": "torch",
        "source": "manual",
        "nodes": [],
        "edges": [],
        "groups": [],
        "subgraphs": {},
        "counters": {"traces": 0, "recompiles": 0, "graph_breaks": 0},
        "meta": {},
    }


def _node_dict(n) -> dict:
    d = n.to_dict() if hasattr(n, "to_dict") else dict(n)
    out = {"id": str(d["id"]), "op": str(d.get("op", d["id"]))}
    for k, v in _NODE_DEFAULTS.items():
        out[k] = d.get(k, v)
    if out["label"] is None:
        out["label"] = out["op"]
    out["attrs"] = jsonable(out["attrs"] or {})
    out["subgraphs"] = list(out["subgraphs"] or [])
    return out


def _edge_dict(e) -> dict:
    d = e.to_dict() if hasattr(e, "to_dict") else dict(e)
    out = {"source": str(d["source"]), "target": str(d["target"])}
    for k, v in _EDGE_DEFAULTS.items():
        out[k] = d.get(k, v)
    return out


def _group_dict(g) -> dict:
    d = g.to_dict() if hasattr(g, "to_dict") else dict(g)
    return {"id": d["id"], "label": d.get("label") or d["id"], "parent": d.get("parent")}


def _as_doc(graph) -> dict:
    """A graph document (dict) from a Graph, a dict or a JSON string."""
    if graph is None:
        return _empty_doc()
    if isinstance(graph, str):
        graph = json.loads(graph)
    if hasattr(graph, "to_dict"):
        graph = graph.to_dict()
    if not isinstance(graph, dict):
        raise TypeError(f"GraphView shows a sidebyside.graph.Graph or a graph document, not {graph!r}")
    doc = _empty_doc(graph.get("name", ""))
    doc.update({k: v for k, v in graph.items() if k in doc})
    doc["nodes"] = [_node_dict(n) for n in graph.get("nodes", [])]
    doc["edges"] = [_edge_dict(e) for e in graph.get("edges", [])]
    doc["groups"] = [_group_dict(g) for g in graph.get("groups", [])]
    doc["counters"] = {**_empty_doc()["counters"], **(graph.get("counters") or {})}
    doc["meta"] = jsonable(doc.get("meta") or {})
    doc["subgraphs"] = {k: _as_doc(v) for k, v in (graph.get("subgraphs") or {}).items()}
    _declare_groups(doc["groups"], doc["nodes"])
    return doc


def _declare_groups(groups: list, nodes: list) -> list:
    """Declare groups that nodes name but the list lacks ("a/b" gets parent "a"); returns new ones."""
    known = {g["id"] for g in groups}
    added = []

    def declare(gid):
        if gid in known:
            return
        parent = gid.rsplit("/", 1)[0] if "/" in gid else None
        if parent:
            declare(parent)
        known.add(gid)
        g = {"id": gid, "label": gid.rsplit("/", 1)[-1], "parent": parent}
        groups.append(g)
        added.append(g)

    for n in nodes:
        if n.get("group"):
            declare(n["group"])
    return added


def simplify_doc(doc: dict) -> dict:
    """The simplified document: plumbing nodes removed, edges bypassing them.

    Uses `sidebyside.graph.Graph.simplified()` (the one definition of "simplified"); a document the
    Graph class rejects falls back to the same rule applied to the dict.
    """
    try:
        from sidebyside.graph.model import Graph, GraphSchemaError

        try:
            return _as_doc(Graph.from_dict(doc).simplified().to_dict())
        except GraphSchemaError:
            pass
    except ImportError:  # pragma: no cover - the graph package is part of sidebyside
        pass
    simp = _Simplifier()
    nodes, edges = simp.feed(doc["nodes"], doc["edges"])
    out = dict(doc, nodes=nodes, edges=edges)
    used = {n["group"] for n in nodes if n["group"]}
    parents = {g["id"]: g.get("parent") for g in doc["groups"]}
    for gid in list(used):
        p = parents.get(gid)
        while p and p not in used:
            used.add(p)
            p = parents.get(p)
    out["groups"] = [g for g in doc["groups"] if g["id"] in used]
    out["meta"] = {**doc.get("meta", {}), "simplified": True}
    return out


class _Simplifier:
    """Incremental plumbing removal, for live appends: each batch is simplified as it arrives."""

    def __init__(self):
        self.plumbing: set[str] = set()
        self.sources: dict[str, list[str]] = {}  # plumbing node -> real producers feeding it
        self.pairs: set[tuple[str, str]] = set()

    def feed(self, nodes, edges):
        keep = []
        for n in nodes:
            if n.get("plumbing"):
                self.plumbing.add(n["id"])
                self.sources.setdefault(n["id"], [])
            else:
                keep.append(n)
        out = []
        for e in edges:
            s, t = e["source"], e["target"]
            real = self.sources.get(s, []) if s in self.plumbing else [s]
            if t in self.plumbing:
                for r in real:
                    if r not in self.sources[t]:
                        self.sources[t].append(r)
                continue
            for r in real:
                if s in self.plumbing:
                    if (r, t) in self.pairs:
                        continue
                    out.append(dict(e, source=r))
                else:
                    out.append(e)
                self.pairs.add((r, t))
        return keep, out


def _group_parents(doc_groups: list) -> dict:
    return {g["id"]: g.get("parent") for g in doc_groups}


def _chain(gid, parents) -> list:
    """Group ids from the outermost ancestor down to gid."""
    out, seen = [], set()
    while gid and gid not in seen:
        seen.add(gid)
        out.append(gid)
        gid = parents.get(gid)
    return out[::-1]


def visible_count(nodes: list, groups: list, collapsed) -> int:
    """How many boxes are drawn: real nodes outside collapsed groups plus the collapsed groups."""
    collapsed = set(collapsed)
    parents = _group_parents(groups)
    reps = set()
    for n in nodes:
        rep = n["id"]
        for gid in _chain(n.get("group"), parents):
            if gid in collapsed:
                rep = "group:" + gid
                break
        reps.add(rep)
    return len(reps)


def default_collapsed(nodes: list, groups: list, collapse_above: int) -> list:
    """Groups collapsed at first sight: nothing if the graph is small, else the deepest level of
    the group tree at which at most `collapse_above` boxes remain (the top level if none does)."""
    if len(nodes) <= collapse_above or not groups:
        return []
    parents = _group_parents(groups)
    depth = {g["id"]: len(_chain(g["id"], parents)) - 1 for g in groups}
    used = set()
    for n in nodes:
        used.update(_chain(n.get("group"), parents))
    best = None
    for d in range(max(depth.values()) + 1):
        level = sorted(g for g in used if depth.get(g) == d)
        if not level:
            break
        if best is None or visible_count(nodes, groups, level) <= collapse_above:
            best = level
        else:
            break
    return best or []


class GraphEngine(anywidget.AnyWidget):
    """The drawing code (~40 KB, its layout worker included), loaded once per kernel and shared by
    all views.

    Each GraphView carries only static/loader.js (< 1 KB), which takes the renderer from this
    widget; so saved widget state holds the engine once, not once per view. Never displayed.
    """

    _esm = STATIC / "graphview.js"


_ENGINE: GraphEngine | None = None


def _engine() -> GraphEngine:
    global _ENGINE
    if _ENGINE is None or getattr(_ENGINE, "comm", None) is None:  # first use, or closed
        _ENGINE = GraphEngine()
    return _ENGINE


class GraphView(anywidget.AnyWidget):
    """A computation graph drawn in the notebook; see the module docstring."""

    _esm = STATIC / "loader.js"
    _css = STATIC / "graphview.css"
    _engine = traitlets.Instance(GraphEngine).tag(sync=True, **ipywidgets.widget_serialization)

    graph = traitlets.Dict().tag(sync=True)  # the document drawn (already simplified if asked)
    title = traitlets.Unicode("").tag(sync=True)
    simplified = traitlets.Bool(True).tag(sync=True)
    collapse_above = traitlets.Int(150).tag(sync=True)
    max_nodes = traitlets.Int(MAX_VISIBLE_NODES).tag(sync=True)
    collapsed = traitlets.List(traitlets.Unicode()).tag(sync=True)
    counters = traitlets.Dict().tag(sync=True)
    highlight = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    selected = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    #: Canvas height in px; 0 sizes it to the graph and the window (the canvas stays resizable).
    height = traitlets.Int(0).tag(sync=True)
    #: Use the whole output width (and more of the window's height).
    full_width = traitlets.Bool(False).tag(sync=True)
    #: For a projector: full width, larger type, and it opens at a larger zoom.
    presenter = traitlets.Bool(False).tag(sync=True)
    _epoch = traitlets.Int(0).tag(sync=True)

    #: Seconds between live-append messages; a timer sends what is left (set to 0 to send each call).
    append_interval = APPEND_INTERVAL

    def __init__(self, graph=None, *, title="", simplified=True, collapse_above=150,
                 max_nodes=MAX_VISIBLE_NODES, height=0, full_width=False, presenter=False,
                 counters=None, **kwargs):
        super().__init__(title=title, simplified=simplified, collapse_above=collapse_above,
                         max_nodes=max_nodes, height=height, full_width=full_width,
                         presenter=presenter, _engine=_engine(), **kwargs)
        self._lock = threading.RLock()
        self._timer = None
        self._callbacks = []
        self._raw = _empty_doc()
        self._graph_obj = None
        self._batches = []  # append batches sent since the last full send (replayed to new views)
        self._pending = {"nodes": [], "edges": [], "groups": []}
        self._seq = 0
        self._last_flush = float("-inf")  # the first append is sent at once
        self._refused = False
        self._shown_nodes = 0
        self._shown_edges = 0
        self._simp = _Simplifier()
        self.messages_sent = 0  # custom messages sent (live appends), for tests and curiosity
        self.steps: list[str] = []  # node ids highlighted by step()/step_through, in order
        self.on_msg(self._on_custom_msg)
        self.observe(self._on_simplified, names="simplified")
        self.observe(self._on_selected, names="selected")
        self.show(graph)
        if counters is not None:  # e.g. a CompileCapture's or TraceHistory's counts
            self.counters = dict(counters)

    # ---- showing -------------------------------------------------------------------------------
    def show(self, graph) -> GraphView:
        """Replace the graph (a Graph, a document dict or JSON). Returns the view."""
        with self._lock:
            self._cancel_timer()
            self._graph_obj = graph if hasattr(graph, "simplified") else None
            self._raw = _as_doc(graph)
            self._send_full(recollapse=True)
        return self

    def _display_doc(self) -> dict:
        if not self.simplified:
            return self._raw
        if self._graph_obj is not None and len(self._graph_obj.nodes) == len(self._raw["nodes"]):
            return _as_doc(self._graph_obj.simplified())
        return simplify_doc(self._raw)

    def _send_full(self, recollapse: bool) -> None:
        doc = self._display_doc()
        self._simp = _Simplifier()
        if self.simplified:  # later appends continue the same simplification
            self._simp.feed(self._raw["nodes"], self._raw["edges"])
        self._batches = []
        self._pending = {"nodes": [], "edges": [], "groups": []}
        self._shown_nodes = len(doc["nodes"])
        self._shown_edges = len(doc["edges"])
        collapsed = default_collapsed(doc["nodes"], doc["groups"], self.collapse_above)
        if not recollapse:
            known = {g["id"] for g in doc["groups"]}
            collapsed = [g for g in self.collapsed if g in known] or collapsed
        visible = visible_count(doc["nodes"], doc["groups"], collapsed)
        self._refused = visible > self.max_nodes
        with self.hold_sync():
            self._epoch += 1
            self.counters = dict(doc.get("counters") or {})
            self.collapsed = collapsed
            self.highlight = None
            if self._refused:
                self.message = self._refusal(visible)
                self.graph = {**{k: v for k, v in doc.items() if k not in ("nodes", "edges")},
                              "nodes": [], "edges": [], "subgraphs": {},
                              "meta": {"refused": True, "node_count": len(doc["nodes"])}}
            else:
                self.message = ""
                self.graph = doc

    def _refusal(self, visible: int) -> str:
        return (f"Too large to draw: {visible} nodes would be visible even with groups collapsed "
                f"(limit {self.max_nodes}). Print graph.summary(), show graph.simplified(), or "
                "capture a smaller model.")

    def _on_simplified(self, change) -> None:
        with self._lock:
            self._cancel_timer()  # pending appends are in the raw document: the full send has them
            self._send_full(recollapse=False)

    # ---- live appends --------------------------------------------------------------------------
    def append(self, nodes=(), edges=(), groups=()) -> None:
        """Add nodes and edges (Node/Edge objects or dicts) to the graph, live.

        Only the new items travel to the browser, batched: at most one message per
        `append_interval` seconds, with a timer (and `flush()`) sending what is left.
        """
        nodes = [_node_dict(n) for n in nodes]
        edges = [_edge_dict(e) for e in edges]
        groups = [_group_dict(g) for g in groups]
        with self._lock:
            known = {g["id"] for g in self._raw["groups"]}
            groups = [g for g in groups if g["id"] not in known]
            self._raw["groups"].extend(groups)
            groups += _declare_groups(self._raw["groups"], nodes)
            self._raw["nodes"].extend(nodes)
            self._raw["edges"].extend(edges)
            if self.simplified:
                nodes, edges = self._simp.feed(nodes, edges)
            p = self._pending
            p["nodes"].extend(nodes)
            p["edges"].extend(edges)
            p["groups"].extend(groups)
            self._shown_nodes += len(nodes)
            self._shown_edges += len(edges)
            if time.monotonic() - self._last_flush >= self.append_interval:
                self._flush_locked()
            elif self._timer is None:
                wait = self.append_interval - (time.monotonic() - self._last_flush)
                self._timer = threading.Timer(max(wait, 0.0), self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Send pending appended nodes and edges now."""
        with self._lock:
            self._flush_locked()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _flush_locked(self) -> None:
        self._cancel_timer()
        p = self._pending
        if not (p["nodes"] or p["edges"] or p["groups"]):
            return
        self._pending = {"nodes": [], "edges": [], "groups": []}
        self._last_flush = time.monotonic()
        if self._refused:
            return
        all_nodes = list(self.graph.get("nodes", []))
        for b in self._batches:
            all_nodes.extend(b["nodes"])
        all_nodes.extend(p["nodes"])
        all_groups = self.graph.get("groups", []) + [g for b in self._batches for g in b["groups"]]
        visible = visible_count(all_nodes, all_groups + p["groups"], self.collapsed)
        if visible > self.max_nodes:
            self._refused = True
            self.message = self._refusal(visible)
            self._batches = []
            self._epoch += 1
            self.graph = {**self.graph, "nodes": [], "edges": [],
                          "meta": {"refused": True, "node_count": visible}}
            return
        self._seq += 1
        batch = {"seq": self._seq, **p}
        self._batches.append(batch)
        self._send_custom({"type": "append", "epoch": self._epoch, "batches": [batch]})

    def _send_custom(self, content: dict) -> None:
        self.messages_sent += 1
        self.send(content)

    def _on_custom_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ready":
            # A new browser view: give it the appended batches its `graph` trait does not hold.
            with self._lock:
                self._flush_locked()
                if self._batches and content.get("epoch") == self._epoch:
                    self._send_custom({"type": "append", "epoch": self._epoch,
                                "view": content.get("view"), "batches": list(self._batches)})

    # ---- selection and stepping ----------------------------------------------------------------
    def on_select(self, callback):
        """Call `callback(node)` (a node dict, or None) whenever a node is clicked. Returns it."""
        self._callbacks.append(callback)
        return callback

    def _on_selected(self, change) -> None:
        node = self.node(change["new"]) if change["new"] else None
        for cb in list(self._callbacks):
            cb(node)

    def node(self, node_id: str) -> dict | None:
        """The node dict with this id (from the full graph, plumbing included), or None."""
        for n in self._raw["nodes"]:
            if n["id"] == node_id:
                return n
        return None

    @property
    def selected_node(self) -> dict | None:
        return self.node(self.selected) if self.selected else None

    def step(self, node_id: str | None) -> None:
        """Highlight the node being executed (None clears)."""
        self.highlight = node_id
        if node_id is not None:
            self.steps.append(node_id)

    # ---- info ----------------------------------------------------------------------------------
    @property
    def document(self) -> dict:
        """The full graph document (raw: plumbing included, live appends included)."""
        return self._raw

    @property
    def node_count(self) -> int:
        """Nodes in the view (after simplification when `simplified`)."""
        return self._shown_nodes

    @property
    def edge_count(self) -> int:
        return self._shown_edges

    def __repr__(self) -> str:
        name = self.title or self._raw.get("name") or "graph"
        extra = " (too large to draw)" if self._refused else ""
        return f"GraphView({name!r}: {self.node_count} nodes, {self.edge_count} edges{extra})"


class SideBySide(ipywidgets.HBox):
    """Two GraphViews next to each other (what side_by_side returns)."""

    def __repr__(self) -> str:
        return "SideBySide(" + " | ".join(repr(c) for c in self.children) + ")"


#: Narrowest readable panel: below it (a 1024 px window with JupyterLab's side bar open gives
#: ~280 px per panel) side_by_side puts the views under each other instead of shrinking them.
SIDE_BY_SIDE_MIN_WIDTH = "320px"


def side_by_side(left_view, right_view, *more) -> SideBySide:
    """An HBox showing graph views next to each other, each taking an equal share of the width;
    they wrap onto separate rows when the output is too narrow for readable panels."""
    views = [left_view, right_view, *more]
    for v in views:
        v.layout.flex = "1 1 0%"
        v.layout.min_width = SIDE_BY_SIDE_MIN_WIDTH
    return SideBySide(views, layout=ipywidgets.Layout(width="100%", grid_gap="8px",
                                                       flex_flow="row wrap"))


def _fx_ids(view: GraphView) -> dict:
    """FX node name -> node id in the view's document (adapters keep the name in attrs or label)."""
    ids = {}
    for n in view.document["nodes"]:
        attrs = n.get("attrs") or {}
        for key in ("fx_name", "fx_node", "name"):
            if isinstance(attrs.get(key), str):
                ids.setdefault(attrs[key], n["id"])
        ids.setdefault(n["id"], n["id"])
        if n.get("label"):
            ids.setdefault(n["label"], n["id"])
    return ids


def step_through(graph_module, *inputs, view: GraphView, delay: float = 0.0):
    """Run an FX GraphModule node by node, highlighting each node in `view` as it executes.

    If the view is empty it first shows `from_fx(graph_module, *inputs)`. Returns the module's
    output; `view.steps` lists the highlighted node ids in execution order.
    """
    import torch.fx

    if not view.document["nodes"]:
        from sidebyside.graph import from_fx

        view.show(from_fx(graph_module, *inputs))
    ids = _fx_ids(view)

    class _Stepper(torch.fx.Interpreter):
        def run_node(self, n):
            node_id = ids.get(n.name)
            if node_id is not None:
                view.step(node_id)
                if delay:
                    time.sleep(delay)
            return super().run_node(n)

    view.steps = []
    return _Stepper(graph_module).run(*inputs)
