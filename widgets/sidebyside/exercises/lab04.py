"""Self-checks for labs/04_framework_translation.ipynb.

Each checker tries the answer on fresh random arrays with all dimensions different, so a transpose
that happens to fit the shapes cannot pass by accident. NumPy only: importing this module stays cheap.
"""

from sidebyside.selfcheck import exercise

# ---------------------------------------------------------------------------------------------------
# lab04.q1: PyTorch Linear (weight, bias) -> Keras Dense weights [kernel, bias]


def _q1_solution():
    import numpy as np

    return (lambda weight, bias: [np.asarray(weight).T, np.asarray(bias)],)


def _q1_wrong():
    import numpy as np

    return [
        (lambda weight, bias: [np.asarray(weight), np.asarray(bias)],),  # no transpose
        (lambda weight, bias: [np.asarray(weight).reshape(np.shape(weight)[::-1]),
                               np.asarray(bias)],),  # reshape: right shape, scrambled numbers
        (lambda weight, bias: [np.asarray(bias), np.asarray(weight).T],),  # Keras order is kernel, bias
    ]


@exercise(
    "lab04.q1",
    solution=_q1_solution,
    wrong_answers=_q1_wrong,
    success="Right: Dense's kernel is Linear's weight transposed, (in, out); the bias is unchanged.",
    hints=["PyTorch computes x @ W.T + b, Keras x @ K + b. What is K?"],
)
def q1(convert):
    import numpy as np

    assert callable(convert), "Answer a function of (weight, bias)."
    rng = np.random.default_rng()
    n_in, n_out = 5, 3
    weight, bias = rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    result = convert(weight, bias)
    assert isinstance(result, (list, tuple)) and len(result) == 2, (
        "Return a list [kernel, bias], the order Keras's set_weights expects."
    )
    kernel, b = (np.asarray(v) for v in result)
    assert kernel.shape == (n_in, n_out), (
        f"The kernel has shape {kernel.shape}; a Dense kernel is (in, out) = {(n_in, n_out)}."
    )
    x = rng.normal(size=(4, n_in))
    assert np.allclose(x @ kernel + b, x @ weight.T + bias), (
        "Same shape, different numbers: reshape reorders nothing, a transpose does (weight.T)."
    )


# ---------------------------------------------------------------------------------------------------
# lab04.q2: PyTorch Conv2d weight (out, in, kh, kw) -> Keras Conv2D kernel (kh, kw, in, out)


def _q2_solution():
    import numpy as np

    return (lambda w: np.transpose(w, (2, 3, 1, 0)),)


def _q2_wrong():
    import numpy as np

    return [
        (lambda w: np.asarray(w).T,),  # reverses all axes: (kw, kh, in, out), kernel flipped
        (lambda w: np.transpose(w, (2, 3, 0, 1)),),  # (kh, kw, out, in): in and out swapped
        (lambda w: np.reshape(w, (w.shape[2], w.shape[3], w.shape[1], w.shape[0])),),  # reshape
    ]


@exercise(
    "lab04.q2",
    solution=_q2_solution,
    wrong_answers=_q2_wrong,
    success="Right: np.transpose(w, (2, 3, 1, 0)) moves (out, in, kh, kw) to (kh, kw, in, out).",
    hints=["Write the target order as positions of the source axes: kh is axis 2, kw 3, in 1, out 0."],
)
def q2(convert):
    import numpy as np

    assert callable(convert), "Answer a function of the PyTorch weight."
    rng = np.random.default_rng()
    out_c, in_c, kh, kw = 4, 2, 3, 5  # all different
    w = rng.normal(size=(out_c, in_c, kh, kw))
    kernel = np.asarray(convert(w))
    assert kernel.shape == (kh, kw, in_c, out_c), (
        f"Shape {kernel.shape}; a Conv2D kernel is (kh, kw, in, out) = {(kh, kw, in_c, out_c)}."
    )
    for o, i, y, x in [(0, 1, 2, 4), (3, 0, 1, 0), (2, 1, 0, 3)]:
        assert np.isclose(kernel[y, x, i, o], w[o, i, y, x]), (
            "Right shape, numbers in the wrong places: use a transpose with the axis order "
            "(kh, kw, in, out), not reshape."
        )


# ---------------------------------------------------------------------------------------------------
# lab04.q3: images NCHW -> NHWC


def _q3_solution():
    import numpy as np

    return (lambda x: np.transpose(x, (0, 2, 3, 1)),)


def _q3_wrong():
    import numpy as np

    return [
        (lambda x: np.reshape(x, (x.shape[0], x.shape[2], x.shape[3], x.shape[1])),),  # reshape
        (lambda x: np.transpose(x, (0, 3, 2, 1)),),  # H and W swapped
        (lambda x: np.asarray(x),),  # unchanged
    ]


@exercise(
    "lab04.q3",
    solution=_q3_solution,
    wrong_answers=_q3_wrong,
    success="Right: channels move last; np.moveaxis(x, 1, -1) is the same thing.",
    hints=["Keras wants (N, H, W, C). Which axis of (N, C, H, W) goes last?"],
)
def q3(convert):
    import numpy as np

    assert callable(convert), "Answer a function of the image batch."
    rng = np.random.default_rng()
    x = rng.normal(size=(2, 3, 4, 5))
    y = np.asarray(convert(x))
    assert y.shape == (2, 4, 5, 3), f"Shape {y.shape}; NHWC here is (2, 4, 5, 3)."
    assert np.allclose(y[1, 2, 3, :], x[1, :, 2, 3]), (
        "Each pixel's channel values must stay together: transpose, do not reshape."
    )
