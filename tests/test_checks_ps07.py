"""ps07's trusted checks accept a right training loop and reject the usual wrong ones, without a
sandbox: the "student results" here are computed in NumPy the right way and the wrong ways (the
sandboxed run of the real notebook is in test_grading_assignments.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sidebyside.grading.spec import load_checks
from sidebyside.notebooks import ROOT

CHECKS = load_checks(ROOT / "graded" / "checks" / "ps07_training.py")


def sgd(W, b, batches, lr, *, zero_grad=True, loss_after=False):
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    gW, gb, losses = 0.0, 0.0, []
    for x, y in batches:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        err = x @ W + b - y
        if not loss_after:
            losses.append(float(np.mean(err**2)))
        if zero_grad:
            gW, gb = 0.0, 0.0
        gW, gb = gW + 2 * x.T @ err / err.size, gb + 2 * err.sum(0) / err.size
        W, b = W - lr * gW, b - lr * gb
        if loss_after:
            losses.append(float(np.mean((x @ W + b - y) ** 2)))
    return losses, W, b


def step_result(inputs, **kwargs):
    losses, W, b = sgd(inputs["W"], inputs["b"], [(t["x"], t["y"]) for t in inputs["batches"]],
                       inputs["lr"], **kwargs)
    return {"losses": losses, "W": W.tolist(), "b": b.tolist()}


def epoch_result(inputs, *, plain_mean=False, drop_last=False):
    x, y, size = inputs["x"], inputs["y"], inputs["batch_size"]
    batches = [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]
    if drop_last:
        batches = batches[:-1]
    losses, W, b = sgd(inputs["W"], inputs["b"], batches, inputs["lr"])
    rows = [len(bx) for bx, _ in batches]
    loss = np.mean(losses) if plain_mean else np.dot(losses, rows) / sum(rows)
    return {"loss": float(loss), "W": W.tolist(), "b": b.tolist()}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("grade_id", ["ps07_q1_tests", "ps07_q2_tests"])
def test_step_check_accepts_the_right_step_and_rejects_wrong_ones(grade_id, seed):
    check = CHECKS[grade_id]
    inputs = check.inputs(np.random.default_rng(seed))
    check.verify(inputs, step_result(inputs))
    for wrong in ({"zero_grad": False}, {"loss_after": True}):
        with pytest.raises(AssertionError):
            check.verify(inputs, step_result(inputs, **wrong))
    with pytest.raises(AssertionError, match="malformed"):
        check.verify(inputs, {"losses": []})


@pytest.mark.parametrize("seed", range(5))
def test_epoch_check_wants_every_batch_and_the_rows_weighted_loss(seed):
    check = CHECKS["ps07_q3_tests"]
    inputs = check.inputs(np.random.default_rng(seed))
    assert len(inputs["x"]) % inputs["batch_size"] != 0, "the last batch must be smaller"
    check.verify(inputs, epoch_result(inputs))
    with pytest.raises(AssertionError, match="plain mean"):
        check.verify(inputs, epoch_result(inputs, plain_mean=True))
    with pytest.raises(AssertionError, match="every batch"):
        check.verify(inputs, epoch_result(inputs, drop_last=True))
