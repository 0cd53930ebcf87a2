"""`sidebyside jupyter-setup`: the environment's JupyterLab saves widget state, shows no news, and its
HTML export prefers a widget's picture; the course's notebooks get trusted."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from sidebyside import jupyter_env
from sidebyside.jupyter_env import (
    HTML_PRIORITY,
    LAB_OVERRIDES,
    PACKAGED_LAB_SETTINGS,
    install_settings,
    lab_settings_path,
    labextension_path,
    nbconvert_config_path,
    page_config_path,
    problems,
)


def test_packaged_settings_file_is_the_one_the_command_writes():
    assert json.loads(PACKAGED_LAB_SETTINGS.read_text()) == LAB_OVERRIDES


def test_pip_installs_the_lab_settings_with_the_package():
    # `pip install .` (a Binder or JupyterHub image) puts the file where JupyterLab 4.6 reads it;
    # editable installs skip data files, so `make setup` and postBuild run `sidebyside jupyter-setup`
    pyproject = tomllib.loads((jupyter_env.ROOT / "pyproject.toml").read_text())
    data_files = pyproject["tool"]["setuptools"]["data-files"]
    target = str(jupyter_env.LAB_SETTINGS.parent)
    assert data_files[target] == [str(PACKAGED_LAB_SETTINGS.relative_to(jupyter_env.ROOT))]
    assert "sidebyside jupyter-setup" in (jupyter_env.ROOT / "postBuild").read_text()


def test_this_environment_has_the_lab_settings():
    installed = lab_settings_path(sys.prefix)
    assert installed.exists(), f"{installed} missing: reinstall the package (make setup)"
    assert json.loads(installed.read_text())[
        "@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True


def test_a_bare_prefix_is_reported_then_fixed(tmp_path):
    found = problems(tmp_path)
    assert any("saveState" in p for p in found)
    assert any("HTML export" in p for p in found)
    assert any("validate-assignment" in p for p in found)
    assert any("sidebyside-lab" in p for p in found)
    written = install_settings(tmp_path)
    assert set(written) == {lab_settings_path(tmp_path), nbconvert_config_path(tmp_path),
                            page_config_path(tmp_path), labextension_path(tmp_path)}
    assert problems(tmp_path) == []
    assert install_settings(tmp_path) == []  # idempotent: nothing to write the second time


def test_existing_nbconvert_config_is_merged_not_replaced(tmp_path):
    config = nbconvert_config_path(tmp_path)
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"HTMLExporter": {"theme": "dark"},
                                  "NbConvertApp": {"export_format": "html"}}))
    install_settings(tmp_path)
    merged = json.loads(config.read_text())
    assert merged["HTMLExporter"]["theme"] == "dark"
    assert merged["NbConvertApp"] == {"export_format": "html"}
    assert merged["HTMLExporter"]["WidgetsDataTypeFilter"]["display_data_priority"] == HTML_PRIORITY


def test_broken_config_is_refused_with_its_path_and_left_untouched(tmp_path):
    config = nbconvert_config_path(tmp_path)
    config.parent.mkdir(parents=True)
    config.write_text("{not json")
    with pytest.raises(SystemExit, match="jupyter_nbconvert_config.json is not valid JSON"):
        install_settings(tmp_path)
    assert config.read_text() == "{not json"


def test_check_command_exits_non_zero_on_a_bare_prefix(tmp_path):
    run = subprocess.run([sys.executable, "-m", "sidebyside.cli", "jupyter-setup", "--check",
                          "--prefix", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "saveState" in run.stdout


def test_trust_signs_the_course_notebooks_for_this_user(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    from nbformat.sign import NotebookNotary

    notebooks = jupyter_env.course_notebooks()
    assert len(notebooks) >= 10 and all(p.parts[-2] in ("course", "labs") for p in notebooks)
    sample = [p for p in notebooks if p.name.startswith("00_")]
    notary = NotebookNotary()
    assert not notary.check_signature(nbformat.read(sample[0], as_version=4))
    assert jupyter_env.trust(sample) == len(sample)
    assert all(NotebookNotary().check_signature(nbformat.read(p, as_version=4)) for p in sample)
    assert jupyter_env.trust(sample) == 0  # already trusted


def test_html_export_shows_the_picture_not_a_cdn_widget(tmp_path):
    """nbconvert with the installed priority renders a GraphView output as an <img>."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    path = next(p for p in Path(jupyter_env.ROOT, "labs").glob("00_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    config = Config({"HTMLExporter": {"WidgetsDataTypeFilter": {
        "display_data_priority": HTML_PRIORITY}}})
    html, _ = HTMLExporter(config=config).from_notebook_node(nb)
    widgets = [o["data"] for c in nb.cells for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    graphs = [d for d in widgets if "image/png" in d]
    assert len(graphs) >= 8  # lab 00 draws many graphs; each carries its picture
    script = '<script type="application/vnd.jupyter.widget-view+json">'
    assert html.count("data:image/png;base64") >= len(graphs)
    assert html.count(script) == len(widgets) - len(graphs)  # other widgets export as before
    plain, _ = HTMLExporter().from_notebook_node(nb)  # without the setting: widget scripts only
    assert plain.count(script) == len(widgets)
