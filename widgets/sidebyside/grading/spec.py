"""How an assignment's trusted checks are written.

Each assignment `graded/source/<a>/<a>.ipynb` has a checks module `graded/checks/<a>.py` that the
grader imports in ITS OWN process (the sandbox never sees it). It defines `CHECKS`, one `Check` per
autograded test cell (matched by the cell's nbgrader grade_id):

- `inputs(rng)`    fresh random inputs for this run, JSON-able (lists, numbers, strings);
- `probe`          Python source run in the student's kernel after the student's cells; it reads
                   `inputs`, calls the student's functions, and stores plain values in `result`;
- `verify(inputs, result)`  runs in the grader process: computes the reference for `inputs` itself
                   and raises AssertionError("student-facing message") if the values do not match;
- `source_rule(cells)`  optional, in the grader process too: the code cells of the submission (as
                   submitted, never as the kernel reports them) for a rule about how the answer is
                   written ("do not call log_softmax"); raises AssertionError("message") if broken.

Points come from the notebook's nbgrader metadata, so `nbgrader` and the hardened grader agree;
each Check repeats them (`points`), and loading an assignment fails where the two differ.

What the student sees of a check (`visibility`, as Gradescope, PrairieLearn and otter-grader do it):
- "visible": its points, whether it passed, `message` (what it checks, written for the student) and,
  when it fails, the reason `verify` gave;
- "after_due": like "visible" once the assignment's due date (nbgrader's) has passed; before that,
  counted with the hidden ones;
- "hidden": never shown on its own; the feedback says only "n hidden checks: k passed".
The hidden checks' probes, inputs, expected values and reasons never reach the feedback.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Check:
    grade_id: str
    probe: str
    inputs: Callable[[np.random.Generator], dict]
    verify: Callable[[dict, Any], None]
    source_rule: Callable[[list[str]], None] | None = None
    visibility: str = "visible"  # visible | after_due | hidden
    points: float | None = None  # must equal the test cell's nbgrader points
    message: str = ""  # what this check checks, for the student


VISIBILITIES = ("visible", "after_due", "hidden")


def check_problems(check: Check, points: float) -> list[str]:
    """What is wrong with a Check's student-facing fields (empty when nothing)."""
    problems = []
    if check.visibility not in VISIBILITIES:
        problems.append(f"visibility {check.visibility!r} is not one of {', '.join(VISIBILITIES)}")
    if check.points is not None and float(check.points) != float(points):
        problems.append(f"points {check.points:g} differ from the test cell's {points:g}")
    return problems


def python_trees(cells: list[str]) -> list[ast.AST]:
    """Each cell parsed as Python, IPython syntax (magics, `!cmd`) first turned into calls as the
    kernel does; a cell that still does not parse is left out (it raised when it ran)."""
    from IPython.core.inputtransformer2 import TransformerManager

    manager, trees = TransformerManager(), []
    for cell in cells:
        try:
            trees.append(ast.parse(manager.transform_cell(cell)))
        except (SyntaxError, ValueError):
            continue
    return trees


def names_used(cells: list[str]) -> set[str]:
    """Every attribute, name, imported name and string constant in the cells' code (comments and
    docstrings' prose are not code: a docstring counts only as one whole string)."""
    found = set()
    for tree in python_trees(cells):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.alias):
                found.update(node.name.split("."))
                if node.asname:
                    found.add(node.asname)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def load_checks(path: Path) -> dict[str, Check]:
    """Import a checks module from its file (it is not part of the installed package)."""
    spec = importlib.util.spec_from_file_location(f"_graded_checks_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks = {c.grade_id: c for c in module.CHECKS}
    if len(checks) != len(module.CHECKS):
        raise ValueError(f"{path}: duplicate grade_id in CHECKS")
    return checks


# ---- helpers for verify functions: they never trust the shape or type of a reported value --------

def array(value, what: str = "the result", dtype=float) -> np.ndarray:
    """A reported value as a NumPy array, or AssertionError if it is not numeric."""
    try:
        out = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{what} is not a numeric array") from err
    return out


def assert_close(got, expected, what: str = "the result", rtol: float = 1e-4,
                 atol: float = 1e-5) -> None:
    """Shape and values within tolerance; the message never reveals the expected numbers' source."""
    expected = np.asarray(expected, dtype=float)
    got = array(got, what)
    if got.shape != expected.shape:
        raise AssertionError(f"{what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"{what} contains NaN or infinity")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(got - expected)))
        raise AssertionError(f"{what} is wrong on fresh random inputs (largest error {worst:.3g})")


def assert_equal(got, expected, what: str) -> None:
    if got != expected:
        raise AssertionError(f"{what}: got {got!r}, expected {expected!r}")


def require(result, *keys: str) -> None:
    """The probe's result is a dict with these keys (a forged or broken report fails cleanly)."""
    if not isinstance(result, dict) or any(k not in result for k in keys):
        raise AssertionError("the checking code could not read your answer (malformed result)")
