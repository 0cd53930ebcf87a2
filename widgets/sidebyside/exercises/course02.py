"""Self-checks for course/02_automatic_differentiation.ipynb."""

from sidebyside.exercises.course00 import numbers
from sidebyside.selfcheck import exercise


# q1: gradients by hand.
def _q1_solution():
    return ((2.0, 5.0),)  # z = x*y + y**2 at x = 1, y = 2: dz/dx = y, dz/dy = x + 2y


def _q1_wrong():
    return [
        ((2.0, 4.0),),  # forgot the x*y term in dz/dy
        ((5.0, 2.0),),  # swapped
        ((1.0, 5.0),),  # dz/dx = x instead of y
        ((2.0,),),  # only one number
    ]


@exercise("course02.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: dz/dx = y = 2 and dz/dy = x + 2y = 5. Both frameworks agree.")
def q1(answer):
    dz_dx, dz_dy = numbers(answer, 2, "Give a pair of numbers: (dz_dx, dz_dy).")
    if (round(dz_dx, 6), round(dz_dy, 6)) == (5.0, 2.0):
        raise AssertionError("Looks swapped: the first number is dz/dx.")
    assert abs(dz_dx - 2.0) < 1e-6, "dz/dx is wrong. Hint: in x*y + y**2 only x*y depends on x."
    assert abs(dz_dy - 5.0) < 1e-6, (
        "dz/dy is wrong. Hint: y appears twice: d(x*y)/dy = x and d(y**2)/dy = 2y."
    )


# q2: gradient accumulation in PyTorch.
def _q2_solution():
    return (9.0,)


def _q2_wrong():
    return [
        (3.0,),  # expects backward() to overwrite x.grad
        (27.0,),  # multiplies instead of adding
        (0.0,),  # expects zeroing between calls
    ]


@exercise("course02.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: each backward() adds dz/dx = 3 to x.grad: 3 + 3 + 3 = 9.")
def q2(answer):
    value = float(answer)
    assert value != 3.0, (
        "That is one backward pass. Hint: backward() adds into x.grad; nothing here zeroes it."
    )
    assert value == 9.0, "Hint: dz/dx = 3 on each pass, and PyTorch adds the passes up."


# q3: a gradient function, in the framework of your choice.
def _q3_solution():
    def grad_at(f, x0):
        import torch

        x = torch.tensor(float(x0), requires_grad=True)
        f(x).backward()
        return x.grad.item()

    return (grad_at,)


def _q3_wrong():
    import tensorflow as tf
    import torch

    def value_not_gradient(f, x0):
        return float(f(torch.tensor(float(x0))))

    shared = torch.tensor(0.0, requires_grad=True)

    def reuses_leaf(f, x0):  # never zeroes shared.grad: the second call adds to the first
        with torch.no_grad():
            shared.fill_(float(x0))
        f(shared).backward()
        return shared.grad.item()

    def unwatched_constant(f, x0):  # a constant is not watched: the gradient is None
        x = tf.constant(float(x0))
        with tf.GradientTape() as tape:
            y = f(x)
        return tape.gradient(y, x)

    return [(value_not_gradient,), (reuses_leaf,), (unwatched_constant,)]


@exercise("course02.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Correct: a fresh leaf (or a watched tensor) per call, one backward pass, "
                  "and the gradient read back as a number.")
def q3(grad_at):
    import numpy as np

    rng = np.random.default_rng()
    cases = [
        (lambda t: t**3, lambda x: 3 * x**2, "t**3"),
        (lambda t: t * t + 2 * t, lambda x: 2 * x + 2, "t*t + 2*t"),
        (lambda t: t**3, lambda x: 3 * x**2, "t**3 (again)"),
    ]
    for f, df, text in cases:
        x0 = float(np.round(rng.uniform(0.5, 2.0), 3))
        try:
            got = grad_at(f, x0)
        except TypeError as err:  # float(None) inside the learner's function
            if "NoneType" not in str(err):
                raise
            got = None
        assert got is not None, (
            "The gradient came back as None: nothing was tracking the input. Hint: a GradientTape "
            "watches tf.Variables by itself, but a constant only after tape.watch(x); in PyTorch, "
            "create x with requires_grad=True."
        )
        got = float(got)
        assert np.isclose(got, df(x0), rtol=1e-4), (
            f"For f(t) = {text} at x0 = {x0} the gradient is {df(x0):.4f}, your function "
            f"returned {got:.4f}. Hint: return the derivative, not f(x0); use a fresh tensor on "
            "every call (PyTorch adds into .grad), or tape.watch a TF constant."
        )
