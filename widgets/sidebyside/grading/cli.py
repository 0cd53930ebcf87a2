"""`sidebyside grade ...`: the instructor's one command.

    sidebyside grade generate ps01_tensors       # nbgrader generate_assignment (student version)
    sidebyside grade autograde ps01_tensors      # sandboxed, parallel, progress bar, gradebook
    sidebyside grade feedback ps01_tensors       # nbgrader generate_feedback (HTML) + feedback.md
    sidebyside grade export                      # nbgrader export -> grades.csv
    sidebyside grade all ps01_tensors            # autograde + feedback + export

Options: --course-dir (default: ./graded if it exists, else .), --jobs N (default: all cores),
--student ID (repeatable), --wall SECONDS (whole notebook), --cell SECONDS, --memory-gib N,
--cluster tcp://HOST:8786 (one sandboxed job per submission on Dask workers; this process writes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path


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
    p.add_argument("action", choices=["generate", "autograde", "feedback", "export", "all"])
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_this_environment()
    course = (args.course_dir or default_course_dir()).resolve()
    if args.action != "export" and not args.assignment:
        print(f"sidebyside grade {args.action}: name the assignment", file=sys.stderr)
        return 2
    if args.action == "generate":
        return nbgrader(course, "generate_assignment", args.assignment, "--force")
    if args.action == "export":
        return export(course, args.to)
    if args.action in ("autograde", "all"):
        code = autograde(course, args)
        if code or args.action == "autograde":
            return code
    code = feedback(course, args.assignment, args.student)
    if args.action == "all" and not code:
        code = export(course, args.to)
    return code


def autograde(course: Path, args) -> int:
    from sidebyside.grading.gradebook import record, write_markdown_feedback, write_report
    from sidebyside.grading.grader import find_submissions, grade_all
    from sidebyside.grading.notebook import load_assignment
    from sidebyside.grading.sandbox import Limits, SandboxUnavailable

    assignment = load_assignment(course, args.assignment)
    submissions = find_submissions(course, args.assignment, args.student)
    if not submissions:
        print(f"no submissions in {course / 'submitted'}/*/{args.assignment}", file=sys.stderr)
        return 1
    limits = Limits()
    if args.wall:
        limits.wall_seconds = args.wall
    if args.cell:
        limits.cell_seconds = args.cell
    if args.memory_gib:
        limits.memory_bytes = int(args.memory_gib * 2**30)

    unrecorded = []

    def on_result(result):
        try:  # one result that cannot be stored must not stop the rest of the batch
            record(course, assignment, result, submissions[result.student])
            write_markdown_feedback(course, result)
        except Exception as err:  # noqa: BLE001 - reported below and in the exit code
            unrecorded.append(result.student)
            result.notes.append(f"result could not be stored: {type(err).__name__}: {err}")

    from sidebyside.grading.cluster import ClusterError, cluster_grader

    grade = cluster_grader(args.cluster, course, unrecorded) if args.cluster else grade_all
    try:
        results = grade(assignment, submissions, jobs=args.jobs, limits=limits,
                        progress=not args.no_progress, on_result=on_result)
    except (SandboxUnavailable, ClusterError) as err:
        print(f"sidebyside grade: {err}", file=sys.stderr)
        return 3
    report = course / "reports" / f"{args.assignment}.csv"
    write_report(report, results, assignment)
    for r in results:
        print(f"{r.student:<24} {r.score:>5g}/{r.max_score:<5g} {r.status:<8} "
              f"{'; '.join(r.notes)[:100]}")
    print(f"wrote {report}")
    if unrecorded:
        print(f"sidebyside grade: could not store the results of {', '.join(unrecorded)} "
              "(see the notes in the report); the others are stored", file=sys.stderr)
        return 1
    return 0


def feedback(course: Path, assignment: str, students: list[str] | None) -> int:
    extra = [f"--student={s}" for s in students] if students else []
    code = nbgrader(course, "generate_feedback", assignment, "--force", *extra)
    for md in (course / "autograded").glob(f"*/{assignment}/feedback.md"):
        student = md.parent.parent.name
        if students and student not in students:
            continue
        target = course / "feedback" / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(md, target / "feedback.md")
    if code == 0:
        from sidebyside.grading.notebook import HIDDEN_BEGIN, load_assignment

        hidden = _hidden_lines(load_assignment(course, assignment))
        for html in (course / "feedback").glob(f"*/{assignment}/*.html"):
            text = visible_text(html.read_text(errors="replace"))
            if HIDDEN_BEGIN in text or any(line in text for line in hidden):
                print(f"refusing to keep {html}: it contains hidden test source", file=sys.stderr)
                html.unlink()
                code = 4
    return code


def visible_text(html_text: str) -> str:
    """The text of an HTML page without tags (syntax highlighting splits code into spans)."""
    import html as htmlmod
    import re

    return htmlmod.unescape(re.sub(r"<[^>]+>", "", html_text))


def _hidden_lines(assignment) -> list[str]:
    """Distinctive lines of the hidden tests (to prove feedback never contains them)."""
    from sidebyside.grading.notebook import nbgrader_meta

    lines = []
    for cell in assignment.source_nb.cells:
        if nbgrader_meta(cell).get("grade_id") not in assignment.tests:
            continue
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 25:
                lines.append(line.strip())
    return lines


def export(course: Path, to: Path | None) -> int:
    target = (to or course / "grades.csv").resolve()
    return nbgrader(course, "export", f"--to={target}")
