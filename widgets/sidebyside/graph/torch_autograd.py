"""PyTorch autograd graph: walk `tensor.grad_fn` back to the leaves.

The graph autograd records while code runs (define-by-run). Nodes are the backward functions
(AddBackward0, MulBackward0, ...); leaves are `AccumulateGrad.variable`, the tensors that will receive
`.grad` (parameters and inputs with requires_grad=True). Edges point forward (leaf -> op -> result).

Private PyTorch detail used here, covered by tests/test_graph_torch.py: `grad_fn._input_metadata`
(shape/dtype/device of each op's output); if it disappears, shapes become None and nothing else breaks.
"""

from __future__ import annotations

import re

from sidebyside.graph._common import caller_objects, module_label, shape_list, torch_dtype
from sidebyside.graph.model import Graph, GraphBuilder, Node, UnsupportedInputError, paused_gc

_BACKWARD = re.compile(r"Backward\d*$")


def op_label(name: str) -> str:
    """"MulBackward0" -> "mul", "AddmmBackward0" -> "addmm"."""
    return _BACKWARD.sub("", name).lower() or name


def _output_meta(fn):
    try:
        meta = fn._input_metadata[0]  # private: what the forward op produced
        return shape_list(meta.shape), torch_dtype(meta.dtype), str(meta.device)
    except Exception:  # noqa: BLE001 - private API; degrade to no shapes
        return None, None, None


def from_autograd(
    tensor,
    *,
    module=None,
    names: dict | None = None,
    name: str | None = None,
    max_nodes: int | None = None,
    _caller_names: list | None = None,
) -> Graph:
    """The autograd graph that produced `tensor` (from its grad_fn).

    Leaves are named, in this order of preference: `names` ({"x": x, ...}), `module`'s
    named_parameters (also grouped by module path), then the caller's variable names.
    Raises UnsupportedInputError for a tensor without grad_fn.
    """
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise UnsupportedInputError(
            f"from_autograd needs a torch.Tensor, got {type(tensor).__name__}"
        )
    if tensor.grad_fn is None:
        why = (
            "it is a leaf tensor (created by you, not computed)"
            if tensor.requires_grad
            else "none of the tensors it was computed from has requires_grad=True, "
            "or it was computed under torch.no_grad()"
        )
        raise UnsupportedInputError(f"this tensor has no grad_fn, so autograd recorded no graph: {why}")

    label_of: dict[int, str] = {}
    group_of: dict[int, str] = {}
    modules = {}
    if module is not None:
        modules = dict(module.named_modules())
        for pname, p in module.named_parameters():
            label_of[id(p)] = pname
            if "." in pname:
                group_of[id(p)] = pname.rsplit(".", 1)[0].replace(".", "/")
    for k, v in (names or {}).items():
        label_of[id(v)] = k
    if _caller_names is None:  # (sidebyside.graph.from_autograd looks them up one frame higher)
        _caller_names = caller_objects(
            lambda v: isinstance(v, torch.Tensor) and v.requires_grad, depth=1
        )
    for k, v in _caller_names:
        label_of.setdefault(id(v), k)
    with paused_gc():
        return _build(tensor, label_of, group_of, modules, name, max_nodes)


def _build(tensor, label_of, group_of, modules, name, max_nodes) -> Graph:
    import torch

    g = Graph(name=name or "autograd graph", framework="torch", source="autograd")
    b = GraphBuilder(g, max_nodes, "the autograd graph")
    ids: dict[int, str] = {}
    # Post-order walk from the root: every function after its inputs, so n1, n2, ... read like the
    # forward pass (leaves first, root last). Iterative: deep graphs must not hit the recursion limit.
    order: list = []
    done: set[int] = set()
    stack = [(tensor.grad_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if id(fn) in done:
            continue
        if expanded:
            done.add(id(fn))
            order.append(fn)
            b.ensure_room(len(order))
            continue
        stack.append((fn, True))
        for nxt, _ in reversed(fn.next_functions):
            if nxt is not None and id(nxt) not in done:
                stack.append((nxt, False))
    for fn in order:
        nid = b.new_id()
        ids[id(fn)] = nid
        op = type(fn).__name__
        if op == "AccumulateGrad":
            var = fn.variable
            kind = "param" if isinstance(var, torch.nn.Parameter) else "input"
            label = label_of.get(id(var))
            if label is None:
                label = "param" if kind == "param" else "input"
            group = b.group(group_of.get(id(var)), lambda p: module_label(p, modules))
            b.add_node(
                Node(nid, op, label, kind, group, shape_list(var.shape), torch_dtype(var.dtype),
                     str(var.device), attrs={"requires_grad": True})
            )
        else:
            shape, dtype, device = _output_meta(fn)
            b.add_node(Node(nid, fn.name(), op_label(fn.name()), "op", None, shape, dtype, device))
    for fn in order:
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            shape, dtype = _edge_meta(nxt)
            b.add_edge(ids[id(nxt)], ids[id(fn)], shape, dtype)
    g.meta["root"] = ids[id(tensor.grad_fn)]
    g.native = tensor.grad_fn
    return g


def _edge_meta(fn):
    if type(fn).__name__ == "AccumulateGrad":
        return shape_list(fn.variable.shape), torch_dtype(fn.variable.dtype)
    shape, dtype, _ = _output_meta(fn)
    return shape, dtype
