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


SOLUTION = '''
def log_softmax_torch(x):
    shifted = x - x.max(dim=1, keepdim=True).values.detach()
    return shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))  # not log_softmax


def log_softmax_tf(x):
    """Unlike tf.nn.log_softmax, written out."""
    shifted = x - tf.stop_gradient(tf.reduce_max(x, axis=1, keepdims=True))
    return shifted - tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=1, keepdims=True))
'''

FRAMEWORK_CALLS = [
    "def log_softmax_torch(x):\n    return torch.log_softmax(x, dim=1)",
    "def log_softmax_torch(x):\n    return x.log_softmax(1)",
    "import torch.nn.functional as F\ndef log_softmax_torch(x):\n    return F.log_softmax(x, 1)",
    "from torch.nn.functional import log_softmax as ls\ndef log_softmax_torch(x):\n    return ls(x, 1)",
    "def log_softmax_torch(x):\n    return torch.nn.LogSoftmax(dim=1)(x)",
    "def log_softmax_tf(x):\n    return tf.nn.log_softmax(x, axis=1)",
    "%time _ = 1\ndef log_softmax_tf(x):\n    return tf.math.log_softmax(x)",
    "def log_softmax_torch(x):\n    return getattr(torch, 'log_softmax')(x, 1)",
]


@pytest.mark.parametrize("cell", FRAMEWORK_CALLS)
def test_framework_log_softmax_is_refused_on_the_source(cell):
    """Values alone cannot tell torch.log_softmax from the identity: the rule reads the code."""
    check = CHECKS["ps09_q1_tests"]
    with pytest.raises(AssertionError, match="log_softmax|LogSoftmax"):
        check.source_rule(["import torch", SOLUTION, cell])


def test_written_out_log_softmax_passes_the_rule_and_the_grader_applies_it():
    import nbformat

    from sidebyside.grading.grader import _verify
    from sidebyside.grading.notebook import load_assignment

    check = CHECKS["ps09_q1_tests"]
    check.source_rule([SOLUTION, "x = 1  # log_softmax would be shorter"])
    release = ROOT / "graded" / "release" / "ps09_debugging" / "ps09_debugging.ipynb"
    cells = [c.source for c in nbformat.read(release, as_version=4).cells if c.cell_type == "code"]
    check.source_rule(cells)  # the instructor's own cells break no rule
    assignment = load_assignment(ROOT / "graded", "ps09_debugging")
    inputs = check.inputs(np.random.default_rng(0))
    right = softmax_result(inputs)  # torch.log_softmax gives exactly these values
    assert _verify(assignment, "ps09_q1_tests", 4, inputs, right, [SOLUTION]).score == 4
    caught = _verify(assignment, "ps09_q1_tests", 4, inputs, right, [FRAMEWORK_CALLS[0]])
    assert caught.score == 0 and "log_softmax" in caught.message
