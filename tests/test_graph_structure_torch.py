"""Module grouping, parameter folding and repeated blocks on a real PyTorch architecture (ResNet-18
from benchmarks/real_models.py), in every PyTorch adapter; plus torch.compile's multi-graph document
and live counters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch._dynamo

from sidebyside.graph import compile_capture, from_autograd, from_export, from_fx, record_torch
from sidebyside.graph.samples import mlp_graph
from sidebyside.widget import GraphView

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from real_models import resnet18_torch  # noqa: E402

BLOCKS = [f"layer{s}/{b}" for s in range(1, 5) for b in range(2)]


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    return resnet18_torch()


def in_block(group: str | None, block: str) -> bool:
    return group == block or (group or "").startswith(block + "/")


def block_ops(g, block: str, kinds=("op",)) -> list:
    return [n for n in g.nodes if n.kind in kinds and in_block(n.group, block)]


# ---- autograd ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def autograd_graph(resnet):
    model, x = resnet
    return from_autograd(model, x)


def test_autograd_puts_every_op_in_the_module_that_ran_it(autograd_graph):
    g = autograd_graph
    ops = g.find(kind="op")
    assert len(ops) == 70
    # Only the flatten in ResNet18.forward itself runs outside a submodule.
    assert [n.op for n in ops if n.group is None] == ["ViewBackward0"]
    for block in BLOCKS:
        mine = block_ops(g, block)
        # conv, bn, relu, conv, bn, add, relu (+ conv, bn of the downsample in layer2-4 block 0)
        expected = 9 if block in ("layer2/0", "layer3/0", "layer4/0") else 7
        assert len(mine) == expected, (block, [(n.op, n.group) for n in mine])
        # The skip connection's add runs in BasicBlock.forward: the block's own group.
        assert [n.op for n in mine if n.group == block] == ["AddBackward0"]
    convs = [n for n in ops if n.op == "ConvolutionBackward0"]
    assert all(n.group.endswith(("conv1", "conv2", "downsample/0")) for n in convs)
    types = {gr.id: gr.type for gr in g.groups}
    assert types["layer1/0"] == "BasicBlock" and types["layer1"] == "Sequential"
    assert types["layer1/0/conv1"] == "Conv2d" and types["layer2/0/downsample"] == "Sequential"


def test_autograd_from_a_tensor_groups_ops_that_consume_parameters(resnet):
    model, x = resnet
    y = model(x)
    g = from_autograd(y, module=model)
    conv = [n for n in g.find(op="ConvolutionBackward0") if n.group == "layer1/0/conv1"]
    assert len(conv) == 1  # found through conv1.weight
    assert g.find(op="AddBackward0")[0].group is None  # no hooks ran: the add cannot be placed


def test_autograd_folds_parameters_with_their_shapes(autograd_graph):
    g = autograd_graph
    f = g.folded()
    assert f.find(kind="param") == [] and f.node_count == 70
    conv1 = [n for n in f.nodes if n.group == "layer1/0/conv1"][0]
    assert [(p["name"], p["kind"], p["shape"]) for p in conv1.params] == [
        ("layer1.0.conv1.weight", "param", [64, 64, 3, 3])]
    bn = [n for n in f.nodes if n.group == "layer4/1/bn2"][0]
    assert sorted((p["name"], p["shape"]) for p in bn.params) == [
        ("layer4.1.bn2.bias", [512]), ("layer4.1.bn2.weight", [512])]
    assert sum(len(n.params) for n in f.nodes) == 62  # every parameter folded exactly once
    assert f.meta["raw_node_count"] == 132
    # Folding off: the parameters stay nodes.
    assert len(g.simplified().find(kind="param")) == 62
    assert g.summary().endswith("· raw 132 · shown 70")


def test_repeated_blocks_are_marked(autograd_graph):
    reps = {gr.id: gr.repeat for gr in autograd_graph.groups if gr.repeat}
    # layer1's two blocks are identical; in layers 2-4 block 0 has a downsample, so no pair.
    assert reps["layer1/0"]["count"] == 2 and reps["layer1/1"]["index"] == 1
    assert reps["layer1/0"]["key"] == reps["layer1/1"]["key"]
    assert reps["layer1/0"]["key"].startswith("BasicBlock:")
    assert "layer2/0" not in reps and "layer2/1" not in reps
    # layer2, layer3 and layer4 have the same structure (widths differ, ops do not).
    assert [reps[f"layer{i}"]["count"] for i in (2, 3, 4)] == [3, 3, 3]
    assert "layer1" not in reps  # no downsample: a different structure
    # conv1 and conv2 of a block are siblings of one type but not consecutive: not a family.
    assert "layer1/0/conv1" not in reps


# ---- fx / export / compile -----------------------------------------------------------------------
def test_fx_groups_every_call_by_module_and_lists_module_params(resnet):
    model, x = resnet
    g = from_fx(model, x)
    for block in BLOCKS:
        labels = [n.label for n in block_ops(g, block)]
        assert len(labels) == (9 if block in ("layer2/0", "layer3/0", "layer4/0") else 7), labels
        assert "add" in labels
    conv = g.node("layer3_0_conv1")
    assert conv.group == "layer3/0"
    assert [(p["name"], p["shape"]) for p in conv.params] == [("layer3.0.conv1.weight",
                                                               [256, 128, 3, 3])]
    bn = g.node("layer3_0_bn1")
    assert {p["name"]: p["kind"] for p in bn.params}["layer3.0.bn1.running_mean"] == "const"
    reps = {gr.id: gr.repeat["count"] for gr in g.groups if gr.repeat}
    assert reps["layer1/0"] == reps["layer1/1"] == 2


@pytest.fixture(scope="module")
def export_graph(resnet):
    model, x = resnet
    return from_export(model.eval(), (x,))


def test_export_groups_every_aten_op_and_folds_params(export_graph):
    g = export_graph
    ops = g.find(kind="op")
    assert [n.label for n in ops if n.group is None] == ["flatten"]
    for block in BLOCKS:
        labels = [n.label for n in block_ops(g, block)]
        assert labels.count("conv2d") == (3 if block in ("layer2/0", "layer3/0", "layer4/0")
                                          else 2), labels
        assert "add" in labels or "add_" in labels
    f = g.folded()
    assert f.find(kind="param") == [] and f.find(kind="const") == []
    # In eval mode nothing reads the batch norms' num_batches_tracked: listed, not drawn.
    assert len(f.meta["unused"]) == 20
    assert all(p["name"].endswith("num_batches_tracked") for p in f.meta["unused"])
    conv = [n for n in f.nodes if n.group == "layer2/0/downsample/0"][0]
    assert [(p["name"], p["shape"]) for p in conv.params] == [("layer2.0.downsample.0.weight",
                                                               [128, 64, 1, 1])]


def test_compile_groups_every_op_by_module(resnet):
    torch._dynamo.reset()
    model, x = resnet
    cc = compile_capture(model.eval(), backend="eager")
    cc(x)
    g = cc.graphs[0]
    assert [n.label for n in g.find(kind="op") if n.group is None] == ["flatten"]
    for block in BLOCKS:
        assert "add" in [n.label for n in block_ops(g, block)]
    f = g.folded()
    assert f.find(kind="param") == []
    assert any(p["name"] == "fc.weight" and p["shape"] == [10, 512]
               for n in f.nodes for p in n.params)


def _breaking(x):
    y = x.sin()
    print("graph break here")
    if y.sum() > 0:
        return y.cos()
    return y.tan()


def test_compile_with_breaks_gives_all_graphs_in_one_document(capsys):
    torch._dynamo.reset()
    cc = compile_capture(_breaking, backend="eager")
    cc(torch.ones(3))
    assert len(cc.graphs) == 3
    g = cc.as_graph()
    tops = [gr for gr in g.groups if gr.parent is None]
    assert [(gr.label.split(" (")[0], gr.type) for gr in tops] == [
        ("graph 1 of 3", "CompiledGraph"), ("graph 2 of 3", "CompiledGraph"),
        ("graph 3 of 3", "CompiledGraph")]
    assert g.node_count == sum(p.node_count for p in cc.graphs)
    assert all(n.group and n.group.split("/")[0] in {t.id for t in tops} for n in g.nodes)
    g.validate()
    breaks = g.meta["breaks"]
    assert [b["graph"] for b in breaks] == [1, 2]
    assert "`print`" in breaks[0]["reason"]  # the explanation naming the culprit is kept
    assert breaks[0]["where"].endswith('print("graph break here")')
    assert "test_graph_structure_torch.py:" in breaks[0]["where"]
    assert "if y.sum() > 0:" in breaks[1]["where"]
    assert "print" in cc.graph_breaks[0]  # the short form names it too


def test_compile_view_counters_are_live():
    torch._dynamo.reset()

    def f(x):
        return x.sin() * 2

    cc = compile_capture(f, backend="eager")
    cc(torch.ones(3))
    snapshot_view = GraphView(cc.graphs[-1], counters=cc.counters)
    live_view = GraphView(cc)
    assert snapshot_view.counters == {"traces": 1, "recompiles": 0, "graph_breaks": 0}
    cc(torch.ones(3, 4))  # a new rank: guards fail, dynamo recompiles
    cc(torch.ones(5, 4, 2))
    assert cc.recompiles >= 1
    for view in (snapshot_view, live_view):
        assert view.counters == cc._counts() and view.counters["traces"] == len(cc.graphs) >= 2
    # The whole-capture view redrew with every graph.
    assert live_view.graph["meta"]["graph_count"] == len(cc.graphs)
    assert len([gr for gr in live_view.graph["groups"] if gr.get("type") == "CompiledGraph"]) \
        == len(cc.graphs)


# ---- live ----------------------------------------------------------------------------------------
def test_record_torch_groups_every_op_of_each_block(resnet):
    model, x = resnet
    with record_torch(module=model) as g:
        model(x)
    types = {gr.id: gr.type for gr in g.groups}
    for block in BLOCKS:
        mine = block_ops(g, block)
        assert "add" in [n.op for n in mine if n.group == block], block
        assert types[block] == "BasicBlock"
    reps = {gr.id: gr.repeat["count"] for gr in g.groups if gr.repeat}
    assert reps["layer1/0"] == 2


# ---- size ----------------------------------------------------------------------------------------
def test_ten_thousand_node_graph_is_captured_with_the_default_limit():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    g = from_autograd(y)  # default max_nodes (MAX_NODES)
    assert g.node_count == 10_001
    assert GraphView(g).node_count == 10_001  # captured whole; the view decides what to draw


def test_folding_a_sample_mlp_keeps_ops_only():
    g = mlp_graph(200)
    f = g.folded()
    assert f.find(kind="param") == []
    assert f.node_count == len([n for n in g.nodes if n.kind in ("op", "input")])
    assert sum(len(n.params) for n in f.nodes) == len(g.find(kind="param"))
