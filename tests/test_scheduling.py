"""How `make test` hands units to its workers (conftest.py): with three workers, the last one runs
only the units measured to mostly wait, the other two take the CPU-bound ones first, then any.
xdist's own scheduler is driven with stand-in workers, which record what they were sent."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

# the repository's conftest.py (tests/ has its own, which `import conftest` would find)
_spec = importlib.util.spec_from_file_location(
    "root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)

CPU = {"wall": 80.0, "cpu": 78.0}
WAITS = {"wall": 90.0, "cpu": 20.0}


class Worker:
    def __init__(self, name: str):
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indexes):
        self.sent += indexes

    def shutdown(self):
        self.shutting_down = True


def scheduler(workers: int, costs: dict[str, dict[str, float]]):
    """xdist's scheduler as `make test` makes it, with every worker's collection in; two tests a file."""
    collection = [f"{name}::test_{i}" for name in costs for i in (1, 2)]
    config = SimpleNamespace(getvalue=lambda name: {"tx": [f"{workers}*popen"]}.get(name),
                             option=SimpleNamespace(loadscopereorder=False, dist="loadscope"))
    sched = conftest.unit_scheduling(costs)(config)
    nodes = [Worker(f"gw{i}") for i in range(workers)]
    for node in reversed(nodes):  # workers come up in any order
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    sched.schedule()
    return sched, nodes


def files_of(sched, node) -> list[str]:
    return list(sched.assigned_work[node])


def finish(sched, node):
    for i in list(node.sent):
        sched.mark_test_complete(node, i)


def test_the_third_worker_takes_only_what_mostly_waits():
    costs = {"cpu_a.py": CPU, "waits_a.py": WAITS, "cpu_b.py": CPU, "cpu_c.py": CPU,
             "waits_b.py": WAITS, "cpu_d.py": CPU, "cpu_e.py": CPU, "cpu_f.py": CPU}
    sched, (gw0, gw1, gw2) = scheduler(3, costs)
    assert files_of(sched, gw2) == ["waits_a.py", "waits_b.py"]
    assert not any("waits" in f for f in files_of(sched, gw0) + files_of(sched, gw1))
    # its lane empty, gw2 is given nothing more though CPU work is left, and is told so after its
    # next test: an xdist worker runs its last test only when it knows whether more work comes
    sched.mark_test_complete(gw2, gw2.sent[0])
    assert gw2.shutting_down and sched.workqueue
    finish(sched, gw2)
    assert files_of(sched, gw2) == ["waits_a.py", "waits_b.py"]
    before = files_of(sched, gw0)
    finish(sched, gw0)
    taken = files_of(sched, gw0)[len(before):]
    assert taken and not any("waits" in f for f in taken)  # the CPU workers go on taking units


def test_cpu_workers_take_waiting_units_when_their_own_are_gone():
    costs = {"cpu_a.py": CPU, "waits_a.py": WAITS, "waits_b.py": WAITS, "waits_c.py": WAITS}
    sched, (gw0, gw1, gw2) = scheduler(3, costs)
    cpu_workers = files_of(sched, gw0) + files_of(sched, gw1)
    assert "cpu_a.py" in cpu_workers and len(cpu_workers) == 2  # and one unit that waits
    assert sorted(cpu_workers + files_of(sched, gw2)) == sorted(costs) and not sched.workqueue
    assert all(f.startswith("waits") for f in files_of(sched, gw2))


def test_two_workers_keep_plain_longest_first():
    costs = {"cpu_a.py": CPU, "waits_a.py": WAITS, "cpu_b.py": CPU}
    sched, (gw0, gw1) = scheduler(2, costs)
    firsts = {files_of(sched, gw0)[0], files_of(sched, gw1)[0]}
    assert firsts == {"cpu_a.py", "waits_a.py"}  # no lane: the next unit in order, whatever it is


def test_measured_waiting_needs_both_a_low_share_and_a_real_length():
    assert conftest.mostly_waits(WAITS)
    assert not conftest.mostly_waits(CPU)
    assert not conftest.mostly_waits({"wall": 5.0, "cpu": 0.1})  # too short to need a lane
    assert not conftest.mostly_waits(None)  # a file never measured counts as CPU-bound
