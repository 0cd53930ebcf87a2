"""The lab extension sidebyside-lab (widgets/labext): its committed build is current, pip and
`sidebyside jupyter-setup` install it where JupyterLab finds prebuilt extensions, and this
environment's JupyterLab lists it enabled and OK.

What it does in a real JupyterLab (saving a reopened notebook keeps its widget state; reopening
does not mark it unsaved) is tests/test_notebook_lifecycle.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from sidebyside import jupyter_env
from sidebyside.jupyter_env import (
    LABEXTENSION,
    LABEXTENSION_BUILD_RECORD,
    PACKAGED_LABEXTENSION,
    install_settings,
    labextension_files,
    labextension_path,
    problems,
)

SOURCE = jupyter_env.ROOT / "widgets" / "labext"
NAME = "sidebyside-lab"


def source_hash() -> str:
    """What widgets/labext/build.mjs records: SHA-256 over every file of the source folder
    (node_modules aside), each as "<path>\\n<length>\\n<bytes>", paths sorted."""
    digest = hashlib.sha256()
    paths = sorted(p.relative_to(SOURCE).as_posix() for p in SOURCE.rglob("*")
                   if p.is_file() and "node_modules" not in p.relative_to(SOURCE).parts)
    for rel in paths:
        data = (SOURCE / rel).read_bytes()
        digest.update(f"{rel}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def test_committed_build_comes_from_the_current_source():
    for rel in ("package.json", "package-lock.json", "build.mjs", "src/index.js"):
        assert (SOURCE / rel).exists(), rel
    recorded = (PACKAGED_LABEXTENSION / LABEXTENSION_BUILD_RECORD).read_text().strip()
    assert recorded == source_hash(), (
        "widgets/labext changed since its build: run `make labext` and commit "
        "widgets/sidebyside/labextension/")


def test_the_hash_changes_with_any_source_byte(tmp_path, monkeypatch):
    """The staleness check can fail: one changed byte, or a new file, changes the hash."""
    copy = tmp_path / "labext"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("node_modules"))
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", copy)
    original = source_hash()
    index = copy / "src" / "index.js"
    index.write_bytes(index.read_bytes().replace(b"IPY_MODEL_", b"IPY_MODEL-", 1))
    edited = source_hash()
    assert edited != original
    (copy / "src" / "extra.js").write_text("export {};\n")
    assert source_hash() not in (original, edited)


def test_build_is_a_prebuilt_extension_for_jupyterlab_4():
    meta = json.loads((PACKAGED_LABEXTENSION / "package.json").read_text())
    assert meta["name"] == NAME
    load = meta["jupyterlab"]["_build"]["load"]
    assert re.fullmatch(r"static/remoteEntry\.[0-9a-f]+\.js", load), load
    assert (PACKAGED_LABEXTENSION / load).exists()
    install = json.loads((PACKAGED_LABEXTENSION / "install.json").read_text())
    assert install["packageName"] == "sidebyside"
    # Nothing bundled from elsewhere: the plugin imports nothing, and stays small.
    size = sum((PACKAGED_LABEXTENSION / f).stat().st_size for f in labextension_files())
    assert size < 20_000, size


def test_pip_installs_every_file_of_the_build():
    """pyproject's data-files put the build under {prefix}/share/jupyter/labextensions (pip,
    Binder, a JupyterHub image); package-data carries it too, for jupyter-setup."""
    pyproject = tomllib.loads((jupyter_env.ROOT / "pyproject.toml").read_text())
    data_files = pyproject["tool"]["setuptools"]["data-files"]
    installed = set()
    for target, sources in data_files.items():
        if target.startswith(str(LABEXTENSION)):
            for pattern in sources:
                for path in jupyter_env.ROOT.glob(pattern):
                    installed.add(f"{target}/{path.name}")
    assert installed == {f"{LABEXTENSION}/{f.as_posix()}" for f in labextension_files()}


def test_jupyter_setup_installs_replaces_and_reports_the_extension(tmp_path):
    extension = labextension_path(tmp_path)
    assert any("sidebyside-lab" in p for p in problems(tmp_path))
    assert extension in install_settings(tmp_path)
    assert not [p for p in problems(tmp_path) if "sidebyside-lab" in p]
    assert install_settings(tmp_path) == []
    # A stale build (an older remoteEntry left behind, a changed file) is replaced whole.
    (extension / "static" / "remoteEntry.0000.js").write_text("old")
    (extension / "package.json").write_text("{}")
    assert any("sidebyside-lab" in p for p in problems(tmp_path))
    assert extension in install_settings(tmp_path)
    assert not (extension / "static" / "remoteEntry.0000.js").exists()
    assert (extension / "package.json").read_bytes() == (
        PACKAGED_LABEXTENSION / "package.json").read_bytes()


def test_this_environments_jupyterlab_lists_it_enabled_and_ok():
    run = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                         capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    line = next((ln for ln in text.splitlines() if NAME in ln), None)
    assert line is not None, f"{NAME} not listed (run `make setup`):\n{text}"
    assert "enabled" in line and "OK" in line, line


# ---- the plugin's decisions, run by node on its source (no browser) ------------------------------
NODE_CHECKS = r"""
import assert from 'node:assert/strict';
import { referencedIds, withReferencedModels, sameJSON, kernelSpeaksToWidgets } from './index.mjs';

const ref = id => 'IPY_MODEL_' + id;
const model = (name, state) => ({ model_name: name, model_module: '@jupyter-widgets/controls',
                                  model_module_version: '2.0.0', state });
// What the notebook was opened with: a slider (layout, style), an Output widget showing a button
// (referenced by a nested widget-view output, not by IPY_MODEL_), and a model no output shows.
const opened = new Map(Object.entries({
  slider: model('IntSliderModel', { value: 3, layout: ref('lay'), style: ref('sty') }),
  lay: model('LayoutModel', {}), sty: model('SliderStyleModel', {}),
  out: model('OutputModel', { outputs: [{ output_type: 'display_data', data: {
    'application/vnd.jupyter.widget-view+json': { model_id: 'button', version_major: 2 } } }] }),
  button: model('ButtonModel', { layout: ref('lay2') }), lay2: model('LayoutModel', {}),
  orphan: model('IntSliderModel', { value: 9 }),
}));

// The manager wrote nothing (no live comm): everything the outputs reach comes back, no orphan.
const kept = withReferencedModels({}, ['slider', 'out'], opened);
assert.deepEqual(Object.keys(kept).sort(), ['button', 'lay', 'lay2', 'out', 'slider', 'sty']);
assert.equal(kept.slider, opened.get('slider'));

// A live model the manager wrote stays as written (newer), and its references are followed.
const live = { slider: model('IntSliderModel', { value: 7, layout: ref('lay'), style: ref('sty') }) };
const merged = withReferencedModels(live, ['slider'], opened);
assert.equal(merged.slider.state.value, 7);
assert.deepEqual(Object.keys(merged).sort(), ['lay', 'slider', 'sty']);

// Nothing missing: nothing to write. An id nobody remembers is skipped, not invented.
assert.equal(withReferencedModels({ ...kept }, ['slider', 'out'], opened), null);
assert.equal(withReferencedModels({}, ['never-saved'], opened), null);

// Reference cycles end.
const cyc = new Map([['a', model('BoxModel', { children: [ref('b')] })],
                     ['b', model('BoxModel', { children: [ref('a')] })]]);
assert.deepEqual(Object.keys(withReferencedModels({}, ['a'], cyc)).sort(), ['a', 'b']);
assert.deepEqual(referencedIds({ x: [ref('p'), 'IPY_MODELX', { y: ref('q') }] }).sort(), ['p', 'q']);

assert.ok(sameJSON({ a: [1, { b: null }], c: 'x' }, { c: 'x', a: [1, { b: null }] }));
assert.ok(!sameJSON({ a: [1, 2] }, { a: [2, 1] }));
assert.ok(!sameJSON({ a: 1 }, { a: 1, b: undefined }));
assert.ok(!sameJSON([], {}));

const msg = (type, data) => ({ header: { msg_type: type }, content: { data } });
assert.ok(kernelSpeaksToWidgets(msg('comm_open', {})));
assert.ok(kernelSpeaksToWidgets(msg('comm_msg', { method: 'update', state: { value: 4 } })));
assert.ok(kernelSpeaksToWidgets(msg('comm_msg', { method: 'update_states', states: { s: {} } })));
assert.ok(!kernelSpeaksToWidgets(msg('comm_msg', { method: 'update_states', states: {} })));
assert.ok(!kernelSpeaksToWidgets(msg('comm_close', {})));
assert.ok(!kernelSpeaksToWidgets(msg('stream', {})));
console.log('ok');
"""


def test_the_plugin_keeps_what_outputs_reach_and_nothing_else(tmp_path):
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed: the plugin's source cannot be run outside a browser")
    shutil.copy(SOURCE / "src" / "index.js", tmp_path / "index.mjs")  # an ES module, no imports
    (tmp_path / "checks.mjs").write_text(NODE_CHECKS)
    run = subprocess.run([node, "checks.mjs"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr

