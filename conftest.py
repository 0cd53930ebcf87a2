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
# file or notebook, or all of tests/hub, which shares one classroom hub) goes whole to one of two
# workers, in collection order. With the costly files last, one worker idled for minutes at the end
# while the other finished a grading module; ordered by their measured cost
# (benchmarks/suite_costs.json, written by `benchmarks/suite_times.py --write-costs`), the two finish
# together. A file not measured yet counts as cheap; order inside a unit is kept.
COSTS = Path(__file__).parent / "benchmarks" / "suite_costs.json"
# One hub per machine at a time, and its culling test (which restarts it) after the others.
ONE_UNIT = ("tests/hub/",)


def unit_of(nodeid: str) -> str:
    name = nodeid.split("::", 1)[0]
    return next((u for u in ONE_UNIT if name.startswith(u)), name)


@pytest.hookimpl(trylast=True)  # after folder conftests' own ordering (tests/hub: culling last)
def pytest_collection_modifyitems(config, items):
    costs = json.loads(COSTS.read_text()) if COSTS.exists() else {}
    unit_cost: dict[str, float] = {}
    for name, cost in costs.items():
        unit_cost[unit_of(name)] = unit_cost.get(unit_of(name), 0.0) + cost
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        first_seen.setdefault(unit_of(item.nodeid), i)

    def longest_first(pair):
        i, item = pair
        unit = unit_of(item.nodeid)
        return (-unit_cost.get(unit, 0.0), first_seen[unit], i)

    items[:] = [item for _, item in sorted(enumerate(items), key=longest_first)]


@pytest.hookimpl(optionalhook=True)  # known only where xdist is loaded
def pytest_xdist_make_scheduler(config, log):
    """loadscope, with each of ONE_UNIT one scope, so one worker runs it all, in order."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            unit = unit_of(nodeid)
            return unit if unit != nodeid.split("::", 1)[0] else super()._split_scope(nodeid)

    return UnitScheduling(config, log)
