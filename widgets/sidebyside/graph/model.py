"""The graph document: a framework-free description of a computation graph.

Every adapter in `sidebyside.graph` returns a `Graph`; the `GraphView` widget renders one. The JSON form
(schema "sidebyside.graph/1") is stable: tests/test_graph_model.py pins it.

    {"schema": "sidebyside.graph/1", "name": ..., "framework": "torch|tensorflow|numpy",
     "source": "autograd|fx|compile|export|tf_function|tf_v1|tape|live_torch|live_tf|manual",
     "nodes": [{"id", "op", "label", "kind", "group", "shape", "dtype", "device", "plumbing",
                "subgraphs", "attrs"[, "params"]}],
     "edges": [{"source", "target", "shape", "dtype"}],
     "groups": [{"id", "label", "parent"[, "type", "repeat"]}],
     "subgraphs": {"<node id>/<branch>": <a nested graph document>},
     "counters": {"traces": int, "recompiles": int, "graph_breaks": int},
     "meta": {}}

Optional keys (absent when empty, so older documents stay valid): node "params" lists the parameters
and constants folded into the op ([{"id", "name", "kind", "shape", "dtype"}], see Graph.folded());
group "type" is the module / Keras layer class name; group "repeat" ({"key", "index", "count"}) marks
a chain of sibling groups of the same type and op structure, each feeding the next (see
transform.mark_repeats); meta "raw_node_count" / "raw_edge_count" are the counts before
simplification or folding; meta "empty_reason" says why a capture holds no node (a torch.compile
that traced nothing). A group id "pool@2" is the second call of module "pool".

Edges point in the direction data flows (producer -> consumer). `shape` is a list whose entries are
ints, None (unknown size) or strings (a symbolic size such as "s0"); the whole shape may be None.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sidebyside.graph.parts import Edge, Group, Node, jsonable
from sidebyside.graph.transform import FOLD_KINDS, Simplifier, mark_repeats

SCHEMA = "sidebyside.graph/1"
KINDS = ("input", "param", "const", "op", "control", "output")
FRAMEWORKS = ("torch", "tensorflow", "numpy")
SOURCES = (
    "autograd",
    "fx",
    "compile",
    "export",
    "tf_function",
    "tf_v1",
    "tape",
    "live_torch",
    "live_tf",
    "manual",  # built by hand (tests, examples)
)
COUNTER_KEYS = ("traces", "recompiles", "graph_breaks")
#: The largest graph an adapter builds before failing with GraphTooLargeError: a guard against runaway
#: captures (a loop recorded forever), not a drawing limit (the widget collapses large graphs). A
#: Keras MobileNetV2 training step recorded live is ~10k nodes; pass max_nodes= to change it per call.
MAX_NODES = 50_000


class GraphSchemaError(ValueError):
    """A graph document does not follow schema "sidebyside.graph/1"."""


class GraphTooLargeError(ValueError):
    """A captured graph has more nodes than the adapter's max_nodes (default MAX_NODES)."""


class UnsupportedInputError(TypeError):
    """An adapter was given something it cannot capture (e.g. a tensor without grad_fn)."""



def _zero_counters() -> dict:
    return {k: 0 for k in COUNTER_KEYS}


@dataclass
class Graph:
    """A computation graph: nodes, edges, groups (modules / name scopes) and nested subgraphs."""

    name: str = ""
    framework: str = "torch"
    source: str = "manual"
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    subgraphs: dict[str, Graph] = field(default_factory=dict)
    counters: dict = field(default_factory=_zero_counters)
    meta: dict = field(default_factory=dict)
    #: The framework object the graph came from (GraphModule, ExportedProgram, ConcreteFunction...).
    #: Never serialised; None after from_dict/from_json.
    native: Any = field(default=None, repr=False, compare=False)

    # ---- queries -------------------------------------------------------------------------------
    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.edges)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node with id {node_id!r} in graph {self.name!r}")

    def find(self, op=None, *, kind=None, label=None, group=None) -> list[Node]:
        """Nodes matching every given criterion (exact string match; `op` may be a tuple of ops)."""
        ops = (op,) if isinstance(op, str) else op
        return [
            n
            for n in self.nodes
            if (ops is None or n.op in ops)
            and (kind is None or n.kind == kind)
            and (label is None or n.label == label)
            and (group is None or n.group == group)
        ]

    def ops(self, *, plumbing: bool = True) -> list[str]:
        """The op names of the nodes of kind "op"/"control", in graph order."""
        return [
            n.op
            for n in self.nodes
            if n.kind in ("op", "control") and (plumbing or not n.plumbing)
        ]

    def predecessors(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def successors(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def summary(self) -> str:
        """A stable one-line description, e.g. "5 nodes (2 input, 3 op), 4 edges".

        When the default view (simplified and folded, what GraphView draws) shows a different number
        of nodes, " · raw N · shown M" follows, the same counts as the view's header.
        """
        counts = Counter(n.kind for n in self.nodes)
        kinds = ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
        text = f"{self.node_count} nodes" + (f" ({kinds})" if kinds else "")
        text += f", {self.edge_count} edges"
        if self.subgraphs:
            text += f", {len(self.subgraphs)} subgraphs"
        raw, shown = self.raw_and_shown()
        if raw != shown:
            text += f" · raw {raw} · shown {shown}"
        return text

    def raw_and_shown(self) -> tuple[int, int]:
        """(nodes captured, nodes the default view shows). For a graph that is itself a view
        (simplified()/folded()), the raw count comes from meta["raw_node_count"]."""
        raw = self.meta.get("raw_node_count")
        if isinstance(raw, int):
            return raw, self.node_count
        if not any(n.plumbing or n.kind in FOLD_KINDS for n in self.nodes):
            return self.node_count, self.node_count
        return self.node_count, Simplifier(fold=True).apply(self).node_count

    def __str__(self) -> str:
        return f"Graph({self.name!r}, {self.framework}/{self.source}: {self.summary()})"

    # ---- transforms ----------------------------------------------------------------------------
    def simplified(self, *, fold: bool = False) -> Graph:
        """A new Graph without plumbing nodes; edges bypass them (also inside subgraphs).

        fold=True also folds parameters and constants into the ops that consume them (see folded()).
        """
        return Simplifier(fold=fold).apply(self)

    def folded(self, *, simplify: bool = True) -> Graph:
        """A new Graph whose parameter and constant leaves are listed in their consumers'
        node.params ({"id", "name", "kind", "shape", "dtype"}) instead of being nodes, the way
        Netron draws weights. Plumbing is removed too unless simplify=False. This is GraphView's
        default view. Parameters and constants that nothing reads are dropped and listed in
        meta["unused"]."""
        return Simplifier(plumbing=simplify, fold=True).apply(self)

    def mark_repeats(self) -> Graph:
        """Set group.repeat on families of identical sibling groups (see mark_repeats); returns self."""
        mark_repeats(self)
        return self

    # ---- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "name": self.name,
            "framework": self.framework,
            "source": self.source,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "groups": [g.to_dict() for g in self.groups],
            "subgraphs": {k: g.to_dict() for k, g in self.subgraphs.items()},
            "counters": {**_zero_counters(), **self.counters},
            "meta": jsonable(self.meta),
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, doc: dict) -> Graph:
        """Build a Graph from a document; raises GraphSchemaError naming the first problem."""
        validate(doc)
        return cls._from_valid(doc)

    @classmethod
    def _from_valid(cls, doc: dict) -> Graph:
        return cls(
            name=doc["name"],
            framework=doc["framework"],
            source=doc["source"],
            nodes=[Node.from_dict(n) for n in doc["nodes"]],
            edges=[Edge.from_dict(e) for e in doc["edges"]],
            groups=[Group.from_dict(g) for g in doc["groups"]],
            subgraphs={k: cls._from_valid(v) for k, v in doc["subgraphs"].items()},
            counters={**_zero_counters(), **doc["counters"]},
            meta=dict(doc["meta"]),
        )

    @classmethod
    def from_json(cls, text: str) -> Graph:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise GraphSchemaError(f"not a JSON graph document: {err}") from err
        return cls.from_dict(doc)

    def validate(self) -> Graph:
        """Check this graph against the schema (raises GraphSchemaError); returns self."""
        validate(self.to_dict())
        return self



# ---- validation ----------------------------------------------------------------------------------
_NODE_KEYS = {
    "id": str,
    "op": str,
    "label": (str, type(None)),
    "kind": str,
    "group": (str, type(None)),
    "shape": (list, type(None)),
    "dtype": (str, type(None)),
    "device": (str, type(None)),
    "plumbing": bool,
    "subgraphs": list,
    "attrs": dict,
    "params": list,
}
_PARAM_KEYS = {
    "name": str,
    "kind": str,
    "shape": (list, type(None)),
    "dtype": (str, type(None)),
}
_GROUP_KEYS = {
    "id": str,
    "label": (str, type(None)),
    "parent": (str, type(None)),
    "type": (str, type(None)),
    "repeat": (dict, type(None)),
}
_EDGE_KEYS = {
    "source": str,
    "target": str,
    "shape": (list, type(None)),
    "dtype": (str, type(None)),
}
_TOP_KEYS = {
    "schema": str,
    "name": str,
    "framework": str,
    "source": str,
    "nodes": list,
    "edges": list,
    "groups": list,
    "subgraphs": dict,
    "counters": dict,
    "meta": dict,
}


def _fail(where: str, problem: str):
    raise GraphSchemaError(f"invalid {SCHEMA} document at {where}: {problem}")


def _check_keys(obj, spec: dict, where: str, required=None) -> None:
    if not isinstance(obj, dict):
        _fail(where, f"expected an object, got {type(obj).__name__}")
    for key, types in spec.items():
        if key not in obj:
            if required is None or key in required:
                _fail(where, f"missing key {key!r}")
            continue
        if not isinstance(obj[key], types):
            want = types.__name__ if isinstance(types, type) else " or ".join(
                "null" if t is type(None) else t.__name__ for t in types
            )
            _fail(f"{where}.{key}", f"expected {want}, got {type(obj[key]).__name__}")


def _check_shape(shape, where: str) -> None:
    if shape is None:
        return
    for i, d in enumerate(shape):
        if not (d is None or isinstance(d, str) or (isinstance(d, int) and not isinstance(d, bool))):
            _fail(f"{where}[{i}]", f"a dimension must be an int, null or a string, got {d!r}")


def validate(doc, where: str = "$") -> None:
    """Raise GraphSchemaError with the location of the first problem in a graph document."""
    _check_keys(doc, _TOP_KEYS, where)
    if doc["schema"] != SCHEMA:
        _fail(f"{where}.schema", f"expected {SCHEMA!r}, got {doc['schema']!r}")
    if doc["framework"] not in FRAMEWORKS:
        _fail(f"{where}.framework", f"{doc['framework']!r} is not one of {', '.join(FRAMEWORKS)}")
    if doc["source"] not in SOURCES:
        _fail(f"{where}.source", f"{doc['source']!r} is not one of {', '.join(SOURCES)}")
    group_ids = set()
    for i, g in enumerate(doc["groups"]):
        w = f"{where}.groups[{i}]"
        _check_keys(g, _GROUP_KEYS, w, required={"id"})
        rep = g.get("repeat")
        if rep is not None and not (isinstance(rep.get("key"), str)
                                    and isinstance(rep.get("index"), int)
                                    and isinstance(rep.get("count"), int)):
            _fail(f"{w}.repeat", "expected {\"key\": str, \"index\": int, \"count\": int}")
        if g["id"] in group_ids:
            _fail(f"{w}.id", f"duplicate group id {g['id']!r}")
        group_ids.add(g["id"])
    parents = {g["id"]: g.get("parent") for g in doc["groups"]}
    for i, g in enumerate(doc["groups"]):
        seen, p = {g["id"]}, g.get("parent")
        while p is not None:
            if p not in parents:
                _fail(f"{where}.groups[{i}].parent", f"unknown group {p!r}")
            if p in seen:
                _fail(f"{where}.groups[{i}].parent", f"groups form a cycle through {p!r}")
            seen.add(p)
            p = parents[p]
    node_ids = set()
    for i, n in enumerate(doc["nodes"]):
        w = f"{where}.nodes[{i}]"
        _check_keys(n, _NODE_KEYS, w, required={"id", "op", "kind"})
        if n["id"] in node_ids:
            _fail(f"{w}.id", f"duplicate node id {n['id']!r}")
        node_ids.add(n["id"])
        if n["kind"] not in KINDS:
            _fail(f"{w}.kind", f"{n['kind']!r} is not one of {', '.join(KINDS)}")
        if n.get("group") is not None and n["group"] not in group_ids:
            _fail(f"{w}.group", f"unknown group {n['group']!r} (declare it in 'groups')")
        _check_shape(n.get("shape"), f"{w}.shape")
        for j, p in enumerate(n.get("params", [])):
            _check_keys(p, _PARAM_KEYS, f"{w}.params[{j}]", required={"name", "kind"})
            _check_shape(p.get("shape"), f"{w}.params[{j}].shape")
        for s in n.get("subgraphs", []):
            if s not in doc["subgraphs"]:
                _fail(f"{w}.subgraphs", f"unknown subgraph {s!r} (declare it in 'subgraphs')")
    for i, e in enumerate(doc["edges"]):
        w = f"{where}.edges[{i}]"
        _check_keys(e, _EDGE_KEYS, w, required={"source", "target"})
        for end in ("source", "target"):
            if e[end] not in node_ids:
                _fail(f"{w}.{end}", f"unknown node {e[end]!r}")
        _check_shape(e.get("shape"), f"{w}.shape")
    for key, value in doc["counters"].items():
        if not isinstance(value, int) or isinstance(value, bool):
            _fail(f"{where}.counters.{key}", f"expected an int, got {value!r}")
    for key, sub in doc["subgraphs"].items():
        validate(sub, f"{where}.subgraphs[{key!r}]")


# ---- building (used by every adapter) ------------------------------------------------------------
@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while a capture allocates thousands of small objects.

    A full collection of a kernel holding torch/TF objects can take 100+ ms and would land inside
    whichever capture triggered it; collection simply resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gc_paused(fn):
    """Decorator: run a capture function under paused_gc()."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper


class GraphBuilder:
    """Accumulates nodes/edges/groups with the MAX_NODES guard and scope-path groups."""

    def __init__(self, graph: Graph, max_nodes: int | None = None, what: str = "graph"):
        self.graph = graph
        self.max_nodes = MAX_NODES if max_nodes is None else max_nodes
        self.what = what
        self._groups: dict[str, Group] = {g.id: g for g in graph.groups}
        self._next = 0

    def new_id(self) -> str:
        self._next += 1
        return f"n{self._next}"

    def add_node(self, node: Node) -> Node:
        self.ensure_room(len(self.graph.nodes) + 1)
        self.graph.nodes.append(node)
        return node

    def ensure_room(self, count: int) -> None:
        """Raise GraphTooLargeError if a graph of `count` nodes would exceed max_nodes."""
        if count > self.max_nodes:
            raise GraphTooLargeError(
                f"{self.what} has more than max_nodes={self.max_nodes} nodes; capture a smaller "
                "function or model (fewer layers or loop iterations), or pass max_nodes=... "
                f"(default sidebyside.graph.MAX_NODES={MAX_NODES})"
            )

    def add_edge(self, source: str, target: str, shape=None, dtype=None) -> Edge:
        e = Edge(source, target, None if shape is None else list(shape), dtype)
        self.graph.edges.append(e)
        return e

    def group(self, path: str | None, label_of=None, type_of=None) -> str | None:
        """Declare the group `path` ("a/b/c") and its ancestors; returns its id (None for "").

        label_of(path) / type_of(path) give a new group's label and type (class name), or None."""
        if not path:
            return None
        if path in self._groups:
            return path
        missing = [path]  # the path and its undeclared ancestors, innermost first (no recursion)
        while "/" in missing[-1] and missing[-1].rsplit("/", 1)[0] not in self._groups:
            missing.append(missing[-1].rsplit("/", 1)[0])
        for p in reversed(missing):
            parent = p.rsplit("/", 1)[0] if "/" in p else None
            label = label_of(p) if label_of else None
            g = Group(p, label or p.rsplit("/", 1)[-1], parent, type_of(p) if type_of else None)
            self._groups[p] = g
            self.graph.groups.append(g)
        return path

    def finish(self) -> Graph:
        """Mark repeated sibling groups; returns the graph."""
        mark_repeats(self.graph)
        return self.graph


