"""`sidebyside grade ...`: the instructor's one command.

    sidebyside grade generate ps01_tensors       # nbgrader generate_assignment (student version)
    sidebyside grade autograde ps01_tensors      # sandboxed, parallel, progress bar, gradebook
    sidebyside grade feedback ps01_tensors       # nbgrader generate_feedback (HTML) + feedback.md
    sidebyside grade export                      # nbgrader export -> grades.csv
    sidebyside grade export --format canvas      # Canvas's gradebook CSV (or moodle), per question
    sidebyside grade all ps01_tensors            # autograde + feedback + export
    sidebyside grade regrade ps01_tensors        # after a check is fixed: re-run what changed,
                                                 # audit trail in reports/<a>.audit.csv

Options: --course-dir (default: ./graded if it exists, else .), --jobs N (default: all cores),
--student ID (repeatable), --wall SECONDS (whole notebook), --cell SECONDS, --memory-gib N,
--cluster tcp://HOST:8786 (one sandboxed job per submission on Dask workers; this process writes).
regrade: --question GRADE_ID (repeatable; default: the tests whose check changed), --student,
--why TEXT (for the audit trail), --by NAME (default: the login), --dry-run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat


def nbgrader(course_dir: Path, *args: str) -> int:
    """Run an nbgrader command in the course directory (its config file is read from there)."""
    exe = Path(sys.executable).with_name("nbgrader")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    return subprocess.call([*cmd, *args], cwd=course_dir)


def use_this_environment() -> None:
    """nbgrader's Gradebook runs `alembic` from PATH, in subprocesses and in this process alike: put
    this environment's bin first, so `.venv/bin/sidebyside grade` works without activating the venv."""
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def default_course_dir() -> Path:
    return Path("graded") if Path("graded/nbgrader_config.py").exists() else Path(".")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sidebyside grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=["generate", "autograde", "feedback", "export", "all",
                                      "regrade"])
    p.add_argument("assignment", nargs="?")
    p.add_argument("--course-dir", type=Path, default=None)
    p.add_argument("--jobs", type=int, default=None, help="parallel sandboxes (default: cores)")
    p.add_argument("--student", action="append", default=None)
    p.add_argument("--wall", type=float, default=None, help="seconds for a whole notebook")
    p.add_argument("--cell", type=float, default=None, help="seconds for one cell or test")
    p.add_argument("--memory-gib", type=float, default=None)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="grade on a Dask cluster, e.g. tcp://host:8786 (graded/README)")
    p.add_argument("--to", type=Path, default=None, help="export: CSV path (default grades.csv)")
    p.add_argument("--format", choices=["nbgrader", "canvas", "moodle"], default="nbgrader",
                   help="export: nbgrader's grades.csv, or the gradebook CSV Canvas or Moodle "
                        "imports (grades-canvas.csv, grades-moodle.csv)")
    p.add_argument("--question", action="append", default=None,
                   help="regrade: this test (grade_id) again; repeatable")
    p.add_argument("--why", default=None, help="regrade: the reason, kept in the audit trail")
    p.add_argument("--by", default=None, help="regrade: who (default: the login)")
    p.add_argument("--dry-run", action="store_true", help="regrade: print, write nothing")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_this_environment()
    course = (args.course_dir or default_course_dir()).resolve()
    if args.action != "export" and not args.assignment:
        print(f"sidebyside grade {args.action}: name the assignment", file=sys.stderr)
        return 2
    if args.action == "generate":
        code = nbgrader(course, "generate_assignment", args.assignment, "--force")
        return code or announce_visible_checks(course, args.assignment)
    if args.action == "export" and args.format != "nbgrader":
        from sidebyside.grading.lms import export as lms_export

        print(f"wrote {lms_export(course, args.format, args.to)}")
        return 0
    if args.action == "export":
        return export(course, args.to)
    if args.action == "regrade":
        from sidebyside.grading.regrade import regrade

        return regrade(course, args)
    if args.action in ("autograde", "all"):
        code = autograde(course, args)
        if code or args.action == "autograde":
            return code
    code = feedback(course, args.assignment, args.student)
    if args.action == "all" and not code:
        code = export(course, args.to)
    return code


def autograde(course: Path, args) -> int:
    from sidebyside.grading.gradebook import (
        due_passed,
        record,
        write_markdown_feedback,
        write_report,
    )
    from sidebyside.grading.grader import find_submissions, grade_all, grader_fault, refused_result
    from sidebyside.grading.notebook import load_assignment
    from sidebyside.grading.sandbox import SandboxUnavailable
    from sidebyside.grading.untrusted import terminal_text

    assignment = load_assignment(course, args.assignment)
    rejected: dict[str, str] = {}
    submissions = find_submissions(course, args.assignment, args.student, rejected=rejected)
    for name, problem in rejected.items():
        print(f"sidebyside grade: not grading {terminal_text(repr(name))}: {problem}",
              file=sys.stderr)
    if not submissions and not rejected:
        print(f"no submissions in {course / 'submitted'}/*/{args.assignment}", file=sys.stderr)
        return 1
    limits = limits_from(args)
    due: list[bool] = []  # "after_due" checks are shown once the due date passed; read when needed
    unrecorded = []
    # results are held until one shows the runner started in its sandbox: if none does, and all
    # failed alike before any student code ran, the grader is broken and nothing may be stored
    held: list = []

    def store(result):
        try:  # one result that cannot be stored must not stop the rest of the batch
            if not due:
                due.append(due_passed(course, assignment.name))
            record(course, assignment, result, submissions[result.student], due[0])
            write_markdown_feedback(course, result, assignment, due[0])
        except Exception as err:  # noqa: BLE001 - reported below and in the exit code
            unrecorded.append(result.student)
            result.notes.append(f"result could not be stored: {type(err).__name__}: {err}")

    started = []  # one result whose runner started: from then on results are stored as they come

    def on_result(result):
        if not result.stored:  # a refused folder: no grade, no autograded copy, one report row
            return
        if not started and not result.started:
            held.append(result)
            return
        if not started:
            started.append(result.student)
            for earlier in held:
                store(earlier)
            held.clear()
        store(result)

    from sidebyside.grading.cluster import ClusterError, cluster_grader

    grade = cluster_grader(args.cluster, course, unrecorded) if args.cluster else grade_all
    results = []
    if submissions:
        try:
            results = grade(assignment, submissions, jobs=args.jobs, limits=limits,
                            progress=not args.no_progress, on_result=on_result)
        except (SandboxUnavailable, ClusterError) as err:
            if not grader_fault(held):
                for result in held:  # received before the cluster was lost: stored, as it says
                    store(result)
            print(f"sidebyside grade: {err}", file=sys.stderr)
            return 3
    fault = grader_fault(held)
    if fault:
        print(f"sidebyside grade: every submission failed the same way before any student code "
              f"ran ({terminal_text(fault)}): the grader is broken here, not the submissions. "
              "No score was written (gradebook, autograded/ and reports unchanged); fix the "
              "grader's installation and grade again.", file=sys.stderr)
        return 3
    for result in held:
        store(result)
    held.clear()
    results += [refused_result(assignment, name, problem) for name, problem in rejected.items()]
    results.sort(key=lambda r: r.student)
    report = course / "reports" / f"{args.assignment}.csv"
    write_report(report, results, assignment)
    from sidebyside.grading.regrade import write_ledger

    write_ledger(course, assignment, [r for r in results
                                      if r.stored and r.student not in unrecorded])
    for r in results:
        print(f"{terminal_text(r.student):<24} {r.score:>5g}/{r.max_score:<5g} {r.status:<8} "
              f"{terminal_text('; '.join(r.notes))[:100]}")
    print(f"wrote {report}")
    if unrecorded:
        print(f"sidebyside grade: could not store the results of "
              f"{terminal_text(', '.join(unrecorded))} (see the notes in the report); the others "
              "are stored", file=sys.stderr)
        return 1
    return 0


def announce_visible_checks(course: Path, name: str) -> int:
    """After nbgrader's generate: each visible check's test cell in the student version prints its
    verdict as the feedback will (grading/visible.py); the cell's nbgrader checksum follows."""
    from nbgrader.utils import compute_checksum

    from sidebyside.grading.notebook import load_assignment, nbgrader_meta

    assignment = load_assignment(course, name)
    path = course / "release" / name / f"{assignment.notebook_name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in assignment.tests and cell.source != assignment.release_sources[gid]:
            cell.source = assignment.release_sources[gid]
            cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    nbformat.write(nb, path)
    return 0


def limits_from(args):
    from sidebyside.grading.sandbox import Limits

    limits = Limits()
    if args.wall:
        limits.wall_seconds = args.wall
    if args.cell:
        limits.cell_seconds = args.cell
    if args.memory_gib:
        limits.memory_bytes = int(args.memory_gib * 2**30)
    return limits


def feedback(course: Path, assignment_name: str, students: list[str] | None) -> int:
    """nbgrader's HTML feedback, one student at a time (one failure stays one failure), each made
    only after its autograded notebook passed the hidden-test check; plus our feedback.md."""
    from sidebyside.grading.notebook import hidden_test_leak, load_assignment
    from sidebyside.grading.untrusted import id_problem, terminal_text

    assignment = load_assignment(course, assignment_name)
    code = 0
    root = course / "autograded"
    names = sorted(os.listdir(root)) if root.is_dir() else []
    for student in names:
        nb_path = root / student / assignment_name / f"{assignment.notebook_name}.ipynb"
        if (students and student not in students) or id_problem(student):
            continue
        target = course / "feedback" / student / assignment_name
        md = root / student / assignment_name / "feedback.md"
        if md.is_file():  # scores and reasons, also for a notebook that could not be read
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(md, target / "feedback.md")
        if not nb_path.is_file():
            continue
        shown = terminal_text(student)
        leak = hidden_test_leak(assignment, nbformat.read(nb_path, as_version=4))
        if leak:
            print(f"refusing to make feedback for {shown}: {leak}", file=sys.stderr)
            for html in target.glob("*.html"):
                html.unlink()
            code = 4
            continue
        outcome = _html_feedback(course, assignment_name, student)
        if not outcome["success"]:
            last = (outcome.get("error") or outcome.get("log") or "").strip().splitlines()[-1:]
            print(f"sidebyside grade: no HTML feedback for {shown}: "
                  f"{terminal_text(' '.join(last))[:300]}", file=sys.stderr)
            code = code or 1
    return code


def _html_feedback(course: Path, assignment: str, student: str) -> dict:
    """nbgrader's generate_feedback for ONE student, in this process (what its NbGraderAPI does,
    without setting up an exchange): {"success": bool, "error"/"log": text}."""
    import warnings

    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (course / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", str(course)).load_config())
    config.CourseDirectory.root = str(course)
    config.HTMLExporter.template_name = "feedback"
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    app = GenerateFeedback(coursedir=coursedir, config=config)
    app.force = True
    with warnings.catch_warnings():
        # nbgrader's GetGrades triggers SQLAlchemy autoflush warnings (as in `nbgrader` itself)
        warnings.filterwarnings("ignore", message=".*not in session.*")
        return capture_log(app)


def visible_text(html_text: str) -> str:
    """The text of an HTML page without tags (syntax highlighting splits code into spans)."""
    import html as htmlmod
    import re

    return htmlmod.unescape(re.sub(r"<[^>]+>", "", html_text))


def _hidden_lines(assignment) -> list[str]:
    """Distinctive lines of the hidden tests (to prove feedback never contains them)."""
    from sidebyside.grading.notebook import hidden_lines

    return [line for line in hidden_lines(assignment) if len(line) > 25]


def export(course: Path, to: Path | None) -> int:
    from sidebyside.grading.gradebook import make_spreadsheet_safe

    target = (to or course / "grades.csv").resolve()
    code = nbgrader(course, "export", f"--to={target}")
    if code == 0 and target.exists():
        make_spreadsheet_safe(target)
    return code
