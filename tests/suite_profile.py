"""A pytest plugin that records what each test costs: `pytest -p suite_profile` with SUITE_PROFILE=FILE.

One JSON line per test (every xdist worker appends to the same file): node id, wall seconds (setup, call
and teardown together, so a fixture's cost lands on the test that first needed it), CPU seconds of the
test process and of the children it waited for (kernels, node, sandboxes, servers), the processes it
started by kind, and the graphs it captured, keyed by adapter and model class, so
benchmarks/suite_times.py can say which work two tests both did. Loaded only when asked for: the
suite itself never depends on it.
"""

import functools
import json
import os
import resource
import subprocess
import time
from collections import Counter

# What a started process is, from its command line (first match wins).
KINDS = (
    ("kernel", ("ipykernel_launcher", "ipykernel")),
    ("sandbox", ("bwrap",)),
    ("browser", ("chromium",)),
    ("lab server", ("jupyter-lab", "jupyterlab", "jupyter_server", "jupyter-server")),
    ("hub", ("jupyterhub", "configurable-http-proxy")),
    ("dask", ("dask", "distributed")),
    ("node", ("node",)),
    ("nbgrader", ("nbgrader",)),
    ("python", ("python",)),
)

_current = {"starts": Counter(), "captures": Counter(), "notebooks": Counter(), "graded": Counter()}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kind_of(argv) -> str:
    text = " ".join(str(a) for a in argv) if isinstance(argv, (list, tuple)) else str(argv)
    for kind, needles in KINDS:
        if any(n in text for n in needles):
            return kind
    return "other"


def _count_popen():
    original = subprocess.Popen.__init__

    @functools.wraps(original)
    def counting_init(self, args, *a, **kw):
        _current["starts"][kind_of(args)] += 1
        return original(self, args, *a, **kw)

    subprocess.Popen.__init__ = counting_init


def _count_browsers():
    try:
        from playwright.sync_api._generated import BrowserType
    except ImportError:
        return
    original = BrowserType.launch

    @functools.wraps(original)
    def counting_launch(self, *a, **kw):
        _current["starts"]["browser"] += 1
        return original(self, *a, **kw)

    BrowserType.launch = counting_launch


def _count_captures():
    """Graph documents made, by source and name ("export:ResNet"): the same pair in two files is the
    same model captured twice. Counted where a Graph is built, not by wrapping the adapters, which
    name inputs after their caller's variables and so must stay the caller's direct callee."""
    try:
        from sidebyside.graph.model import Graph
    except ImportError:
        return
    original = Graph.__init__

    @functools.wraps(original)
    def counting_init(self, *a, **kw):
        original(self, *a, **kw)
        if self.source not in ("manual", "live_torch", "live_tf"):
            _current["captures"][f"{self.source}:{self.name}"] = 1

    Graph.__init__ = counting_init


def _count_notebooks_and_grading():
    """Teaching notebooks a test reads (with a kernel started, it executed them) and submissions graded."""
    import nbformat

    original_read = nbformat.read

    @functools.wraps(original_read)
    def counting_read(fp, *a, **kw):
        where = fp if isinstance(fp, (str, os.PathLike)) else getattr(fp, "name", "")
        name = os.path.relpath(os.path.abspath(str(where)), ROOT) if where else ""
        if name.startswith(("course/", "labs/", "graded/source/")):
            _current["notebooks"][name] += 1
        return original_read(fp, *a, **kw)

    nbformat.read = counting_read
    try:
        import sidebyside.grading.grader as grader
    except ImportError:
        return
    original_grade = grader.grade_submission

    @functools.wraps(original_grade)
    def counting_grade(assignment, *a, **kw):
        _current["graded"][getattr(assignment, "name", "?")] += 1
        return original_grade(assignment, *a, **kw)

    grader.grade_submission = counting_grade


CPUACCT = "/sys/fs/cgroup/cpuacct"
_group = {"path": None}


def _own_cpu_group() -> None:
    """Where cgroup v1's cpuacct is writable (root), this worker and everything it starts go into a
    group of their own, so a test's CPU includes sandboxed kernels, compile workers and servers that
    its process never waits for (getrusage misses those)."""
    path = os.path.join(CPUACCT, f"suite-profile-{os.getpid()}")
    try:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    except OSError:
        return
    _group["path"] = path


def _cpu() -> float:
    if _group["path"]:
        with open(os.path.join(_group["path"], "cpuacct.usage")) as f:
            return int(f.read()) / 1e9
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def pytest_configure(config):
    if not os.environ.get("SUITE_PROFILE"):
        return
    _own_cpu_group()
    _count_popen()
    _count_browsers()
    _count_captures()
    _count_notebooks_and_grading()


def pytest_unconfigure(config):
    if not _group["path"]:
        return
    try:
        with open(os.path.join(CPUACCT, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        os.rmdir(_group["path"])  # fails while a process started here still runs: left for the OS
    except OSError:
        pass


def pytest_runtest_protocol(item, nextitem):
    _current["starts"] = Counter()
    _current["captures"] = Counter()
    _current["notebooks"] = Counter()
    _current["graded"] = Counter()
    _current["wall"] = time.perf_counter()
    _current["cpu"] = _cpu()


def pytest_runtest_logfinish(nodeid, location):
    path = os.environ.get("SUITE_PROFILE")
    if not path or "wall" not in _current:
        return
    record = {
        "test": nodeid,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "wall": round(time.perf_counter() - _current["wall"], 3),
        "cpu": round(_cpu() - _current["cpu"], 3),
        "starts": dict(_current["starts"]),
        "captures": dict(_current["captures"]),
        "notebooks": dict(_current["notebooks"]) if _current["starts"].get("kernel") else {},
        "graded": dict(_current["graded"]),
        "end": time.time(),
    }
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")
