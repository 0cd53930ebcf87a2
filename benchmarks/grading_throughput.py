"""Submissions per minute, side by side in one run, on the same ps01_tensors submissions:

- plain `nbgrader autograde` (sequential, unsandboxed);
- `sidebyside grade autograde --jobs 1` and `--jobs 2` (sandboxed, on this machine);
- `sidebyside grade autograde --cluster` on a Dask scheduler with 1, then 2 workers (one sandbox at a
  time each), all on 127.0.0.1: the same sandboxes plus the cluster's overhead (packing, transfer,
  scheduling). On one machine two workers cannot beat `--jobs 2`; on N machines they add up.

    .venv/bin/python benchmarks/grading_throughput.py [--n 40] [--skip nbgrader,cluster]

Prints a table with the per-submission cost (core-seconds, and the peak memory of one sandboxed
kernel, for graded/README's capacity estimate), and the machine's load (numbers taken on a busy machine are
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

NOBODY = 65534  # sandboxed kernels run as nobody


class SandboxPeak:
    """The largest peak resident set (VmHWM) of any sandboxed process started under this script
    (local runs and Dask workers alike), sampled from /proc while the work runs. Sandboxes of other
    programs on the machine are not counted: only processes with this script among their ancestors."""

    def __init__(self, period: float = 0.2):
        import threading

        self.kib, self.period, self._stop = 0, period, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def _sample(self):
        me = os.getpid()
        while not self._stop.wait(self.period):
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    self.kib = max(self.kib, self._peak_if_ours(int(entry.name), me))

    @staticmethod
    def _peak_if_ours(pid: int, me: int) -> int:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) != NOBODY or "VmHWM" not in fields:
                return 0
            peak = int(fields["VmHWM"].split()[0])
            while pid > 1:  # walk up: is this script an ancestor?
                stat = Path(f"/proc/{pid}/stat").read_text()
                pid = int(stat.rsplit(")", 1)[1].split()[1])
                if pid == me:
                    return peak
        except (OSError, ValueError, KeyError, IndexError):
            pass
        return 0


def make_course(base: Path) -> Path:
    course = base
    course.mkdir(parents=True)
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "checks").mkdir()
    shutil.copy(ROOT / "graded" / "checks" / f"{ASSIGNMENT}.py", course / "checks")
    return course


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, largest peak RSS in KiB of a sandboxed process meanwhile; 0 if none)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    with SandboxPeak() as peak:
        start = time.monotonic()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        seconds = time.monotonic() - start
    return seconds, peak.kib


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
                    rows.append((f"... --cluster, {workers} Dask worker(s) on this machine",
                                 *ours(fresh(f"cluster{workers}"), "--cluster", cluster.address),
                                 workers))
            finally:
                cluster.stop()
    base = rows[0][1] if rows else 1.0
    print(f"{args.n} submissions of {ASSIGNMENT}, {os.cpu_count()} cores, load average "
          f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after "
          f"({'busy machine: numbers inflated' if load_before > 1.5 else 'quiet machine'})")
    print("| grader | wall s | submissions/min | vs first row | core-s per submission | "
          "peak RSS of one sandbox |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, seconds, kib, parallel in rows:
        peak = f"{kib / 2**20:.2f} GiB" if kib else "-"
        print(f"| {label} | {seconds:.0f} | {args.n / seconds * 60:.1f} | {base / seconds:.2f}x | "
              f"{seconds * parallel / args.n:.2f} | {peak} |")
    print("\ncore-s per submission = wall s x parallel sandboxes / submissions (an upper bound on a "
          "busy machine: it counts time spent waiting for a core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
