"""Submissions per minute, side by side in one run, on the same ps01_tensors submissions:

- plain `nbgrader autograde` (sequential, unsandboxed);
- `sidebyside grade autograde --jobs 1` and `--jobs 2` (sandboxed, on this machine);
- `sidebyside grade autograde --cluster` on a Dask scheduler with 1, then 2 workers (one sandbox at a
  time each), all on 127.0.0.1: the same sandboxes plus the cluster's overhead (packing, transfer,
  scheduling). On one machine two workers cannot beat `--jobs 2`; on N machines they add up.

    .venv/bin/python benchmarks/grading_throughput.py [--n 40] [--skip nbgrader,cluster]

Prints a table, the per-submission cost (core-seconds and the peak memory of one sandboxed kernel,
for graded/README's capacity estimate), and the machine's load (numbers taken on a busy machine are
inflated). Target: the hardened grader at >= 1.8x plain nbgrader's throughput on 2 cores.
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
BIN = Path(sys.executable).parent

# runs a command and prints the largest resident set of any process under it (sandboxed kernels
# included: every level waits for its children), in KiB
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def make_course(base: Path) -> Path:
    course = base
    course.mkdir(parents=True)
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "checks").mkdir()
    shutil.copy(ROOT / "graded" / "checks" / f"{ASSIGNMENT}.py", course / "checks")
    return course


def run(cmd: list[str], cwd: Path) -> tuple[float, int | None]:
    """(wall seconds, peak RSS in KiB of the largest process under it)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", PEAK_RSS, *cmd], cwd=cwd, env=env, check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seconds = time.monotonic() - start
    lines = out.stdout.strip().splitlines()
    return seconds, int(lines[-1]) if lines and lines[-1].isdigit() else None


def populate(course: Path, texts: list[str], n: int) -> None:
    for i in range(n):
        folder = course / "submitted" / f"student{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(texts[i % len(texts)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--skip", default="", help="comma-separated: nbgrader, local, cluster")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    from grading import submissions as subs
    from grading.loopback import LoopbackCluster

    rows = []  # (label, seconds, peak KiB, parallel sandboxes)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        generated = make_course(tmp / "generated")
        run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], generated)
        release = nbformat.read(generated / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                as_version=4)
        texts = [subs.fill(release, subs.RIGHT), subs.fill(release, subs.PARTIAL)]

        def fresh(label: str) -> Path:
            course = tmp / label
            shutil.copytree(generated, course)
            populate(course, texts, args.n)
            return course

        def ours(course: Path, *extra: str) -> tuple[float, int | None]:
            return run([str(BIN / "sidebyside"), "grade", "autograde", ASSIGNMENT, "--course-dir",
                        str(course), "--no-progress", *extra], course)

        if "nbgrader" not in skip:
            course = fresh("plain")
            rows.append(("nbgrader autograde (sequential, unsandboxed)",
                         *run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], course),
                         1))
        if "local" not in skip:
            for jobs in (1, 2):
                rows.append((f"sidebyside grade autograde --jobs {jobs}",
                             *ours(fresh(f"local{jobs}"), "--jobs", str(jobs)), jobs))
        if "cluster" not in skip:
            (tmp / "dask").mkdir()
            cluster = LoopbackCluster(tmp / "dask")
            try:
                for workers in (1, 2):
                    cluster.start_worker(f"w{workers}")
                    cluster.wait_for_workers(workers)
                    seconds, _ = ours(fresh(f"cluster{workers}"), "--cluster", cluster.address)
                    rows.append((f"... --cluster, {workers} Dask worker(s) on this machine", seconds,
                                 None, workers))
            finally:
                cluster.stop()
    base = rows[0][1] if rows else 1.0
    print(f"{args.n} submissions of {ASSIGNMENT}, {os.cpu_count()} cores, load average "
          f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after "
          f"({'busy machine: numbers inflated' if load_before > 1.5 else 'quiet machine'})")
    print("| grader | wall s | submissions/min | vs first row | core-s per submission |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, _, parallel in rows:
        print(f"| {label} | {seconds:.0f} | {args.n / seconds * 60:.1f} | {base / seconds:.2f}x | "
              f"{seconds * parallel / args.n:.2f} |")
    peaks = [kib for label, _, kib, _ in rows if kib and label.startswith("sidebyside")]
    if peaks:
        print(f"\nlargest process under a local sidebyside run (one sandboxed kernel with torch and "
              f"TensorFlow): {max(peaks) / 2**20:.2f} GiB resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
