"""Compute units: the steps of a graph that another capture of the same computation also has.

Frameworks cut one step into different pieces: PyTorch's `addmm` is TensorFlow's `MatMul` + `BiasAdd`,
Keras's unfused BatchNormalization is seven elementwise ops where torch.export has one `batch_norm`,
and every capture has its own plumbing (`ReadVariableOp`, `Identity`, `t`, `Shape`/`StridedSlice`).
graph.align compares units, not raw nodes:

- plumbing, shape arithmetic and state updates are no unit (they move or describe data);
- ops fed only by parameters and constants (a weight transpose `t`, BatchNorm's `rsqrt(var + eps)`)
  are weight preparation, absorbed into the unit that uses them;
- every op inside a normalisation or dropout layer (its group's type is BatchNorm / LayerNorm /
  Dropout) is one unit;
- a bias add right after a matmul or convolution joins it (`MatMul` + `BiasAdd` = "linear").

    compute_units(graph) -> Units  (.units {anchor id: Unit}, .unit_of {node id: anchor id},
                                    .absorbed {node id: why it is no unit of its own})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sidebyside.graph.opclasses import NOT_COMPUTE, class_of_name, op_class

#: Classes that are computation even when only parameters feed them: an autograd graph has no node
#: for an input that needs no gradient, so its first convolution looks fed by its weights alone.
_HEAVY = frozenset({"conv", "linear", "matmul", "batchnorm", "layernorm", "maxpool", "avgpool",
                    "embedding"})
#: Layers whose ops form one step however a capture spells them (an unfused BatchNorm is 7 ops,
#: autograd records a Dropout as the multiplication by its mask).
_WHOLE_LAYERS = frozenset({"batchnorm", "layernorm", "dropout"})
_KERAS_SUFFIX = re.compile(r"_\d+$")


@dataclass
class Unit:
    id: str  # the anchor node: the op that names the step (the MatMul of MatMul + BiasAdd)
    cls: str
    members: list[str]
    ops: list[str]  # the members' op names
    shape: tuple | None  # output shape without the batch, channels first
    group: str | None
    layer: str | None  # the layer / module name ("fc1"), from the innermost group's label
    layer_type: str | None  # the class of that group's type ("Dense" -> "linear")
    phase: str = "forward"  # "backward" for gradient ops (a tape capture)
    order: int = 0  # position of the anchor in a topological order of the graph
    preds: set = field(default_factory=set)
    succs: set = field(default_factory=set)
    depth: int = 0  # longest chain of units from an input
    in_shape: tuple | None = None


@dataclass
class Units:
    graph: object
    nodes: dict  # node id -> Node
    units: dict
    unit_of: dict
    absorbed: dict
    max_depth: int = 1


def norm_shape(shape, framework: str) -> tuple | None:
    """Drop the batch dimension and put channels first: Keras (N, H, W, C) and PyTorch (N, C, H, W)
    both become (C, H, W), so the same feature map compares equal."""
    if shape is None or len(shape) == 0:
        return None if shape is None else ()
    dims = [d if isinstance(d, int) else None for d in shape]
    if len(dims) == 4 and framework == "tensorflow":
        return (dims[3], dims[1], dims[2])
    return tuple(dims[1:]) if len(dims) >= 2 else tuple(dims)


def _topological(graph, preds) -> list:
    indeg = {n.id: len(preds[n.id]) for n in graph.nodes}
    succs: dict[str, list] = {n.id: [] for n in graph.nodes}
    for n in graph.nodes:
        for p in preds[n.id]:
            succs[p].append(n.id)
    ready = [n.id for n in graph.nodes if indeg[n.id] == 0]
    ready.reverse()  # a stack: the document's first source comes out first
    order = []
    while ready:
        nid = ready.pop()
        order.append(nid)
        for s in succs[nid]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    seen = set(order)  # a cycle (should not happen) keeps the document's order for the rest
    return order + [n.id for n in graph.nodes if n.id not in seen]


def compute_units(graph) -> Units:
    nodes = {n.id: n for n in graph.nodes}
    preds: dict[str, list] = {nid: [] for nid in nodes}
    for e in graph.edges:
        if e.source in nodes and e.target in nodes:
            preds[e.target].append(e.source)
    order = _topological(graph, preds)
    rank = {nid: i for i, nid in enumerate(order)}
    groups = {g.id: g for g in graph.groups}
    cls = {nid: op_class(n) for nid, n in nodes.items()}

    absorbed: dict[str, str] = {}
    param_only: set[str] = set()
    about_shape: set[str] = set()  # Shape(x) and what computes on it (Keras's Tensordot gathers)
    for nid in order:
        n = nodes[nid]
        ins = preds[nid]
        if n.kind in ("param", "const"):
            param_only.add(nid)
        elif ins and all(p in param_only for p in ins) and cls[nid] not in _HEAVY:
            param_only.add(nid)
            if n.kind in ("op", "control"):
                absorbed[nid] = "weight preparation (fed only by parameters and constants)"
        elif cls[nid] == "shape" or (ins and cls[nid] not in _HEAVY
                                     and all(p in param_only or p in about_shape for p in ins)):
            about_shape.add(nid)
            if n.kind in ("op", "control"):
                absorbed[nid] = "shape arithmetic"
        if n.kind in ("op", "control") and nid not in absorbed and cls[nid] in NOT_COMPUTE:
            absorbed[nid] = {"plumbing": "plumbing", "shape": "shape arithmetic",
                             "state": "a state update (a variable assignment)"}[cls[nid]]

    def group_type(gid):
        g = groups.get(gid)
        return class_of_name(g.type) if g is not None else None

    def layer_name(gid):
        g = groups.get(gid)
        if g is None:
            return None
        name = (g.label or g.id).split(" (")[0]
        return _KERAS_SUFFIX.sub("", name.rsplit("/", 1)[-1].split("@")[0])

    units: dict[str, Unit] = {}
    unit_of: dict[str, str] = {}
    whole_unit: dict[str, str] = {}  # group id of a whole layer (BatchNorm, Dropout) -> its one unit
    fan_out: dict[str, int] = {}
    for nid in nodes:
        for p in preds[nid]:
            fan_out[p] = fan_out.get(p, 0) + 1
    for nid in order:
        n = nodes[nid]
        if n.kind not in ("op", "control") or nid in absorbed:
            continue
        c = cls[nid]
        phase = "backward" if (n.attrs.get("phase") == "gradient"
                               or (n.group or "").startswith("gradient_tape")) else "forward"
        gtype = group_type(n.group)
        if gtype in _WHOLE_LAYERS and phase == "forward":
            if n.group in whole_unit:  # one more piece of an unfused BatchNorm
                _join(units[whole_unit[n.group]], n, nid, unit_of, gtype, c, graph)
                continue
            c = gtype
        data_preds = [p for p in preds[nid] if p not in param_only]
        if c in ("bias", "add") and len(data_preds) == 1 and len(preds[nid]) == 2:
            host = _host(data_preds[0], unit_of, units, preds)
            if host is not None and host.cls in ("conv", "matmul", "linear") and \
                    fan_out.get(data_preds[0], 0) == 1 and host.phase == phase:
                _join(host, n, nid, unit_of, "linear" if host.cls == "matmul" else host.cls,
                      c, graph)
                continue
        units[nid] = Unit(nid, c, [nid], [n.op], norm_shape(n.shape, graph.framework), n.group,
                          layer_name(n.group), gtype, phase, rank[nid])
        unit_of[nid] = nid
        if gtype in _WHOLE_LAYERS and phase == "forward":
            whole_unit[n.group] = nid

    # data flow between units, through whatever is no unit (plumbing, shape arithmetic)
    producers: dict[str, set] = {}
    for nid in order:
        found: set = set()
        for p in preds[nid]:
            found |= {unit_of[p]} if p in unit_of else producers.get(p, set())
        producers[nid] = found
    for u in units.values():
        for m in u.members:
            u.preds |= producers[m]
        u.preds.discard(u.id)
    for u in units.values():
        for p in u.preds:
            units[p].succs.add(u.id)
    max_depth = 1
    for u in sorted(units.values(), key=lambda u: u.order):
        u.depth = 1 + max((units[p].depth for p in u.preds), default=-1)
        max_depth = max(max_depth, u.depth)
        shapes = [units[p].shape for p in sorted(u.preds, key=lambda p: units[p].order)]
        u.in_shape = shapes[0] if shapes else None
    return Units(graph, nodes, units, unit_of, absorbed, max_depth)


def _host(nid, unit_of, units, preds):
    """The unit that produced `nid`, looking through plumbing (Identity between MatMul and add)."""
    seen = 0
    while nid not in unit_of and seen < 8:
        data = preds.get(nid, [])
        if len(data) != 1:
            return None
        nid, seen = data[0], seen + 1
    return units.get(unit_of.get(nid))


def _join(unit, node, nid, unit_of, new_cls, piece_cls, graph):
    """Add node to unit (a bias to its matmul, a piece of an unfused BatchNorm)."""
    unit.members.append(nid)
    unit.ops.append(node.op)
    unit.cls = new_cls
    if node.shape is not None and piece_cls not in ("reduce",) and len(node.shape) >= 2:
        unit.shape = norm_shape(node.shape, graph.framework)  # the unit's output: its last piece
    unit_of[nid] = unit.id
