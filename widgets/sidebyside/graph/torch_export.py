"""torch.export: the whole program as one graph ahead of time (ExportedProgram).

Parameters, buffers and constants become inputs (from the graph signature), `nn_module_stack` gives
module groups, and torch.cond / while_loop bodies become subgraphs ("<node>/true", "<node>/false").
"""

from __future__ import annotations

from sidebyside.graph.model import Graph, UnsupportedInputError
from sidebyside.graph.torch_fx import fx_to_graph

_KINDS = {
    "USER_INPUT": "input",
    "PARAMETER": "param",
    "BUFFER": "const",
    "CONSTANT_TENSOR": "const",
    "CUSTOM_OBJ": "const",
    "TOKEN": "plumbing",
}


def from_export(module, args, kwargs=None, *, dynamic_shapes=None, strict: bool = False,
                name: str | None = None, max_nodes: int | None = None) -> Graph:
    """torch.export.export(module, args) as a Graph; `graph.native` is the ExportedProgram.

    A plain function is wrapped in an nn.Module first.
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
    ep = torch.export.export(module, args, kwargs, dynamic_shapes=dynamic_shapes, strict=strict)
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
