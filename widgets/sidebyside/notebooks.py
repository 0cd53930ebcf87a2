"""Notebooks as build products: regenerate their outputs, and check the course's conventions.

`sidebyside regenerate [PATH ...]` (what `make notebooks` runs) executes each notebook top to bottom
in a fresh kernel, in its own folder, and stores outputs plus the measured run time in the notebook's
metadata (`metadata.sidebyside.execution_seconds`), which the runtime test and the benchmark read.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIRS = ("course", "labs", "graded/source")
NAME_PATTERN = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
FRAMEWORK_TAGS = ("pytorch", "tensorflow")
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 300
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MODEL_REF = "IPY_MODEL_"


def all_notebooks(root: Path = ROOT) -> list[Path]:
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted(
            p for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
        )
    return found


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def widget_state_problems(nb) -> list[str]:
    """Why a reopened notebook could not draw its widgets from saved state (empty: it can).

    Every widget-view output must name a model in the notebook's saved widget state, and so must
    every model that one references (`IPY_MODEL_<id>`: layouts, a box's children, a GraphView's
    shared engine); each anywidget model must carry its front-end code (`_esm`).
    """
    state = (nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}) or {}).get("state", {})
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            todo, seen = [view["model_id"]], set()
            while todo:  # walk the references, iteratively
                model_id = todo.pop()
                if model_id in seen:
                    continue
                seen.add(model_id)
                model = state.get(model_id)
                if model is None:
                    found.append(f"cell {index}: widget model {model_id} is not in the saved "
                                 "widget state (a reopened notebook would say 'model not found')")
                    continue
                if model.get("model_module") == "anywidget" and not model["state"].get("_esm"):
                    found.append(f"cell {index}: widget model {model_id} has no front-end code")
                todo += _model_refs(model["state"])
    return found


def _model_refs(value) -> list[str]:
    refs, todo = [], [value]
    while todo:
        v = todo.pop()
        if isinstance(v, str) and v.startswith(MODEL_REF):
            refs.append(v[len(MODEL_REF):])
        elif isinstance(v, dict):
            todo += v.values()
        elif isinstance(v, list):
            todo += v
    return refs


def execute(path: Path) -> float:
    """Run one notebook in place; return seconds taken. Raises with the failing cell on error."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
        allow_error_names=[],
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.setdefault("sidebyside", {})["execution_seconds"] = round(seconds, 1)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.validate(nb)
    problems = widget_state_problems(nb)
    if problems:  # never write a notebook whose graphs would not draw when reopened
        raise RuntimeError("widget state does not match the outputs:\n  " + "\n  ".join(problems))
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidebyside regenerate", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders (default: all)")
    args = parser.parse_args(argv)
    targets: list[Path] = []
    for p in args.paths or [ROOT / d for d in NOTEBOOK_DIRS]:
        targets += sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]
    targets = [t for t in targets if ".ipynb_checkpoints" not in t.parts]
    failed = 0
    for path in targets:
        try:
            seconds = execute(path)
            print(f"{seconds:6.1f} s  {path}")
        except Exception as err:  # report every broken notebook, keep going, exit non-zero
            failed += 1
            print(f"FAILED  {path}\n{err}", file=sys.stderr)
    return 1 if failed else 0
