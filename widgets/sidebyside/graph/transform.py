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

from sidebyside.graph.parts import Edge, Group, Node
from sidebyside.graph.parts import copy_node as _copy_node

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

    def apply(self, graph):
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
        out = type(graph)(  # a Graph (model.py imports this module, not the reverse)
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


def group_parents(doc_groups: list) -> dict:
    """{group id: parent id} for the group dicts of a graph document."""
    return {g["id"]: g.get("parent") for g in doc_groups}


def group_chain(gid, parents) -> list:
    """Group ids from the outermost ancestor down to gid (parents from group_parents)."""
    out, seen = [], set()
    while gid and gid not in seen:
        seen.add(gid)
        out.append(gid)
        gid = parents.get(gid)
    return out[::-1]


def mark_repeats(graph) -> None:
    """Set group.repeat = {"key", "index", "count"} on families of repeated blocks: sibling groups
    (same parent) with the same type and the same structure (the same ops, in order, and the same
    nested groups) that form a chain, each feeding the next by data flow.

    ResNet-18's layer1 holds two identical BasicBlocks, the first feeding the second (count 2); a
    GPT-2 decoder's 12 blocks get count 12. Look-alike siblings that are not a chain never form a
    family: fc1 and fc2 around a GELU, a U-Net's encoder stages (a pool between them), a ViT's
    pos_drop and head_drop. A view folds a family into one box, so a family is also dropped if
    folding it would make a cycle (a path leaving the family and coming back into it). Groups
    holding no op are never marked. The key is stable across runs (a digest).
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
    # Look-alike siblings: candidates, in declaration order.
    alike: list[list[str]] = []
    for siblings in children.values():
        classes: dict[tuple, list[str]] = {}
        for gid in siblings:
            if has_ops[gid]:
                classes.setdefault((by_id[gid].type, sig[gid]), []).append(gid)
        alike.extend(c for c in classes.values() if len(c) > 1)
    if not alike:
        return
    flow = _Flow(graph, by_id)
    for members in alike:
        seen_keys: Counter = Counter()
        for chain in flow.chains(members):
            first = by_id[chain[0]]
            key = f"{first.type or 'group'}:{sig[first.id]}"
            seen_keys[key] += 1
            if seen_keys[key] > 1:
                key += f"#{seen_keys[key]}"
            for i, gid in enumerate(chain):
                by_id[gid].repeat = {"key": key, "index": i, "count": len(chain)}


class _Flow:
    """Data flow between groups, as a view draws it (plumbing bypassed, parameters and constants
    folded away): which sibling feeds which, and whether folding some groups makes a cycle."""

    def __init__(self, graph, by_id: dict):
        nodes, edges = Simplifier(fold=True).feed(graph.nodes, graph.edges)
        self.succ: dict[str, list[str]] = {n.id: [] for n in nodes}
        for e in edges:
            if e.source in self.succ and e.target in self.succ:
                self.succ[e.source].append(e.target)
        parents = {gid: g.parent for gid, g in by_id.items()}
        chains: dict = {}
        self.chain_of: dict[str, list] = {}  # node id -> its group chain, outermost first
        self.members: dict[str, list[str]] = {}  # group id -> the nodes in it or its descendants
        for n in nodes:
            if n.group not in chains:
                chains[n.group] = group_chain(n.group, parents) if n.group in by_id else []
            self.chain_of[n.id] = chains[n.group]
            for gid in chains[n.group]:
                self.members.setdefault(gid, []).append(n.id)
        # feeds[a] holds b: an edge runs from inside sibling a to inside sibling b. An edge joins two
        # siblings at one level only: just below the deepest group holding both ends.
        self.feeds: dict[str, set[str]] = {}  # a -> the siblings a feeds
        for s, targets in self.succ.items():
            cs = self.chain_of[s]
            for t in targets:
                ct = self.chain_of[t]
                i = 0
                while i < len(cs) and i < len(ct) and cs[i] == ct[i]:
                    i += 1
                if i < len(cs) and i < len(ct):
                    self.feeds.setdefault(cs[i], set()).add(ct[i])
        # A topological rank bounds the cycle search: only a node ranked below the family's last
        # node can lead back into it. Nodes on a cycle (none in a captured graph) get no bound.
        indeg = {nid: 0 for nid in self.succ}
        for targets in self.succ.values():
            for t in targets:
                indeg[t] += 1
        ready = [nid for nid, d in indeg.items() if d == 0]
        self.rank: dict[str, int] = {}
        while ready:
            nid = ready.pop()
            self.rank[nid] = len(self.rank)
            for t in self.succ[nid]:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
        self.unranked = len(self.rank) + 1

    def chains(self, members: list[str]) -> list[list[str]]:
        """Split look-alike siblings into chains: each member feeds the next, and folding a chain
        into one box makes no cycle. Chains of one are left out."""
        order = {gid: i for i, gid in enumerate(members)}
        fed_by = {b for a in members for b in self.feeds.get(a, ()) if b in order and b != a}
        used: set[str] = set()
        out = []
        for start in members:
            if start in used or start in fed_by:
                continue
            chain = [start]
            used.add(start)
            while True:  # follow the data: the first unused look-alike the last member feeds
                nxt = [b for b in self.feeds.get(chain[-1], ()) if b in order and b not in used]
                if not nxt:
                    break
                b = min(nxt, key=order.get)
                if not self.acyclic(chain + [b]):
                    break
                chain.append(b)
                used.add(b)
            if len(chain) > 1:
                out.append(chain)
        return out

    def acyclic(self, groups: list[str]) -> bool:
        """Whether folding these groups into one box leaves the graph without a cycle."""
        inside = {nid for gid in groups for nid in self.members.get(gid, ())}
        last = max((self.rank.get(nid, self.unranked) for nid in inside), default=-1)
        work = [t for nid in inside for t in self.succ[nid] if t not in inside]
        seen = set(work)
        while work:
            nid = work.pop()
            if self.rank.get(nid, -1) >= last:
                continue  # ranked after every member: cannot lead back
            for t in self.succ[nid]:
                if t in inside:
                    return False
                if t not in seen:
                    seen.add(t)
                    work.append(t)
        return True
