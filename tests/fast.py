"""`make test-fast`: the author's inner loop, the tests for what changed, in a minute or two.

    python tests/fast.py [PATH ...]      # default: what git says changed against main, committed or not

It runs, with two workers:
- strict nbval on each changed notebook (course/, labs/, graded/source/);
- the notebook-wide static checks (conventions, twins, teacher guides, slides, saved widget state,
  self-checks), which read every notebook but run none, in seconds;
- for a changed package module `widgets/sidebyside/NAME.py` or package `NAME/`, the test files that
  import it, except those whose recorded cost (benchmarks/suite_costs.json) is over a minute, which it
  names: `make test` runs those, and CI runs `make test`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ["tests/test_conventions.py", "tests/test_equivalence.py", "tests/test_teacher_guides.py",
          "tests/test_slides.py", "tests/test_widget_state.py", "tests/test_selfchecks.py"]
NOTEBOOK_DIRS = ("course/", "labs/", "graded/source/")
TOO_SLOW = 60.0  # seconds of recorded cost: left to `make test`


def changed_paths() -> list[str]:
    def git(*args):
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return run.stdout.split() if run.returncode == 0 else []

    base = git("merge-base", "HEAD", "main")
    paths = set(git("diff", "--name-only", base[0])) if base else set()
    paths |= set(git("ls-files", "--others", "--exclude-standard"))
    return sorted(p for p in paths if (ROOT / p).exists())


def select(paths: list[str]) -> tuple[list[str], list[str]]:
    costs_file = ROOT / "benchmarks" / "suite_costs.json"
    costs = {name: cost["wall"] for name, cost in json.loads(costs_file.read_text()).items()} \
        if costs_file.exists() else {}
    chosen, left = [], []
    notebooks = [p for p in paths if p.endswith(".ipynb") and p.startswith(NOTEBOOK_DIRS)]
    chosen += notebooks
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))
    for p in paths:
        if p.startswith("tests/") and p.endswith(".py") and Path(p).name.startswith("test_"):
            (left if costs.get(p, 0) > TOO_SLOW else chosen).append(p)
        match = re.match(r"widgets/sidebyside/([\w/]+?)(?:/__init__)?\.py$", p)
        if not match:
            continue
        module = "sidebyside." + match.group(1).split("/")[0]
        pattern = re.compile(rf"\b{re.escape(module)}\b|from sidebyside import .*\b{match.group(1).split('/')[0]}\b")
        for t in tests:
            if pattern.search((ROOT / t).read_text()):
                (left if costs.get(t, 0) > TOO_SLOW else chosen).append(t)
    if notebooks or chosen:
        chosen += STATIC
    return sorted(set(chosen)), sorted(set(left) - set(chosen))


def main(argv: list[str]) -> int:
    paths = argv or changed_paths()
    chosen, left = select(paths)
    for t in left:
        print(f"not run here (over {TOO_SLOW:.0f} s in benchmarks/suite_costs.json; make test runs it): {t}")
    if not chosen:
        print("nothing to test for:", " ".join(paths) or "(no changes)")
        return 0
    print("running:", " ".join(chosen), flush=True)
    cmd = [str(ROOT / ".venv" / "bin" / "pytest"), "-n", "2", "--dist", "loadscope", "--nbval",
           "--nbval-sanitize-with", "sanitize.cfg", *chosen]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
