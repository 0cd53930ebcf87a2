"""Writing verdicts where nbgrader expects them: its sqlite Gradebook and the autograded/ folder,
so that `nbgrader export`, `nbgrader generate_feedback` and formgrader keep working."""

from __future__ import annotations

import csv
import datetime as dt
import html
import os
import shutil
import warnings
from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

from sidebyside.grading.grader import SubmissionResult
from sidebyside.grading.notebook import Assignment
from sidebyside.grading.untrusted import spreadsheet_cell


def course_settings(course_dir: Path) -> tuple[str, str]:
    """(course_id, db_url) as nbgrader would read them from nbgrader_config.py."""
    course_dir = Path(course_dir).resolve()
    course_id, db_url = "", f"sqlite:///{course_dir / 'gradebook.db'}"
    config_file = course_dir / "nbgrader_config.py"
    if config_file.exists():
        config = PyFileConfigLoader(config_file.name, str(course_dir)).load_config()
        course_id = str(config.get("CourseDirectory", {}).get("course_id", "") or "")
        db_url = str(config.get("CourseDirectory", {}).get("db_url", "") or db_url)
    return course_id, db_url


MAX_TIMESTAMP_BYTES = 100  # "2026-11-20 12:00:00.000000 UTC" is 30; nbgrader's parser is quadratic


def read_timestamp(submission_dir: Path) -> tuple[bytes | None, str | None]:
    """(the raw bytes of timestamp.txt, None) or (None, why it was ignored); (None, None) if absent.
    Read without following links and bounded in size before anything parses it."""
    from sidebyside.grading import studentfiles

    try:
        fd = studentfiles.open_folder(Path(submission_dir))
    except studentfiles.StudentFileError as err:
        return None, str(err)
    try:
        return studentfiles.read_bounded(fd, "timestamp.txt", MAX_TIMESTAMP_BYTES), None
    except studentfiles.StudentFileError as err:
        if str(err).startswith("there is no"):
            return None, None
        return None, f"{err}: ignored, the submission time is unknown"
    finally:
        os.close(fd)


def _timestamp(raw: bytes | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        from nbgrader.utils import parse_utc

        return parse_utc(raw.decode("utf-8").strip())
    except Exception:  # noqa: BLE001 - a malformed timestamp is the student's file
        return None


def due_passed(course_dir: Path, assignment: str) -> bool:
    """Whether nbgrader's due date for the assignment has passed (False when none is set):
    "after_due" checks are shown from then on."""
    from nbgrader.api import Gradebook, MissingEntry

    course_id, db_url = course_settings(course_dir)
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        warnings.filterwarnings("ignore", message=".*not in session.*")
        try:
            due = gb.find_assignment(assignment).duedate
        except MissingEntry:
            return False
    return due is not None and due < dt.datetime.utcnow()


def record(course_dir: Path, assignment: Assignment, result: SubmissionResult,
           submission_dir: Path, after_due: bool = False) -> None:
    """Store one result: scores in the gradebook, the feedback notebook in autograded/ (as the
    checks' visibility allows the student to see it)."""
    from nbgrader.api import Gradebook

    from sidebyside.grading.notebook import apply_visibility

    course_id, db_url = course_settings(course_dir)
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        # nbgrader's own add_submission triggers SQLAlchemy autoflush warnings (it does in autograde too)
        warnings.filterwarnings("ignore", message=".*not in session.*")
        gb.update_or_create_student(result.student)
        raw_stamp, problem = read_timestamp(submission_dir)
        if problem:
            result.notes.append(problem)
        timestamp = _timestamp(raw_stamp)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        gb.update_or_create_submission(assignment.name, result.student, **kwargs)
        for gid, outcome in result.outcomes.items():
            grade = gb.find_grade(gid, assignment.notebook_name, assignment.name, result.student)
            grade.auto_score = outcome.score
            grade.needs_manual_grade = grade.manual_score is not None
        for gid in assignment.answers:
            try:
                comment = gb.find_comment(gid, assignment.notebook_name, assignment.name,
                                          result.student)
            except Exception:  # noqa: BLE001 - no comment row for this cell kind
                continue
            comment.auto_comment = None
        gb.db.commit()
    out = Path(course_dir) / "autograded" / result.student / assignment.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if result.feedback_nb is not None:
        import copy

        nb = apply_visibility(assignment, copy.deepcopy(result.feedback_nb), result.outcomes,
                              after_due)
        nbformat.write(nb, out / f"{assignment.notebook_name}.ipynb")
    if raw_stamp is not None and timestamp is not None:
        (out / "timestamp.txt").write_bytes(raw_stamp)


def write_report(path: Path, results: list[SubmissionResult], assignment: Assignment) -> None:
    """Our CSV: one row per student, one column per test, plus status and the readable notes."""
    fields = ["student", "assignment", "score", "max_score", "status", *assignment.tests, "notes"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for result in results:
            writer.writerow({k: spreadsheet_cell(v) for k, v in result.row().items()})


def make_spreadsheet_safe(path: Path) -> None:
    """Rewrite a CSV (nbgrader's grades.csv) so that no cell is evaluated as a formula."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([[spreadsheet_cell(v) for v in row] for row in rows])


def write_markdown_feedback(course_dir: Path, result: SubmissionResult,
                            assignment: Assignment | None = None, after_due: bool = False) -> Path:
    """autograded/<student>/<assignment>/feedback.md: scores, reasons and notes (never test source).
    With `assignment`, each check appears as its visibility allows (spec.py): the checks the student
    does not see one by one only as "n hidden checks: k passed".
    `sidebyside grade feedback` copies it next to nbgrader's HTML feedback."""
    from sidebyside.grading.notebook import hidden_summary, shown

    out = Path(course_dir) / "autograded" / result.student / result.assignment
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"# {result.assignment}: {result.score:g} / {result.max_score:g}", ""]
    if result.notes:
        lines += ["## Notes", "", *[f"- {html.escape(n)}" for n in result.notes], ""]
    lines += ["## Tests", "", "| test | points | what it checks | result |", "|---|---|---|---|"]

    def cell(text: str) -> str:
        return html.escape(text).replace("|", "\\|").replace("\n", " ")

    for gid, o in result.outcomes.items():
        if assignment is not None and not shown(assignment, gid, after_due):
            continue
        what = getattr(assignment.checks[gid], "message", "") if assignment else ""
        verdict = "passed" if o.passed else o.message
        lines.append(f"| {gid} | {o.score:g} / {o.points:g} | {cell(what)} | {cell(verdict)} |")
    summary = hidden_summary(assignment, result.outcomes, after_due) if assignment else None
    if summary:
        lines += ["", summary]
    path = out / "feedback.md"
    path.write_text("\n".join(lines) + "\n")
    return path
