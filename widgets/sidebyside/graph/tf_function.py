"""TensorFlow graphs: a tf.function's concrete-function graph, and the converter shared by the other
TF adapters (tf.compat.v1 graphs, GradientTape graphs).

Control flow: tf.cond / tf.while_loop (and AutoGraph's `if` / `while` on tensors) become If / While ops
whose bodies are FunctionDefs in `graph.as_graph_def().library`, named by the attrs then_branch /
else_branch and cond / body. Each body becomes a subgraph "<op name>/then", "<op name>/body", ...

Private TF detail used here (covered by tests/test_graph_tf.py): function_def_to_graph turns a
FunctionDef back into a graph with shapes.
"""

from __future__ import annotations

import re

from sidebyside.graph._common import caller_objects, shape_list
from sidebyside.graph.keras_layers import (
    layer_scope,
    layer_types,
    layers_near,
    scope_label,
    scope_type,
    scopes_from_variables,
)
from sidebyside.graph.model import Graph, GraphBuilder, Node, UnsupportedInputError, gc_paused

PLUMBING_OPS = {"Identity", "IdentityN", "NoOp", "ReadVariableOp"}
CONTROL_OPS = {
    "If": ("then_branch", "else_branch"),
    "StatelessIf": ("then_branch", "else_branch"),
    "While": ("cond", "body"),
    "StatelessWhile": ("cond", "body"),
    "Case": None,
    "StatelessCase": None,
    "PartitionedCall": ("f",),
    "StatefulPartitionedCall": ("f",),
}
_BRANCH = {"then_branch": "then", "else_branch": "else", "cond": "cond", "body": "body", "f": "f"}
PARAM_OPS = {"VarHandleOp", "VariableV2", "Variable"}


def _dtype(t) -> str | None:
    try:
        return t.dtype.name
    except Exception:  # noqa: BLE001
        return None


def _shape(t):
    try:
        return shape_list(t.shape)
    except Exception:  # noqa: BLE001
        return None


def _library(graph) -> dict:
    return {f.signature.name: f for f in graph.as_graph_def().library.function}


def _function_graph(fdef, input_shapes):
    from tensorflow.python.framework import function_def_to_graph  # private

    try:
        return function_def_to_graph.function_def_to_graph(fdef, input_shapes=input_shapes)
    except Exception:  # noqa: BLE001 - shapes are a nicety; retry without them
        return function_def_to_graph.function_def_to_graph(fdef)


@gc_paused
def tf_graph_to_graph(
    tf_graph,
    *,
    source: str,
    name: str,
    max_nodes: int | None = None,
    library: dict | None = None,
    param_names: dict | None = None,
    lifted: set | None = None,
    outputs=None,
    depth: int = 0,
    layers: dict | None = None,
    variables: dict | None = None,
) -> Graph:
    """Convert a tf.Graph / FuncGraph. param_names: placeholder name -> variable name (captured
    variables); lifted: names of placeholders holding captured constants (plumbing); layers: Keras
    layer name -> class name (ops are then grouped by layer, see keras_layers); variables:
    placeholder name -> (shape, dtype) of the variable behind a resource handle."""
    g = Graph(name=name, framework="tensorflow", source=source)
    b = GraphBuilder(g, max_nodes, f"the {source} graph")
    library = _library(tf_graph) if library is None else library
    param_names = param_names or {}
    lifted = lifted or set()
    output_ops = {t.op.name for t in (outputs or [])}
    layers = layers or {}
    variables = variables or {}

    named = scopes_from_variables(param_names, layers)
    blocks = getattr(layers, "block_types", {})

    def known(path):  # the layer a group stands for, read off its variables (block groups skipped)
        if not named:
            return None
        path = "/".join(p for p in path.split("/") if p not in blocks)
        # The gradient of a layer runs in "gradient_tape/<the layer's scope>".
        return named.get(path) or named.get(path.removeprefix("gradient_tape/"))

    def label_of(path):
        hit = known(path)
        return f"{hit[0]} ({hit[1]})" if hit else scope_label(path, layers)

    def type_of(path):
        hit = known(path)
        return hit[1] if hit else scope_type(path, layers)

    ops = tf_graph.get_operations()
    b.ensure_room(len(ops))
    control_edges = 0
    op_names = {op.name for op in ops}
    for op in ops:
        t0 = op.outputs[0] if op.outputs else None
        label = op.name.rsplit("/", 1)[-1]
        scope = op.name.rsplit("/", 1)[0] if "/" in op.name else None
        while scope in op_names:  # "add/y" is a helper of op "add": same group as "add"
            scope = scope.rsplit("/", 1)[0] if "/" in scope else None
        scope = layer_scope(scope, layers)
        node = Node(
            op.name, op.type, label, "op", b.group(scope, label_of, type_of),
            _shape(t0) if t0 is not None else None,
            _dtype(t0) if t0 is not None else None, op.device or None,
            plumbing=op.type in PLUMBING_OPS,
        )
        if op.type == "Placeholder":
            if op.name in param_names:
                node.kind, node.label = "param", param_names[op.name]
                if op.name in variables:  # the variable's shape, not the handle's "[] resource"
                    node.shape, node.dtype = variables[op.name]
                    node.attrs["handle"] = "resource"
            elif op.name in lifted:
                node.kind, node.plumbing, node.label = "const", True, f"captured {label}"
            else:
                node.kind = "input"
        elif op.type in PARAM_OPS:
            node.kind = "param"
            node.label = op.name
            try:  # the variable's shape and dtype, not its handle's "[] resource"
                from tensorflow.python.framework import tensor_shape

                node.shape = shape_list(tensor_shape.TensorShape(op.get_attr("shape")))
                node.dtype = op.get_attr("dtype").name
            except (ValueError, TypeError, AttributeError):
                pass
        elif op.type == "Const":
            node.kind = "const"
        elif op.type in CONTROL_OPS:
            node.kind = "control"
            _add_subgraphs(g, node, op, library, source, b.max_nodes, depth, layers)
        if op.name in output_ops:
            node.kind, node.plumbing = "output", False
        b.add_node(node)
        for t in op.inputs:
            b.add_edge(t.op.name, op.name, _shape(t), _dtype(t))
        control_edges += len(op.control_inputs)
    g.meta["control_edges"] = control_edges
    return b.finish()


def _add_subgraphs(g: Graph, node: Node, op, library: dict, source: str, max_nodes, depth: int,
                   layers: dict):
    attrs = CONTROL_OPS[op.type]
    inputs = list(op.inputs)
    if op.type in ("If", "StatelessIf", "Case", "StatelessCase"):
        inputs = inputs[1:]  # the first input is the predicate / branch index
    input_shapes = [t.shape for t in inputs]
    names: list[tuple[str, str]] = []
    if attrs is None:  # Case: a list of branches
        for i, f in enumerate(op.get_attr("branches")):
            names.append((f"branch{i}", f.name))
    else:
        for a in attrs:
            try:
                names.append((_BRANCH[a], op.get_attr(a).name))
            except ValueError:
                continue
    for branch, fname in names:
        fdef = library.get(fname)
        if fdef is None or depth > 8:
            continue
        shapes = input_shapes if branch != "cond" or op.type.endswith("While") else None
        fg = _function_graph(fdef, shapes)
        key = f"{node.id}/{branch}"
        g.subgraphs[key] = tf_graph_to_graph(
            fg, source=source, name=f"{node.label}: {branch} ({fname})", max_nodes=max_nodes,
            library=library, outputs=list(fg.outputs), depth=depth + 1, layers=layers,
        )
        node.subgraphs.append(key)
        node.attrs[branch] = fname


def _as_tf_function(fn):
    import tensorflow as tf

    if hasattr(fn, "get_concrete_function"):
        return fn
    if not callable(fn):
        raise UnsupportedInputError(f"expected a tf.function or a Python function, got {fn!r}")
    return tf.function(fn)


def concrete_graph(cf, *, source: str, name: str, max_nodes=None, layers: dict | None = None) -> Graph:
    """Graph of a ConcreteFunction: captured variables become params named like the variables,
    with the variables' shapes; `layers` (name -> class) groups ops by Keras layer."""
    graph = cf.graph
    by_handle = {id(v.handle): v for v in graph.variables}
    param_names, lifted, variables = {}, set(), {}
    for external, internal in graph.captures:
        if id(external) in by_handle:
            var = by_handle[id(external)]
            param_names[internal.op.name] = getattr(var, "path", None) or var.name.split(":")[0]
            variables[internal.op.name] = (shape_list(var.shape), _dtype(var))
        elif _dtype(external) == "resource":
            param_names[internal.op.name] = internal.op.name
        else:
            lifted.add(internal.op.name)
    g = tf_graph_to_graph(graph, source=source, name=name, max_nodes=max_nodes,
                          param_names=param_names, lifted=lifted, outputs=list(cf.outputs),
                          layers=layers, variables=variables)
    _name_positional_inputs(g)
    g.native = cf
    return g


_ARGS = re.compile(r"^args_(\d+)$")


def _name_positional_inputs(g: Graph) -> None:
    """TF names the inputs of a function taking *args (a Keras model's __call__) "args_0",
    "args_1": call them what Keras calls them, "inputs" (or "inputs[0]", "inputs[1]", ...)."""
    found = [n for n in g.nodes if n.kind == "input" and _ARGS.match(n.label or "")]
    for n in found:
        n.label = "inputs" if len(found) == 1 else f"inputs[{_ARGS.match(n.label).group(1)}]"


def function_title(fn) -> str | None:
    """What the user calls the function being traced: its name, the Keras model a tf.function
    wraps ("sequential", not "tf.function"), or the model a lambda calls (not "<lambda>")."""
    inner = getattr(fn, "python_function", None)
    for obj in (fn, inner):
        if obj is not None and hasattr(obj, "_flatten_layers") and getattr(obj, "name", None):
            return str(obj.name)
    name = getattr(fn, "__name__", None) or getattr(inner, "__name__", None)
    if name and name not in ("<lambda>", "tf.function"):
        return name
    models = [v for v in layers_near(fn) if hasattr(v, "layers")] or layers_near(fn)
    if models:
        return str(models[0].name)
    return "lambda" if name == "<lambda>" else None


def keras_layers_of(fn, *args, depth: int = 2) -> dict:
    """Layer name -> class for the Keras layers reachable from fn, its arguments and the variables
    of the caller `depth` frames above this function's caller."""
    near = caller_objects(lambda v: not isinstance(v, type) and hasattr(v, "_flatten_layers"),
                          depth=depth)
    return layer_types(layers_near(fn, [*args, *(v for _, v in near)]))


def from_tf_function(fn, *args, name: str | None = None, max_nodes: int | None = None,
                     **kwargs) -> Graph:
    """The graph tf.function traces for these arguments (tensors, tf.TensorSpec or Python values).

    A plain Python function is wrapped in tf.function. `graph.native` is the ConcreteFunction;
    counters["traces"] is the function's tracing count so far.
    """
    f = _as_tf_function(fn)
    cf = f.get_concrete_function(*args, **kwargs)
    fname = function_title(fn) or function_title(f) or "tf.function"
    layers = keras_layers_of(fn, *args, depth=3)
    g = concrete_graph(cf, source="tf_function", name=name or fname, max_nodes=max_nodes,
                       layers=layers)
    try:
        g.counters["traces"] = int(f.experimental_get_tracing_count())
    except Exception:  # noqa: BLE001
        pass
    return g
