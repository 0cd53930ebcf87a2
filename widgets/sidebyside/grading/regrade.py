"""Regrading after a check is fixed: `sidebyside grade regrade ASSIGNMENT [--student S] [--question Q]`.

A check will be found wrong after students have submitted. Each grading leaves a record,
`reports/<assignment>.outcomes.json`: a fingerprint of every check (its probe, and the source of its
`inputs`, `verify` and `source_rule` with the module's functions and constants they use) and every
student's outcome per test. A regrade:

1. finds the tests whose check changed since that record (or the ones named with --question);
2. re-runs only those probes, for every recorded student (or the ones named with --student), in the
   same sandbox as `autograde`; every other test keeps its recorded outcome, probe not run;
3. prints every score that changes and appends it to `reports/<assignment>.audit.csv`
   (when, who, student, question, old, new, why) before the gradebook is written: nobody's score
   moves without a line there;
4. writes the gradebook, autograded/, feedback.md and the HTML feedback of the regraded students,
   and their rows of reports/<assignment>.csv.

`--dry-run` prints what would change and writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import inspect
import json
import linecache
import os
import sys
import types
from pathlib import Path

from sidebyside.grading.grader import Outcome, SubmissionResult
from sidebyside.grading.notebook import Assignment
from sidebyside.grading.spec import Check
from sidebyside.grading.untrusted import spreadsheet_cell, terminal_text

AUDIT_FIELDS = ["when", "who", "student", "question", "old", "new", "why"]


def ledger_path(course: Path, assignment: str) -> Path:
    return Path(course) / "reports" / f"{assignment}.outcomes.json"


def audit_path(course: Path, assignment: str) -> Path:
    return Path(course) / "reports" / f"{assignment}.audit.csv"


# ---- what a check is, as text: a change anywhere in it changes its fingerprint ---------------------

def fingerprint(check: Check) -> str:
    linecache.checkcache()  # a checks file edited since it was last read in this process
    parts = [f"probe={check.probe}"]
    seen: set[int] = set()

    def add(fn) -> None:
        if not isinstance(fn, types.FunctionType) or id(fn) in seen:
            return
        seen.add(id(fn))
        try:
            parts.append(inspect.getsource(fn))
        except (OSError, TypeError):
            parts.append(fn.__code__.co_code.hex())
        for name in sorted(_names(fn.__code__)):
            value = fn.__globals__.get(name)
            if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
                add(value)
            elif isinstance(value, (str, int, float, bool, tuple, frozenset, set, dict, list)):
                parts.append(f"{name}={sorted(value) if isinstance(value, (set, frozenset)) else value!r}")

    for fn in (check.inputs, check.verify, check.source_rule):
        add(fn)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def fingerprints(assignment: Assignment) -> dict[str, str]:
    return {gid: fingerprint(assignment.checks[gid]) for gid in assignment.tests}


# ---- the record of the last grading -----------------------------------------------------------------

def read_ledger(course: Path, assignment: str) -> dict | None:
    path = ledger_path(course, assignment)
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def write_ledger(course: Path, assignment: Assignment, results: list[SubmissionResult],
                 kept: dict[str, dict] | None = None) -> None:
    """Merge these (stored) results into the record: per student and test, the score, points,
    message and the fingerprint of the check that gave it (the current one, except for the tests a
    regrade kept, which keep theirs)."""
    data = read_ledger(course, assignment.name) or {"students": {}}
    now = fingerprints(assignment)
    for result in results:
        before = data["students"].get(result.student, {})
        kept_here = (kept or {}).get(result.student, {})
        data["students"][result.student] = {
            gid: [o.score, o.points, o.message,
                  before.get(gid, [None] * 4)[3] if gid in kept_here else now.get(gid)]
            for gid, o in result.outcomes.items()}
    path = ledger_path(course, assignment.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def to_rerun(assignment: Assignment, ledger: dict, student: str,
             questions: list[str] | None) -> set[str]:
    """The tests to run again for this student: the named ones, else those whose check changed
    since it graded them (or that have no record)."""
    if questions:
        return set(questions)
    now = fingerprints(assignment)
    recorded = ledger["students"].get(student, {})
    return {gid for gid in assignment.tests
            if gid not in recorded or recorded[gid][3] != now[gid]}


def kept_outcomes(assignment: Assignment, ledger: dict, student: str,
                  rerun: set[str]) -> dict[str, Outcome]:
    """The recorded outcomes a regrade keeps."""
    recorded = ledger["students"].get(student, {})
    return {gid: Outcome(gid, float(points), float(score), message)
            for gid, (score, points, message, _) in recorded.items()
            if gid in assignment.tests and gid not in rerun}


def who() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()


def append_audit(course: Path, assignment: str, rows: list[dict]) -> Path:
    path = audit_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=AUDIT_FIELDS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: spreadsheet_cell(v) for k, v in row.items()})
    return path


def replace_report_rows(path: Path, results: list[SubmissionResult], assignment: Assignment) -> None:
    from sidebyside.grading.gradebook import write_report

    rows = {}
    if path.is_file():
        with open(path, newline="") as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
    fields = ["student", "assignment", "score", "max_score", "status", *assignment.tests, "notes"]
    for result in results:
        rows[result.student] = {k: spreadsheet_cell(v) for k, v in result.row().items()}
    if not rows:
        write_report(path, results, assignment)
        return
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for student in sorted(rows):
            writer.writerow(rows[student])


# ---- the command --------------------------------------------------------------------------------------

def regrade(course: Path, args) -> int:
    from sidebyside.grading.cli import feedback, limits_from
    from sidebyside.grading.gradebook import due_passed, record, write_markdown_feedback
    from sidebyside.grading.grader import find_submissions, grade_all, grader_fault
    from sidebyside.grading.notebook import load_assignment
    from sidebyside.grading.sandbox import SandboxUnavailable

    assignment = load_assignment(course, args.assignment)
    ledger = read_ledger(course, assignment.name)
    if ledger is None:
        print(f"sidebyside grade regrade: no record of an earlier grading of {assignment.name} "
              f"({ledger_path(course, assignment.name)}): run `sidebyside grade autograde "
              f"{assignment.name}` first", file=sys.stderr)
        return 1
    unknown = sorted(set(args.question or ()) - set(assignment.tests))
    if unknown:
        print(f"sidebyside grade regrade: no test {', '.join(unknown)} in {assignment.name} "
              f"(its tests: {', '.join(assignment.tests)})", file=sys.stderr)
        return 2
    students = sorted(s for s in ledger["students"] if not args.student or s in args.student)
    rerun = {s: to_rerun(assignment, ledger, s, args.question) for s in students}
    students = [s for s in students if rerun[s]]
    if not students:
        print(f"nothing to regrade: no check of {assignment.name} changed since it was graded "
              "(name --question to run one again anyway)")
        return 0
    changed = sorted(set().union(*rerun.values()))
    why = args.why or (("the check changed: " if not args.question else "regrade of ")
                       + ", ".join(changed))
    rejected: dict[str, str] = {}
    submissions = find_submissions(course, assignment.name, students, rejected=rejected)
    for name, problem in rejected.items():
        print(f"sidebyside grade regrade: not regrading {terminal_text(repr(name))}: {problem}",
              file=sys.stderr)
    if not submissions:
        print(f"sidebyside grade regrade: none of the recorded students' submissions of "
              f"{assignment.name} is there to regrade", file=sys.stderr)
        return 1
    keep = {s: kept_outcomes(assignment, ledger, s, rerun[s]) for s in submissions}
    print(f"regrading {', '.join(changed)} for {len(submissions)} student(s) ({why})")
    try:
        results = grade_all(assignment, submissions, jobs=args.jobs, limits=limits_from(args),
                            progress=not args.no_progress, keep=keep)
    except SandboxUnavailable as err:
        print(f"sidebyside grade regrade: {err}", file=sys.stderr)
        return 3
    fault = grader_fault(results)
    if fault:
        print(f"sidebyside grade regrade: every submission failed the same way before any student "
              f"code ran ({terminal_text(fault)}): the grader is broken here. Nothing was written.",
              file=sys.stderr)
        return 3
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    by = args.by or who()
    trail = []
    for result in results:
        recorded = ledger["students"].get(result.student, {})
        for gid in sorted(rerun[result.student]):
            old = recorded.get(gid, [None])[0]
            new = result.outcomes[gid].score
            if old is None or float(old) != new:
                trail.append({"when": when, "who": by, "student": result.student, "question": gid,
                              "old": "" if old is None else f"{float(old):g}", "new": f"{new:g}",
                              "why": why})
    for row in trail:
        print(f"{terminal_text(row['student']):<24} {row['question']:<20} {row['old'] or '-':>5} -> "
              f"{row['new']:<5}")
    print(f"{len(trail)} score(s) change, {len({r['student'] for r in trail})} student(s)")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    if trail:
        print(f"audit trail: {append_audit(course, assignment.name, trail)}")
    stored = [r for r in results if r.stored]
    after_due = due_passed(course, assignment.name)
    for result in stored:
        record(course, assignment, result, submissions[result.student], after_due)
        write_markdown_feedback(course, result, assignment, after_due)
    write_ledger(course, assignment, stored, keep)
    replace_report_rows(course / "reports" / f"{assignment.name}.csv", results, assignment)
    return feedback(course, assignment.name, [r.student for r in stored])
