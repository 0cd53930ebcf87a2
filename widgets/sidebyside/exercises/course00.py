"""Self-checks for course/00_start_here.ipynb.

`numbers()` is shared by the course's self-checks that ask for a few numbers: it accepts every form a
learner may reasonably type (tuple, list, NumPy array, tensor; ints, floats, NumPy or framework scalars).
"""

from sidebyside.selfcheck import exercise


def numbers(answer, n: int, message: str) -> list[float]:
    """The `n` numbers in `answer` as Python floats; AssertionError(message) for anything else."""
    import numpy as np

    from sidebyside.show import to_numpy

    if isinstance(answer, (str, bytes, dict, set)) or not hasattr(answer, "__iter__"):
        raise AssertionError(message)
    try:
        parts = answer if isinstance(answer, (list, tuple)) else [answer]
        values = [np.ravel(to_numpy(part)) for part in parts]
        flat = np.concatenate(values) if values else np.array([])
    except (TypeError, ValueError, RuntimeError):
        raise AssertionError(message) from None
    if flat.shape != (n,) or flat.dtype.kind not in "iuf":
        raise AssertionError(message)
    return [float(v) for v in flat]


def _solution():
    return ((-1.0, 2.0),)  # dz/dx = 1 + y, dz/dy = 1 + x at x = 1, y = -2


def _wrong():
    return [
        ((4.0, 3.0),),  # the gradients at the lesson's point, not the new one
        ((2.0, -1.0),),  # swapped: dz/dy first
        ((-2.0, 1.0),),  # forgot the "+1" from the (x + y) term
        ((-1.0,),),  # only one number
        (-1.0,),  # a single number instead of a pair
    ]


@exercise("course00.q1", solution=_solution, wrong_answers=_wrong,
          success="Correct: dz/dx = 1 + y = -1 and dz/dy = 1 + x = 2.")
def q1(answer):
    dz_dx, dz_dy = numbers(answer, 2, "Give a pair of numbers: (dz_dx, dz_dy).")
    if (round(dz_dx, 6), round(dz_dy, 6)) == (2.0, -1.0):
        raise AssertionError("Looks swapped: the first number is dz/dx = 1 + y.")
    assert abs(dz_dx - (1 + -2)) < 1e-6, "dz/dx is wrong. Hint: differentiate x + y + x*y in x: 1 + y."
    assert abs(dz_dy - (1 + 1)) < 1e-6, "dz/dy is wrong. Hint: differentiate in y: 1 + x."
