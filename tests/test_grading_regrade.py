"""Regrade after a check is fixed, end to end on ps08 with real submissions in the real sandbox.

Two students are graded with ps08's check as it was before issue 19 (tests/grading/
ps08_saving_before_fix.py), which gave both 10/10: `right` does the round trips, `shortcut` pickles
the torch model (torch.save + torch.load(weights_only=False)) and returns a Keras copy instead of the
reloaded SavedModel (its Q3 is right). Then the fixed check
(graded/checks/ps08_saving.py) goes in and `sidebyside grade regrade` runs: exactly the affected
scores change, each with a line in the audit trail, the gradebook and the feedback follow, and a
second regrade finds nothing to do. One graded batch (four sandboxed ps08 runs, two at a time) serves
every test here, the LMS exports included.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from sidebyside.grading import cli
from sidebyside.grading.sandbox import check_available
from test_grading_battery import _number  # the same "is this cell a plain number" rule

ROOT = Path(__file__).resolve().parents[1]
NAME = "ps08_saving"
SOLUTION = re.compile(r"^ *### (BEGIN|END) SOLUTION\n", re.M)

PICKLE_TORCH = '''def roundtrip_torch(model, example, path):
    torch.save(model, path)
    return torch.load(path, weights_only=False)
'''
COPY_TF = '''def roundtrip_tf(model, folder):
    model.export(str(folder), verbose=False)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return lambda inputs: clone(inputs)
'''
ANSWERS = {"right": {}, "shortcut": {"ps08_q1_answer": PICKLE_TORCH,
                                     "ps08_q2_answer": "import keras\n\n\n" + COPY_TF}}
Q1, Q2, Q3 = "ps08_q1_tests", "ps08_q2_tests", "ps08_q3_tests"
AFTER = {"right": 10.0, "shortcut": 4.0}


def submission(kind: str) -> str:
    """The release notebook with the instructor's answers, some replaced by this kind's."""
    source = nbformat.read(ROOT / "graded" / "source" / NAME / f"{NAME}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: SOLUTION.sub("", c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    answers |= ANSWERS[kind]
    nb = nbformat.read(ROOT / "graded" / "release" / NAME / f"{NAME}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nbformat.writes(nb)


def report(course: Path) -> dict[str, dict]:
    with open(course / "reports" / f"{NAME}.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def exported(course: Path) -> dict[str, float]:
    target = course / "export.csv"
    assert cli.main(["export", "--course-dir", str(course), "--to", str(target)]) == 0
    with open(target, newline="") as f:
        return {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)
                if r["assignment"] == NAME}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course graded with the old check, then regraded with the fixed one."""
    check_available()
    course = tmp_path_factory.mktemp("regrade") / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / NAME, course / "source" / NAME)
    (course / "checks").mkdir()
    shutil.copy(ROOT / "tests" / "grading" / "ps08_saving_before_fix.py",
                course / "checks" / f"{NAME}.py")
    assert cli.main(["generate", NAME, "--course-dir", str(course)]) == 0
    for kind in ANSWERS:
        folder = course / "submitted" / kind / NAME
        folder.mkdir(parents=True)
        (folder / f"{NAME}.ipynb").write_text(submission(kind))
    common = ["--course-dir", str(course), "--jobs", "2", "--no-progress", "--wall", "170"]
    assert cli.main(["autograde", NAME, *common]) == 0
    assert cli.main(["feedback", NAME, "--course-dir", str(course)]) == 0
    before = {"report": report(course), "export": exported(course),
              "feedback": (course / "feedback" / "shortcut" / NAME / "feedback.md").read_text()}
    shutil.copy(ROOT / "graded" / "checks" / f"{NAME}.py", course / "checks" / f"{NAME}.py")
    return {"course": course, "common": common, "before": before}


@pytest.fixture(scope="module")
def regraded(graded):
    course = graded["course"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # module fixtures cannot use capsys
        code = cli.main(["regrade", NAME, *graded["common"], "--by", "ta-jo",
                         "--why", "ps08 accepted a pickle round trip (issue 19)"])
    with open(course / "reports" / f"{NAME}.audit.csv", newline="") as f:
        audit = list(csv.DictReader(f))
    return {**graded, "code": code, "out": printed.getvalue(), "audit": audit,
            "report": report(course), "export": exported(course)}


def test_the_old_check_gave_every_shortcut_full_marks(graded):
    assert {s: float(r["score"]) for s, r in graded["before"]["report"].items()} == {
        "right": 10.0, "shortcut": 10.0}
    assert graded["before"]["export"] == {"right": 10.0, "shortcut": 10.0}


def test_regrade_changes_exactly_the_affected_scores_with_a_trail(regraded):
    assert regraded["code"] == 0, regraded["out"]
    assert {s: float(r["score"]) for s, r in regraded["report"].items()} == AFTER
    assert regraded["export"] == AFTER  # the gradebook, through nbgrader export
    changes = {(r["student"], r["question"], r["old"], r["new"]) for r in regraded["audit"]}
    assert changes == {("shortcut", Q1, "3", "0"), ("shortcut", Q2, "3", "0")}
    for row in regraded["audit"]:
        assert row["who"] == "ta-jo" and "issue 19" in row["why"] and row["when"][:2] == "20"
    # every change was printed, and only the changed checks ran again (Q3's check did not change)
    assert f"regrading {Q1}, {Q2} for 2 student(s)" in regraded["out"]
    assert "2 score(s) change, 1 student(s)" in regraded["out"]
    shortcut = regraded["report"]["shortcut"]
    assert (shortcut[Q1], shortcut[Q2], shortcut[Q3]) == ("0.0", "0.0", "4.0")


def test_regrade_regenerates_the_feedback(regraded):
    course = regraded["course"]
    assert "not an exported program" not in regraded["before"]["feedback"]
    md = (course / "feedback" / "shortcut" / NAME / "feedback.md").read_text()
    assert "4 / 10" in md and "not an exported program" in md
    assert "not from a copy of the Keras model" in md
    # Q3's check is hidden: counted, never shown on its own (spec.py: visibility)
    assert "1 hidden check: 1 passed (4 / 4 points)" in md and Q3 not in md
    html = (course / "feedback" / "shortcut" / NAME / f"{NAME}.html").read_text()
    assert "not an exported program" in html and "a hidden check" in html
    record = json.loads((course / "reports" / f"{NAME}.outcomes.json").read_text())
    assert record["students"]["right"][Q1][0] == 3.0


def test_a_second_regrade_finds_nothing_and_writes_nothing(regraded, capsys):
    course = regraded["course"]
    audit = (course / "reports" / f"{NAME}.audit.csv").read_text()
    assert cli.main(["regrade", NAME, *regraded["common"]]) == 0
    assert "nothing to regrade" in capsys.readouterr().out
    assert (course / "reports" / f"{NAME}.audit.csv").read_text() == audit


def test_canvas_and_moodle_exports_read_back_by_their_rules(regraded):
    """The regraded scores in each LMS's gradebook CSV, per question, read back as that LMS reads
    it; names a spreadsheet would evaluate stay text (a leading apostrophe), numbers stay numbers."""
    from nbgrader.api import Gradebook

    course = regraded["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "sidebyside") as gb:
        student = gb.find_student("shortcut")
        student.first_name, student.last_name = '=HYPERLINK("http://x.example","y")', "@SUM(A1)"
        student.email = "+1@example.org"
        gb.db.commit()
    columns = [NAME, f"{NAME}: {Q1}", f"{NAME}: {Q2}", f"{NAME}: {Q3}"]
    points = {NAME: 10.0, f"{NAME}: {Q1}": 3.0, f"{NAME}: {Q2}": 3.0, f"{NAME}: {Q3}": 4.0}
    want = {"right": [10.0, 3.0, 3.0, 4.0], "shortcut": [4.0, 0.0, 0.0, 4.0]}

    assert cli.main(["export", "--course-dir", str(course), "--format", "canvas"]) == 0
    with open(course / "grades-canvas.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, possible, students = rows[0], rows[1], rows[2:]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert possible[0] == "Points Possible"
    assert {h: float(p) for h, p in zip(header[5:], possible[5:])} == points
    by_login = {r[3]: r for r in students}  # matched by SIS Login ID, ID left empty
    assert set(by_login) == set(want)
    for login, scores in want.items():
        row = dict(zip(header, by_login[login]))
        assert [float(row[c]) for c in columns] == scores, login
    assert by_login["shortcut"][0] == "'@SUM(A1), =HYPERLINK(\"http://x.example\",\"y\")"

    assert cli.main(["export", "--course-dir", str(course), "--format", "moodle"]) == 0
    with open(course / "grades-moodle.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0])[:5] == ["Username", "First name", "Last name", "Email address",
                                  "ID number"]
    moodle = {r["Username"]: r for r in table}
    for login, scores in want.items():
        assert [float(moodle[login][c]) for c in columns] == scores, login
    shortcut = moodle["shortcut"]
    assert shortcut["First name"] == "'" + '=HYPERLINK("http://x.example","y")'
    assert shortcut["Last name"] == "'@SUM(A1)" and shortcut["Email address"] == "'+1@example.org"
    cells = [c for r in table for c in r.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@") and not _number(c)]
