"""Every visible test of every assignment FAILS on the student's blank version.

A visible test that passes before the student has written anything tells them nothing, and one that
ends in `print(...)` instead of an assert cannot fail at all (graded/README.md: "end the cell with an
assert"). So the committed student versions in graded/release/ run in a real kernel, cell by cell:

- as released: every blank is `raise NotImplementedError()`;
- "silent": every such line replaced by `pass`, the student who deleted the line and wrote nothing
  (functions then return None, top-level answers define nothing).

Every autograded test cell must end in an error both times. A static check adds that each visible test
asserts something and never prints a comparison instead of asserting it, and that graded/release is
regenerated from graded/source (`sidebyside grade generate NAME`).

What is under test is each notebook's code, not a kernel's start: the notebooks run one after another in
ONE kernel, each after `%reset -f` (a fresh namespace; torch and TensorFlow stay imported, which is
most of a kernel's start-up), in its own folder. The setup cell must run cleanly, so a kernel left
broken by an earlier notebook cannot pass the check by making every test fail. A notebook whose setup
asks for what only a fresh TensorFlow can do (logical CPUs, placement logging) gets a kernel of its
own. benchmarks/visible_tests_shared_kernel.py ran the check both ways on the solutions too, once
(every visible test passed in both), and prints that comparison.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "graded" / "release"
SOURCE = ROOT / "graded" / "source"
NAMES = sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").exists())
BLANK = "raise NotImplementedError()"
# setup() arguments that take effect only before TensorFlow's first op (sidebyside.kernel.setup)
NEEDS_FRESH_KERNEL = ("logical_cpus", "log_device_placement")
HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)


def is_visible_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") is True and not meta.get("solution")


def silent(nb):
    """The release notebook with every blank's `raise` replaced by `pass`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace(BLANK, "pass")
    return nb


def failed(cell) -> bool:
    return any(out.output_type == "error" for out in cell.get("outputs", []))


def needs_fresh_kernel(nb) -> bool:
    setup_cell = next(c for c in nb.cells if c.cell_type == "code")
    return any(arg in setup_cell.source for arg in NEEDS_FRESH_KERNEL)


def passing_tests(nb, folder: Path, km=None) -> list[str]:
    """Run `nb` top to bottom in a real kernel (the kernel manager `km`'s, after a namespace reset,
    or a fresh one), errors allowed; the grade ids of the autograded test cells that did NOT raise."""
    from nbclient import NotebookClient

    if km is not None:
        nb.cells.insert(0, nbformat.v4.new_code_cell(f"%reset -f\nimport os\nos.chdir({str(folder)!r})"))
    client = NotebookClient(nb, km=km, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    if km is not None:
        client.kc.stop_channels()
        assert not failed(nb.cells.pop(0)), "the shared kernel could not be reset"
    setup_cell = next(c for c in nb.cells if c.cell_type == "code")
    assert not failed(setup_cell), f"the setup cell failed: {setup_cell.outputs}"
    return [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if is_visible_test(cell)
            and not failed(cell)]


@pytest.fixture(scope="module")
def shared_kernel():
    """One kernel for every notebook that can share it (see the module docstring)."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    km = NotebookClient(nbformat.v4.new_notebook(), kernel_name="python3").create_kernel_manager()
    yield km
    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


def weak_visible_tests(nb) -> list[str]:
    """Grade ids of visible tests that assert nothing, or print a comparison instead of asserting it."""
    weak = []
    for cell in filter(is_visible_test, nb.cells):
        tree = ast.parse(cell.source)
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)
                   or (isinstance(n, ast.Call) and "assert" in ast.unparse(n.func))]
        printed_checks = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                          and ast.unparse(n.func) == "print"
                          and any(isinstance(a, ast.Compare) for a in n.args)]
        if not asserts or printed_checks:
            weak.append(cell.metadata["nbgrader"]["grade_id"])
    return weak


def release_notebook(name: str):
    return nbformat.read(RELEASE / name / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("variant", ["as-released", "silent"])
@pytest.mark.parametrize("name", NAMES)
def test_every_visible_test_fails_on_the_blank_version(name, variant, shared_kernel):
    nb = release_notebook(name)
    assert any(BLANK in c.source for c in nb.cells), "the release has no blanks to fill"
    nb = silent(nb) if variant == "silent" else nb
    passed = passing_tests(nb, RELEASE / name, None if needs_fresh_kernel(nb) else shared_kernel)
    assert passed == [], f"{name}: visible tests pass with nothing written ({variant}): {passed}"


@pytest.mark.parametrize("name", NAMES)
def test_every_visible_test_asserts(name):
    assert weak_visible_tests(release_notebook(name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_release_is_generated_from_the_current_source(name):
    """Each visible test in the release is its source cell minus the hidden tests, with the line
    that prints its verdict first when its check is visible now (tests/test_visible_messages.py):
    regenerate with `sidebyside grade generate NAME` after changing a source notebook."""
    from sidebyside.grading.notebook import load_assignment
    from sidebyside.grading.visible import announce_line

    assignment = load_assignment(SOURCE.parent, name)

    def student_version(cell):
        gid = cell.metadata["nbgrader"]["grade_id"]
        check = assignment.checks[gid]
        announce = announce_line(gid, assignment.tests[gid], check.message) + "\n" \
            if check.visibility == "visible" else ""
        return announce + HIDDEN.sub("", cell.source).strip()

    source = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    expected = {c.metadata["nbgrader"]["grade_id"]: student_version(c)
                for c in source.cells if is_visible_test(c)}
    released = {c.metadata["nbgrader"]["grade_id"]: c.source.strip()
                for c in release_notebook(name).cells if is_visible_test(c)}
    assert released == expected


def test_the_checks_catch_a_test_that_cannot_fail(tmp_path, shared_kernel):
    """The same checks on a tiny release notebook whose second test prints instead of asserting."""
    def test_cell(grade_id, source):
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1}})

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"def double(x):\n    # YOUR CODE HERE\n    {BLANK}",
                                  metadata={"nbgrader": {"solution": True, "grade": False,
                                                         "grade_id": "answer"}}),
        test_cell("strict", "assert double(2) == 4"),
        test_cell("weak", "print(callable(double) >= 1)"),
    ]
    assert weak_visible_tests(nb) == ["weak"]
    assert passing_tests(copy.deepcopy(nb), tmp_path) == ["weak"]
    # In the shared kernel, right after a notebook that defined a working `double`: the reset must
    # leave nothing behind, so the strict test still fails.
    solved = copy.deepcopy(nb)
    solved.cells[0].source = "def double(x):\n    return 2 * x"
    assert passing_tests(solved, tmp_path, shared_kernel) == ["strict", "weak"]
    assert passing_tests(silent(nb), tmp_path, shared_kernel) == ["weak"]
