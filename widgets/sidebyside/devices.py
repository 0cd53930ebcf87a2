"""Devices, chosen the same way in both frameworks.

"GPU if present, else CPU" must mean the same physical device for torch and TensorFlow, so the
choice is made once (`preferred_device_kind`) and translated for each framework.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass, field
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


# --- Placement-log capture -------------------------------------------------------------------------
# With `tf.debugging.set_log_device_placement(True)` (which `setup(log_device_placement=True)` calls
# before TF's first op), TensorFlow reports placement in two ways:
# 1. the placer prints one line per graph node it places, with C printf on file descriptor 1, whatever
#    TF_CPP_MIN_LOG_LEVEL says:   AddV2: (AddV2): /job:localhost/replica:0/task:0/device:CPU:1
#    Eager ops run as tiny one-op functions, so they are placed (and printed) too, but only when TF
#    builds a kernel for that op, dtype and device: the kernel is cached and reused silently.
# 2. the eager executor reports every execution, "Executing op AddV2 in device /job:...". Inside
#    IPython/Jupyter, TF (tensorflow/python/ops/logging_ops.py) routes these messages to Python's
#    sys.stdout; elsewhere they go to C++ LOG(INFO) on fd 2, visible only with TF_CPP_MIN_LOG_LEVEL=0.
# `capture_placement()` catches both: it points fds 1 and 2 at temporary files and filters sys.stdout.

PLACED_LINE = re.compile(r"^(?P<name>\S+): \((?P<op>[\w.>-]+)\): (?P<device>/job:\S+)$")
EXECUTED_LINE = re.compile(r"Executing op (?P<op>\S+) in device (?P<device>/job:\S+)")
SHORT_DEVICE = re.compile(r"device:(?P<kind>[A-Za-z_]+):(?P<index>\d+)$")
# Nodes the placer places that are not computation: function arguments/results, pass-throughs.
PLUMBING_OPS = frozenset(
    {"_Arg", "_Retval", "_DeviceArg", "_DeviceRetval", "Identity", "NoOp", "_EagerConst", "Const"}
)


@dataclass(frozen=True)
class Placement:
    """One line of TF's placement log."""

    op: str  # op type, e.g. "MatMul"
    name: str  # node name ("" for an executed-op line, which has none)
    device: str  # full name, "/job:localhost/replica:0/task:0/device:CPU:1"
    source: str = "placed"  # "placed" (the placer) or "executed" (the eager executor)

    @property
    def short_device(self) -> str:
        """'CPU:1', 'GPU:0': the part of the device name that differs between devices."""
        m = SHORT_DEVICE.search(self.device)
        return f"{m['kind'].upper()}:{m['index']}" if m else self.device

    @property
    def plumbing(self) -> bool:
        return self.op in PLUMBING_OPS


def parse_placement_line(line: str) -> Placement | None:
    line = line.strip()
    if m := PLACED_LINE.match(line):
        return Placement(m["op"], m["name"], m["device"], "placed")
    if "placer.cc" in line:  # the LOG(INFO) copy of a placer line (TF_CPP_MIN_LOG_LEVEL=0): skip
        return None
    if m := EXECUTED_LINE.search(line):
        return Placement(m["op"], "", m["device"], "executed")
    return None


def parse_placement(text: str) -> list[Placement]:
    """Rows for every placement-log line in `text`; other lines are ignored."""
    return [row for line in text.splitlines() if (row := parse_placement_line(line))]


def _is_placement_noise(line: str) -> bool:
    return parse_placement_line(line) is not None or "placer.cc" in line


@dataclass
class PlacementLog:
    """What `capture_placement()` caught; complete when the `with` block ends."""

    rows: list = field(default_factory=list)
    stdout: str = ""  # the raw text TF's placer printed on fd 1 inside the block
    enabled: bool = True  # was TF's placement logging on? (setup(log_device_placement=True))

    def ops(self, *, plumbing: bool = False) -> list[Placement]:
        """Nodes the placer placed (by default without arguments, results and constants)."""
        return [r for r in self.rows if r.source == "placed" and (plumbing or not r.plumbing)]

    def executed(self) -> list[Placement]:
        """Eager executions ("Executing op ..."): in Jupyter always, elsewhere only at log level 0."""
        return [r for r in self.rows if r.source == "executed"]

    def devices(self, *, plumbing: bool = False) -> dict[str, str]:
        """{op type: short device} for the ops placed, e.g. {"MatMul": "CPU:1"} (last one wins)."""
        return {r.op: r.short_device for r in self.ops(plumbing=plumbing)}

    def table(self, *, plumbing: bool = False) -> str:
        """A fixed-width text table of the placed nodes: op, node name, device."""
        rows = [(r.op, r.name or "-", r.short_device) for r in self.ops(plumbing=plumbing)]
        if not rows and not self.enabled:
            return ("(placement logging is off: it must be switched on before TF's first op, with "
                    "setup(log_device_placement=True) in the notebook's first code cell)")
        if not rows:
            return "(no ops placed in this block: TF reuses kernels it already placed)"
        header = ("op", "node", "device")
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        lines = [" | ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip()
                 for row in (header, tuple("-" * w for w in widths), *rows)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.table()


class _PlacementFilter:
    """A sys.stdout stand-in: placement lines go to `rows`, every other line passes straight on."""

    def __init__(self, stream, rows: list):
        self._stream, self._rows, self._pending = stream, rows, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._route(line + "\n")
        return len(text)

    def _route(self, line: str) -> None:
        row = parse_placement_line(line)
        if row is not None:
            self._rows.append(row)
        elif "placer.cc" not in line:
            self._stream.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def close_pending(self) -> None:
        if self._pending:
            self._route(self._pending)
            self._pending = ""

    def __getattr__(self, name):  # isatty, encoding, fileno, ...
        return getattr(self._stream, name)


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers: TF's printf output sits there until flushed."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C runtime reachable this way (Windows)
        pass


def clear_tf_kernel_cache() -> None:
    """Forget TF's cached eager kernels, so the next ops are placed (and logged) again.

    Private hook (`context.context().clear_kernel_cache()`), kept here behind one function that
    tests/test_devices_placement.py covers.
    """
    from tensorflow.python.eager import context

    context.context().clear_kernel_cache()


@contextlib.contextmanager
def capture_placement(*, fresh: bool = True):
    """Capture TensorFlow's device-placement log inside a `with` block as data.

        with capture_placement() as log:
            with tf.device("/CPU:1"):
                y = tf.matmul(x, x)
        log            # a table: op, node, device; log.rows holds every line parsed

    Needs `setup(log_device_placement=True)` (TF accepts that only before its first op). `fresh`
    clears TF's eager kernel cache first, so re-running a cell logs its ops again. Output that is not
    placement logging is passed on: Python prints at once, C-level fd 1/2 text when the block ends.
    """
    import sys

    import tensorflow as tf

    if fresh:
        clear_tf_kernel_cache()
    log = PlacementLog(enabled=bool(tf.debugging.get_log_device_placement()))
    executed: list[Placement] = []
    sys.stdout.flush()
    sys.stderr.flush()
    _flush_c_stdio()
    texts = {}
    with contextlib.ExitStack() as stack:
        files = {fd: stack.enter_context(tempfile.TemporaryFile()) for fd in (1, 2)}
        saved = {fd: os.dup(fd) for fd in files}
        for fd, f in files.items():
            os.dup2(f.fileno(), fd)
        py_filter = _PlacementFilter(sys.stdout, executed)
        try:
            with contextlib.redirect_stdout(py_filter):
                yield log
        finally:
            py_filter.close_pending()
            sys.stdout.flush()
            sys.stderr.flush()
            _flush_c_stdio()
            for fd in files:
                os.dup2(saved[fd], fd)
                os.close(saved[fd])
            for fd, f in files.items():
                f.seek(0)
                texts[fd] = f.read().decode(errors="replace")
            log.stdout = texts[1]
            log.rows = parse_placement(texts[1]) + parse_placement(texts[2]) + executed
            for text, stream in ((texts[1], sys.stdout), (texts[2], sys.stderr)):
                rest = [ln for ln in text.splitlines() if ln.strip() and not _is_placement_noise(ln)]
                if rest:
                    stream.write("\n".join(rest) + "\n")


def annotate_placement(graph, log: PlacementLog):
    """A copy of a captured TF graph (sidebyside.graph.Graph) whose nodes carry the device the placer
    chose, from a PlacementLog of running that same function (matched by node name). The graph widget
    can then colour nodes by device. Nodes the log does not mention keep their requested device.
    """
    placed = {r.name: r.short_device for r in log.rows if r.source == "placed" and r.name}
    copy = type(graph).from_dict(graph.to_dict())
    for node in copy.nodes:
        if node.id in placed:
            node.device = placed[node.id]
    return copy
