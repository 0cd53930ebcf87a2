"""Repository-wide pytest configuration: how nbval compares notebook outputs.

Kept at the root because nbval collects notebooks in course/, labs/ and graded/, outside tests/.
"""

import json
import os
from pathlib import Path

import pytest

# Only teaching notebooks and instructor versions run under nbval. Fixture notebooks in tests/ (hostile
# submissions, browser fixtures) and generated or collected nbgrader folders are data, not tests.
collect_ignore_glob = [
    "tests/*.ipynb",  # fnmatch: "*" also matches "/", so this covers subfolders
    "graded/release/*",
    "graded/submitted/*",
    "graded/autograded/*",
    "graded/feedback/*",
]

# Notebooks run by nbval start their kernels from this process's environment: keep TF quiet there too.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def pytest_collectstart(collector):
    # Under pytest, ipykernel does not capture fd-level output (PYTEST_CURRENT_TEST is set), so framework
    # log lines reach stored outputs but not fresh ones, or the reverse. stderr is diagnostics, never a
    # lesson's result: nbval's documented hook skips comparing it.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


# Longest first. `make test` runs with xdist's loadscope and --no-loadscope-reorder: each unit (a test
# file or notebook, or all of tests/hub, which shares one classroom hub) goes whole to one worker, in
# collection order. With the costly files last, one worker idled for minutes at the end while the
# other finished a grading module; ordered by their measured cost (benchmarks/suite_costs.json,
# written by `benchmarks/suite_times.py --write-costs`), the workers finish together. A file not
# measured yet counts as cheap; order inside a unit is kept.
COSTS = Path(__file__).parent / "benchmarks" / "suite_costs.json"
# One hub per machine at a time, and its culling test (which restarts it) after the others.
ONE_UNIT = ("tests/hub/",)
# Units that mostly wait: attacks holding what they took for 50 s, a cluster losing its scheduler, a
# data pipeline's simulated latency. Measured: CPU under WAITING_SHARE of wall, over WAITING_SECONDS.
# With three workers (`make test`), the last one runs only these, beside two that run the rest: the
# waiting overlaps CPU-bound work, and no more than two CPU-bound units share the two cores.
WAITING_SHARE, WAITING_SECONDS = 0.65, 10.0


def unit_of(nodeid: str) -> str:
    name = nodeid.split("::", 1)[0]
    return next((u for u in ONE_UNIT if name.startswith(u)), name)


def unit_costs() -> dict[str, dict[str, float]]:
    """{unit: {"wall": s, "cpu": s}} summed over its files, from the last measured run."""
    costs = json.loads(COSTS.read_text()) if COSTS.exists() else {}
    units: dict[str, dict[str, float]] = {}
    for name, cost in costs.items():
        unit = units.setdefault(unit_of(name), {"wall": 0.0, "cpu": 0.0})
        unit["wall"] += cost["wall"]
        unit["cpu"] += cost["cpu"]
    return units


def mostly_waits(cost: dict[str, float] | None) -> bool:
    return bool(cost) and cost["wall"] >= WAITING_SECONDS and \
        cost["cpu"] < WAITING_SHARE * cost["wall"]


@pytest.hookimpl(trylast=True)  # after folder conftests' own ordering (tests/hub: culling last)
def pytest_collection_modifyitems(config, items):
    costs = unit_costs()
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        first_seen.setdefault(unit_of(item.nodeid), i)

    def longest_first(pair):
        i, item = pair
        unit = unit_of(item.nodeid)
        return (-costs.get(unit, {"wall": 0.0})["wall"], first_seen[unit], i)

    items[:] = [item for _, item in sorted(enumerate(items), key=longest_first)]


@pytest.hookimpl(optionalhook=True)  # known only where xdist is loaded
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    return unit_scheduling(unit_costs())(config, log)


def unit_scheduling(costs: dict[str, dict[str, float]]):
    """loadscope, with each of ONE_UNIT one scope, and with three or more workers a lane for the
    units that mostly wait: the last worker takes only those; the others take any unit, theirs
    first (tests/test_scheduling.py)."""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            unit = unit_of(nodeid)
            return unit if unit != nodeid.split("::", 1)[0] else super()._split_scope(nodeid)

        def _waiting_lane(self, node) -> bool:  # the last worker: gw2 of gw0-gw2
            ids = sorted((n.gateway.id for n in self.nodes), key=lambda i: (len(i), i))
            return len(ids) >= 3 and node.gateway.id == ids[-1]

        def _next_scope(self, node):
            scopes = list(self.workqueue)
            if len(self.nodes) < 3 or not scopes:
                return scopes[0] if scopes else None
            waits = [mostly_waits(costs.get(scope)) for scope in scopes]
            if self._waiting_lane(node):
                return next((s for s, w in zip(scopes, waits) if w), None)
            return next((s for s, w in zip(scopes, waits) if not w), scopes[0])

        def _assign_work_unit(self, node):
            scope = self._next_scope(node)
            if scope is None:
                return  # the waiting lane has nothing left: that worker idles, it takes no CPU work
            self.workqueue.move_to_end(scope, last=False)  # the base class takes the first unit
            super()._assign_work_unit(node)

        def _reschedule(self, node):
            if node.shutting_down:
                return
            if not self.workqueue or (self._waiting_lane(node) and self._next_scope(node) is None):
                # nothing more for it: a worker holds its last test back until it hears whether
                # more work comes (xdist), which for an idle lane would be the end of the run
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 2:
                return
            self._assign_work_unit(node)

    return UnitScheduling
