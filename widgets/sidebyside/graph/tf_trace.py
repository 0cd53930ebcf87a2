"""Trace history of a tf.function: how many times it traced, and which call caused each trace.

A tf.function retraces when a call does not match an existing trace: a new tensor shape or dtype
(unless a relaxed/None shape covers it), or a new Python value (every distinct Python number is a new
trace, a classic pitfall).
"""

from __future__ import annotations

from dataclasses import dataclass

from sidebyside.graph._common import LiveCounters, Notifier


@dataclass
class Trace:
    call: int  # which call (1-based) caused this trace
    signature: str  # the arguments of that call, e.g. "(float32[2, 3], int 3)"
    count: int  # the function's tracing count after that call

    def __str__(self) -> str:
        return f"trace {self.count} at call {self.call}: {self.signature}"


def describe_arg(a) -> str:
    import tensorflow as tf

    if isinstance(a, (tf.Tensor, tf.Variable)) or hasattr(a, "dtype") and hasattr(a, "shape"):
        dims = ", ".join("None" if d is None else str(d) for d in (a.shape.as_list()
                                                                     if a.shape.rank is not None
                                                                     else []))
        dtype = a.dtype.name if hasattr(a.dtype, "name") else str(a.dtype)
        return f"{dtype}[{dims}]"
    if isinstance(a, (list, tuple)):
        return "[" + ", ".join(describe_arg(x) for x in a) + "]"
    return f"{type(a).__name__} {a!r}"


class TraceHistory(Notifier):
    """Wraps a tf.function; call it like the function. `.count` traces seen, `.traces` details.

    `.counters` ({"traces": ...}) given to a GraphView keep its header up to date as calls trace."""

    def __init__(self, fn):
        import tensorflow as tf

        self.function = fn if hasattr(fn, "experimental_get_tracing_count") else tf.function(fn)
        self.traces: list[Trace] = []
        self.calls = 0

    @property
    def count(self) -> int:
        return len(self.traces)

    def _counts(self) -> dict:
        return {"traces": self.count, "recompiles": 0, "graph_breaks": 0}

    @property
    def counters(self) -> LiveCounters:
        return LiveCounters(self)

    def __call__(self, *args, **kwargs):
        before = self.function.experimental_get_tracing_count()
        self.calls += 1
        out = self.function(*args, **kwargs)
        after = self.function.experimental_get_tracing_count()
        if after > before:
            parts = [describe_arg(a) for a in args]
            parts += [f"{k}={describe_arg(v)}" for k, v in kwargs.items()]
            self.traces.append(Trace(self.calls, "(" + ", ".join(parts) + ")", after))
            self._notify()
        return out

    def summary(self) -> str:
        return f"{self.calls} calls, {self.count} traces"

    def __repr__(self) -> str:
        return f"TraceHistory({self.summary()})"


def trace_history(tf_function) -> TraceHistory:
    """Record which calls of `tf_function` (a plain function is wrapped) trace a new graph."""
    return TraceHistory(tf_function)
