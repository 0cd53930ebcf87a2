"""The notebook conventions of CONTRIBUTING.md, enforced on every committed notebook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sidebyside.notebooks import FRAMEWORK_TAGS, NAME_PATTERN, ROOT, all_notebooks, tags

NOTEBOOKS = all_notebooks()
TEACHING = [p for p in NOTEBOOKS if p.parts[-2] in ("course", "labs")]
MAX_SECONDS = 60
GRADED_PATTERN = re.compile(r"^ps\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert any(p.parts[-2] == "course" for p in NOTEBOOKS), "course/ has no notebooks"
    assert (ROOT / "course" / "00_start_here.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_valid_and_executed_in_order(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # raises ValidationError on an invalid notebook
    counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
    assert counts, "no code cells"
    assert None not in counts, (
        f"unexecuted cells (execution_count None): regenerate with `make notebooks NB={rel(path)}`"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"cells executed out of order or partially ({counts}): regenerate with `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_no_unexpected_errors_in_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(code_cells(nb)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in tags(cell):
            assert errors, f"code cell {i} is tagged raises-exception but raised nothing"
        else:
            assert not errors, f"code cell {i} has an error output: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_file_name(path):
    if path in TEACHING:
        assert NAME_PATTERN.match(path.name), f"{path.name} is not NN_topic.ipynb"
    else:  # nbgrader: graded/source/psNN_topic/psNN_topic.ipynb
        assert GRADED_PATTERN.match(path.name), f"{path.name} is not psNN_topic.ipynb"
        assert path.parent.name == path.stem, "an assignment folder holds its notebook of the same name"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_first_code_cell_sets_up_the_kernel(path):
    first = code_cells(nbformat.read(path, as_version=4))[0].source
    assert "setup(" in first and "sidebyside" in first, (
        "the first code cell must be `from sidebyside import setup` / `env = setup(...)`"
    )


@pytest.mark.parametrize("path", TEACHING, ids=rel)
def test_title_goals_and_navigation(path):
    nb = nbformat.read(path, as_version=4)
    head = nb.cells[0]
    assert head.cell_type == "markdown" and head.source.startswith("# "), "first cell: a # Title"
    assert "Learning goals" in head.source, "the title cell lists learning goals"
    assert "Next" in head.source or "Previous" in head.source, "the title cell links prev/next"


@pytest.mark.parametrize("path", TEACHING, ids=rel)
def test_links_point_to_existing_files(path):
    nb = nbformat.read(path, as_version=4)
    broken = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(target)
    assert not broken, f"links to missing files: {broken}"


@pytest.mark.parametrize("path", [p for p in TEACHING if p.parts[-2] == "course"
                                  and not p.name.startswith("00_")], ids=rel)
def test_lessons_link_their_lab_and_assignment(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "markdown")
    assert "../labs/" in text, "a lesson links to the deeper lab on its topic"
    assert "../graded/" in text, "a lesson links to the graded assignment on its topic"


def twin_problems(nb) -> list[str]:
    """Each framework-tagged code cell must sit next to its twin: pytorch, then tensorflow."""
    cells = code_cells(nb)
    problems = []
    for i, cell in enumerate(cells):
        t = tags(cell)
        if "pytorch" in t and "tensorflow" in t:
            problems.append(f"code cell {i} is tagged both pytorch and tensorflow")
        elif "pytorch" in t:
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if nxt is None or "tensorflow" not in tags(nxt):
                problems.append(f"code cell {i} (pytorch) is not followed by its tensorflow twin")
        elif "tensorflow" in t:
            prev = cells[i - 1] if i > 0 else None
            if prev is None or "pytorch" not in tags(prev):
                problems.append(f"code cell {i} (tensorflow) does not follow its pytorch twin")
    # markdown between twins breaks "next to each other" on screen
    order = [c for c in nb.cells]
    for i, cell in enumerate(order[:-1]):
        if cell.cell_type == "code" and "pytorch" in tags(cell):
            if order[i + 1].cell_type != "code":
                problems.append("markdown sits between a pytorch cell and its tensorflow twin")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_every_demo_has_its_twin(path):
    assert not twin_problems(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", TEACHING, ids=rel)
def test_teaching_notebooks_show_both_frameworks(path):
    nb = nbformat.read(path, as_version=4)
    found = {t for c in code_cells(nb) for t in tags(c) if t in FRAMEWORK_TAGS}
    assert found == set(FRAMEWORK_TAGS), "a lesson or lab shows PyTorch and TensorFlow side by side"


def test_twin_check_rejects_a_lone_framework_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["pytorch"]}),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("y = 1", metadata={"tags": ["tensorflow"]}),
        nbformat.v4.new_code_cell("z = 1", metadata={"tags": ["tensorflow"]}),
    ])
    problems = twin_problems(nb)
    assert any("markdown sits between" in p for p in problems)
    assert any("code cell 2 (tensorflow) does not follow" in p for p in problems)
    ok = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["pytorch"]}),
        nbformat.v4.new_code_cell("y = 1", metadata={"tags": ["tensorflow"]}),
    ])
    assert twin_problems(ok) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_recorded_runtime_within_budget(path):
    meta = nbformat.read(path, as_version=4).metadata.get("sidebyside", {})
    seconds = meta.get("execution_seconds")
    assert seconds is not None, "no recorded run time: regenerate with `make notebooks`"
    assert seconds <= MAX_SECONDS, f"ran {seconds} s on the CPU machine (budget {MAX_SECONDS} s)"


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
