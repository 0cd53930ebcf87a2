"""What the test suite costs, per test file and per notebook, in one table.

    python benchmarks/suite_times.py                  # run the whole suite (as `make test` does) and print
    python benchmarks/suite_times.py PROFILE.jsonl    # print the table of an earlier run's profile
    python benchmarks/suite_times.py A.jsonl B.jsonl  # before -> after, side by side
    python benchmarks/suite_times.py --write-costs PROFILE.jsonl  # the order conftest.py runs files in

A run writes one JSON line per test through the plugin tests/suite_profile.py (wall and CPU seconds,
processes started by kind, graphs captured, teaching notebooks executed, submissions graded). The table
has one row per test file or notebook: tests, wall s (summed over the file's tests, fixtures included),
CPU s (the test processes and the children they waited for), the longest single test, what it starts
(k = kernels, b = browsers, s = sandboxes, L = lab servers, h = hub processes, d = dask processes,
n = node), and the work another file also does (the same graph captured, notebook executed or
assignment graded in two files is work done twice).

The last line is `make test`'s wall time; on 2 cores with `-n 2` the summed wall column is about
twice phase 1's clock time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"kernel": "k", "browser": "b", "sandbox": "s", "lab server": "L", "hub": "h", "dask": "d",
         "node": "n"}


def run_suite(out: Path) -> float:
    """`make test` itself (what CI runs), with the profiling plugin added; returns its wall time."""
    env = dict(os.environ, SUITE_PROFILE=str(out), PYTHONPATH=str(ROOT / "tests"),
               PYTEST_ADDOPTS=(os.environ.get("PYTEST_ADDOPTS", "") + " -p suite_profile").strip())
    start = time.perf_counter()
    subprocess.run(["make", "test"], cwd=ROOT, env=env, check=False)
    return time.perf_counter() - start


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def file_of(test: str) -> str:
    return test.split("::", 1)[0]


def per_file(records: list[dict]) -> dict[str, dict]:
    rows: dict[str, dict] = defaultdict(lambda: {"tests": 0, "wall": 0.0, "cpu": 0.0, "longest": 0.0,
                                                 "longest_test": "", "starts": Counter(),
                                                 "work": Counter()})
    for r in records:
        row = rows[file_of(r["test"])]
        row["tests"] += 1
        row["wall"] += r["wall"]
        row["cpu"] += r["cpu"]
        if r["wall"] > row["longest"]:
            row["longest"], row["longest_test"] = r["wall"], r["test"]
        row["starts"].update(r.get("starts", {}))
        for key, n in r.get("captures", {}).items():
            row["work"][f"capture {key}"] += n
        for key, n in r.get("notebooks", {}).items():
            row["work"][f"executes {key}"] += n
        for key, n in r.get("graded", {}).items():
            row["work"][f"grades {key}"] += n
        name = file_of(r["test"])
        if name.endswith(".ipynb"):  # nbval executes the notebook it collects
            row["work"][f"executes {name}"] = 1
    return rows


def repeated(rows: dict[str, dict]) -> dict[str, list[str]]:
    """For each file, the pieces of work that some other file does too."""
    owners: dict[str, set[str]] = defaultdict(set)
    for name, row in rows.items():
        for key in row["work"]:
            owners[key].add(name)
    out = {}
    for name, row in rows.items():
        shared = [f"{key} (also {len(owners[key]) - 1} other)" for key in sorted(row["work"])
                  if len(owners[key]) > 1 and not key.startswith("grades ")]
        shared += [f"{key} x{n}" for key, n in sorted(row["work"].items())
                   if key.startswith("grades ") and (n > 1 or len(owners[key]) > 1)]
        out[name] = shared
    return out


def starts_text(starts: Counter) -> str:
    return " ".join(f"{n}{SHORT[k]}" for k, n in sorted(starts.items()) if k in SHORT and n) or "-"


def table(records: list[dict], top: int | None = None) -> str:
    rows = per_file(records)
    again = repeated(rows)
    ordered = sorted(rows.items(), key=lambda kv: -kv[1]["wall"])
    lines = [f"{'file or notebook':46} {'tests':>5} {'wall s':>8} {'cpu s':>8} {'longest':>8}  "
             f"{'starts':18} work another file also does"]
    for name, row in ordered[:top]:
        work = "; ".join(again[name][:3]) + (f"; +{len(again[name]) - 3} more" if len(again[name]) > 3
                                              else "")
        lines.append(f"{name[-46:]:46} {row['tests']:5d} {row['wall']:8.1f} {row['cpu']:8.1f} "
                     f"{row['longest']:8.1f}  {starts_text(row['starts']):18} {work}")
    total_wall = sum(r["wall"] for r in rows.values())
    total_cpu = sum(r["cpu"] for r in rows.values())
    lines.append(f"{'all (' + str(len(rows)) + ' files)':46} {len(records):5d} {total_wall:8.1f} "
                 f"{total_cpu:8.1f}")
    slow = [r for r in records if r["wall"] > 60]
    if slow:
        lines.append("tests over 60 s: " + ", ".join(f"{r['test']} {r['wall']:.0f}s" for r in slow))
    return "\n".join(lines)


def compare(before: list[dict], after: list[dict]) -> str:
    b, a = per_file(before), per_file(after)
    names = sorted(set(b) | set(a), key=lambda n: -max(b.get(n, {}).get("wall", 0),
                                                      a.get(n, {}).get("wall", 0)))
    lines = [f"{'file or notebook':46} {'wall s before -> after':>24} {'cpu s before -> after':>24}"]
    for n in names:
        bw, aw = b.get(n, {}).get("wall"), a.get(n, {}).get("wall")
        bc, ac = b.get(n, {}).get("cpu"), a.get(n, {}).get("cpu")

        def fmt(x):
            return "-" if x is None else f"{x:.1f}"

        lines.append(f"{n[-46:]:46} {fmt(bw):>11} -> {fmt(aw):<10} {fmt(bc):>11} -> {fmt(ac):<10}")
    tb = sum(r["wall"] for r in before), sum(r["cpu"] for r in before)
    ta = sum(r["wall"] for r in after), sum(r["cpu"] for r in after)
    lines.append(f"{'all':46} {tb[0]:11.1f} -> {ta[0]:<10.1f} {tb[1]:11.1f} -> {ta[1]:<10.1f}")
    return "\n".join(lines)


def write_costs(records: list[dict], path: Path) -> None:
    """Each file's summed wall and CPU seconds, read by conftest.py: it starts the costly files
    first, and runs the files that mostly wait (CPU well under wall) beside the CPU-bound ones.

    Measure with two workers (`JOBS=2 python benchmarks/suite_times.py`): with three, CPU-bound files share two cores and
    their CPU falls under two thirds of their wall, as if they waited."""
    workers = {r["worker"] for r in records if r["worker"].startswith("gw")}
    if len(workers) > 2:
        raise SystemExit(f"costs come from a run with two workers (JOBS=2 python benchmarks/suite_times.py); this profile "
                         f"has {len(workers)}, whose CPU-bound files look like they wait")
    costs = {name: {"wall": round(row["wall"], 1), "cpu": round(row["cpu"], 1)}
             for name, row in per_file(records).items()}
    path.write_text(json.dumps(dict(sorted(costs.items())), indent=1) + "\n")


def main(argv: list[str]) -> int:
    if "--write-costs" in argv:
        i = argv.index("--write-costs")
        write_costs(load(Path(argv[i + 1])), ROOT / "benchmarks" / "suite_costs.json")
        print("wrote benchmarks/suite_costs.json")
        return 0
    top = None
    if "--top" in argv:
        i = argv.index("--top")
        top = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) == 2:
        print(compare(load(Path(argv[0])), load(Path(argv[1]))))
        return 0
    if argv:
        print(table(load(Path(argv[0])), top))
        return 0
    out = Path(tempfile.mkdtemp(prefix="suite-times-")) / "profile.jsonl"
    wall = run_suite(out)
    print(table(load(out), top))
    print(f"make test: {wall / 60:.1f} min")
    print(f"profile: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
