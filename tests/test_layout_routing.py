"""The graph layout on real models, in node (no browser): edges routed around boxes, never through
them; boxes that share a parent never overlap; group labels never overlap.

tests/layout/real_docs.py captures the benchmark's real architectures (benchmarks/real_models.py:
ResNet-18 via from_autograd(model, x) and via fx, a small GPT-2 in torch and Keras, Keras MobileNetV2
via tf.function and via GradientTape) and writes the documents GraphView sends. For each,
tests/layout/layout_check.mjs runs the widget's own layout code (widgets/js/src: visible graph,
layout input, layoutRequest) with every group collapsed, at first sight, with each first-sight group
expanded as a click does, and with every group expanded, and checks the picture's geometry.

Live growth: tests/layout/live_docs.py records a ResNet-18 forward and backward pass (record_torch)
and a Keras MobileNetV2 training step (record_tf) as a GraphView sends them, and
tests/layout/live_check.mjs replays the batches through the view's incremental placement
(widgets/js/src/placement.js) and edge routing (widgets/js/src/liveroute.js), checking after every
append that sibling group boxes do not overlap, no node sits on a box it is not in (nor one group
label on another), and no edge as drawn passes through a node or box that is not its own.

The JupyterLab round trip on the same kind of models is tests/test_browser.py; this test covers more
models and states in a few seconds of layout (the captures take about two minutes).
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
LIVE_CHECK = ROOT / "tests" / "layout" / "live_check.mjs"
LIVE_DOCS = ROOT / "tests" / "layout" / "live_docs.py"
NODE = shutil.which("node")
CAPTURES = ("resnet18-autograd", "resnet18-fx", "gpt2-torch-autograd", "mobilenetv2-tf-function",
            "mobilenetv2-tape", "gpt2-keras-tf-function")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (make system-deps)")


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    return write_docs(DOCS, tmp_path_factory.mktemp("real-docs"))


def write_docs(script: Path, out: Path) -> Path:
    run = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True,
                         timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def live_docs(tmp_path_factory):
    return write_docs(LIVE_DOCS, tmp_path_factory.mktemp("live-docs"))


def check(path: Path, script: Path = CHECK) -> list[dict]:
    # A hang detector, not a speed check: the MobileNetV2 replay takes about 2 minutes of CPU on a
    # quiet 2-core machine and passed 600 s with other work beside it.
    run = subprocess.run([NODE, str(script), str(path)], capture_output=True, text=True,
                         timeout=1800, cwd=ROOT)
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


def test_the_live_check_fails_on_edges_drawn_through_boxes(live_docs):
    """With the router switched off, new edges are drawn as curves, as before liveroute.js: they
    cross nodes and boxes, and the check must say so."""
    run = subprocess.run([NODE, str(LIVE_CHECK), "--no-router",
                          str(live_docs / "resnet18-record-torch.json")],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)
    assert result["edgeBatches"] > 0 and result["problems"] > 0, result
    assert any(" crosses " in b for b in result["bad"]), result


@pytest.mark.parametrize("name", ("resnet18-record-torch", "mobilenetv2-record-tf"))
def test_live_appends_keep_group_boxes_apart_and_edges_routed(live_docs, name):
    (result,) = check(live_docs / f"{name}.json", LIVE_CHECK)
    # ResNet-18 sends 72 nodes: 70 ops, the input and backward (its BatchNorm buffers fold into
    # their ops, as parameters do).
    assert result["batches"] >= 3 and result["nodes"] > 60, result
    # Most appends are placed without moving anything; only those with no free spot re-lay out.
    assert result["relayouts"] < result["batches"], result
    # Live-appended edges go around boxes too, after every batch (drawn as plain curves they
    # crossed nodes after 2 of 10 ResNet-18 batches and 372 of 561 MobileNetV2 ones).
    assert result["edgeBatches"] == 0, json.dumps(result["bad"], indent=1)
    assert result["problems"] == 0, json.dumps(result["bad"], indent=1)
