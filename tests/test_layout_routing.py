"""The graph layout on real models, in node (no browser): edges routed around boxes, never through
them; boxes that share a parent never overlap; group labels never overlap.

tests/layout/real_docs.py captures the benchmark's real architectures (benchmarks/real_models.py:
ResNet-18 via from_autograd(model, x) and via fx, a small GPT-2 in torch and Keras, Keras MobileNetV2
via tf.function and via GradientTape) and writes the documents GraphView sends. For each,
tests/layout/layout_check.mjs runs the widget's own layout code (widgets/js/src: visible graph,
layout input, layoutRequest) with every group collapsed, at first sight, with each first-sight group
expanded as a click does, and with every group expanded, and checks the picture's geometry.

The JupyterLab round trip on the same kind of models is tests/test_browser.py; this test covers more
models and states in a few seconds of layout (the captures take about a minute).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "tests" / "layout" / "layout_check.mjs"
DOCS = ROOT / "tests" / "layout" / "real_docs.py"
NODE = shutil.which("node")
CAPTURES = ("resnet18-autograd", "resnet18-fx", "gpt2-torch-autograd", "mobilenetv2-tf-function",
            "mobilenetv2-tape", "gpt2-keras-tf-function")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (make system-deps)")


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("real-docs")
    run = subprocess.run([sys.executable, str(DOCS), str(out)], capture_output=True, text=True,
                         timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    return out


def check(path: Path) -> list[dict]:
    run = subprocess.run([NODE, str(CHECK), str(path)], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert run.returncode in (0, 1), run.stderr
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_the_checks_can_fail():
    run = subprocess.run([NODE, str(CHECK), "--self-test"], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["clean"] == [], out
    assert "x -> b1 crosses node a2" in out["nodeOnEdge"], out
    assert "group A overlaps group B" in out["boxOnBox"], out
    assert any("crosses group B" in b for b in out["boxOnBox"]), out
    assert out["labelOnLabel"] == ["label A overlaps label B"], out


@pytest.mark.parametrize("name", CAPTURES)
def test_real_model_layout_is_routed_and_overlap_free(docs, name):
    states = check(docs / f"{name}.json")
    names = [s["state"] for s in states]
    assert names[0] == "all collapsed" and names[1] == "first sight" and names[-1] == "all expanded"
    assert all(s["edges"] > 0 for s in states[1:]), states
    # Skip connections and other long edges really are there and bend around what is in the way.
    expanded = states[-1]
    assert expanded["segments"] > 2 * expanded["edges"], expanded
    bad = {s["state"]: s["bad"][:5] for s in states if s["problems"]}
    assert not bad, json.dumps(bad, indent=1)
