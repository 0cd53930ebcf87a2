"""Submissions per minute: the hardened grader (`sidebyside grade autograde`, sandboxed, parallel)
against plain `nbgrader autograde` (sequential, unsandboxed) on the same 40 ps01_tensors submissions.

    .venv/bin/python benchmarks/grading_throughput.py [--n 40] [--jobs 2]

Prints a table. Target: the hardened grader at >= 1.8x plain nbgrader's throughput on 2 cores.
Not a timed test: other work on the machine changes the numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
ASSIGNMENT = "ps01_tensors"


def make_course(base: Path) -> Path:
    course = base
    course.mkdir(parents=True)
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "checks").mkdir()
    shutil.copy(ROOT / "graded" / "checks" / f"{ASSIGNMENT}.py", course / "checks")
    return course


def run(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    start = time.monotonic()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    from grading import submissions as subs

    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        plain = make_course(Path(tmp) / "plain")
        ours = make_course(Path(tmp) / "ours")
        for course in (plain, ours):
            run([str(bin_dir / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
        release = nbformat.read(plain / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        texts = [subs.fill(release, subs.RIGHT), subs.fill(release, subs.PARTIAL)]
        for i in range(args.n):
            for course in (plain, ours):
                folder = course / "submitted" / f"student{i:03d}" / ASSIGNMENT
                folder.mkdir(parents=True)
                (folder / f"{ASSIGNMENT}.ipynb").write_text(texts[i % 2])
        t_plain = run([str(bin_dir / "nbgrader"), "autograde", ASSIGNMENT, "--force"], plain)
        t_ours = run([str(bin_dir / "sidebyside"), "grade", "autograde", ASSIGNMENT,
                      "--course-dir", str(ours), "--jobs", str(args.jobs), "--no-progress"], ours)
    rate_plain, rate_ours = args.n / t_plain * 60, args.n / t_ours * 60
    print(f"{args.n} submissions of {ASSIGNMENT}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}")
    print("| grader | wall s | submissions/min | speed-up |")
    print("|---|---:|---:|---:|")
    print(f"| nbgrader autograde (sequential, unsandboxed) | {t_plain:.0f} | {rate_plain:.1f} | 1.00x |")
    print(f"| sidebyside grade autograde --jobs {args.jobs} (sandboxed) | {t_ours:.0f} | "
          f"{rate_ours:.1f} | {rate_ours / rate_plain:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
