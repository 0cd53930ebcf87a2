"""The grader's own faults are not the students': when the sandbox cannot even start the grader's
runner (here: the sidebyside package is left out of the sandbox, so `import sidebyside` fails there),
`sidebyside grade` says what broke, exits non-zero and writes no score anywhere.

Two layers, each tested with the same deliberate break: the check before the batch (the runner is
started once in a sandbox with no student code), and the batch itself (every submission failed the
same way before its first cell), which catches what the first check cannot see. tests/grading/tiny.py's
assignment: a dead runner costs a fraction of a second per submission.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest

from grading import tiny
from sidebyside.grading import cli, sandbox
from sidebyside.grading.sandbox import check_available


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    check_available()
    course = tiny.make_course(tmp_path_factory.mktemp("faults") / "course")
    assert cli.main(["generate", tiny.NAME, "--course-dir", str(course)]) == 0
    return course


def course_with_students(generated: Path, to: Path) -> Path:
    shutil.copytree(generated, to)
    release = nbformat.read(to / "release" / tiny.NAME / f"{tiny.NAME}.ipynb", as_version=4)
    for student, kind in (("ann", "right"), ("ben", "wrong"), ("cid", "double")):
        folder = to / "submitted" / student / tiny.NAME
        folder.mkdir(parents=True)
        (folder / f"{tiny.NAME}.ipynb").write_text(tiny.submission(release, kind))
    (to / "grades.csv").write_text("student_id,score\nann,1\n")  # an earlier export
    return to


def snapshot(course: Path) -> dict[str, str]:
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(course.rglob("*")) if p.is_file()}


@pytest.fixture()
def package_left_out(monkeypatch):
    """The sandbox shows the interpreter and the virtualenv but not the sidebyside package."""
    import sidebyside

    package = str(Path(sidebyside.__file__).resolve().parent)
    shown = sandbox.Sandbox._python_paths
    monkeypatch.setattr(sandbox.Sandbox, "_python_paths",
                        lambda self: [p for p in shown(self) if p != package])


def test_a_runner_that_cannot_start_stops_before_the_batch(generated, tmp_path, capsys,
                                                           package_left_out):
    course = course_with_students(generated, tmp_path / "c")
    before = snapshot(course)
    assert cli.main(["all", tiny.NAME, "--course-dir", str(course), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert "the grader's runner does not start in the sandbox" in err
    assert "No module named 'sidebyside'" in err
    assert "Nothing was graded or written" in err
    assert snapshot(course) == before


def test_a_batch_that_failed_alike_before_any_student_code_writes_nothing(
        generated, tmp_path, capsys, monkeypatch, package_left_out):
    """The same break, with the check before the batch skipped: the batch itself shows it."""
    monkeypatch.setattr(sandbox, "check_available", lambda sandbox=None: None)
    course = course_with_students(generated, tmp_path / "c")
    before = snapshot(course)
    assert cli.main(["all", tiny.NAME, "--course-dir", str(course), "--no-progress",
                     "--jobs", "2"]) == 3
    err = capsys.readouterr().err
    assert "every submission failed the same way before any student code ran" in err
    assert "No module named 'sidebyside'" in err and "the grader is broken" in err
    assert snapshot(course) == before  # gradebook, grades.csv, autograded/, reports/: untouched
