"""Graph capture: one framework-free graph document, one adapter per way of getting a graph.

    from sidebyside.graph import from_autograd, from_fx, compile_capture, from_export
    from sidebyside.graph import from_tf_function, trace_history, from_tf_graph, from_tape
    from sidebyside.graph import record_torch, record_tf, Graph

The document (`sidebyside.graph.model`, JSON schema "sidebyside.graph/1")
-------------------------------------------------------------------------
Graph(name, framework, source, nodes, edges, groups, subgraphs, counters, meta)
    framework "torch" | "tensorflow" | "numpy"; source "autograd" | "fx" | "compile" | "export" |
    "tf_function" | "tf_v1" | "tape" | "live_torch" | "live_tf" | "manual".
    .nodes  [Node(id, op, label, kind, group, shape, dtype, device, plumbing, subgraphs, attrs)]
            kind: "input" | "param" | "const" | "op" | "control" | "output"; plumbing=True for
            Identity / NoOp / ReadVariableOp / lifted constants / getitem ... (the simplified view
            hides them); subgraphs: keys into graph.subgraphs ("cond/then", "while/body", ...).
    .edges  [Edge(source, target, shape, dtype)]  data flows source -> target.
    .groups [Group(id, label, parent, type, repeat)]  modules ("enc/0", label "0 (Linear)", type
            "Linear"), Keras layers and name scopes; every op sits in the innermost module / layer
            call that ran it: a module called twice is two groups ("pool", "pool@2", labelled
            "pool (MaxPool2d, call 2)"); repeat {"key", "index", "count"} marks a chain of
            identical sibling blocks, each feeding the next (a view folds it into one box).
    .subgraphs {key: Graph}  control-flow bodies (If/While/Case, torch.cond), same schema.
    .counters {"traces", "recompiles", "graph_breaks"};  .meta {}: adapter extras.
    .native  the framework object it came from (GraphModule, ExportedProgram, ConcreteFunction,
             tf.Graph, grad_fn); never serialised.
    Methods: to_dict() / from_dict(d), to_json() / from_json(s) (from_* validate and raise
    GraphSchemaError naming the bad field), validate(), simplified(fold=False) (new Graph without
    plumbing; edges bypass it), folded() (also params/consts folded into their consumers'
    node.params, GraphView's default view), mark_repeats(), summary() ("5 nodes (2 input, 3 op),
    6 edges[, 2 subgraphs][ · raw N · shown M]"), raw_and_shown(), node_count,
    edge_count, find(op=None, *, kind=None, label=None, group=None) -> [Node], node(id), ops(),
    predecessors(id), successors(id).
    MAX_NODES (50,000): adapters raise GraphTooLargeError beyond it (max_nodes= overrides per call).
    UnsupportedInputError: input an adapter cannot capture (e.g. a tensor without grad_fn).

PyTorch
-------
from_autograd(tensor, *, module=None, names=None, name=None, max_nodes=None) -> Graph
from_autograd(model, *inputs, ...) -> Graph   (runs model(*inputs) with module hooks)
    The autograd graph behind tensor.grad_fn: ops are backward functions (AddBackward0 ...),
    leaves (AccumulateGrad) are inputs/params named from names={"x": x}, module.named_parameters
    (grouped by module path) or the caller's variable names. No grad_fn -> UnsupportedInputError.
    Given the model and its inputs, every op is grouped by the innermost module that ran it.
from_fx(fn_or_module, *example_inputs, name=None, concrete_args=None, max_nodes=None) -> Graph
    torch.fx.symbolic_trace; with example inputs, ShapeProp shapes. Node ids = FX node names.
    A data-dependent `if` raises torch.fx.proxy.TraceError (not wrapped: it is the lesson).
compile_capture(fn, backend="aot_eager", *, dynamic=None, fullgraph=False, name=None)
    -> CompileCapture; call it like fn. .graphs (one Graph per FX graph dynamo captured, with
    meta["break_reason"] / ["break_where"] / ["ended_by"] / ["compile_id"]), .graph (all of them in
    one Graph: top-level "CompiledGraph" groups, meta["breaks"] with full reasons and user lines),
    .breaks, .subscribe(cb) (GraphView(capture) stays live), .graph_breaks (short reasons),
    .recompiles (int), .recompile_reasons, .counters, .calls, .summary(),
    .explain(*args) -> Explanation(graph_count, graph_break_count, break_reasons, op_count,
    graphs) via torch._dynamo.explain (which resets dynamo's caches). backend "eager" returns
    gm.forward; other names are delegated to torch._dynamo.lookup_backend(backend).
from_export(module_or_fn, args, kwargs=None, *, dynamic_shapes=None, strict=False, name=None)
    torch.export.export: params/buffers/constants from the graph signature, nn_module_stack groups,
    torch.cond branches as subgraphs "<cond node>/true" and "/false" (while_loop: "/cond", "/body").

TensorFlow
----------
from_tf_function(fn, *args_or_tensorspecs, name=None, max_nodes=None, **kwargs) -> Graph
    The concrete-function graph (a plain function is wrapped in tf.function). Node ids = op names;
    groups = Keras layers (typed) for the layers reachable from fn, its arguments or the caller's
    variables, else name scopes; If/While/Case/PartitionedCall bodies are subgraphs "<op>/then", "/else",
    "/cond", "/body", "/branch0", "/f"; captured variables are params named like the variable;
    counters["traces"] = the function's tracing count.
trace_history(tf_function) -> TraceHistory; call it like the function. .count (traces seen),
    .traces [Trace(call, signature, count)], .calls, .summary() ("5 calls, 4 traces").
from_tf_graph(graph, *, outputs=None, name=None, max_nodes=None) -> Graph   (source "tf_v1")
    A tf.Graph built with tf.compat.v1.placeholder; Placeholders are inputs, variables params.
from_tape(fn, *args, name=None, max_nodes=None) -> Graph   (source "tape")
    y = fn(*args) and tape.gradient(y, tensor args + watched variables), traced in a tf.function;
    gradient ops (under `gradient_tape/`) get attrs["phase"] = "gradient", others "forward";
    meta["forward_ops"], meta["gradient_ops"].

Live recording (context managers; `with record_torch(view) as g:` -> g is the Graph being built)
-----------------------------------------------------------------------------------------------
record_torch(view=None, *, module=None, names=None, interval=0.1, max_nodes=None, name=None)
    Eager torch calls via TorchFunctionMode; op nodes carry attrs["grad_fn"]; .backward() is a
    "control" node; module forward hooks give groups for modules found in the caller's variables.
record_tf(view=None, *, names=None, interval=0.1, max_nodes=None, name=None)
    Eager TF ops via a (private) op callback, always removed on exit; a tf.function call is one
    node labelled with the function's name (attrs["function"] = True). Ops are grouped by the
    Keras layer (name scope) that ran them.
    Both: view.append(nodes, edges[, groups]) gets lists of node/edge dicts at most every `interval`
    seconds and at exit (never the whole graph again); view.show(empty graph) on entry, and
    view.flush() on exit if the view has them. Past max_nodes recording stops with a
    RuntimeWarning and g.meta["truncated"]; recorder errors go to recorder.errors, never the cell.

Comparing two graphs
--------------------
align(left, right) -> Alignment   (sidebyside.graph.align): pairs the steps of two captures of one
    computation (PyTorch vs Keras, eager vs export, tf.function vs tape) by op class
    (graph.opclasses), layout-normalised shape, layer path and data flow; .pairs [(left, right,
    confidence, why)], .only_left / .only_right [(id, op, why)], .differences [(kind, text, left,
    right)] with kind "model" | "translation" | "note", .summary(), .rate(), .partner(id),
    .explain(id), .group_pairs. Steps are compute units (graph.units: plumbing and weight
    preparation absorbed, a bias joined to its matmul, an unfused BatchNorm one step); layer
    settings the document lacks (padding, BatchNorm eps/momentum) come from graph.native
    (graph.op_facts).

Samples
-------
sidebyside.graph.samples.mlp_graph(n_nodes=50, *, width=8) -> Graph   autograd graph of a seeded
    MLP with about n_nodes nodes (5 per layer + 1); samples.mlp_model(layers, width).

Transforms (`sidebyside.graph.transform`): Simplifier(plumbing=True, fold=False) with feed(nodes,
edges) for live batches and apply(graph) for whole graphs (what simplified()/folded() and GraphView
use: one implementation, iterative); mark_repeats(graph).

Lower level (for other adapters and benchmarks): torch_fx.fx_to_graph(gm, source=..., name=...),
tf_function.tf_graph_to_graph(tf_graph, source=..., name=...), tf_function.concrete_graph(cf, ...).

Importing sidebyside.graph imports neither framework; each adapter imports its own on first use.
Private framework hooks stay inside one adapter each, with a test: grad_fn._input_metadata
(torch_autograd), dynamo's compile_subgraph_reason / dynamo_compile_id / guard_failures / explain
(torch_compile), function_def_to_graph (tf_function), op_callbacks (live_tf).
"""

from sidebyside.graph.model import (
    COUNTER_KEYS,
    KINDS,
    MAX_NODES,
    SCHEMA,
    SOURCES,
    Edge,
    Graph,
    GraphSchemaError,
    GraphTooLargeError,
    Group,
    Node,
    UnsupportedInputError,
    validate,
)


def from_autograd(tensor, *inputs, **kwargs):
    # The caller's variable names label the leaves: look them up here, one frame up.
    import torch

    from sidebyside.graph._common import caller_objects
    from sidebyside.graph.torch_autograd import from_autograd as _f

    kwargs["_caller_names"] = caller_objects(
        lambda v: isinstance(v, torch.Tensor) and v.requires_grad, depth=1
    )
    return _f(tensor, *inputs, **kwargs)


def from_fx(fn_or_module, *example_inputs, **kwargs):
    from sidebyside.graph.torch_fx import from_fx as _f

    return _f(fn_or_module, *example_inputs, **kwargs)


def compile_capture(fn, backend: str = "aot_eager", **kwargs):
    from sidebyside.graph.torch_compile import compile_capture as _f

    return _f(fn, backend, **kwargs)


def from_export(module, args=(), kwargs=None, **options):
    from sidebyside.graph.torch_export import from_export as _f

    return _f(module, args, kwargs, **options)


def from_tf_function(fn, *args, **kwargs):
    from sidebyside.graph.tf_function import from_tf_function as _f

    return _f(fn, *args, **kwargs)


def trace_history(tf_function):
    from sidebyside.graph.tf_trace import trace_history as _f

    return _f(tf_function)


def from_tf_graph(graph, **kwargs):
    from sidebyside.graph.tf_v1 import from_tf_graph as _f

    return _f(graph, **kwargs)


def from_tape(fn, *args, **kwargs):
    from sidebyside.graph.tf_tape import from_tape as _f

    return _f(fn, *args, **kwargs)


def align(left, right):
    from sidebyside.graph.align import align as _f

    return _f(left, right)


def record_torch(view=None, **kwargs):
    from sidebyside.graph.live_torch import TorchRecorder

    return TorchRecorder(view, **kwargs)


def record_tf(view=None, **kwargs):
    from sidebyside.graph.live_tf import TFRecorder

    return TFRecorder(view, **kwargs)


__all__ = [
    "COUNTER_KEYS",
    "KINDS",
    "MAX_NODES",
    "SCHEMA",
    "SOURCES",
    "Edge",
    "Graph",
    "GraphSchemaError",
    "GraphTooLargeError",
    "Group",
    "Node",
    "UnsupportedInputError",
    "validate",
    "from_autograd",
    "from_fx",
    "compile_capture",
    "from_export",
    "from_tf_function",
    "trace_history",
    "from_tf_graph",
    "from_tape",
    "record_torch",
    "record_tf",
    "align",
]
