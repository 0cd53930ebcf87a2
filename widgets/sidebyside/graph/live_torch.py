"""Live recording of PyTorch eager ops as a cell runs (define-by-run, made visible).

`with record_torch(view) as g:` installs a TorchFunctionMode that sees every user-level torch call
(F.linear, relu, x + y, ...). Each call that returns tensors becomes a node, annotated with the
autograd node it created (attrs["grad_fn"], e.g. "AddmmBackward0"); `loss.backward()` becomes a
"control" node. Tensors are tracked with torch.utils.weak.WeakIdKeyDictionary (not id(), which is
reused after a tensor dies). Tensors the recording did not produce become input/param nodes, named
after the caller's variables or a module's named_parameters; with a module (given or found in the
caller's variables), module forward hooks give groups.

torch APIs used: torch.overrides.TorchFunctionMode, torch.utils.weak.WeakIdKeyDictionary,
torch.nn.modules.module.register_module_forward_pre_hook / register_module_forward_hook.
"""

from __future__ import annotations

from sidebyside.graph._common import (
    CallIds,
    call_number,
    caller_objects,
    module_of,
    shape_list,
    torch_dtype,
)
from sidebyside.graph._live import LiveRecorder
from sidebyside.graph.model import Node

_SKIP = {"__get__", "__set__", "__repr__", "__format__", "__str__", "__len__", "__iter__",
         "__bool__", "__hash__", "__reduce_ex__", "__deepcopy__", "tolist", "item", "numpy",
         "__array__", "dim", "size", "stride", "is_floating_point", "__contains__"}


def _short(name: str) -> str:
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name.startswith(("r", "i")) and name[1:] in ("add", "sub", "mul", "truediv", "matmul",
                                                         "pow", "floordiv", "mod", "and", "or"):
            name = name[1:] + ("_" if name[0] == "i" else "")
    return name


class TorchRecorder(LiveRecorder):
    framework = "torch"
    source = "live_torch"

    def __init__(self, view=None, *, module=None, names: dict | None = None, **kwargs):
        super().__init__(view, **kwargs)
        self.module = module
        self.names = names or {}
        self._frame_depth = 2

    def start(self) -> None:
        import torch
        from torch.overrides import TorchFunctionMode
        from torch.utils.weak import WeakIdKeyDictionary

        self._torch = torch
        self._ids = WeakIdKeyDictionary()  # tensor -> node id of its producer
        self._labels: dict[int, str] = {}
        self._mod_paths: dict[int, str] = {}
        self._stack: list[str] = []
        # this frame <- LiveRecorder.__enter__ <- the user's code
        frame_objs = caller_objects(
            lambda v: isinstance(v, (torch.Tensor, torch.nn.Module, torch.optim.Optimizer)), depth=2
        )
        self._calls = CallIds()
        self._call_count = 0
        self._buffers: set[int] = set()
        self._params: list[tuple[str, object]] = []  # (label, parameter), for naming gradients
        self._optims = [(n, o) for n, o in frame_objs if isinstance(o, torch.optim.Optimizer)]
        self._found: dict[int, tuple[str, str | None, str]] = {}  # see _name_unknown
        self._found_at = -1
        self._record_no = 0
        roots = [("", self.module)] if self.module is not None else []
        roots += [(n, m) for n, m in frame_objs if isinstance(m, torch.nn.Module)]
        self._group_labels: dict[str, str] = {}
        self._group_types: dict[str, str] = {}
        for prefix, mod in roots:
            for sub, m in mod.named_modules():
                path = "/".join(p for p in (prefix, sub.replace(".", "/")) if p)
                if id(m) in self._mod_paths:
                    continue
                self._mod_paths[id(m)] = path
                if path:
                    self._group_labels[path] = f"{path.rsplit('/', 1)[-1]} ({type(m).__name__})"
                    self._group_types[path] = type(m).__name__
                for pname, p in m.named_parameters(recurse=False):
                    self._labels.setdefault(id(p), ".".join(x for x in (path.replace("/", "."),
                                                                        pname) if x))
                    self._params.append((self._labels[id(p)], p))
                for bname, buf in m.named_buffers(recurse=False):  # BatchNorm's running stats
                    self._labels.setdefault(id(buf), ".".join(x for x in (path.replace("/", "."),
                                                                          bname) if x))
                    self._buffers.add(id(buf))
        for n, t in frame_objs:
            if isinstance(t, torch.Tensor):
                self._labels.setdefault(id(t), n)
        for k, v in self.names.items():
            self._labels[id(v)] = k
        rec = self

        class _Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                try:
                    rec._record(func, args, kwargs or {}, out)
                except Exception as err:  # noqa: BLE001 - never break the user's cell
                    rec.errors.append(f"{getattr(func, '__name__', func)}: {err!r}")
                return out

        self._mode = _Mode()
        self._hooks = []
        if self._mod_paths:
            from torch.nn.modules import module as nn_module

            def pre(m, _inp):
                p = self._mod_paths.get(id(m))
                if p:  # one group per call: "pool", then "pool@2" (see CallIds)
                    self._call_count += 1
                    self._stack.append(self._calls.enter(
                        p, self._call_count, self._stack[-1] if self._stack else None))

            def post(m, _inp, _out):
                if self._mod_paths.get(id(m)) and self._stack:
                    self._stack.pop()

            self._hooks = [nn_module.register_module_forward_pre_hook(pre),
                           nn_module.register_module_forward_hook(post)]
        for oname, opt in self._optims:  # optimizer.step()'s ops sit in the optimizer's group
            self._group_labels.setdefault(oname, f"{oname} ({type(opt).__name__})")
            self._group_types.setdefault(oname, type(opt).__name__)

            def step_pre(_opt, _args, _kwargs, oname=oname):
                self._stack.append(oname)

            def step_post(_opt, _args, _kwargs, oname=oname):
                if self._stack and self._stack[-1] == oname:
                    self._stack.pop()

            self._hooks += [opt.register_step_pre_hook(step_pre),
                            opt.register_step_post_hook(step_post)]
        self._mode.__enter__()

    def stop(self) -> None:
        try:
            self._mode.__exit__(None, None, None)
        finally:
            for h in self._hooks:
                h.remove()

    # -- recording -------------------------------------------------------------------------------
    def _leaf(self, t) -> str:
        torch = self._torch
        kind = "param" if isinstance(t, torch.nn.Parameter) else "input"
        if id(t) in self._buffers:
            kind = "const"
        label = self._labels.get(id(t))
        group = None
        if label is None and kind == "input":
            label, group, kind = self._name_unknown(t)
        label = label or ("param" if kind == "param" else "tensor")
        if group is None and kind in ("param", "const") and "." in label:
            group = self.builder.group(label.rsplit(".", 1)[0].replace(".", "/"), self._glabel,
                                       self._gtype)
        nid = self.builder.new_id()
        node = Node(nid, "tensor", label, kind, group, shape_list(t.shape), torch_dtype(t.dtype),
                    str(t.device), attrs={"requires_grad": bool(t.requires_grad)})
        if not self.add_node(node):
            return ""
        self._ids[t] = nid
        return nid

    def _name_unknown(self, t) -> tuple[str | None, str | None, str]:
        """(label, group, kind) of a tensor the recording did not make and no variable names: a
        parameter's gradient ("fc.weight.grad", beside its parameter) or an optimizer's state
        ("exp_avg of fc.weight", under the optimizer). Looked up once per recorded call."""
        if self._found_at != self._record_no:
            self._found_at, self._found = self._record_no, {}
            for label, p in self._params:
                g = getattr(p, "grad", None)
                if g is not None:
                    mod = label.rsplit(".", 1)[0].replace("/", ".") if "." in label else None
                    self._found[id(g)] = (f"{label}.grad", mod, "input")
            for oname, opt in self._optims:
                names = {id(p): lab for lab, p in self._params}
                for p, state in getattr(opt, "state", {}).items():
                    for key, v in state.items():
                        if isinstance(v, self._torch.Tensor):
                            pname = names.get(id(p), "param")
                            self._found[id(v)] = (f"{key} of {pname}", f"@opt:{oname}", "const")
        label, where, kind = self._found.get(id(t), (None, None, "input"))
        if where is None:
            return label, None, kind
        if where.startswith("@opt:"):
            oname = where[5:]
            return label, self.builder.group(oname, self._glabel, self._gtype), kind
        return label, self.builder.group(where.replace(".", "/"), self._glabel, self._gtype), kind

    def _glabel(self, path: str) -> str:
        base = self._group_labels.get(module_of(path)) or module_of(path).rsplit("/", 1)[-1]
        call = call_number(path)
        if call == 1:
            return base
        return base[:-1] + f", call {call})" if base.endswith(")") else f"{base} (call {call})"

    def _gtype(self, path: str) -> str | None:
        return self._group_types.get(module_of(path))

    def _record(self, func, args, kwargs, out) -> None:
        if self.truncated:
            return
        name = getattr(func, "__name__", str(func))
        if name in _SKIP:
            return
        self._record_no += 1
        Tensor = self._torch.Tensor
        outs = _tensors(out, Tensor)
        if name == "backward" and args and isinstance(args[0], Tensor):
            outs, kind = [], "control"
        elif not outs:
            return
        else:
            kind = "op"
        ins = _tensors(args, Tensor) + _tensors(tuple(kwargs.values()), Tensor)
        src = []
        for t in ins:
            nid = self._ids.get(t) or self._leaf(t)
            if not nid:
                return
            src.append((nid, t))
        op = _short(name)
        first = outs[0] if outs else None
        group = (self.builder.group(self._stack[-1], self._glabel, self._gtype)
                 if self._stack else None)
        attrs = {}
        if first is not None and first.grad_fn is not None:
            attrs["grad_fn"] = type(first.grad_fn).__name__
        nid = self.builder.new_id()
        node = Node(nid, op, op, kind, group,
                    None if first is None else shape_list(first.shape),
                    None if first is None else torch_dtype(first.dtype),
                    None if first is None else str(first.device), attrs=attrs)
        if not self.add_node(node):
            return
        for s, t in src:
            self.add_edge(s, nid, shape_list(t.shape), torch_dtype(t.dtype))
        for t in outs:
            self._ids[t] = nid
        self.maybe_flush()


def _tensors(value, Tensor) -> list:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, Tensor)]
    return []


def record_torch(view=None, *, module=None, names: dict | None = None, interval: float = 0.1,
                 max_nodes: int | None = None, name: str | None = None) -> TorchRecorder:
    """Context manager recording eager PyTorch ops: `with record_torch(view) as g: ...`.

    view: a GraphView (or anything with append(nodes, edges)) receiving batches at most every
    `interval` seconds and at exit. g is the Graph being built. Past max_nodes the recording stops
    with a RuntimeWarning (the cell keeps running) and g.meta["truncated"] says why.
    """
    return TorchRecorder(view, module=module, names=names, interval=interval,
                         max_nodes=max_nodes, name=name)
