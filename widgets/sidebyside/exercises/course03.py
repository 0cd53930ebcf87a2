"""Self-checks for course/03_imperative_vs_symbolic.ipynb."""

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
    ]


@exercise("course03.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: Python's print runs while tracing (once); tf.print is an op in the "
                  "graph and runs on every call.")
def q1(answer):
    assert isinstance(answer, (tuple, list)) and len(answer) == 2, (
        "Give a pair: (times 'tracing' is printed, times 'running' is printed)."
    )
    traced, ran = (int(a) for a in answer)
    assert traced == 1, (
        "The Python print is wrong. Hint: plain Python code in a tf.function runs only while "
        "tracing, and the three calls share one signature."
    )
    assert ran == 3, "The tf.print count is wrong. Hint: tf.print becomes an op in the graph."


# q2: Python values in a tf.function's signature.
def _q2_solution():
    return (3,)


def _q2_wrong():
    return [(1,), (2,), (6,)]


@exercise("course03.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: a Python number is baked into the graph as a constant, so every new "
                  "value of n traces a new graph: 3 traces.")
def q2(answer):
    count = int(answer)
    assert count != 1, (
        "Hint: the tensor keeps its shape, but n is a plain Python int. What does tf.function do "
        "with a Python value it cannot feed as a tensor?"
    )
    assert count == 3, "Hint: one trace per distinct Python value of n; the tensor never changes."
