"""Self-checks for course/20_profiling_and_compile.ipynb.

The checkers measure what the question asks for (the ranking a profile gives, how many graphs a
function traces or compiles) on inputs they build themselves, so every spelling that behaves right
passes, and the hints name the classic mistakes: total time for self time, a signature that fixes the
batch size, a compile that specialises on the first shape.
"""

from types import SimpleNamespace

from sidebyside.selfcheck import exercise

# --- Q1: the top ops by self time --------------------------------------------------------------------


class _Profile:
    """A stand-in for a finished torch.profiler profile with fixed numbers (real timings vary)."""

    EVENTS = [  # key, count, self_cpu_time_total, cpu_time_total (µs), as a small MLP's profile looks
        ("aten::linear", 10, 40.0, 900.0),
        ("aten::addmm", 10, 700.0, 820.0),
        ("aten::mm", 15, 400.0, 450.0),
        ("aten::t", 45, 130.0, 200.0),
        ("aten::sum", 15, 190.0, 210.0),
        ("aten::copy_", 20, 140.0, 140.0),
        ("autograd::engine::evaluate_function: AddmmBackward0", 10, 60.0, 600.0),
        ("aten::relu", 5, 30.0, 80.0),
    ]

    def key_averages(self):
        return [SimpleNamespace(key=k, count=c, self_cpu_time_total=s, cpu_time_total=t)
                for k, c, s, t in self.EVENTS]


def _q1_solution():
    def top_ops(prof, n):
        ranked = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
        return [e.key for e in ranked[:n]]

    return (top_ops,)


def _q1_wrong():
    def by(attribute, reverse=True):
        def top_ops(prof, n):
            ranked = sorted(prof.key_averages(), key=lambda e: getattr(e, attribute), reverse=reverse)
            return [e.key for e in ranked[:n]]

        return top_ops

    return [
        (by("cpu_time_total"),),  # total time: the wrappers (linear, the backward nodes) come first
        (by("self_cpu_time_total", reverse=False),),  # smallest first
        (by("count"),),  # the ops called most often, not the slowest
        (lambda prof, n: [e.key for e in prof.key_averages()[:n]],),  # the profile's order, unsorted
        (lambda prof, n: [e.key for e in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:n - 1]],),
    ]


@exercise("course20.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: sort key_averages() by self_cpu_time_total, largest first. Total time would "
                  "put the wrappers (aten::linear, the backward nodes) on top, though their own work is small.",
          hints=["Each entry of prof.key_averages() has .key, .count, .self_cpu_time_total and .cpu_time_total."])
def q1(top_ops):
    assert callable(top_ops), "top_ops should be a function, e.g. def top_ops(prof, n): ..."
    prof = _Profile()
    by_self = [k for k, _, s, _ in sorted(_Profile.EVENTS, key=lambda e: -e[2])]
    by_total = [k for k, _, _, t in sorted(_Profile.EVENTS, key=lambda e: -e[3])]
    for n in (3, 5):
        got = list(top_ops(prof, n))
        assert all(isinstance(name, str) for name in got), (
            f"top_ops(prof, {n}) should return the ops' names (e.key), got {got!r}.")
        if got == by_total[:n]:
            raise AssertionError("that is the ranking by total time (cpu_time_total), which includes the ops "
                                 "each op calls: aten::linear's total holds aten::addmm's work. Use self time.")
        if got == by_self[::-1][:n]:
            raise AssertionError("those are the smallest self times: sort largest first (reverse=True).")
        assert len(got) == n, f"top_ops(prof, {n}) returned {len(got)} names."
        assert got == by_self[:n], (
            f"top_ops(prof, {n}) = {got}; by self CPU time the profile ranks {by_self[:n]}.")


# --- Q2: a tf.function that traces once ----------------------------------------------------------------


def _scale_tf(x):
    import tensorflow as tf

    return tf.nn.relu(x) * 2 + 1


def _q2_solution():
    import tensorflow as tf

    return (tf.function(_scale_tf, input_signature=[tf.TensorSpec([None, 4], tf.float32)]),)


def _q2_wrong():
    import tensorflow as tf

    return [
        (tf.function(_scale_tf),),  # a new trace per shape
        (tf.function(_scale_tf, reduce_retracing=True),),  # two traces, and any shape is accepted
        (tf.function(_scale_tf, input_signature=[tf.TensorSpec([None, None], tf.float32)]),),  # 5 columns pass
        (tf.function(_scale_tf, input_signature=[tf.TensorSpec([8, 4], tf.float32)]),),  # only 8 rows
        (_scale_tf,),  # not a tf.function at all
    ]


@exercise("course20.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: input_signature=[tf.TensorSpec([None, 4], tf.float32)]: None for the rows that "
                  "change, 4 for the columns that must not; one trace serves every batch size.",
          hints=["tf.function(fn, input_signature=[tf.TensorSpec(shape, dtype)]); None marks a dimension "
                 "that may change."])
def q2(once_tf):
    import numpy as np
    import tensorflow as tf

    if not hasattr(once_tf, "experimental_get_tracing_count"):
        raise AssertionError("once_tf should be a tf.function: tf.function(scale_tf, ...).")
    start = once_tf.experimental_get_tracing_count()
    for rows in (8, 16, 3):
        x = tf.random.normal([rows, 4])
        try:
            got = once_tf(x)
        except (TypeError, ValueError) as error:
            raise AssertionError(f"a call with {rows} rows and 4 columns failed ({type(error).__name__}): "
                                 "the number of rows must be free (None).") from None
        np.testing.assert_allclose(np.asarray(got), np.maximum(x.numpy(), 0) * 2 + 1, rtol=1e-6,
                                   err_msg="once_tf should compute scale_tf")
    traces = once_tf.experimental_get_tracing_count() - start
    if traces > 1:
        raise AssertionError(f"3 batch sizes took {traces} traces: say up front which sizes change "
                             "(reduce_retracing only generalises after a second shape).")
    try:
        once_tf(tf.ones([8, 5]))
    except (TypeError, ValueError):
        return
    raise AssertionError("a call with 5 columns ran: the signature should fix the 4 columns.")


# --- Q3: compile one graph for three batch sizes ---------------------------------------------------------

_FN_SOURCE = "def fn(x):\n    return torch.relu(x) * 2 + 1\n"


def _fresh_fn(tag):
    """A new function with its own code object: dynamo keeps compiled graphs on the code object, so
    an earlier answer's graphs must not serve this one."""
    import torch

    namespace = {"torch": torch}
    exec(compile(_FN_SOURCE, f"<course20.q3 {tag}>", "exec"), namespace)
    return namespace["fn"]


def _q3_solution():
    import torch

    return (lambda fn: torch.compile(fn, backend="eager", dynamic=True),)


def _q3_wrong():
    import torch

    return [
        (lambda fn: torch.compile(fn, backend="eager"),),  # 8 rows, then a dynamic recompile: 2 graphs
        (lambda fn: torch.compile(fn, backend="eager", dynamic=False),),  # a graph per shape
        (lambda fn: torch.compile(fn, backend="eager", fullgraph=True),),  # no breaks, still recompiles
        (lambda fn: fn,),  # not compiled: no graph at all
    ]


_calls = 0


@exercise("course20.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: dynamic=True makes the sizes symbols from the first compile, so one graph serves "
                  "every batch size (mark_dynamic on the first input does the same for one dimension).",
          hints=["torch.compile(fn, dynamic=...); without it dynamo specialises on the first shape."])
def q3(compile_once):
    import torch

    from sidebyside.profiling import dynamo_watch

    global _calls
    assert callable(compile_once), "compile_once should be a function, e.g. def compile_once(fn): ..."
    _calls += 1
    fn = _fresh_fn(_calls)
    with dynamo_watch() as watch:
        compiled = compile_once(fn)
        for rows in (8, 16, 32):
            x = torch.randn(rows, 4)
            torch.testing.assert_close(compiled(x), fn(x), msg="the compiled function should compute fn")
    if watch.graphs == 0:
        raise AssertionError("no graph was compiled: return torch.compile(fn, ...), not fn.")
    if watch.graphs > 1:
        raise AssertionError(f"8, 16 and 32 rows compiled {watch.graphs} graphs "
                             f"({'; '.join(watch.reasons) or 'a recompile per shape'}): make the sizes "
                             "symbolic from the first call.")
