"""The GraphView front end's parts, one module each under widgets/js/src/view/ (drawing, zoom and
pan, culling, live catch-up, legend, details panel, compile strip, header and busy state), tested
in node without a browser: tests/js/*.test.mjs, run in one node process by tests/js/all.mjs.

What the parts do together in a real page is tests/test_widget_bundle.py (chromium) and
tests/test_browser.py (JupyterLab).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "js"
MODULES = ROOT / "widgets" / "js" / "src" / "view"
NODE = shutil.which("node")


def test_every_view_module_has_its_tests():
    modules = {p.stem for p in MODULES.glob("*.js")}
    tested = {p.name.removesuffix(".test.mjs") for p in TESTS.glob("*.test.mjs")}
    assert modules and modules <= tested, f"untested view modules: {sorted(modules - tested)}"


@pytest.mark.skipif(NODE is None, reason="node is not installed (make system-deps)")
def test_view_modules_in_node():
    run = subprocess.run([NODE, "--test-reporter=spec", str(TESTS / "all.mjs")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "\u2714" in out or "pass" in out, out[-2000:]
