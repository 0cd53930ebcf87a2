"""ps09's trusted checks accept the fixes and reject the original bugs, without a sandbox: the
"student results" are computed in NumPy the right way and the broken ways (the sandboxed run of the
real notebook is in test_grading_assignments.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sidebyside.grading.spec import load_checks
from sidebyside.notebooks import ROOT

CHECKS = load_checks(ROOT / "graded" / "checks" / "ps09_debugging.py")


def softmax_result(inputs, *, naive=False):
    x = np.asarray(inputs["x"], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if naive:
            out = np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True))
        else:
            s = x - x.max(1, keepdims=True)
            out = s - np.log(np.exp(s).sum(1, keepdims=True))
    finite = bool(np.all(np.isfinite(out)))
    return {"torch": out.tolist(), "tf": out.tolist(), "torch_grad_finite": finite,
            "tf_grad_finite": finite}


@pytest.mark.parametrize("seed", range(5))
def test_nan_check(seed):
    check = CHECKS["ps09_q1_tests"]
    inputs = check.inputs(np.random.default_rng(seed))
    check.verify(inputs, softmax_result(inputs))
    with pytest.raises(AssertionError, match="NaN or infinity"):
        check.verify(inputs, softmax_result(inputs, naive=True))
    fine_values_bad_grad = {**softmax_result(inputs), "tf_grad_finite": False}
    with pytest.raises(AssertionError, match="gradient"):
        check.verify(inputs, fine_values_bad_grad)


@pytest.mark.parametrize("seed", range(5))
def test_shape_check(seed):
    check = CHECKS["ps09_q2_tests"]
    inputs = check.inputs(np.random.default_rng(seed))
    pred, y = np.asarray(inputs["pred"]), np.asarray(inputs["y"])
    right, broadcast = float(np.mean((pred[:, 0] - y) ** 2)), float(np.mean((pred - y) ** 2))
    check.verify(inputs, {"torch": right, "tf": right})
    with pytest.raises(AssertionError, match="broadcasts"):
        check.verify(inputs, {"torch": right, "tf": broadcast})
    with pytest.raises(AssertionError, match="one number"):
        check.verify(inputs, {"torch": (pred[:, 0] - y).tolist(), "tf": right})


def test_retrace_check():
    check = CHECKS["ps09_q3_tests"]
    inputs = check.inputs(np.random.default_rng(0))
    outputs = [(np.asarray(c["x"]) * c["factor"]).tolist() for c in inputs["calls"]]
    once = {"is_tf_function": True, "outputs": outputs, "new_traces": 1, "traces": 1}
    check.verify(inputs, once)
    with pytest.raises(AssertionError, match="traced 4 times"):
        check.verify(inputs, {**once, "new_traces": 4, "traces": 4})
    with pytest.raises(AssertionError, match="tf.function"):
        check.verify(inputs, {**once, "is_tf_function": False})
    with pytest.raises(AssertionError, match="call 2"):
        check.verify(inputs, {**once, "outputs": [outputs[0], [0.0] * len(outputs[1])] + outputs[2:]})
