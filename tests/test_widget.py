"""GraphView on the Python side: synced state, serialisation, the simplified toggle, throttled live
appends (never a full resend), clicks coming back from the browser, huge graphs, reprs.

Messages to the browser are captured by replacing the widget's `_send` (ipywidgets' one exit for
both state updates and custom messages); messages from the browser are fed to `_handle_msg` in the
exact form the front end's comm delivers them.
"""

from __future__ import annotations

import json
import time

import pytest

from sidebyside.graph.model import Edge, Graph, Node
from sidebyside.widget import (
    MAX_VISIBLE_NODES,
    STATIC,
    GraphView,
    default_collapsed,
    side_by_side,
    visible_count,
)


def z_graph() -> Graph:
    """z = (x + y) + x * y, with one plumbing Identity between x and the add (as TF graphs have)."""
    g = Graph(name="z = (x+y) + x*y", framework="tensorflow", source="tf_function")
    g.nodes = [
        Node("x", "Placeholder", "x", "input", shape=[2], dtype="float32", device="/CPU:0"),
        Node("y", "Placeholder", "y", "input", shape=[2], dtype="float32", device="/CPU:0"),
        Node("id", "Identity", "x/read", "op", plumbing=True, shape=[2], dtype="float32"),
        Node("add", "AddV2", "add", "op", shape=[2], dtype="float32"),
        Node("mul", "Mul", "mul", "op", shape=[2], dtype="float32"),
        Node("z", "AddV2", "z", "output", shape=[2], dtype="float32"),
    ]
    g.edges = [
        Edge("x", "id", [2], "float32"),
        Edge("id", "add", [2], "float32"),
        Edge("y", "add", [2], "float32"),
        Edge("x", "mul", [2], "float32"),
        Edge("y", "mul", [2], "float32"),
        Edge("add", "z", [2], "float32"),
        Edge("mul", "z", [2], "float32"),
    ]
    g.counters = {"traces": 2, "recompiles": 0, "graph_breaks": 0}
    return g


def capture(view):
    """Record everything the view sends to the browser: (method, payload) pairs."""
    sent = []

    def _send(msg, buffers=None):
        sent.append((msg["method"], msg.get("state") or msg.get("content")))

    view._send = _send
    return sent


def from_browser(view, **data):
    view._handle_msg({"content": {"data": data}, "buffers": []})


def chain_doc(n, group_size=None, levels=1):
    """n nodes in a chain; with group_size, grouped as g<k> (and g<k>/s<j> when levels=2)."""
    nodes, edges, groups = [], [], []
    for i in range(n):
        group = None
        if group_size:
            top = f"g{i // group_size}"
            if not any(g["id"] == top for g in groups):
                groups.append({"id": top, "label": top, "parent": None})
            group = top
            if levels == 2:
                sub = f"{top}/s{(i % group_size) // 10}"
                if not any(g["id"] == sub for g in groups):
                    groups.append({"id": sub, "label": sub, "parent": top})
                group = sub
        nodes.append({"id": f"n{i}", "op": "relu", "kind": "op", "group": group})
        if i:
            edges.append({"source": f"n{i - 1}", "target": f"n{i}"})
    return {"name": f"chain {n}", "nodes": nodes, "edges": edges, "groups": groups}


# ---- state and serialisation ---------------------------------------------------------------------
def test_synced_traits_and_bundle():
    view = GraphView(z_graph(), title="tf")
    state = view.get_state()
    for key in ("graph", "title", "simplified", "collapse_above", "collapsed", "counters",
                "highlight", "selected", "message", "max_nodes", "height", "full_width",
                "presenter", "_esm", "_css"):
        assert key in state, key
    # The canvas sizes itself by default; the presenter option is off unless asked for.
    assert state["height"] == 0 and state["presenter"] is False and state["full_width"] is False
    assert GraphView(z_graph(), presenter=True).get_state()["presenter"] is True
    assert state["title"] == "tf" and state["simplified"] is True
    assert state["counters"] == {"traces": 2, "recompiles": 0, "graph_breaks": 0}
    assert state["selected"] is None and state["highlight"] is None
    # Each view carries the tiny loader; the engine (the committed bundle, inlined: nothing is
    # fetched from a CDN) is one shared widget that every view references.
    assert state["_esm"] == (STATIC / "loader.js").read_text()
    assert len(state["_esm"]) < 2000
    other = GraphView()
    assert view._engine is other._engine
    assert state["_engine"] == "IPY_MODEL_" + view._engine.model_id
    assert view._engine.get_state()["_esm"] == (STATIC / "graphview.js").read_text()
    json.dumps(state["graph"])  # the document travels as plain JSON


def test_graph_serialised_into_model_accepts_graph_dict_and_json():
    g = z_graph()
    for source in (g, g.to_dict(), g.to_json()):
        view = GraphView(source, simplified=False)
        assert view.graph["schema"] == "sidebyside.graph/1"
        assert [n["id"] for n in view.graph["nodes"]] == [n.id for n in g.nodes]
        assert view.graph["edges"][0] == {"source": "x", "target": "id", "shape": [2],
                                          "dtype": "float32"}
        assert view.graph["nodes"][0]["device"] == "/CPU:0"
    # A hand-built minimal dict gets every schema field filled in.
    view = GraphView({"name": "tiny", "nodes": [{"id": "a", "op": "relu"}], "edges": []})
    node = view.graph["nodes"][0]
    assert node["kind"] == "op" and node["label"] == "relu" and node["plumbing"] is False


def test_show_replaces_graph_and_bumps_epoch():
    view = GraphView()
    assert repr(view) == "GraphView('graph': 0 nodes, 0 edges)"
    epoch = view._epoch
    view.show(z_graph())
    assert view._epoch == epoch + 1
    assert view.node_count == 5


# ---- simplified view -----------------------------------------------------------------------------
def test_simplified_toggle_resends_simplified_or_raw():
    view = GraphView(z_graph())
    sent = capture(view)
    ids = [n["id"] for n in view.graph["nodes"]]
    assert "id" not in ids  # the Identity is plumbing: hidden by default
    pairs = {(e["source"], e["target"]) for e in view.graph["edges"]}
    assert ("x", "add") in pairs  # the edge bypasses it
    # One simplification: the view sends exactly what Graph.folded() (the default view) gives.
    assert view.graph == Graph.from_dict(view.document).folded().to_dict()

    from_browser(view, method="update", state={"simplified": False}, buffer_paths=[])
    assert "id" in [n["id"] for n in view.graph["nodes"]]
    assert ("x", "id") in {(e["source"], e["target"]) for e in view.graph["edges"]}
    assert any(m == "update" and "graph" in p for m, p in sent)
    assert repr(view) == "GraphView('z = (x+y) + x*y': 6 nodes, 7 edges)"
    view.simplified = True
    assert repr(view) == "GraphView('z = (x+y) + x*y': 5 nodes, 6 edges · raw 6 · shown 5)"
    assert view.graph["meta"]["raw_node_count"] == 6  # the header's "raw N"


def test_lenient_documents_use_the_same_simplification_as_graph_simplified():
    doc = z_graph().to_dict()
    doc["schema"] = "not-validated"  # Graph.from_dict would reject it; the view reads it leniently
    view = GraphView(doc)
    reference = z_graph().simplified().to_dict()
    assert [n["id"] for n in view.graph["nodes"]] == [n["id"] for n in reference["nodes"]]
    assert sorted((e["source"], e["target"]) for e in view.graph["edges"]) == sorted(
        (e["source"], e["target"]) for e in reference["edges"])


# ---- live appends --------------------------------------------------------------------------------
def test_append_is_batched_and_never_resends_the_graph():
    view = GraphView({"name": "live", "nodes": [{"id": "x", "op": "x", "kind": "input"}],
                      "edges": []})
    view.append_interval = 60.0  # no timer fires during the test: only flush() sends the rest
    sent = capture(view)
    view.append([Node("a0", "relu")], [Edge("x", "a0")])  # leading edge: sent at once
    for i in range(1, 50):
        view.append([{"id": f"a{i}", "op": "relu"}], [{"source": f"a{i - 1}", "target": f"a{i}"}])
    customs = [p for m, p in sent if m == "custom"]
    assert len(customs) == 1 and [n["id"] for n in customs[0]["batches"][0]["nodes"]] == ["a0"]
    view.flush()
    customs = [p for m, p in sent if m == "custom"]
    assert len(customs) == 2
    batch = customs[1]["batches"][0]
    assert [n["id"] for n in batch["nodes"]] == [f"a{i}" for i in range(1, 50)]
    assert len(batch["edges"]) == 49 and customs[1]["type"] == "append"
    assert customs[1]["epoch"] == view._epoch
    # Only the new items travelled: the `graph` trait was never re-sent.
    assert not any(m == "update" and "graph" in p for m, p in sent)
    assert view.graph["nodes"] == [view.document["nodes"][0]]
    assert view.node_count == 51 and len(view.document["nodes"]) == 51
    view.flush()
    assert len([p for m, p in sent if m == "custom"]) == 2  # nothing pending: nothing sent


def test_append_trailing_timer_flushes():
    view = GraphView()
    view.append_interval = 0.05
    sent = capture(view)
    view.append([{"id": "a", "op": "relu"}])
    view.append([{"id": "b", "op": "relu"}], [{"source": "a", "target": "b"}])
    deadline = time.monotonic() + 5
    while len([1 for m, _ in sent if m == "custom"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    nodes = [n["id"] for m, p in sent if m == "custom" for b in p["batches"] for n in b["nodes"]]
    assert nodes == ["a", "b"]


def test_append_in_simplified_mode_bypasses_plumbing_and_declares_groups():
    view = GraphView()
    view.append_interval = 0
    sent = capture(view)
    view.append([{"id": "x", "op": "x", "kind": "input"},
                 {"id": "i", "op": "Identity", "plumbing": True},
                 {"id": "r", "op": "relu", "group": "enc/l1"}],
                [{"source": "x", "target": "i"}, {"source": "i", "target": "r", "shape": [3]}])
    batch = [p for m, p in sent if m == "custom"][0]["batches"][0]
    assert [n["id"] for n in batch["nodes"]] == ["x", "r"]
    assert batch["edges"] == [{"source": "x", "target": "r", "shape": [3], "dtype": None}]
    assert [g["id"] for g in batch["groups"]] == ["enc", "enc/l1"]
    assert len(view.document["nodes"]) == 3  # the raw document keeps the plumbing
    view.simplified = False
    assert [n["id"] for n in view.graph["nodes"]] == ["x", "i", "r"]


def test_toggle_while_appends_are_pending_sends_them_in_the_full_graph():
    view = GraphView()
    view.append_interval = 60.0
    sent = capture(view)
    view.append([{"id": "a", "op": "relu"}])  # sent at once
    view.append([{"id": "b", "op": "relu"}])  # pending
    view.simplified = False
    assert [n["id"] for n in view.graph["nodes"]] == ["a", "b"]
    view.flush()
    assert len([p for m, p in sent if m == "custom"]) == 1  # b was not sent twice


def test_new_browser_view_gets_appended_batches_replayed():
    view = GraphView()
    view.append_interval = 0
    view.append([{"id": "a", "op": "relu"}])
    view.append([{"id": "b", "op": "relu"}])
    sent = capture(view)
    from_browser(view, method="custom", content={"type": "ready", "view": "v1",
                                                  "epoch": view._epoch})
    (reply,) = [p for m, p in sent if m == "custom"]
    assert reply["view"] == "v1"
    assert [b["nodes"][0]["id"] for b in reply["batches"]] == ["a", "b"]


# ---- clicks and stepping -------------------------------------------------------------------------
def test_click_in_browser_sets_selected_and_calls_back():
    view = GraphView(z_graph())
    seen = []
    view.on_select(seen.append)
    # What the front end sends when a node is clicked: model.set("selected", id); save_changes()
    from_browser(view, method="update", state={"selected": "mul"}, buffer_paths=[])
    assert view.selected == "mul"
    assert view.selected_node["op"] == "Mul"
    assert seen == [view.node("mul")]
    from_browser(view, method="update", state={"selected": None}, buffer_paths=[])
    assert seen[-1] is None


def test_step_highlights():
    view = GraphView(z_graph())
    view.step("add")
    assert view.highlight == "add" and view.get_state()["highlight"] == "add"
    view.step("z")
    assert view.steps == ["add", "z"]


def test_step_through_fx_highlights_each_node():
    torch = pytest.importorskip("torch")
    from sidebyside.graph.torch_fx import from_fx

    def f(x, y):
        return (x + y) + x * y

    gm = torch.fx.symbolic_trace(f)
    x, y = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    from sidebyside.widget import step_through

    view = GraphView(from_fx(gm, x, y))
    out = step_through(gm, x, y, view=view)
    assert torch.equal(out, f(x, y))
    assert view.steps == [n.name for n in gm.graph.nodes]
    assert view.highlight == "output"


# ---- big graphs ----------------------------------------------------------------------------------
def test_large_graph_collapses_groups_by_default():
    doc = chain_doc(400, group_size=40)
    view = GraphView(doc)
    assert view.collapsed == [f"g{i}" for i in range(10)]
    assert visible_count(view.graph["nodes"], view.graph["groups"], view.collapsed) == 10
    assert view.message == ""
    small = GraphView(chain_doc(100, group_size=40))
    assert small.collapsed == []  # under collapse_above: everything open


def test_collapse_picks_deepest_level_that_fits():
    doc = chain_doc(400, group_size=100, levels=2)  # 4 groups, each with 10 subgroups of 10 nodes
    nodes = [dict(n) for n in doc["nodes"]]
    assert default_collapsed(nodes, doc["groups"], 150) == sorted(
        f"g{i}/s{j}" for i in range(4) for j in range(10))
    assert default_collapsed(nodes, doc["groups"], 20) == ["g0", "g1", "g2", "g3"]


def test_huge_graph_is_refused_with_a_message():
    # The limit is 10,000 visible nodes (the browser lays out in a worker and draws in slices).
    assert MAX_VISIBLE_NODES == 10_000
    assert GraphView(chain_doc(5000)).message == ""  # refused before, drawable now
    view = GraphView(chain_doc(10_500))
    assert view.graph["nodes"] == [] and view.graph["meta"]["refused"] is True
    assert "Too large to draw" in view.message and "10500" in view.message
    assert repr(view) == "GraphView('chain 10500': 10500 nodes, 10499 edges (too large to draw))"
    grouped = GraphView(chain_doc(10_500, group_size=300))  # collapses to 35 boxes: drawable
    assert grouped.message == "" and len(grouped.collapsed) == 35


def test_live_growth_past_the_limit_is_refused():
    view = GraphView(max_nodes=10)
    view.append_interval = 0
    sent = capture(view)
    view.append([{"id": f"a{i}", "op": "relu"} for i in range(8)])
    view.append([{"id": f"b{i}", "op": "relu"} for i in range(8)])
    assert "Too large to draw" in view.message and view.graph["nodes"] == []
    view.append([{"id": "c", "op": "relu"}])
    assert len([p for m, p in sent if m == "custom"]) == 1  # nothing more is sent once refused


# ---- reprs and layout helpers --------------------------------------------------------------------
def test_repr_and_side_by_side():
    left = GraphView(z_graph(), title="TensorFlow")
    right = GraphView(z_graph().simplified(), title="PyTorch")
    assert repr(left) == "GraphView('TensorFlow': 5 nodes, 6 edges · raw 6 · shown 5)"
    bundle = left._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle  # anywidget adds metadata
    assert data["text/plain"] == repr(left)  # what nbval compares for a widget output
    box = side_by_side(left, right)
    assert box.children == (left, right)
    assert left.layout.flex == "1 1 0%"
    # Too narrow for two readable panels (e.g. 1024 px with the side bar open): they wrap.
    assert left.layout.min_width == "320px" and box.layout.flex_flow == "row wrap"
    assert repr(box) == f"SideBySide({left!r} | {right!r})"


# ---- folding and raw counts ------------------------------------------------------------------------
def test_default_view_folds_params_and_the_option_keeps_them():
    g = Graph(name="dense", nodes=[Node("x", "x", kind="input"),
                                   Node("w", "w", kind="param", shape=[3, 2], dtype="float32"),
                                   Node("mm", "MatMul")],
              edges=[Edge("x", "mm"), Edge("w", "mm")])
    view = GraphView(g)
    assert [n["id"] for n in view.graph["nodes"]] == ["x", "mm"]
    assert view.graph["nodes"][1]["params"] == [
        {"id": "w", "name": "w", "kind": "param", "shape": [3, 2], "dtype": "float32"}]
    assert view.graph["meta"]["raw_node_count"] == 3
    assert repr(view) == "GraphView('dense': 2 nodes, 1 edges · raw 3 · shown 2)"
    view.fold = False
    assert [n["id"] for n in view.graph["nodes"]] == ["x", "w", "mm"]
    assert GraphView(g, fold=False).node_count == 3


def test_live_append_folds_params_and_reports_raw_counts():
    view = GraphView()
    view.append_interval = 0
    sent = capture(view)
    view.append([{"id": "x", "op": "x", "kind": "input"},
                 {"id": "w", "op": "w", "kind": "param", "shape": [4]},
                 {"id": "r", "op": "Identity", "plumbing": True},
                 {"id": "mm", "op": "mul"}],
                [{"source": "x", "target": "mm"}, {"source": "w", "target": "r"},
                 {"source": "r", "target": "mm"}])
    batch = [p for m, p in sent if m == "custom"][0]["batches"][0]
    assert [n["id"] for n in batch["nodes"]] == ["x", "mm"]
    assert [p["id"] for p in batch["nodes"][1]["params"]] == ["w"]
    assert [(e["source"], e["target"]) for e in batch["edges"]] == [("x", "mm")]
    assert (batch["raw_node_count"], batch["raw_edge_count"]) == (4, 3)
    assert view.node_count == 2 and len(view.document["nodes"]) == 4
    view.fold = False  # a full resend with the option off shows the raw param
    assert [n["id"] for n in view.graph["nodes"]] == ["x", "w", "mm"]


def test_a_lone_wrapper_group_is_opened():
    nodes = [{"id": f"n{i}", "group": f"model/l{i // 10}"} for i in range(400)]
    groups = [{"id": "model", "parent": None}] + [
        {"id": f"model/l{j}", "parent": "model"} for j in range(40)]
    # One box ("model") says nothing: its 40 layers show even though collapse_above is 20.
    assert default_collapsed(nodes, groups, 20) == sorted(f"model/l{j}" for j in range(40))


def test_view_doc_is_what_a_view_sends():
    from sidebyside.widget import simplify_doc, view_doc

    assert view_doc(z_graph()) == GraphView(z_graph()).graph
    assert simplify_doc(z_graph().to_dict()) == z_graph().simplified().to_dict()
