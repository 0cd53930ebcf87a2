"""How an assignment's trusted checks are written.

Each assignment `graded/source/<a>/<a>.ipynb` has a checks module `graded/checks/<a>.py` that the
grader imports in ITS OWN process (the sandbox never sees it). It defines `CHECKS`, one `Check` per
autograded test cell (matched by the cell's nbgrader grade_id):

- `inputs(rng)`    fresh random inputs for this run, JSON-able (lists, numbers, strings);
- `probe`          Python source run in the student's kernel after the student's cells; it reads
                   `inputs`, calls the student's functions, and stores plain values in `result`;
- `verify(inputs, result)`  runs in the grader process: computes the reference for `inputs` itself
                   and raises AssertionError("student-facing message") if the values do not match.

Points come from the notebook's nbgrader metadata, so `nbgrader` and the hardened grader agree.
"""

from __future__ import annotations

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
