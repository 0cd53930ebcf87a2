"""Self-checks for course/01_tensors.ipynb."""

from sidebyside.exercises.course00 import numbers
from sidebyside.selfcheck import exercise


def _as_numpy(value):
    from sidebyside.show import to_numpy

    return to_numpy(value)


# q1: an outer product by broadcasting, written once for both frameworks.
def _q1_solution():
    return (lambda a, b: a[:, None] * b[None, :],)


def _q1_wrong():
    return [
        (lambda a, b: a * b,),  # element-wise: shapes (3,) and (4,) do not broadcast
        (lambda a, b: a[None, :] * b[:, None],),  # the transpose: shape (4, 3)
        (lambda a, b: a[:, None] + b[None, :],),  # right shape, adds instead of multiplying
        (lambda a, b: a @ b,),  # a dot product needs equal lengths
    ]


@exercise("course01.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: a[:, None] has shape (3, 1), b[None, :] has shape (1, 4), and "
                  "broadcasting stretches both to (3, 4). The same line works in both frameworks.")
def q1(outer):
    import numpy as np
    import tensorflow as tf
    import torch

    rng = np.random.default_rng()
    a = rng.normal(size=3).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    expected = np.outer(a, b)
    for name, make in (("PyTorch", torch.tensor), ("TensorFlow", tf.constant)):
        result = _as_numpy(outer(make(a), make(b)))
        assert result.shape == (3, 4), (
            f"With {name} tensors of shapes (3,) and (4,) the result should have shape (3, 4), "
            f"not {tuple(result.shape)}. Hint: a[:, None] has shape (3, 1)."
        )
        assert np.allclose(result, expected, atol=1e-5), (
            f"Right shape, wrong values with {name} tensors: entry [i, j] should be a[i] * b[j]."
        )


# q2: predict what NumPy sharing does.
def _q2_solution():
    return ((7.0, 0.0),)


def _q2_wrong():
    return [
        ((7.0, 7.0),),  # thinks TensorFlow shares memory too
        ((0.0, 0.0),),  # thinks both copy
        ((0.0, 7.0),),  # swapped
        ((7.0,),),  # only one number
        (7.0,),  # a single number instead of a pair
    ]


@exercise("course01.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: torch.from_numpy shares the array's memory, tf.convert_to_tensor "
                  "copies it.")
def q2(answer):
    t0, u0 = numbers(answer, 2, "Give a pair of numbers: (t[0], u[0]).")
    assert t0 == 7.0, (
        "t[0] is wrong. Hint: torch.from_numpy does not copy; the tensor and the array are the "
        "same memory."
    )
    assert u0 == 0.0, (
        "u[0] is wrong. Hint: tf.convert_to_tensor made its own copy before the array changed."
    )


# q3: integer tensors and true division in TensorFlow.
def _q3_solution():
    def halve(t):
        import tensorflow as tf

        return tf.cast(t, tf.float32) / 2

    return (halve,)


def _q3_wrong():
    import tensorflow as tf

    return [
        (lambda t: t / 2,),  # TF's true division of int32 gives float64
        (lambda t: t // 2,),  # integer division: stays int32 and drops the .5
        (lambda t: tf.cast(t // 2, tf.float32),),  # casts after dividing: the .5 is already lost
        (lambda t: t * 0.5,),  # int32 times a Python float raises in TF
    ]


@exercise("course01.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Correct: cast first (tf.cast(t, tf.float32)), then divide. TensorFlow will not "
                  "mix int32 with a float, and its `/` on integers gives float64, not float32.")
def q3(halve):
    import numpy as np
    import tensorflow as tf

    values = np.random.default_rng().integers(-9, 10, size=6).astype(np.int32)
    values[0] = 3  # at least one odd number, so a lost .5 shows
    result = halve(tf.constant(values))
    assert isinstance(result, (tf.Tensor, tf.Variable)), "Return a TensorFlow tensor."
    assert result.dtype == tf.float32, (
        f"The result has dtype {result.dtype.name}, not float32. Hint: `/` on int32 tensors "
        "gives float64 in TensorFlow; cast with tf.cast(t, tf.float32) before dividing."
    )
    assert np.allclose(result.numpy(), values / 2), (
        "Right dtype, wrong values: 3 should become 1.5. Hint: cast before you divide."
    )
