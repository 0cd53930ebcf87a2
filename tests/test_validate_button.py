"""Issue 10 item 19: nbgrader's notebook-toolbar "Validate" button is off in this environment.

It sat on every notebook and said "Success! Your notebook passes all the tests" on a lesson that
grades nothing. `make setup` disables that one plugin; graded work is validated from the Assignments
tab (which lists only released assignments) or with `nbgrader validate` (graded/README.md).
`sidebyside jupyter-setup` (run by `make setup`, Binder's postBuild and the hub image) does it.
The browser side (no button in a notebook's toolbar, nbgrader's menu still there) is checked in
tests/test_presenting.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLUGIN = "@jupyter/nbgrader:validate-assignment"


def test_the_toolbar_validate_plugin_is_disabled_and_nothing_else_of_nbgrader():
    jupyter = Path(sys.executable).with_name("jupyter")
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True,
                             timeout=120)
    text = listing.stdout + listing.stderr
    disabled = text.split("Disabled extensions:")[-1] if "Disabled extensions:" in text else ""
    assert PLUGIN in disabled, f"run `make setup`: {PLUGIN} is enabled\n{text[-2000:]}"
    assert "@jupyter/nbgrader v" in text and "enabled" in text  # the rest of nbgrader stays on
    for other in ("assignment-list", "create-assignment", "menu"):
        assert f"@jupyter/nbgrader:{other}" not in disabled


def test_make_setup_runs_jupyter_setup():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    setup = makefile.split("$(STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "sidebyside jupyter-setup" in setup


def test_jupyter_setup_disables_and_locks_it_in_a_fresh_prefix_keeping_other_settings(tmp_path):
    import json

    from sidebyside import jupyter_env

    page = jupyter_env.page_config_path(tmp_path)
    page.parent.mkdir(parents=True)
    page.write_text(json.dumps({"disabledExtensions": {"other:plugin": True}}))
    assert any(PLUGIN in p for p in jupyter_env.problems(tmp_path))
    jupyter_env.install_settings(tmp_path)
    config = json.loads(page.read_text())
    assert config["disabledExtensions"] == {"other:plugin": True, PLUGIN: True}
    assert config["lockedExtensions"] == {PLUGIN: True}
    assert not any(PLUGIN in p for p in jupyter_env.problems(tmp_path))
