"""Every assignment's trusted checks agree with its instructor solution: the hardened grader gives the
source notebook full marks and a notebook with the solutions removed zero. And the in-kernel attacks
of the ps01 battery (tests/test_grading_battery.py) get nothing on ANY assignment: a stub that
disarms numpy's comparisons and AssertionError, swallows every error with an input transformer, or
forges reports on the runner's private channel with its real nonce scores zero everywhere.
(36 sandboxed runs, two at a time, about 3-4 minutes on 2 cores.)"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sidebyside.grading.grader import grade_all
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "graded"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def attacks(name: str) -> dict[str, str]:
    """The battery's in-kernel attacks, made for this assignment's own test cells."""
    from grading import submissions

    ids = list(load_assignment(COURSE, name).tests)
    forge = submissions.FAKE_OUTPUT.replace(
        'ids = ["ps01_q1_tests", "ps01_q2_tests", "ps01_q3_tests"]', f"ids = {ids!r}")
    assert forge != submissions.FAKE_OUTPUT
    return {"monkeypatch": submissions.MONKEYPATCH + submissions.TRANSFORMER, "forged": forge}


def with_cell_after_setup(text: str, source: str) -> str:
    """The attack runs right after the first code cell (the setup), before every answer."""
    nb = nbformat.reads(text, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


def stub(text: str) -> str:
    """What nbgrader's ClearSolutions leaves, applied to the notebook's JSON text."""
    import json

    nb = json.loads(text)
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = SOLUTION.sub(lambda m: f"{m.group(1)}raise NotImplementedError()", source)
    return json.dumps(nb)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = {}
    base = tmp_path_factory.mktemp("subs")
    jobs = []
    for name in NAMES:
        text = (COURSE / "source" / name / f"{name}.ipynb").read_text()
        kinds = [("solution", text), ("stub", stub(text))]
        kinds += [(f"attack_{k}", with_cell_after_setup(stub(text), src))
                  for k, src in attacks(name).items()]
        for kind, content in kinds:
            folder = base / kind / name
            folder.mkdir(parents=True)
            (folder / f"{name}.ipynb").write_text(content)
            jobs.append((name, kind, folder))
    for name in NAMES:
        assignment = load_assignment(COURSE, name)
        subs = {kind: folder for n, kind, folder in jobs if n == name}
        for result in grade_all(assignment, subs, jobs=2, limits=Limits(wall_seconds=150),
                                progress=False):
            out[(name, result.student)] = result
    return out


@pytest.mark.parametrize("name", NAMES)
def test_solution_gets_full_marks(results, name):
    result = results[(name, "solution")]
    assert result.score == result.max_score > 0, (result.notes, {
        g: o.message for g, o in result.outcomes.items()})
    assert result.notes == []


@pytest.mark.parametrize("name", NAMES)
def test_stub_gets_zero(results, name):
    result = results[(name, "stub")]
    assert result.score == 0 and result.status == "graded", result.notes


@pytest.mark.parametrize("attack", ["attack_monkeypatch", "attack_forged"])
@pytest.mark.parametrize("name", NAMES)
def test_in_kernel_attacks_get_nothing(results, name, attack):
    result = results[(name, attack)]
    assert result.score == 0, (result.notes, {g: o.message for g, o in result.outcomes.items()})
    if attack == "attack_forged":  # the forgeries reached the channel, with the real nonce
        assert all("more than one result was reported" in outcome.message
                   for outcome in result.outcomes.values()), result.outcomes
