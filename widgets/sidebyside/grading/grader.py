"""Grade submissions: sandboxed execution, verdicts in this (trusted) process, nbgrader's gradebook.

One submission (`grade_submission`, the unit a cluster worker runs too):
1. its folder is opened without following links and the notebook is read from it, bounded in size
   (`studentfiles`); nothing else there is opened by this process;
2. the notebook is read against the source (`notebook.plan_from_bytes`): structure problems become notes;
3. the runner executes it in a sandbox of its own (which copies the folder into its bounded tmpfs;
   the original is never touched) and reports values at each test position;
4. here, each test's `verify` compares those values with references computed here, on the fresh
   inputs drawn here for this run; stderr never matters; a missing, duplicated or malformed report
   fails that test with a reason;
5. scores go into nbgrader's Gradebook (so `nbgrader export` and `generate_feedback` work) and an
   autograded notebook (student version + verdicts, no hidden tests) is written for feedback.

Many submissions: a thread pool of `jobs` workers (each waits on its own sandbox process; `pin=True`
pins each to one core), a progress bar on stderr, gradebook writes serialised in the calling thread.
Where sandboxes cannot get separate budgets (no control groups), `jobs` becomes 1, with the reason.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from sidebyside.grading import studentfiles
from sidebyside.grading.notebook import Assignment, Plan, feedback_notebook, plan_from_bytes
from sidebyside.grading.runner import MARK
from sidebyside.grading.sandbox import RUNNER, Limits, Sandbox
from sidebyside.grading.untrusted import id_problem, terminal_text

MAX_NOTEBOOK_BYTES = 64 * 2**20  # read in this (trusted) process: bound it
MAX_REPORT_TEXT = 20_000  # characters of one cell's captured output kept for the feedback


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
    status: str = "graded"  # graded | invalid | timeout | died | flooded
    seconds: float = 0.0
    feedback_nb: nbformat.NotebookNode | None = None
    stored: bool = True  # False: a refused folder, kept out of the gradebook and autograded/
    # why the grader's runner never started in the sandbox (no student code had run): when every
    # submission of a batch has the same one, the fault is the grader's (see `grader_fault`)
    prestart: str | None = None
    started: bool = False  # the runner reported that it started (the grader's side works)

    def row(self) -> dict:
        row = {"student": self.student, "assignment": self.assignment, "score": self.score,
               "max_score": self.max_score, "status": self.status}
        row |= {gid: o.score for gid, o in self.outcomes.items()}
        row["notes"] = " | ".join(self.notes)
        return row


def parse_reports(stdout: bytes, nonce: str) -> tuple[list[dict], int]:
    """The runner's report lines carrying this run's nonce; other lines are ignored.
    Returns (reports, number of unreadable marked lines). Every line is the sandbox's claim: one
    that is not JSON, holds an integer too long to convert, nests too deeply or has fields of the
    wrong type is counted as unreadable, never raised."""
    prefix = f"{MARK}{nonce} "
    reports, bad = [], 0
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        if not line.startswith(prefix):
            continue
        try:
            report = clean_report(scrub(json.loads(line[len(prefix):])))
        except (ValueError, RecursionError, TypeError):
            report = None
        if report is None:
            bad += 1
        else:
            reports.append(report)
    return reports, bad


def clean_report(obj) -> dict | None:
    """A report with the fields the grader reads checked and normalised, or None if malformed."""
    if not isinstance(obj, dict) or obj.get("kind") not in ("start", "cell", "probe", "done"):
        return None
    out = {"kind": obj["kind"]}
    error = obj.get("error")
    if error is not None:
        if not isinstance(error, dict):
            return None
        out["error"] = {"ename": str(error.get("ename"))[:200],
                        "evalue": str(error.get("evalue"))[:2000]}
    else:
        out["error"] = None
    if obj["kind"] == "cell":
        index = obj.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            return None
        out["index"] = index
        for key in ("stdout", "stderr"):
            value = obj.get(key)
            out[key] = value[:MAX_REPORT_TEXT] if isinstance(value, str) else ""
    elif obj["kind"] == "probe":
        if not isinstance(obj.get("grade_id"), str):
            return None
        out["grade_id"] = obj["grade_id"]
        out["result"] = obj.get("result")
    seconds = obj.get("seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) \
            and math.isfinite(seconds):
        out["seconds"] = float(seconds)
    return out


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
                     sandbox: Sandbox, cpu: int | None = None,
                     keep: dict[str, Outcome] | None = None) -> SubmissionResult:
    """Grade one submission folder in a sandbox of its own and return its result (never raises for
    anything the submission contains). The gradebook is not touched: the caller records results.
    `keep` (a regrade): these tests' outcomes are kept as they are and their probes not run."""
    start = time.monotonic()
    result = SubmissionResult(student, assignment.name, 0.0, assignment.max_score)
    name = f"{assignment.notebook_name}.ipynb"
    try:
        folder_fd = studentfiles.open_folder(Path(submission_dir))
    except studentfiles.StudentFileError as err:
        # a link could point at the instructor's source: this process never follows one. The
        # same row as `find_submissions`' refusal (the folder became a link after it was listed)
        refused = refused_result(assignment, student, str(err))
        refused.seconds = time.monotonic() - start
        return refused
    try:
        try:
            data = studentfiles.read_bounded(folder_fd, name, MAX_NOTEBOOK_BYTES)
        except studentfiles.StudentFileError as err:
            return _invalid(result, assignment, f"{err} (the notebook must be a plain file)",
                            "the notebook is missing or unreadable", start)
        plan = plan_from_bytes(data, assignment)
        result.notes += plan.notes
        if plan.fatal:
            _invalid(result, assignment, plan.fatal, plan.fatal, start)
            result.feedback_nb = feedback_notebook(assignment, plan, {}, result.outcomes,
                                                   result.notes)
            return result
        _execute_and_judge(assignment, plan, result, Path(submission_dir), folder_fd, sandbox, cpu,
                           keep or {})
    finally:
        os.close(folder_fd)
        result.seconds = time.monotonic() - start  # includes the sandbox's cleanup
    return result


def _invalid(result: SubmissionResult, assignment: Assignment, note: str, reason: str,
             start: float) -> SubmissionResult:
    result.status = "invalid"
    result.notes.insert(0, note)
    _fail_all(result, assignment, "not graded: " + reason)
    result.seconds = time.monotonic() - start
    return result


def _execute_and_judge(assignment: Assignment, plan: Plan, result: SubmissionResult, folder: Path,
                       folder_fd: int, sandbox: Sandbox, cpu: int | None,
                       keep: dict[str, Outcome]) -> None:
    nonce = secrets.token_hex(16)
    rng = np.random.default_rng(secrets.randbits(128))
    inputs = {}
    steps = []
    for step in plan.steps:
        if step["kind"] == "probe" and step["grade_id"] in keep:
            continue  # a regrade re-runs only the tests whose check changed
        if step["kind"] == "probe":
            check = assignment.checks[step["grade_id"]]
            inputs[step["grade_id"]] = check.inputs(rng)
            step = step | {"source": check.probe, "inputs": inputs[step["grade_id"]]}
        steps.append(step)
    job = {"nonce": nonce, "steps": steps, "cell_seconds": sandbox.limits.cell_seconds, "cpu": cpu,
           "max_text": MAX_REPORT_TEXT}
    run = sandbox.run(folder, [sandbox.python, *RUNNER],
                      stdin=json.dumps(job).encode(), folder_fd=folder_fd)
    reports, bad = parse_reports(run.stdout, nonce)
    cells = {r["index"]: r for r in reports if r["kind"] == "cell"}
    probes: dict[str, list[dict]] = {}
    for r in reports:
        if r["kind"] == "probe":
            probes.setdefault(r["grade_id"], []).append(r)
    started = result.started = any(r["kind"] == "start" for r in reports)
    finished = any(r["kind"] == "done" for r in reports)
    limits = sandbox.limits
    if bad:
        result.notes.append(f"{bad} unreadable report line(s) were ignored")
    if run.setup_error and not started:
        result.status = "invalid"
        full = "No space left" in run.setup_error
        stop = (f"the submitted folder does not fit in the sandbox's {limits.disk_bytes / 2**20:g} MiB "
                f"and {limits.disk_inodes} files" if full else
                f"the submitted folder could not be copied into the sandbox "
                f"({run.setup_error[:200]})")
        result.notes.insert(0, stop + "; nothing ran")
    elif run.flooded:
        result.status = "flooded"
        stop = (f"the notebook wrote more than {limits.report_bytes / 2**20:g} MiB to the grader's "
                "report channel and was stopped there")
        result.notes.insert(0, stop + "; tests not reported before that score 0")
    elif run.timed_out:
        result.status = "timeout"
        stop = (f"the notebook ran past the {limits.wall_seconds:g} s limit for the whole "
                "notebook and was stopped")
        result.notes.insert(0, stop + "; tests not reached score 0")
    elif not finished:
        if not started:
            last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            result.prestart = terminal_text(last[0][:300] if last else
                                            f"exit code {run.returncode}")
        result.status = "died"
        cause = _death_cause(run, limits)
        stop = f"the kernel stopped before the end ({cause})"
        result.notes.insert(0, stop + "; tests not reached score 0")
    else:
        stop = ""
    if run.events.get("process_limit"):
        result.notes.append(f"the notebook reached its limit of {limits.processes} processes and "
                            "threads: starting more failed")
    if run.events.get("oom_kill") and "out of memory" not in stop:
        result.notes.append(f"a process of the notebook was killed for memory (limit "
                            f"{limits.memory_bytes / 2**30:g} GiB for all its processes and files)")
    for report in cells.values():
        err = report["error"] or {}
        if err.get("ename") == "CellTimeout":
            result.notes.append(f"cell {report['index']} ran past the "
                                f"{limits.cell_seconds:g} s cell limit and was interrupted")
        elif err.get("ename") == "MemoryError":
            result.notes.append(f"cell {report['index']} ran out of memory (limit "
                                f"{limits.memory_bytes / 2**30:g} GiB)")
    for gid, points in assignment.tests.items():
        got = probes.get(gid, [])
        if gid in keep:
            outcome = keep[gid]
        elif not got:
            message = f"not reached: {stop}" if stop else "no result was reported"
            outcome = Outcome(gid, points, 0.0, message)
        elif len(got) > 1:
            outcome = Outcome(gid, points, 0.0, "more than one result was reported for this test "
                              "(tampering?)")
        elif got[0]["error"]:
            err = got[0]["error"]
            outcome = Outcome(gid, points, 0.0, f"calling your code raised {err['ename']}: "
                              f"{err['evalue'][:300]}")
        else:
            code = [st["source"] for st in plan.steps if st["kind"] == "cell"]
            outcome = _verify(assignment, gid, points, inputs.get(gid), got[0].get("result"), code)
        result.outcomes[gid] = outcome
    result.score = float(sum(o.score for o in result.outcomes.values()))
    result.feedback_nb = feedback_notebook(assignment, plan, cells, result.outcomes, result.notes)


def _death_cause(run, limits: Limits) -> str:
    if run.events.get("oom_kill"):
        return (f"out of memory: the sandbox's limit is {limits.memory_bytes / 2**30:g} GiB for all "
                "its processes and files")
    code = run.returncode
    if code is not None and code < 0:
        return f"killed by signal {-code}: a crash or a resource limit"
    return f"exit code {code}: os._exit, a crash or a resource limit"


def _verify(assignment: Assignment, gid: str, points: float, inputs, value,
            code: list[str] = ()) -> Outcome:
    """`verify` on the reported values, then the check's rule on the code the notebook ran (its
    cells as submitted, read here: a rule such as "do not call log_softmax" is about the source)."""
    check = assignment.checks[gid]
    try:
        check.verify(inputs, value)
        if check.source_rule is not None:
            check.source_rule(list(code))
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
                     submitted: Path | None = None,
                     rejected: dict[str, str] | None = None) -> dict[str, Path]:
    """Student id -> submission folder: what every backend grades (local and Dask alike).

    Left out, with the reason in `rejected` (pass a dict to receive them; `refused_result` makes
    their report rows): folder names that cannot be student ids (control characters, path
    separators, a leading = + - @ ...: `untrusted.id_problem`), and student or submission folders
    that are symbolic links or not folders (`studentfiles.submission_problem`)."""
    root = Path(submitted) if submitted else Path(course_dir) / "submitted"
    found = {}
    try:
        entries = sorted(os.listdir(root))
    except FileNotFoundError:
        return found
    for name in entries:
        if students is not None and name not in students:
            continue
        problem = studentfiles.submission_problem(root, name, assignment)
        if problem == "":
            continue  # nothing submitted for this assignment
        id_trouble = id_problem(name)
        if id_trouble:
            problem = (f"the folder name cannot be a student id: {id_trouble}; rename it (e.g. to "
                       "the student's login) and grade it again")
        if problem:
            if rejected is not None:
                rejected[name] = problem
            continue
        found[name] = root / name / assignment
    return found


def grader_fault(results: list[SubmissionResult]) -> str | None:
    """The grader's fault, if the batch shows one: no runner started in any sandbox, and every
    submission that reached one failed with the same reason before its first cell. Then no score
    means anything (the students' code never ran) and none may be written."""
    reasons = {r.prestart for r in results if r.stored and not r.started and r.prestart}
    if len(reasons) != 1 or any(r.started for r in results):
        return None
    return reasons.pop()


def refused_result(assignment: Assignment, student: str, reason: str) -> SubmissionResult:
    """The row of a folder that is not graded (`find_submissions`' rejections, and a folder that
    turns into a link before it is read): status invalid, 0, the reason, nothing else to record."""
    result = SubmissionResult(terminal_text(student), assignment.name, 0.0, assignment.max_score,
                              status="invalid", stored=False)
    result.notes.append(f"not graded: {reason}")
    _fail_all(result, assignment, f"not graded: {reason}")
    return result


rejected_result = refused_result  # the name earlier callers used


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
        label = terminal_text(label)[:30]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                          f"{rate:5.1f}/min  {label:<30}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def grade_all(assignment: Assignment, submissions: dict[str, Path], jobs: int | None = None,
              limits: Limits | None = None, progress: bool = True, on_result=None,
              pin: bool = False,
              keep: dict[str, dict[str, Outcome]] | None = None) -> list[SubmissionResult]:
    """Grade every submission in parallel; `on_result(result)` runs in the calling thread.
    `keep`: student -> the outcomes a regrade keeps (their probes are not run)."""
    from sidebyside.grading.sandbox import check_available, isolation

    sandbox = Sandbox(limits or Limits())
    check_available(sandbox)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    layout, why = isolation()
    if layout is None and jobs > 1:
        print(f"sidebyside grade: grading with --jobs 1: sandboxes cannot get separate process and "
              f"memory budgets here ({why})", file=sys.stderr)
        jobs = 1
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
            return grade_submission(assignment, student, submissions[student], sandbox, cpu,
                                    (keep or {}).get(student))
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
