"""Committed notebooks reopen with their graphs: saved widget state matches the outputs.

A notebook's widget outputs name models by id; JupyterLab (with the ipywidgets manager's
`saveState`, see sidebyside.jupyter_env) draws them from the state saved in the notebook's metadata.
If an output names a model the state lacks, the reader sees "Error displaying widget: model not
found". `sidebyside regenerate` refuses to write such a notebook; this test checks every committed
one, and that every graph output also carries its static picture (for untrusted notebooks and HTML
exports).
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from sidebyside.notebooks import WIDGET_STATE, WIDGET_VIEW, all_notebooks, widget_state_problems

NOTEBOOKS = all_notebooks()


def widget_outputs(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                yield output


def graph_outputs(nb):
    """Widget outputs of GraphViews and side-by-side rows (their text repr names them)."""
    for output in widget_outputs(nb):
        text = "".join(output["data"].get("text/plain", ""))
        if text.startswith(("GraphView(", "SideBySide(")):
            yield output


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_widget_output_has_its_model_in_the_saved_state(path):
    nb = nbformat.read(path, as_version=4)
    assert widget_state_problems(nb) == []


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS
                                  if any(graph_outputs(nbformat.read(p, as_version=4)))],
                         ids=lambda p: p.name)
def test_every_graph_output_carries_a_static_picture(path):
    nb = nbformat.read(path, as_version=4)
    for output in graph_outputs(nb):
        png = output["data"].get("image/png")
        assert png, f"{path.name}: {output['data']['text/plain']!r} has no picture"


def sample_notebook():
    """The first committed notebook with a GraphView output (a real saved state)."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        if any(graph_outputs(nb)):
            return nb
    pytest.skip("no committed notebook shows a graph")


def test_checker_reports_a_missing_view_model():
    nb = sample_notebook()
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    model_id = next(graph_outputs(nb))["data"][WIDGET_VIEW]["model_id"]
    del state[model_id]
    problems = widget_state_problems(nb)
    assert any(model_id in p and "model not found" in p for p in problems), problems


def test_checker_reports_a_missing_engine_and_missing_code():
    nb = sample_notebook()
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    views = [m for m in state.values() if m["state"].get("_anywidget_id", "").endswith("GraphView")]
    engine_id = views[0]["state"]["_engine"].removeprefix("IPY_MODEL_")
    without_engine = copy.deepcopy(nb)
    del without_engine.metadata["widgets"][WIDGET_STATE]["state"][engine_id]
    assert any(engine_id in p for p in widget_state_problems(without_engine))
    views[0]["state"]["_esm"] = ""
    assert any("no front-end code" in p for p in widget_state_problems(nb))


def test_checker_reports_outputs_without_any_saved_state():
    nb = sample_notebook()
    del nb.metadata["widgets"]
    assert len(widget_state_problems(nb)) >= len(list(graph_outputs(nb)))


def test_regenerate_refuses_outputs_naming_unsaved_models_and_leaves_the_file_untouched(tmp_path):
    """`make notebooks` must refuse, not commit, a notebook that would reopen with "model not
    found": here an output names a widget model that no kernel ever created."""
    from nbformat.v4 import new_code_cell, new_notebook

    from sidebyside.notebooks import execute

    nb = new_notebook(cells=[new_code_cell(
        "from IPython.display import display\n"
        "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'feedc0de',\n"
        "         'version_major': 2, 'version_minor': 0}, 'text/plain': 'a ghost'}, raw=True)")])
    path = tmp_path / "ghost.ipynb"
    nbformat.write(nb, path)
    before = path.read_text()
    with pytest.raises(RuntimeError, match="feedc0de is not in the saved widget state"):
        execute(path)
    assert path.read_text() == before
