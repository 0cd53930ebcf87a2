"""Names read as the user named things (issue 20): Keras layers whose scope TF made unique inside a
tf.function, a model and a layer sharing a name, titles of a wrapped model or a lambda, a Keras
model's positional inputs, and modules a compiled function reaches through a global."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sidebyside.graph import compile_capture, from_tape, from_tf_function  # noqa: E402
from sidebyside.graph.torch_fx import module_path  # noqa: E402


@pytest.fixture(scope="module")
def keras_models():
    tf = pytest.importorskip("tensorflow")
    import keras

    # Keras numbers layer names per session: a model another test built first in this process
    # would make these "dense_7". A fresh session gives the names a notebook's first model gets.
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    lstm = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4)], name="lstm")
    return tf, dense, lstm


@pytest.fixture(scope="module")
def dense_graph(keras_models):
    tf, dense, _ = keras_models
    return from_tf_function(tf.function(dense), tf.zeros((3, 4)))


def labels(g, type_=None) -> list[str]:
    return [gr.label for gr in g.groups if type_ is None or gr.type == type_]


def test_the_first_dense_is_dense_even_in_a_uniquified_scope(keras_models, dense_graph):
    _, dense, _ = keras_models
    assert [layer.name for layer in dense.layers] == ["dense", "dense_1"]
    assert labels(dense_graph, "Dense") == ["dense (Dense)", "dense_1 (Dense)"]
    # Each group holds the ops reading its own layer's kernel.
    for gr in dense_graph.groups:
        if gr.type == "Dense":
            kernels = [n.label for n in dense_graph.nodes
                       if n.kind == "param" and (n.group or "").startswith(gr.id + "/")
                       or n.kind == "param" and n.group == gr.id]
            assert f"sequential/{gr.label.split()[0]}/kernel" in kernels, (gr.id, kernels)


def test_a_wrapped_model_is_titled_by_its_name_and_its_input_is_inputs(dense_graph):
    assert dense_graph.name == "sequential"  # not "tf.function"
    assert [n.label for n in dense_graph.find(kind="input")] == ["inputs"]  # not "args_0"


def test_a_model_and_its_layer_sharing_a_name_keep_their_own_classes(keras_models):
    tf, _, lstm = keras_models
    g = from_tf_function(tf.function(lstm), tf.zeros((2, 5, 3)))
    outer = [gr for gr in g.groups if gr.parent is None]
    assert [gr.label for gr in outer] == ["lstm (Sequential)"]
    assert "lstm (LSTM)" in labels(g) and "lstm_1 (LSTM)" not in labels(g)


def test_a_lambda_calling_a_model_is_titled_by_the_model_and_gradients_keep_names(keras_models):
    tf, dense, _ = keras_models
    g = from_tape(lambda x: dense(x), tf.zeros((3, 4)))
    assert g.name == "sequential"  # not "<lambda>"
    grads = [gr.label for gr in g.groups if gr.id.startswith("gradient_tape/") and gr.type == "Dense"]
    assert sorted(grads) == ["dense (Dense)", "dense_1 (Dense)"]


def test_modules_reached_through_globals_are_named_by_the_global():
    assert module_path("G['mlp'].0") == "mlp/0"
    assert module_path("G['__import_transformers_dot_models_dot_gpt2'].block") == "block"
    assert module_path("L['self'].enc.0") == "enc/0"


MLP = None


def test_a_compiled_function_groups_by_the_global_model_it_calls():
    import torch
    from torch import nn

    global MLP
    torch.manual_seed(0)
    MLP = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def step(x):
        return MLP(x).sum()

    cap = compile_capture(step)
    cap(torch.randn(2, 4))
    ids = [gr.id for gr in cap.graph.groups]
    assert "MLP" in ids and "MLP/0" in ids and not any(i.startswith("G") for i in ids)
    params = {n.label: n.group for n in cap.graph.find(kind="param")}
    assert params == {"MLP.0.weight": "MLP/0", "MLP.0.bias": "MLP/0"}


def test_a_compiled_function_groups_by_the_closure_model_it_calls():
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def step(x):
        return model(x).sum()

    cap = compile_capture(step)
    cap(torch.randn(2, 4))
    assert sorted(gr.id for gr in cap.graph.groups) == ["model", "model/0", "model/1"]
    assert {n.group for n in cap.graph.find(kind="param")} == {"model/0"}
