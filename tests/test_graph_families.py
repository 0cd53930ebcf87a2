"""Repeated-block families and module calls on models shaped like the ones users bring (issue 20).

A view folds each family (group.repeat) into one box ("ViTBlock ×3") and draws each group as a
box when collapsed, so both must keep the drawing a DAG: a family is a chain of identical blocks
each feeding the next, and a module called twice is two groups. The models are the tiny
hand-written ones in graph_models.py; each is captured once per adapter (module fixtures).
"""

from __future__ import annotations

import pytest
import torch

from graph_models import T5Tied, TinyResNet, UNet, ViT
from sidebyside.graph import Graph, Group, Node, compile_capture, from_autograd, from_export
from sidebyside.graph.transform import group_chain

ADAPTERS = ("autograd", "export", "compile")


def capture(model, args, adapter: str) -> Graph:
    torch.manual_seed(0)
    if adapter == "autograd":
        return from_autograd(model, *args)
    if adapter == "export":
        return from_export(model, args)
    cap = compile_capture(model)
    cap(*args)
    return cap.graph


CASES = {  # Dropout is live (train mode) so every module runs ops.
    "unet": (UNet, lambda: (torch.randn(1, 3, 8, 8),), ADAPTERS, True),
    "vit": (ViT, lambda: (torch.randn(2, 5, 12),), ("autograd", "export"), True),
    "t5": (T5Tied, lambda: (torch.tensor([[1, 2, 3]]),), ("autograd", "export"), True),
    "resnet": (TinyResNet, lambda: (torch.randn(1, 3, 6, 6),), ("autograd",), False),
}


class Captures(dict):
    """(model name, adapter) -> Graph, captured on first use (one model's failure stays its own)."""

    def __missing__(self, key):
        name, adapter = key
        torch.manual_seed(0)
        model_cls, make_args, _, train = CASES[name]
        self[key] = capture(model_cls().train(train), make_args(), adapter)
        return self[key]

    def of(self, name: str) -> dict:
        return {a: self[name, a] for a in CASES[name][2]}


@pytest.fixture(scope="module")
def graphs() -> Captures:
    return Captures()


def families(g: Graph) -> dict:
    """(parent, key) -> member group ids, in index order."""
    out: dict = {}
    for gr in g.groups:
        if gr.repeat:
            out.setdefault((gr.parent, gr.repeat["key"]), []).append((gr.repeat["index"], gr.id))
    return {k: [gid for _, gid in sorted(v)] for k, v in out.items()}


def family_members(g: Graph) -> list[list[str]]:
    return sorted(families(g).values())


def contract(g: Graph, box_of_group) -> dict:
    """The view's boxes: every node of the folded view drawn as box_of_group(its group chain) or
    itself; returns {box: set of boxes it feeds}."""
    view = g.folded()
    parents = {gr.id: gr.parent for gr in view.groups}
    box = {}
    for n in view.nodes:
        box[n.id] = box_of_group(group_chain(n.group, parents)) or n.id
    succ: dict = {b: set() for b in box.values()}
    for e in view.edges:
        s, t = box[e.source], box[e.target]
        if s != t:
            succ[s].add(t)
    return succ


def is_acyclic(succ: dict) -> bool:
    indeg = {b: 0 for b in succ}
    for targets in succ.values():
        for t in targets:
            indeg[t] += 1
    ready = [b for b, d in indeg.items() if d == 0]
    done = 0
    while ready:
        b = ready.pop()
        done += 1
        for t in succ[b]:
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    return done == len(succ)


def test_a_group_without_ops_beside_a_sibling_does_not_crash_repeat_marking():
    # Minimal form of the IndexError T5 raised in from_autograd / record_torch / from_export.
    g = Graph(nodes=[Node("n1", "add", "add", "op", "m/b")],
              groups=[Group("m", "m", None), Group("m/a", "a", "m"), Group("m/b", "b", "m")])
    assert [gr.repeat for gr in g.mark_repeats().groups] == [None, None, None]


@pytest.mark.parametrize("name", ["unet", "vit", "t5", "resnet"])
def test_folding_every_family_leaves_the_graph_acyclic(graphs, name):
    for adapter, g in graphs.of(name).items():
        fams = family_members(g)
        # All families folded at once (each node drawn as its outermost family) ...
        family_of = {gid: "family:" + members[0] for members in fams for gid in members}
        together = contract(g, lambda chain, f=family_of: next(
            (f[gid] for gid in chain if gid in f), None))
        assert is_acyclic(together), (adapter, fams)
        # ... and each family alone (its members' parent expanded, everything else open).
        for members in fams:
            alone = contract(g, lambda chain, m=set(members): next(
                ("family" for gid in chain if gid in m), None))
            assert is_acyclic(alone), (adapter, members)


def test_unet_stages_are_no_family(graphs):
    """d1..d3 and u1..u2 look alike but a pool or a concat sits between them: folding them made
    "Sequential ×5" and a cycle."""
    for adapter in ADAPTERS:
        assert family_members(graphs["unet", adapter]) == [], adapter


def test_vit_folds_its_blocks_and_nothing_else(graphs):
    """fc1 and fc2 (a GELU between), pos_drop and head_drop (the whole stack between) are look-alike
    siblings, not chains; the three blocks are."""
    for adapter in ("autograd", "export"):
        assert family_members(graphs["vit", adapter]) == [["blocks/0", "blocks/1", "blocks/2"]], \
            adapter


def test_resnet_layer_blocks_fold(graphs):
    assert family_members(graphs["resnet", "autograd"]) == [["layer1/0", "layer1/1"]]


def test_t5_with_a_tied_embedding_and_a_shared_dropout_folds_its_layers(graphs):
    for adapter in ("autograd", "export"):
        g = graphs["t5", adapter]
        assert family_members(g) == [["encoder/block/0", "encoder/block/1"]], adapter
        # The shared dropout runs inside each layer under the name the layer reached it by, and
        # twice in the stack itself: four calls, four groups.
        drops = sorted(gr.id for gr in g.groups if gr.type == "Dropout")
        assert drops == ["encoder/block/0/dropout", "encoder/block/1/dropout",
                         "encoder/dropout", "encoder/dropout@2"], adapter


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_module_called_twice_is_one_group_per_call(graphs, adapter):
    g = graphs["unet", adapter]
    pools = {gr.id: gr for gr in g.groups if gr.type == "MaxPool2d"}
    assert sorted(pools) == ["pool", "pool@2"]
    assert pools["pool"].label == "pool (MaxPool2d)"
    assert pools["pool@2"].label == "pool (MaxPool2d, call 2)"
    assert [len(g.find(group=gid, kind="op")) for gid in ("pool", "pool@2")] != [0, 0]
    for gid in ("pool", "pool@2"):
        assert len([n for n in g.nodes if n.group == gid and n.kind == "op"]) == 1
    # Every top-level group collapsed (the first sight of a big model) reads in data-flow order.
    top = contract(g, lambda chain: chain[0] if chain else None)
    assert is_acyclic(top)
    # No edge from the second call's box back into the first's.
    assert "pool" not in top.get("pool@2", set())
