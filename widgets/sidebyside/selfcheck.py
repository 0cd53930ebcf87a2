"""Ungraded "try it" feedback for course and lab notebooks.

An exercise is a small object in `sidebyside.exercises.<notebook>`: a `checker` that raises
AssertionError with a hint when an answer is wrong, a reference `solution()` and a list of
`wrong_answers()`. The tests prove each checker accepts its solution and rejects every wrong answer.

`check()` never raises: "Run all" must not stop at the first exercise a learner has not done yet.
"""

from __future__ import annotations

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
        return "not attempted", "Not attempted yet: fill in the blank above, then run this cell again."
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
