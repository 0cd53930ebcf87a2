"""Execution time of every notebook on this machine, and the suite total.

    .venv/bin/python benchmarks/notebook_times.py            # execute all (nothing is written back)
    .venv/bin/python benchmarks/notebook_times.py --recorded # only the times stored by `make notebooks`

Budget: 60 s per notebook on the 2-core CPU machine (CONTRIBUTING.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from sidebyside.notebooks import CELL_TIMEOUT_S, KERNEL_NAME, ROOT, all_notebooks

BUDGET_S = 60.0


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recorded", action="store_true", help="print stored times, run nothing")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.paths or all_notebooks()
    rows, total, over = [], 0.0, 0
    for path in paths:
        recorded = nbformat.read(path, as_version=4).metadata.get("sidebyside", {}).get(
            "execution_seconds")
        seconds = recorded if args.recorded else run(path)
        if seconds is None:
            rows.append((path, None, recorded))
            continue
        total += seconds
        over += seconds > BUDGET_S
        rows.append((path, seconds, recorded))
        print(f"  ran {path.relative_to(ROOT)}", file=sys.stderr)
    width = max(len(str(p.relative_to(ROOT))) for p, *_ in rows)
    print(f"{'notebook':<{width}}  {'seconds':>8}  {'recorded':>8}  budget {BUDGET_S:.0f} s")
    print("-" * (width + 36))
    for path, seconds, recorded in rows:
        shown = "-" if seconds is None else f"{seconds:8.1f}"
        status = "" if seconds is None else ("ok" if seconds <= BUDGET_S else "OVER")
        print(f"{str(path.relative_to(ROOT)):<{width}}  {shown:>8}  "
              f"{'-' if recorded is None else recorded:>8}  {status}")
    print("-" * (width + 36))
    print(f"{'total (' + str(len(rows)) + ' notebooks)':<{width}}  {total:8.1f}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
