"""The hardened grader against honest and adversarial submissions, for real: nbgrader generates the
student version, the submissions run in bubblewrap sandboxes, scores land in a real sqlite gradebook,
nbgrader exports and makes feedback. The batch runs ONCE per module. The fork bomb and file flood
graded beside honest neighbours are in tests/test_grading_concurrency.py.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from grading import submissions as subs
from sidebyside.grading import cli, uids
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import check_available
from sidebyside.grading.untrusted import terminal_text

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps01_tensors"
LIMITS = ["--wall", "90", "--cell", "45", "--memory-gib", "4"]  # generous: CI runs suites in parallel


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attack_processes() -> list[str]:
    """Sandbox processes started by attack_background (other modules' sandboxes may be running)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,args="], capture_output=True, text=True)
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
    hidden = cli._hidden_lines(load_assignment(course, ASSIGNMENT))
    expected["honest_hidden_line"] = (
        subs.fill(release, subs.RIGHT | {"ps01_q1_answer_torch": subs.hidden_line_answer(hidden[0])}),
        7, "exact")
    hashes = {}
    for name, (text, _, _) in expected.items():
        folder = course / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(text.encode("utf-8", "surrogateescape"))
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        subs.FOLDERS.get(name, lambda folder: None)(folder)
        if (folder / f"{ASSIGNMENT}.ipynb").is_file():
            hashes[name] = digest(folder / f"{ASSIGNMENT}.ipynb")
    for bad in subs.BAD_IDS:  # honest notebooks in folders whose names cannot be student ids
        folder = course / "submitted" / bad / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(subs.fill(release, subs.RIGHT))
    start = time.monotonic()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["all", ASSIGNMENT, "--course-dir", str(course), "--jobs", "2",
                         "--no-progress", *LIMITS])
    seconds = time.monotonic() - start
    with open(course / "reports" / f"{ASSIGNMENT}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"dir": course, "expected": expected, "hashes": hashes, "code": code, "rows": rows,
            "seconds": seconds, "hidden": hidden, "stdout": out.getvalue(), "stderr": err.getvalue()}


def test_batch_finishes_and_grades_everyone(course):
    assert course["code"] == 0, course["stderr"][-2000:]
    rejected = {"'" * name.startswith(("=", "@")) + terminal_text(name) for name in subs.BAD_IDS}
    assert set(course["rows"]) == set(course["expected"]) | rejected
    internal = {n: r["notes"] for n, r in course["rows"].items() if "internal" in r["notes"]}
    assert not internal, internal  # every problem a student can cause has a named reason




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
    assert "network: no" in text, text
    uid = int(text.split("uid: ")[1].split()[0])
    assert uid >= uids.BASE, text  # a uid of its own, never root or a real user


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
    ours = {name: float(row["score"]) for name, row in course["rows"].items()
            if name in course["expected"]}  # rejected folder names never reach the gradebook
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
    unread = {n for n in course["expected"] if not (
        course["dir"] / "submitted" / n / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()}
    assert unread == {"hostile_notebook_fifo"}
    # one HTML per student with a notebook file (one failure never stops the others)
    assert {p.parts[-3] for p in htmls} == set(course["expected"]) - unread
    assert len(mds) == len(course["expected"])
    for path in htmls + mds:
        if path.parts[-3] == "honest_hidden_line":
            continue  # quotes a hidden line in its own answer: see test_leak_check_is_no_oracle
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


# ---- issue 12: what a student controls around the notebook ------------------------------------


def test_named_reasons_for_malformed_submissions(course):
    rows = course["rows"]
    status = {n: r["status"] for n, r in rows.items()}
    assert "4 unreadable report line(s)" in rows["hostile_malformed"]["notes"]
    assert "does not validate" in rows["hostile_malformed"]["notes"]
    assert status["hostile_report_flood"] == "flooded"
    assert "more than 32 MiB" in rows["hostile_report_flood"]["notes"]
    assert "died" not in rows["hostile_report_flood"]["notes"]
    assert status["hostile_too_many_files"] == "invalid"
    assert "does not fit in the sandbox" in rows["hostile_too_many_files"]["notes"]
    assert "not a regular file" in rows["hostile_notebook_fifo"]["notes"]
    assert "unreadable JSON" in rows["broken_huge_int_json"]["notes"]
    assert "nested too deeply" in rows["broken_deep_json"]["notes"]
    assert "not UTF-8" in rows["broken_not_utf8"]["notes"]
    for name in ("broken_huge_int_json", "broken_deep_json", "broken_not_utf8",
                 "hostile_notebook_fifo", "hostile_too_many_files"):
        assert status[name] == "invalid", (name, rows[name]["notes"])


def test_timestamps_are_read_safely(course):
    from nbgrader.api import Gradebook

    rows = course["rows"]
    assert "timestamp.txt is a symbolic link" in rows["hostile_folder"]["notes"]
    assert "timestamp.txt is larger than 100 bytes" in rows["hostile_malformed"]["notes"]
    with Gradebook(f"sqlite:///{course['dir'] / 'gradebook.db'}", "sidebyside") as gb:
        stamps = {n: gb.find_submission(ASSIGNMENT, n).timestamp
                  for n in ("honest_correct", "hostile_folder", "hostile_malformed")}
    assert str(stamps["honest_correct"]).startswith("2026-11-20 12:00:00")
    # the link to /usr/share/zoneinfo/Asia/Tokyo was not followed; the 1 MB one was not parsed
    assert stamps["hostile_folder"] is None and stamps["hostile_malformed"] is None


def test_bad_student_ids_are_rejected_with_a_reason(course):
    from nbgrader.api import Gradebook

    assert "cannot be a student id" in course["stderr"]
    assert "\x1b" not in course["stdout"] + course["stderr"]  # escape sequences printed escaped
    with Gradebook(f"sqlite:///{course['dir'] / 'gradebook.db'}", "sidebyside") as gb:
        students = {s.id for s in gb.students}
    assert students == set(course["expected"])  # none of the bad ids reached the gradebook
    rejected = [r for r in course["rows"].values() if "cannot be a student id" in r["notes"]]
    assert len(rejected) == len(subs.BAD_IDS)
    assert all(r["status"] == "invalid" and float(r["score"]) == 0 for r in rejected)


def test_spreadsheets_get_no_formulas(course):
    for path in (course["dir"] / "reports" / f"{ASSIGNMENT}.csv", course["dir"] / "grades.csv"):
        with open(path, newline="") as f:
            cells = [cell for row in csv.reader(f) for cell in row]
        formulas = [c for c in cells if c.startswith(("=", "+", "-", "@")) and not _number(c)]
        assert not formulas, (path, formulas)
    assert any(c.startswith("'=HYPERLINK") for c in _cells(course["dir"] / "reports" /
                                                            f"{ASSIGNMENT}.csv"))


def _cells(path):
    with open(path, newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_leak_check_is_no_oracle(course):
    # a student who typed a hidden test line keeps the feedback (it shows their own text) ...
    student = "honest_hidden_line"
    html = next((course["dir"] / "feedback" / student / ASSIGNMENT).glob("*.html"))
    assert course["hidden"][0] in cli.visible_text(html.read_text())
    assert float(course["rows"][student]["score"]) == 7
    # ... while a feedback notebook whose instructor cells carry hidden tests is refused
    nb_path = course["dir"] / "autograded" / "honest_correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    source = load_assignment(course["dir"], ASSIGNMENT).source_nb
    tests = [c for c in source.cells if "BEGIN HIDDEN TESTS" in c.source]
    leaked = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                  == tests[0].metadata["nbgrader"]["grade_id"])
    leaked.source = tests[0].source
    nbformat.write(nb, nb_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["feedback", ASSIGNMENT, "--course-dir", str(course["dir"]),
                         "--student", "honest_correct"])
    assert code == 4 and "hidden test source" in err.getvalue()
    assert not list((course["dir"] / "feedback" / "honest_correct").rglob("*.html"))
