"""graded/checks/ps08_saving.py as it was before issue 19 (kept as test data): it gave full marks
to a pickle round trip and to a Keras copy that never reads the SavedModel. tests/test_grading_regrade.py
grades real submissions with it, then fixes the check and regrades."""


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
          "output": np.asarray(out.detach(), dtype=float).tolist()}
"""


def q1_verify(inputs, result):
    require(result, "file", "same_object", "output")
    if result["file"] is not True:
        raise AssertionError("roundtrip_torch did not save the exported program to `path`")
    if result["same_object"] is not False:
        raise AssertionError("roundtrip_torch returned the original model, not the reloaded one")
    assert_close(result["output"], mlp(inputs, inputs["x"]),
                 "the reloaded module's output on a new batch size (original weights zeroed)",
                 rtol=1e-4, atol=1e-5)


Q2_PROBE = ARRAYS + """
import keras, tensorflow as tf
model = keras.Sequential([keras.Input((W1.shape[0],)), keras.layers.Dense(W1.shape[1], activation="relu"),
                          keras.layers.Dense(W2.shape[1])])
model.set_weights([W1, b1, W2, b2])
target = os.path.join(folder, "probe_savedmodel")
fn = roundtrip_tf(model, target)
model.set_weights([np.zeros_like(w) for w in (W1, b1, W2, b2)])
result = {"file": os.path.exists(os.path.join(target, "saved_model.pb")),
          "output": np.asarray(fn(tf.constant(x)), dtype=float).tolist()}
"""


def q2_verify(inputs, result):
    require(result, "file", "output")
    if result["file"] is not True:
        raise AssertionError("roundtrip_tf did not export a SavedModel into `folder`")
    assert_close(result["output"], mlp(inputs, inputs["x"]),
                 "the reloaded SavedModel's output (original weights zeroed)", rtol=1e-4, atol=1e-5)


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
    Check("ps08_q1_tests", Q1_PROBE, _inputs, q1_verify),
    Check("ps08_q2_tests", Q2_PROBE, _inputs, q2_verify),
    Check("ps08_q3_tests", Q3_PROBE, _inputs, q3_verify),
]
