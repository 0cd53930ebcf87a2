"""Self-checks for course/06_building_models.ipynb."""

from sidebyside.selfcheck import exercise


def _q1_solution():
    return (lambda n_in, n_hidden, n_out: n_in * n_hidden + n_hidden + n_hidden * n_out + n_out,)


def _q1_wrong():
    return [
        (lambda n_in, n_hidden, n_out: n_in * n_hidden + n_hidden * n_out,),  # forgot the biases
        (lambda n_in, n_hidden, n_out: n_in * n_hidden + n_hidden * n_out + n_out,),  # one bias only
        (lambda n_in, n_hidden, n_out: (n_in + 1) * (n_hidden + 1) * n_out,),  # multiplied layers
        (lambda n_in, n_hidden, n_out: 17,),  # the number printed above, for every size
    ]


@exercise("course06.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: each Linear(a, b) has a·b weights plus b biases; ReLU has none.",
          hints=["Linear(a, b) holds a weight matrix of a·b numbers and a bias vector of b numbers."])
def q1(count_params):
    import random

    rng = random.Random()
    cases = [(2, 4, 1)] + [(rng.randint(1, 50), rng.randint(1, 50), rng.randint(1, 20)) for _ in range(5)]
    for n_in, n_hidden, n_out in cases:
        expected = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out
        got = count_params(n_in, n_hidden, n_out)
        assert got == expected, (
            f"count_params({n_in}, {n_hidden}, {n_out}) returned {got}, expected {expected}. "
            "Count weights and biases of both Linear layers."
        )


def _q2_solution():
    import numpy as np

    return (lambda grad_h_relu, h: np.where(h < 0, 0.0, grad_h_relu),)


def _q2_wrong():
    import numpy as np

    return [
        (lambda grad_h_relu, h: grad_h_relu,),  # forgot ReLU's derivative
        (lambda grad_h_relu, h: np.where(h > 0, 0.0, grad_h_relu),),  # zeroed the wrong side
        (lambda grad_h_relu, h: np.maximum(grad_h_relu, 0.0),),  # clamped the gradient, not by h
        (lambda grad_h_relu, h: np.maximum(h, 0.0),),  # returned the forward pass
    ]


@exercise("course06.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: ReLU passes the gradient where h > 0 and blocks it where h < 0.",
          hints=["In PyTorch: grad_h = grad_h_relu.clone(); grad_h[h < 0] = 0. In NumPy: np.where."])
def q2(relu_backward):
    import numpy as np

    rng = np.random.default_rng()
    h = rng.normal(size=(6, 5))
    grad = rng.normal(size=(6, 5))
    expected = np.where(h < 0, 0.0, grad)
    got = np.asarray(relu_backward(grad.copy(), h.copy()), dtype=float)
    assert got.shape == expected.shape, f"expected shape {expected.shape}, got {got.shape}."
    assert np.allclose(got, expected), (
        "The gradient must be unchanged where h > 0 and zero where h < 0 (it depends on h, "
        "not on the sign of the gradient)."
    )
