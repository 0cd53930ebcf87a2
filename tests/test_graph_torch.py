"""PyTorch adapters on small known functions: autograd, torch.fx, torch.compile, torch.export.

Each test asserts exact counts and structure, so a wrong adapter (or a PyTorch version that changed a
private detail the adapter relies on) fails here, not in a lesson.
"""

import pytest
import torch
import torch._dynamo

from sidebyside.graph import (
    Graph,
    GraphTooLargeError,
    UnsupportedInputError,
    compile_capture,
    from_autograd,
    from_export,
    from_fx,
)
from sidebyside.graph.samples import mlp_graph


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.enc(x))


class CondNet(Net):
    def forward(self, x):
        h = self.enc(x)
        return torch.cond(h.sum() > 0, lambda h: self.head(h), lambda h: self.head(h) * 0, (h,))


# ---- autograd ------------------------------------------------------------------------------------
def test_autograd_small_function_exact_structure():
    x = torch.randn(2, 3, requires_grad=True)
    y = torch.randn(2, 3, requires_grad=True)
    z = (x + y) + x * y
    g = from_autograd(z)
    assert g.source == "autograd" and g.framework == "torch"
    assert sorted(g.ops()) == ["AddBackward0", "AddBackward0", "MulBackward0"]
    leaves = g.find(kind="input")
    assert [n.label for n in leaves] == ["x", "y"]  # named from the caller's variables
    assert all(n.op == "AccumulateGrad" and n.shape == [2, 3] for n in leaves)
    assert g.summary() == "5 nodes (2 input, 3 op), 6 edges"
    root = g.node(g.meta["root"])
    assert root.op == "AddBackward0"
    preds = sorted(g.node(p).op for p in g.predecessors(root.id))
    assert preds == ["AddBackward0", "MulBackward0"]
    mul = g.find(op="MulBackward0")[0]
    assert sorted(g.node(p).label for p in g.predecessors(mul.id)) == ["x", "y"]
    assert [n.id for n in g.nodes][-1] == root.id  # forward order: root last


def test_autograd_private_metadata_gives_shapes():
    # grad_fn._input_metadata is private; if PyTorch drops it, this test (only) fails.
    x = torch.randn(4, 3, requires_grad=True)
    g = from_autograd((x @ torch.ones(3, 5)).relu().sum(), names={"x": x})
    assert [n.op for n in g.nodes if n.kind == "op"] == ["MmBackward0", "ReluBackward0",
                                                         "SumBackward0"]
    assert [n.shape for n in g.nodes if n.kind == "op"] == [[4, 5], [4, 5], []]
    assert [n.dtype for n in g.nodes if n.kind == "op"] == ["float32"] * 3
    assert [e.shape for e in g.edges] == [[4, 3], [4, 5], [4, 5]]


def test_autograd_names_params_from_module_with_groups():
    net = Net()
    g = from_autograd(net(torch.ones(1, 3)).sum(), module=net)
    params = g.find(kind="param")
    assert sorted(n.label for n in params) == ["enc.0.bias", "enc.0.weight", "head.bias",
                                               "head.weight"]
    assert {n.label: n.group for n in params}["enc.0.weight"] == "enc/0"
    groups = {gr.id: (gr.label, gr.parent) for gr in g.groups}
    assert groups == {"enc": ("enc (Sequential)", None), "enc/0": ("0 (Linear)", "enc"),
                      "head": ("head (Linear)", None)}
    assert sorted(g.ops()) == ["AddmmBackward0", "AddmmBackward0", "ReluBackward0",
                               "SumBackward0", "TBackward0", "TBackward0"]


def test_autograd_rejects_tensors_without_grad_fn():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(UnsupportedInputError, match="no grad_fn.*leaf tensor"):
        from_autograd(x)
    with torch.no_grad():
        y = x * 2
    with pytest.raises(UnsupportedInputError, match="no grad_fn.*torch.no_grad"):
        from_autograd(y)
    with pytest.raises(UnsupportedInputError, match="needs a torch.Tensor"):
        from_autograd([1, 2])


def test_autograd_max_nodes_guard():
    net = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(5)])
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=10"):
        from_autograd(net(torch.ones(1, 2)).sum(), max_nodes=10)


def test_sample_mlp_graph_sizes():
    torch.manual_seed(1)
    expected = torch.rand(1)
    torch.manual_seed(1)
    mlp_graph(50)
    assert torch.rand(1) == expected  # samples leave torch's global RNG alone
    for n in (50, 300):
        g = mlp_graph(n)
        assert abs(g.node_count - n) <= 5
        assert g.edge_count == g.node_count - 1  # a tree: every node but the root feeds one op
    Graph.from_json(mlp_graph(50).to_json())


# ---- torch.fx ------------------------------------------------------------------------------------
def test_fx_module_with_shapes_and_groups():
    g = from_fx(Net(), torch.ones(5, 3))
    assert [n.id for n in g.nodes] == ["x", "enc_0", "enc_1", "head", "output"]
    assert [n.op for n in g.nodes] == ["placeholder", "Linear", "ReLU", "Linear", "output"]
    assert [n.kind for n in g.nodes] == ["input", "op", "op", "op", "output"]
    assert [n.shape for n in g.nodes] == [[5, 3], [5, 4], [5, 4], [5, 2], [5, 2]]
    assert [n.group for n in g.nodes] == [None, "enc", "enc", None, None]
    assert {gr.id: gr.label for gr in g.groups} == {"enc": "enc (Sequential)"}
    assert [(e.source, e.target) for e in g.edges] == [
        ("x", "enc_0"), ("enc_0", "enc_1"), ("enc_1", "head"), ("head", "output")]
    assert isinstance(g.native, torch.fx.GraphModule)


def test_fx_function_ops_and_labels():
    def f(x, y):
        return torch.relu(x + y) * x

    g = from_fx(f, torch.ones(2), torch.ones(2))
    assert [(n.op, n.label, n.kind) for n in g.nodes] == [
        ("placeholder", "x", "input"), ("placeholder", "y", "input"), ("add", "add", "op"),
        ("torch.relu", "relu", "op"), ("mul", "mul", "op"), ("output", "output", "output")]
    assert g.edge_count == 6


def test_fx_data_dependent_if_raises_trace_error():
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(torch.fx.proxy.TraceError):
        from_fx(f, torch.ones(2))


# ---- torch.compile -------------------------------------------------------------------------------
def breaky(x):
    y = x.sin()
    print("logging breaks the graph")
    if y.sum() > 0:
        return y * 2
    return y - 1


def test_compile_graph_breaks_with_reasons(capsys):
    cc = compile_capture(breaky, backend="eager")
    out = cc(torch.ones(3))
    assert torch.allclose(out, torch.ones(3).sin() * 2)
    assert len(cc.graphs) == 3
    assert [g.ops() for g in cc.graphs] == [["Tensor.sin"], ["Tensor.sum", "gt"], ["mul"]]
    assert len(cc.graph_breaks) == 2
    assert "print" in cc.graphs[0].meta["break_reason"].lower() or \
        "builtin" in cc.graphs[0].meta["break_reason"].lower()
    assert [g.meta["ended_by"] for g in cc.graphs] == ["graph break", "graph break", "return"]
    assert cc.recompiles == 0 and cc.counters == {"traces": 3, "recompiles": 0,
                                                  "graph_breaks": 2}
    assert all(g.source == "compile" and g.meta["compile_id"] for g in cc.graphs)


def test_compile_recompiles_on_new_shape_with_dynamic_sizes():
    def f(x):
        return x.sin() * 2

    cc = compile_capture(f)  # default backend: aot_eager (no C++ compiler needed)
    cc(torch.ones(3))
    cc(torch.ones(3))
    assert (len(cc.graphs), cc.recompiles) == (1, 0)
    cc(torch.ones(5))
    assert (len(cc.graphs), cc.recompiles, cc.calls) == (2, 1, 3)
    static, dynamic = cc.graphs
    assert static.find(label="x")[0].shape == [3] and not static.meta["dynamic"]
    x = dynamic.find(label="x")[0]
    assert isinstance(x.shape[0], str) and dynamic.meta["dynamic"]  # a symbolic size, e.g. "s77"
    assert any(n.plumbing for n in dynamic.nodes)  # the SymInt size input
    assert any("size mismatch" in r for r in cc.recompile_reasons)
    assert "2 graphs" in cc.summary() and "1 recompiles" in cc.summary()


def test_compile_explain():
    cc = compile_capture(breaky, backend="eager")
    ex = cc.explain(torch.ones(3))
    assert (ex.graph_count, ex.graph_break_count) == (3, 2)
    assert len(ex.break_reasons) == 2 and len(ex.graphs) == 3
    assert ex.summary().startswith("3 graphs, 2 graph breaks")


def test_compile_module_params_are_named_and_grouped():
    cc = compile_capture(Net(), backend="eager")
    cc(torch.ones(2, 3))
    (g,) = cc.graphs
    params = sorted(n.label for n in g.find(kind="param"))
    assert params == ["enc.0.bias", "enc.0.weight", "head.bias", "head.weight"]
    ops = [(n.label, n.group) for n in g.nodes if n.kind == "op"]
    assert ops == [("linear", "enc/0"), ("relu", "enc/1"), ("linear", "head")]
    assert {gr.id: gr.label for gr in g.groups}["enc/0"] == "0 (Linear)"


# ---- torch.export --------------------------------------------------------------------------------
def test_export_cond_branches_are_subgraphs():
    g = from_export(CondNet(), (torch.randn(2, 3),))
    assert g.source == "export"
    cond = g.find(kind="control")
    assert [n.label for n in cond] == ["cond"]
    assert cond[0].subgraphs == ["cond/true", "cond/false"]
    true, false = g.subgraphs["cond/true"], g.subgraphs["cond/false"]
    assert true.ops() == ["aten.linear"]
    assert false.ops() == ["aten.linear", "aten.mul"]
    assert sorted(n.label for n in g.find(kind="param")) == [
        "enc.0.bias", "enc.0.weight", "head.bias", "head.weight"]
    assert [n.label for n in g.find(kind="input")] == ["x"]
    groups = {gr.id: (gr.label, gr.parent) for gr in g.groups}
    assert groups["enc/0"] == ("0 (Linear)", "enc") and groups["enc"][0] == "enc (Sequential)"
    assert g.find(op="aten.linear")[0].group == "enc/0"
    s = g.simplified()
    assert not s.find(op="get_attr") and not s.find(op="getitem")
    Graph.from_json(g.to_json())  # subgraphs survive the round trip
    assert type(g.native).__name__ == "ExportedProgram"


def test_export_plain_function():
    g = from_export(lambda x: (x * 2).relu(), (torch.ones(3),))
    assert g.ops() == ["aten.mul", "aten.relu"]
    assert g.summary() == "4 nodes (1 input, 2 op, 1 output), 3 edges"
