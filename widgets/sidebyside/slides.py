"""Slide metadata for presenting lessons and labs (RISE), generated from the cell structure.

`sidebyside slides [PATH ...]` writes each cell's `metadata.slideshow.slide_type`, never by hand:
  * a markdown cell with a heading (the title cell, every `## section`) starts a new slide;
  * prose that follows code starts a sub-slide: one idea per (sub-)slide, its code under it;
  * a framework twin (the cell right after its `pytorch`/`tensorflow` partner) is a fragment on the
    same slide: the presenter shows PyTorch, then reveals its TensorFlow twin below it with one key;
    a second pair straight after the first starts a sub-slide;
  * every other cell continues the slide it is on.
It also turns on scrolling (`metadata.rise.scroll`) so a slide taller than the projector can scroll,
and writes `rise.css` into each notebook's folder (RISE loads it from there): the one stylesheet in
`sidebyside/static/rise.css` puts a twin beside its partner. Outputs and sources are never touched. `--check` changes nothing and exits 1 when a notebook's
metadata differs from what would be generated (run the command again after editing a notebook).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from sidebyside.notebooks import FRAMEWORK_TAGS, ROOT, tags

SLIDE_DIRS = ("course", "labs")
RISE_SETTINGS = {"scroll": True}
RISE_CSS = Path(__file__).parent / "static" / "rise.css"


def is_heading(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith("#")


def is_twin_of_previous(cells, i: int) -> bool:
    """Cell i is the second of a PyTorch/TensorFlow pair (the previous cell is its partner)."""
    if i == 0 or cells[i].cell_type != "code" or cells[i - 1].cell_type != "code":
        return False
    mine = set(tags(cells[i])) & set(FRAMEWORK_TAGS)
    theirs = set(tags(cells[i - 1])) & set(FRAMEWORK_TAGS)
    return bool(mine and theirs and mine != theirs)


def slide_types(nb) -> list[str]:
    """The slide type of every cell, derived from the cells alone."""
    cells = nb.cells
    types = []
    for i, cell in enumerate(cells):
        previous = cells[i - 1] if i else None
        if i == 0 or is_heading(cell):
            kind = "slide"
        elif cell.cell_type == "markdown" and previous.cell_type == "code":
            kind = "subslide"
        elif is_twin_of_previous(cells, i) and types[i - 1] != "fragment":
            kind = "fragment"
        elif (cell.cell_type == "code" and types[i - 1] == "fragment"
              and set(tags(cell)) & set(FRAMEWORK_TAGS)):
            kind = "subslide"  # a new framework pair right after a complete one: a new idea
        else:
            kind = "-"
        types.append(kind)
    return types


def differences(nb) -> list[str]:
    """What differs between the notebook's slide metadata and the generated one (empty: up to date)."""
    found = []
    for i, (cell, want) in enumerate(zip(nb.cells, slide_types(nb))):
        have = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if have != want:
            first = (cell.source.strip().splitlines() or [""])[0][:50]
            found.append(f"cell {i} ({first!r}): slide_type {have!r}, expected {want!r}")
    rise = nb.metadata.get("rise", {})
    if any(rise.get(k) != v for k, v in RISE_SETTINGS.items()):
        found.append(f"notebook metadata: rise {rise!r}, expected to include {RISE_SETTINGS!r}")
    return found


def apply(nb) -> bool:
    """Write the generated slide metadata into `nb`; True when something changed."""
    changed = bool(differences(nb))
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    nb.metadata.setdefault("rise", {}).update(RISE_SETTINGS)
    return changed


def problems(path: Path) -> list[str]:
    """For a consistency test: what is out of date for one notebook file, each prefixed with its path."""
    nb = nbformat.read(path, as_version=4)
    found = [f"{path}: {d}" for d in differences(nb)]
    css = path.parent / "rise.css"
    if not css.exists() or css.read_text() != RISE_CSS.read_text():
        found.append(f"{css}: missing or different from sidebyside/static/rise.css")
    return found


def write_css(folder: Path) -> bool:
    """Copy the slides' stylesheet into `folder`; True when it changed."""
    css = folder / "rise.css"
    text = RISE_CSS.read_text()
    if css.exists() and css.read_text() == text:
        return False
    css.write_text(text)
    return True


def targets(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths or [ROOT / d for d in SLIDE_DIRS]:
        if not p.exists():
            raise FileNotFoundError(f"no such notebook or folder: {p}")
        found += sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]
    return [t for t in found if ".ipynb_checkpoints" not in t.parts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidebyside slides", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks or folders (default: course/ and labs/)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if any notebook's slide metadata is out of date")
    args = parser.parse_args(argv)
    try:
        paths = targets(args.paths)
    except FileNotFoundError as err:
        print(f"sidebyside slides: {err}", file=sys.stderr)
        return 2
    stale = 0
    for path in paths:
        if args.check:
            found = problems(path)
            stale += bool(found)
            for line in found[:5]:
                print(line)
            if len(found) > 5:
                print(f"{path}: ... and {len(found) - 5} more")
            continue
        nb = nbformat.read(path, as_version=4)
        if write_css(path.parent):
            print(f"stylesheet      {path.parent / 'rise.css'}")
        if apply(nb):
            nbformat.validate(nb)
            nbformat.write(nb, path)
            print(f"slides written  {path}")
        else:
            print(f"up to date      {path}")
    if args.check and stale:
        print(f"{stale} notebook(s) need `sidebyside slides`", file=sys.stderr)
        return 1
    return 0
