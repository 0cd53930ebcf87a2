"""Grades out to where courses keep them: the gradebook CSV files Canvas and Moodle import.

    sidebyside grade export --format canvas   # -> grades-canvas.csv
    sidebyside grade export --format moodle   # -> grades-moodle.csv

Scores come from nbgrader's gradebook (a manual score wins over the auto score, as in formgrader).
Each assignment gives one column for its total and one per question ("ps08_saving: ps08_q1_tests"),
so a course can import either (import the total, or the questions, not both, or the LMS adds them up).

- Canvas (Grades → Import): the columns Canvas's own export has, `Student`, `ID`, `SIS User ID`,
  `SIS Login ID`, `Section`, then one column per assignment; the second row starts with
  `Points Possible` and gives each column's maximum. The student's login (the nbgrader id) is the
  `SIS Login ID`, by which Canvas matches students when `ID` is empty; a column Canvas does not know
  becomes a new assignment.
- Moodle (Grades → Import → CSV file): one header row, an identifier column to map on import
  ("Identify user by": `Username` maps to the username, or use `Email address` / `ID number`), the
  user's names, then one grade column per grade item (mapped on import to an item, or "new grade
  item"). No points row: Moodle takes an item's maximum from the item itself.

Every text cell that a spreadsheet would evaluate (one starting with = + - @, a tab or a carriage
return) gets a leading apostrophe (`untrusted.spreadsheet_cell`); numbers are written as numbers.
A student with no submission gets an empty cell, not 0 (Canvas and Moodle leave an empty grade alone).
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

from sidebyside.grading.untrusted import spreadsheet_cell

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIXED = ["Username", "First name", "Last name", "Email address", "ID number"]


@dataclass
class Column:
    title: str
    assignment: str
    question: str | None  # None: the assignment's total
    points: float


@dataclass
class Student:
    id: str
    first: str
    last: str
    email: str
    scores: dict[str, float | None]  # column title -> score (None: nothing submitted)


def read_gradebook(course_dir: Path) -> tuple[list[Column], list[Student]]:
    from nbgrader.api import Gradebook, MissingEntry

    from sidebyside.grading.gradebook import course_settings

    course_id, db_url = course_settings(course_dir)
    columns: list[Column] = []
    students: list[Student] = []
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        warnings.filterwarnings("ignore", message=".*not in session.*")
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            columns.append(Column(assignment.name, assignment.name, None,
                                  float(assignment.max_score)))
            for notebook in assignment.notebooks:
                for cell in sorted(notebook.grade_cells, key=lambda c: c.name):
                    columns.append(Column(f"{assignment.name}: {cell.name}", assignment.name,
                                          cell.name, float(cell.max_score)))
        for student in sorted(gb.students, key=lambda s: s.id):
            scores: dict[str, float | None] = {}
            for column in columns:
                try:
                    submission = gb.find_submission(column.assignment, student.id)
                except MissingEntry:
                    scores[column.title] = None
                    continue
                if column.question is None:
                    scores[column.title] = float(submission.score)
                else:
                    grades = [g for nb in submission.notebooks for g in nb.grades
                              if g.name == column.question]
                    scores[column.title] = float(grades[0].score) if grades else None
            students.append(Student(student.id, student.first_name or "", student.last_name or "",
                                    student.email or "", scores))
    return columns, students


def _score(value: float | None):
    return "" if value is None else round(value, 4)


def write_canvas(path: Path, columns: list[Column], students: list[Student]) -> None:
    rows = [CANVAS_FIXED + [c.title for c in columns],
            ["Points Possible", "", "", "", ""] + [c.points for c in columns]]
    for s in students:
        name = f"{s.last}, {s.first}" if s.last or s.first else s.id
        rows.append([name, "", "", s.id, ""] + [_score(s.scores[c.title]) for c in columns])
    _write(path, rows)


def write_moodle(path: Path, columns: list[Column], students: list[Student]) -> None:
    rows = [MOODLE_FIXED + [c.title for c in columns]]
    for s in students:
        rows.append([s.id, s.first, s.last, s.email, ""]
                    + [_score(s.scores[c.title]) for c in columns])
    _write(path, rows)


def _write(path: Path, rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_MINIMAL).writerows(
            [[spreadsheet_cell(v) for v in row] for row in rows])


FORMATS = {"canvas": write_canvas, "moodle": write_moodle}


def export(course_dir: Path, fmt: str, to: Path | None = None) -> Path:
    target = Path(to) if to else Path(course_dir) / f"grades-{fmt}.csv"
    columns, students = read_gradebook(course_dir)
    FORMATS[fmt](target, columns, students)
    return target
