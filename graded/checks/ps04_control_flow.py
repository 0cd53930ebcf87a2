"""Trusted checks for ps04_control_flow: Collatz steps and the branch are recomputed here."""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, assert_equal, require


def collatz(n: int) -> int:
    steps = 0
    while n > 1:
        n, steps = (n // 2 if n % 2 == 0 else 3 * n + 1), steps + 1
    return steps


Q1_PROBE = """
import numpy as np, torch, tensorflow as tf
collatz_steps_tf(tf.constant(7))
before = collatz_steps_tf.experimental_get_tracing_count()
result = {"torch": [int(collatz_steps_torch(torch.tensor(n))) for n in inputs["n"]],
          "tf": [int(collatz_steps_tf(tf.constant(n))) for n in inputs["n"]]}
result["retraces"] = int(collatz_steps_tf.experimental_get_tracing_count() - before)
"""


def q1_inputs(rng):
    return {"n": [int(v) for v in rng.integers(2, 2000, size=5)]}


def q1_verify(inputs, result):
    require(result, "torch", "tf", "retraces")
    ref = [collatz(n) for n in inputs["n"]]
    assert_equal(result["torch"], ref, "collatz_steps_torch on fresh values")
    assert_equal(result["tf"], ref, "collatz_steps_tf on fresh values")
    if result["retraces"] != 0:
        raise AssertionError(f"collatz_steps_tf traced again {result['retraces']} time(s) for new "
                             "values: use tf.while_loop on tensors, not Python ints")


Q2_PROBE = """
import numpy as np, torch, tensorflow as tf
xs = [np.asarray(x, dtype=np.float32) for x in inputs["xs"]]
branch_tf(tf.constant(xs[0]))
before = branch_tf.experimental_get_tracing_count()
result = {"torch": [np.asarray(branch_torch(torch.tensor(x)), dtype=float).tolist() for x in xs],
          "tf": [np.asarray(branch_tf(tf.constant(x)), dtype=float).tolist() for x in xs]}
result["retraces"] = int(branch_tf.experimental_get_tracing_count() - before)
"""


def q2_inputs(rng):
    size = int(rng.integers(3, 9))
    signs = [1, -1, 1, -1]
    return {"xs": [(s * np.abs(rng.normal(size=size))).astype(np.float32).tolist() for s in signs]}


def q2_verify(inputs, result):
    require(result, "torch", "tf", "retraces")
    for fw in ("torch", "tf"):
        for i, x in enumerate(inputs["xs"]):
            x = np.asarray(x, dtype=np.float64)
            ref = 2 * x if x.sum() > 0 else -x
            assert_close(result[fw][i], ref, f"branch_{fw} (sum {'>' if x.sum() > 0 else '<='} 0)",
                         rtol=1e-5, atol=1e-6)
    if result["retraces"] != 0:
        raise AssertionError(f"branch_tf traced again {result['retraces']} time(s) for new values "
                             "of the same shape")


CHECKS = [
    Check("ps04_q1_tests", Q1_PROBE, q1_inputs, q1_verify,
          visibility="visible", points=3,
          message=("your data-dependent loop gives the right values, eagerly and inside "
                   "tf.while_loop, on fresh inputs")),
    Check("ps04_q2_tests", Q2_PROBE, q2_inputs, q2_verify,
          visibility="visible", points=3,
          message=("your data-dependent branch takes the right side on fresh inputs, in both "
                   "frameworks")),
]
