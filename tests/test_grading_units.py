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
    result = run_py(tmp_path, code, Limits(wall_seconds=3))
    assert result.timed_out
    import time

    time.sleep(0.5)
    out = subprocess.run(["ps", "-e", "-o", "uid=,args="], capture_output=True, text=True)
    assert "alive.txt" not in out.stdout, "a background process outlived the sandbox"
    assert not [line for line in out.stdout.splitlines() if line.split()[0] == str(result.uid)]
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
