"""Every assignment's trusted checks agree with its instructor solution: the hardened grader gives the
source notebook full marks and a notebook with the solutions removed zero (12 sandboxed runs, in
parallel, about 1-2 minutes on 2 cores)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sidebyside.grading.grader import grade_all
from sidebyside.grading.notebook import load_assignment
from sidebyside.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "graded"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


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
        for kind, content in (("solution", text), ("stub", stub(text))):
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
