"""Kernel set-up: the first code cell of every notebook calls `setup()`.

One call does, in an order that matters:
1. quiets TensorFlow's C++ and absl logging (environment variables must be set before the import);
2. imports torch, then TensorFlow (this order is safe for the pinned versions; see FIELD-NOTES);
3. configures TF threads, logical CPU devices and placement logging, which TF accepts only before its
   runtime starts (the first op);
4. seeds Python, NumPy, torch, TF and Keras;
5. chooses one device with the same meaning in both frameworks: the first GPU if any, else the CPU;
6. prints a short banner (three lines that fit a projector).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import random
import warnings
from dataclasses import dataclass, field

from sidebyside import devices

DEFAULT_SEED = 0
BANNER_WIDTH = 72  # characters per banner line; see KernelEnv.banner


class MissingFrameworkError(ImportError):
    """A framework the course needs cannot be imported."""


def quiet_tensorflow_logs() -> None:
    """Silence TF's C++ (fd-level) and absl logs. Effective only before `import tensorflow`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++: errors only through the status API
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # no "oneDNN custom operations" banner
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"tensorflow.*|keras.*|tf_keras.*")


def import_framework(name: str):
    """Import a framework, or raise MissingFrameworkError with the fix in the message."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise MissingFrameworkError(
            f"{name} is not importable in this kernel ({err}). The course needs both torch and "
            "tensorflow: run `make lab` from the repository root (it installs the pinned versions), "
            "or `pip install -e .` in this environment, then restart the kernel."
        ) from err


def thread_count() -> int:
    """Cores this process may run on (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def seed_everything(seed: int) -> None:
    """Seed every random generator a notebook may touch, in both frameworks."""
    import keras
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TF's global generator too


@dataclass
class KernelEnv:
    """What `setup()` chose. Notebooks read these instead of probing devices themselves."""

    seed: int
    threads: int
    device_kind: str  # "cuda", "mps" or "cpu"; the same choice for both frameworks
    torch_device: object  # torch.device
    tf_device: str  # "/GPU:0" or "/CPU:0"
    compile_backend: str  # "inductor" or "aot_eager"
    versions: dict = field(default_factory=dict)

    @property
    def has_gpu(self) -> bool:
        return self.device_kind in ("cuda", "mps")

    def reseed(self, seed: int | None = None) -> None:
        """Reset every generator, e.g. before a PyTorch/TensorFlow cell pair that draws numbers."""
        seed_everything(self.seed if seed is None else seed)

    def banner(self) -> str:
        """Three short lines, broken between fields, never inside one.

        Each line stays under BANNER_WIDTH characters so that a projector at 1280 px, with the file
        browser open and the page zoomed, shows whole words (one long line wrapped mid-word there).
        """
        v = self.versions
        where = {"cuda": "GPU (CUDA)", "mps": "GPU (Apple MPS)", "cpu": "CPU (no GPU found)"}
        lines = [
            f"sidebyside {v.get('sidebyside')} | torch {v.get('torch')} | "
            f"tensorflow {v.get('tensorflow')} | keras {v.get('keras')}",
            f"device: {where[self.device_kind]} -> torch {self.torch_device}, tf {self.tf_device}",
            f"torch.compile backend: {self.compile_backend} | seed {self.seed} | "
            f"threads {self.threads}",
        ]
        return "\n".join(lines)


def setup(
    seed: int = DEFAULT_SEED,
    *,
    threads: int | None = None,
    log_device_placement: bool = False,
    logical_cpus: int = 0,
    quiet: bool = False,
) -> KernelEnv:
    """Prepare this kernel for a side-by-side notebook and print a short banner.

    log_device_placement and logical_cpus only take effect before TensorFlow runs its first op,
    which is why they are arguments here rather than separate calls later.
    """
    import sidebyside

    quiet_tensorflow_logs()
    threads = threads or thread_count()
    if threads <= 2:
        # On a small machine inductor's pool of compile workers costs more to start than it saves,
        # and its workers compete with the kernel for the same cores (measured in labs/05).
        os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
    # Importing both frameworks creates millions of objects that live as long as the kernel, and
    # Python's cyclic collector walks them hundreds of times on the way: about 1 s of the 5 s of CPU
    # the two imports take. So it pauses for the imports, and afterwards everything that exists is
    # frozen (gc.freeze), which also makes every later full collection in the kernel ~10x cheaper.
    collecting = gc.isenabled()
    gc.disable()
    try:
        torch = import_framework("torch")  # torch first: the order measured safe with these pins
        tf = import_framework("tensorflow")
    finally:
        if collecting:
            gc.enable()
    # TF's Python logger switches itself to INFO on stdout in interactive kernels when first used
    # (e.g. "Assets written to: /tmp/..." from model.export); create it now and keep it quiet.
    tf.get_logger().setLevel(logging.ERROR)
    import keras

    torch.set_num_threads(threads)
    devices.configure_tensorflow(
        threads=threads, logical_cpus=logical_cpus, log_device_placement=log_device_placement
    )
    seed_everything(seed)
    gc.freeze()

    kind = devices.preferred_device_kind()
    env = KernelEnv(
        seed=seed,
        threads=threads,
        device_kind=kind,
        torch_device=devices.torch_device(kind),
        tf_device=devices.tf_device(kind),
        compile_backend=devices.compile_backend(),
        versions={
            "sidebyside": sidebyside.__version__,
            "torch": torch.__version__.split("+")[0],
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    )
    if not quiet:
        print(env.banner())
    return env
