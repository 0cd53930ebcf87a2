"""Transforms of a graph document: simplification (plumbing hidden), folding (parameters and
constants listed in the ops that consume them) and repeated-block marking.

One implementation serves whole graphs (Graph.simplified() / Graph.folded()) and live appends
(GraphView feeds each batch to the same Simplifier). Every algorithm here is iterative: graphs of
thousands of chained Identity ops must not hit Python's recursion limit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from sidebyside.graph.model import Edge, Graph, Group, Node, _copy_node

#: Node kinds that fold into their consumers.
FOLD_KINDS = ("param", "const")


def _param_entry(n: Node) -> dict:
    return {"id": n.id, "name": n.label or n.id, "kind": n.kind,
            "shape": None if n.shape is None else list(n.shape), "dtype": n.dtype}


class Simplifier:
    """Hides plumbing nodes (edges bypass them) and, with fold=True, folds parameter/constant
    leaves into the nodes that consume them (node.params).

    Incremental: feed(nodes, edges) takes one batch and returns the nodes and edges to show for it,
    so a live view simplifies each appended batch with the same rules Graph.simplified() applies to a
    whole graph (which is one feed). Order-independent within what it has seen: an edge into a plumbing
    node that arrives after the plumbing node's consumers still reaches them. Iterative throughout
    (chains of thousands of Identity ops). Input nodes are never modified; shown nodes are copies.

    A parameter folds into consumers that arrive in the same batch (the recorders emit an op with its
    inputs); one still unconsumed at the end of its batch is shown as a node from then on.
    """

    def __init__(self, *, plumbing: bool = True, fold: bool = False):
        self.hide_plumbing = plumbing
        self.fold = fold
        self.sources: dict[str, list[str]] = {}  # hidden plumbing id -> real producers feeding it
        self.consumers: dict[str, list[tuple[str, Edge]]] = {}  # hidden id -> edges leaving it
        self.pairs: set[tuple[str, str]] = set()
        self.folded: dict[str, dict] = {}  # folded param id -> its params entry
        self._folded_nodes: dict[str, Node] = {}
        self.node_count = 0  # nodes fed (raw)
        self.edge_count = 0

    def feed(self, nodes, edges) -> tuple[list[Node], list[Edge]]:
        shown: dict[str, Node] = {}  # this batch's shown nodes (params may still be attached)
        held: dict[str, Node] = {}  # foldable leaves of this batch, not shown (yet)
        order: list[str] = []
        for n in nodes:
            self.node_count += 1
            if self.hide_plumbing and n.plumbing:
                self.sources.setdefault(n.id, [])
                self.consumers.setdefault(n.id, [])
            elif self.fold and n.kind in FOLD_KINDS:
                held[n.id] = n
                order.append(n.id)
            else:
                shown[n.id] = _copy_node(n)
                order.append(n.id)
        out_edges: list[Edge] = []
        used: set[str] = set()  # held leaves folded into at least one consumer

        def emit(real: str, target: str, e: Edge, direct: bool) -> None:
            if real in held or real in self.folded:
                consumer = shown.get(target)
                if consumer is not None:  # fold: the consumer is in this batch
                    entry = self.folded.get(real) or _param_entry(held[real])
                    if all(p["id"] != real for p in consumer.params):
                        consumer.params.append(dict(entry))
                    if real in held:
                        used.add(real)
                    return
                # Its consumer was shown in an earlier batch (or is unknown): show the leaf itself.
                if real in held:
                    shown[real] = _copy_node(held.pop(real))
                elif real not in shown:
                    shown[real] = _copy_node(self._folded_nodes[real])
                    order.append(real)
            if direct:
                out_edges.append(Edge(real, target, e.shape, e.dtype))
            elif (real, target) in self.pairs:
                return
            else:
                out_edges.append(Edge(real, target, e.shape, e.dtype))
            self.pairs.add((real, target))

        def add_source(hidden: str, real: str) -> None:
            # real now feeds `hidden`: pass it on to everything downstream (worklist, no recursion).
            work = [(hidden, real)]
            while work:
                h, r = work.pop()
                if r in self.sources[h]:
                    continue
                self.sources[h].append(r)
                for t, e in self.consumers[h]:
                    if t in self.sources:
                        work.append((t, r))
                    else:
                        emit(r, t, e, direct=False)

        for e in edges:
            self.edge_count += 1
            s, t = e.source, e.target
            if t in held:  # a "leaf" with an input is not folded
                shown[t] = _copy_node(held.pop(t))
            if s in self.sources:
                self.consumers[s].append((t, e))
                reals = list(self.sources[s])
            else:
                reals = [s]
            for r in reals:
                if t in self.sources:
                    add_source(t, r)
                else:
                    emit(r, t, e, direct=s not in self.sources)
        for nid, n in held.items():
            if nid in used:
                self.folded[nid] = _param_entry(n)
                self._folded_nodes[nid] = n
            else:
                shown[nid] = _copy_node(n)
        return [shown[i] for i in order if i in shown], out_edges

    def apply(self, graph: Graph) -> Graph:
        """The whole graph through this simplifier (one batch); subgraphs get their own."""
        nodes, edges = self.feed(graph.nodes, graph.edges)
        unused = []
        if self.fold:  # a parameter or buffer nothing reads (num_batches_tracked in eval mode)
            linked = {e.source for e in edges} | {e.target for e in edges}
            unused = [_param_entry(n) for n in nodes if n.kind in FOLD_KINDS and n.id not in linked]
            if unused:
                gone = {p["id"] for p in unused}
                nodes = [n for n in nodes if n.id not in gone]
        sub_keys = {s for n in nodes for s in n.subgraphs}
        subgraphs = {
            k: Simplifier(plumbing=self.hide_plumbing, fold=self.fold).apply(g)
            for k, g in graph.subgraphs.items()
            if k in sub_keys
        }
        meta = dict(graph.meta)
        meta.setdefault("raw_node_count", len(graph.nodes))
        meta.setdefault("raw_edge_count", len(graph.edges))
        if self.hide_plumbing:
            meta["simplified"] = True
        if self.fold:
            meta["folded"] = True
        if unused:
            meta["unused"] = unused
        out = Graph(
            name=graph.name,
            framework=graph.framework,
            source=graph.source,
            nodes=nodes,
            edges=edges,
            groups=used_groups(graph.groups, nodes),
            subgraphs=subgraphs,
            counters=dict(graph.counters),
            meta=meta,
            native=graph.native,
        )
        return out


def used_groups(groups: list[Group], nodes: list[Node]) -> list[Group]:
    """Copies of the groups that hold a node, directly or through a descendant (in list order)."""
    parent = {g.id: g.parent for g in groups}
    used: set[str] = set()
    for n in nodes:
        gid = n.group
        while gid and gid not in used:
            used.add(gid)
            gid = parent.get(gid)
    return [g.copy() for g in groups if g.id in used]


def mark_repeats(graph: Graph) -> None:
    """Set group.repeat = {"key", "index", "count"} on sibling groups (same parent) that have the
    same type and the same structure (the same ops, in order, and the same nested groups), when they
    follow one another (a run: block 0, block 1, ...).

    ResNet-18's layer1 holds two identical BasicBlocks (count 2); a GPT-2 decoder's 12 blocks get
    count 12. Groups holding no op are never marked. The key is stable across runs (a digest).
    """
    by_id = {g.id: g for g in graph.groups}
    children: dict[str | None, list[str]] = {}
    for g in graph.groups:
        g.repeat = None
        children.setdefault(g.parent if g.parent in by_id else None, []).append(g.id)
    own: dict[str, list[str]] = {}
    for n in graph.nodes:
        if n.group in by_id and n.kind in ("op", "control", "output"):
            own.setdefault(n.group, []).append(n.op)
    # Deepest first, so children's signatures exist when a parent's is computed (iterative).
    depth: dict[str, int] = {}
    for g in graph.groups:
        d, p, seen = 0, g.parent, {g.id}
        while p in by_id and p not in seen:
            seen.add(p)
            d, p = d + 1, by_id[p].parent
        depth[g.id] = d
    sig: dict[str, str] = {}
    has_ops: dict[str, bool] = {}
    for gid in sorted(depth, key=depth.get, reverse=True):
        kids = children.get(gid, [])
        text = json.dumps([by_id[gid].type, own.get(gid, []), [sig[k] for k in kids]])
        sig[gid] = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
        has_ops[gid] = bool(own.get(gid)) or any(has_ops[k] for k in kids)
    for siblings in children.values():
        # A family is a run of consecutive siblings with the same type and signature.
        runs: list[list[str]] = []
        for gid in siblings:
            same = runs and (by_id[runs[-1][-1]].type, sig[runs[-1][-1]]) == (by_id[gid].type, sig[gid])
            if has_ops[gid] and same:
                runs[-1].append(gid)
            else:
                runs.append([gid] if has_ops[gid] else [])
        seen_keys: Counter = Counter()
        for members in runs:
            if len(members) < 2:
                continue
            first = by_id[members[0]]
            key = f"{first.type or 'group'}:{sig[first.id]}"
            seen_keys[key] += 1
            if seen_keys[key] > 1:
                key += f"#{seen_keys[key]}"
            for i, gid in enumerate(members):
                by_id[gid].repeat = {"key": key, "index": i, "count": len(members)}
