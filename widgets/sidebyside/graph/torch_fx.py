"""torch.fx graphs: `symbolic_trace` with shapes from ShapeProp, and the FX -> Graph converter
shared by torch.compile (`torch_compile.py`) and torch.export (`torch_export.py`).

Node ids in graphs converted from FX are the FX node names (unique within one FX graph), so a
GraphView can highlight `fx_node.name` while stepping through the graph.
"""

from __future__ import annotations

import functools
import operator
import re

from sidebyside.graph._common import CallIds, call_number, module_of, shape_list, torch_dtype
from sidebyside.graph.model import Graph, GraphBuilder, Node, UnsupportedInputError, gc_paused

# Higher-order ops whose GraphModule arguments become subgraphs, and the names of those branches.
BRANCH_NAMES = {"cond": ("true", "false"), "while_loop": ("cond", "body")}
# Bookkeeping that the simplified view hides.
_PLUMBING_FUNCS = {"getitem", "_assert_tensor_metadata", "sym_size", "sym_size.int"}
_OPERATORS = {id(f) for f in vars(operator).values() if callable(f)}


def tensor_meta(node):
    """(shape, dtype, device) of an FX node's value, from ShapeProp, dynamo or export metadata."""
    meta = node.meta
    val = meta.get("val", meta.get("example_value"))
    if val is None and "tensor_meta" in meta:
        tm = meta["tensor_meta"]
        if hasattr(tm, "shape"):
            return shape_list(tm.shape), torch_dtype(tm.dtype), None
        return None, None, None
    if hasattr(val, "shape") and hasattr(val, "dtype"):
        dev = getattr(val, "device", None)
        return shape_list(val.shape), torch_dtype(val.dtype), None if dev is None else str(dev)
    return None, None, None


_ROOT = re.compile(r"^L\[['\"][^'\"]+['\"]\]\.?|^L__self__\.?")
_INDEX = re.compile(r"\[['\"]?([^'\"\]]+)['\"]?\]")


_GLOBAL = re.compile(r"^G\[['\"]([^'\"]+)['\"]\]\.?")


_LOCAL = re.compile(r"^L\[['\"]([^'\"]+)['\"]\]\.?")


@functools.lru_cache(maxsize=4096)
def module_path(path: str, locals_are_modules: bool = False) -> str:
    """"L['self'].enc.0" / "enc.0" / "L['fn'].0" -> "enc/0" style group paths ("" for the root).

    A compiled module's own forward is the root ("L['self']"); in a compiled plain function,
    `locals_are_modules`, a local or closure variable names a module it calls ("L['model'].0" ->
    "model/0"). A module reached through a global is named by that global ("G['mlp'].0" ->
    "mlp/0"); one reached through an imported module's attribute loses dynamo's mangled import
    name ("G['__import_transformers_dot_models_...'].x" -> "x")."""
    local = _LOCAL.match(path) if locals_are_modules else None
    path = f"{local.group(1)}.{path[local.end():]}" if local else _ROOT.sub("", path)
    glob = _GLOBAL.match(path)
    if glob is not None:
        rest = path[glob.end():]
        path = rest if glob.group(1).startswith("__import_") else f"{glob.group(1)}.{rest}"
    path = _INDEX.sub(r".\1", path).strip(".")
    return path.replace(".", "/")


def _stack_groups(node, b: GraphBuilder, exclude: str | None = None) -> str | None:
    """The innermost module group of an FX node, from meta["nn_module_stack"] (symbolic_trace,
    dynamo and export all record it), declaring the enclosing modules' groups with their types.

    The stack's keys differ between two calls of one module ("L__self__pool", "L__self__pool@1"),
    so each call gets its own group ("pool", "pool@2": see CallIds)."""
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return None
    calls = b.__dict__.setdefault("call_ids", CallIds())
    labels, types = {}, {}
    innermost = None
    for key, entry in stack.items():
        path, typ = entry[0], entry[1]
        p = module_path(str(path), getattr(b, "locals_are_modules", False))
        if not p or p == exclude:
            continue
        gid = calls.enter(p, key, innermost)
        tname = typ.__name__ if isinstance(typ, type) else str(typ).rsplit(".", 1)[-1]
        call = call_number(gid)
        labels[gid] = f"{p.rsplit('/', 1)[-1]} ({tname}{'' if call == 1 else f', call {call}'})"
        types[gid] = tname
        innermost = gid
    getattr(b, "stack_labels", {}).update(labels)
    getattr(b, "stack_types", {}).update(types)
    if innermost is None:
        return None
    return b.group(innermost, labels.get, types.get)


def _module_params(mod, prefix: str) -> list[dict]:
    """node.params of a call_module node: the module's parameters and buffers, Netron-style."""
    import torch

    out = []
    for kind, items in (("param", mod.named_parameters()), ("const", mod.named_buffers())):
        for pname, t in items:
            if not isinstance(t, torch.Tensor):
                continue
            full = f"{prefix}.{pname}"
            out.append({"id": full, "name": full, "kind": kind, "shape": shape_list(t.shape),
                        "dtype": torch_dtype(t.dtype)})
    return out


def _func_name(target) -> tuple[str, str]:
    """(op, label) for a call_function target."""
    name = getattr(target, "__name__", None) or str(target)
    # OpOverload: str() is "aten.linear.default"
    if type(target).__name__ in ("OpOverload", "OpOverloadPacket"):
        parts = str(target).split(".")
        op = ".".join(parts[:2]) if len(parts) >= 2 else str(target)
        return op, parts[1] if len(parts) > 1 else op
    if id(target) in _OPERATORS or getattr(target, "__module__", None) == "_operator":
        return name, name
    mod = getattr(target, "__module__", "") or ""
    if mod.startswith("torch"):
        short = "torch.nn.functional" if "functional" in mod else "torch"
        return f"{short}.{name}", name
    return name, name


@gc_paused
def fx_to_graph(
    gm,
    *,
    source: str,
    name: str,
    max_nodes: int | None = None,
    input_kinds: dict | None = None,
    labels: dict | None = None,
    builder: GraphBuilder | None = None,
    id_prefix: str = "",
    root_modules: dict | None = None,
    locals_are_modules: bool = False,
) -> Graph:
    """Convert an FX GraphModule into a Graph (recursing into higher-order-op subgraphs).

    input_kinds: placeholder name -> kind ("input", "param", "const", or "plumbing"), labels:
    placeholder name -> label (both from torch.export's graph signature); root_modules: the
    original module's named_modules(), to label groups "enc (Sequential)".
    """
    import torch

    g = Graph(name=name, framework="torch", source=source)
    b = GraphBuilder(g, max_nodes if builder is None else builder.max_nodes, f"the {source} graph")
    modules = dict(gm.named_modules())
    input_kinds = input_kinds or {}
    labels = labels or {}
    fqn = _dynamo_param_names(gm, locals_are_modules)
    b.stack_labels = {}
    b.stack_types = {}
    b.locals_are_modules = locals_are_modules
    for n in gm.graph.nodes:
        nid = id_prefix + n.name
        shape, dtype, device = tensor_meta(n)
        attrs = {"fx_op": n.op, "fx_name": n.name, "target": str(n.target)}
        node = Node(nid, str(n.target), n.name, "op", None, shape, dtype, device, attrs=attrs)
        if n.op == "placeholder":
            kind = input_kinds.get(n.name, "input")
            node.op = "placeholder"
            node.kind = "input" if kind == "plumbing" else kind
            node.plumbing = kind == "plumbing"
            label = labels.get(n.name) or fqn.get(str(n.target))
            if label is None and source == "compile":
                label = _flat_param_name(str(n.target))
            if label is None:
                label = re.sub(r"^L_|_$", "", str(n.target))
            if source == "compile" and "_parameters_" in str(n.target):
                node.kind = "param"
            elif source == "compile" and "_buffers_" in str(n.target):
                node.kind = "const"
            val = n.meta.get("example_value", n.meta.get("val"))
            if isinstance(val, torch.SymInt) or (val is not None and not hasattr(val, "shape")):
                node.plumbing = True  # a symbolic size input (dynamic shapes), not data
            node.label = label
            if node.kind in ("param", "const") and "." in label:
                node.group = b.group(label.rsplit(".", 1)[0].replace(".", "/"))
            else:
                node.group = None
        elif n.op == "get_attr":
            obj = gm
            for part in str(n.target).split("."):
                obj = getattr(obj, part, None)
            node.op = "get_attr"
            if isinstance(obj, torch.fx.GraphModule):
                node.kind, node.plumbing = "const", True
            else:
                node.kind = "param" if isinstance(obj, torch.nn.Parameter) else "const"
                if shape is None and isinstance(obj, torch.Tensor):
                    node.shape, node.dtype = shape_list(obj.shape), torch_dtype(obj.dtype)
                    node.device = str(obj.device)
            node.label = str(n.target)
            if "." in str(n.target):
                node.group = b.group(str(n.target).rsplit(".", 1)[0].replace(".", "/"))
        elif n.op == "call_function":
            op, label = _func_name(n.target)
            node.op, node.label = op, label
            node.group = _stack_groups(n, b)
            if label in _PLUMBING_FUNCS or op.endswith("sym_size"):
                node.plumbing = True
            branches = BRANCH_NAMES.get(label)
            sub_mods = [a for a in n.args if getattr(a, "op", None) == "get_attr"]
            if sub_mods and (branches or type(n.target).__name__.endswith("Op")):
                node.kind = "control"
                for i, a in enumerate(sub_mods):
                    sub = getattr(gm, str(a.target))
                    bname = branches[i] if branches and i < len(branches) else str(a.target)
                    key = f"{nid}/{bname}"
                    g.subgraphs[key] = fx_to_graph(
                        sub, source=source, name=f"{label}: {bname}", builder=b,
                        max_nodes=b.max_nodes, root_modules=root_modules,
                    )
                    node.subgraphs.append(key)
        elif n.op == "call_method":
            node.op, node.label = f"Tensor.{n.target}", str(n.target)
            node.group = _stack_groups(n, b)
        elif n.op == "call_module":
            mod = modules.get(str(n.target))
            node.op = type(mod).__name__ if mod is not None else str(n.target)
            node.label = str(n.target)
            if mod is not None:
                node.params = _module_params(mod, str(n.target))
            node.group = _stack_groups(n, b, exclude=module_path(str(n.target)))
            if node.group is None and "." in str(n.target):
                node.group = b.group(str(n.target).rsplit(".", 1)[0].replace(".", "/"))
        elif n.op == "output":
            node.op, node.kind, node.label = "output", "output", "output"
            outs = [a for a in n.all_input_nodes]
            if len(outs) == 1:
                node.shape, node.dtype, node.device = tensor_meta(outs[0])
        b.add_node(node)
        for inp in n.all_input_nodes:
            s, d, _ = tensor_meta(inp)
            b.add_edge(id_prefix + inp.name, nid, s, d)
    _label_groups(g, {**modules, **(root_modules or {})}, b.stack_labels, b.stack_types)
    g.native = gm
    return b.finish()


def _flat_param_name(target: str) -> str | None:
    """dynamo's flattened name of a parameter or buffer as a dotted one:
    "G_mlp_modules_0_parameters_weight_" -> "mlp.0.weight" (None for other placeholders)."""
    body = target.rstrip("_")
    if body[:2] not in ("L_", "G_"):
        return None
    for kind in ("_parameters_", "_buffers_"):
        head, sep, attr = body[2:].rpartition(kind)
        if sep and head and attr:
            parts = [p for p in head.split("_modules_") if p]
            if parts and parts[0] in ("self", "fn"):
                parts = parts[1:]
            return ".".join([*parts, attr])
    return None


def _dynamo_param_names(gm, locals_are_modules: bool = False) -> dict:
    """Placeholder target -> parameter name ("0.weight") for graphs dynamo captured (private meta).
    With locals_are_modules (a compiled function), the name starts with the variable holding the
    module: "L_model_modules_0_parameters_weight_" -> "model.0.weight"."""
    meta = getattr(gm, "meta", None) or {}
    out = {}
    targets = [str(n.target) for n in gm.graph.nodes if n.op == "placeholder"]
    for fqn in meta.get("dynamo_flat_name_to_original_fqn", {}).values():
        parts = fqn.split(".")
        mods = "".join(f"modules_{p}_" for p in parts[:-1])
        for kind in ("parameters", "buffers"):
            flat = f"{mods}{kind}_{parts[-1]}_"
            for t in targets:
                if t.endswith("_" + flat):
                    owner = t[: -len(flat) - 1] if locals_are_modules else ""
                    owner = owner[2:] if owner[:2] in ("L_", "G_") else ""
                    out[t] = f"{owner}.{fqn}" if owner and owner != "self" else fqn
    return out


def _label_groups(g: Graph, modules: dict, stack_labels: dict, stack_types: dict) -> None:
    for grp in g.groups:
        mod = modules.get(module_of(grp.id).replace("/", "."))
        if grp.type is None:
            grp.type = type(mod).__name__ if mod is not None else stack_types.get(grp.id)
        if "(" in (grp.label or ""):
            continue
        if mod is not None:
            grp.label = f"{grp.id.rsplit('/', 1)[-1]} ({type(mod).__name__})"
        elif grp.id in stack_labels:
            grp.label = stack_labels[grp.id]


def from_fx(fn_or_module, *example_inputs, name: str | None = None, concrete_args=None,
            max_nodes: int | None = None, **example_kwargs) -> Graph:
    """torch.fx.symbolic_trace a function or nn.Module; with example inputs (positional or by
    keyword: from_fx(model, ids, attention_mask=mask)), ShapeProp adds shapes.

    Data-dependent Python control flow (`if x.sum() > 0:`) raises torch.fx.proxy.TraceError: symbolic
    tracing records one path without knowing values. Code symbolic tracing cannot follow at all (a
    tensor assigned into, a forward wrapped in a (*args, **kwargs) decorator: Hugging Face models)
    raises UnsupportedInputError naming the adapter to use instead. The GraphModule is `graph.native`.
    """
    import inspect

    import torch
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    if not (callable(fn_or_module)):
        raise UnsupportedInputError(
            f"from_fx needs a function or nn.Module, got {type(fn_or_module).__name__}"
        )
    default = getattr(fn_or_module, "__name__", type(fn_or_module).__name__)
    try:
        gm = symbolic_trace(fn_or_module, concrete_args=concrete_args)
    except (TypeError, ValueError) as err:
        hint = _fx_hint(str(err), default)
        if hint is None:
            raise
        raise UnsupportedInputError(hint) from err
    if example_inputs or example_kwargs:
        if example_kwargs:  # ShapeProp takes placeholders in order: bind keywords to their place
            bound = inspect.signature(gm.forward).bind(*example_inputs, **example_kwargs)
            example_inputs = tuple(bound.args)
        with torch.no_grad():
            ShapeProp(gm).propagate(*example_inputs)
    return fx_to_graph(gm, source="fx", name=name or default, max_nodes=max_nodes)


_USE_INSTEAD = ("from_export(model, args, kwargs) or from_autograd(model, *args, **kwargs) "
                "draw it: they run the code on real tensors")


def _fx_hint(message: str, name: str) -> str | None:
    """What symbolic tracing could not do, in words a user can act on (None for other errors)."""
    if "'Proxy' object does not support item assignment" in message:
        return (f"torch.fx cannot trace {name}: its code assigns into a tensor (x[...] = ...), "
                "which symbolic tracing cannot record ('Proxy' object does not support item "
                f"assignment; Hugging Face models do this). {_USE_INSTEAD}.")
    if "co_varnames is too small" in message:
        return (f"torch.fx cannot trace {name}: its forward is wrapped by a decorator taking "
                "(*args, **kwargs), as Hugging Face models' are, and symbolic tracing cannot read "
                f"its arguments (co_varnames is too small). {_USE_INSTEAD}.")
    return None
