"""Self-checks for course/18_training_utilities.ipynb.

Each check runs the learner's function on a real PyTorch model and compares what it does with the
right behaviour, so any spelling that behaves right passes; the hints name the classic bugs: a
forgotten `eval()`, a mode not restored, a `state_dict` that still shares memory with the model, a
checkpoint without the optimizer state.
"""

import copy
import tempfile
from pathlib import Path

import numpy as np

from sidebyside.selfcheck import exercise

# --- Q1: predict(model, x) in inference mode, leaving the mode as it was -----------------------------


def _q1_net():
    import torch
    from torch import nn

    torch.manual_seed(18)
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
    with torch.no_grad():  # give BatchNorm running statistics that differ from any one batch's
        for seed in range(3):
            net(torch.randn(32, 4, generator=torch.Generator().manual_seed(seed)) * 2 + 1)
    return net


def _q1_solution():
    import torch

    def predict(model, x):
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(x)
        model.train(was_training)
        return out

    return (predict,)


def _q1_wrong():
    import torch

    def no_eval(model, x):
        return model(x)

    def no_grad_only(model, x):  # no_grad stops the graph, not dropout or BatchNorm's batch statistics
        with torch.no_grad():
            return model(x)

    def not_restored(model, x):
        model.eval()
        with torch.no_grad():
            return model(x)

    def always_back_to_train(model, x):  # wrong when the model was in eval mode already
        model.eval()
        with torch.no_grad():
            out = model(x)
        model.train()
        return out

    return [(no_eval,), (no_grad_only,), (not_restored,), (always_back_to_train,)]


@exercise("course18.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: eval() for the call (no dropout, BatchNorm's running statistics, which stay "
                  "as they are), then model.train(was_training) puts the mode back.",
          hints=["Remember model.training before you call model.eval(), and hand it to model.train() "
                 "afterwards."])
def q1(predict):
    import torch

    assert callable(predict), "predict should be a function, e.g. def predict(model, x): ..."
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(7)) * 2 + 1
    for start_training in (True, False):
        net = _q1_net().train(start_training)
        before = copy.deepcopy(net.state_dict())
        reference = copy.deepcopy(net).eval()
        with torch.no_grad():
            want = reference(x)
        got = predict(net, x)
        got = torch.as_tensor(np.asarray(got.detach() if hasattr(got, "detach") else got, dtype=np.float32))
        assert got.numel() == want.numel(), f"predict should return {want.numel()} outputs, not {got.numel()}."
        stats_moved = not all(torch.equal(before[k], v) for k, v in net.state_dict().items())
        if stats_moved or not torch.allclose(got.reshape(want.shape), want, atol=1e-6):
            raise AssertionError(
                "these are not the inference-mode outputs: with the model in training mode, dropout zeroes "
                "random units and BatchNorm uses (and updates) the batch's statistics. torch.no_grad() does "
                "not change that; model.eval() does.")
        mode = "training" if start_training else "eval"
        assert net.training == start_training, (
            f"the model was in {mode} mode before predict and is not any more: put the mode back as you "
            "found it (model.train(was_training)).")


# --- Q2: snapshot(model): a state_dict copy that later training does not change ---------------------


def _q2_model():
    import torch
    from torch import nn

    torch.manual_seed(2)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))


def _q2_solution():
    return (lambda model: copy.deepcopy(model.state_dict()),)


def _q2_wrong():
    return [
        (lambda model: model.state_dict(),),  # the live tensors
        (lambda model: dict(model.state_dict()),),  # a new dict, the same tensors
        (lambda model: {k: v.detach() for k, v in model.state_dict().items()},),  # detach shares memory
        (lambda model: {k: v.clone() for k, v in model.named_parameters()},),  # BatchNorm's buffers missing
    ]


@exercise("course18.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: copy.deepcopy(model.state_dict()) (or clone() every tensor of it), buffers "
                  "such as BatchNorm's running statistics included.",
          hints=["model.state_dict() returns the model's own tensors: whatever training does to the model "
                 "happens to them too."])
def q2(snapshot):
    import torch

    assert callable(snapshot), "snapshot should be a function, e.g. def snapshot(model): ..."
    model = _q2_model()
    original = {k: v.clone() for k, v in model.state_dict().items()}
    snap = snapshot(model)
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    y = torch.randn(16, 1, generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    missing = sorted(set(original) - set(snap.keys()))
    assert not missing, (f"the snapshot misses {missing}: buffers such as BatchNorm's running statistics are in "
                         "model.state_dict(), not in model.parameters().")
    model.load_state_dict(snap)
    for name, value in original.items():
        assert torch.equal(model.state_dict()[name], value), (
            f"after 3 more training steps, loading your snapshot does not bring back {name}: the snapshot "
            "still shares memory with the model (detach() and dict() do too). Copy the tensors.")


# --- Q3: save and resume a checkpoint, model and optimizer --------------------------------------------


def _q3_model(seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def _q3_train(model, optimizer, first_step, steps):
    import torch

    for step in range(first_step, first_step + steps):  # batch `step` is always the same batch
        g = torch.Generator().manual_seed(step)
        x, y = torch.randn(16, 4, generator=g), torch.randn(16, 1, generator=g)
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


def _q3_run(save, resume):
    """(uninterrupted model, resumed model, step returned by resume)."""
    import torch

    uninterrupted = _q3_model(3)
    _q3_train(uninterrupted, torch.optim.Adam(uninterrupted.parameters(), lr=0.05), 0, 6)
    model = _q3_model(3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    _q3_train(model, optimizer, 0, 3)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.pt"
        save(path, model, optimizer, 3)
        del model, optimizer
        resumed = _q3_model(99)  # a fresh start: other weights, a new Adam
        optimizer = torch.optim.Adam(resumed.parameters(), lr=0.05)
        step = resume(path, resumed, optimizer)
    return uninterrupted, resumed, optimizer, step


def _q3_solution():
    import torch

    def save(path, model, optimizer, step):
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}, path)

    def resume(path, model, optimizer):
        state = torch.load(path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        return state["step"]

    return save, resume


def _q3_wrong():
    import torch

    save, resume = _q3_solution()

    def save_model_only(path, model, optimizer, step):
        torch.save({"model": model.state_dict(), "step": step}, path)

    def resume_model_only(path, model, optimizer):
        state = torch.load(path)
        model.load_state_dict(state["model"])
        return state["step"]

    def resume_one_step_late(path, model, optimizer):
        return resume(path, model, optimizer) + 1

    def resume_then_reset_lr(path, model, optimizer):
        step = resume(path, model, optimizer)
        for group in optimizer.param_groups:  # "the configured rate" overwrites the checkpoint's
            group["lr"] = 0.01
        return step

    def save_objects(path, model, optimizer, step):
        torch.save({"model": model, "optimizer": optimizer, "step": step}, path)

    def resume_by_rebinding(path, model, optimizer):  # the caller's model never sees the weights
        state = torch.load(path, weights_only=False)
        model, optimizer = state["model"], state["optimizer"]  # noqa: F841 (the bug: local names only)
        return state["step"]

    return [
        (save_model_only, resume_model_only),
        (save, resume_model_only),  # saved, but never loaded
        (save, resume_one_step_late),
        (save, resume_then_reset_lr),
        (save_objects, resume_by_rebinding),
    ]


@exercise("course18.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: model and optimizer state_dicts and the step in one torch.save; load_state_dict "
                  "into both fresh objects, and training continues bit for bit.",
          hints=["Adam keeps two running averages per weight and a step count: without them the first "
                 "steps after the restart are different steps."])
def q3(save, resume):
    import torch

    assert callable(save) and callable(resume), (
        "save and resume should be functions: def save(path, model, optimizer, step): ... and "
        "def resume(path, model, optimizer): ... return step")
    uninterrupted, resumed, optimizer, step = _q3_run(save, resume)
    assert isinstance(step, (int, np.integer, torch.Tensor)) and int(step) == 3, (
        f"resume returned {step!r}: it should return the step saved with the checkpoint (3 here), the first "
        "step still to run.")
    fresh = _q3_model(99)
    if all(torch.equal(p, q) for p, q in zip(resumed.parameters(), fresh.parameters())):
        raise AssertionError("the model passed to resume still has its own fresh weights: load the saved "
                             "weights into it with model.load_state_dict (rebinding the name model inside "
                             "resume changes nothing outside it).")
    if not optimizer.state_dict()["state"]:
        raise AssertionError("the optimizer passed to resume is still empty: save optimizer.state_dict() "
                             "and load it with optimizer.load_state_dict, or Adam restarts from zero.")
    _q3_train(resumed, optimizer, int(step), 3)
    assert all(torch.equal(p, q) for p, q in zip(resumed.parameters(), uninterrupted.parameters())), (
        "after resuming and 3 more steps the weights differ from 6 steps without a break: is everything the "
        "next step reads (weights, optimizer state and settings such as the learning rate, step) saved, "
        "loaded, and left as loaded?")


# --- Q4: a PyTorch per-epoch schedule, translated to a Keras schedule ----------------------------------

_Q4_CASES = ((0.1, 5, 4), (0.02, 3, 7))  # (learning rate, epochs, batches per epoch)


def _torch_epoch_rates(lr, epochs):
    """The rate each epoch of CosineAnnealingLR(T_max=epochs), stepped once per epoch, uses."""
    import torch

    sgd = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=epochs)
    rates = []
    for _ in range(epochs):
        rates.append(sgd.param_groups[0]["lr"])
        sgd.step()
        scheduler.step()
    return np.array(rates)


def _q4_solution():
    import keras

    return (lambda lr, epochs, steps_per_epoch:
            keras.optimizers.schedules.CosineDecay(lr, decay_steps=epochs * steps_per_epoch),)


def _q4_wrong():
    import keras

    def cosine(lr, decay_steps):
        return keras.optimizers.schedules.CosineDecay(lr, decay_steps=decay_steps)

    return [
        (lambda lr, epochs, steps_per_epoch: cosine(lr, epochs),),  # T_max copied literally: epochs as steps
        (lambda lr, epochs, steps_per_epoch: cosine(lr, steps_per_epoch),),  # one epoch long
        (lambda lr, epochs, steps_per_epoch: cosine(lr, epochs * steps_per_epoch - 1),),  # off by one step
        (lambda lr, epochs, steps_per_epoch: cosine(lr, (epochs + 1) * steps_per_epoch),),  # one epoch too long
    ]


@exercise("course18.q4", solution=_q4_solution, wrong_answers=_q4_wrong,
          success="Right: a Keras schedule counts batches (optimizer.iterations), so T_max=epochs becomes "
                  "decay_steps=epochs * steps_per_epoch; every epoch starts at PyTorch's rate.",
          hints=["A Keras schedule is called with optimizer.iterations, the number of batches seen so far."])
def q4(keras_schedule):
    assert callable(keras_schedule), (
        "keras_schedule should be a function, e.g. def keras_schedule(lr, epochs, steps_per_epoch): ...")
    for lr, epochs, steps_per_epoch in _Q4_CASES:
        schedule = keras_schedule(lr, epochs, steps_per_epoch)
        assert callable(schedule), "return a schedule: a callable of the step, e.g. a keras.optimizers.schedules object"
        want = _torch_epoch_rates(lr, epochs)
        got = np.array([float(schedule(epoch * steps_per_epoch)) for epoch in range(epochs)])
        if epochs > 2 and np.all(got[2:] == got[-1]) and got[-1] < want[-1] * 0.5:
            raise AssertionError(
                f"with {epochs} epochs of {steps_per_epoch} batches your rate is already {got[-1]:.4g} by the "
                "third epoch: the decay ends too soon. Does decay_steps count epochs or batches?")
        assert np.allclose(got, want, rtol=1e-5, atol=1e-8), (
            f"lr={lr}, {epochs} epochs of {steps_per_epoch} batches: at the start of each epoch PyTorch uses "
            f"{np.round(want, 5).tolist()}, your schedule {np.round(got, 5).tolist()}.")
