"""Keras-layer grouping, variable folding and repeated blocks in every TensorFlow adapter: a small
MobileNet-like model with inverted-residual blocks written here, and Keras MobileNetV2 (weights=None,
from benchmarks/real_models.py). Also: no recursion limits on long chains."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from sidebyside.graph import from_tape, from_tf_function, record_tf
from sidebyside.widget import GraphView

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from real_models import gpt2_keras, mobilenetv2_keras  # noqa: E402


class InvertedResidual(keras.layers.Layer):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise, 1x1 project, and the skip connection."""

    def __init__(self, channels: int, expand: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.expand = keras.layers.Conv2D(channels * expand, 1, use_bias=False)
        self.bn1 = keras.layers.BatchNormalization()
        self.depthwise = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)
        self.bn2 = keras.layers.BatchNormalization()
        self.project = keras.layers.Conv2D(channels, 1, use_bias=False)
        self.bn3 = keras.layers.BatchNormalization()

    def call(self, x, training=False):
        y = tf.nn.relu6(self.bn1(self.expand(x), training=training))
        y = tf.nn.relu6(self.bn2(self.depthwise(y), training=training))
        return x + self.bn3(self.project(y), training=training)


def mobilenet_like():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stem"),
        InvertedResidual(8, name="block_a"),
        InvertedResidual(8, name="block_b"),
        InvertedResidual(8, name="block_c"),
        keras.layers.GlobalAveragePooling2D(name="pool"),
        keras.layers.Dense(4, name="head"),
    ], name="mobilenet_like")
    return model, tf.ones([2, 16, 16, 3])


@pytest.fixture(scope="module")
def small():
    return mobilenet_like()


def layer_ops(g):
    """The ops a layer ran (Identity/ReadVariableOp plumbing, inputs and outputs excluded)."""
    return [n for n in g.nodes if n.kind == "op" and not n.plumbing]


def group_types(g) -> dict:
    return {gr.id: gr.type for gr in g.groups}


def block_of(group_id: str | None) -> str | None:
    for part in (group_id or "").split("/"):
        for block in ("block_a", "block_b", "block_c"):
            if part == block or part.startswith(block + "_"):
                return block
    return None


def check_blocks(g, per_block: int) -> None:
    """Every op of each inverted-residual block sits in that block's group or a sublayer of it."""
    types = group_types(g)
    counts = Counter(block_of(n.group) for n in layer_ops(g))
    assert counts["block_a"] == counts["block_b"] == counts["block_c"] == per_block, counts
    for n in layer_ops(g):
        assert n.group is not None and types[n.group] is not None, (n.id, n.group)
    block_groups = [gr for gr in g.groups if gr.type == "InvertedResidual"]
    assert len(block_groups) == 3
    assert [gr.repeat["count"] for gr in block_groups] == [3, 3, 3]
    assert [gr.repeat["index"] for gr in block_groups] == [0, 1, 2]
    assert len({gr.repeat["key"] for gr in block_groups}) == 1


# ---- tf.function ---------------------------------------------------------------------------------
def test_tf_function_groups_every_op_by_keras_layer(small):
    model, x = small
    g = from_tf_function(model, x)
    check_blocks(g, per_block=_per_block(g))
    types = group_types(g)
    own = [n for n in layer_ops(g) if types[n.group] == "InvertedResidual"]
    # InvertedResidual.call's own ops (relu6 x2, the skip connection's add) sit in the block's
    # group; the batch norms' adds sit in their BatchNormalization sublayers.
    assert Counter(n.op for n in own) == {"Relu6": 6, "AddV2": 3}
    assert sorted(block_of(n.group) for n in own if n.op == "AddV2") == ["block_a", "block_b",
                                                                         "block_c"]
    convs = [n for n in layer_ops(g) if n.op == "Conv2D" and block_of(n.group) == "block_b"]
    assert [group_types(g)[n.group] for n in convs] == ["Conv2D", "Conv2D"]


def _per_block(g) -> int:
    counts = Counter(block_of(n.group) for n in layer_ops(g))
    return counts["block_a"]


def test_tf_function_folds_variables_with_their_shapes(small):
    model, x = small
    g = from_tf_function(model, x)
    f = g.folded()
    assert f.find(kind="param") == []
    assert not [n for n in g.simplified().nodes if n.dtype == "resource"]  # no "[] resource"
    depthwise = [n for n in f.nodes if n.op == "DepthwiseConv2dNative"
                 and block_of(n.group) == "block_c"][0]
    assert [(p["kind"], p["shape"], p["dtype"]) for p in depthwise.params] == [
        ("param", [3, 3, 32, 1], "float32")]
    assert depthwise.params[0]["name"].endswith("kernel")
    dense = [n for n in f.nodes if n.op == "MatMul"][0]
    assert [p["shape"] for p in dense.params] == [[8, 4]]
    folded = sum(1 for n in f.nodes for p in n.params if p["kind"] == "param")
    assert folded >= len(model.weights)  # each variable folded into at least one consumer
    # The option keeps them as nodes, with the variables' shapes.
    kept = g.simplified().find(kind="param")
    assert len(kept) == len(model.weights)
    assert sorted(tuple(n.shape) for n in kept if n.label.endswith("head/kernel")) == [(8, 4)]


def test_mobilenetv2_groups_by_layer():
    model, x = mobilenetv2_keras()
    g = from_tf_function(model, x)
    ops = layer_ops(g)
    types = group_types(g)
    assert all(n.group and types[n.group] for n in ops)
    by_type = Counter(types[n.group] for n in ops)
    assert by_type["DepthwiseConv2D"] >= 17 and by_type["Add"] == 10
    layers = [gr for gr in g.groups if gr.type not in (None, "Functional", "block")]
    assert len(layers) == len(model.layers) - 1  # every layer but the InputLayer ran ops
    f = g.folded()
    conv1 = [n for n in f.nodes if n.op == "Conv2D"][0]
    assert [(p["name"], p["shape"]) for p in conv1.params] == [("Conv1/kernel", [3, 3, 3, 32])]


def families(g) -> list[list[str]]:
    """Labels of each family of repeated groups, in order."""
    out: dict[str, list[str]] = {}
    for gr in g.groups:
        if gr.repeat:
            out.setdefault(gr.repeat["key"], []).append(gr.label)
    return list(out.values())


def test_flat_functional_models_get_their_numbered_blocks_and_repeats():
    """MobileNetV2's layers are all siblings ("block_4_expand", ...): the numbers in the names are
    its only block structure. Layers sharing a numbered prefix sit in a block group, and runs of
    identical blocks are marked, exactly where the architecture repeats (blocks 3 and 6 stride 2,
    10 and 13 change width, 16 has no skip connection)."""
    model, x = mobilenetv2_keras()
    g = from_tf_function(model, x)
    blocks = {gr.label: gr for gr in g.groups if gr.type == "block"}
    assert sorted(blocks, key=lambda s: int(s.split("_")[1])) == [f"block_{i}" for i in range(1, 17)]
    expand = next(gr for gr in g.groups if gr.label.startswith("block_4_expand ("))
    assert expand.parent == blocks["block_4"].id
    assert "Conv_1_bn (BatchNormalization)" in {gr.label for gr in g.groups}  # "Conv_1" is a layer
    assert families(g) == [["block_4", "block_5"], ["block_7", "block_8", "block_9"],
                           ["block_11", "block_12"], ["block_14", "block_15"]]


def test_flat_gpt2_keras_blocks_repeat():
    model, tokens = gpt2_keras(blocks=3)
    g = from_tf_function(model, tokens)
    blocks = [gr for gr in g.groups if gr.type == "block"]
    assert [gr.label for gr in blocks] == ["block0", "block1", "block2"]
    assert [gr.repeat["index"] for gr in blocks] == [0, 1, 2]
    assert {gr.repeat["count"] for gr in blocks} == {3}


def test_numbered_names_that_are_not_blocks_stay_flat():
    from sidebyside.graph.keras_layers import LayerTypes

    types = LayerTypes({"dense_1": "Dense", "dense_2": "Dense", "Conv_1": "Conv2D",
                        "Conv_1_bn": "BatchNormalization", "stage2_a": "Dense",
                        "conv2_block1_1_conv": "Conv2D", "conv2_block1_2_conv": "Conv2D",
                        "conv2_block2_1_conv": "Conv2D"}).find_blocks()
    assert types.blocks == {"conv2_block1_1_conv": ["conv2", "conv2_block1"],
                            "conv2_block1_2_conv": ["conv2", "conv2_block1"],
                            "conv2_block2_1_conv": ["conv2"]}  # a block of one layer is no block
    assert types.block_types == {"conv2": "conv", "conv2_block1": "block"}


# ---- tape ----------------------------------------------------------------------------------------
def test_tape_groups_forward_ops_by_layer(small):
    model, x = small

    def loss(x):
        return tf.reduce_sum(model(x, training=True))

    g = from_tape(loss, x)
    forward = [n for n in layer_ops(g) if n.attrs.get("phase") == "forward"
               and n.op not in ("Sum", "Const")]
    assert forward and all(block_of(n.group) or group_types(g).get(n.group) for n in forward)
    blocks = Counter(block_of(n.group) for n in forward)
    assert blocks["block_a"] == blocks["block_b"] == blocks["block_c"] > 0
    assert not [n for n in g.folded().nodes if n.kind == "param"]


# ---- live ----------------------------------------------------------------------------------------
def test_record_tf_groups_eager_ops_by_keras_layer(small):
    model, x = small
    model(x)  # built
    with record_tf() as g:
        model(x)
    ops = layer_ops(g)
    assert ops and all(n.group for n in ops), [(n.op, n.group) for n in ops if not n.group]
    check_blocks(g, per_block=_per_block(g))
    assert _per_block(g) >= 9  # 3 convs, 3 batch norms, 2 relu6, 1 add at least


def test_record_tf_captures_a_mobilenetv2_training_step():
    model, x = mobilenetv2_keras()
    opt = keras.optimizers.SGD(0.01)
    model(x)
    with record_tf() as g:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
    assert "truncated" not in g.meta and g.node_count > 5000  # once refused at 5000
    layers = {gr.id for gr in g.groups if gr.type not in (None, "Functional")}
    assert len(layers) >= 150
    ops = [n for n in g.nodes if n.kind == "op"]
    grouped = [n for n in ops if n.group]
    assert len(grouped) >= 0.99 * len(ops)  # gradient ops too, under gradient_tape/<layer>
    grads = [n for n in ops if (n.group or "").startswith("gradient_tape/")]
    assert any(n.op == "Conv2DBackpropFilter" for n in grads)
    # The wrapped GradientTape.gradient and gradient function are restored: gradients still work.
    assert tf.GradientTape.gradient.__qualname__ == "GradientTape.gradient"
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v)) == 6.0


# ---- no recursion limits -------------------------------------------------------------------------
def test_long_identity_chain_has_no_recursion_limit():
    @tf.function
    def chain(x):
        for _ in range(1200):
            x = tf.identity(x)
        return x * 2.0

    g = from_tf_function(chain, tf.ones([2]))
    assert len(g.find(op="Identity")) >= 1200
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # far below the chain's length: any recursion over it would fail
    try:
        s = g.simplified()
        f = g.folded()
        view = GraphView(g)
    finally:
        sys.setrecursionlimit(limit)
    assert [n for n in s.nodes if n.plumbing] == [] and [n.op for n in s.find(kind="op")] == ["Mul"]
    # The edge bypasses all 1200 Identity ops; folded, the constant 2.0 is listed in the Mul.
    assert [(e.source, e.target) for e in f.edges if f.node(e.target).op == "Mul"] == [
        ("x", f.find(op="Mul")[0].id)]
    assert [p["kind"] for p in f.find(op="Mul")[0].params] == ["const"]
    assert f.node_count <= s.node_count and view.node_count == f.node_count


def test_trace_history_counters_are_live_in_a_view():
    from sidebyside.graph import trace_history

    history = trace_history(tf.function(lambda x: x * 2))
    history(tf.ones([2]))
    view = GraphView(from_tf_function(history.function, tf.ones([2])), counters=history.counters)
    assert view.counters["traces"] == 1
    history(tf.ones([3, 4]))  # a new shape: a new trace
    history(tf.ones([3, 4]))  # same: no trace
    assert history.count == 2 and view.counters["traces"] == 2


def test_variables_show_their_shapes_in_every_tf_adapter():
    from sidebyside.graph import from_tf_graph

    w = tf.Variable(tf.ones([3, 5]), name="w_live")
    with record_tf(names={}) as g:  # found through the caller's variables
        tf.matmul(tf.ones([2, 3]), w)
    unnamed = tf.Variable(tf.ones([4, 2]))

    def use_unnamed():
        with record_tf() as g2:
            tf.matmul(tf.ones([1, 4]), unnamed)
        return g2

    g2 = use_unnamed()  # not a local of the recording frame: shape from the handle
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3])
        v = tf.compat.v1.get_variable("v1", [3, 7], use_resource=True)
        out = tf.matmul(x, v)
    g3 = from_tf_graph(graph, outputs=[out])
    for graph_doc, want in ((g, [3, 5]), (g2, [4, 2]), (g3, [3, 7])):
        params = [n for n in graph_doc.simplified().nodes if n.kind == "param"]
        assert [(n.shape, n.dtype) for n in params] == [(want, "float32")], graph_doc.name
