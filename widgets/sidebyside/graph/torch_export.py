"""torch.export: the whole program as one graph ahead of time (ExportedProgram).

Parameters, buffers and constants become inputs (from the graph signature), `nn_module_stack` gives
module groups, and torch.cond / while_loop bodies become subgraphs ("<node>/true", "<node>/false").
"""

from __future__ import annotations

import re

from sidebyside.graph.model import Graph, UnsupportedInputError
from sidebyside.graph.torch_fx import fx_to_graph

_OUTPUT_TYPE = re.compile(r"Found <class '([^']+)'> in output, which is not a known type")


def _export_hint(message: str, name: str) -> str | None:
    """A known torch.export failure in words a user can act on (None for others)."""
    m = _OUTPUT_TYPE.search(message)
    if m is None:
        return None
    cls = m.group(1).rsplit(".", 1)[-1]
    text = (f"torch.export cannot finish {name}: its output holds a {cls}, which torch does not know "
            "how to flatten into tensors (only tensors, lists, tuples, dicts and registered pytrees "
            "can be outputs).")
    if "Cache" in cls:
        text += (" Hugging Face models return their key/value cache unless told not to: pass "
                 "use_cache=False, e.g. from_export(model, (input_ids,), use_cache=False).")
    else:
        text += " Return tensors only, or draw it with from_autograd(model, *args)."
    return text


_KINDS = {
    "USER_INPUT": "input",
    "PARAMETER": "param",
    "BUFFER": "const",
    "CONSTANT_TENSOR": "const",
    "CUSTOM_OBJ": "const",
    "TOKEN": "plumbing",
}


def from_export(module, args=(), kwargs=None, *, dynamic_shapes=None, strict: bool = False,
                name: str | None = None, max_nodes: int | None = None, **model_kwargs) -> Graph:
    """torch.export.export(module, args, kwargs) as a Graph; `graph.native` is the ExportedProgram.

    Keyword inputs go in `kwargs` or directly: from_export(model, (ids,), attention_mask=mask).
    A plain function is wrapped in an nn.Module first. An output torch cannot flatten (a Hugging
    Face DynamicCache) raises UnsupportedInputError saying what to pass instead (use_cache=False).
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        if not callable(module):
            raise UnsupportedInputError(
                f"from_export needs an nn.Module or a function, got {type(module).__name__}"
            )
        fn = module

        class _Fn(torch.nn.Module):
            def forward(self, *a, **k):
                return fn(*a, **k)

        module = _Fn()
        default_name = getattr(fn, "__name__", "function")
    else:
        default_name = type(module).__name__
    if not isinstance(args, tuple):
        args = (args,)
    if model_kwargs:
        kwargs = {**(kwargs or {}), **model_kwargs}
    try:
        ep = torch.export.export(module, args, kwargs, dynamic_shapes=dynamic_shapes,
                                 strict=strict)
    except RuntimeError as err:
        hint = _export_hint(str(err), default_name)
        if hint is None:
            raise
        raise UnsupportedInputError(hint) from err
    kinds, labels = {}, {}
    for spec in ep.graph_signature.input_specs:
        arg_name = getattr(spec.arg, "name", None)
        if arg_name is None:
            continue
        kinds[arg_name] = _KINDS.get(spec.kind.name, "input")
        if spec.target:
            labels[arg_name] = spec.target
    g = fx_to_graph(ep.graph_module, source="export", name=name or default_name,
                    max_nodes=max_nodes, input_kinds=kinds, labels=labels,
                    root_modules=dict(module.named_modules(remove_duplicate=False)))
    g.native = ep
    return g
