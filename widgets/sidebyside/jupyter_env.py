"""`sidebyside jupyter-setup`: make the Jupyter environment keep and show the course's graphs.

Three settings decide whether a graph widget survives save, close and reopen, and whether a
projector shows a clean screen. They live in the environment (`sys.prefix`), so they apply wherever
the course is opened from it: `make lab`, a Binder image, a JupyterHub single-user server.

* JupyterLab (`{prefix}/share/jupyter/lab/settings/overrides.d/sidebyside.json`, installed with the
  package and rewritten by this command): the ipywidgets manager saves widget state into the notebook
  (`saveState`; without it a reopened notebook says "model not found"), and the news pop-up and
  update checks are off. A user's own `overrides.json` and settings still win.
* The lab extension `sidebyside-lab` (`{prefix}/share/jupyter/labextensions/sidebyside-lab`,
  prebuilt from widgets/labext; pip installs it, and this command copies it, since editable installs
  skip data files): saving a notebook that was reopened keeps its saved widget state (ipywidgets'
  manager writes only models with a live kernel comm, ipywidgets#3270), and reopening a notebook no
  longer marks it unsaved.
* nbconvert (`{prefix}/etc/jupyter/jupyter_nbconvert_config.json`, merged, never replaced): an HTML
  export shows a widget's static picture (the PNG a GraphView carries) instead of a script that needs
  a CDN, so exported labs show every graph offline. Widgets without a picture export as before.
* JupyterLab page config (`{prefix}/etc/jupyter/labconfig/page_config.json`, merged): nbgrader's
  notebook-toolbar "Validate" button is disabled and locked. nbgrader puts it on every notebook, and on
  a lesson that grades nothing it says "Success! Your notebook passes all the tests". Graded work is
  validated from the Assignments tab or `nbgrader validate` (graded/README.md).
* Trust (per user): the course's own notebooks are signed, so widgets in a fresh clone draw from
  their saved state without "Trust Notebook". An untrusted notebook still shows each graph's picture.

`sidebyside jupyter-setup --check` reports what is missing without writing anything.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

from sidebyside.notebooks import ROOT

#: JupyterLab settings the course needs, by plugin id (JupyterLab 4.6 reads overrides.d/*.json).
LAB_OVERRIDES = {
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}
LAB_SETTINGS = Path("share/jupyter/lab/settings/overrides.d/sidebyside.json")
#: The copy installed with the package (pyproject's data-files) is this file.
PACKAGED_LAB_SETTINGS = Path(__file__).parent / "jupyter" / "sidebyside.json"

#: The prebuilt lab extension, as built into the package (widgets/labext's `npm run build`) and
#: where JupyterLab looks for prebuilt extensions. `source.sha256` records the build's sources only.
PACKAGED_LABEXTENSION = Path(__file__).parent / "labextension"
LABEXTENSION = Path("share/jupyter/labextensions/sidebyside-lab")
LABEXTENSION_BUILD_RECORD = "source.sha256"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: nbconvert's HTML priority with the widget view moved after the static pictures: an output that
#: carries both a widget and a picture exports as the picture (offline), any other as before.
HTML_PRIORITY = [
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/vnd.mermaid",
    "text/latex",
    "image/png",
    "image/jpeg",
    WIDGET_VIEW,
    "text/plain",
]
NBCONVERT_CONFIG = Path("etc/jupyter/jupyter_nbconvert_config.json")
NBCONVERT_KEYS = ("HTMLExporter", "WidgetsDataTypeFilter", "display_data_priority")

PAGE_CONFIG = Path("etc/jupyter/labconfig/page_config.json")
#: Lab plugins switched off (and locked off) in this environment.
DISABLED_PLUGINS = ("@jupyter/nbgrader:validate-assignment",)

#: The notebooks whose authors we trust: the course's own lessons and labs.
TRUSTED_DIRS = ("course", "labs")


def lab_settings_path(prefix: Path | str = sys.prefix) -> Path:
    return Path(prefix) / LAB_SETTINGS


def nbconvert_config_path(prefix: Path | str = sys.prefix) -> Path:
    return Path(prefix) / NBCONVERT_CONFIG


def page_config_path(prefix: Path | str = sys.prefix) -> Path:
    return Path(prefix) / PAGE_CONFIG


def labextension_path(prefix: Path | str = sys.prefix) -> Path:
    return Path(prefix) / LABEXTENSION


def labextension_files() -> list[Path]:
    """The extension's files, relative to its folder, as JupyterLab needs them."""
    return sorted(p.relative_to(PACKAGED_LABEXTENSION) for p in PACKAGED_LABEXTENSION.rglob("*")
                  if p.is_file() and p.name != LABEXTENSION_BUILD_RECORD)


def _labextension_current(prefix: Path | str) -> bool:
    installed = labextension_path(prefix)
    have = sorted(p.relative_to(installed) for p in installed.rglob("*") if p.is_file())
    return have == labextension_files() and all(
        filecmp.cmp(PACKAGED_LABEXTENSION / f, installed / f, shallow=False) for f in have)


def _plugins_off(config: dict) -> bool:
    return all((config.get(key) or {}).get(plugin) is True
               for key in ("disabledExtensions", "lockedExtensions") for plugin in DISABLED_PLUGINS)


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as err:
        raise SystemExit(f"{path} is not valid JSON ({err}); fix or remove it, then run again") \
            from None
    if not isinstance(data, dict):
        raise SystemExit(f"{path} should hold a JSON object; fix or remove it, then run again")
    return data


def _nbconvert_priority(config: dict):
    section = config
    for key in NBCONVERT_KEYS[:-1]:
        section = section.get(key) or {}
    return section.get(NBCONVERT_KEYS[-1])


def problems(prefix: Path | str = sys.prefix) -> list[str]:
    """What this environment lacks (empty when ready)."""
    found = []
    lab = lab_settings_path(prefix)
    current = _read_json(lab)
    for plugin, values in LAB_OVERRIDES.items():
        for key, value in values.items():
            if (current.get(plugin) or {}).get(key) != value:
                found.append(f"{lab}: {plugin} {key} should be {value!r}")
    if not _labextension_current(prefix):
        found.append(f"{labextension_path(prefix)}: the lab extension sidebyside-lab is missing or "
                     "out of date (saving a reopened notebook would drop its widget state)")
    nbc = nbconvert_config_path(prefix)
    if _nbconvert_priority(_read_json(nbc)) != HTML_PRIORITY:
        found.append(f"{nbc}: HTML export does not prefer a widget's picture (offline graphs)")
    page = page_config_path(prefix)
    if not _plugins_off(_read_json(page)):
        found.append(f"{page}: {', '.join(DISABLED_PLUGINS)} should be disabled and locked")
    return found


def install_settings(prefix: Path | str = sys.prefix) -> list[Path]:
    """Write the JupyterLab overrides and the lab extension, merge the nbconvert priority; returns
    the files (and extension folder) written."""
    written = []
    lab = lab_settings_path(prefix)
    if _read_json(lab) != LAB_OVERRIDES:
        lab.parent.mkdir(parents=True, exist_ok=True)
        lab.write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n", encoding="utf-8")
        written.append(lab)
    if not _labextension_current(prefix):
        extension = labextension_path(prefix)
        shutil.rmtree(extension, ignore_errors=True)  # a stale build's files would linger
        for rel in labextension_files():
            (extension / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PACKAGED_LABEXTENSION / rel, extension / rel)
        written.append(extension)
    nbc = nbconvert_config_path(prefix)
    config = _read_json(nbc)
    if _nbconvert_priority(config) != HTML_PRIORITY:
        section = config
        for key in NBCONVERT_KEYS[:-1]:
            section = section.setdefault(key, {})
        section[NBCONVERT_KEYS[-1]] = list(HTML_PRIORITY)
        nbc.parent.mkdir(parents=True, exist_ok=True)
        nbc.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        written.append(nbc)
    page = page_config_path(prefix)
    config = _read_json(page)
    if not _plugins_off(config):
        for key in ("disabledExtensions", "lockedExtensions"):
            section = config.setdefault(key, {})
            section.update(dict.fromkeys(DISABLED_PLUGINS, True))
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        written.append(page)
    return written


def course_notebooks(root: Path = ROOT) -> list[Path]:
    found = []
    for folder in TRUSTED_DIRS:
        found += sorted(p for p in (root / folder).glob("*.ipynb"))
    return found


def trust(paths) -> int:
    """Sign notebooks for the current user (what "Trust Notebook" does); returns how many."""
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    signed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
            signed += 1
    return signed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidebyside jupyter-setup",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report what is missing; write nothing")
    parser.add_argument("--no-trust", action="store_true", help="leave notebook trust alone")
    parser.add_argument("--prefix", default=sys.prefix, help="environment to set up (default: this)")
    args = parser.parse_args(argv)
    if args.check:
        missing = problems(args.prefix)
        for p in missing:
            print(f"✘ {p}")
        if not missing:
            print("✔ JupyterLab saves widget state (and keeps it when a reopened notebook is "
                  "saved), news and update checks are off, "
                  "HTML export shows graph pictures, no Validate button on lessons")
        return 1 if missing else 0
    for path in install_settings(args.prefix):
        print(f"wrote {path}")
    if not args.no_trust:
        notebooks = course_notebooks()
        signed = trust(notebooks)
        print(f"trusted {signed} of {len(notebooks)} course notebooks (the rest already were)")
    return 0
