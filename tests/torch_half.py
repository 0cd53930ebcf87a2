"""Run the PyTorch half of a side-by-side notebook, without TensorFlow or Jupyter.

Why: the course's GPU cells must run for real where a GPU exists, but a GPU machine may have a CUDA
build of torch and no TensorFlow (a CUDA TensorFlow wheel is far too big to carry there). So this runs
what a notebook's PyTorch reader runs: every cell tagged `pytorch` or `numpy` in full, and the shared
(untagged) cells with their top-level statements that touch TensorFlow taken out; a shared cell may
still miss a name only TensorFlow's half defines (NameError) or a module this machine lacks
(ImportError); its other statements still run, and the report shows what failed. Cells tagged
`tensorflow` or `raises-exception` are skipped. The first cell's `setup()` becomes a torch-only
KernelEnv chosen by the same `sidebyside.devices` functions.

Plain Python `exec`, one namespace per notebook; stdout of each cell is kept for the report.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

TENSORFLOW_NAMES = re.compile(r"\b(tf|tensorflow)\w*|\w*_tf\b|\bcapture_placement\b")
SKIPPED_TAGS = {"tensorflow", "raises-exception"}


@dataclass
class CellRun:
    index: int
    tags: list
    kind: str  # "torch", "shared", "skipped"
    output: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class NotebookRun:
    path: Path
    device: str
    cells: list = field(default_factory=list)

    @property
    def errors(self) -> list:
        return [c for c in self.cells if c.error]

    def report(self) -> str:
        lines = [f"== {self.path} on {self.device}"]
        for c in self.cells:
            if c.kind == "skipped":
                continue
            head = f"-- cell {c.index} [{','.join(c.tags) or 'shared'}] {c.seconds:.2f}s"
            lines.append(head)
            if c.output.strip():
                lines.append(c.output.rstrip())
            if c.error:
                lines.append("ERROR: " + c.error.rstrip())
        return "\n".join(lines)


def without_tensorflow(source: str) -> str:
    return "\n".join(statements_without_tensorflow(source))


def statements_without_tensorflow(source: str) -> list[str]:
    """The cell's top-level statements that do not mention TensorFlow or its helpers.

    Imports lose just the TensorFlow names (`from sidebyside.bench import time_all, wait_tf` keeps
    time_all). Keras 3 stays: with KERAS_BACKEND=torch it needs no TensorFlow.
    """
    kept = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            node.names = [a for a in node.names if not TENSORFLOW_NAMES.search(a.asname or a.name)]
            if node.names and not TENSORFLOW_NAMES.search(getattr(node, "module", "") or ""):
                kept.append(ast.unparse(node))
        elif not TENSORFLOW_NAMES.search(ast.get_source_segment(source, node) or ""):
            kept.append(ast.get_source_segment(source, node))
    return kept


def torch_only_env(seed: int = 0):
    """What `setup()` would return, minus TensorFlow: same device choice, same seeding of torch."""
    import random

    import numpy as np
    import torch

    import sidebyside
    from sidebyside import devices
    from sidebyside.kernel import KernelEnv, thread_count

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    kind = devices.preferred_device_kind()
    return KernelEnv(
        seed=seed,
        threads=thread_count(),
        device_kind=kind,
        torch_device=devices.torch_device(kind),
        tf_device="(no TensorFlow here)",
        compile_backend=devices.compile_backend(),
        versions={"sidebyside": sidebyside.__version__, "torch": torch.__version__},
    )


def run_torch_half(path: Path) -> NotebookRun:
    nb = json.loads(Path(path).read_text())
    # Like a kernel: cells run in a module that *is* __main__ (so pickling a class a cell defines
    # works), with no __file__ (so spawned workers do not re-run this program).
    main = types.ModuleType("__main__")
    namespace = main.__dict__
    saved_main = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        return _run_cells(path, nb, namespace)
    finally:
        sys.modules["__main__"] = saved_main


def _run_cells(path, nb, namespace) -> NotebookRun:
    env = torch_only_env()
    run = NotebookRun(Path(path), str(env.torch_device))
    first_code = True
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        source = "".join(cell["source"])
        if first_code:  # the setup cell: keep its imports, swap setup() for the torch-only env
            first_code = False
            source = re.sub(r"^(\w+)\s*=\s*setup\(.*$", r"\1 = __env__", source, flags=re.M)
            namespace["__env__"] = env
        if SKIPPED_TAGS & set(tags):
            run.cells.append(CellRun(index, tags, "skipped"))
            continue
        kind = "torch" if {"pytorch", "numpy"} & set(tags) else "shared"
        # A shared cell runs statement by statement: one that needs TensorFlow's half (a name it
        # defines, or a module this machine lacks) must not stop the PyTorch statements after it.
        pieces = [source] if kind == "torch" else statements_without_tensorflow(source)
        cell_run = CellRun(index, tags, kind)
        out = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            for piece in pieces:
                try:
                    exec(compile(piece, f"{path}:cell{index}", "exec"), namespace)
                except Exception:
                    cell_run.error = cell_run.error or traceback.format_exc(limit=-3)
        cell_run.seconds = time.perf_counter() - start
        cell_run.output = out.getvalue()
        run.cells.append(cell_run)
    return run
