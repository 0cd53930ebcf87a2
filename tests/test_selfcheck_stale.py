"""check() says so when it grades an answer cell that was edited but not re-run (issue 11).

A real ipykernel, driven the way JupyterLab drives it (one execute request per cell run), so the test
sees what check() can really see: IPython's `In` history. The kernel never receives the edited text of
an unrun cell; the test "edits" the answer cell simply by not running it again.
"""

from __future__ import annotations

import pytest

pytest.importorskip("jupyter_client")
from kernels import python_kernel  # noqa: E402

STALE = "Same answer as your previous check"


@pytest.fixture
def kernel():
    with python_kernel() as kc:
        yield kc


def run(kc, code: str) -> str:
    """Execute one cell; return its stdout. Fails on an error in the cell."""
    out: list[str] = []

    def collect(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

    reply = kc.execute_interactive(code, timeout=120, output_hook=collect)
    text = "".join(out)
    assert reply["content"]["status"] == "ok", text
    return text


CHECK_CELL = 'from sidebyside import check\n\ncheck("course00.q1", answer)'


def test_rerunning_only_the_check_cell_says_the_answer_is_stale(kernel):
    run(kernel, "answer = (4.0, 3.0)  # a wrong answer")
    first = run(kernel, CHECK_CELL)
    assert first.startswith("✘") and STALE not in first

    # The learner edits the answer cell to the right pair but runs only the check cell: check() still
    # sees (4.0, 3.0), and must say that it graded the old run of the answer cell.
    second = run(kernel, CHECK_CELL)
    assert second.startswith("✘")
    assert STALE in second and "In [1]" in second and "run that cell first" in second

    # Running the edited answer cell, then the check: graded fresh, no warning.
    run(kernel, "answer = (-1.0, 2.0)")
    third = run(kernel, CHECK_CELL)
    assert third.startswith("✔") and STALE not in third


def test_an_answer_defined_by_def_or_in_the_check_cell_itself_is_fresh(kernel):
    run(kernel, "def grad_at(f, x0):\n    return 0.0")
    assert STALE not in run(kernel, 'from sidebyside import check\ncheck("course02.q3", grad_at)')
    run(kernel, "def grad_at(f, x0):\n    return 1.0  # edited and re-run")
    assert STALE not in run(kernel, 'check("course02.q3", grad_at)')
    stale = run(kernel, 'check("course02.q3", grad_at)')
    assert STALE in stale and "In [3]" in stale
    # a check cell that computes its own answer is never stale
    cell = 'answer = (-1.0, 2.0)\ncheck("course00.q1", answer)'
    assert STALE not in run(kernel, cell) + run(kernel, cell)


def test_a_first_check_of_an_exercise_is_never_flagged(kernel):
    run(kernel, "answer = ...")
    out = run(kernel, CHECK_CELL)
    assert out.startswith("…") and "run that cell, then run this one" in out and STALE not in out
