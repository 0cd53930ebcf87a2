"""Every lesson and lab has a teacher's guide in course/teacher/, and what a guide cites exists.

A guide cites its notebook by a relative link, sections as **§ Heading text** (the heading's text
without the #'s), code cells as cell `snippet` (a piece of a code cell's source) and stored outputs
as output `snippet`. Citations by content, not by cell index: inserting a cell does not break them,
renaming a heading or changing a printed number does, and this test says which guide to update.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sidebyside.notebooks import ROOT

TEACHER = ROOT / "course" / "teacher"
NOTEBOOKS = sorted((ROOT / "course").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb"))
SECTIONS = ("## Timing", "## Live-demo script", "## Misconceptions", "## Questions for the room")

SECTION_REF = re.compile(r"\*\*§ ([^*]+)\*\*")
CELL_REF = re.compile(r"\bcell\s+`([^`]+)`")
OUTPUT_REF = re.compile(r"\boutput\s+`([^`]+)`")
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)\)")


def guide_for(notebook: Path) -> Path:
    prefix = "lab" if notebook.parent.name == "labs" else "course"
    return TEACHER / f"{prefix}_{notebook.name.removesuffix('.ipynb')}.md"


def headings(nb) -> set[str]:
    found = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found |= {m.group(1).strip() for m in re.finditer(r"(?m)^#+\s+(.+)$", cell.source)}
    return found


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


def citation_problems(text: str, folder: Path, notebook: Path) -> list[str]:
    """What is wrong with a guide's `text`, whose links are relative to `folder`."""
    nb = nbformat.read(notebook, as_version=4)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    problems = []
    links = {(folder / link).resolve() for link in LINK.findall(text)}
    if notebook.resolve() not in links:
        problems.append(f"does not link its notebook {notebook.parent.name}/{notebook.name}")
    problems += [f"links a missing notebook {link}" for link in LINK.findall(text)
                 if not (folder / link).resolve().exists()]
    missing_sections = [s for s in SECTIONS if s not in text]
    problems += [f"has no section {s!r}" for s in missing_sections]
    known = headings(nb)
    problems += [f"cites section {h!r}, not a heading of {notebook.name}"
                 for h in SECTION_REF.findall(text) if h.strip() not in known]
    problems += [f"cites cell `{s}`, found in no code cell of {notebook.name}"
                 for s in CELL_REF.findall(text) if s not in sources]
    outputs = outputs_text(nb)
    problems += [f"cites output `{s}`, found in no stored output of {notebook.name}"
                 for s in OUTPUT_REF.findall(text) if s not in outputs]
    if len(SECTION_REF.findall(text)) < 3 or len(CELL_REF.findall(text)) < 2:
        problems.append("cites fewer than 3 sections or 2 cells: a live-demo script needs both")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_lesson_and_lab_has_a_guide_whose_citations_exist(notebook):
    guide = guide_for(notebook)
    assert guide.exists(), f"no teacher's guide for {notebook.relative_to(ROOT)}: write {guide}"
    problems = citation_problems(guide.read_text(), guide.parent, notebook)
    assert not problems, f"{guide.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def test_the_guide_index_lists_every_guide():
    index = (TEACHER / "README.md").read_text()
    for notebook in NOTEBOOKS:
        assert f"({guide_for(notebook).name})" in index, f"README does not link {guide_for(notebook).name}"


def test_the_checker_accepts_true_citations_and_rejects_wrong_ones():
    notebook = ROOT / "course" / "00_start_here.ipynb"
    good = "\n".join(SECTIONS) + (
        "\n[notebook](../00_start_here.ipynb) **§ Set up the kernel** **§ Check yourself** "
        "**§ How the course works** cell `z.backward()` cell `tape.gradient(z, [x, y])` "
        "output `dz_dx = 4.0`\n")
    assert citation_problems(good, TEACHER, notebook) == []
    wrong = (good.replace("## Timing", "## Time")
             + "**§ No such heading** cell `no_such_call()` output `z = 12.0` [x](../nope.ipynb)")
    problems = "\n".join(citation_problems(wrong, TEACHER, notebook))
    for expected in ("No such heading", "no_such_call()", "z = 12.0", "missing notebook", "## Timing"):
        assert expected in problems
    assert "does not link its notebook" in "".join(
        citation_problems(good.replace("../00_start_here.ipynb", "../01_tensors.ipynb"), TEACHER,
                          notebook))
