"""TensorFlow adapters on small known functions: tf.function graphs with If/While subgraphs,
trace history, tf.compat.v1 graphs and GradientTape graphs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from sidebyside.graph import (  # noqa: E402
    Graph,
    GraphTooLargeError,
    UnsupportedInputError,
    from_tape,
    from_tf_function,
    from_tf_graph,
    trace_history,
)


@tf.function
def branchy(x):
    if tf.reduce_sum(x) > 0:  # AutoGraph: a tensor condition becomes an If op
        y = x * 2.0
    else:
        y = x - 1.0
    i = tf.constant(0)
    while i < 3:  # ... and a tensor loop a While op
        y = y + 1.0
        i += 1
    return y


def test_tf_function_control_flow_subgraphs():
    g = from_tf_function(branchy, tf.TensorSpec([None, 3]))
    assert g.source == "tf_function" and g.framework == "tensorflow"
    control = g.find(kind="control")
    assert [(n.id, n.op) for n in control] == [("cond", "StatelessIf"), ("while", "StatelessWhile")]
    assert control[0].subgraphs == ["cond/then", "cond/else"]
    assert control[1].subgraphs == ["while/cond", "while/body"]
    assert sorted(g.subgraphs) == ["cond/else", "cond/then", "while/body", "while/cond"]
    assert g.subgraphs["cond/then"].ops(plumbing=False) == ["Mul"]
    assert g.subgraphs["cond/else"].ops(plumbing=False) == ["Sub"]
    assert g.subgraphs["while/cond"].ops(plumbing=False) == ["Less"]
    assert g.subgraphs["while/body"].ops(plumbing=False) == ["AddV2", "AddV2", "AddV2"]
    # branch bodies keep shapes (function_def_to_graph, private, with the If op's input shapes)
    assert g.subgraphs["cond/then"].find(kind="input")[0].shape == [None, 3]
    assert g.find(kind="input")[0].shape == [None, 3]
    assert [n.op for n in g.find(kind="output")] == ["Identity"]
    assert g.counters["traces"] >= 1
    back = Graph.from_json(g.to_json())
    assert back.subgraphs["cond/then"].ops() == g.subgraphs["cond/then"].ops()


def test_captured_variable_is_a_named_param_and_plumbing_hides():
    w = tf.Variable(tf.ones([3, 2]), name="w")

    def dense(x):
        return tf.matmul(x, w)

    g = from_tf_function(dense, tf.ones([2, 3]))
    assert [(n.kind, n.label) for n in g.nodes if n.kind in ("input", "param")] == [
        ("input", "x"), ("param", "w")]
    assert [n.op for n in g.nodes if n.plumbing] == ["ReadVariableOp", "NoOp"]
    s = g.simplified()
    assert s.summary() == "4 nodes (1 input, 1 param, 1 op, 1 output), 3 edges · raw 6 · shown 4"
    w_node = s.find(kind="param")[0]
    assert (w_node.shape, w_node.dtype) == ([3, 2], "float32")  # the variable, not "[] resource"
    param = s.find(kind="param")[0].id
    assert s.successors(param) == ["MatMul"]
    assert s.find(op="MatMul")[0].shape == [2, 2]


def test_name_scopes_become_groups():
    @tf.function
    def f(x):
        with tf.name_scope("layer1"):
            with tf.name_scope("inner"):
                y = x * 3.0
        return y + 1.0

    g = from_tf_function(f, tf.ones([2]))
    assert g.find(op="Mul")[0].group == "layer1/inner"
    assert {gr.id: gr.parent for gr in g.groups} == {"layer1": None, "layer1/inner": "layer1"}


def test_trace_history_counts_retraces_and_names_the_call():
    th = trace_history(lambda x, n: x * n)
    th(tf.ones([2]), 2)
    th(tf.ones([2]), 3)  # a new Python value: retrace
    th(tf.ones([2]), 3)  # same signature: no retrace
    th(tf.ones([3]), 3)  # a new shape: retrace
    assert th.count == 3 and th.calls == 4
    assert [(t.call, t.signature) for t in th.traces] == [
        (1, "(float32[2], int 2)"), (2, "(float32[2], int 3)"), (4, "(float32[3], int 3)")]
    assert th.summary() == "4 calls, 3 traces"


def test_trace_history_relaxed_shape_stops_retracing():
    f = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec([None])])
    th = trace_history(f)
    for n in (1, 2, 3):
        th(tf.ones([n]))
    assert th.count == 0 or th.count == 1  # traced once at most (maybe before, via the signature)
    assert th.calls == 3


def test_tf_v1_graph_with_placeholders():
    with tf.Graph().as_default() as graph:
        a = tf.compat.v1.placeholder(tf.float32, [None, 3], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [None, 3], name="b")
        tf.add(a * b, a, name="c")
    g = from_tf_graph(graph)
    assert g.source == "tf_v1"
    assert [(n.id, n.op, n.kind) for n in g.nodes] == [
        ("a", "Placeholder", "input"), ("b", "Placeholder", "input"), ("mul", "Mul", "op"),
        ("c", "AddV2", "output")]
    assert [(e.source, e.target) for e in g.edges] == [("a", "mul"), ("b", "mul"), ("mul", "c"),
                                                       ("a", "c")]
    assert g.node("a").shape == [None, 3]
    with pytest.raises(UnsupportedInputError, match="needs a tf.Graph"):
        from_tf_graph("not a graph")


def test_tape_forward_and_gradient_ops():
    w = tf.Variable([[1.0], [2.0], [3.0]], name="w")

    def loss(x):
        return tf.reduce_sum(tf.square(tf.matmul(x, w)))

    g = from_tape(loss, tf.ones([2, 3]))
    assert g.source == "tape"
    grad = [n for n in g.nodes if n.attrs["phase"] == "gradient"]
    assert grad and any(n.id.startswith("gradient_tape/") for n in grad)
    fwd_ops = [n.op for n in g.nodes if n.attrs["phase"] == "forward" and n.kind == "op"
               and not n.plumbing]
    assert fwd_ops == ["MatMul", "Square", "Sum"]
    assert sorted(n.op for n in grad if n.op == "MatMul") == ["MatMul", "MatMul"]  # dL/dx, dL/dw
    # forward: ReadVariableOp, MatMul, Square, Sum; the return's NoOp belongs to neither phase
    assert g.meta["gradient_ops"] == 6 and g.meta["forward_ops"] == 4
    assert len(g.find(kind="output")) == 3  # loss, dL/dx, dL/dw
    assert [n.label for n in g.find(kind="param")] == ["w"]


def test_tape_gradient_ops_outside_the_gradient_tape_scope():
    # z = (x + y) + x*y: x and y each get two gradient paths, summed by AddN ops that TF creates outside
    # the gradient_tape/ scope; they are gradient ops all the same.
    g = from_tape(lambda x, y: (x + y) + x * y, tf.constant(2.0), tf.constant(3.0))
    phase = {n.id: n.attrs["phase"] for n in g.nodes}
    assert [n.op for n in g.nodes if phase[n.id] == "forward" and n.kind == "op"] == [
        "AddV2", "Mul", "AddV2"]
    addn = [n for n in g.nodes if n.op == "AddN"]
    assert len(addn) == 2 and all(phase[n.id] == "gradient" for n in addn)
    assert all(phase[n.id] == "output" for n in g.nodes if n.op == "Identity")
    assert g.meta["forward_ops"] == 3 and g.meta["gradient_ops"] == 4


def test_tf_max_nodes_guard():
    with pytest.raises(GraphTooLargeError, match="max_nodes=3"):
        from_tf_function(branchy, tf.TensorSpec([None, 3]), max_nodes=3)


def test_lifted_constant_is_plumbing():
    big = tf.ones([100, 3])  # a captured eager tensor becomes a placeholder fed from outside

    def f(x):
        return x + big

    g = from_tf_function(f, tf.ones([100, 3]))
    lifted = [n for n in g.nodes if n.plumbing]
    assert [(n.op, n.kind) for n in lifted] == [("Placeholder", "const")]
    assert g.simplified().summary() == "3 nodes (1 input, 1 op, 1 output), 2 edges · raw 4 · shown 3"
