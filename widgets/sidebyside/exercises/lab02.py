"""Self-checks for labs/02_dynamic_vs_static.ipynb.

Frameworks are imported inside the functions: importing this module (the registry imports every
exercise module) must stay cheap.
"""

from sidebyside.selfcheck import exercise

# ---------------------------------------------------------------------------------------------------
# lab02.q1: rewrite a Python loop with tf.while_loop
#
#     def smooth(x, n):             # the Python loop from the notebook
#         for _ in range(n):
#             x = 0.5 * x + 1.0
#         return x


def _smooth_reference(x, n):
    for _ in range(n):
        x = 0.5 * x + 1.0
    return x


def _q1_solution():
    import tensorflow as tf

    @tf.function
    def smooth_tf(x, n):
        i = tf.constant(0)
        _, x = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, 0.5 * x + 1.0), (i, x))
        return x

    return (smooth_tf,)


def _q1_wrong():
    import tensorflow as tf

    @tf.function
    def off_by_one(x, n):  # i <= n runs the body n + 1 times
        i = tf.constant(0)
        _, x = tf.while_loop(lambda i, x: i <= n, lambda i, x: (i + 1, 0.5 * x + 1.0), (i, x))
        return x

    @tf.function
    def wrong_update(x, n):  # 0.5 * (x + 1) is not 0.5 * x + 1
        i = tf.constant(0)
        _, x = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, 0.5 * (x + 1.0)), (i, x))
        return x

    @tf.function
    def starts_at_one(x, n):  # counter starts at 1: the body runs n - 1 times
        i = tf.constant(1)
        _, x = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, 0.5 * x + 1.0), (i, x))
        return x

    @tf.function
    def one_step(x, n):  # forgot the loop: a single step
        return 0.5 * x + 1.0

    @tf.function
    def returns_loop_vars(x, n):  # tf.while_loop returns every loop variable: (i, x), not x
        return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, 0.5 * x + 1.0), (0, x))

    return [(off_by_one,), (wrong_update,), (starts_at_one,), (one_step,), (returns_loop_vars,)]


@exercise(
    "lab02.q1",
    solution=_q1_solution,
    wrong_answers=_q1_wrong,
    success="Right: one While node whose body is a subgraph; the graph stays the same size for any n.",
    hints=[
        ("tf.while_loop(cond, body, loop_vars): carry a counter i with x, e.g. loop_vars=(0, x), "
        "cond = lambda i, x: i < n, body = lambda i, x: (i + 1, 0.5 * x + 1.0).")
    ],
)
def q1(fn):
    import numpy as np
    import tensorflow as tf

    assert callable(fn), "Answer a function smooth_tf(x, n)."
    traced = fn if hasattr(fn, "get_concrete_function") else tf.function(fn)
    try:
        concrete = traced.get_concrete_function(
            tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32)
        )
    except (TypeError, ValueError, NotImplementedError, tf.errors.OpError) as err:
        raise AssertionError(
            f"Tracing with n as a tensor failed ({type(err).__name__}). Inside the graph n has no "
            "value yet, so int(n) or range(int(n)) cannot work: let tf.while_loop test i < n."
        ) from None
    op_types = {op.type for op in concrete.graph.get_operations()}
    assert op_types & {"While", "StatelessWhile"}, (
        "Your graph has no While op: the loop was unrolled or dropped. Use tf.while_loop."
    )
    rng = np.random.default_rng()
    for n in (0, 1, int(rng.integers(2, 9))):
        x = rng.normal(size=int(rng.integers(2, 6))).astype(np.float32)
        got = traced(tf.constant(x), tf.constant(n))
        assert not isinstance(got, (tuple, list)), (
            "Your function returns several values. tf.while_loop returns every loop variable, "
            "(i, x): unpack it, _, x = tf.while_loop(...), and return x."
        )
        got = np.asarray(got)
        want = _smooth_reference(x, n)
        assert got.shape == want.shape, f"Shape changed: {got.shape} instead of {want.shape}."
        assert np.allclose(got, want, atol=1e-5), (
            f"Wrong values for n = {n}. Check the body (x -> 0.5 * x + 1) and that it runs exactly "
            "n times (cond i < n, starting from i = 0)."
        )


# ---------------------------------------------------------------------------------------------------
# lab02.q2: how many traces will these calls cause?

def q2_calls():
    """The calls shown in the notebook, as (x, factor) pairs built lazily."""
    import tensorflow as tf

    return [
        (tf.constant([1.0, 2.0]), 2),
        (tf.constant([3.0, 4.0]), 2),
        (tf.constant([3.0, 4.0]), 3),
        (tf.constant([1.0, 2.0, 3.0]), 3),
        (tf.constant([5.0, 6.0]), tf.constant(2.0)),
        (tf.constant([7.0, 8.0]), tf.constant(3.0)),
    ]


def measure_q2() -> int:
    """Trace count of the notebook's calls, measured on a fresh tf.function."""
    import tensorflow as tf

    @tf.function
    def scale(x, factor):
        return x * factor

    for x, factor in q2_calls():
        scale(x, factor)
    return scale.experimental_get_tracing_count()


def _q2_solution():
    return (4,)


def _q2_wrong():
    return [(6,), (1,), (2,), (3,), (5,)]


@exercise(
    "lab02.q2",
    solution=_q2_solution,
    wrong_answers=_q2_wrong,
    success="Right: new Python values (2 -> 3) and new shapes ([2] -> [3]) retrace; tensors of the "
    "same dtype and shape reuse a trace whatever their values.",
    hints=[
        ("Go call by call and ask: has tf.function seen this exact Python value, or a tensor "
        "of this dtype and shape, before?")
    ],
)
def q2(traces):
    import numbers

    whole = isinstance(traces, numbers.Integral) or (
        isinstance(traces, numbers.Real) and float(traces).is_integer())
    assert whole and not isinstance(traces, bool), "Answer one whole number, e.g. traces = 2."
    traces = int(traces)
    expected = measure_q2()
    if traces == len(q2_calls()):
        raise AssertionError("Not every call traces: a call whose signature was seen before reuses "
                             "the graph.")
    assert traces == expected, (
        f"{traces} is not it. Python numbers are part of the signature by value; tensors only "
        "by dtype and shape."
    )


# ---------------------------------------------------------------------------------------------------
# lab02.q3: remove the graph break with torch.cond
#
#     def branchy(x):                 # the Python version from the notebook
#         if x.sum() > 0:
#             return x.sin() * 2
#         return x.cos() - 1


def _branchy(x):
    if x.sum() > 0:
        return x.sin() * 2
    return x.cos() - 1


def _q3_solution():
    import torch

    def branchy_cond(x):
        return torch.cond(x.sum() > 0, lambda x: x.sin() * 2, lambda x: x.cos() - 1, (x,))

    return (branchy_cond,)


def _q3_wrong():
    import torch

    def swapped(x):
        return torch.cond(x.sum() > 0, lambda x: x.cos() - 1, lambda x: x.sin() * 2, (x,))

    def as_float(x):  # float() of a tensor is still a data-dependent Python branch
        return x.sin() * 2 if float(x.sum()) > 0 else x.cos() - 1

    return [(_branchy,), (swapped,), (as_float,)]


@exercise(
    "lab02.q3",
    solution=_q3_solution,
    wrong_answers=_q3_wrong,
    success="Right: the branch is now part of the graph (torch.cond, a prototype API, is an operator "
    "that holds both branches), so torch.compile captures one graph with no break.",
    hints=[
        ("torch.cond(pred, true_fn, false_fn, (x,)) takes the operands as a tuple; both branches "
        "must return tensors of the same shape and dtype.")
    ],
)
def q3(fn):
    import torch

    assert callable(fn), "Answer a function of x."
    positive = torch.rand(5) + 0.1
    for x in (positive, -positive, torch.randn(7)):
        got = fn(x)
        assert torch.allclose(got, _branchy(x), atol=1e-5), (
            "Values differ from the Python version: check which branch runs when x.sum() > 0."
        )
    from sidebyside.graph import compile_capture

    explained = compile_capture(fn).explain(torch.randn(6))  # torch._dynamo.explain, via the adapter
    assert explained.graph_break_count == 0, (
        f"torch.compile still splits this into {explained.graph_count} graphs "
        f"({explained.graph_break_count} break): a Python `if` on a tensor's value is a graph "
        "break. Use torch.cond."
    )
