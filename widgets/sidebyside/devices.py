"""Devices, chosen the same way in both frameworks.

"GPU if present, else CPU" must mean the same physical device for torch and TensorFlow, so the
choice is made once (`preferred_device_kind`) and translated for each framework.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

COMPILE_BACKEND_ENV = "SIDEBYSIDE_COMPILE_BACKEND"


def torch_gpu_kind() -> str | None:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return None


def tf_gpu_count() -> int:
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def preferred_device_kind() -> str:
    """'cuda' or 'mps' when torch sees a GPU, else 'cpu'.

    TensorFlow has no MPS backend in the pinned build, and the CPU-only wheel sees no CUDA GPU; in both
    cases `tf_device` falls back to the CPU and the banner says so, so learners see the mismatch.
    """
    return torch_gpu_kind() or "cpu"


def torch_device(kind: str):
    import torch

    return torch.device("cuda:0" if kind == "cuda" else kind)


def tf_device(kind: str) -> str:
    if kind == "cuda" and tf_gpu_count() > 0:
        return "/GPU:0"
    return "/CPU:0"


def configure_tensorflow(*, threads: int, logical_cpus: int = 0, log_device_placement: bool = False):
    """Settings TF accepts only before its runtime starts. Returns what could not be applied."""
    import tensorflow as tf

    skipped = []
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    except RuntimeError:
        skipped.append("threads")  # the runtime already started: a second setup() in one kernel
    if logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(logical_cpus)]
            )
        except RuntimeError:
            skipped.append("logical_cpus")
    if log_device_placement:
        tf.debugging.set_log_device_placement(True)
    for gpu in tf.config.list_physical_devices("GPU"):
        try:  # take GPU memory as needed, not all of it up front (shared classroom GPUs)
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            skipped.append("memory_growth")
    return skipped


@functools.cache
def cxx_compiler_works() -> tuple[bool, str]:
    """Can inductor build its C++ kernels here? Returns (ok, explanation).

    Inductor needs a C++ compiler and Python's headers. A tiny test build answers in well under a second,
    where a real torch.compile would take many seconds.
    """
    cxx = os.environ.get("CXX") or next(
        (c for c in ("g++", "c++", "clang++") if shutil.which(c)), None
    )
    if cxx is None:
        return False, "no C++ compiler (g++, c++ or clang++) on PATH"
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").exists():
        return False, f"Python headers missing ({include}/Python.h)"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe.cpp")
        src.write_text('#include <Python.h>\nextern "C" int probe() { return 42; }\n')
        cmd = [cxx, "-shared", "-fPIC", "-O0", f"-I{include}", str(src), "-o", str(Path(tmp, "p.so"))]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
            return False, f"{cxx} failed a test build: {err}"
    return True, f"{cxx} builds extensions"


def compile_backend() -> str:
    """The torch.compile backend lessons use: inductor where it can build, else aot_eager."""
    forced = os.environ.get(COMPILE_BACKEND_ENV)
    if forced:
        return forced
    ok, _ = cxx_compiler_works()
    return "inductor" if ok else "aot_eager"
