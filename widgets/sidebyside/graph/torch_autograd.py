"""PyTorch autograd graph: walk `tensor.grad_fn` back to the leaves.

The graph autograd records while code runs (define-by-run). Nodes are the backward functions
(AddBackward0, MulBackward0, ...); leaves are `AccumulateGrad.variable`, the tensors that will receive
`.grad` (parameters and inputs with requires_grad=True). Edges point forward (leaf -> op -> result).

Module groups: `from_autograd(model, x)` runs `model(x)` with forward hooks on every submodule. When a
module's forward returns, its hook claims the backward functions reachable from its outputs that were
created after its inputs (autograd's sequence numbers grow as ops run) and that no submodule claimed
first, so every op lands in the innermost module that ran it. Given only a tensor (and `module=`), ops
that consume a parameter directly are grouped with that parameter's module; the rest stay ungrouped.

Private PyTorch details used here, covered by tests/test_graph_torch.py: `grad_fn._input_metadata`
(shape/dtype/device of each op's output; if it disappears, shapes become None and nothing else
breaks) and `grad_fn._sequence_nr()` (creation order; without it module grouping is skipped).
"""

from __future__ import annotations

import re

from sidebyside.graph._common import (
    CallIds,
    caller_objects,
    module_label,
    module_of,
    shape_list,
    torch_dtype,
)
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


def _tensors(value, Tensor) -> list:
    """The tensors in a (nested) module input or output."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
    return out


class ModuleOwners:
    """Forward hooks that map each backward function to the innermost module call that made it.

    with ModuleOwners(model) as owners: y = model(x)   ->  owners.path_of(fn) is "layer1/0" or None.

    Each call of a module is its own group (see _common.CallIds): a pool run twice gives "pool" and
    "pool@2". A module registered under several names (T5's one dropout, also `block.0.drop`) is
    named by the path through the module that called it, as torch.export and dynamo name it.
    """

    def __init__(self, module):
        self.paths: dict[int, list[str]] = {}
        for p, m in module.named_modules(remove_duplicate=False):
            self.paths.setdefault(id(m), []).append(p.replace(".", "/"))
        self.owner: dict[int, str] = {}  # id(grad_fn) -> group id of the module call
        self._alive: list = []  # the claimed grad_fns, so their ids stay theirs
        self._marks: list[int] = []
        self._calls: list[str | None] = []  # group ids of the module calls running now
        self._ids = CallIds()
        self._count = 0
        self._module = module
        self._hooks: list = []

    def _path(self, m) -> str | None:
        """The path m was reached by: the one whose parent is the running call, if any."""
        paths = self.paths.get(id(m)) or [""]
        caller = next((c for c in reversed(self._calls) if c is not None), None)
        if caller is not None and len(paths) > 1:
            mine = module_of(caller)
            for p in paths:
                if p.rsplit("/", 1)[0] == mine or p.startswith(mine + "/"):
                    return p
        return paths[0]

    def __enter__(self):
        import torch

        Tensor = torch.Tensor

        def pre(m, args, kwargs):
            mark = -1  # keyword inputs count too (a decoder layer's encoder_hidden_states=...)
            for t in _tensors((args, kwargs), Tensor):
                if t.grad_fn is not None:
                    mark = max(mark, t.grad_fn._sequence_nr())
            self._marks.append(mark)
            path = self._path(m)
            parent = next((c for c in reversed(self._calls) if c is not None), None)
            self._count += 1
            self._calls.append(self._ids.enter(path, self._count, parent) if path else None)

        def post(m, args, kwargs, out):
            mark = self._marks.pop() if self._marks else -1
            path = self._calls.pop() if self._calls else None
            if not path:
                return
            stack = [t.grad_fn for t in _tensors(out, Tensor) if t.grad_fn is not None]
            seen: set[int] = set()
            while stack:
                fn = stack.pop()
                if fn is None or id(fn) in seen or type(fn).__name__ == "AccumulateGrad":
                    continue
                seen.add(id(fn))
                if fn._sequence_nr() <= mark:
                    continue  # made before this module ran
                if id(fn) not in self.owner:
                    self.owner[id(fn)] = path
                    self._alive.append(fn)
                stack.extend(nxt for nxt, _ in fn.next_functions)

        for m in self._module.modules():
            self._hooks.append(m.register_forward_pre_hook(pre, with_kwargs=True))
            self._hooks.append(m.register_forward_hook(post, with_kwargs=True))
        return self

    def __exit__(self, *exc):
        for h in self._hooks:
            h.remove()
        self._hooks = []
        return False

    def path_of(self, fn) -> str | None:
        return self.owner.get(id(fn))


def from_autograd(
    tensor,
    *inputs,
    module=None,
    names: dict | None = None,
    name: str | None = None,
    max_nodes: int | None = None,
    _caller_names: list | None = None,
    **model_kwargs,
) -> Graph:
    """The autograd graph that produced `tensor` (from its grad_fn).

    `from_autograd(model, x, ..., attention_mask=m)` runs `model(x, ..., attention_mask=m)` itself
    (keyword arguments other than this function's own go to the model) with module hooks, so every op is
    grouped by the module that ran it (the output's first tensor is the root); `graph.meta["output"]`
    is not kept, the graph is. Leaves are named, in this order of preference: `names` ({"x": x, ...}), `module`'s
    named_parameters (also grouped by module path), then the caller's variable names.
    Raises UnsupportedInputError for a tensor without grad_fn.
    """
    import torch

    owners = None
    if isinstance(tensor, torch.nn.Module):
        module = tensor
        with ModuleOwners(module) as owners:
            out = module(*inputs, **model_kwargs)
        found = _tensors(out, torch.Tensor)
        if not found:
            raise UnsupportedInputError(f"{type(module).__name__} returned no tensor")
        tensor = found[0]
        name = name or type(module).__name__
    elif inputs or model_kwargs:
        raise UnsupportedInputError(
            "from_autograd(tensor) takes no model inputs; to run a module, pass it first: "
            "from_autograd(model, x, attention_mask=m)"
        )
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
        modules = dict(module.named_modules(remove_duplicate=False))
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
        return _build(tensor, label_of, group_of, modules, name, max_nodes, owners)


def _build(tensor, label_of, group_of, modules, name, max_nodes, owners=None) -> Graph:
    import torch

    def type_of(path):
        mod = modules.get(module_of(path).replace("/", "."))
        return None if mod is None else type(mod).__name__

    def declare(path):
        return b.group(path, lambda p: module_label(p, modules), type_of)

    g = Graph(name=name or "autograd graph", framework="torch", source="autograd")
    b = GraphBuilder(g, max_nodes, "the autograd graph")
    ids: dict[int, str] = {}
    order = post_order(tensor.grad_fn, b.ensure_room)
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
            group = declare(group_of.get(id(var)))
            b.add_node(
                Node(nid, op, label, kind, group, shape_list(var.shape), torch_dtype(var.dtype),
                     str(var.device), attrs={"requires_grad": True})
            )
        else:
            shape, dtype, device = _output_meta(fn)
            path = owners.path_of(fn) if owners is not None else _param_module(fn, group_of)
            b.add_node(Node(nid, fn.name(), op_label(fn.name()), "op", declare(path), shape, dtype,
                            device))
    for fn in order:
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            shape, dtype = _edge_meta(nxt)
            b.add_edge(ids[id(nxt)], ids[id(fn)], shape, dtype)
    g.meta["root"] = ids[id(tensor.grad_fn)]
    g.native = tensor.grad_fn
    return b.finish()


def post_order(root, ensure_room=None) -> list:
    """The backward functions reachable from `root`, every one after its inputs, so node ids n1, n2,
    ... read like the forward pass (leaves first, root last); node i of from_autograd's graph is
    post_order(graph.native)[i - 1] (graph.align's op_facts relies on it). Iterative: deep graphs
    must not hit the recursion limit. ensure_room(count) may raise to stop a runaway walk."""
    order: list = []
    done: set[int] = set()
    stack = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if id(fn) in done:
            continue
        if expanded:
            done.add(id(fn))
            order.append(fn)
            if ensure_room is not None:
                ensure_room(len(order))
            continue
        stack.append((fn, True))
        for nxt, _ in reversed(fn.next_functions):
            if nxt is not None and id(nxt) not in done:
                stack.append((nxt, False))
    return order


def _param_module(fn, group_of: dict) -> str | None:
    """Without module hooks: the module of a parameter this op consumes directly, if exactly one."""
    if not group_of:
        return None
    paths = {
        group_of.get(id(nxt.variable))
        for nxt, _ in fn.next_functions
        if nxt is not None and type(nxt).__name__ == "AccumulateGrad"
    }
    paths.discard(None)
    return paths.pop() if len(paths) == 1 else None


def _edge_meta(fn):
    if type(fn).__name__ == "AccumulateGrad":
        return shape_list(fn.variable.shape), torch_dtype(fn.variable.dtype)
    shape, dtype, _ = _output_meta(fn)
    return shape, dtype
