"""A fork bomb and a file flood graded at the same time as honest neighbours (issue 12): every sandbox
has its own process, memory and disk budget, so the neighbours keep full marks. Three rounds in a
row, about a minute each, mostly waiting: the attacks hold what they took for 50 s. That is why this
is a file of its own: `make test` runs files that mostly wait beside the CPU-bound ones (conftest.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from grading import submissions as subs
from sidebyside.grading import cli
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import check_available

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps01_tensors"


# Seconds after the batch starts: the attacks are full within ~10 s on a quiet 2-core machine, the
# honest kernels have loaded both frameworks by then; the overlap is asserted, never assumed.
WAKE_AFTER, RELEASE_AFTER = 30.0, 50.0


@pytest.fixture(scope="module")
def release_nb(tmp_path_factory):
    check_available()
    course = tmp_path_factory.mktemp("concurrent")
    shutil.copy(ROOT / "graded" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "graded" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copytree(ROOT / "graded" / "checks", course / "checks")
    assert cli.main(["generate", ASSIGNMENT, "--course-dir", str(course)]) == 0
    return course


def stamps(result, tag: str) -> dict[str, str]:
    """key=value pairs of the line starting with `tag` in the answer cells' outputs."""
    for cell in result.feedback_nb.cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith(tag):
                    return dict(part.split("=", 1) for part in line.split() if "=" in part)
    raise AssertionError(f"no {tag!r} line: {result.status} {result.notes}")


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_attacks_never_cost_honest_neighbours_points(release_nb, tmp_path, round_):
    from sidebyside.grading.grader import grade_all
    from sidebyside.grading.sandbox import Limits, isolation

    layout, why = isolation()
    assert layout is not None, why  # this machine has control groups: no --jobs 1 fallback here
    assignment = load_assignment(release_nb, ASSIGNMENT)
    release = nbformat.read(release_nb / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                            as_version=4)
    start = time.time()
    batch = subs.concurrent_batch(release, wake=start + WAKE_AFTER, release=start + RELEASE_AFTER)
    folders = {}
    for name, text in batch.items():
        folders[name] = tmp_path / name / ASSIGNMENT
        folders[name].mkdir(parents=True)
        (folders[name] / f"{ASSIGNMENT}.ipynb").write_text(text)
    finished = {}
    limits = Limits(wall_seconds=150, cell_seconds=RELEASE_AFTER + 40)
    results = {r.student: r for r in grade_all(
        assignment, folders, jobs=len(folders), limits=limits, progress=False,
        on_result=lambda r: finished.setdefault(r.student, time.time()))}

    bomb, flood = stamps(results["attack_fork_bomb"], "ATTACK"), \
        stamps(results["attack_file_flood"], "ATTACK")
    # the attacks really happened, and each stopped at its OWN sandbox's budget
    assert int(bomb["forked"]) > limits.processes - 50 and bomb["refused"] == "BlockingIOError", bomb
    assert "limit of 1024 processes" in " ".join(results["attack_fork_bomb"].notes)
    assert limits.disk_bytes - 2**20 * 61 < int(flood["bytes"]) <= limits.disk_bytes, flood
    assert 0 < int(flood["files"]) <= limits.disk_inodes and flood["shm"] == "refused", flood
    for name in ("honest_neighbour_1", "honest_neighbour_2"):
        honest, result = stamps(results[name], "HONEST"), results[name]
        # the overlap, proven: both attacks held everything they took from before this neighbour
        # woke up until after its sandbox had finished, all its tests included
        held_from = max(float(bomb["full"]), float(flood["full"]))
        held_until = min(float(bomb["release"]), float(flood["release"]))
        assert held_from < float(honest["woke"]) < finished[name] < held_until, \
            (bomb, flood, honest, finished[name])
        assert honest["child"] == "42" and honest["threads"] == "32"
        assert result.score == result.max_score == 7 and result.status == "graded", result.notes
        assert result.notes == []
    # the flood's sandbox (its tmpfs full of files included) was gone moments after it let go
    assert finished["attack_file_flood"] - float(flood["release"]) < 20
    for parent in layout.parents.values():
        assert not list(parent.glob(f"sidebyside-{os.getpid()}-*"))
