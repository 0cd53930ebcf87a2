"""Live recorders: eager ops streamed into a view in batches, hooks always removed."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from sidebyside.graph import Graph, record_tf, record_torch  # noqa: E402


class FakeView:
    """Records what a GraphView would receive."""

    def __init__(self):
        self.shown = []
        self.appends = []  # (nodes, edges, groups)
        self.flushed = 0

    def show(self, graph):
        self.shown.append(graph)

    def append(self, nodes, edges, groups=()):
        self.appends.append((list(nodes), list(edges), list(groups)))

    def flush(self):
        self.flushed += 1


def _ids(view):
    return [n["id"] for nodes, _, _ in view.appends for n in nodes]


# ---- PyTorch -------------------------------------------------------------------------------------
def test_torch_records_ops_with_autograd_nodes_params_and_groups():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    x = torch.randn(5, 3)
    view = FakeView()
    with record_torch(view, interval=3600) as g:
        loss = model(x).pow(2).mean()
        loss.backward()
    assert g.source == "live_torch"
    assert g.ops() == ["linear", "relu", "linear", "pow", "mean", "backward"]
    assert [n.attrs.get("grad_fn") for n in g.nodes if n.kind == "op"] == [
        "AddmmBackward0", "ReluBackward0", "AddmmBackward0", "PowBackward0", "MeanBackward0"]
    assert [n.label for n in g.find(kind="input")] == ["x"]
    assert [n.label for n in g.find(kind="param")] == [
        "model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]
    assert [n.group for n in g.nodes if n.kind == "op"][:3] == ["model/0", "model/1", "model/2"]
    assert {gr.id: gr.label for gr in g.groups}["model/0"] == "0 (Linear)"
    assert g.find(op="backward")[0].kind == "control"
    assert g.summary() == ("11 nodes (1 input, 4 param, 5 op, 1 control), 10 edges"
                           " · raw 11 · shown 7")  # params fold in the default view
    # one empty show() on entry, then exactly one batch at exit (interval not reached)
    assert len(view.shown) == 1 and view.shown[0].node_count == 0
    assert len(view.appends) == 1 and view.flushed == 1
    nodes, edges, groups = view.appends[0]
    assert len(nodes) == 11 and len(edges) == 10 and len(groups) == 4
    Graph.from_dict({**g.to_dict()})  # a valid document


def test_torch_streams_incrementally_never_resending():
    a = torch.ones(3, requires_grad=True)
    view = FakeView()
    with record_torch(view, interval=0) as g:  # interval 0: a batch after every op
        b = a * 2
        c = b + a
        c.sum()
    assert len(view.appends) == 3
    assert [len(nodes) for nodes, _, _ in view.appends] == [2, 1, 1]  # a + mul, add, sum
    ids = _ids(view)
    assert ids == [n.id for n in g.nodes] and len(set(ids)) == len(ids)
    assert sum(len(e) for _, e, _ in view.appends) == g.edge_count == 4
    assert g.meta["batches"] == 3


def test_torch_distinct_tensors_stay_distinct():
    with record_torch() as g:
        for _ in range(3):
            t = torch.ones(2)  # each new tensor may reuse the id() of the freed one
            t = t * 2
    assert g.ops() == ["ones", "mul"] * 3
    muls = g.find(op="mul")
    assert [g.predecessors(m.id) for m in muls] == [["n1"], ["n3"], ["n5"]]


def test_torch_mode_and_hooks_removed_even_when_the_cell_raises():
    from torch.nn.modules import module as nn_module

    lin = torch.nn.Linear(2, 2)  # a module in scope: the recorder installs forward hooks
    hooks = (len(nn_module._global_forward_pre_hooks), len(nn_module._global_forward_hooks))
    with pytest.raises(ValueError):
        with record_torch() as g:
            lin(torch.ones(2)) + 1
            assert len(nn_module._global_forward_hooks) == hooks[1] + 1
            raise ValueError("boom")
    n = g.node_count
    torch.ones(2) * 3  # not recorded: the mode is gone
    assert g.node_count == n == 5 and g.ops() == ["ones", "linear", "add"]
    assert not torch.overrides._get_current_function_mode_stack()  # nothing left behind
    assert (len(nn_module._global_forward_pre_hooks), len(nn_module._global_forward_hooks)) == hooks


def test_torch_max_nodes_stops_with_a_warning():
    with pytest.warns(RuntimeWarning, match="live recording stopped.*max_nodes=4"):
        with record_torch(max_nodes=4) as g:
            x = torch.ones(2)
            for _ in range(5):
                x = x + 1
    assert g.node_count == 4 and "max_nodes=4" in g.meta["truncated"]


def test_torch_recording_into_a_real_graphview():
    widget = pytest.importorskip("sidebyside.widget")
    view = widget.GraphView(title="live", simplified=False)
    w = torch.ones(2, requires_grad=True)
    with record_torch(view) as g:
        (w * 3).sum().backward()
    assert view.node_count == g.node_count == 4


# ---- TensorFlow ----------------------------------------------------------------------------------
@tf.function
def activation(q):
    return tf.nn.relu(q)


def test_tf_records_eager_ops_variables_and_function_calls():
    from tensorflow.python.framework import op_callbacks  # the private hook behind record_tf

    w = tf.Variable(tf.ones([3, 2]), name="w")
    xt = tf.ones([4, 3])
    activation(xt[:, :2])  # trace before recording: tracing is not eager execution
    view = FakeView()
    with record_tf(view, interval=3600) as g:
        assert op_callbacks.should_invoke_op_callbacks()
        y = tf.matmul(xt, w) + 1.0
        activation(y)
    assert not op_callbacks.should_invoke_op_callbacks()
    assert g.source == "live_tf"
    assert g.ops() == ["ReadVariableOp", "MatMul", "AddV2", "__inference_activation_" +
                       g.ops()[-1].rsplit("_", 1)[-1]]
    fn = g.nodes[-1]
    assert fn.label == "activation" and fn.attrs == {"function": True}
    assert [n.label for n in g.find(kind="param")] == ["w"]
    assert "xt" in [n.label for n in g.find(kind="input")]
    assert g.find(op="ReadVariableOp")[0].plumbing
    assert g.find(op="MatMul")[0].shape == [4, 2]
    s = g.simplified()
    assert s.successors(s.find(kind="param")[0].id) == [s.find(op="MatMul")[0].id]
    assert len(view.appends) == 1 and len(view.appends[0][0]) == g.node_count


def test_tf_callback_removed_even_when_the_cell_raises():
    from tensorflow.python.framework import op_callbacks

    with pytest.raises(ValueError):
        with record_tf() as g:
            tf.ones([2]) * 2
            raise ValueError("boom")
    assert not op_callbacks.should_invoke_op_callbacks()
    n = g.node_count
    tf.ones([2]) * 3
    assert g.node_count == n and g.ops() == ["Fill", "Mul"]


def test_tf_streams_incrementally():
    view = FakeView()
    with record_tf(view, interval=0) as g:
        a = tf.constant([1.0, 2.0])
        b = a * 2
        tf.reduce_sum(b)
    ids = _ids(view)
    assert ids == [n.id for n in g.nodes] and len(view.appends) >= 2


def test_tf_keras_layer_variables_named_and_every_op_seen():
    import keras

    layer = keras.layers.Dense(4, activation="relu", name="hidden")
    xk = tf.ones([2, 3])
    layer(xk)  # build the variables first
    with record_tf() as g:
        layer(xk)
    assert "errors" not in g.meta  # e.g. op types that arrive as bytes (BiasAdd) are handled
    assert g.ops(plumbing=False) == ["MatMul", "BiasAdd", "Relu"]
    assert sorted(n.label for n in g.find(kind="param")) == ["layer/hidden/bias",
                                                             "layer/hidden/kernel"]
    s = g.simplified()
    assert s.summary() == "6 nodes (1 input, 2 param, 3 op), 5 edges · raw 8 · shown 6"


# ---- repeated blocks reach live views ------------------------------------------------------------
def _sent_repeats(view) -> dict:
    """group id -> the last repeat mark a view received for it."""
    marks = {}
    for _, _, groups in view.appends:
        for g in groups:
            marks[g["id"]] = g.get("repeat")
    return marks


def test_torch_live_view_receives_the_repeat_marks():
    """Blocks are known to repeat only once the recording ends; the view already has their groups,
    so the recorder sends them again with their marks."""
    blocks = [torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()) for _ in range(3)]
    model = torch.nn.Sequential(*blocks)
    view = FakeView()
    with record_torch(view) as g:
        model(torch.randn(2, 4))
    marked = {gr.id: gr.repeat for gr in g.groups if gr.repeat}
    assert len(marked) == 3 and {r["count"] for r in marked.values()} == {3}
    sent = _sent_repeats(view)
    assert {gid: sent[gid] for gid in marked} == marked


def test_tf_live_graphview_state_carries_the_repeat_marks():
    """Through a real GraphView: the marks travel in an append batch, which is what the saved
    widget state replays on reopen."""
    widget = pytest.importorskip("sidebyside.widget")
    import keras

    inputs = keras.Input((4,))
    x = inputs
    for i in range(3):
        x = keras.layers.Dense(4, name=f"block{i}_fc")(x)
        x = keras.layers.ReLU(name=f"block{i}_act")(x)
    model = keras.Model(inputs, x)
    view = widget.GraphView(title="live", simplified=False)
    with record_tf(view) as g:
        model(tf.ones((2, 4)))
    marked = {gr.id: gr.repeat for gr in g.groups if gr.repeat}
    assert len(marked) == 3, [gr.id for gr in g.groups]
    view._settle()  # what runs after the cell: the batches fold into the saved `graph` trait
    saved = [gr for gr in view.graph["groups"]]
    assert len(saved) == len({gr["id"] for gr in saved}), "a group saved twice"
    assert {gr["id"]: gr.get("repeat") for gr in saved if gr["id"] in marked} == marked
