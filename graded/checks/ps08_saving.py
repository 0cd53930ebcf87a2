"""Trusted checks for ps08_saving: the probes build fresh models, call the student's round trips,
then zero the original weights, so only what went through the file can answer; the references are
the MLP computed in NumPy, here.

The probes also load what was saved themselves, as the question asks it to be loaded
(`torch.export.load` must give an ExportedProgram; `tf.saved_model.load` a SavedModel whose `serve`
answers): a pickle round trip (`torch.save` + `torch.load(weights_only=False)`) or a Keras copy that
never reads the SavedModel does not pass. For the SavedModel the Keras model handed to the student
holds wrong weights in memory at all times; only its `export` writes the right ones, so a function
that answers right has read them back from the folder."""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, require


def mlp(inputs, x):
    W1, b1, W2, b2 = (np.asarray(inputs[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))
    return np.maximum(np.asarray(x, dtype=np.float64) @ W1 + b1, 0) @ W2 + b2


def _inputs(rng):
    d, h, k = int(rng.integers(2, 6)), int(rng.integers(3, 8)), int(rng.integers(1, 4))
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,),
              "example": (2, d), "x": (int(rng.integers(3, 9)), d)}  # a batch size not exported
    return {name: rng.normal(size=s).astype(np.float32).tolist() for name, s in shapes.items()}


# The probes build the models themselves: they never trust the notebook's helper cells.
ARRAYS = """
import os, tempfile
import numpy as np
W1, b1, W2, b2, example, x = (np.asarray(inputs[k], dtype=np.float32)
                              for k in ("W1", "b1", "W2", "b2", "example", "x"))
folder = tempfile.mkdtemp()
"""

TORCH_MODEL = ARRAYS + """
import torch
model = torch.nn.Sequential(torch.nn.Linear(*W1.shape), torch.nn.ReLU(), torch.nn.Linear(*W2.shape))
with torch.no_grad():
    for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
        layer.weight.copy_(torch.tensor(W.T))
        layer.bias.copy_(torch.tensor(b))
model.eval()
"""

Q1_PROBE = TORCH_MODEL + """
path = os.path.join(folder, "probe.pt2")
reloaded = roundtrip_torch(model, torch.tensor(example), path)
with torch.no_grad():
    for p in model.parameters():
        p.zero_()
    out = reloaded(torch.tensor(x))
result = {"file": os.path.exists(path) and os.path.getsize(path) > 0, "same_object": reloaded is model,
          "output": np.asarray(out.detach(), dtype=float).tolist(),
          "graph_module": isinstance(reloaded, torch.fx.GraphModule)}
try:  # what the file holds, read as the question says to read it
    program = torch.export.load(path)
    result["program"] = isinstance(program, torch.export.ExportedProgram)
    with torch.no_grad():
        saved = program.module()(torch.tensor(x))
    result["saved_output"] = np.asarray(saved.detach(), dtype=float).tolist()
except Exception as err:
    result["program"], result["saved_output"] = False, None
"""


def q1_verify(inputs, result):
    require(result, "file", "same_object", "output")
    if result["file"] is not True:
        raise AssertionError("roundtrip_torch did not save the exported program to `path`")
    if result["same_object"] is not False:
        raise AssertionError("roundtrip_torch returned the original model, not the reloaded one")
    if result.get("program") is not True:
        raise AssertionError("the file at `path` is not an exported program: torch.export.load "
                             "cannot read it (save the ExportedProgram with torch.export.save, "
                             "not the model with torch.save)")
    if result.get("graph_module") is not True:
        raise AssertionError("roundtrip_torch must return the loaded program's .module(), not a "
                             "copy of the original model")
    assert_close(result.get("saved_output"), mlp(inputs, inputs["x"]),
                 "the program in the file (loaded by the checker, original weights zeroed)",
                 rtol=1e-4, atol=1e-5)
    assert_close(result["output"], mlp(inputs, inputs["x"]),
                 "the reloaded module's output on a new batch size (original weights zeroed)",
                 rtol=1e-4, atol=1e-5)


Q2_PROBE = ARRAYS + """
import keras, tensorflow as tf
model = keras.Sequential([keras.Input((W1.shape[0],)), keras.layers.Dense(W1.shape[1], activation="relu"),
                          keras.layers.Dense(W2.shape[1])])
right = [W1, b1, W2, b2]
wrong = [np.full_like(w, 0.5) for w in right]  # what a copy of the model in memory would hold
model.set_weights(wrong)
keras_export = model.export


def export_right_weights(*args, **kwargs):  # only the SavedModel gets the right weights
    model.set_weights(right)
    try:
        return keras_export(*args, **kwargs)
    finally:
        model.set_weights(wrong)


object.__setattr__(model, "export", export_right_weights)
target = os.path.join(folder, "probe_savedmodel")
fn = roundtrip_tf(model, target)
model.set_weights([np.zeros_like(w) for w in right])
result = {"file": os.path.exists(os.path.join(target, "saved_model.pb")),
          "output": np.asarray(fn(tf.constant(x)), dtype=float).tolist()}
try:  # the folder, read as the question says to read it
    loaded = tf.saved_model.load(target)
    result["saved_output"] = np.asarray(loaded.serve(tf.constant(x)), dtype=float).tolist()
except Exception as err:
    result["saved_output"] = None
"""


def q2_verify(inputs, result):
    require(result, "file", "output")
    if result["file"] is not True:
        raise AssertionError("roundtrip_tf did not export a SavedModel into `folder`")
    if result.get("saved_output") is None:
        raise AssertionError("the checker could not load `folder` with tf.saved_model.load and "
                             "call its `serve` endpoint (export it with model.export)")
    assert_close(result["saved_output"], mlp(inputs, inputs["x"]),
                 "the SavedModel in `folder` (loaded by the checker)", rtol=1e-4, atol=1e-5)
    assert_close(result["output"], mlp(inputs, inputs["x"]),
                 "the function roundtrip_tf returned (it must answer from the reloaded "
                 "SavedModel's `serve`, not from a copy of the Keras model)",
                 rtol=1e-4, atol=1e-5)


Q3_PROBE = TORCH_MODEL + """
from sidebyside.serving import post_json, serve
path = os.path.join(folder, "served.pt2")
exported = torch.export.export(model, (torch.tensor(example),),
                               dynamic_shapes=({0: torch.export.Dim("batch")},))
torch.export.save(exported, path)
module = torch.export.load(path).module()
predict = make_predict(module)
direct = predict(x)
with serve(predict) as server:
    reply = post_json(server.url + "/predict", {"inputs": x.tolist()})
result = {"is_numpy": isinstance(direct, np.ndarray), "served": reply.get("outputs")}
"""


def q3_verify(inputs, result):
    require(result, "is_numpy", "served")
    if result["is_numpy"] is not True:
        raise AssertionError("make_predict's function must return a NumPy array")
    if result["served"] is None:
        raise AssertionError("the server answered with an error instead of outputs")
    assert_close(result["served"], mlp(inputs, inputs["x"]), "the served model's answer",
                 rtol=1e-4, atol=1e-5)


CHECKS = [
    Check("ps08_q1_tests", Q1_PROBE, _inputs, q1_verify,
          visibility="visible", points=3,
          message=("the file at `path` is an exported program that torch.export.load reads back, "
                   "and the module you return answers from it alone")),
    Check("ps08_q2_tests", Q2_PROBE, _inputs, q2_verify,
          visibility="visible", points=3,
          message=("`folder` holds a SavedModel whose serve endpoint answers, and your function "
                   "answers from it, not from the Keras model in memory")),
    Check("ps08_q3_tests", Q3_PROBE, _inputs, q3_verify,
          visibility="hidden", points=4,
          message="the served model answers POST /predict with the right outputs"),
]
