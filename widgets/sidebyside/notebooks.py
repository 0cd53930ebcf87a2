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


def all_notebooks(root: Path = ROOT) -> list[Path]:
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted(
            p for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
        )
    return found


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


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
