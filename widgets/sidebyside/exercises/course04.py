"""Self-checks for course/04_dynamic_vs_static.ipynb."""

from sidebyside.selfcheck import exercise


# q1: predict a tracing count.
def _q1_solution():
    return (4,)


def _q1_wrong():
    return [(1,), (2,), (3,), (5,), (4.5,)]


@exercise("course04.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: shape (2,) traces once, shape (3,) once more, and each new Python "
                  "float traces again: 4.")
def q1(answer):
    count = float(answer)  # float, not int: int(4.5) would pass as 4
    assert count not in (1, 2), (
        "Too few. Hint: a new shape traces again, and a Python float is not a tensor: each new "
        "value is part of the signature."
    )
    assert count != 5, "Too many. Hint: calling with an equal shape and dtype reuses the graph."
    assert count == 4, "Hint: count the distinct signatures: two shapes and two Python floats."


# q2: a data-dependent branch that survives tf.function.
def _q2_solution():
    def double_or_negate(x):
        import tensorflow as tf

        if tf.reduce_sum(x) > 0:
            return x * 2
        return -x

    return (double_or_negate,)


def _q2_wrong():
    import tensorflow as tf

    def uses_numpy(x):  # works eagerly, but a symbolic tensor has no .numpy()
        if x.numpy().sum() > 0:
            return x * 2
        return -x

    def swapped(x):
        if tf.reduce_sum(x) > 0:
            return -x
        return x * 2

    def cond_without_lambdas(x):  # tf.cond wants functions, not values
        return tf.cond(tf.reduce_sum(x) > 0, x * 2, -x)

    return [(uses_numpy,), (swapped,), (cond_without_lambdas,)]


@exercise("course04.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: AutoGraph turned your tensor `if` into a tf.cond, so one graph "
                  "holds both branches.")
def q2(fn):
    import numpy as np
    import tensorflow as tf

    graph_fn = tf.function(fn)  # a fresh tf.function: nothing cached from an earlier try
    rng = np.random.default_rng()
    positive = tf.constant(rng.uniform(0.1, 1.0, size=3).astype(np.float32))
    negative = -positive
    for x, expected, which in ((positive, positive * 2, "positive"), (negative, positive, "negative")):
        try:
            got = graph_fn(x)
        except (AttributeError, TypeError, ValueError) as err:  # TF's message ends with the reason
            reason = str(err).strip().splitlines()[-1].strip()
            if not reason.startswith(type(err).__name__):
                reason = f"{type(err).__name__}: {reason}"
            raise AssertionError(
                f"Under tf.function your code raised {reason} Hint: inside a "
                "graph x is symbolic (no .numpy()); write the condition with TF ops, e.g. "
                "`if tf.reduce_sum(x) > 0:`, and AutoGraph turns the `if` into tf.cond (which, "
                "called by hand, takes two functions, not two values)."
            ) from None
        assert np.allclose(got.numpy(), expected.numpy()), (
            f"Under tf.function a {which} input gave {np.round(got.numpy(), 3)}, expected "
            f"{np.round(expected.numpy(), 3)}. Hint: positive sum -> x * 2, otherwise -x."
        )
