"""Every self-check accepts its reference solution and rejects every wrong answer it lists."""

from __future__ import annotations

import re

import nbformat
import pytest

from sidebyside import selfcheck
from sidebyside.notebooks import all_notebooks

EXERCISES = selfcheck.load_all()
CHECK_CALL = re.compile(r"""check\(\s*["']([\w.]+)["']""")


def used_in_notebooks() -> dict[str, str]:
    used = {}
    for path in all_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                for ex_id in CHECK_CALL.findall(cell.source):
                    used[ex_id] = path.name
    return used


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_accepts_the_solution(ex_id):
    status, message = selfcheck.verdict(ex_id, *EXERCISES[ex_id].solution())
    assert status == "correct", message


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_rejects_every_wrong_answer(ex_id):
    wrong = EXERCISES[ex_id].wrong_answers()
    assert len(wrong) >= 2, "list at least two realistic wrong answers"
    for answer in wrong:
        status, message = selfcheck.verdict(ex_id, *answer)
        assert status == "wrong", f"accepted a wrong answer {answer!r}"
        assert message.startswith("Not yet"), message


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_blank_answer_is_not_attempted(ex_id):
    n = len(EXERCISES[ex_id].solution())
    assert selfcheck.verdict(ex_id, *([...] * n))[0] == "not attempted"


def test_check_prints_and_never_raises(capsys):
    def crashes(x):
        raise ZeroDivisionError("boom")

    ex_id = next(iter(sorted(EXERCISES)))
    selfcheck.check(ex_id, crashes)  # a crashing or ill-typed answer is feedback, not a traceback
    out = capsys.readouterr().out
    assert out.startswith("✘") and ex_id in out


def test_every_notebook_check_is_registered_and_every_exercise_is_used():
    used = used_in_notebooks()
    assert used, "no notebook calls check()"
    unknown = sorted(set(used) - set(EXERCISES))
    assert not unknown, f"notebooks call unregistered exercises: {unknown}"
    unused = sorted(set(EXERCISES) - set(used))
    assert not unused, f"exercises no notebook uses: {unused}"


def test_duplicate_exercise_ids_are_refused():
    with pytest.raises(ValueError, match="defined twice"):
        selfcheck.exercise(next(iter(EXERCISES)), solution=lambda: (), wrong_answers=list)(print)
