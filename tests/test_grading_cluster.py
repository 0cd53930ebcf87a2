"""`sidebyside grade autograde --cluster`: grading on a real Dask scheduler with two real worker
processes on 127.0.0.1, started and stopped here (each `dask worker` is its own process, no nanny, so
killing it loses the worker and everything it was running).

The assignment is tests/grading/tiny.py's (about a second per submission, no framework imports):
these tests are about who grades what, how often and what gets written, which the questions do not
change; ps01_tensors would cost ~6 s per submission and 60 runs here. About 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grading import tiny
from grading.loopback import LoopbackCluster, wait_until
from sidebyside.grading import cli
from sidebyside.grading.cluster import Ledger, content_hash, grade_packed, pack
from sidebyside.grading.gradebook import record
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import Limits, check_available

BIN = Path(sys.executable).parent
KINDS = ["right", "double", "square", "wrong", "crash"]
N = 20
LIMITS = ["--wall", "60", "--cell", "30"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    check_available()  # a clear failure where bubblewrap cannot sandbox
    c = LoopbackCluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start_worker("w1")
        c.start_worker("w2")
        c.wait_for_workers(2)
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """tiny01 generated once by nbgrader (its gradebook knows the assignment); copied per test."""
    course = tiny.make_course(tmp_path_factory.mktemp("generated") / "course")
    assert cli.main(["generate", tiny.NAME, "--course-dir", str(course)]) == 0
    return course


def course_with_submissions(generated: Path, to: Path, sleep: float = 0.0) -> dict[str, float]:
    """A copy of the generated course with N submissions; returns each student's expected score."""
    shutil.copytree(generated, to)
    release = nbformat.read(to / "release" / tiny.NAME / f"{tiny.NAME}.ipynb", as_version=4)
    expected = {}
    for i in range(N):
        kind = KINDS[i % len(KINDS)]
        student = f"s{i:02d}_{kind}"
        folder = to / "submitted" / student / tiny.NAME
        folder.mkdir(parents=True)
        (folder / f"{tiny.NAME}.ipynb").write_text(tiny.submission(release, kind, sleep))
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        expected[student] = tiny.SCORES[kind]
    return expected


def report(course: Path) -> dict[str, dict]:
    with open(course / "reports" / f"{tiny.NAME}.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len({r["student"] for r in rows}), "a student appears twice in the report"
    return {r["student"]: r for r in rows}


def exported(course: Path) -> dict[str, float]:
    """The scores in nbgrader's gradebook, through `nbgrader export` (one row per submission)."""
    target = course / "export.csv"
    assert cli.main(["export", "--course-dir", str(course), "--to", str(target)]) == 0
    with open(target) as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == tiny.NAME]
    assert len(rows) == len({r["student_id"] for r in rows})
    return {r["student_id"]: float(r["score"]) for r in rows}


def hashes_file(course: Path) -> dict[str, tuple[str, str]]:
    """reports/<a>.sha256: student -> (hash, worker), and no student twice."""
    out = {}
    for line in (course / "reports" / f"{tiny.NAME}.sha256").read_text().splitlines():
        sha, student, where = line.split("  ")
        assert student not in out, f"{student} written twice"
        out[student] = (sha, where)
    return out


def test_cluster_batch_matches_the_local_run(cluster, generated, tmp_path):
    expected = course_with_submissions(generated, tmp_path / "local")
    assert course_with_submissions(generated, tmp_path / "dask") == expected
    assert cli.main(["autograde", tiny.NAME, "--course-dir", str(tmp_path / "local"), "--jobs", "2",
                     "--no-progress", *LIMITS]) == 0
    assert cli.main(["autograde", tiny.NAME, "--course-dir", str(tmp_path / "dask"), "--cluster",
                     cluster.address, "--no-progress", *LIMITS]) == 0
    local, remote = report(tmp_path / "local"), report(tmp_path / "dask")
    assert set(remote) == set(local) == set(expected)
    for student, want in expected.items():
        assert float(local[student]["score"]) == want, local[student]
        for column in ("score", "status", "tiny_double_tests", "tiny_square_tests"):
            assert remote[student][column] == local[student][column], (student, column)
    assert exported(tmp_path / "dask") == {s: float(r["score"]) for s, r in remote.items()}
    # both workers took part, and each written result names the content it graded
    written = hashes_file(tmp_path / "dask")
    assert set(written) == set(expected)
    for student, (sha, _) in written.items():
        assert sha == content_hash(pack(tmp_path / "dask" / "submitted" / student / tiny.NAME))
    assert len({where for _, where in written.values()}) == 2
    # the feedback notebook each worker made is in autograded/, as in a local run
    for student in expected:
        assert (tmp_path / "dask" / "autograded" / student / tiny.NAME / f"{tiny.NAME}.ipynb").exists()


def test_a_result_that_arrives_twice_is_written_once(cluster, generated, tmp_path):
    """The same job run twice for real on the cluster (as a retry would), and a result for content
    that changed after it was sent: the ledger writes the gradebook once, the stale one never."""
    course_with_submissions(generated, tmp_path / "c")
    course = tmp_path / "c"
    assignment = load_assignment(course, tiny.NAME)
    folder = course / "submitted" / "s00_right" / tiny.NAME
    archive = pack(folder)
    sha = content_hash(archive)
    with cluster.client() as client:
        futures = [client.submit(grade_packed, assignment, "s00_right", archive, sha,
                                 Limits(wall_seconds=60), pure=False) for _ in range(2)]
        first, second = client.gather(futures, errors="raise")
    assert first["sha"] == second["sha"] == sha
    writes = []

    def write(result):
        writes.append(result.student)
        record(course, assignment, result, folder)

    ledger = Ledger({"s00_right": sha}, write, lambda s: content_hash(pack(folder)))
    assert ledger.offer(first["sha"], first["result"]) is True
    second["result"].score = 0.0  # were it written, the gradebook would change
    assert ledger.offer(second["sha"], second["result"]) is False
    assert writes == ["s00_right"]
    assert exported(course)["s00_right"] == 3.0
    assert "retried" in ledger.dropped[0][1]
    # a result for content other than what was sent is refused
    assert ledger.offer("0" * 64, first["result"]) is False
    # content replaced while it was graded: the old content's grade is not written
    other = course / "submitted" / "s05_right" / tiny.NAME
    late = Ledger({"s05_right": content_hash(pack(other))}, write,
                  lambda s: content_hash(pack(other)))
    nb = other / f"{tiny.NAME}.ipynb"
    nb.write_text(nb.read_text().replace("return 2 * x", "return x + x"))
    result = first["result"]
    result.student = "s05_right"
    assert late.offer(late.expected["s05_right"], result) is False
    assert writes == ["s00_right"] and "changed" in late.dropped[0][1]


def test_worker_killed_mid_batch_every_submission_graded_once(cluster, generated, tmp_path):
    # each submission sleeps 1 s in a cell, so jobs are in flight when the worker dies
    course = tmp_path / "c"
    expected = course_with_submissions(generated, course, sleep=1.0)
    out = open(tmp_path / "cli.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([str(BIN / "sidebyside"), "grade", "autograde", tiny.NAME,
                             "--course-dir", str(course), "--cluster", cluster.address,
                             "--no-progress", *LIMITS], stdout=out, stderr=subprocess.STDOUT)
    try:
        with cluster.client() as client:
            victim = cluster.workers(client)["w1"]

            def victim_busy():
                grading = [k for k in client.processing().get(victim, ())
                           if str(k).startswith("sbs-grade-")]
                return grading if len(list(course.glob("autograded/*/*"))) >= 2 else None

            in_flight = wait_until(victim_busy, 120, "w1 to be grading after two results")
            killed_pid = cluster.kill("w1")
            done_at_kill = len(list(course.glob("autograded/*/*")))
        assert proc.wait(timeout=300) == 0, (tmp_path / "cli.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        out.close()
    assert done_at_kill < N, "the batch finished before the worker was killed: not mid-batch"
    rows = report(course)
    assert set(rows) == set(expected)
    for student, want in expected.items():
        assert float(rows[student]["score"]) == want, rows[student]
        assert rows[student]["status"] == "graded"
    assert exported(course) == {s: float(r["score"]) for s, r in rows.items()}
    written = hashes_file(course)
    assert set(written) == set(expected)
    # what w1 was grading when it died was graded again by w2, whose result is the one written
    survivor = {where for _, where in written.values()} - {""}
    for key in in_flight:
        student = next(s for s, (sha, _) in written.items() if sha[:24] in str(key))
        assert not written[student][1].endswith(f":{killed_pid}"), (student, survivor)
    # no sandbox outlived its worker (bubblewrap's --die-with-parent)
    w1_tmp = str(cluster.folder / "w1" / "tmp")
    wait_until(lambda: w1_tmp not in subprocess.run(["ps", "-eo", "args="], capture_output=True,
                                                    text=True).stdout, 30, "w1's sandboxes to end")
    cluster.start_worker("w1")  # leave the cluster as the fixture made it
    cluster.wait_for_workers(2)


def test_unreachable_scheduler_is_a_clear_error_and_writes_nothing(generated, tmp_path, capsys):
    course = tmp_path / "c"
    course_with_submissions(generated, course)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def snapshot():
        return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(course.rglob("*")) if p.is_file()}

    before = snapshot()
    start = time.monotonic()
    code = cli.main(["autograde", tiny.NAME, "--course-dir", str(course), "--cluster",
                     f"tcp://127.0.0.1:{port}", "--no-progress"])
    assert time.monotonic() - start < 60
    err = capsys.readouterr().err
    assert code == 3
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert "Nothing was graded or written" in err
    assert snapshot() == before
    assert not (course / "reports").exists() and not (course / "autograded").exists()


def test_pack_depends_on_content_only_and_follows_nothing(tmp_path, monkeypatch):
    """What the coordinator sends: equal folders hash equal; links and FIFOs travel as what they
    are (never followed or opened); a damaged archive is refused by the worker; bounds hold."""
    import io
    import tarfile

    from sidebyside.grading import cluster

    a = tmp_path / "a" / tiny.NAME
    (a / "data").mkdir(parents=True)
    (a / f"{tiny.NAME}.ipynb").write_text("{}")
    (a / "data" / "x.txt").write_text("x")
    (a / "passwd").symlink_to("/etc/passwd")
    b = tmp_path / "b" / tiny.NAME
    shutil.copytree(a, b, symlinks=True)
    for folder in (a, b):
        os.mkfifo(folder / "pipe")
    os.utime(b / "data" / "x.txt", (0, 0))  # times and owners are not content
    archive = pack(a)
    assert content_hash(archive) == content_hash(pack(b))
    (b / "data" / "x.txt").write_text("y")
    assert content_hash(pack(b)) != content_hash(archive)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["passwd"].issym() and members["passwd"].linkname == "/etc/passwd"
    assert members["pipe"].isfifo()
    assert b"root:" not in archive  # the link's target was not read
    out = tmp_path / "out"
    cluster.unpack(archive, out)
    assert (out / "passwd").is_symlink() and (out / "data" / "x.txt").read_text() == "x"
    with pytest.raises(ValueError, match="does not match its hash"):
        grade_packed(None, "s", archive, "0" * 64, Limits())
    monkeypatch.setattr(cluster, "MAX_FOLDER_ENTRIES", 3)
    with pytest.raises(cluster.FolderRefused, match="more than 3 files"):
        pack(a)


def hostile_course(generated: Path, to: Path) -> None:
    """The generated course with one honest student and the folders that are not submissions:
    a student folder linking to the instructor's source, one linking to another student, a
    submission folder linking to another student's, and student and submission "folders" that are
    files."""
    shutil.copytree(generated, to)
    release = nbformat.read(to / "release" / tiny.NAME / f"{tiny.NAME}.ipynb", as_version=4)
    alice = to / "submitted" / "alice" / tiny.NAME
    alice.mkdir(parents=True)
    (alice / f"{tiny.NAME}.ipynb").write_text(tiny.submission(release, "double"))
    (to / "submitted" / "evil").symlink_to("../source")
    (to / "submitted" / "twin").symlink_to("alice")
    (to / "submitted" / "bob").mkdir()
    (to / "submitted" / "bob" / tiny.NAME).symlink_to("../alice/" + tiny.NAME)
    (to / "submitted" / "file").write_text("not a folder")
    (to / "submitted" / "carol").mkdir()
    (to / "submitted" / "carol" / tiny.NAME).write_text("not a folder")


REFUSED = {"evil": "student folder is a symbolic link", "twin": "student folder is a symbolic link",
           "bob": "submission folder is a symbolic link", "file": "student folder is not a folder",
           "carol": "submission folder is not a folder"}


def test_links_and_non_folders_are_refused_alike_by_every_backend(cluster, generated, tmp_path):
    """One decision about what a submission is: local and Dask give identical rows for links to the
    instructor's source or to another student, and for files posing as folders: refused, 0, the
    reason, no gradebook entry and no autograded copy (the source's solutions are never copied)."""
    rows = {}
    for backend, extra in (("local", ["--jobs", "1"]), ("dask", ["--cluster", cluster.address])):
        course = tmp_path / backend
        hostile_course(generated, course)
        assert cli.main(["autograde", tiny.NAME, "--course-dir", str(course), "--no-progress",
                         *LIMITS, *extra]) == 0
        rows[backend] = report(course)
        assert sorted(p.name for p in (course / "autograded").iterdir()) == ["alice"], backend
        assert set(exported(course)) == {"alice"}
    assert rows["local"] == rows["dask"]
    assert set(rows["local"]) == {"alice", *REFUSED}
    assert float(rows["local"]["alice"]["score"]) == tiny.SCORES["double"]
    for student, why in REFUSED.items():
        row = rows["local"][student]
        assert (row["status"], float(row["score"])) == ("invalid", 0.0), row
        assert why in row["notes"], row
        assert row["tiny_double_tests"] == row["tiny_square_tests"] == "0.0"


def test_scheduler_lost_mid_batch_prints_one_sentence_and_logs_the_rest(generated, tmp_path):
    """The scheduler killed while jobs are in flight: exit 3, the sentence saying what is stored,
    no traceback on the terminal; Dask's own messages are in reports/<a>.cluster.log."""
    course = tmp_path / "c"
    course_with_submissions(generated, course, sleep=1.0)
    (tmp_path / "lost").mkdir()
    lost = LoopbackCluster(tmp_path / "lost")
    try:
        lost.start_worker("w")
        lost.wait_for_workers(1)
        proc = subprocess.Popen([str(BIN / "sidebyside"), "grade", "autograde", tiny.NAME,
                                 "--course-dir", str(course), "--cluster", lost.address,
                                 "--no-progress", *LIMITS], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: len(list(course.glob("autograded/*/*"))) >= 2, 120,
                       "two results before the scheduler is killed")
            lost.kill("scheduler")
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        lost.stop()
    assert proc.returncode == 3, out + err
    assert "lost the Dask cluster at" in err and "those are stored" in err, err
    assert "Traceback" not in out + err, err
    assert len(err.strip().splitlines()) <= 2, err
    log = course / "reports" / f"{tiny.NAME}.cluster.log"
    assert log.is_file() and log.stat().st_size > 0
    assert str(log) in err
