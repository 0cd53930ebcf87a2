"""A two-question assignment for tests of the grading machinery around a submission (the cluster,
the gradebook writer): it grades in about a second per submission because it imports no framework,
while ps01_tensors needs ~6 s (torch + TensorFlow) per submission. What a test of the machinery checks
(who graded what, how often, and what got written) does not depend on the questions.

`make_course(base)` writes graded/-like course files and a checks module; `submission(kind, sleep)`
is a student notebook: "right" (3/3), "double" (2/3), "square" (1/3), "wrong" (0/3), "crash" (0/3).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

NAME = "tiny01"
ROOT = Path(__file__).resolve().parents[2]
SCORES = {"right": 3.0, "double": 2.0, "square": 1.0, "wrong": 0.0, "crash": 0.0}

CHECKS = '''"""Trusted checks for tiny01 (a test assignment)."""

from sidebyside.grading.spec import Check, assert_equal


def numbers(rng):
    return {"x": [int(v) for v in rng.integers(-50, 50, size=6)]}


def verify_double(inputs, result):
    assert_equal(result, [2 * v for v in inputs["x"]], "double on fresh inputs")


def verify_square(inputs, result):
    assert_equal(result, [v * v for v in inputs["x"]], "square on fresh inputs")


CHECKS = [
    Check("tiny_double_tests", "result = [int(double(v)) for v in inputs['x']]", numbers,
          verify_double),
    Check("tiny_square_tests", "result = [int(square(v)) for v in inputs['x']]", numbers,
          verify_square),
]
'''


def _meta(grade_id, *, solution=False, grade=False, points=0):
    return {"nbgrader": {"grade": grade, "grade_id": grade_id, "locked": not solution,
                         "points": points, "schema_version": 3, "solution": solution,
                         "task": False}}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell
    nb.cells = [
        nbformat.v4.new_markdown_cell("# tiny01\n\nWrite `double(x)` and `square(x)`."),
        cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
             metadata=_meta("tiny_double_answer", solution=True)),
        cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n"
             "### END HIDDEN TESTS", metadata=_meta("tiny_double_tests", grade=True, points=2)),
        cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
             metadata=_meta("tiny_square_answer", solution=True)),
        cell("assert square(3) == 9", metadata=_meta("tiny_square_tests", grade=True, points=1)),
    ]
    return nb


def make_course(base: Path) -> Path:
    """A course folder with tiny01's source, checks and the course's nbgrader config (not generated:
    run `sidebyside grade generate tiny01` on it)."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", base)
    (base / "source" / NAME).mkdir(parents=True)
    nbformat.write(source_notebook(), base / "source" / NAME / f"{NAME}.ipynb")
    (base / "checks").mkdir()
    (base / "checks" / f"{NAME}.py").write_text(CHECKS)
    return base


ANSWERS = {
    "right": ("def double(x):\n    return 2 * x", "def square(x):\n    return x * x"),
    "double": ("def double(x):\n    return x + x", "def square(x):\n    return 2 * x"),
    "square": ("def double(x):\n    return 4", "def square(x):\n    return x ** 2"),
    "wrong": ("def double(x):\n    return 0", "def square(x):\n    return 0"),
    "crash": ("raise RuntimeError('oops')", "def square(x):\n    return x + 1"),
}


def submission(release: nbformat.NotebookNode, kind: str, sleep: float = 0.0) -> str:
    """The release notebook with this kind's answers (and a cell that sleeps, to keep a grading
    job busy long enough to kill its worker in the middle)."""
    import copy

    nb = copy.deepcopy(release)
    double, square = ANSWERS[kind]
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid == "tiny_double_answer":
            cell.source = double
        elif gid == "tiny_square_answer":
            cell.source = square
    if sleep:
        nb.cells.insert(1, nbformat.v4.new_code_cell(f"import time\ntime.sleep({sleep})"))
    return nbformat.writes(nb)
