"""The hardened grader against honest and adversarial submissions, for real: nbgrader generates the
student version, the submissions run in bubblewrap sandboxes, scores land in a real sqlite gradebook,
nbgrader exports and makes feedback. The batch runs ONCE per module (about 3-5 minutes on 2 cores).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from grading import submissions as subs
from sidebyside.grading import cli
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import check_available

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps01_tensors"
LIMITS = ["--wall", "90", "--cell", "45", "--memory-gib", "4"]  # generous: CI runs suites in parallel


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attack_processes() -> list[str]:
    """Sandbox processes started by attack_background (other modules' sandboxes may be running)."""
    out = subprocess.run(["ps", "-u", "65534", "-o", "pid=,args="], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if "still_alive" in line]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    check_available()  # fails with a clear message where bubblewrap cannot sandbox
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "checks").mkdir()
    shutil.copy(ROOT / "graded" / "checks" / f"{ASSIGNMENT}.py", course / "checks")
    assert cli.main(["generate", ASSIGNMENT, "--course-dir", str(course)]) == 0
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    expected = subs.build(release)
    hashes = {}
    for name, (text, _, _) in expected.items():
        folder = course / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(text)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        hashes[name] = digest(folder / f"{ASSIGNMENT}.ipynb")
    start = time.monotonic()
    code = cli.main(["all", ASSIGNMENT, "--course-dir", str(course), "--jobs", "2",
                     "--no-progress", *LIMITS])
    seconds = time.monotonic() - start
    with open(course / "reports" / f"{ASSIGNMENT}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"dir": course, "expected": expected, "hashes": hashes, "code": code, "rows": rows,
            "seconds": seconds}


def test_batch_finishes_and_grades_everyone(course):
    assert course["code"] == 0
    assert set(course["rows"]) == set(course["expected"])




def test_honest_submissions_score_exactly(course):
    wrong = {}
    for name, (_, expected, kind) in course["expected"].items():
        score = float(course["rows"][name]["score"])
        if kind == "exact" and score != expected:
            wrong[name] = (score, expected, course["rows"][name]["notes"])
    assert not wrong, wrong


def test_no_attack_scores_more_than_its_honest_score(course):
    over = {}
    for name, (_, cap, kind) in course["expected"].items():
        score = float(course["rows"][name]["score"])
        if kind == "cap" and score > cap:
            over[name] = (score, cap, course["rows"][name]["notes"])
    assert not over, over


def test_reasons_are_reported(course):
    notes = {name: row["notes"] for name, row in course["rows"].items()}
    status = {name: row["status"] for name, row in course["rows"].items()}
    assert notes["honest_correct"] == "" and status["honest_correct"] == "graded"
    assert notes["honest_warnings"] == "", "stderr and warnings are not problems"
    assert "invalid JSON" in notes["broken_invalid_json"] and status["broken_invalid_json"] == "invalid"
    restructured = notes["broken_restructured"]
    assert "ps01_q1_tests was deleted" in restructured
    assert "ps01_q2_tests appears 2 times" in restructured
    assert "ps01_q3_tests was edited" in restructured
    assert "kernel 'ir'" in restructured
    assert "ps01_q2_answer_tf is missing" in notes["broken_missing_answer"]
    assert "ps01_q1_tests was edited" in notes["attack_edited_tests"]
    assert status["limit_stubborn_loop"] == "timeout" and "limit for the whole" in \
        notes["limit_stubborn_loop"]
    assert "cell limit" in notes["limit_loop"]
    assert status["limit_os_exit"] == "died"


def test_sandbox_hid_the_course_and_the_network(course):
    nb = nbformat.read(course["dir"] / "autograded" / "attack_snoop" / ASSIGNMENT /
                       f"{ASSIGNMENT}.ipynb", as_version=4)
    answer = next(c for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "ps01_q1_answer_torch")
    text = "".join(o.get("text", "") for o in answer.outputs)
    assert "visible files: []" in text, text
    assert "writable: []" in text, text
    assert "network: no" in text and "uid: 65534" in text, text


def test_gradebook_intact_and_matches_export(course):
    time.sleep(3)  # give any surviving background process time to act (none should survive)
    assert attack_processes() == []
    db = course["dir"] / "gradebook.db"
    with sqlite3.connect(db) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert cli.main(["export", "--course-dir", str(course["dir"]),
                     "--to", str(course["dir"] / "export.csv")]) == 0
    with open(course["dir"] / "export.csv") as f:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    ours = {name: float(row["score"]) for name, row in course["rows"].items()}
    assert exported == ours
    assert not list(course["dir"].rglob("still_alive.txt"))


def test_original_submissions_untouched(course):
    for name, before in course["hashes"].items():
        path = course["dir"] / "submitted" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert digest(path) == before, name


def test_feedback_has_no_hidden_tests(course):
    assignment = load_assignment(course["dir"], ASSIGNMENT)
    hidden = cli._hidden_lines(assignment)
    assert hidden
    htmls = list((course["dir"] / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    mds = list((course["dir"] / "feedback").glob(f"*/{ASSIGNMENT}/feedback.md"))
    assert len(htmls) >= len(course["expected"]) - 1 and len(mds) == len(course["expected"])
    for path in htmls + mds:
        text = cli.visible_text(path.read_text())
        assert "BEGIN HIDDEN TESTS" not in text, path
        for line in hidden:
            assert line not in text, (path, line)


def test_submission_text_is_escaped_in_feedback(course):
    # a kernel name carrying markup is quoted in the notes: it must reach the HTML and markdown
    # feedback (and formgrader's view of the autograded notebook) as text, never as live markup
    student = "hostile_markup"
    files = [*(course["dir"] / "feedback" / student).rglob("*.html"),
             *(course["dir"] / "feedback" / student).rglob("feedback.md"),
             *(course["dir"] / "autograded" / student).rglob("*.ipynb")]
    assert files
    for path in files:
        text = path.read_text()
        assert "<script>alert(" not in text and "<img src=x" not in text, path
    assert any("&lt;script&gt;" in p.read_text() for p in files if p.suffix == ".md")
