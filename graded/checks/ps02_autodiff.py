"""Trusted checks for ps02_autodiff: references are the analytic derivatives, in NumPy, here."""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, require

Q1_PROBE = """
import numpy as np, torch, tensorflow as tf
x = np.asarray(inputs["x"], dtype=np.float32)
result = {"torch": np.asarray(grad_f_torch(torch.tensor(x)), dtype=float).tolist(),
          "tf": np.asarray(grad_f_tf(tf.constant(x)), dtype=float).tolist()}
"""


def q1_inputs(rng):
    return {"x": rng.uniform(-3, 3, size=int(rng.integers(3, 9))).astype(np.float32).tolist()}


def q1_verify(inputs, result):
    require(result, "torch", "tf")
    x = np.asarray(inputs["x"], dtype=np.float64)
    ref = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert_close(result["torch"], ref, "grad_f_torch(x)", rtol=1e-4, atol=1e-4)
    assert_close(result["tf"], ref, "grad_f_tf(x)", rtol=1e-4, atol=1e-4)


Q2_PROBE = """
import numpy as np, torch, tensorflow as tf
arrays = [np.asarray(inputs[k], dtype=np.float32) for k in ("W1", "b1", "W2", "x", "y")]
t = loss_grads_torch(*[torch.tensor(a) for a in arrays])
f = loss_grads_tf(*[tf.constant(a) for a in arrays])
result = {"torch": [np.asarray(g, dtype=float).tolist() for g in t],
          "tf": [np.asarray(g, dtype=float).tolist() for g in f]}
"""


def q2_inputs(rng):
    n, d, h, k = (int(v) for v in rng.integers(2, 6, size=4))
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, k), "x": (n, d), "y": (n, k)}
    return {name: rng.normal(size=s).astype(np.float32).tolist() for name, s in shapes.items()}


def q2_verify(inputs, result):
    require(result, "torch", "tf")
    W1, b1, W2, x, y = (np.asarray(inputs[k], dtype=np.float64) for k in ("W1", "b1", "W2", "x", "y"))
    hid = np.tanh(x @ W1 + b1)
    dout = 2 * (hid @ W2 - y) / y.size
    dz = (dout @ W2.T) * (1 - hid**2)
    refs = (x.T @ dz, dz.sum(0), hid.T @ dout)
    for fw in ("torch", "tf"):
        got = result[fw]
        if not isinstance(got, list) or len(got) != 3:
            raise AssertionError(f"loss_grads_{fw} must return a tuple of three gradients")
        for name, g, ref in zip(("dL/dW1", "dL/db1", "dL/dW2"), got, refs):
            assert_close(g, ref, f"loss_grads_{fw}: {name}", rtol=1e-3, atol=1e-5)


CHECKS = [
    Check("ps02_q1_tests", Q1_PROBE, q1_inputs, q1_verify,
          visibility="visible", points=2,
          message=("the gradient you compute matches the analytic gradient at fresh points, in "
                   "both frameworks")),
    Check("ps02_q2_tests", Q2_PROBE, q2_inputs, q2_verify,
          visibility="visible", points=3,
          message=("the gradients of the network's loss match in both frameworks on fresh weights"
                   " and data")),
]
