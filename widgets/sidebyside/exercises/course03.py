"""Self-checks for course/03_imperative_vs_symbolic.ipynb."""

from sidebyside.exercises.course00 import numbers
from sidebyside.selfcheck import exercise


# q1: print (runs while tracing) against tf.print (runs in the graph).
def _q1_solution():
    return ((1, 3),)


def _q1_wrong():
    return [
        ((3, 3),),  # thinks Python print runs on every call
        ((1, 1),),  # thinks tf.print also runs only once
        ((3, 1),),  # swapped
        ((1,),),  # only one number
        ((1.5, 3),),  # not a whole number
    ]


@exercise("course03.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: Python's print runs while tracing (once); tf.print is an op in the "
                  "graph and runs on every call.")
def q1(answer):
    traced, ran = numbers(
        answer, 2, "Give a pair of counts: (times 'tracing' is printed, times 'running' is printed)."
    )
    assert traced == 1, (
        "The Python print is wrong. Hint: plain Python code in a tf.function runs only while "
        "tracing, and the three calls share one signature."
    )
    assert ran == 3, "The tf.print count is wrong. Hint: tf.print becomes an op in the graph."


# q2: state that changes on every call of a tf.function lives in a tf.Variable.
def _q2_solution():
    def accumulate(total, x):
        import tensorflow as tf

        total.assign_add(tf.reduce_sum(x))

    return (accumulate,)


def _q2_wrong():
    import tensorflow as tf

    def rebinds(total, x):  # makes a new tensor named total; the variable never changes
        total = total + tf.reduce_sum(x)
        return total

    def overwrites(total, x):  # assign replaces the value: only the last call counts
        total.assign(tf.reduce_sum(x))

    def forgets_the_sum(total, x):  # adds a vector to a scalar variable: shapes do not match
        total.assign_add(x)

    def in_place_plus(total, x):  # `+=` on a tf.Variable raises: it is not an in-place update
        total += tf.reduce_sum(x)

    return [(rebinds,), (overwrites,), (forgets_the_sum,), (in_place_plus,)]


@exercise("course03.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: assign_add is an op in the graph, so the variable changes on every call, "
                  "not only while tracing.")
def q2(accumulate):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng()
    xs = [rng.uniform(0.5, 2.0, size=3).astype(np.float32) for _ in range(3)]
    total = tf.Variable(0.0)
    graph_fn = tf.function(accumulate)  # a fresh tf.function: nothing cached from an earlier try
    try:
        for x in xs:
            graph_fn(total, tf.constant(x))
    except (RuntimeError, ValueError, TypeError) as err:  # TF's message ends with the real reason
        reason = str(err).strip().splitlines()[-1].strip()
        if not reason.startswith(type(err).__name__):
            reason = f"{type(err).__name__}: {reason}"
        raise AssertionError(
            f"Under tf.function your code raised {reason} Hint: add the sum "
            "of x (a scalar) to the variable with one of its assign methods."
        ) from None
    got, expected = float(total.numpy()), float(sum(x.sum() for x in xs))
    assert not np.isclose(got, 0.0), (
        "After three calls `total` is still 0. Hint: `total = total + ...` builds a new tensor and "
        "leaves the tf.Variable unchanged; update the variable itself with an assign method."
    )
    assert not np.isclose(got, xs[-1].sum(), rtol=1e-4), (
        "Only the last call counted. Hint: assign replaces the value; there is a method that adds."
    )
    assert np.isclose(got, expected, rtol=1e-4), (
        f"After three calls `total` is {got:.4f}, expected {expected:.4f}, the sum of all three "
        "inputs. Hint: total.assign_add(tf.reduce_sum(x))."
    )
