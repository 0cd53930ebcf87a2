"""The graph document: schema "sidebyside.graph/1", round trips, validation, simplification."""

import json
import subprocess
import sys

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
