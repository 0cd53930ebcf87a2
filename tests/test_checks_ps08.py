"""ps08's trusted checks accept a real round trip and reject the shortcuts, without a sandbox (the
sandboxed run of the real notebook is in test_grading_assignments.py; the probes run for real on
the shortcuts, a pickle round trip and a Keras copy, in test_grading_regrade.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sidebyside.grading.spec import load_checks
from sidebyside.notebooks import ROOT

CHECKS = load_checks(ROOT / "graded" / "checks" / "ps08_saving.py")


def reference(inputs):
    W1, b1, W2, b2 = (np.asarray(inputs[k]) for k in ("W1", "b1", "W2", "b2"))
    return (np.maximum(np.asarray(inputs["x"]) @ W1 + b1, 0) @ W2 + b2).tolist()


def zeroed(inputs):  # what the original model answers once its weights are zeroed
    return np.zeros((len(inputs["x"]), len(inputs["b2"]))).tolist()


@pytest.mark.parametrize("seed", range(3))
def test_torch_round_trip_check(seed):
    check = CHECKS["ps08_q1_tests"]
    inputs = check.inputs(np.random.default_rng(seed))
    good = {"file": True, "same_object": False, "output": reference(inputs), "program": True,
            "graph_module": True, "saved_output": reference(inputs)}
    check.verify(inputs, good)
    # torch.save(model) + torch.load(weights_only=False): right values, but no exported program
    pickled = {**good, "program": False, "saved_output": None, "graph_module": False}
    with pytest.raises(AssertionError, match="not an exported program"):
        check.verify(inputs, pickled)
    with pytest.raises(AssertionError, match="copy of the original model"):
        check.verify(inputs, {**good, "graph_module": False})
    with pytest.raises(AssertionError, match="loaded by the checker"):
        check.verify(inputs, {**good, "saved_output": zeroed(inputs)})
    with pytest.raises(AssertionError, match="did not save"):
        check.verify(inputs, {**good, "file": False})
    with pytest.raises(AssertionError, match="original model"):
        check.verify(inputs, {**good, "same_object": True, "output": zeroed(inputs)})
    with pytest.raises(AssertionError, match="weights zeroed"):
        check.verify(inputs, {**good, "output": zeroed(inputs)})


@pytest.mark.parametrize("seed", range(3))
def test_savedmodel_and_serving_checks(seed):
    q2, q3 = CHECKS["ps08_q2_tests"], CHECKS["ps08_q3_tests"]
    inputs = q2.inputs(np.random.default_rng(seed))
    good = {"file": True, "output": reference(inputs), "saved_output": reference(inputs)}
    q2.verify(inputs, good)
    with pytest.raises(AssertionError, match="SavedModel"):
        q2.verify(inputs, {**good, "file": False})
    with pytest.raises(AssertionError, match="could not load"):
        q2.verify(inputs, {**good, "saved_output": None})
    # a Keras copy answers from the weights it held in memory, not from the SavedModel
    with pytest.raises(AssertionError, match="not from a copy of the Keras model"):
        q2.verify(inputs, {**good, "output": zeroed(inputs)})
    q3.verify(inputs, {"is_numpy": True, "served": reference(inputs)})
    with pytest.raises(AssertionError, match="NumPy"):
        q3.verify(inputs, {"is_numpy": False, "served": reference(inputs)})
    with pytest.raises(AssertionError, match="error"):
        q3.verify(inputs, {"is_numpy": True, "served": None})
