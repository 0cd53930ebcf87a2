"""Data parallelism with PyTorch's DistributedDataParallel on CPU processes (lesson 14).

`torch.multiprocessing.spawn` starts every worker in a fresh Python interpreter ("spawn"), which finds
the worker function again by its module and name. A function typed into a notebook cell has no module
a new interpreter can import, so the worker lives here, where the lesson prints its source.

One call of `run_ddp_step` does what a real data-parallel job does in each step, once:
1. start `world_size` processes and join them into one process group (gloo backend, CPU);
2. give each rank its shard of the data with `DistributedSampler`;
3. compute each rank's gradient on its shard, let DDP all-reduce (average) the gradients across ranks,
   and take one SGD step;
4. send every rank's numbers back to the caller, and always stop the processes, within a deadline.

Weights and gradients travel as NumPy arrays in Keras's layout (kernel = (inputs, outputs)), so the
lesson compares them with TensorFlow's directly. PyTorch stores a Linear weight as (outputs, inputs).
"""

from __future__ import annotations

import os
import pickle
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

# Parameter names, in Keras's layout: dense kernel (in, out) and bias, for the two layers.
PARAM_NAMES = ("w1", "b1", "w2", "b2")


def make_torch_model(weights: dict[str, np.ndarray]) -> nn.Module:
    """Linear -> tanh -> Linear, starting from the given weights (Keras layout)."""
    n_in, n_hidden = weights["w1"].shape
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, 1))
    with torch.no_grad():
        for layer, w, b in ((model[0], "w1", "b1"), (model[2], "w2", "b2")):
            layer.weight.copy_(torch.from_numpy(weights[w].T))  # torch keeps (out, in)
            layer.bias.copy_(torch.from_numpy(weights[b]))
    return model


def keras_layout(model: nn.Module, attribute: str) -> dict[str, np.ndarray]:
    """The model's parameters (attribute="data") or gradients ("grad") as Keras-layout arrays."""
    out = {}
    for layer, w, b in ((model[0], "w1", "b1"), (model[2], "w2", "b2")):
        out[w] = getattr(layer.weight, attribute).detach().numpy().T.copy()
        out[b] = getattr(layer.bias, attribute).detach().numpy().copy()
    return out


def loopback_interface() -> str | None:
    """The loopback network interface's name ("lo" on Linux, "lo0" on macOS), or None if unknown."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (AttributeError, OSError):  # if_nameindex is missing on some platforms
        return None
    return next((name for name in names if name in ("lo", "lo0")), None)


@dataclass
class RankResult:
    """What one rank saw and computed in one data-parallel step."""

    rank: int
    indices: list[int]  # the samples DistributedSampler gave this rank, in order
    local_grads: dict[str, np.ndarray]  # gradient of this rank's own loss (no all-reduce)
    synced_grads: dict[str, np.ndarray]  # after DDP's all-reduce: the same on every rank
    params_after: dict[str, np.ndarray]  # after one SGD step with the synced gradients
    seconds: dict[str, float]  # where this rank's time went, from the worker's first line on


def ddp_worker(rank, world_size, store_file, X, Y, weights, lr, out_dir):
    """One rank of the job. `spawn` calls it as ddp_worker(rank, *args) in a new process."""
    started = time.perf_counter()
    if loopback_interface():  # gloo connects the ranks over this interface: loopback only
        os.environ["GLOO_SOCKET_IFNAME"] = loopback_interface()
    torch.set_num_threads(1)  # the ranks share the machine's cores: one thread each
    # Rendezvous through a file every rank can see: no address, no port, nothing listening for it.
    dist.init_process_group("gloo", init_method=f"file://{store_file}", rank=rank,
                            world_size=world_size)
    try:
        # DDP copies rank 0's parameters to every rank when it wraps the model, so all start equal.
        model = DistributedDataParallel(make_torch_model(weights))
        joined = time.perf_counter()
        dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
        sampler = DistributedSampler(dataset, shuffle=False)  # world size and rank from the group
        loader = DataLoader(dataset, batch_size=len(sampler), sampler=sampler)  # one batch per rank
        xb, yb = next(iter(loader))
        loss_fn = nn.MSELoss()  # mean over this rank's rows

        with model.no_sync():  # for comparison only: backward without the all-reduce
            loss_fn(model(xb), yb).backward()
        local_grads = keras_layout(model.module, "grad")
        model.zero_grad()

        step_started = time.perf_counter()
        loss_fn(model(xb), yb).backward()  # DDP averages the gradients over all ranks in here
        torch.optim.SGD(model.parameters(), lr=lr).step()
        step_done = time.perf_counter()
        synced_grads = keras_layout(model.module, "grad")

        seconds = {"join the group": joined - started, "synced step": step_done - step_started,
                   "in the worker": step_done - started}
        result = RankResult(rank, list(sampler), local_grads, synced_grads,
                            keras_layout(model.module, "data"), seconds)
        Path(out_dir, f"rank{rank}.pickle").write_bytes(pickle.dumps(result))
    finally:
        dist.destroy_process_group()


def stop(processes, grace: float = 5.0) -> None:
    """End every process still alive: SIGTERM, then SIGKILL after `grace` seconds. Reaps them all."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(grace)
        if process.is_alive():
            process.kill()
            process.join()


def launch(fn, args: tuple, nprocs: int, timeout: float) -> None:
    """Run fn(rank, *args) in `nprocs` spawned processes; return when all succeed.

    Raises TimeoutError when they are not done within `timeout` seconds, and
    torch.multiprocessing's ProcessRaisedException (with the rank's traceback) when one fails.
    Either way no process outlives this call.
    """
    context = mp.spawn(fn, args=args, nprocs=nprocs, join=False)
    deadline = time.monotonic() + timeout
    try:
        while not context.join(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{nprocs} worker processes were not done after {timeout:g} s; "
                                   "they have been stopped")
    finally:
        stop(context.processes)


def run_ddp_step(X: np.ndarray, Y: np.ndarray, weights: dict[str, np.ndarray], lr: float, *,
                 world_size: int = 2, timeout: float = 60.0) -> list[RankResult]:
    """One data-parallel SGD step of `make_torch_model(weights)` on (X, Y); one result per rank."""
    X, Y = np.asarray(X, np.float32), np.asarray(Y, np.float32)
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} rows but Y has {len(Y)}")
    missing = [name for name in PARAM_NAMES if name not in weights]
    if missing:
        raise ValueError(f"weights lacks {missing}; expected {list(PARAM_NAMES)}")
    weights = {name: np.asarray(weights[name], np.float32) for name in PARAM_NAMES}
    with tempfile.TemporaryDirectory(prefix="ddp-") as tmp:
        store_file = Path(tmp, "rendezvous")  # must not exist yet: the first rank creates it
        results = [Path(tmp, f"rank{rank}.pickle") for rank in range(world_size)]
        try:
            launch(ddp_worker, (world_size, str(store_file), X, Y, weights, lr, tmp),
                   nprocs=world_size, timeout=timeout)
        except mp.ProcessExitedException as died:
            # gloo can abort a rank from its own I/O thread while the group is torn down
            # ("connection closed by peer"), after the rank has written its result: seen once in
            # a loaded test run. Every result written means the step itself completed.
            if died.signal_name is None or not all(path.exists() for path in results):
                raise
        return [pickle.loads(path.read_bytes()) for path in results]
