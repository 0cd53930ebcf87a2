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

import re
from dataclasses import dataclass, field

from sidebyside.graph._common import LiveCounters, Notifier
from sidebyside.graph.model import Graph, Group
from sidebyside.graph.torch_fx import fx_to_graph
from sidebyside.graph.transform import mark_repeats

_LINK = re.compile(r"\S+://\S+")


def short_reason(text: str) -> str:
    """A dynamo graph-break reason in one line: the headline, and the explanation that names the
    culprit ("Failed to trace builtin operator: ... builtin operator `print` ...")."""
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    head = lines[0]
    for ln in lines[1:]:
        if ln.startswith("Explanation:"):
            return f"{head}: {ln[len('Explanation:'):].strip()}"
    return head


def full_reason(text: str) -> str:
    """The whole reason text, less dynamo's developer context and web links (works offline)."""
    out = []
    for ln in str(text).strip().splitlines():
        if ln.strip().startswith(("Developer debug context", "For more details")):
            break
        out.append(_LINK.sub("", ln).rstrip())
    return "\n".join(out).strip()


def _where(reason) -> str | None:
    """"file.py:12: print("hi")": the user line at which dynamo stopped, from the reason's stack."""
    stack = getattr(reason, "user_stack", None) or []
    if not stack:
        return None
    fr = stack[-1]
    line = (getattr(fr, "line", None) or "").strip()
    return f"{fr.filename}:{fr.lineno}" + (f": {line}" if line else "")


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


def _skip_reasons() -> dict:
    """dynamo's count of each reason it gave up tracing code (private; {} if it moved)."""
    try:
        from torch._dynamo.utils import counters  # private

        return dict(counters["unimplemented"])
    except Exception:  # noqa: BLE001
        return {}


class CompileCapture(Notifier):
    """`torch.compile(fn)` that keeps every FX graph dynamo captures. Call it like `fn`.

    .graphs         list of Graph, one per captured FX graph (in capture order)
    .graph / .as_graph()  all of them in one document (top-level "CompiledGraph" groups)
    .graph_breaks   list of short reason strings, one per graph that ended in a graph break
    .breaks         [{"graph", "reason" (full text), "where" ("file:line: code")}]
    .counters       traces / recompiles / graph_breaks; GraphView(capture) or
                    GraphView(g, counters=capture.counters) keeps them live (subscribe())
    .recompiles     int: compilations of a frame after its first (guard failures, e.g. new shapes)
    .recompile_reasons  the guard failures dynamo reported for them
    .explain(*args) torch._dynamo.explain on the original function (note: it resets dynamo's caches)
    .skipped        why calls ran without a captured graph ("" while a graph exists or before a
                    call): dynamo leaves code it cannot trace to run eagerly, nn.LSTM/GRU/RNN
                    included, so an LSTM seq2seq gives 0 graphs; the graph's meta["empty_reason"],
                    summary() and a GraphView of it say so
    """

    def __init__(self, fn, backend: str = "aot_eager", *, dynamic=None, fullgraph: bool = False,
                 name: str | None = None, max_nodes: int | None = None):
        import torch

        self.fn = fn
        self._modules = dict(fn.named_modules(remove_duplicate=False)) if isinstance(fn, torch.nn.Module) else {}
        self.backend = backend
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.max_nodes = max_nodes
        self.graphs: list[Graph] = []
        self.graph_breaks: list[str] = []
        self.recompile_reasons: list[str] = []
        self.calls = 0
        self.breaks: list[dict] = []  # {"graph", "reason" (full text), "where"}, in capture order
        self.skipped = ""
        self._recompiled: set = set()
        self._compiled = torch.compile(fn, backend=self._capture, dynamic=dynamic,
                                       fullgraph=fullgraph)

    @property
    def recompiles(self) -> int:
        return len(self._recompiled)

    def _counts(self) -> dict:
        return {"traces": len(self.graphs), "recompiles": self.recompiles,
                "graph_breaks": len(self.graph_breaks)}

    @property
    def counters(self) -> LiveCounters:
        """traces / recompiles / graph_breaks; a GraphView given them keeps them up to date."""
        return LiveCounters(self)


    @property
    def graph(self) -> Graph:
        """All captured graphs in one document (see as_graph)."""
        return self.as_graph()

    def as_graph(self) -> Graph:
        """One Graph holding every captured FX graph: with several, each sits in a top-level group
        of type "CompiledGraph" labelled "graph 1 of 3" (node ids prefixed "g1:"), and
        meta["breaks"] lists every graph break with its full reason and the user line."""
        meta = {"graph_count": len(self.graphs), "breaks": [dict(b) for b in self.breaks]}
        if self.skipped and not self.graphs:
            meta["empty_reason"] = self.skipped
        if len(self.graphs) == 1:
            only = self.graphs[0]
            g = Graph(name=only.name, framework="torch", source="compile", nodes=only.nodes,
                      edges=only.edges, groups=only.groups, subgraphs=only.subgraphs,
                      counters=self._counts(), meta={**only.meta, **meta}, native=only.native)
            return g
        out = Graph(name=self.name, framework="torch", source="compile", counters=self._counts(),
                    meta=meta)
        total = len(self.graphs)
        for i, part in enumerate(self.graphs, start=1):
            prefix, top = f"g{i}:", f"graph{i}"
            label = f"graph {i} of {total}"
            if part.meta.get("break_reason"):
                label += " (ends in a graph break)"
            out.groups.append(Group(top, label, None, "CompiledGraph"))
            for grp in part.groups:
                out.groups.append(Group(f"{top}/{grp.id}", grp.label,
                                        f"{top}/{grp.parent}" if grp.parent else top, grp.type))
            for n in part.nodes:
                out.nodes.append(type(n)(
                    prefix + n.id, n.op, n.label, n.kind, f"{top}/{n.group}" if n.group else top,
                    n.shape, n.dtype, n.device, n.plumbing, [prefix + k for k in n.subgraphs],
                    {**n.attrs, "graph": i}, [dict(p) for p in n.params]))
            for e in part.edges:
                out.edges.append(type(e)(prefix + e.source, prefix + e.target, e.shape, e.dtype))
            for k, sub in part.subgraphs.items():
                out.subgraphs[prefix + k] = sub
        mark_repeats(out)
        return out

    def _capture(self, gm, example_inputs):
        reason = getattr(gm, "compile_subgraph_reason", None)  # private
        cid = gm.meta.get("dynamo_compile_id") if hasattr(gm, "meta") else None
        g = fx_to_graph(gm, source="compile", name=f"{self.name} #{len(self.graphs)}",
                        max_nodes=self.max_nodes, root_modules=self._modules,
                        locals_are_modules=not self._modules)
        ended = "return" if reason is None or not reason.graph_break else "graph break"
        g.meta.update(
            {"index": len(self.graphs), "compile_id": None if cid is None else str(cid),
             "ended_by": ended, "dynamic": any(n.plumbing and n.op == "placeholder"
                                               for n in g.nodes)}
        )
        if reason is not None and reason.graph_break:
            g.meta["break_reason"] = short_reason(reason.reason)
            g.meta["break_where"] = _where(reason)
            self.graph_breaks.append(short_reason(reason.reason))
            self.breaks.append({"graph": len(self.graphs) + 1, "reason": full_reason(reason.reason),
                                "where": _where(reason)})
        if cid is not None and getattr(cid, "frame_compile_id", 0):
            self._recompiled.add((cid.frame_id, cid.frame_compile_id))
        self.graphs.append(g)
        g.counters = self._counts()
        self._notify()
        return self._delegate(gm, example_inputs)

    def _delegate(self, gm, example_inputs):
        if self.backend == "eager":
            return gm.forward
        from torch._dynamo import lookup_backend

        return lookup_backend(self.backend)(gm, example_inputs)

    def __call__(self, *args, **kwargs):
        before = _guard_failures()
        skips = _skip_reasons()
        self.calls += 1
        try:
            return self._compiled(*args, **kwargs)
        finally:
            for code, reasons in _guard_failures().items():
                for r in reasons[len(before.get(code, [])):]:
                    self.recompile_reasons.append(short_reason(r))
            if not self.graphs:
                self.skipped = self._why_empty(
                    [r for r, n in _skip_reasons().items() if n > skips.get(r, 0)])
            self._notify()

    def _why_empty(self, reasons: list[str]) -> str:
        """What to tell a user whose call captured nothing: dynamo ran the code eagerly."""
        import torch

        if not reasons and isinstance(self.fn, torch.nn.Module):
            # dynamo remembers code it gave up on and skips it silently next time: name the usual
            # culprit from the model itself.
            rnns = [f"{p} ({type(m).__name__})" for p, m in self.fn.named_modules()
                    if isinstance(m, torch.nn.RNNBase)]
            if rnns:
                reasons = ["dynamo does not trace nn.LSTM / nn.GRU / nn.RNN: " + ", ".join(rnns)]
        why = "; ".join(short_reason(r) for r in reasons) or (
            "dynamo gave up on the code (torch._dynamo.explain tells why)")
        return (f"No graph captured: torch.compile ran {self.name} eagerly, without tracing it "
                f"({why}). from_export(model, args) or from_autograd(model, *args) draw it.")

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
            break_reasons=[short_reason(r.reason) + (f" at {_where(r)}" if _where(r) else "")
                           for r in out.break_reasons],
            op_count=out.op_count,
            graphs=graphs,
        )

    def summary(self) -> str:
        text = (
            f"{self.calls} calls, {len(self.graphs)} graphs, {len(self.graph_breaks)} graph breaks,"
            f" {self.recompiles} recompiles"
        )
        if self.skipped and not self.graphs:
            text += ". " + self.skipped
        return text

    def __repr__(self) -> str:
        return f"CompileCapture({self.name!r}: {self.summary()})"


def compile_capture(fn, backend: str = "aot_eager", **kwargs) -> CompileCapture:
    """Wrap `fn` in torch.compile with a backend that records each captured FX graph."""
    return CompileCapture(fn, backend, **kwargs)
