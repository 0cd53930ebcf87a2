"""The parts of a graph document: nodes, edges and groups (see model.py for the whole document).

They live apart from Graph so that the transforms (transform.py) can build on them while Graph's
methods call the transforms: model.py imports transform.py, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    id: str
    op: str
    label: str | None = None
    kind: str = "op"
    group: str | None = None
    shape: list | None = None
    dtype: str | None = None
    device: str | None = None
    plumbing: bool = False
    subgraphs: list[str] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    #: Parameters / constants folded into this op: [{"id", "name", "kind", "shape", "dtype"}].
    params: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if self.label is None:
            self.label = self.op

    @classmethod
    def from_dict(cls, d: dict) -> Node:
        """A Node from a node dict; missing optional keys take their defaults."""
        return cls(
            id=str(d["id"]),
            op=str(d.get("op", d["id"])),
            label=d.get("label"),
            kind=d.get("kind", "op"),
            group=d.get("group"),
            shape=None if d.get("shape") is None else list(d["shape"]),
            dtype=d.get("dtype"),
            device=d.get("device"),
            plumbing=bool(d.get("plumbing", False)),
            subgraphs=list(d.get("subgraphs") or []),
            attrs=jsonable(dict(d.get("attrs") or {})),
            params=[dict(p) for p in d.get("params") or []],
        )

    def to_dict(self) -> dict:
        out = self._base_dict()
        if self.params:
            out["params"] = [dict(p) for p in self.params]
        return out

    def _base_dict(self) -> dict:
        return {
            "id": self.id,
            "op": self.op,
            "label": self.label,
            "kind": self.kind,
            "group": self.group,
            "shape": None if self.shape is None else list(self.shape),
            "dtype": self.dtype,
            "device": self.device,
            "plumbing": bool(self.plumbing),
            "subgraphs": list(self.subgraphs),
            "attrs": dict(self.attrs),
        }


@dataclass
class Edge:
    source: str
    target: str
    shape: list | None = None
    dtype: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Edge:
        shape = d.get("shape")
        return cls(str(d["source"]), str(d["target"]), None if shape is None else list(shape),
                   d.get("dtype"))

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "shape": None if self.shape is None else list(self.shape),
            "dtype": self.dtype,
        }


@dataclass
class Group:
    id: str
    label: str | None = None
    parent: str | None = None
    #: The module / Keras layer class name ("BasicBlock", "Conv2D"), when known.
    type: str | None = None
    #: {"key", "index", "count"} for a family of identical sibling groups (see mark_repeats).
    repeat: dict | None = None

    def __post_init__(self):
        if self.label is None:
            self.label = self.id

    @classmethod
    def from_dict(cls, d: dict) -> Group:
        repeat = d.get("repeat")
        return cls(str(d["id"]), d.get("label") or str(d["id"]), d.get("parent"), d.get("type"),
                   None if repeat is None else dict(repeat))

    def copy(self) -> Group:
        return Group(self.id, self.label, self.parent, self.type,
                     None if self.repeat is None else dict(self.repeat))

    def to_dict(self) -> dict:
        out = {"id": self.id, "label": self.label, "parent": self.parent}
        if self.type is not None:
            out["type"] = self.type
        if self.repeat is not None:
            out["repeat"] = dict(self.repeat)
        return out



def copy_node(n: Node) -> Node:
    return Node(
        n.id,
        n.op,
        n.label,
        n.kind,
        n.group,
        None if n.shape is None else list(n.shape),
        n.dtype,
        n.device,
        n.plumbing,
        list(n.subgraphs),
        dict(n.attrs),
        [dict(p) for p in n.params],
    )


def jsonable(value):
    """Meta/attrs may hold framework objects; keep JSON types, turn the rest into strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)

