"""torch.compile graphs through a capturing backend.

TorchDynamo hands every FX graph it captures to the backend; ours records it as a Graph, then
delegates to a real backend ("eager", "aot_eager" or "inductor"). Graph breaks give several graphs;
a call whose guards fail (e.g. a new input shape) gives a recompilation.

Private dynamo details used here, each covered by tests/test_graph_torch.py:
`gm.compile_subgraph_reason` (why a graph ended: a graph break or the return),
`gm.meta["dynamo_compile_id"]` (frame id / recompile number), `torch._dynamo.utils.guard_failures`
(why a recompilation happened) and `torch._dynamo.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sidebyside.graph.model import Graph
from sidebyside.graph.torch_fx import fx_to_graph


def short_reason(text: str) -> str:
    """The first line of a dynamo graph-break reason (the rest is hints and links)."""
    return str(text).strip().splitlines()[0].strip() if str(text).strip() else ""


@dataclass
class Explanation:
    """What `torch._dynamo.explain` reports, with the graphs converted."""

    graph_count: int
    graph_break_count: int
    break_reasons: list[str]
    op_count: int
    graphs: list[Graph] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.graph_count} graphs, {self.graph_break_count} graph breaks, "
            f"{self.op_count} ops"
        )


def _guard_failures() -> dict:
    try:
        from torch._dynamo.utils import guard_failures  # private

        return {k: list(v) for k, v in guard_failures.items()}
    except Exception:  # noqa: BLE001
        return {}


class CompileCapture:
    """`torch.compile(fn)` that keeps every FX graph dynamo captures. Call it like `fn`.

    .graphs         list of Graph, one per captured FX graph (in capture order)
    .graph_breaks   list of short reason strings, one per graph that ended in a graph break
    .recompiles     int: compilations of a frame after its first (guard failures, e.g. new shapes)
    .recompile_reasons  the guard failures dynamo reported for them
    .explain(*args) torch._dynamo.explain on the original function (note: it resets dynamo's caches)
    """

    def __init__(self, fn, backend: str = "aot_eager", *, dynamic=None, fullgraph: bool = False,
                 name: str | None = None, max_nodes: int | None = None):
        import torch

        self.fn = fn
        self._modules = dict(fn.named_modules()) if isinstance(fn, torch.nn.Module) else {}
        self.backend = backend
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.max_nodes = max_nodes
        self.graphs: list[Graph] = []
        self.graph_breaks: list[str] = []
        self.recompile_reasons: list[str] = []
        self.calls = 0
        self._recompiled: set = set()
        self._compiled = torch.compile(fn, backend=self._capture, dynamic=dynamic,
                                       fullgraph=fullgraph)

    @property
    def recompiles(self) -> int:
        return len(self._recompiled)

    @property
    def counters(self) -> dict:
        return {"traces": len(self.graphs), "recompiles": self.recompiles,
                "graph_breaks": len(self.graph_breaks)}

    def _capture(self, gm, example_inputs):
        reason = getattr(gm, "compile_subgraph_reason", None)  # private
        cid = gm.meta.get("dynamo_compile_id") if hasattr(gm, "meta") else None
        g = fx_to_graph(gm, source="compile", name=f"{self.name} #{len(self.graphs)}",
                        max_nodes=self.max_nodes, root_modules=self._modules)
        ended = "return" if reason is None or not reason.graph_break else "graph break"
        g.meta.update(
            {"index": len(self.graphs), "compile_id": None if cid is None else str(cid),
             "ended_by": ended, "dynamic": any(n.plumbing and n.op == "placeholder"
                                               for n in g.nodes)}
        )
        if reason is not None and reason.graph_break:
            g.meta["break_reason"] = short_reason(reason.reason)
            self.graph_breaks.append(short_reason(reason.reason))
        if cid is not None and getattr(cid, "frame_compile_id", 0):
            self._recompiled.add((cid.frame_id, cid.frame_compile_id))
        self.graphs.append(g)
        g.counters = self.counters
        return self._delegate(gm, example_inputs)

    def _delegate(self, gm, example_inputs):
        if self.backend == "eager":
            return gm.forward
        from torch._dynamo import lookup_backend

        return lookup_backend(self.backend)(gm, example_inputs)

    def __call__(self, *args, **kwargs):
        before = _guard_failures()
        self.calls += 1
        try:
            return self._compiled(*args, **kwargs)
        finally:
            for code, reasons in _guard_failures().items():
                for r in reasons[len(before.get(code, [])):]:
                    self.recompile_reasons.append(short_reason(r))

    def explain(self, *args, **kwargs) -> Explanation:
        """Run torch._dynamo.explain on the original function (this resets dynamo's caches)."""
        import torch._dynamo

        out = torch._dynamo.explain(self.fn)(*args, **kwargs)
        graphs = [
            fx_to_graph(gm, source="compile", name=f"{self.name} (explain #{i})",
                        max_nodes=self.max_nodes)
            for i, gm in enumerate(out.graphs)
        ]
        return Explanation(
            graph_count=out.graph_count,
            graph_break_count=out.graph_break_count,
            break_reasons=[short_reason(r.reason) for r in out.break_reasons],
            op_count=out.op_count,
            graphs=graphs,
        )

    def summary(self) -> str:
        return (
            f"{self.calls} calls, {len(self.graphs)} graphs, {len(self.graph_breaks)} graph breaks,"
            f" {self.recompiles} recompiles"
        )

    def __repr__(self) -> str:
        return f"CompileCapture({self.name!r}: {self.summary()})"


def compile_capture(fn, backend: str = "aot_eager", **kwargs) -> CompileCapture:
    """Wrap `fn` in torch.compile with a backend that records each captured FX graph."""
    return CompileCapture(fn, backend, **kwargs)
