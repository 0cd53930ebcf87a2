"""Each PyTorch/TensorFlow pair tagged `same-output` computes the same values.

The twins print with `sidebyside.show`, one `name = value` line per result. Here the stored outputs of
both cells are compared name by name and number by number; nbval re-runs every notebook and checks the
fresh outputs equal the stored ones, so together the two prove the pair agrees on every run.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from sidebyside.notebooks import ROOT, all_notebooks, tags

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf")
ASSIGNMENT = re.compile(r"^([A-Za-z_][\w.\[\]]*) = (.*)$")
RTOL, ATOL = 1e-3, 1e-3  # float32 in two libraries, rounded to 4 decimals by show()


def printed_values(cell) -> list[tuple[str, list[float]]]:
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"
                   and o.get("name") == "stdout")
    values, current = [], None
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            current = (match.group(1), [float(x) for x in NUMBER.findall(match.group(2))])
            values.append(current)
        elif current is not None:  # continuation of a multi-line array
            current[1].extend(float(x) for x in NUMBER.findall(line))
    return values


def same_output_pairs():
    for path in all_notebooks():
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        for i, cell in enumerate(cells[:-1]):
            t = tags(cell)
            if "same-output" in t and "pytorch" in t:
                twin = cells[i + 1]
                yield pytest.param(cell, twin, id=f"{path.relative_to(ROOT)}:cell{i}")


PAIRS = list(same_output_pairs())


def compare(torch_cell, tf_cell) -> None:
    assert "same-output" in tags(tf_cell), "the tensorflow twin must be tagged same-output too"
    left, right = printed_values(torch_cell), printed_values(tf_cell)
    assert left, "the pytorch cell printed no `name = value` lines (use sidebyside.show)"
    assert [n for n, _ in left] == [n for n, _ in right], "the twins print different names"
    for (name, a), (_, b) in zip(left, right):
        assert len(a) == len(b), f"{name}: {len(a)} numbers vs {len(b)}"
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize(("torch_cell", "tf_cell"), PAIRS)
def test_twins_print_the_same_values(torch_cell, tf_cell):
    compare(torch_cell, tf_cell)


def test_every_teaching_notebook_with_twins_has_a_checked_pair():
    for path in all_notebooks():
        if path.parts[-2] not in ("course", "labs"):
            continue
        nb = nbformat.read(path, as_version=4)
        has_twins = any("pytorch" in tags(c) for c in nb.cells)
        checked = any("same-output" in tags(c) for c in nb.cells)
        assert checked or not has_twins, f"{path.name}: no same-output twin pair"


def test_comparison_rejects_different_values():
    def cell(text, *extra):
        c = nbformat.v4.new_code_cell("", metadata={"tags": list(extra)})
        c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        return c

    torch_cell = cell("z = 11.0\ngrad = [4.0, 3.0]\n", "pytorch", "same-output")
    compare(torch_cell, cell("z = 11.0\ngrad = [4.0,\n 3.0]\n", "tensorflow", "same-output"))
    with pytest.raises(AssertionError):
        compare(torch_cell, cell("z = 11.0\ngrad = [4.0, 3.5]\n", "tensorflow", "same-output"))
    with pytest.raises(AssertionError):
        compare(torch_cell, cell("z = 11.0\n", "tensorflow", "same-output"))
    with pytest.raises(AssertionError):
        compare(torch_cell, cell("y = 11.0\ngrad = [4.0, 3.0]\n", "tensorflow", "same-output"))
