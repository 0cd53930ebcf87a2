"""Self-checks for course/00_start_here.ipynb."""

from sidebyside.selfcheck import exercise


def _solution():
    return ((-1.0, 2.0),)  # dz/dx = 1 + y, dz/dy = 1 + x at x = 1, y = -2


def _wrong():
    return [
        ((4.0, 3.0),),  # the gradients at the lesson's point, not the new one
        ((2.0, -1.0),),  # swapped: dz/dy first
        ((-2.0, 1.0),),  # forgot the "+1" from the (x + y) term
        ((-1.0,),),  # only one number
    ]


@exercise("course00.q1", solution=_solution, wrong_answers=_wrong,
          success="Correct: dz/dx = 1 + y = -1 and dz/dy = 1 + x = 2.")
def q1(answer):
    assert isinstance(answer, (tuple, list)) and len(answer) == 2, (
        "Give a pair: (dz_dx, dz_dy)."
    )
    dz_dx, dz_dy = (float(a) for a in answer)
    if (round(dz_dx, 6), round(dz_dy, 6)) == (2.0, -1.0):
        raise AssertionError("Looks swapped: the first number is dz/dx = 1 + y.")
    assert abs(dz_dx - (1 + -2)) < 1e-6, "dz/dx is wrong. Hint: differentiate x + y + x*y in x: 1 + y."
    assert abs(dz_dy - (1 + 1)) < 1e-6, "dz/dy is wrong. Hint: differentiate in y: 1 + x."
