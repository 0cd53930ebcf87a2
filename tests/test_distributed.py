"""sidebyside.distributed: a real 2-process DDP step (gloo), its deadline and its clean-up."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from sidebyside import distributed

LR = 0.1


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 4)).astype(np.float32)
    Y = rng.standard_normal((12, 1)).astype(np.float32)
    weights = {"w1": 0.5 * rng.standard_normal((4, 3)), "b1": 0.1 * rng.standard_normal(3),
               "w2": 0.5 * rng.standard_normal((3, 1)), "b2": np.zeros(1)}
    return X, Y, {k: v.astype(np.float32) for k, v in weights.items()}


def full_batch_gradient(X, Y, weights):
    model = distributed.make_torch_model(weights)
    torch.nn.MSELoss()(model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
    return distributed.keras_layout(model, "grad")


def assert_no_children_left():
    alive = multiprocessing.active_children()  # also reaps any that have ended
    assert not alive, f"worker processes left running: {alive}"


def test_synced_gradient_is_the_full_batch_gradient(problem):
    X, Y, weights = problem
    results = distributed.run_ddp_step(X, Y, weights, LR, world_size=2, timeout=240)
    assert_no_children_left()
    full = full_batch_gradient(X, Y, weights)

    assert [r.rank for r in results] == [0, 1]
    assert results[0].indices == list(range(0, 12, 2))  # DistributedSampler deals rows out in turn
    assert results[1].indices == list(range(1, 12, 2))
    for name in distributed.PARAM_NAMES:
        local = [r.local_grads[name] for r in results]
        assert not np.allclose(local[0], full[name], atol=1e-4), "a shard's gradient is not the full one"
        np.testing.assert_allclose(np.mean(local, axis=0), full[name], atol=1e-6)
        for r in results:
            np.testing.assert_allclose(r.synced_grads[name], full[name], atol=1e-6, err_msg=name)
            np.testing.assert_allclose(r.params_after[name], weights[name] - LR * full[name],
                                       atol=1e-6, err_msg=name)
    assert set(results[0].seconds) == {"join the group", "synced step", "in the worker"}


def test_a_rank_that_never_arrives_hits_the_deadline_and_nothing_is_left(problem, tmp_path):
    X, Y, weights = problem
    # world_size 3 but only 2 processes: the rendezvous waits for a third rank that never comes.
    args = (3, str(tmp_path / "rendezvous"), X, Y, weights, LR, str(tmp_path))
    with pytest.raises(TimeoutError, match="were not done after 5 s"):
        distributed.launch(distributed.ddp_worker, args, nprocs=2, timeout=5)
    assert_no_children_left()


def test_a_failing_rank_reports_its_traceback_and_nothing_is_left(problem):
    X, Y, weights = problem
    wrong = dict(weights, w1=np.zeros((5, 3), np.float32))  # 5 inputs, but X has 4 columns
    with pytest.raises(mp.ProcessRaisedException, match="mat1 and mat2 shapes cannot be multiplied"):
        distributed.run_ddp_step(X, Y, wrong, LR, world_size=2, timeout=240)
    assert_no_children_left()


def test_bad_input_is_refused_before_any_process_starts(problem):
    X, Y, weights = problem
    with pytest.raises(ValueError, match="X has 12 rows but Y has 11"):
        distributed.run_ddp_step(X, Y[:11], weights, LR)
    with pytest.raises(ValueError, match="weights lacks"):
        distributed.run_ddp_step(X, Y, {"w1": weights["w1"]}, LR)


def test_the_loopback_interface_the_workers_use_is_found_here():
    # the workers point gloo at it (GLOO_SOCKET_IFNAME), so the ranks connect over loopback only
    assert distributed.loopback_interface() in ("lo", "lo0")  # Linux, macOS


def test_a_rank_aborted_after_its_result_keeps_the_step_and_one_aborted_before_fails(
        problem, monkeypatch):
    import ddp_aborting_worker as aborting

    X, Y, weights = problem
    monkeypatch.setattr(distributed, "ddp_worker", aborting.worker_that_aborts_after_its_result)
    results = distributed.run_ddp_step(X, Y, weights, LR, world_size=2, timeout=240)
    assert [r.rank for r in results] == [0, 1]
    for name, grad in full_batch_gradient(X, Y, weights).items():
        np.testing.assert_allclose(results[1].synced_grads[name], grad, rtol=1e-5, atol=1e-6)
    assert_no_children_left()
    monkeypatch.setattr(distributed, "ddp_worker", aborting.worker_that_aborts_before_its_result)
    with pytest.raises(mp.ProcessExitedException, match="SIGABRT"):
        distributed.run_ddp_step(X, Y, weights, LR, world_size=2, timeout=60)
    assert_no_children_left()
