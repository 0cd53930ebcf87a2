"""GraphView: a live computation-graph widget (an anywidget with a bundled, offline ES module).

    from sidebyside.widget import GraphView, side_by_side, step_through
    view = GraphView(graph, title="z = (x+y) + x*y")     # a sidebyside.graph.Graph, a dict or JSON
    view                                               # draws it: click a node, toggle "simplified"
    view.selected, view.clicks                         # the last node clicked in the browser, all clicks
    view.append(nodes, edges)                          # live growth, batched (<= 1 message / 100 ms)
    view.fold = False                                  # parameters as nodes, not listed in ops
    side_by_side(torch_view, tf_view)                  # two views next to each other

    GraphView(graph, presenter=True)                   # full width, large type: for a projector

The front end lives in widgets/js/src (built with esbuild into sidebyside/static/graphview.js: no
CDN). Layout runs in a Web Worker started from that bundle, one group at a time, so the page never
waits for it; the canvas opens at a readable zoom on the start of the graph. That engine is loaded
once per kernel (GraphEngine) and each view carries only a tiny loader module, so saved notebooks
hold the engine once. Python does the data work: the view holds one Graph and draws it through one
`sidebyside.graph.transform.Simplifier` (plumbing hidden when `simplified`, parameters and constants
folded into their consumers' node.params when `fold`, the same code as Graph.simplified()/folded());
live appends are fed through that same Simplifier and travel as small custom messages carrying only
the new nodes and edges (plus the raw counts). Which groups start collapsed and whether a graph is
too large to draw are also decided here, so the browser never receives more than it can draw.
GraphView(compile_capture) shows all the capture's graphs and keeps them and its counters up to date;
so does counters=capture.counters. Each displayed view also carries a static picture
(sidebyside.picture) for untrusted notebooks and HTML exports.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from pathlib import Path

import anywidget
import ipywidgets
import traitlets

from sidebyside.graph.model import Edge, Graph, Group, Node, _zero_counters, jsonable, paused_gc
from sidebyside.graph.transform import Simplifier
from sidebyside.graph.transform import group_chain as _chain
from sidebyside.graph.transform import group_parents as _group_parents

__all__ = ["GraphView", "GraphEngine", "side_by_side", "step_through", "STATIC",
           "MAX_VISIBLE_NODES", "default_collapsed", "visible_count", "view_doc"]

STATIC = Path(__file__).parent / "static"
#: Above this many visible nodes (after collapsing groups) a graph is refused with a message. The
#: browser lays out in a Web Worker and draws big graphs over several frames, so 10,000 stays usable.
MAX_VISIBLE_NODES = 10000
#: Live appends are sent at most this often (seconds); flush() sends the rest at once.
APPEND_INTERVAL = 0.1

def _as_graph(graph) -> Graph:
    """The view's own Graph (the one representation) from a Graph, a document dict or JSON.

    A Graph is copied shallowly (appends never touch the caller's lists; nodes are never modified).
    Documents are read leniently: missing optional keys take their defaults, and groups that nodes
    name but the document does not declare are declared ("a/b" gets parent "a").
    """
    if graph is None:
        return Graph()
    if isinstance(graph, Graph):
        out = Graph(name=graph.name, framework=graph.framework, source=graph.source,
                    nodes=list(graph.nodes), edges=list(graph.edges),
                    groups=[g.copy() for g in graph.groups], subgraphs=dict(graph.subgraphs),
                    counters=dict(graph.counters), meta=dict(graph.meta), native=graph.native)
    else:
        if isinstance(graph, str):
            graph = json.loads(graph)
        if hasattr(graph, "to_dict"):
            graph = graph.to_dict()
        if not isinstance(graph, dict):
            raise TypeError(
                f"GraphView shows a sidebyside.graph.Graph or a graph document, not {graph!r}")
        out = Graph(
            name=graph.get("name", ""),
            framework=graph.get("framework", "torch"),
            source=graph.get("source", "manual"),
            nodes=[Node.from_dict(n) for n in graph.get("nodes", [])],
            edges=[Edge.from_dict(e) for e in graph.get("edges", [])],
            groups=[Group.from_dict(g) for g in graph.get("groups", [])],
            subgraphs={k: _as_graph(v) for k, v in (graph.get("subgraphs") or {}).items()},
            counters={**_zero_counters(), **(graph.get("counters") or {})},
            meta=jsonable(graph.get("meta") or {}),
        )
    _declare_groups(out.groups, out.nodes)
    return out


def _declare_groups(groups: list[Group], nodes) -> list[Group]:
    """Declare groups that nodes name but the list lacks ("a/b" gets parent "a"); returns new ones."""
    known = {g.id for g in groups}
    added = []
    for n in nodes:
        missing, gid = [], n.group
        while gid and gid not in known:  # the group and its undeclared ancestors, innermost first
            missing.append(gid)
            known.add(gid)
            gid = gid.rsplit("/", 1)[0] if "/" in gid else None
        for gid in reversed(missing):
            g = Group(gid, gid.rsplit("/", 1)[-1], gid.rsplit("/", 1)[0] if "/" in gid else None)
            groups.append(g)
            added.append(g)
    return added


def view_doc(graph, *, simplified: bool = True, fold: bool = True) -> dict:
    """The document a GraphView sends for `graph` (a Graph, a document dict or JSON): the same
    Simplifier, for scripts and benchmarks that draw without a kernel."""
    return Simplifier(plumbing=simplified, fold=fold).apply(_as_graph(graph)).to_dict()


def simplify_doc(doc) -> dict:
    """Plumbing hidden, nothing folded: view_doc(doc, fold=False) (kept for existing scripts)."""
    return view_doc(doc, fold=False)


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
    the group tree at which at most `collapse_above` boxes remain (the top level if none does; a
    single box wrapping everything is always opened one level)."""
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
        # One box (a model wrapping everything) says nothing: open it even past collapse_above.
        lone = best is not None and len(best) == 1
        if best is None or lone or visible_count(nodes, groups, level) <= collapse_above:
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


class _ShownWithPicture:
    """Displayed as the widget plus a static picture of it (sidebyside.picture).

    JupyterLab draws the widget; an untrusted notebook, an HTML export or a notebook viewer shows the
    PNG instead, whose caption says how to get the live view. The picture is redrawn at the end of
    any cell that changed what the view shows (live recording, stepping, `show`), by updating the
    same output (a display id), so saved outputs match the saved widget state.
    """

    def _ipython_display_(self, **kwargs):
        from IPython.display import display

        bundle, metadata = self._repr_mimebundle_(**kwargs) or {}, {}
        if isinstance(bundle, tuple):  # anywidget answers (data, metadata), ipywidgets data alone
            bundle, metadata = bundle
        bundle = dict(bundle)
        self._picture_key = self._picture_state()
        png = self._picture_png()
        if png:
            bundle["image/png"] = png
        handle = display(bundle, raw=True, metadata=metadata, display_id=True)
        if handle is not None:  # None outside IPython
            if not hasattr(self, "_picture_handles"):
                self._picture_handles = []
            self._picture_handles.append((handle, bundle, metadata))
            _watch_pictures(self)

    def _picture_png(self) -> bytes | None:
        from sidebyside.picture import render_row_png

        try:
            return render_row_png(self._picture_views())
        except Exception as err:  # a picture is a courtesy: never let it break a display
            import warnings

            warnings.warn(f"no static picture for {self!r}: {err}", stacklevel=2)
            return None

    def _refresh_picture(self) -> None:
        self._settle()
        key = self._picture_state()
        if key == getattr(self, "_picture_key", None):
            return
        self._picture_key = key
        png = self._picture_png()
        for handle, bundle, metadata in getattr(self, "_picture_handles", []):
            if png:
                bundle["image/png"] = png
            # text/plain stays as first shown: nbval compares it, and sees only the first display
            handle.update(bundle, metadata=metadata, raw=True)


_PICTURED: dict = {}  # id -> weakref of displayed views, settled and redrawn after each cell


def _watch_pictures(obj) -> None:
    import weakref

    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    if not _PICTURED:
        callbacks = shell.events.callbacks.get("post_run_cell", [])
        if _refresh_pictures not in callbacks:
            shell.events.register("post_run_cell", _refresh_pictures)
    _PICTURED[id(obj)] = weakref.ref(obj)


def _refresh_pictures(*_args) -> None:
    for key, ref in list(_PICTURED.items()):
        obj = ref()
        if obj is None or getattr(obj, "comm", None) is None:  # collected or closed
            _PICTURED.pop(key, None)
            continue
        obj._refresh_picture()


class GraphView(_ShownWithPicture, anywidget.AnyWidget):
    """A computation graph drawn in the notebook; see the module docstring."""

    _esm = STATIC / "loader.js"
    _css = STATIC / "graphview.css"
    _engine = traitlets.Instance(GraphEngine).tag(sync=True, **ipywidgets.widget_serialization)

    graph = traitlets.Dict().tag(sync=True)  # the document drawn (already simplified if asked)
    title = traitlets.Unicode("").tag(sync=True)
    simplified = traitlets.Bool(True).tag(sync=True)
    #: Fold parameters and constants into the ops that consume them (node.params), Netron-style.
    fold = traitlets.Bool(True).tag(sync=True)
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
    #: For a projector: full width, larger type, it opens at a larger zoom, the widget fits the
    #: notebook's visible height, and "fit" never zooms below that readable size (the overview map
    #: shows what is off screen).
    presenter = traitlets.Bool(False).tag(sync=True)
    _epoch = traitlets.Int(0).tag(sync=True)

    #: Seconds between live-append messages; a timer sends what is left (set to 0 to send each call).
    append_interval = APPEND_INTERVAL

    def __init__(self, graph=None, *, title="", simplified=True, collapse_above=150,
                 max_nodes=MAX_VISIBLE_NODES, height=0, full_width=False, presenter=False,
                 counters=None, fold=True, **kwargs):
        super().__init__(title=title, simplified=simplified, collapse_above=collapse_above,
                         max_nodes=max_nodes, height=height, full_width=full_width,
                         presenter=presenter, fold=fold, _engine=_engine(), **kwargs)
        self._lock = threading.RLock()
        self._timer = None
        self._callbacks = []
        self._raw = Graph()
        self._live_counters = None
        self._batches = []  # append batches sent since the last full send (replayed to new views)
        self._pending = {"nodes": [], "edges": [], "groups": []}
        self._seq = 0
        self._last_flush = float("-inf")  # the first append is sent at once
        self._refused = False
        self._shown_nodes = 0
        self._shown_edges = 0
        self._simp = Simplifier()
        self.messages_sent = 0  # custom messages sent (live appends), for tests and curiosity
        self.steps: list[str] = []  # node ids highlighted by step()/step_through, in order
        self.clicks: list[str] = []  # node ids clicked in the browser, in order (kept on the view)
        self.on_msg(self._on_custom_msg)
        self.observe(self._on_simplified, names=["simplified", "fold"])
        self.observe(self._on_selected, names="selected")
        if _is_live_source(graph) and hasattr(graph, "as_graph"):  # e.g. a CompileCapture: all its graphs, redrawn as it grows
            _subscribe(graph, self, "_on_source_change")
            graph = graph.as_graph()
        self.show(graph)
        if counters is not None:  # e.g. a CompileCapture's or TraceHistory's counts
            self.counters = dict(counters)
            if _is_live_source(counters):  # CompileCapture/TraceHistory.counters: live
                self._live_counters = counters
                _subscribe(counters, self, "_on_counters_change")

    # ---- showing -------------------------------------------------------------------------------
    def show(self, graph) -> GraphView:
        """Replace the graph (a Graph, a document dict or JSON). Returns the view."""
        with self._lock:
            self._cancel_timer()
            self._raw = _as_graph(graph)
            self._send_full(recollapse=True)
        return self

    def _on_source_change(self, source) -> None:
        """A live source (CompileCapture) captured another graph or counted a recompile."""
        with self._lock:
            if len(source.graphs) != self._raw.meta.get("graph_count"):
                self.show(source.as_graph())
            self.counters = dict(source.counters)

    def _on_counters_change(self, source) -> None:
        self.counters = dict(source.counters)

    def _send_full(self, recollapse: bool) -> None:
        # One simplification for the whole graph; later appends continue it (same Simplifier).
        self._simp = Simplifier(plumbing=self.simplified, fold=self.fold)
        with paused_gc():  # thousands of small dicts: a full collection here would cost seconds
            doc = self._simp.apply(self._raw).to_dict()
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
            live = self._live_counters
            self.counters = dict(live.counters if live is not None else doc.get("counters") or {})
            self.collapsed = collapsed
            self.highlight = None
            if self._refused:
                self.message = self._refusal(visible)
                self.graph = {**{k: v for k, v in doc.items() if k not in ("nodes", "edges")},
                              "nodes": [], "edges": [], "subgraphs": {},
                              "meta": {"refused": True, "node_count": len(doc["nodes"])}}
            else:
                # An empty capture that knows why (a torch.compile that traced nothing) says so.
                empty = "" if doc["nodes"] else (doc.get("meta") or {}).get("empty_reason", "")
                self.message = empty if isinstance(empty, str) else ""
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
        nodes = [n if isinstance(n, Node) else Node.from_dict(n) for n in nodes]
        edges = [e if isinstance(e, Edge) else Edge.from_dict(e) for e in edges]
        groups = [g.copy() if isinstance(g, Group) else Group.from_dict(g) for g in groups]
        with self._lock:
            known = {g.id: g for g in self._raw.groups}
            # A known group travels again only when its repeat mark changed (a live recorder marks
            # repeated blocks when it ends); other fields of a known group never change.
            updated = [g for g in groups if g.id in known and g.repeat != known[g.id].repeat]
            for g in updated:
                known[g.id].repeat = None if g.repeat is None else dict(g.repeat)
            groups = [g for g in groups if g.id not in known]
            self._raw.groups.extend(groups)
            groups += _declare_groups(self._raw.groups, nodes)
            groups += updated
            self._raw.nodes.extend(nodes)
            self._raw.edges.extend(edges)
            shown, shown_edges = self._simp.feed(nodes, edges)
            nodes = [n.to_dict() for n in shown]
            edges = [e.to_dict() for e in shown_edges]
            groups = [g.to_dict() for g in groups]
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
        # Counts before simplification/folding, for the header's "raw N · shown M".
        batch = {"seq": self._seq, **p, "raw_node_count": len(self._raw.nodes),
                 "raw_edge_count": len(self._raw.edges)}
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
        """Call `callback(node)` (a node dict, or None) on every later click. Returns it.

        Earlier clicks are not replayed: read `selected` / `selected_node` (the last click) or
        `clicks` (all of them) at any time instead."""
        self._callbacks.append(callback)
        return callback

    def _on_selected(self, change) -> None:
        if change["new"]:
            self.clicks.append(change["new"])
        node = self.node(change["new"]) if change["new"] else None
        for cb in list(self._callbacks):
            cb(node)

    def node(self, node_id: str) -> dict | None:
        """The node dict with this id (from the full graph, plumbing included), or None."""
        for n in self._raw.nodes:
            if n.id == node_id:
                return n.to_dict()
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
        """The full graph document (raw: plumbing included, live appends included), as a dict."""
        return self._raw.to_dict()

    @property
    def source_graph(self) -> Graph:
        """The full graph (raw) as the view holds it: a Graph, live appends included."""
        return self._raw

    @property
    def node_count(self) -> int:
        """Nodes in the view (after simplification when `simplified`)."""
        return self._shown_nodes

    @property
    def edge_count(self) -> int:
        return self._shown_edges

    def __repr__(self) -> str:
        name = self.title or self._raw.name or "graph"
        extra = " (too large to draw)" if self._refused else ""
        raw = self._raw.meta.get("raw_node_count")  # shown a graph that was already simplified
        raw = raw if isinstance(raw, int) else len(self._raw.nodes)
        counts = f" · raw {raw} · shown {self.node_count}" if raw != self.node_count else ""
        return (f"GraphView({name!r}: {self.node_count} nodes, {self.edge_count} edges{counts}"
                f"{extra})")

    # ---- saved state and static picture (see _ShownWithPicture) --------------------------------
    def _settle(self) -> None:
        """Fold the live batches into the `graph` trait (after each cell that appended).

        Appends travel as custom messages, which saved widget state does not keep: without this,
        a live view reopened from a saved notebook would be empty."""
        with self._lock:
            self._flush_locked()
            if not self._batches or self._refused:
                return
            merged = dict(self.graph)
            for key in ("nodes", "edges", "groups"):
                merged[key] = list(self.graph.get(key, [])) + [
                    item for batch in self._batches for item in batch.get(key, [])]
            # A group sent again (its repeat mark) replaces the first copy, in the first's place.
            latest = {g["id"]: g for g in merged["groups"]}
            merged["groups"] = [latest.pop(g["id"]) for g in merged["groups"] if g["id"] in latest]
            last = self._batches[-1]
            if "raw_node_count" in last:  # the header's "raw N": counted before simplification
                merged["meta"] = {**(merged.get("meta") or {}),
                                  "raw_node_count": last["raw_node_count"],
                                  "raw_edge_count": last.get("raw_edge_count")}
            self._batches = []
            with self.hold_sync():
                self._epoch += 1  # appends still in flight belong to the old epoch: dropped
                self.graph = merged

    def _picture_state(self) -> tuple:
        return (self._epoch, self._shown_nodes, self._shown_edges, tuple(self.collapsed),
                self.simplified, self.title, self._refused)

    def _picture_views(self) -> list:
        """What the browser shows: the `graph` trait plus the live batches appended since."""
        title = self.title or self.graph.get("name") or "graph"
        if self._refused:
            return [({"nodes": [], "edges": []}, (), title, self.message)]
        with self._lock:
            self._flush_locked()
            shown = {key: list(self.graph.get(key, [])) for key in ("nodes", "edges", "groups")}
            for batch in self._batches:
                for key in shown:
                    shown[key] += batch.get(key, [])
        return [(shown, list(self.collapsed), title, "" if shown["nodes"] else self.message)]


def _is_live_source(obj) -> bool:
    """A capture that tells its views when it changes: subscribe(callback) and counters."""
    return callable(getattr(obj, "subscribe", None)) and hasattr(obj, "counters")


def _subscribe(source, view: GraphView, method: str) -> None:
    """source.subscribe(callback) with a callback that does not keep the view alive."""
    ref = weakref.ref(view)

    def callback(src) -> bool:
        v = ref()
        if v is None:
            return False  # the view is gone: unsubscribe
        getattr(v, method)(src)
        return True

    source.subscribe(callback)


class SideBySide(_ShownWithPicture, ipywidgets.HBox):
    """Two GraphViews next to each other (what side_by_side returns)."""

    def _settle(self) -> None:
        for c in self.children:
            if isinstance(c, GraphView):
                c._settle()

    def _picture_state(self) -> tuple:
        return tuple(c._picture_state() for c in self.children if isinstance(c, GraphView))

    def _picture_views(self) -> list:
        return [v for c in self.children if isinstance(c, GraphView) for v in c._picture_views()]

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
    for n in view.source_graph.nodes:
        attrs = n.attrs or {}
        for key in ("fx_name", "fx_node", "name"):
            if isinstance(attrs.get(key), str):
                ids.setdefault(attrs[key], n.id)
        ids.setdefault(n.id, n.id)
        if n.label:
            ids.setdefault(n.label, n.id)
    return ids


def step_through(graph_module, *inputs, view: GraphView, delay: float = 0.0):
    """Run an FX GraphModule node by node, highlighting each node in `view` as it executes.

    If the view is empty it first shows `from_fx(graph_module, *inputs)`. Returns the module's
    output; `view.steps` lists the highlighted node ids in execution order.
    """
    import torch.fx

    if not view.source_graph.nodes:
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
