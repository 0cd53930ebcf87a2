"""The course's GPU paths, run for real where a CUDA GPU exists (skipped elsewhere), plus checks of
the torch-half runner that any machine can do.

On a GPU machine: `SIDEBYSIDE_GPU_REPORT=DIR pytest tests/test_gpu_paths.py` also writes each
notebook's PyTorch-half output (what the GPU cells printed) to DIR. Such a machine may have a CUDA
torch and no TensorFlow: nothing here needs TensorFlow (see tests/torch_half.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

from torch_half import run_torch_half, without_tensorflow

ROOT = Path(__file__).resolve().parent.parent
GPU_NOTEBOOKS = [
    "course/05_devices.ipynb",
    "course/12_data_pipelines.ipynb",
    "course/13_mixed_precision.ipynb",
    "course/14_distributed_basics.ipynb",
    "labs/03_device_placement.ipynb",
    "labs/05_benchmark_eager_vs_graph.ipynb",
    "graded/source/ps05_devices/ps05_devices.ipynb",
]
# What a `gpu` cell prints when it takes its no-GPU branch.
NO_GPU_WORDS = ("No CUDA GPU", "no CUDA GPU", "No GPU here", "no GPU here")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


# ---- the runner, on any machine ------------------------------------------------------------------
def test_without_tensorflow_keeps_torch_and_drops_tensorflow():
    cell = (
        "import tensorflow as tf\n"
        "import torch\n"
        "from sidebyside.bench import time_all, wait_tf, wait_torch\n"
        "x = torch.ones(2)\n"
        "y = tf.ones(2)\n"
        "same = x_tf == y\n"
        "def helper():\n    return torch.zeros(1)\n"
    )
    assert without_tensorflow(cell) == (
        "import torch\n"
        "from sidebyside.bench import time_all, wait_torch\n"
        "x = torch.ones(2)\n"
        "def helper():\n    return torch.zeros(1)"
    )


def test_torch_half_of_the_devices_lesson_runs_here():
    """The runner itself, on whatever device this machine has: every PyTorch cell of lesson 05 runs
    without error and its `gpu` cell prints the branch that matches this machine."""
    run = run_torch_half(ROOT / "course/05_devices.ipynb")
    assert not run.errors, run.report()
    gpu_cells = [c for c in run.cells if "gpu" in c.tags and "pytorch" in c.tags]
    assert gpu_cells, "lesson 05 has no PyTorch gpu cell any more"
    fell_back = any(w in c.output for c in gpu_cells for w in NO_GPU_WORDS)
    assert fell_back == (not torch.cuda.is_available()), run.report()


# ---- on a CUDA GPU ------------------------------------------------------------------------------
@needs_cuda
@pytest.mark.parametrize("notebook", GPU_NOTEBOOKS)
def test_pytorch_half_runs_on_the_gpu(notebook):
    run = run_torch_half(ROOT / notebook)
    report = os.environ.get("SIDEBYSIDE_GPU_REPORT")
    if report:
        Path(report).mkdir(parents=True, exist_ok=True)
        (Path(report) / (Path(notebook).stem + ".txt")).write_text(run.report() + "\n")
    assert run.device == "cuda:0"
    torch_errors = [c for c in run.errors if c.kind == "torch"]
    assert not torch_errors, run.report()
    # A shared cell may miss a name only TensorFlow's half defines, or a module this machine lacks
    # (the widget stack); nothing else may go wrong.
    other = [
        c
        for c in run.errors
        if not c.error.strip().splitlines()[-1].startswith(("NameError", "ModuleNotFoundError"))
    ]
    assert not other, run.report()
    for cell in run.cells:
        if "gpu" in cell.tags and cell.kind == "torch":
            assert not any(w in cell.output for w in NO_GPU_WORDS), (cell.index, cell.output)


@pytest.fixture(scope="module")
def resnet():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from real_models import resnet18_torch

    torch.manual_seed(0)
    return resnet18_torch()


# Autograd names the kernel that ran: on a GPU, batch norm runs cuDNN's. Same op, same module.
CUDA_KERNEL_NAMES = {"CudnnBatchNormBackward0": "NativeBatchNormBackward0"}


def op_signature(graph) -> list:
    return sorted(
        (CUDA_KERNEL_NAMES.get(n.op, n.op), n.group or "") for n in graph.nodes if n.kind == "op"
    )


@needs_cuda
@pytest.mark.parametrize("adapter", ["autograd", "fx", "export", "compile"])
def test_capture_on_the_gpu_matches_the_cpu(resnet, adapter):
    """Every PyTorch adapter sees the same ops, in the same module groups, on cuda:0 as on the CPU,
    and the nodes say which device they ran on."""
    import torch._dynamo

    from sidebyside.devices import compile_backend
    from sidebyside.graph import compile_capture, from_autograd, from_export, from_fx

    model, x = resnet
    model.eval()

    def capture(device):
        m, inp = model.to(device), x.to(device)
        if adapter == "autograd":
            return from_autograd(m, inp)
        if adapter == "fx":
            return from_fx(m, inp)
        if adapter == "export":
            return from_export(m, (inp,))
        torch._dynamo.reset()
        # On the GPU, the backend lessons use (inductor, so Triton kernels are built and run).
        cc = compile_capture(m, backend=compile_backend() if device == "cuda" else "eager")
        with torch.no_grad():
            out, expected = cc(inp), m(inp)
        torch.testing.assert_close(out, expected, rtol=1e-3, atol=1e-3)
        return cc.graphs[0]

    on_cpu, on_gpu = capture("cpu"), capture("cuda")
    assert op_signature(on_gpu) == op_signature(on_cpu)
    devices = {n.device for n in on_gpu.nodes if n.device}
    if devices:  # adapters that record devices must say cuda, never cpu, for this model
        assert all(d.startswith("cuda") for d in devices), devices


@needs_cuda
def test_live_recording_on_the_gpu(resnet):
    from sidebyside.graph import record_torch

    model, x = resnet
    counts = {}
    for device in ("cpu", "cuda"):
        m, inp = model.to(device), x.to(device)
        with record_torch(module=m) as g:
            m(inp).sum().backward()
        counts[device] = g.node_count
    assert counts["cuda"] == counts["cpu"] > 0, counts
