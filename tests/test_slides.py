"""`sidebyside slides` writes slide metadata from the cell structure, on temporary copies of the notebooks;
and every committed lesson and lab carries the metadata the command writes (no hand-edited slides).
"""

from __future__ import annotations

import nbformat
import pytest

from sidebyside import cli, slides
from sidebyside.notebooks import ROOT, tags


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slides")
    paths = []
    for sub in slides.SLIDE_DIRS:
        (folder / sub).mkdir()
        for path in sorted((ROOT / sub).glob("*.ipynb")):
            # The committed notebooks carry slide metadata: the copies start without it.
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                cell.metadata.pop("slideshow", None)
            nbformat.write(nb, folder / sub / path.name)
            paths.append(folder / sub / path.name)
    return folder, paths


@pytest.mark.parametrize(
    "path", [p for sub in slides.SLIDE_DIRS for p in sorted((ROOT / sub).glob("*.ipynb"))],
    ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebooks_carry_current_slide_metadata(path):
    assert slides.problems(path) == [], f"run `sidebyside slides {path.relative_to(ROOT)}`"


def test_check_reports_missing_metadata_then_the_command_writes_it(copies, capsys):
    folder, paths = copies
    assert cli.main(["slides", "--check", str(folder)]) == 1
    assert "need `sidebyside slides`" in capsys.readouterr().err
    before = {p: nbformat.read(p, as_version=4) for p in paths}
    assert cli.main(["slides", str(folder)]) == 0
    assert capsys.readouterr().out.count("slides written") == len(paths)
    assert cli.main(["slides", "--check", str(folder)]) == 0
    for path in paths:
        assert slides.problems(path) == []
        after = nbformat.read(path, as_version=4)
        old = before[path]
        # Only slide metadata changed: sources, outputs, tags and counts are untouched.
        assert [c.source for c in after.cells] == [c.source for c in old.cells]
        assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in old.cells]
        assert [tags(c) for c in after.cells] == [tags(c) for c in old.cells]
        assert after.metadata["rise"]["scroll"] is True
    for sub in slides.SLIDE_DIRS:  # one stylesheet per folder, copied from the package
        assert (folder / sub / "rise.css").read_text() == slides.RISE_CSS.read_text()


def test_slides_follow_titles_sections_ideas_and_twins(copies):
    _, paths = copies
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
        assert kinds[0] == "slide", path  # the title cell
        for i, cell in enumerate(nb.cells):
            if slides.is_heading(cell):
                assert kinds[i] == "slide", (path.name, i)
            if kinds[i] == "fragment":  # only ever the second of a framework pair, right after it
                mine = set(tags(cell)) & {"pytorch", "tensorflow"}
                partner = set(tags(nb.cells[i - 1])) & {"pytorch", "tensorflow"}
                assert mine and partner and mine != partner, (path.name, i)
            if cell.cell_type == "markdown" and i and nb.cells[i - 1].cell_type == "code" \
                    and not slides.is_heading(cell):
                assert kinds[i] == "subslide", (path.name, i)  # a new idea after code
        pairs, i = 0, 1
        while i < len(nb.cells):  # framework pairs, read left to right
            if slides.is_twin_of_previous(nb.cells, i):
                pairs += 1
                assert kinds[i] == "fragment", (path.name, i)
                i += 1
            i += 1
        assert kinds.count("fragment") == pairs > 0, path.name


def test_running_again_changes_nothing(copies, capsys):
    folder, paths = copies
    cli.main(["slides", str(folder)])
    capsys.readouterr()
    snapshot = {p: p.read_bytes() for p in paths}
    assert cli.main(["slides", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("up to date") == len(paths) and "stylesheet" not in out
    assert {p: p.read_bytes() for p in paths} == snapshot


def test_an_edited_notebook_is_reported_until_regenerated(copies):
    _, paths = copies
    path = paths[0]
    nb = nbformat.read(path, as_version=4)
    slides.apply(nb)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("## A new section"))
    nb.cells[3].metadata["slideshow"] = {"slide_type": "-"}  # hand-edited wrongly
    assert any("A new section" in d for d in slides.differences(nb))
    slides.apply(nb)
    assert slides.differences(nb) == []


def test_a_missing_or_edited_stylesheet_is_reported(copies):
    folder, paths = copies
    css = folder / "labs" / "rise.css"
    css.write_text(css.read_text() + "/* edited by hand */")
    lab = next(p for p in paths if p.parent.name == "labs")
    assert any("rise.css" in line for line in slides.problems(lab))
    assert cli.main(["slides", "--check", str(lab)]) == 1
    cli.main(["slides", str(lab)])
    assert slides.problems(lab) == []


def test_a_missing_path_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["slides", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such notebook or folder" in capsys.readouterr().err
