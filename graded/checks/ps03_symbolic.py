"""Trusted checks for ps03_symbolic: the reference layer is computed here in NumPy."""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, assert_equal, require


def reference(x, w, b):
    z = np.logaddexp(0.0, x @ w + b)
    return z / z.sum(axis=1, keepdims=True)


def _inputs(rng):
    n, d, k = (int(v) for v in rng.integers(2, 7, size=3))
    return {"calls": [{name: rng.normal(size=s).astype(np.float32).tolist()
                       for name, s in (("x", (n, d)), ("w", (d, k)), ("b", (k,)))}
                      for _ in range(3)]}


Q1_PROBE = """
import numpy as np, tensorflow as tf
result = {"is_tf_function": hasattr(layer_tf, "experimental_get_tracing_count"), "outputs": []}
before = layer_tf.experimental_get_tracing_count()
for call in inputs["calls"]:
    args = [tf.constant(np.asarray(call[k], dtype=np.float32)) for k in ("x", "w", "b")]
    result["outputs"].append(np.asarray(layer_tf(*args), dtype=float).tolist())
result["traces"] = int(layer_tf.experimental_get_tracing_count() - before)
"""


def q1_verify(inputs, result):
    require(result, "is_tf_function", "outputs", "traces")
    assert_equal(result["is_tf_function"], True, "layer_tf is a tf.function")
    for i, call in enumerate(inputs["calls"]):
        x, w, b = (np.asarray(call[k], dtype=np.float64) for k in ("x", "w", "b"))
        assert_close(result["outputs"][i], reference(x, w, b), f"layer_tf call {i + 1}",
                     rtol=1e-4, atol=1e-6)
    if not isinstance(result["traces"], int) or result["traces"] > 1:
        raise AssertionError(f"layer_tf traced {result['traces']} times for three calls with the "
                             "same shapes: it should trace once (pass tensors, not NumPy arrays "
                             "or Python numbers that change)")


Q2_PROBE = """
import numpy as np, torch
call = inputs["calls"][0]
x, w, b = (np.asarray(call[k], dtype=np.float32) for k in ("x", "w", "b"))
gm = make_layer_fx(w, b)
result = {"is_graph_module": isinstance(gm, torch.fx.GraphModule),
          "softplus": any("softplus" in str(n.target) for n in gm.graph.nodes),
          "output": np.asarray(gm(torch.tensor(x)).detach(), dtype=float).tolist()}
"""


def q2_verify(inputs, result):
    require(result, "is_graph_module", "softplus", "output")
    assert_equal(result["is_graph_module"], True, "make_layer_fx returns a torch.fx.GraphModule")
    assert_equal(result["softplus"], True, "the traced graph calls softplus")
    call = inputs["calls"][0]
    x, w, b = (np.asarray(call[k], dtype=np.float64) for k in ("x", "w", "b"))
    assert_close(result["output"], reference(x, w, b), "the fx module's output", rtol=1e-4,
                 atol=1e-6)


CHECKS = [
    Check("ps03_q1_tests", Q1_PROBE, _inputs, q1_verify,
          visibility="visible", points=3,
          message=("your tf.function gives the eager reference's values on fresh inputs and does "
                   "not retrace needlessly")),
    Check("ps03_q2_tests", Q2_PROBE, _inputs, q2_verify,
          visibility="visible", points=3,
          message="your torch.fx graph gives the eager reference's values on fresh inputs"),
]
