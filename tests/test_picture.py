"""The static picture every graph output carries (sidebyside.picture), and how views display it."""

from __future__ import annotations

import base64
import io

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from PIL import Image

from sidebyside.graph.samples import mlp_graph
from sidebyside.notebooks import WIDGET_VIEW, widget_state_problems
from sidebyside.picture import CAPTION, MAX_BOXES, boxes_and_links, layers, render_png


def doc(nodes, edges, groups=()):
    return {"nodes": [{"id": i, "op": op, "label": i, "kind": kind, "group": group}
                      for i, op, kind, group in nodes],
            "edges": [{"source": s, "target": t} for s, t in edges], "groups": list(groups)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data)).size


def test_a_collapsed_group_is_one_box_and_links_are_deduplicated():
    d = doc([("x", "input", "input", None), ("a", "Linear", "op", "block"),
             ("b", "ReLU", "op", "block"), ("y", "out", "output", None)],
            [("x", "a"), ("x", "b"), ("a", "b"), ("b", "y")],
            [{"id": "block", "label": "block", "parent": None}])
    boxes, links = boxes_and_links(d, ["block"])
    assert [b["label"] for b in boxes] == ["x", "block", "y"]
    assert boxes[1]["kind"] == "group" and boxes[1]["sub"] == "2 nodes"
    assert links == [(0, 1), (1, 2)]  # x->block once, no block->block self link
    open_boxes, open_links = boxes_and_links(d, [])
    assert len(open_boxes) == 4 and len(open_links) == 4


def test_layers_put_a_weight_beside_its_consumer_not_on_top():
    # x -> op1 -> op2 -> op3, and weight w feeds op3 only
    rows = layers(5, [(0, 1), (1, 2), (2, 3), (4, 3)], inputs=[0])
    depth = {i: d for d, row in enumerate(rows) for i in row}
    assert [depth[i] for i in range(4)] == [0, 1, 2, 3]
    assert depth[4] == 2


def test_layers_are_iterative_on_a_deep_chain_and_survive_a_cycle():
    n = 5000
    rows = layers(n, [(i, i + 1) for i in range(n - 1)], inputs=[0])
    assert len(rows) == n
    rows = layers(3, [(0, 1), (1, 2), (2, 1)], inputs=[0])
    assert sorted(i for row in rows for i in row) == [0, 1, 2]


def test_render_png_draws_a_real_graph_and_a_caption_that_says_how_to_get_the_live_view():
    g = mlp_graph(3).to_dict()
    small = png_size(render_png(g, (), "mlp"))
    big = png_size(render_png(mlp_graph(12).to_dict(), (), "mlp 12"))
    assert big[1] > small[1] > 100  # taller graph, taller picture
    assert "trusted" in CAPTION and "run the cell" in CAPTION


def test_render_png_of_an_empty_or_huge_graph_is_still_a_picture():
    assert png_size(render_png({"nodes": [], "edges": []}, (), "empty"))[0] > 0
    n = MAX_BOXES + 1
    huge = doc([(f"n{i}", "op", "op", None) for i in range(n)], [])
    assert png_size(render_png(huge, (), "huge"))[0] > 0


@pytest.fixture(scope="module")
def executed():
    """A real kernel displays a live view, a finished view and a side-by-side row."""
    nb = new_notebook(cells=[
        new_code_cell("from sidebyside.graph.samples import mlp_graph\n"
                      "from sidebyside.widget import GraphView, side_by_side\n"
                      "live = GraphView(title='live')\nlive"),
        new_code_cell("live.show(mlp_graph(3))\n"
                      "side_by_side(GraphView(mlp_graph(1), title='one'), live)"),
        new_code_cell("print(live)"),
        new_code_cell("from IPython.display import display\n"
                      "grown = GraphView(title='grown')\ndisplay(grown)\n"
                      "grown.append([{'id': 'a', 'op': 'A'}, {'id': 'b', 'op': 'B'}],\n"
                      "             [{'source': 'a', 'target': 'b'}])\n"
                      "grown.flush()"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    return nb


def output_bundle(nb, cell: int) -> dict:
    (output,) = [o for o in nb.cells[cell].outputs if WIDGET_VIEW in o.get("data", {})]
    return output["data"]


def test_a_displayed_view_carries_widget_picture_and_text(executed):
    data = output_bundle(executed, 1)
    assert set(data) >= {WIDGET_VIEW, "image/png", "text/plain"}
    assert data["text/plain"].startswith("SideBySide(GraphView('one'")
    width, _ = png_size(base64.b64decode(data["image/png"]))
    single = png_size(base64.b64decode(output_bundle(executed, 0)["image/png"]))[0]
    assert width > single  # two views side by side
    assert widget_state_problems(executed) == []


def test_a_view_changed_by_a_later_cell_gets_its_picture_redrawn(executed):
    data = output_bundle(executed, 0)
    # the first display showed an empty view; after cell 2 filled it, the same output was updated
    _, height = png_size(base64.b64decode(data["image/png"]))
    assert height > 300, "the picture still shows the empty graph"
    assert data["text/plain"] == "GraphView('live': 0 nodes, 0 edges)"  # as first shown (nbval)
    now = executed.cells[2].outputs[0]["text"]
    assert now.startswith("GraphView('live': ") and "0 nodes" not in now


def test_nbformat_accepts_the_executed_notebook(executed):
    nbformat.validate(executed)


def test_live_appends_reach_the_saved_widget_state(executed):
    """Appends travel as messages; after the cell they are folded into the saved `graph` trait,
    so a reopened notebook draws the grown graph, not an empty one."""
    model_id = output_bundle(executed, 3)[WIDGET_VIEW]["model_id"]
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    graph = state[model_id]["state"]["graph"]
    assert [n["id"] for n in graph["nodes"]] == ["a", "b"]
    assert [(e["source"], e["target"]) for e in graph["edges"]] == [("a", "b")]


def test_boxes_list_folded_parameters_and_repeated_blocks():
    d = doc([("x", "input", "input", None), ("conv", "Conv2d", "op", "layer1/0"),
             ("conv2", "Conv2d", "op", "layer1/1")], [("x", "conv"), ("conv", "conv2")],
            [{"id": "layer1", "label": "layer1 (Sequential)"},
             {"id": "layer1/0", "label": "0 (BasicBlock)", "parent": "layer1",
              "repeat": {"count": 2, "index": 0}},
             {"id": "layer1/1", "label": "1 (BasicBlock)", "parent": "layer1",
              "repeat": {"count": 2, "index": 1}}])
    d["nodes"][1]["params"] = [{"name": "weight", "kind": "param", "shape": [16, 3, 3, 3]}]
    boxes, _ = boxes_and_links(d, [])
    assert boxes[1]["sub"] == "Conv2d · weight [16, 3, 3, 3]"
    boxes, _ = boxes_and_links(d, ["layer1/0", "layer1/1"])
    assert [b["sub"] for b in boxes[1:]] == ["1 node · 1 of 2 alike", "1 node · 2 of 2 alike"]
    assert [b["label"] for b in boxes[1:]] == ["layer1/0 (BasicBlock)", "layer1/1 (BasicBlock)"]
