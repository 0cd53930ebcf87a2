"""Grading on a Dask distributed cluster: one sandboxed job per submission, one writer.

    sidebyside grade autograde ps01_tensors --cluster tcp://scheduler:8786

The coordinating process (the instructor's command):
1. connects to the scheduler and checks that its workers can build the sandbox, BEFORE anything is
   written (an unreachable scheduler or a cluster without usable workers is a clear error);
2. packs each submission folder into a normalised archive named by its SHA-256, the content hash;
3. sends one task per submission: the worker checks the hash, unpacks into a private temporary folder
   and calls the same per-submission grader as a local run (`grader.grade_submission`: the same
   bubblewrap sandbox and limits, verdicts computed on the worker from the trusted checks);
4. writes every result itself, in its own thread (the gradebook has one writer), through a `Ledger`
   that accepts one result per (student, content hash): a retried task, or one that finishes twice,
   is dropped; a result for content that changed after it was packed is refused, never written.

Dask's scheduler re-runs the tasks of a worker that dies on another worker (a task that kills
`distributed.scheduler.allowed-failures` workers is given up and reported). Task keys are derived from
(assignment, student, hash), so submitting the same job again joins the task already there.
Workers need this package, bubblewrap, and the privileges the local grader needs (see graded/README).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import socket
import stat
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sidebyside.grading import studentfiles
from sidebyside.grading.grader import (
    Progress,
    SubmissionResult,
    _fail_all,
    grade_submission,
    refused_result,
)
from sidebyside.grading.notebook import Assignment
from sidebyside.grading.sandbox import Limits, Sandbox

MAX_FOLDER_BYTES = 128 * 2**20  # a submission folder is read by the coordinator: bound it
MAX_FOLDER_ENTRIES = 10_000
CONNECT_SECONDS = 15.0  # reaching the scheduler
WORKER_WAIT_SECONDS = 60.0  # a cluster with no worker at the start
NO_WORKER_SECONDS = 120.0  # every worker gone in the middle of a batch: stop waiting


class ClusterError(RuntimeError):
    """Grading on the cluster cannot go on; the message says what is stored."""


class ClusterUnavailable(ClusterError):
    """The scheduler cannot be reached, or no worker can grade. Raised before anything is written."""


class ClusterLost(ClusterError):
    """The cluster went away in the middle of a batch. The results received so far are stored."""


class FolderRefused(ValueError):
    """A submission folder the coordinator will not pack (too large, too many files, unreadable)."""


class NotASubmission(FolderRefused):
    """The folder is a link or not a folder: refused as the local grader refuses it."""


# ---------------------------------------------------------------------------------------------------
# content: a submission folder as bytes, and its hash


def pack(folder: Path) -> bytes:
    """A tar archive of `folder` that depends on its content only (names, bytes, modes, link targets;
    not times or owners), so that equal folders have equal hashes.

    The folder is the student's: it is opened as the local grader opens it (no link followed in
    `<student>/<assignment>`: `studentfiles.open_folder`, the same refusal and reason), and nothing
    inside is followed (symbolic links are stored as links, as the local grader's copy keeps them);
    regular files are opened with O_NOFOLLOW relative to their folder and read to a size bound,
    FIFOs are stored as FIFOs and never opened, sockets and devices are left out."""
    try:
        top = studentfiles.open_folder(Path(folder), readable=True)
    except studentfiles.StudentFileError as err:
        raise NotASubmission(str(err)) from err
    buf = io.BytesIO()
    total, entries = 0, 0
    try:
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for root, dirs, files, root_fd in os.fwalk(".", dir_fd=top):
                dirs.sort()
                for name in sorted(dirs) + sorted(files):
                    rel = os.path.normpath(os.path.join(root, name))
                    entries += 1
                    if entries > MAX_FOLDER_ENTRIES:
                        raise FolderRefused(f"the submission folder has more than "
                                            f"{MAX_FOLDER_ENTRIES} files")
                    st = os.lstat(name, dir_fd=root_fd)
                    info = tarfile.TarInfo(rel)
                    info.mode = stat.S_IMODE(st.st_mode) & 0o755
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                    if stat.S_ISLNK(st.st_mode):
                        info.type = tarfile.SYMTYPE
                        info.linkname = os.readlink(name, dir_fd=root_fd)
                        tar.addfile(info)
                    elif stat.S_ISDIR(st.st_mode):
                        info.type = tarfile.DIRTYPE
                        tar.addfile(info)
                    elif stat.S_ISFIFO(st.st_mode):
                        info.type = tarfile.FIFOTYPE
                        tar.addfile(info)
                    elif stat.S_ISREG(st.st_mode):
                        total += st.st_size
                        if total > MAX_FOLDER_BYTES:
                            raise FolderRefused(f"the submission folder is larger than "
                                                f"{MAX_FOLDER_BYTES // 2**20} MiB")
                        data = _read_regular(name, root_fd, MAX_FOLDER_BYTES)
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
    finally:
        os.close(top)
    return buf.getvalue()


def _read_regular(name: str, dir_fd: int, limit: int) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since lstat
            raise FolderRefused(f"{name} changed while it was read")
        chunks, size = [], 0
        while block := os.read(fd, 1 << 20):
            size += len(block)
            if size > limit:
                raise FolderRefused(f"the submission folder is larger than {limit // 2**20} MiB")
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)


def content_hash(archive: bytes) -> str:
    return hashlib.sha256(archive).hexdigest()


def unpack(archive: bytes, into: Path) -> None:
    """Recreate a packed folder. `tar` filter: no absolute names, nothing outside `into`."""
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        tar.extractall(into, filter="tar")


# ---------------------------------------------------------------------------------------------------
# the task that runs on a worker


_SANDBOXES: dict[tuple, Sandbox] = {}  # per worker process: checked once, then reused


def _sandbox(limits: Limits) -> Sandbox:
    from dataclasses import astuple

    from sidebyside.grading.sandbox import check_available

    key = astuple(limits)
    if key not in _SANDBOXES:
        sandbox = Sandbox(limits)
        check_available(sandbox)
        _SANDBOXES[key] = sandbox
    return _SANDBOXES[key]


def grade_packed(assignment: Assignment, student: str, archive: bytes, sha: str,
                 limits: Limits) -> dict:
    """On a worker: one packed submission graded by `grade_submission` in a fresh temporary folder.
    Returns the result with the hash of the content it graded and where it ran."""
    if content_hash(archive) != sha:
        raise ValueError(f"the archive of {student!r} does not match its hash (damaged in transit)")
    sandbox = _sandbox(limits)  # SandboxUnavailable propagates: the task is retried elsewhere
    with tempfile.TemporaryDirectory(prefix="sbs-cluster-") as tmp:
        folder = Path(tmp) / "submitted" / "student" / assignment.name  # no student text in paths
        try:
            unpack(archive, folder)
            result = grade_submission(assignment, student, folder, sandbox)
        except Exception as err:  # noqa: BLE001 - as in grade_all: one submission never stops the rest
            result = internal_error(assignment, student, f"{type(err).__name__}: {err}")
    return {"sha": sha, "result": result, "host": socket.gethostname(), "pid": os.getpid()}


def internal_error(assignment: Assignment, student: str, why: str) -> SubmissionResult:
    """The result `grade_all` gives a submission whose grading raised: zero, with the reason."""
    result = SubmissionResult(student, assignment.name, 0.0, assignment.max_score, status="invalid")
    result.notes.append(f"internal grading error: {why}")
    _fail_all(result, assignment, "not graded (internal error, see notes)")
    return result


def refused(assignment: Assignment, student: str, why: str) -> SubmissionResult:
    result = SubmissionResult(student, assignment.name, 0.0, assignment.max_score, status="invalid")
    result.notes.append(f"not sent for grading: {why}")
    _fail_all(result, assignment, f"not graded: {why}")
    return result


def worker_report(limits: Limits) -> str | None:
    """Run on every worker before the batch: None if it can sandbox, else the reason."""
    try:
        _sandbox(limits)
    except Exception as err:  # noqa: BLE001 - reported to the instructor, per worker
        return f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"
    return None


# ---------------------------------------------------------------------------------------------------
# the one writer


@dataclass
class Ledger:
    """Writes each submission's result exactly once, keyed by (student, content hash).

    `expected` holds the hash each student's folder had when it was packed; `current(student)` hashes
    it again just before writing, so a submission replaced while it was being graded is not given the
    old content's grade. The first acceptable result wins; any later one for the same key is dropped."""

    expected: dict[str, str]
    write: Callable[[SubmissionResult], None]
    current: Callable[[str], str | None] = lambda student: None
    written: dict[str, str] = field(default_factory=dict)  # student -> hash whose result was written
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (student, why)

    def offer(self, sha: str, result: SubmissionResult) -> bool:
        student = result.student
        if self.expected.get(student) != sha:
            self.dropped.append((student, "a result for content that was not sent"))
            return False
        if student in self.written:
            self.dropped.append((student, "a second result for the same content (retried task)"))
            return False
        now = self.current(student)
        if now is not None and now != sha:
            self.dropped.append((student, "the submission changed while it was graded"))
            return False
        self.written[student] = sha
        self.write(result)
        return True


def folder_hash(folder: Path) -> str | None:
    try:
        return content_hash(pack(folder))
    except (OSError, FolderRefused):
        return None


# ---------------------------------------------------------------------------------------------------
# the coordinator


def connect(address: str, timeout: float = CONNECT_SECONDS):
    """A Dask client for `address`, or ClusterUnavailable with the reason."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterUnavailable(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
            f"({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else 'no answer'}). "
            "Start it with `dask scheduler` and workers with `dask worker ADDRESS` (graded/README). "
            "Nothing was graded or written."
        ) from err


def check_workers(client, limits: Limits, wait: float = WORKER_WAIT_SECONDS) -> dict[str, None]:
    """The workers able to grade; ClusterUnavailable if there are none, or if any cannot sandbox
    (a broken worker would otherwise fail its share of the batch)."""
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError as err:
        raise ClusterUnavailable(f"the scheduler has no workers (waited {wait:g} s). Nothing was "
                                 "graded or written.") from err
    reports = client.run(worker_report, limits)
    broken = {addr: why for addr, why in reports.items() if why}
    if broken:
        lines = "\n".join(f"  {addr}: {why}" for addr, why in sorted(broken.items()))
        raise ClusterUnavailable("these workers cannot build the grading sandbox (each worker needs "
                                 f"bubblewrap and this package):\n{lines}\nNothing was graded or "
                                 "written.")
    return reports


def task_key(assignment: Assignment, student: str, sha: str) -> str:
    who = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"sbs-grade-{assignment.name}-{who}-{sha[:24]}"


@dataclass
class ClusterBatch:
    results: list[SubmissionResult]
    hashes: dict[str, str]  # student -> content hash that was graded
    placement: dict[str, str]  # student -> "host:pid" of the worker whose result was written
    dropped: list[tuple[str, str]]  # results not written, with the reason
    ungraded: list[str]  # students with no written result (their folder changed): run again
    workers: int  # at the start
    waited_again: int = 0  # results lost with a worker before they were fetched, computed again


def grade_on_cluster(assignment: Assignment, submissions: dict[str, Path], address: str,
                     limits: Limits | None = None, progress: bool = True, on_result=None,
                     connect_timeout: float = CONNECT_SECONDS,
                     no_worker_seconds: float = NO_WORKER_SECONDS,
                     log_to: Path | None = None) -> ClusterBatch:
    """Grade every submission on the cluster at `address`; `on_result(result)` runs here, once per
    submission (the gradebook's one writer). Raises ClusterUnavailable before writing anything.
    `log_to`: once the workers are checked (nothing is written before), Dask's log goes there."""
    import cloudpickle
    from distributed import as_completed

    limits = limits or Limits()
    client = connect(address, connect_timeout)
    logs = contextlib.ExitStack()
    try:
        workers = len(check_workers(client, limits))
        if log_to is not None:
            logs.enter_context(dask_logs_to(log_to))
        by_student: dict[str, SubmissionResult] = {}
        placement: dict[str, str] = {}
        hashes: dict[str, str] = {}  # filled as folders are packed; the ledger reads it

        def write(result):
            by_student[result.student] = result
            if on_result:
                on_result(result)

        ledger = Ledger(hashes, write, lambda s: folder_hash(submissions[s]))
        bar = Progress(len(submissions), progress)

        # the assignment (with its trusted checks, pickled by value) travels once per worker, as a
        # task the scheduler can recompute if the worker holding it dies
        blob = cloudpickle.dumps(assignment)
        assignment_key = f"sbs-assignment-{assignment.name}-{hashlib.sha256(blob).hexdigest()[:24]}"
        shared = client.submit(cloudpickle.loads, blob, key=assignment_key, pure=False)
        # a bounded window of jobs in flight: the scheduler holds each job's archive until its
        # result is fetched, so thousands of submissions must not all be sent at once
        window = max(8, 4 * sum(client.nthreads().values()))
        queue = list(submissions)
        futures: dict = {}
        pending: set = set()
        arrivals = as_completed([], loop=client.loop)  # with this client's loop, not a default one

        def send_more():
            while queue and len(pending) < window:
                student = queue.pop(0)
                try:
                    archive = pack(submissions[student])
                except NotASubmission as err:  # the same row a local run gives
                    write(refused_result(assignment, student, str(err)))
                    bar.step(student)
                    continue
                except OSError as err:
                    write(refused(assignment, student, str(err)))
                    bar.step(student)
                    continue
                hashes[student] = sha = content_hash(archive)
                fut = client.submit(grade_packed, shared, student, archive, sha, limits,
                                    key=task_key(assignment, student, sha), pure=False, retries=1)
                futures[fut] = student
                pending.add(fut)
                arrivals.add(fut)

        workerless_since = None
        waited_again = 0
        while pending or queue:
            try:
                send_more()
                done = arrivals.next_batch(block=False)
            except OSError as err:  # the scheduler went away
                raise ClusterLost(_lost(address, ledger, len(submissions), err)) from err
            if not done:
                time.sleep(0.25)
                if client.status not in ("running", "connecting"):
                    raise ClusterLost(_lost(address, ledger, len(submissions), client.status))
                if not client.scheduler_info(n_workers=-1).get("workers"):
                    workerless_since = workerless_since or time.monotonic()
                    if time.monotonic() - workerless_since > no_worker_seconds:
                        raise ClusterLost(_lost(address, ledger, len(submissions),
                                                f"no worker for {no_worker_seconds:g} s"))
                else:
                    workerless_since = None
                continue
            for fut in done:
                student = futures[fut]
                sha, result, where = hashes[student], None, ""
                out = None
                if fut.status == "finished":
                    try:
                        out = fut.result(timeout=60)
                    except (TimeoutError, OSError):
                        out = None
                if fut.status not in ("finished", "error", "cancelled") or (
                        fut.status == "finished" and out is None):
                    # the worker holding this result died before we fetched it: the scheduler
                    # computes it again (the task is idempotent); wait for it again
                    if client.status != "running":
                        raise ClusterLost(_lost(address, ledger, len(submissions), client.status))
                    arrivals.add(fut)
                    waited_again += 1
                    continue
                pending.discard(fut)
                if fut.status == "finished":
                    sha, result, where = out["sha"], out["result"], f"{out['host']}:{out['pid']}"
                elif fut.status == "error":
                    err = fut.exception()
                    result = internal_error(assignment, student,
                                            f"the cluster could not grade it ({type(err).__name__}: "
                                            f"{str(err)[:300]})")
                else:  # cancelled: the connection to the scheduler is gone
                    raise ClusterLost(_lost(address, ledger, len(submissions), fut.status))
                fut.release()  # the worker may drop the result now
                if ledger.offer(sha, result):
                    placement[student] = where
                    bar.step(student)
        results = sorted(by_student.values(), key=lambda r: r.student)
        ungraded = sorted(set(hashes) - set(ledger.written))  # refused by the ledger: never lost
        return ClusterBatch(results, dict(ledger.written), placement, list(ledger.dropped),
                            ungraded, workers, waited_again)
    finally:
        client.close(timeout=10)
        if sys.exc_info()[0] is None:  # a lost cluster keeps logging to the file until exit
            logs.close()


def _lost(address: str, ledger: Ledger, total: int, why) -> str:
    return (f"lost the Dask cluster at {address} ({why}) after {len(ledger.written)} of {total} "
            "results; those are stored. Run the command again to grade the rest.")


@contextlib.contextmanager
def dask_logs_to(path: Path):
    """Dask's, tornado's and asyncio's log records go to `path` while the batch runs, not to the
    terminal: when the scheduler dies they are tracebacks of every lost connection, and the
    instructor needs the one sentence saying what is stored (ClusterLost). The file keeps them."""
    import distributed  # noqa: F401 - importing it configures its loggers: redirect them after

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.mode = "a"  # were it reopened, it appends
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = {}
    # Dask's logging config gives some children their own handlers (distributed.client, ...)
    names = {"distributed", "tornado", "asyncio"} | {
        name for name in logging.root.manager.loggerDict
        if name.split(".")[0] in ("distributed", "tornado", "asyncio", "bokeh")}
    for name in sorted(names):
        logger = logging.getLogger(name)
        if name.count(".") and not logger.handlers:
            continue  # it propagates to its parent, which writes to the file
        saved[name] = (logger.handlers[:], logger.propagate)
        logger.handlers[:] = [handler]
        logger.propagate = False
    yield path  # a lost cluster raises here: the client's reconnection attempts go on logging
    # after it (until the process exits), so the file stays their place then
    for name, (handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
    handler.close()


def cluster_grader(address: str, course_dir: Path, unrecorded: list[str]):
    """`grade_all`'s signature, on the cluster, for `sidebyside grade autograde --cluster ADDRESS`.
    Also writes reports/<assignment>.sha256 (which content got the stored grade, and where it ran),
    and adds to `unrecorded` the students whose folder changed while they were graded."""

    def grade(assignment, submissions, jobs=None, limits=None, progress=True, on_result=None):
        log = Path(course_dir) / "reports" / f"{assignment.name}.cluster.log"
        try:
            batch = grade_on_cluster(assignment, submissions, address, limits, progress,
                                     on_result, log_to=log)
        except ClusterLost as err:
            raise ClusterLost(f"{err} (Dask's messages: {log})") from None
        ledger = Path(course_dir) / "reports" / f"{assignment.name}.sha256"
        ledger.parent.mkdir(parents=True, exist_ok=True)
        ledger.write_text("".join(f"{sha}  {student}  {batch.placement.get(student, '')}\n"
                                  for student, sha in sorted(batch.hashes.items())))
        print(f"cluster {address}: {batch.workers} worker(s) at the start, results from "
              f"{len(set(batch.placement.values()))} worker process(es), {len(batch.hashes)} written "
              f"once each; {batch.waited_again} lost with a worker and computed again; "
              f"{len(batch.dropped)} dropped (duplicate or stale)")
        results = list(batch.results)
        for student in batch.ungraded:
            why = "the submission changed while it was graded: nothing stored, grade it again"
            results.append(refused(assignment, student, why))
            unrecorded.append(student)
        return sorted(results, key=lambda r: r.student)

    return grade
