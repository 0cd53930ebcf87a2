"""Grade submissions: sandboxed execution, verdicts in this (trusted) process, nbgrader's gradebook.

One submission:
1. its folder is copied to a private work folder (the original is never touched);
2. the notebook is read against the source (`notebook.plan_submission`): structure problems become notes;
3. the runner executes it in the sandbox and reports values at each test position;
4. here, each test's `verify` compares those values with references computed here, on the fresh
   inputs drawn here for this run; stderr never matters; a missing, duplicated or malformed report
   fails that test with a reason;
5. scores go into nbgrader's Gradebook (so `nbgrader export` and `generate_feedback` work) and an
   autograded notebook (student version + verdicts, no hidden tests) is written for feedback.

Many submissions: a thread pool of `jobs` workers (each waits on its own sandbox process; `pin=True`
pins each to one core), a progress bar on stderr, gradebook writes serialised in the calling thread.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from sidebyside.grading.notebook import Assignment, Plan, feedback_notebook, plan_submission
from sidebyside.grading.runner import MARK
from sidebyside.grading.sandbox import Limits, Sandbox

MAX_NOTEBOOK_BYTES = 64 * 2**20  # read in this (trusted) process: bound it


@dataclass
class Outcome:
    grade_id: str
    points: float
    score: float
    message: str

    @property
    def passed(self) -> bool:
        return self.score >= self.points


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    score: float
    max_score: float
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "graded"  # graded | invalid | timeout | died
    seconds: float = 0.0
    feedback_nb: nbformat.NotebookNode | None = None

    def row(self) -> dict:
        row = {"student": self.student, "assignment": self.assignment, "score": self.score,
               "max_score": self.max_score, "status": self.status}
        row |= {gid: o.score for gid, o in self.outcomes.items()}
        row["notes"] = " | ".join(self.notes)
        return row


def parse_reports(stdout: bytes, nonce: str) -> tuple[list[dict], int]:
    """The runner's report lines carrying this run's nonce; other lines are ignored.
    Returns (reports, number of unreadable marked lines)."""
    prefix = f"{MARK}{nonce} "
    reports, bad = [], 0
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        if not line.startswith(prefix):
            continue
        try:
            obj = json.loads(line[len(prefix):])
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(obj, dict):
            reports.append(scrub(obj))
        else:
            bad += 1
    return reports, bad


def scrub(value):
    """Untrusted report data with every string made valid UTF-8.

    JSON lets a kernel send lone surrogates ("\\udcff"); kept, they crash nbformat.write and the HTML
    feedback later, far from here. Every string from a sandbox passes through this function."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8")
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    return value


def grade_submission(assignment: Assignment, student: str, submission_dir: Path,
                     sandbox: Sandbox, cpu: int | None = None) -> SubmissionResult:
    start = time.monotonic()
    result = SubmissionResult(student, assignment.name, 0.0, assignment.max_score)
    nb_path = Path(submission_dir) / f"{assignment.notebook_name}.ipynb"
    folder = Path(submission_dir)
    if folder.is_symlink() or folder.parent.is_symlink() or nb_path.is_symlink() \
            or not nb_path.is_file():
        # a link could point at the instructor's source notebook: this process must not follow it
        result.status = "invalid"
        result.notes.append(f"no {nb_path.name} in the submission (or it is a symbolic link)")
        _fail_all(result, assignment, "not graded: the notebook is missing")
        return result
    if nb_path.stat().st_size > MAX_NOTEBOOK_BYTES:
        result.status = "invalid"
        result.notes.append(f"{nb_path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
        _fail_all(result, assignment, "not graded: the notebook is too large")
        return result
    workdir = Path(tempfile.mkdtemp(prefix="sbs-grade-"))
    try:
        sub = workdir / "work"
        shutil.copytree(submission_dir, sub, symlinks=True)
        plan = plan_submission(sub / nb_path.name, assignment)
        result.notes += plan.notes
        if plan.fatal:
            result.status = "invalid"
            result.notes.insert(0, plan.fatal)
            _fail_all(result, assignment, "not graded: " + plan.fatal)
            result.feedback_nb = feedback_notebook(assignment, plan, {}, result.outcomes,
                                                   result.notes)
            return result
        _execute_and_judge(assignment, plan, result, sub, sandbox, cpu)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        result.seconds = time.monotonic() - start
    return result


def _execute_and_judge(assignment: Assignment, plan: Plan, result: SubmissionResult, sub: Path,
                       sandbox: Sandbox, cpu: int | None) -> None:
    nonce = secrets.token_hex(16)
    rng = np.random.default_rng(secrets.randbits(128))
    inputs = {}
    steps = []
    for step in plan.steps:
        if step["kind"] == "probe":
            check = assignment.checks[step["grade_id"]]
            inputs[step["grade_id"]] = check.inputs(rng)
            step = step | {"source": check.probe, "inputs": inputs[step["grade_id"]]}
        steps.append(step)
    job = {"nonce": nonce, "steps": steps, "cell_seconds": sandbox.limits.cell_seconds, "cpu": cpu}
    run = sandbox.run(sub, [sandbox.python, "-m", "sidebyside.grading.runner"],
                      stdin=json.dumps(job).encode())
    reports, bad = parse_reports(run.stdout, nonce)
    cells = {r.get("index"): r for r in reports if r.get("kind") == "cell"}
    probes: dict[str, list[dict]] = {}
    for r in reports:
        if r.get("kind") == "probe":
            probes.setdefault(str(r.get("grade_id")), []).append(r)
    finished = any(r.get("kind") == "done" for r in reports)
    if bad:
        result.notes.append(f"{bad} unreadable report line(s) were ignored")
    if run.timed_out:
        result.status = "timeout"
        stop = (f"the notebook ran past the {sandbox.limits.wall_seconds:g} s limit for the whole "
                "notebook and was stopped")
        result.notes.insert(0, stop + "; tests not reached score 0")
    elif not finished:
        result.status = "died"
        stop = (f"the kernel stopped before the end (exit code {run.returncode}: os._exit, a crash "
                "or a resource limit)")
        result.notes.insert(0, stop + "; tests not reached score 0")
    else:
        stop = ""
    for report in cells.values():
        err = report.get("error") or {}
        if err.get("ename") == "CellTimeout":
            result.notes.append(f"cell {report.get('index')} ran past the "
                                f"{sandbox.limits.cell_seconds:g} s cell limit and was interrupted")
        elif err.get("ename") == "MemoryError":
            result.notes.append(f"cell {report.get('index')} ran out of memory (limit "
                                f"{sandbox.limits.memory_bytes / 2**30:g} GiB)")
    for gid, points in assignment.tests.items():
        got = probes.get(gid, [])
        if not got:
            message = f"not reached: {stop}" if stop else "no result was reported"
            outcome = Outcome(gid, points, 0.0, message)
        elif len(got) > 1:
            outcome = Outcome(gid, points, 0.0, "more than one result was reported for this test "
                              "(tampering?)")
        elif got[0].get("error"):
            err = got[0]["error"]
            outcome = Outcome(gid, points, 0.0, f"calling your code raised {err.get('ename')}: "
                              f"{str(err.get('evalue'))[:300]}")
        else:
            outcome = _verify(assignment, gid, points, inputs.get(gid), got[0].get("result"))
        result.outcomes[gid] = outcome
    result.score = float(sum(o.score for o in result.outcomes.values()))
    result.feedback_nb = feedback_notebook(assignment, plan, cells, result.outcomes, result.notes)


def _verify(assignment: Assignment, gid: str, points: float, inputs, value) -> Outcome:
    try:
        assignment.checks[gid].verify(inputs, value)
    except AssertionError as err:
        return Outcome(gid, points, 0.0, str(err) or "wrong answer")
    except Exception as err:  # noqa: BLE001 - a forged/odd value must not crash the batch
        return Outcome(gid, points, 0.0, f"the reported values could not be checked "
                       f"({type(err).__name__})")
    return Outcome(gid, points, points, "passed")


def _fail_all(result: SubmissionResult, assignment: Assignment, message: str) -> None:
    for gid, points in assignment.tests.items():
        result.outcomes[gid] = Outcome(gid, points, 0.0, message)
    result.score = 0.0


# ---------------------------------------------------------------------------------------------------
# many submissions


def find_submissions(course_dir: Path, assignment: str, students: list[str] | None = None,
                     submitted: Path | None = None) -> dict[str, Path]:
    root = Path(submitted) if submitted else Path(course_dir) / "submitted"
    found = {}
    for folder in sorted(root.glob(f"*/{assignment}")):
        if folder.is_dir() and (students is None or folder.parent.name in students):
            found[folder.parent.name] = folder
    return found


class Progress:
    def __init__(self, total: int, enabled: bool = True, stream=sys.stderr):
        self.total, self.done, self.enabled, self.stream = total, 0, enabled, stream
        self.start = time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        rate = self.done / max(time.monotonic() - self.start, 1e-9) * 60
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                          f"{rate:5.1f}/min  {label[:30]:<30}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def grade_all(assignment: Assignment, submissions: dict[str, Path], jobs: int | None = None,
              limits: Limits | None = None, progress: bool = True, on_result=None,
              pin: bool = False) -> list[SubmissionResult]:
    """Grade every submission in parallel; `on_result(result)` runs in the calling thread."""
    from sidebyside.grading.sandbox import check_available

    sandbox = Sandbox(limits or Limits())
    check_available(sandbox)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    cpus = sorted(os.sched_getaffinity(0))
    bar = Progress(len(submissions), progress)
    results = []
    free_cpus = list(range(jobs))

    def work(slot_student):
        slot, student = slot_student
        # pin each sandbox to a core only on request: on a machine shared with other work the
        # scheduler can move a sandbox to whichever core is free; a pinned one cannot
        cpu = cpus[slot % len(cpus)] if pin and jobs <= len(cpus) else None
        try:
            return grade_submission(assignment, student, submissions[student], sandbox, cpu)
        except Exception as err:  # noqa: BLE001 - one broken submission never stops the batch
            res = SubmissionResult(student, assignment.name, 0.0, assignment.max_score,
                                   status="invalid")
            res.notes.append(f"internal grading error: {type(err).__name__}: {err}")
            _fail_all(res, assignment, "not graded (internal error, see notes)")
            return res

    pending = list(submissions)
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {}
        while pending or running:
            while pending and free_cpus:
                slot = free_cpus.pop(0)
                student = pending.pop(0)
                running[pool.submit(work, (slot, student))] = slot
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                free_cpus.append(running.pop(fut))
                res = fut.result()
                results.append(res)
                if on_result:
                    on_result(res)
                bar.step(res.student)
    return sorted(results, key=lambda r: r.student)
