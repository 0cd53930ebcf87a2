"""Trusted checks for ps09_debugging: the grader computes every reference in NumPy, here, on inputs
that break the original code (huge logits, an (n, 1) prediction against an (n,) target, many
different factors)."""

import numpy as np

from sidebyside.grading.spec import Check, array, assert_close, names_used, require


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def q1_inputs(rng):
    n, k = (int(v) for v in rng.integers(2, 6, size=2))
    scale = float(rng.choice([100.0, 300.0, 1000.0]))
    return {"x": (rng.normal(size=(n, k)) * scale).astype(np.float32).tolist()}


Q1_PROBE = """
import numpy as np, torch, tensorflow as tf
x = np.asarray(inputs["x"], dtype=np.float32)
t = torch.tensor(x, requires_grad=True)
out_t = log_softmax_torch(t)
out_t[:, 0].sum().backward()
v = tf.Variable(x)
with tf.GradientTape() as tape:
    out_f = log_softmax_tf(v)
    first = tf.reduce_sum(out_f[:, 0])
result = {"torch": np.asarray(out_t.detach(), dtype=float).tolist(),
          "torch_grad_finite": bool(np.all(np.isfinite(t.grad.numpy()))),
          "tf": np.asarray(out_f, dtype=float).tolist(),
          "tf_grad_finite": bool(np.all(np.isfinite(np.asarray(tape.gradient(first, v)))))}
"""


def q1_verify(inputs, result):
    require(result, "torch", "tf", "torch_grad_finite", "tf_grad_finite")
    ref = log_softmax(inputs["x"])
    for fw in ("torch", "tf"):
        assert_close(result[fw], ref, f"log_softmax_{fw}(x) on large logits", rtol=1e-4, atol=1e-3)
        if result[f"{fw}_grad_finite"] is not True:
            raise AssertionError(f"the gradient through log_softmax_{fw} is not finite on large logits")


FRAMEWORK_LOG_SOFTMAX = {"log_softmax", "LogSoftmax"}  # torch, F, tf.nn, tf.math, keras.ops, ...


def q1_rule(cells):
    """The question forbids the frameworks' own log_softmax: read in the code as submitted
    (`torch.log_softmax`, `x.log_softmax(1)`, `F.log_softmax`, `nn.LogSoftmax`, `tf.nn.log_softmax`,
    an import of one, or `getattr(torch, "log_softmax")`)."""
    used = names_used(cells) & FRAMEWORK_LOG_SOFTMAX
    if used:
        raise AssertionError(f"your code calls the framework's own {sorted(used)[0]}, which Q1 asks "
                             "you not to use: write it with x - max - log(sum(exp(x - max)))")


def q2_inputs(rng):
    n = int(rng.integers(2, 9))
    return {"pred": rng.normal(size=(n, 1)).astype(np.float32).tolist(),
            "y": rng.normal(size=n).astype(np.float32).tolist()}


Q2_PROBE = """
import numpy as np, torch, tensorflow as tf
p, y = np.asarray(inputs["pred"], dtype=np.float32), np.asarray(inputs["y"], dtype=np.float32)
t = mse_torch(torch.tensor(p), torch.tensor(y))
f = mse_tf(tf.constant(p), tf.constant(y))
result = {"torch": np.asarray(t, dtype=float).tolist(), "tf": np.asarray(f, dtype=float).tolist()}
"""


def q2_verify(inputs, result):
    require(result, "torch", "tf")
    pred, y = np.asarray(inputs["pred"], dtype=np.float64), np.asarray(inputs["y"], dtype=np.float64)
    ref = float(np.mean((pred[:, 0] - y) ** 2))
    broadcast = float(np.mean((pred - y) ** 2))  # the (n, n) bug
    for fw in ("torch", "tf"):
        got = array(result[fw], f"mse_{fw}")
        if got.shape != ():
            raise AssertionError(f"mse_{fw} must return one number (a 0-d tensor), not shape "
                                 f"{tuple(got.shape)}")
        if np.isclose(float(got), broadcast, rtol=1e-4) and not np.isclose(broadcast, ref, rtol=1e-4):
            raise AssertionError(f"mse_{fw} still broadcasts (n, 1) against (n,) into (n, n)")
        assert_close(got, ref, f"mse_{fw}", rtol=1e-4, atol=1e-6)


def q3_inputs(rng):
    calls = []
    for _ in range(4):
        x = rng.normal(size=int(rng.integers(2, 9))).astype(np.float32).tolist()
        calls.append({"x": x, "factor": float(np.round(rng.uniform(-3, 3), 3))})
    return {"calls": calls}


Q3_PROBE = """
import numpy as np, tensorflow as tf
result = {"is_tf_function": hasattr(scale_tf, "experimental_get_tracing_count"), "outputs": []}
before = scale_tf.experimental_get_tracing_count()
for call in inputs["calls"]:
    out = scale_tf(tf.constant(np.asarray(call["x"], dtype=np.float32)), call["factor"])
    result["outputs"].append(np.asarray(out, dtype=float).tolist())
result["new_traces"] = int(scale_tf.experimental_get_tracing_count() - before)
result["traces"] = int(scale_tf.experimental_get_tracing_count())
"""


def q3_verify(inputs, result):
    require(result, "is_tf_function", "outputs", "new_traces", "traces")
    if result["is_tf_function"] is not True:
        raise AssertionError("scale_tf must be a tf.function")
    for i, call in enumerate(inputs["calls"]):
        ref = np.asarray(call["x"], dtype=np.float64) * call["factor"]
        assert_close(result["outputs"][i], ref, f"scale_tf call {i + 1}", rtol=1e-5, atol=1e-6)
    if not isinstance(result["traces"], int) or result["traces"] > 1 or result["new_traces"] > 1:
        raise AssertionError(f"scale_tf traced {result['traces']} times in all, "
                             f"{result['new_traces']} of them for four new factors and lengths: "
                             "it should trace once")


CHECKS = [
    Check("ps09_q1_tests", Q1_PROBE, q1_inputs, q1_verify, q1_rule,
          visibility="visible", points=4,
          message=("your log-softmax stays finite, values and gradients, on large logits, without"
                   " the frameworks' own log_softmax")),
    Check("ps09_q2_tests", Q2_PROBE, q2_inputs, q2_verify,
          visibility="visible", points=3,
          message=("your loss is one number that does not broadcast an (n, 1) prediction against "
                   "an (n,) target")),
    Check("ps09_q3_tests", Q3_PROBE, q3_inputs, q3_verify,
          visibility="after_due", points=3,
          message=("your tf.function traces once for many different factors and gives the right "
                   "values")),
]
