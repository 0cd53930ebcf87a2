"""Ungraded "try it" feedback for course and lab notebooks.

An exercise is a small object in `sidebyside.exercises.<notebook>`: a `checker` that raises
AssertionError with a hint when an answer is wrong, a reference `solution()` and a list of
`wrong_answers()`. The tests prove each checker accepts its solution and rejects every wrong answer.

`check()` never raises: "Run all" must not stop at the first exercise a learner has not done yet.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NOT_ATTEMPTED = (Ellipsis, None)  # what an untouched blank (`answer = ...`) can hold


@dataclass
class Exercise:
    id: str  # "<notebook>.<question>", e.g. "lab01.q1"
    checker: Callable[..., None]  # raises AssertionError("hint ...") on a wrong answer
    solution: Callable[[], tuple]  # returns the arguments of a correct answer
    wrong_answers: Callable[[], list[tuple]]  # each item: the arguments of a wrong answer
    success: str = "Correct."
    hints: list[str] = field(default_factory=list)  # extra hints, shown after a wrong try


REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, *, solution, wrong_answers, success: str = "Correct.", hints=()):
    """Decorator registering `checker` as the exercise `id`."""

    def register(checker):
        if id in REGISTRY:
            raise ValueError(f"exercise {id!r} is defined twice")
        REGISTRY[id] = Exercise(id, checker, solution, wrong_answers, success, list(hints))
        return checker

    return register


def load_all() -> dict[str, Exercise]:
    """Import every module of sidebyside.exercises so that all exercises are registered."""
    import sidebyside.exercises as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")
    return REGISTRY


def lookup(id: str) -> Exercise:
    if id not in REGISTRY:
        load_all()
    try:
        return REGISTRY[id]
    except KeyError:
        raise KeyError(f"no exercise {id!r}; known: {', '.join(sorted(REGISTRY))}") from None


def verdict(id: str, *answers: Any) -> tuple[str, str]:
    """('correct' | 'wrong' | 'not attempted', message). Used by check() and by the tests."""
    ex = lookup(id)
    if not answers or any(a is blank for a in answers for blank in NOT_ATTEMPTED):
        return "not attempted", "Not attempted yet: fill in the blank above and run that cell, then run this one."
    try:
        ex.checker(*answers)
    except AssertionError as err:
        hint = str(err) or "the answer does not match the reference."
        extra = "".join(f"\n  Hint: {h}" for h in ex.hints)
        return "wrong", f"Not yet. {hint}{extra}"
    except Exception as err:  # the learner's code crashed inside the checker: say so, do not raise
        return "wrong", f"Not yet: running your answer raised {type(err).__name__}: {err}"
    return "correct", ex.success


def check(id: str, *answers: Any) -> None:
    """Print feedback for exercise `id`.

    Returns None on purpose: as a cell's last line, a returned bool would print a bare "False" under the
    feedback. Code that needs the outcome calls `verdict()`.
    """
    status, message = verdict(id, *answers)
    mark = {"correct": "✔", "wrong": "✘", "not attempted": "…"}[status]
    print(f"{mark} [{id}] {message}")
    stale = stale_answer_note(id)
    if stale:
        print(stale)


# ---------------------------------------------------------------------------------------------------
# Stale answers: the learner edits the answer cell but runs only the check cell. The kernel never sees
# the edited text, so check() would grade the old answer. It can see what it *did* run: IPython keeps
# every executed cell's source in `In`, numbered like the prompts. If no cell binding the checked names
# has run since this exercise was last checked, the check is grading the same answer again: say so.

_LAST_CHECKED: dict[str, int] = {}  # exercise id -> execution count of its previous check


def _check_call_names(source: str, id: str) -> list[str] | None:
    """Names passed to check(id, ...) in a cell's source; None when not found or not plain names."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == id):
            names = [a.id for a in node.args[1:] if isinstance(a, ast.Name)]
            return names if len(names) == len(node.args) - 1 else None
    return None


def _bound_names(source: str) -> set[str]:
    """Names a cell binds at its top level (assignments, def, class, import, for, with)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound


def stale_answer_note(id: str, shell=None) -> str | None:
    """A warning when this check grades the same run of the answer cell as the previous check of `id`.

    Works in an IPython kernel (ipykernel, nbclient); outside one (plain Python, tests) returns None.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
    history = getattr(shell, "user_ns", {}).get("In") if shell is not None else None
    if not history:
        return None
    now = len(history) - 1  # `In` holds the running cell as its last entry: In[now] is this cell
    names = _check_call_names(history[now], id)
    previous = _LAST_CHECKED.get(id)
    _LAST_CHECKED[id] = now
    if not names or previous is None:
        return None
    # Where the checked names were last bound, this cell excluded (it may bind them itself: fresh).
    if names and set(names) & _bound_names(history[now]):
        return None
    last_bound = max((n for n in range(1, now) if set(names) & _bound_names(history[n])), default=0)
    if last_bound >= previous:
        return None
    where = f"the cell that sets {', '.join(names)} last ran as In [{last_bound}]" if last_bound else (
        f"no cell setting {', '.join(names)} has run in this kernel")
    return (f"  ⚠ Same answer as your previous check (In [{previous}]): {where}, before that check. "
            "If you edited it since, run that cell first (Shift+Enter), then this one.")
