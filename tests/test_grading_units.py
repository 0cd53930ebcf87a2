"""Fast tests of the grader's parts: the sandbox itself (real bubblewrap, no frameworks loaded),
report parsing, and reading broken submissions. The full battery is in test_grading_battery.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sidebyside.grading import uids
from sidebyside.grading.grader import parse_reports
from sidebyside.grading.notebook import load_assignment, plan_submission, strip_hidden_tests
from sidebyside.grading.sandbox import (
    Limits,
    Sandbox,
    SandboxUnavailable,
    check_available,
    isolation,
)

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "graded"


def run_py(tmp_path, code, limits=None):
    sandbox = Sandbox(limits or Limits(wall_seconds=30))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return sandbox.run(work, [sandbox.python, "-c", code])


def test_sandbox_is_available_here():
    check_available()  # CI runs as root on this kind of machine: it must really sandbox


def test_missing_bwrap_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without bwrap
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        check_available()


def test_sandbox_sees_only_its_folder(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden")
    code = f"""
import os, socket
print("secret", os.path.exists({str(secret)!r}))
print("graded", os.path.exists({str(COURSE)!r}))
print("uid", os.getuid())
open("mine.txt", "w").write("ok")
for target in ("/usr/pwned", {str(tmp_path / 'pwned')!r}, "/work/main/widgets/pwned"):
    try:
        open(target, "w")
        print("wrote", target)
    except OSError:
        pass
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    print("network yes")
except OSError:
    print("network no")
"""
    result = run_py(tmp_path, code + "print('mine', open('mine.txt').read())\n")
    out = result.stdout.decode()
    assert "secret False" in out and "graded False" in out, out
    assert f"uid {result.uid}" in out and result.uid >= uids.BASE, out  # a uid of its own
    assert "wrote" not in out and "network no" in out, out
    assert "mine ok" in out, out  # its copy of the folder is writable...
    assert not (tmp_path / "work" / "mine.txt").exists()  # ...the original is never written
    assert not (tmp_path / "pwned").exists()


def test_wall_clock_kills_background_processes(tmp_path):
    code = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
    "import time\\nfor i in range(100):\\n    open('alive.txt', 'a').write('x')\\n    time.sleep(0.1)"],
    start_new_session=True)
while True:
    try:
        time.sleep(1)
    except BaseException:
        pass
"""
    started = seconds_since_boot()
    result = run_py(tmp_path, code, Limits(wall_seconds=3))
    assert result.timed_out
    import time

    time.sleep(0.5)
    out = subprocess.run(["ps", "-e", "-o", "uid=,args="], capture_output=True, text=True)
    assert "alive.txt" not in out.stdout, "a background process outlived the sandbox"
    # Nothing this sandbox started runs under its uid. Another worker's sandbox may hold the uid by
    # now (it is borrowed again the moment this one is done): it started after the 3 s wall limit.
    assert not started_by_uid_before(result.uid, started + 3.0)


def seconds_since_boot() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def started_by_uid_before(uid: int, since_boot: float) -> list[str]:
    """Processes of `uid` that started before `since_boot` (their /proc start time)."""
    tick, found = os.sysconf("SC_CLK_TCK"), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[19]) / tick < since_boot:  # field 22, starttime
                found.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
        except (OSError, IndexError):
            continue  # it ended meanwhile
    return found
    layout, _ = isolation()
    for parent in layout.parents.values():
        assert not list(parent.glob(f"sidebyside-{os.getpid()}-*")), "a control group was left"


def test_memory_and_file_limits(tmp_path):
    code = """
try:
    x = bytearray(2 * 2**30)
    print("allocated")
except MemoryError:
    print("memory refused")
try:
    with open("big.bin", "wb") as f:
        f.write(b"0" * (3 * 2**20))
    print("wrote big file")
except OSError as e:
    print("file refused")
"""
    limits = Limits(wall_seconds=30, memory_bytes=1 * 2**30, file_bytes=2**20)
    out = run_py(tmp_path, code, limits).stdout.decode()
    assert "memory refused" in out and "file refused" in out, out


def test_reports_need_the_nonce():
    stdout = (b'@@abc {"kind": "probe", "grade_id": "q", "result": 1}\n'
              b'@@zzz {"kind": "probe", "grade_id": "q", "result": 2}\n'
              b'{"kind": "probe"}\n@@abc not json\n')
    reports, bad = parse_reports(stdout, "abc")
    assert reports == [{"kind": "probe", "grade_id": "q", "result": 1, "error": None}] and bad == 1


def test_strip_hidden_tests():
    src = "assert a\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nassert b"
    assert strip_hidden_tests(src) == "assert a\nassert b"


@pytest.fixture(scope="module")
def ps01():
    return load_assignment(COURSE, "ps01_tensors")


def test_plan_of_instructor_notebook_has_no_notes(ps01):
    plan = plan_submission(COURSE / "source" / "ps01_tensors" / "ps01_tensors.ipynb", ps01)
    assert plan.fatal is None and plan.notes == []
    probes = [s["grade_id"] for s in plan.steps if s["kind"] == "probe"]
    assert probes == list(ps01.tests)


def test_plan_of_broken_files(ps01, tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert "invalid JSON" in plan_submission(bad, ps01).fatal
    bad.write_text(json.dumps({"cells": "nope"}))
    assert "not a notebook" in plan_submission(bad, ps01).fatal
    nb = nbformat.read(COURSE / "source" / "ps01_tensors" / "ps01_tensors.ipynb", as_version=4)
    nb.metadata["kernelspec"]["name"] = "evil"
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ps01_q1_tests":
            cell.metadata.nbgrader.points = 100
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                != "ps01_q3_answer_tf"]
    bad.write_text(nbformat.writes(nb))
    notes = " ".join(plan_submission(bad, ps01).notes)
    assert "kernel 'evil'" in notes and "ps01_q3_answer_tf is missing" in notes
    assert "metadata of test cell ps01_q1_tests was edited" in notes


def test_every_assignment_has_checks_for_its_tests():
    names = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
    assert len(names) >= 6
    for name in names:
        assignment = load_assignment(COURSE, name)
        assert assignment.tests and set(assignment.tests) <= set(assignment.checks)


def test_every_check_has_a_visibility_points_and_a_message_for_the_student(tmp_path):
    from sidebyside.grading.spec import VISIBILITIES

    names = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
    for name in names:
        assignment = load_assignment(COURSE, name)  # refuses points that differ from the notebook's
        for gid, check in assignment.checks.items():
            assert check.visibility in VISIBILITIES, gid
            assert check.points == assignment.tests[gid], gid
            assert len(check.message) > 20 and not check.message.endswith("."), gid
    # a Check whose points disagree with its test cell is refused when the assignment is loaded
    course = tmp_path / "c"
    shutil.copytree(COURSE / "source" / "ps09_debugging", course / "source" / "ps09_debugging")
    (course / "checks").mkdir()
    text = (COURSE / "checks" / "ps09_debugging.py").read_text()
    assert "points=3," in text
    (course / "checks" / "ps09_debugging.py").write_text(text.replace("points=3,", "points=5,", 1))
    with pytest.raises(ValueError, match="points 5 differ from the test cell's 3"):
        load_assignment(course, "ps09_debugging")


def test_feedback_shows_each_check_as_its_visibility_allows(tmp_path):
    """Visible checks with their message and reason; after_due ones only once the due date has
    passed; hidden ones only counted, never with their reason (which may quote expected values)."""
    from sidebyside.grading.gradebook import write_markdown_feedback
    from sidebyside.grading.grader import Outcome, SubmissionResult
    from sidebyside.grading.notebook import apply_visibility, feedback_notebook, plan_submission

    assignment = load_assignment(COURSE, "ps09_debugging")
    assert [c.visibility for c in assignment.checks.values()] == ["visible", "visible", "after_due"]
    result = SubmissionResult("ann", assignment.name, 4.0, 10.0)
    result.outcomes = {
        "ps09_q1_tests": Outcome("ps09_q1_tests", 4, 4, "passed"),
        "ps09_q2_tests": Outcome("ps09_q2_tests", 3, 0, "mse_tf broadcasts: got 0.93, expected 0.41"),
        "ps09_q3_tests": Outcome("ps09_q3_tests", 3, 0, "traced 4 times, expected 1"),
    }
    before = write_markdown_feedback(tmp_path, result, assignment, after_due=False).read_text()
    assert "mse_tf broadcasts" in before and assignment.checks["ps09_q2_tests"].message in before
    assert "1 hidden check: 0 passed (0 / 3 points)" in before
    assert "ps09_q3_tests" not in before and "traced 4 times" not in before
    after = write_markdown_feedback(tmp_path, result, assignment, after_due=True).read_text()
    assert "traced 4 times" in after and "hidden check" not in after
    plan = plan_submission(COURSE / "source" / "ps09_debugging" / "ps09_debugging.ipynb", assignment)
    nb = apply_visibility(assignment, feedback_notebook(assignment, plan, {}, result.outcomes, []),
                          result.outcomes, after_due=False)
    text = nbformat.writes(nb)
    assert "traced 4 times" not in text and "1 hidden check: 0 passed" in text
    q3 = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ps09_q3_tests")
    assert q3.metadata["nbgrader"]["grade"] is False  # nbgrader's HTML shows no score for it


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "sidebyside.cli", "grade", "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "autograde" in out.stdout


def test_bwrap_is_installed():
    assert shutil.which("bwrap"), "apt-get install -y bubblewrap (make system-deps)"
    assert os.path.exists("/usr/bin/prlimit") and os.path.exists("/usr/bin/setpriv")


def test_symlinked_notebook_is_refused(ps01, tmp_path):
    from sidebyside.grading.grader import grade_submission

    folder = tmp_path / "mallory" / "ps01_tensors"
    folder.mkdir(parents=True)
    (folder / "ps01_tensors.ipynb").symlink_to(COURSE / "source" / "ps01_tensors" / "ps01_tensors.ipynb")
    result = grade_submission(ps01, "mallory", folder, Sandbox())
    assert result.score == 0 and result.status == "invalid" and "symbolic link" in result.notes[0]
    linked = tmp_path / "eve" / "ps01_tensors"
    linked.parent.mkdir()
    linked.symlink_to(COURSE / "source" / "ps01_tensors")
    result = grade_submission(ps01, "eve", linked, Sandbox())
    assert result.score == 0 and result.status == "invalid"


# ---- issue 12: isolation and everything a student controls --------------------------------------


def test_this_machine_isolates_concurrent_sandboxes():
    layout, why = isolation()
    assert layout is not None, why
    assert {"pids", "memory"} <= set(layout.parents)


def test_fork_bomb_stays_in_its_sandbox(tmp_path):
    """A bomb holding every process it can get, and a neighbour starting threads and a process at
    the same time (both bare Python: the battery does the same with whole notebooks)."""
    import threading

    limits = Limits(wall_seconds=40, processes=200)
    bomb = """
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(6)
            os._exit(0)
        n += 1
except OSError as err:
    print("bomb", n, type(err).__name__, time.time(), flush=True)
time.sleep(6)
"""
    neighbour = """
import subprocess, sys, threading, time
time.sleep(2)
woke = time.time()
ts = [threading.Thread(target=time.sleep, args=(0.5,)) for _ in range(150)]
[t.start() for t in ts]
[t.join() for t in ts]
print("neighbour", woke, subprocess.run([sys.executable, "-c", "print(42)"],
      capture_output=True, text=True).stdout.strip(), time.time())
"""
    out = {}

    def run(name, code):
        folder = tmp_path / name
        folder.mkdir()
        out[name] = Sandbox(limits).run(folder, [Sandbox().python, "-c", code])

    threads = [threading.Thread(target=run, args=a) for a in (("bomb", bomb), ("n", neighbour))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    _, count, error, full = out["bomb"].stdout.decode().split()
    assert int(count) > 190 and error == "BlockingIOError"
    assert out["bomb"].events["process_limit"] > 0
    _, woke, answer, done = out["n"].stdout.decode().split()
    assert float(full) < float(woke) and float(done) < float(full) + 6, "no overlap"
    assert answer == "42" and out["n"].events["process_limit"] == 0
    assert out["bomb"].uid != out["n"].uid


def test_disk_is_bounded_in_bytes_and_files(tmp_path):
    import time

    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "given.txt").write_text("mine")
    os.mkfifo(folder / "pipe")  # copied as a FIFO, never opened
    (folder / "link").symlink_to("/etc/shadow")  # copied as a link; it points nowhere in there
    code = """
import os, stat
print("given", open("given.txt").read(), stat.S_ISFIFO(os.lstat("pipe").st_mode),
      os.path.islink("link"), os.path.exists("link"))
n = 0
try:
    while True:
        open(f"f{n}", "w").close()
        n += 1
except OSError as err:
    print("files", n, err.strerror)
"""
    limits = Limits(wall_seconds=30, disk_inodes=3000, disk_bytes=8 * 2**20)
    start = time.monotonic()
    result = Sandbox(limits).run(folder, [Sandbox().python, "-c", code])
    out = result.stdout.decode()
    assert "given mine True True False" in out, out
    count = int(out.split("files ")[1].split()[0])
    assert 2900 < count < 3000 and "No space left" in out, out
    assert time.monotonic() - start >= result.seconds - 0.5  # cleanup is inside result.seconds
    assert sorted(p.name for p in folder.iterdir()) == ["given.txt", "link", "pipe"]


def test_folder_too_big_for_the_sandbox_is_a_setup_error(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    for i in range(120):
        (folder / f"{i}.txt").touch()
    result = Sandbox(Limits(wall_seconds=30, disk_inodes=100)).run(
        folder, [Sandbox().python, "-c", "print('ran')"])
    assert result.setup_error and "No space left" in result.setup_error
    assert b"ran" not in result.stdout


def test_report_flood_stops_the_sandbox(tmp_path):
    import time

    start = time.monotonic()
    result = run_py(tmp_path, "import os\nwhile True:\n    os.write(1, b'x' * 65536)",
                    Limits(wall_seconds=60, report_bytes=2**20))
    assert result.flooded and not result.timed_out and len(result.stdout) == 2**20
    assert time.monotonic() - start < 30


def test_without_control_groups_sandboxes_run_one_at_a_time(tmp_path, monkeypatch, capsys):
    """Where detect() finds no usable control group, every run waits for the previous one, and
    grade_all says why it grades with --jobs 1."""
    import threading

    from sidebyside.grading import sandbox as sandbox_module
    from sidebyside.grading.grader import grade_all

    monkeypatch.setattr(sandbox_module, "_isolation", (None, "no control groups (test)"))
    spans = {}

    def run(name):
        folder = tmp_path / name
        folder.mkdir()
        res = Sandbox(Limits(wall_seconds=30)).run(
            folder, [Sandbox().python, "-c", "import time; a = time.time(); time.sleep(1); "
                     "print(a, time.time())"])
        spans[name] = [float(x) for x in res.stdout.split()]

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    (a0, a1), (b0, b1) = sorted(spans.values())
    assert a1 <= b0, "two sandboxes without their own budgets ran at the same time"
    grade_all(load_assignment(COURSE, "ps01_tensors"), {}, jobs=2, progress=False)
    assert "grading with --jobs 1" in capsys.readouterr().err


def test_malformed_reports_are_counted_not_raised():
    lines = [b'@@n {"kind": "cell", "index": ' + b"9" * 5000 + b"}",  # int too long to convert
             b"@@n " + b"[" * 50000 + b"]" * 50000,  # nesting too deep
             b'@@n {"kind": "probe", "grade_id": ["unhashable"]}',
             b'@@n {"kind": "cell", "index": [1]}',
             b'@@n {"kind": "cell", "index": 1, "error": "not a dict"}',
             b'@@n {"kind": "cell", "index": 2, "stdout": 5, "error": {"ename": 1}}']
    reports, bad = parse_reports(b"\n".join(lines), "n")
    assert bad == 5
    assert reports == [{"kind": "cell", "index": 2, "stdout": "", "stderr": "",
                        "error": {"ename": "1", "evalue": "None"}}]


def test_student_files_are_read_safely(tmp_path):
    import time

    from sidebyside.grading import studentfiles
    from sidebyside.grading.gradebook import read_timestamp

    folder = tmp_path / "submitted" / "s" / "a"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    assert read_timestamp(folder)[1].startswith("timestamp.txt is a symbolic link")
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00" + " " * 2**20 + "UTC")
    start = time.monotonic()
    assert "larger than 100 bytes" in read_timestamp(folder)[1]
    assert time.monotonic() - start < 1  # never handed to nbgrader's quadratic parser
    (folder / "timestamp.txt").unlink()
    os.mkfifo(folder / "timestamp.txt")
    assert "not a regular file" in read_timestamp(folder)[1]  # and it did not block
    fd = studentfiles.open_folder(folder)
    try:
        (folder / "big").write_bytes(b"x" * 101)
        with pytest.raises(studentfiles.StudentFileError, match="larger than 100 bytes"):
            studentfiles.read_bounded(fd, "big", 100)
        assert studentfiles.read_bounded(fd, "big", 101) == b"x" * 101
    finally:
        os.close(fd)
    linked = tmp_path / "submitted" / "t"
    linked.symlink_to(folder.parent)
    with pytest.raises(studentfiles.StudentFileError, match="symbolic link"):
        studentfiles.open_folder(linked / "a")


@pytest.mark.parametrize("name, problem", [
    ("alice", None), ("Zoë Müller", None), ("s12345", None),
    ("new\nline", "control"), ("tab\there", "control"), ("\x1b[31mred", "control"),
    ("bidi\u202eevil", "control"), ("a/b", "path separator"), ("a\\b", "path separator"),
    ("=HYPERLINK(1)", "formula"), ("+1", "formula"), ("-x", "formula"), ("@x", "formula"),
    ("＝x", "formula"), ("star*", "wildcard"), (".hidden", "dot"), (" pad", "white space"),
    ("x" * 129, "longer"), ("bad\udcffbyte", "undecodable"), ("", "empty"),
])
def test_student_ids_are_validated(name, problem):
    from sidebyside.grading.untrusted import id_problem

    found = id_problem(name)
    assert (found is None) == (problem is None), found
    if problem:
        assert problem in found.replace("= + - or @", "formula"), found


def test_spreadsheet_and_terminal_escaping():
    from sidebyside.grading.untrusted import spreadsheet_cell, terminal_text

    assert spreadsheet_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)" and spreadsheet_cell("+x") == "'+x"
    assert spreadsheet_cell("-1.5") == "-1.5" and spreadsheet_cell(3.0) == 3.0
    assert spreadsheet_cell("alice") == "alice"
    assert terminal_text("\x1b[31mred\r") == "\\x1b[31mred\\r"
    assert terminal_text("Zoë") == "Zoë" and "\u202e" not in terminal_text("a\u202eb")


def test_ids_are_checked_where_submissions_are_collected(tmp_path):
    from sidebyside.grading.grader import find_submissions

    for name in ("alice", "=cmd", "new\nline"):
        (tmp_path / name / "a").mkdir(parents=True)
    rejected = {}
    found = find_submissions(None, "a", submitted=tmp_path, rejected=rejected)
    assert list(found) == ["alice"] and set(rejected) == {"=cmd", "new\nline"}


def test_notebook_text_is_made_valid_before_anything_keeps_it(ps01):
    from sidebyside.grading.notebook import plan_from_bytes

    nb = nbformat.read(COURSE / "source" / "ps01_tensors" / "ps01_tensors.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ps01_q1_answer_torch":
            cell.source += "\n# \udcff"  # json.dumps writes it as the escape \\udcff
    plan = plan_from_bytes(json.dumps(nb).encode(), ps01)
    assert plan.fatal is None
    plan.answer_sources["ps01_q1_answer_torch"].encode("utf-8")  # no lone surrogate left
    deep = plan_from_bytes(b"[" * 100_000 + b"]" * 100_000, ps01)
    assert "nested too deeply" in deep.fatal
    huge = plan_from_bytes(b'{"nbformat": ' + b"9" * 5000 + b"}", ps01)
    assert "unreadable JSON" in huge.fatal


def test_memory_budget_covers_all_processes_together(tmp_path):
    """Each process stays under its address-space limit; together they pass the sandbox's memory
    budget, and the kernel kills inside that sandbox only."""
    code = """
import os, time
kids = []
for i in range(6):
    pid = os.fork()
    if pid == 0:
        block = bytearray(100 * 2**20)  # touched: resident, under the 256 MiB per-process limit
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
killed = sum(os.WEXITSTATUS(s) != 0 or os.WIFSIGNALED(s) for s in (os.waitpid(k, 0)[1] for k in kids))
print("killed", killed)
"""
    result = run_py(tmp_path, code, Limits(wall_seconds=30, memory_bytes=256 * 2**20))
    assert result.events["oom_kill"] > 0, (result.stdout, result.events)
    assert int(result.stdout.split()[-1]) > 0


def test_groups_of_a_dead_grader_are_removed():
    from sidebyside.grading import cgroups

    layout, _ = isolation()
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = [parent / f"sidebyside-{gone.pid}-0" for parent in set(layout.parents.values())]
    for folder in stale:
        folder.mkdir()
    assert cgroups.remove_stale(layout) >= len(stale)
    assert not any(folder.exists() for folder in stale)
