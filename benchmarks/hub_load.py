"""A class arriving at once on the classroom hub: N students log in, start a server, open
course/00_start_here.ipynb and run it through the kernel API, all at the same time.

    sudo .venv/bin/python benchmarks/hub_load.py [--students 20] [--timeout 900]

Runs a throw-away hub on loopback (sidebyside.hub.local: real Unix users, removed at the end) and
prints a table: spawn time (p50/p95), time to first result (opening the notebook to the end of its
first code cell, `setup()`, which imports both frameworks), whole-notebook time, hub CPU and memory
(hub + proxy + culler), memory per student (all processes of that Unix user, kernel alive),
failures. Every kernel stays alive until all students are done, as in a class, so the memory
figures are the peak. Needs root, `make hub-deps`, and about 0.8 GB of memory per student.
Not a timed test: other work on the machine changes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import statistics
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psutil

from sidebyside.hub.client import Person
from sidebyside.hub.local import LocalHub, pids_of

NOTEBOOK = "course/00_start_here.ipynb"


@dataclass
class Student:
    name: str
    login_s: float = 0.0
    spawn_s: float = 0.0
    first_result_s: float = 0.0
    notebook_s: float = 0.0
    rss_bytes: int = 0
    error: str | None = None
    kernel: object = field(default=None, repr=False)


def one_student(lh: LocalHub, student: Student, done: threading.Barrier, timeout: float) -> None:
    try:
        t0 = time.monotonic()
        if not Person(lh.url, student.name, lh.passwords[student.name]).log_in():
            raise RuntimeError("login refused")
        student.login_s = time.monotonic() - t0
        student.spawn_s = lh.hub.start(student.name, timeout=timeout)
        server = lh.server(student.name)
        t_open = time.monotonic()
        nb = server.read(NOTEBOOK)["content"]
        kernel = student.kernel = server.kernel()
        cells = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
        for i, source in enumerate(cells):
            result = kernel.run(source if isinstance(source, str) else "".join(source), timeout)
            if result.error:
                raise RuntimeError(f"cell {i + 1}: {result.error}")
            if i == 0:
                student.first_result_s = time.monotonic() - t_open
        student.notebook_s = time.monotonic() - t_open
    except Exception as err:  # noqa: BLE001 - counted as a failure and printed
        student.error = f"{type(err).__name__}: {err}"
        traceback.print_exc()
    finally:
        try:
            done.wait(timeout)  # keep every kernel alive until the whole class has run
        except threading.BrokenBarrierError:
            pass
        try:
            uid = pwd.getpwnam(student.name).pw_uid
            student.rss_bytes = sum(_rss(pid) for pid in pids_of(uid))
        except KeyError:
            pass


def _rss(pid: int) -> int:
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


class HubMeter(threading.Thread):
    """Samples the hub and its helpers (proxy, culler): CPU seconds used, peak memory."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.hub = psutil.Process(pid)
        self.stop = threading.Event()
        self.peak_rss = 0
        self.cpu0 = self._cpu()
        self.t0 = time.monotonic()

    def _procs(self):
        """The hub and its own helpers; students' servers are its children too, but run as them."""
        try:
            uid = self.hub.uids().real
            return [self.hub, *(p for p in self.hub.children(recursive=False) if p.uids().real == uid)]
        except psutil.Error:
            return []

    def _cpu(self) -> float:
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def run(self):
        while not self.stop.wait(0.5):
            self.peak_rss = max(self.peak_rss, sum(_rss(p.pid) for p in self._procs()))

    def result(self) -> tuple[float, float, int]:
        cpu, wall = self._cpu() - self.cpu0, time.monotonic() - self.t0
        return cpu, 100 * cpu / wall, self.peak_rss


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=900, help="seconds for one student's steps")
    ap.add_argument("--json", help="also write the raw figures to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        ap.error("run as root: the hub creates a Unix user per student")

    with LocalHub(args.students) as lh:
        lh.hub.add_users(lh.students)
        lh.issue(lh.students)  # the instructor hands out initial passwords (hub/README.md)...
        lh.activate(lh.students)  # ...each student replaces theirs once, before the class
        students = [Student(n) for n in lh.students]
        meter = HubMeter(lh.proc.pid)
        meter.start()
        done = threading.Barrier(len(students))
        t0 = time.monotonic()
        with ThreadPoolExecutor(len(students)) as pool:
            for s in students:
                pool.submit(one_student, lh, s, done, args.timeout)
        wall = time.monotonic() - t0
        meter.stop.set()
        hub_cpu_s, hub_cpu_pct, hub_rss = meter.result()
        for s in students:
            if s.kernel is not None:
                try:
                    s.kernel.close()
                except Exception:  # noqa: BLE001 - the hub removes everything next
                    pass

    ok = [s for s in students if not s.error]
    rows = [
        ("students", f"{len(students)}"),
        ("failures", f"{len(students) - len(ok)}"),
        ("wall time, whole class (s)", f"{wall:.1f}"),
        ("spawn p50 / p95 (s)", f"{pct([s.spawn_s for s in ok], .5):.1f} / {pct([s.spawn_s for s in ok], .95):.1f}"),
        ("first result p50 / p95 (s)", f"{pct([s.first_result_s for s in ok], .5):.1f} / {pct([s.first_result_s for s in ok], .95):.1f}"),
        ("whole notebook p50 / p95 (s)", f"{pct([s.notebook_s for s in ok], .5):.1f} / {pct([s.notebook_s for s in ok], .95):.1f}"),
        ("memory per student, median / max (GiB)",
         f"{statistics.median([s.rss_bytes for s in ok] or [0]) / 2**30:.2f} / {max([s.rss_bytes for s in ok] or [0]) / 2**30:.2f}"),
        ("memory, all students (GiB)", f"{sum(s.rss_bytes for s in students) / 2**30:.1f}"),
        ("hub + proxy + culler: CPU (s, % of one core)", f"{hub_cpu_s:.1f} ({hub_cpu_pct:.0f}%)"),
        ("hub + proxy + culler: peak memory (MiB)", f"{hub_rss / 2**20:.0f}"),
        ("machine", f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load {os.getloadavg()[0]:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\n{'metric':<{width}}  value")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for s in students:
        if s.error:
            print(f"FAILED {s.name}: {s.error}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{k: v for k, v in vars(s).items() if k != "kernel"} for s in students]
                      + [{"hub_cpu_s": hub_cpu_s, "hub_peak_rss": hub_rss, "wall_s": wall}], fh, indent=1)
    return 1 if len(ok) < len(students) else 0


if __name__ == "__main__":
    raise SystemExit(main())
