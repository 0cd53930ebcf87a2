"""graph.align on real captures: lab 04's twin CNN and MLP (PyTorch autograd vs Keras tf.function),
the same CNN with BatchNorm, a deliberately changed Keras twin, two unrelated models (the aligner
must be able to fail), a ResNet-18 captured eagerly and by torch.export, and a Keras model as
tf.function vs GradientTape. Every capture is made once per module (fixtures below)."""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from sidebyside.graph import (  # noqa: E402
    Graph,
    align,
    compile_capture,
    from_autograd,
    from_export,
    from_tape,
    from_tf_function,
)
from twin_models import SmallCNN, keras_cnn, keras_mlp  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


IMAGES = tf.TensorSpec([None, 8, 8, 1])


@pytest.fixture(scope="module")
def captures():
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    x = torch.randn(2, 1, 8, 8)
    mlp_t = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    return {
        "cnn_t": from_autograd(SmallCNN(), x),
        "cnn_k": from_tf_function(keras_cnn(), IMAGES),
        # eval(): Keras's tf.function graph normalises with the running averages too (inference)
        "bn_t": from_autograd(SmallCNN(batchnorm=True).eval(), x),
        "bn_t_train": from_autograd(SmallCNN(batchnorm=True), x),
        "bn_k": from_tf_function(keras_cnn(batchnorm=True), IMAGES),
        "bn_k_eps": from_tf_function(keras_cnn(batchnorm=True, epsilon=1e-5), IMAGES),
        "changed_k": from_tf_function(keras_cnn(padding="same", act="tanh", extra=True), IMAGES),
        "mlp_t": from_autograd(mlp_t, torch.randn(3, 4)),
        "mlp_k": from_tf_function(keras_mlp(), tf.TensorSpec([None, 4])),
    }


def layer_of(graph, node_id):
    """The layer / module name of a node ("fc1"), without Keras's scope suffixes; None outside."""
    gid = graph.node(node_id).group
    if gid is None:
        return None
    group = next(g for g in graph.groups if g.id == gid)
    return group.label.split(" (")[0]


def layer_of_group(graph, gid):
    return next(g for g in graph.groups if g.id == gid).label.split(" (")[0]


def model_differences(a):
    return [d.text for d in a.differences if d.kind == "model"]


def test_twins_are_lab_04s_models():
    # the twins above are copied from the lab: fail if the lab's models change without them
    cells = json.loads((ROOT / "labs/04_framework_translation.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for line in ('self.conv = torch.nn.Conv2d(1, 4, kernel_size=3)', 'self.pool = torch.nn.MaxPool2d(2)',
                 'self.fc1 = torch.nn.Linear(4 * 3 * 3, 8)', 'keras.layers.Conv2D(4, 3, name="conv")',
                 'keras.layers.Dense(8, activation="relu", name="fc1")',
                 'keras.layers.Dense(16, activation="tanh", name="hidden")',
                 'torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))'):
        assert line in code


# Known layer correspondence, in data-flow order: (PyTorch module or None for a torch.* call in
# forward(), Keras layer). Keras runs fc1's relu inside the Dense layer; PyTorch calls torch.relu.
CNN_LAYERS = [("conv", "conv"), (None, "relu"), ("pool", "pool"), (None, "flatten"),
              ("fc1", "fc1"), (None, "fc1"), ("fc2", "fc2")]
BN_LAYERS = CNN_LAYERS[:1] + [("bn", "bn")] + CNN_LAYERS[1:]
MLP_LAYERS = [("0", "hidden"), ("1", "hidden"), ("2", "out")]


@pytest.mark.parametrize("left, right, layers", [("cnn_t", "cnn_k", CNN_LAYERS),
                                                 ("bn_t", "bn_k", BN_LAYERS),
                                                 ("mlp_t", "mlp_k", MLP_LAYERS)])
def test_twins_pair_every_layer_with_its_partner(captures, left, right, layers):
    gl, gr = captures[left], captures[right]
    a = align(gl, gr)
    found = [(layer_of(gl, p.left), layer_of(gr, p.right)) for p in a.pairs]
    assert found == layers
    assert a.rate() >= 0.95
    assert all(p.confidence >= 0.8 and p.why for p in a.pairs)
    # every paired step holds all its ops: addmm <-> MatMul + BiasAdd, conv <-> Conv2D + BiasAdd
    assert a.partner(a.pairs[-1].right, side="right") == a.pairs[-1].left
    bias = gr.find(("BiasAdd", "AddV2"), group=gr.node(a.pairs[-1].right).group)
    assert bias and a.partner(bias[0].id, side="right") == a.pairs[-1].left
    # groups pair too: each PyTorch module with the Keras layer of the same name
    modules = {gid: layer_of_group(gr, gr_id) for gid, gr_id in a.group_pairs}
    assert modules and all(modules[gid] == {"0": "hidden", "2": "out"}.get(gid, gid)
                           for gid in modules if gid != "1")
    for u in a.only_left + a.only_right:  # explained, in the differences too
        assert u.why and any(u.why in d.text for d in a.differences)


def test_twin_differences_are_translation_not_model(captures):
    a = align(captures["bn_t"], captures["bn_k"])
    texts = "\n".join(d.text for d in a.differences if d.kind == "translation")
    assert "(N, C, H, W)" in texts and "(N, H, W, C)" in texts  # layout
    assert "bias folded into the matrix product" in texts and "AddmmBackward0" in texts
    assert "BatchNorm is one op in PyTorch" in texts and "not fused" in texts
    assert "flattening a feature map" in texts
    # the Keras default epsilon differs; the graphs record it, not the momentum
    assert model_differences(a) == [
        "'bn': BatchNorm epsilon 1e-05 in PyTorch, 0.001 in TensorFlow (PyTorch's default is 1e-5, "
        "Keras's 1e-3)"]
    assert any(d.kind == "note" and "momentum" in d.text for d in a.differences)
    same = align(captures["bn_t"], captures["bn_k_eps"])
    assert model_differences(same) == []
    assert "No difference in what the two graphs compute" in same.summary()
    # a PyTorch model left in training mode normalises with the batch's statistics
    assert model_differences(align(captures["bn_t_train"], captures["bn_k_eps"])) == [
        "'bn': BatchNorm normalises with batch statistics (training mode) in PyTorch and with the "
        "running averages (inference mode) in TensorFlow"]


def test_changed_model_shows_exactly_its_changes(captures):
    # changed: conv padding "same", the conv's activation tanh, an extra Dense between fc1 and fc2
    a = align(captures["cnn_t"], captures["changed_k"])
    found = model_differences(a)
    assert len(found) == 3, found
    padding, act, extra = found
    assert padding == ("'conv' pads differently: no padding in PyTorch, 1 pixel on each side "
                       "('same') in TensorFlow")
    assert "relu" in act and "tanh" in act
    assert "extra layer 'extra'" in extra and extra.startswith("only in TensorFlow")
    assert [layer_of(captures["changed_k"], u.id) for u in a.only_right] == ["extra"]
    conv = captures["changed_k"].find("Conv2D")[0].id
    told = a.explain(conv, side="right")
    assert told[0].startswith("paired with n") and padding in told
    bias = captures["changed_k"].find("BiasAdd", group=captures["changed_k"].node(conv).group)[0]
    assert a.explain(bias.id, side="right") == told  # one step: the convolution and its bias
    assert "extra layer 'extra'" in a.explain(a.only_right[0].id, side="right")[0]
    assert a.only_left == []
    assert align(captures["cnn_t"], captures["cnn_k"]).only_right == []  # the unchanged twin


@pytest.mark.parametrize("left, right", [("cnn_t", "mlp_k"), ("mlp_t", "cnn_k"),
                                         ("mlp_t", "bn_k")])
def test_different_models_do_not_pair(captures, left, right):
    a = align(captures[left], captures[right])
    assert a.rate() < 0.5, a.summary()
    assert len(model_differences(a)) >= 3


def test_node_ids_do_not_decide(captures):
    # rename every node of one graph: the same steps pair (by op, shape, structure, data flow)
    g = captures["bn_k"]
    doc = g.to_dict()
    new = {n["id"]: f"x{i:03d}" for i, n in enumerate(reversed(doc["nodes"]))}
    for n in doc["nodes"]:
        n["id"] = new[n["id"]]
    for e in doc["edges"]:
        e["source"], e["target"] = new[e["source"]], new[e["target"]]
    renamed = Graph.from_dict(doc)
    before = [(p.left, new[p.right]) for p in align(captures["bn_t"], g).pairs]
    assert [(p.left, p.right) for p in align(captures["bn_t"], renamed).pairs] == before


# ---- two captures of one model -------------------------------------------------------------------
def test_resnet18_eager_vs_export():
    # the project's ResNet-18 (torchvision's layout, random weights; torchvision itself is not in the
    # environment: the wheel pip finds for this torch is a CUDA build)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from real_models import resnet18_torch

    model, x = resnet18_torch()
    eager, exported = from_autograd(model, x), from_export(model, (x,))
    a = align(eager, exported)
    assert a.rate() >= 0.95, a.summary()
    assert len(a.pairs) >= 65  # 20 conv, 20 bn, 17 relu, 8 add, pools, flatten, fc
    # module paths are the same in both captures: every pair sits in one module
    assert all(eager.node(p.left).group == exported.node(p.right).group for p in a.pairs)
    assert model_differences(a) == []
    assert any("average pool over the whole feature map is a mean" in d.text
               for d in a.differences)


def test_tf_function_vs_tape(captures):
    model = keras_cnn(batchnorm=True)
    graph = from_tf_function(model, IMAGES)
    tape = from_tape(lambda z: tf.reduce_sum(model(z, training=True)),
                     tf.random.normal([2, 8, 8, 1]))
    a = align(graph, tape)
    assert a.rate() >= 0.95 and a.only_left == []
    assert [layer_of(graph, p.left) for p in a.pairs] == [k for _, k in BN_LAYERS]
    backward = [u for u in a.only_right if "backward pass" in u.why]
    assert len(backward) >= 10
    assert model_differences(a) == [
        "'bn': BatchNorm normalises with the running averages (inference mode) in the tf_function "
        "capture and with batch statistics (training mode) in the tape capture",
        "only in the tape capture: an extra step: reduce (Sum) (after 'fc2'); the tf_function "
        "capture has no step like it here"]


class Chatty(torch.nn.Module):
    """A Dropout, and a print that torch.compile cannot trace (a graph break)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.drop, self.fc2 = (torch.nn.Linear(4, 8), torch.nn.Dropout(0.5),
                                         torch.nn.Linear(8, 2))

    def forward(self, x):
        h = self.drop(torch.relu(self.fc1(x)))
        print("half way")
        return self.fc2(h)


def test_graph_break_and_dropout_mode():
    torch.manual_seed(0)
    model, x = Chatty(), torch.randn(3, 4)
    eager = from_autograd(model, x)  # training mode: autograd records the dropout's mask multiply
    compiled = compile_capture(model, "eager")
    compiled(x)
    a = align(eager, compiled.graph)
    assert a.rate() == 1.0 and len(a.pairs) == 4 and model_differences(a) == []
    breaks = [d.text for d in a.differences if "graph break" in d.text]
    assert len(breaks) == 1 and "print" in breaks[0] and "the compile capture" in breaks[0]
    exported = from_export(model.eval(), (x,))  # inference mode: the dropout does nothing
    assert model_differences(align(eager, exported)) == [
        "'drop': Dropout is active in the autograd capture (training mode) and does nothing in the "
        "export capture (inference mode)"]
