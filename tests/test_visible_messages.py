"""A student who runs a visible test cell sees the line the feedback will show for that check: its
points, its message and, when it fails, why (graded/README.md; grading/visible.py). The student
versions are generated with that line; a check the student does not see yet gets none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sidebyside.grading.grader import Outcome
from sidebyside.grading.notebook import load_assignment, nbgrader_meta, verdict_text

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "graded"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


@pytest.mark.parametrize("name", NAMES)
def test_each_visible_check_announces_itself_and_no_other_does(name):
    assignment = load_assignment(COURSE, name)
    release = nbformat.read(COURSE / "release" / name / f"{name}.ipynb", as_version=4)
    cells = {nbgrader_meta(c).get("grade_id"): c.source for c in release.cells}
    for gid, check in assignment.checks.items():
        announced = "announce(" in cells[gid]
        assert announced == (check.visibility == "visible"), (gid, check.visibility)
        if announced:
            assert repr(check.message) in cells[gid] and f"points={assignment.tests[gid]:g}" \
                in cells[gid]


def run_cells(*cells: str) -> str:
    """The cells in a real IPython shell, in a fresh process (no framework), as a notebook runs them."""
    script = ("from IPython.core.interactiveshell import InteractiveShell\n"
              "shell = InteractiveShell.instance(colors='NoColor')\n"
              f"for cell in {list(cells)!r}:\n"
              "    shell.run_cell(cell, store_history=True)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_student_sees_the_feedbacks_line_when_the_cell_passes_and_when_it_fails():
    assignment = load_assignment(COURSE, "ps01_tensors")
    release = nbformat.read(COURSE / "release" / "ps01_tensors" / "ps01_tensors.ipynb",
                            as_version=4)
    cell = next(c.source for c in release.cells
                if nbgrader_meta(c).get("grade_id") == "ps01_q1_tests")
    announce = "\n".join(line for line in cell.splitlines() if "announce" in line)
    passed = run_cells(announce + "\nassert 1 + 1 == 2")
    failed = run_cells(announce + "\nassert 1 + 1 == 3, 'one plus one is two'", "print('next')")
    feedback_pass = verdict_text(assignment, Outcome("ps01_q1_tests", 2, 2, "passed"))
    feedback_fail = verdict_text(assignment, Outcome("ps01_q1_tests", 2, 0, "REASON"))
    assert feedback_pass in passed.splitlines()
    line = next(line for line in failed.splitlines() if line.startswith("✘"))
    assert line == feedback_fail.replace("REASON", "AssertionError: one plus one is two")
    assert "fresh inputs" in failed
    # once: the next cell prints its own output and no verdict
    verdicts = [line for line in failed.splitlines() if line.startswith(("✔", "✘"))]
    assert len(verdicts) == 1 and failed.rstrip().endswith("next")


def test_the_announce_line_is_no_edit_and_an_edited_test_still_is(tmp_path):
    from sidebyside.grading.notebook import plan_submission

    assignment = load_assignment(COURSE, "ps01_tensors")
    release = nbformat.read(COURSE / "release" / "ps01_tensors" / "ps01_tensors.ipynb",
                            as_version=4)

    def notes_with(change) -> list[str]:
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == "ps01_q1_tests":
                cell.source = change(cell.source)
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nb, path)
        return plan_submission(path, assignment).notes

    assert notes_with(lambda s: s) == []  # the student version as released
    assert notes_with(lambda s: "\n".join(s.splitlines()[2:])) == []  # announce line deleted
    assert plan_submission(COURSE / "source" / "ps01_tensors" / "ps01_tensors.ipynb",
                           assignment).notes == []  # the instructor's, which never had one
    edited = notes_with(lambda s: s.replace("assert isinstance", "assert 1 or isinstance", 1))
    assert edited == ["test cell ps01_q1_tests was edited: your edits were ignored, "
                      "the original tests ran"]
