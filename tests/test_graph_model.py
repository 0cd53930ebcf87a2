"""The graph document: schema "sidebyside.graph/1", round trips, validation, simplification."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sidebyside.graph import (
    MAX_NODES,
    SCHEMA,
    Edge,
    Graph,
    GraphSchemaError,
    GraphTooLargeError,
    Group,
    Node,
)
from sidebyside.graph.model import GraphBuilder
from sidebyside.graph.transform import Simplifier, mark_repeats


def sample() -> Graph:
    """x, w -> read (plumbing) -> matmul -> identity (plumbing) -> out, with an If subgraph."""
    then = Graph(name="then", framework="tensorflow", source="tf_function",
                 nodes=[Node("a", "Placeholder", kind="input"), Node("b", "Mul"),
                        Node("c", "Identity", kind="output")],
                 edges=[Edge("a", "b", [2], "float32"), Edge("b", "c", [2], "float32")])
    return Graph(
        name="demo",
        framework="tensorflow",
        source="tf_function",
        nodes=[
            Node("x", "Placeholder", "x", "input", None, [None, 3], "float32"),
            Node("w", "Placeholder", "w", "param", "dense", [3, 2], "resource"),
            Node("read", "ReadVariableOp", kind="op", group="dense", plumbing=True),
            Node("mm", "MatMul", "matmul", "op", "dense/inner", [None, 2], "float32", "cpu"),
            Node("id", "Identity", plumbing=True),
            Node("if", "If", kind="control", subgraphs=["if/then"], attrs={"then": "f_1"}),
            Node("out", "Identity", "out", "output"),
        ],
        edges=[
            Edge("x", "mm", [None, 3], "float32"),
            Edge("w", "read"),
            Edge("read", "mm", [3, 2], "float32"),
            Edge("mm", "id", [None, 2], "float32"),
            Edge("id", "if", [None, 2], "float32"),
            Edge("if", "out", [None, 2], "float32"),
        ],
        groups=[Group("dense", "dense"), Group("dense/inner", "inner", "dense"), Group("unused")],
        subgraphs={"if/then": then},
        counters={"traces": 2, "recompiles": 0, "graph_breaks": 0},
        meta={"note": "hand-built"},
    )


def test_schema_fields_are_stable():
    d = sample().to_dict()
    assert d["schema"] == SCHEMA == "sidebyside.graph/1"
    assert list(d) == ["schema", "name", "framework", "source", "nodes", "edges", "groups",
                       "subgraphs", "counters", "meta"]
    assert list(d["nodes"][0]) == ["id", "op", "label", "kind", "group", "shape", "dtype",
                                   "device", "plumbing", "subgraphs", "attrs"]
    assert list(d["edges"][0]) == ["source", "target", "shape", "dtype"]
    assert d["groups"][1] == {"id": "dense/inner", "label": "inner", "parent": "dense"}
    assert d["counters"] == {"traces": 2, "recompiles": 0, "graph_breaks": 0}
    assert d["nodes"][2]["label"] == "ReadVariableOp"  # label defaults to op
    assert d["subgraphs"]["if/then"]["schema"] == SCHEMA


def test_json_round_trip():
    g = sample()
    text = g.to_json()
    back = Graph.from_json(text)
    assert back == g
    assert back.to_json() == text
    assert Graph.from_dict(json.loads(text)).subgraphs["if/then"].node_count == 3
    assert back.native is None


def test_summary_find_and_counts():
    g = sample()
    # The default view (plumbing hidden, w folded into matmul) shows 4: said as in the view header.
    assert g.summary() == ("7 nodes (1 input, 1 param, 3 op, 1 control, 1 output), 6 edges, "
                           "1 subgraphs · raw 7 · shown 4")
    assert (g.node_count, g.edge_count) == (7, 6)
    assert [n.id for n in g.find(op="Identity")] == ["id", "out"]
    assert [n.id for n in g.find(op=("MatMul", "If"))] == ["mm", "if"]
    assert [n.id for n in g.find(kind="output")] == ["out"]
    assert [n.id for n in g.find(group="dense")] == ["w", "read"]
    assert g.predecessors("mm") == ["x", "read"] and g.successors("mm") == ["id"]
    assert Graph().summary() == "0 nodes, 0 edges"
    with pytest.raises(KeyError, match="no node with id 'nope'"):
        g.node("nope")


def test_simplified_bypasses_plumbing():
    g = sample()
    s = g.simplified()
    assert [n.id for n in s.nodes] == ["x", "w", "mm", "if", "out"]
    assert [(e.source, e.target) for e in s.edges] == [
        ("x", "mm"), ("w", "mm"), ("mm", "if"), ("if", "out")]
    assert [gr.id for gr in s.groups] == ["dense", "dense/inner"]  # "unused" dropped
    assert s.subgraphs["if/then"].node_count == 3
    assert g.node_count == 7  # the original is untouched
    s.validate()


def test_simplified_chain_of_plumbing_and_dedup():
    g = Graph(nodes=[Node("a", "A"), Node("i1", "Identity", plumbing=True),
                     Node("i2", "Identity", plumbing=True), Node("b", "B")],
              edges=[Edge("a", "i1"), Edge("i1", "i2"), Edge("a", "i2"), Edge("i2", "b")])
    s = g.simplified()
    assert [(e.source, e.target) for e in s.edges] == [("a", "b")]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(schema="sidebyside.graph/0"), r"\$\.schema: expected 'sidebyside"),
        (lambda d: d.pop("nodes"), r"at \$: missing key 'nodes'"),
        (lambda d: d["nodes"][0].update(kind="banana"), r"nodes\[0\]\.kind: 'banana' is not one"),
        (lambda d: d["nodes"][1].update(id="x"), r"nodes\[1\]\.id: duplicate node id 'x'"),
        (lambda d: d["edges"][0].update(target="ghost"), r"edges\[0\]\.target: unknown node"),
        (lambda d: d["nodes"][0].update(group="nowhere"), r"nodes\[0\]\.group: unknown group"),
        (lambda d: d["nodes"][0].update(shape=[2, 1.5]), r"nodes\[0\]\.shape\[1\]"),
        (lambda d: d["nodes"][0].update(plumbing="no"), r"nodes\[0\]\.plumbing: expected bool"),
        (lambda d: d.update(framework="jax"), r"framework: 'jax' is not one of"),
        (lambda d: d["groups"][0].update(parent="dense/inner"), r"groups form a cycle"),
        (lambda d: d["nodes"][5].update(subgraphs=["if/else"]), r"unknown subgraph 'if/else'"),
        (lambda d: d["counters"].update(traces="2"), r"counters\.traces: expected an int"),
        (lambda d: d["nodes"][2].update(params=[{"name": "w"}]), r"nodes\[2\]\.params\[0\]: missing"),
        (lambda d: d["nodes"][2].update(params=[{"name": "w", "kind": "param", "shape": [1.5]}]),
         r"params\[0\]\.shape\[0\]"),
        (lambda d: d["groups"][0].update(type=3), r"groups\[0\]\.type: expected str or null"),
        (lambda d: d["groups"][0].update(repeat={"key": "k", "index": "0", "count": 2}),
         r"groups\[0\]\.repeat: expected"),
        (lambda d: d["subgraphs"]["if/then"]["nodes"][0].update(kind="x"),
         r"subgraphs\['if/then'\]\.nodes\[0\]\.kind"),
    ],
)
def test_validation_names_the_problem(mutate, message):
    d = sample().to_dict()
    mutate(d)
    with pytest.raises(GraphSchemaError, match=message):
        Graph.from_dict(d)


def test_from_json_rejects_non_json():
    with pytest.raises(GraphSchemaError, match="not a JSON graph document"):
        Graph.from_json("{nodes: [")
    with pytest.raises(GraphSchemaError, match="expected an object, got list"):
        Graph.from_json("[]")


def test_symbolic_and_unknown_dims_are_valid():
    g = Graph(nodes=[Node("a", "A", shape=[None, "s0", 3])], edges=[])
    assert Graph.from_json(g.to_json()).nodes[0].shape == [None, "s0", 3]


def test_max_nodes_guard_has_a_clear_message():
    b = GraphBuilder(Graph(), max_nodes=2, what="the test graph")
    b.add_node(Node(b.new_id(), "A"))
    b.add_node(Node(b.new_id(), "B"))
    with pytest.raises(GraphTooLargeError, match=r"the test graph has more than max_nodes=2 "
                                                  r"nodes.*pass max_nodes="):
        b.add_node(Node(b.new_id(), "C"))
    assert MAX_NODES >= 1000


def test_builder_declares_nested_groups_once():
    g = Graph()
    b = GraphBuilder(g)
    assert b.group("a/b/c") == "a/b/c"
    assert b.group("a/b") == "a/b"
    assert b.group(None) is None
    assert [(x.id, x.label, x.parent) for x in g.groups] == [
        ("a", "a", None), ("a/b", "b", "a"), ("a/b/c", "c", "a/b")]


def test_importing_the_package_imports_no_framework():
    code = ("import sys, sidebyside.graph, sidebyside.graph.samples; "
            "print('torch' in sys.modules, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---- folding, incremental simplification, repeats --------------------------------------------------
def test_folded_lists_params_in_their_consumer_and_round_trips():
    f = sample().folded()
    assert [n.id for n in f.nodes] == ["x", "mm", "if", "out"]
    assert f.node("mm").params == [{"id": "w", "name": "w", "kind": "param", "shape": [3, 2],
                                    "dtype": "resource"}]
    assert [(e.source, e.target) for e in f.edges] == [("x", "mm"), ("mm", "if"), ("if", "out")]
    assert f.meta["raw_node_count"] == 7 and f.meta["raw_edge_count"] == 6
    doc = f.to_dict()
    assert doc["nodes"][1]["params"][0]["shape"] == [3, 2]
    assert "params" not in doc["nodes"][0]  # optional: absent when empty (old documents stay valid)
    assert Graph.from_dict(json.loads(f.to_json())).node("mm").params == f.node("mm").params
    # Folding without simplifying folds into the plumbing read; a const used twice folds twice.
    assert sample().folded(simplify=False).node("read").params[0]["id"] == "w"
    g = Graph(nodes=[Node("c", "Const", kind="const", shape=[]), Node("a", "Add"), Node("b", "Mul")],
              edges=[Edge("c", "a"), Edge("c", "b"), Edge("a", "b")])
    f2 = g.folded()
    assert [n.id for n in f2.nodes] == ["a", "b"] and [p["id"] for p in f2.node("b").params] == ["c"]
    lonely = Graph(nodes=[Node("w", "W", kind="param", shape=[2]), Node("a", "A")]).folded()
    assert [n.id for n in lonely.nodes] == ["a"]  # nothing reads w: not drawn, listed instead
    assert lonely.meta["unused"] == [{"id": "w", "name": "W", "kind": "param", "shape": [2],
                                      "dtype": None}]


def _random_graph(seed: int, n: int = 200) -> Graph:
    import random

    rnd = random.Random(seed)
    nodes, edges = [], []
    for i in range(n):
        r = rnd.random()
        kind, plumbing = ("param", False) if r < 0.2 else ("op", r < 0.5)
        nodes.append(Node(f"n{i}", "Identity" if plumbing else "Op", kind=kind, plumbing=plumbing))
        if kind != "param":
            for j in rnd.sample(range(i), min(i, rnd.randint(1, 3))):
                edges.append(Edge(f"n{j}", f"n{i}"))
    return Graph(nodes=nodes, edges=edges)


@pytest.mark.parametrize("seed", range(5))
def test_incremental_simplification_matches_the_whole_graph(seed):
    """Live appends: the same Simplifier fed batch by batch (each op arriving with its inputs, as
    the recorders send them) shows what simplified() shows for the whole graph, in any edge order."""
    import random

    g = _random_graph(seed)
    whole = g.simplified()
    simp = Simplifier()
    nodes, edges, i = [], [], 0
    rnd = random.Random(seed)
    by_target: dict = {}
    for e in g.edges:
        by_target.setdefault(e.target, []).append(e)
    while i < len(g.nodes):
        batch = g.nodes[i:i + rnd.randint(1, 20)]
        i += len(batch)
        batch_edges = [e for n in batch for e in by_target.get(n.id, [])]
        rnd.shuffle(batch_edges)  # order-independent within what it has seen
        out_nodes, out_edges = simp.feed(batch, batch_edges)
        nodes += out_nodes
        edges += out_edges
    assert [n.id for n in nodes] == [n.id for n in whole.nodes]
    # (Parallel edges may differ in count with arrival order; which pairs are linked may not.)
    assert {(e.source, e.target) for e in edges} == {(e.source, e.target) for e in whole.edges}
    # Folded too: params fold into consumers fed in the same batch.
    whole_f = g.folded()
    simp = Simplifier(fold=True)
    out = simp.feed(g.nodes, list(reversed(g.edges)))
    unused = {p["id"] for p in whole_f.meta.get("unused", [])}  # only the whole graph knows
    out = ([n for n in out[0] if n.id not in unused], out[1])
    assert [n.id for n in out[0]] == [n.id for n in whole_f.nodes]
    assert {n.id: sorted(p["id"] for p in n.params) for n in out[0]} == {
        n.id: sorted(p["id"] for p in n.params) for n in whole_f.nodes}


def test_a_param_whose_consumer_arrives_later_is_shown_as_a_node():
    simp = Simplifier(fold=True)
    assert [n.id for n in simp.feed([Node("w", "W", kind="param")], [])[0]] == ["w"]
    nodes, edges = simp.feed([Node("mm", "MatMul")], [Edge("w", "mm")])
    assert [n.id for n in nodes] == ["mm"] and nodes[0].params == []
    assert [(e.source, e.target) for e in edges] == [("w", "mm")]
    # Folded in its batch, then used again by a later op: that op lists it too.
    simp = Simplifier(fold=True)
    simp.feed([Node("v", "V", kind="param"), Node("a", "A")], [Edge("v", "a")])
    nodes, edges = simp.feed([Node("b", "B")], [Edge("v", "b")])
    assert [p["id"] for p in nodes[0].params] == ["v"] and edges == []


def _blocks(chained: bool) -> Graph:
    """m/b0, m/b1, m/b2 alike, then m/c (another type) and m/b3 (other ops); chained: each block's
    last op feeds the next block's first op."""
    g = Graph()
    b = GraphBuilder(g)
    last = None
    for blk, ops in (("m/b0", "AB"), ("m/b1", "AB"), ("m/b2", "AB"), ("m/c", "AB"), ("m/b3", "AC")):
        gid = b.group(blk, type_of=lambda p: "Block" if "/b" in p else "Other")
        for i, op in enumerate(ops):
            node = b.add_node(Node(b.new_id(), op, group=gid))
            if last is not None and (chained or i > 0):
                b.add_edge(last, node.id)
            last = node.id
        last = last if chained else None
    return g


def test_mark_repeats_finds_runs_of_identical_siblings():
    g = _blocks(chained=True)
    mark_repeats(g)
    reps = {gr.id: gr.repeat for gr in g.groups}
    assert [reps[f"m/b{i}"]["index"] for i in range(3)] == [0, 1, 2]
    assert {reps[f"m/b{i}"]["count"] for i in range(3)} == {3}
    assert reps["m/c"] is None and reps["m/b3"] is None and reps["m"] is None
    assert len({reps[f"m/b{i}"]["key"] for i in range(3)}) == 1
    g.validate()


def test_look_alike_blocks_that_do_not_feed_each_other_are_no_family():
    g = _blocks(chained=False)
    mark_repeats(g)
    assert [gr.id for gr in g.groups if gr.repeat] == []


def _imports(module) -> set[str]:
    """Every sidebyside module a module imports, at its top or inside a function."""
    import ast
    import importlib

    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("sidebyside")}


@pytest.mark.parametrize("low, high", [("sidebyside.graph.transform", "sidebyside.graph.model"),
                                       ("sidebyside.picture", "sidebyside.widget")])
def test_no_import_circle(low, high):
    """model.py builds on transform.py and widget.py on picture.py, never the other way round:
    each can be read (and imported) without the other."""
    assert low in _imports(high)
    assert high not in _imports(low)
