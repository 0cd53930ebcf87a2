"""Self-checks for labs/01_imperative_vs_symbolic.ipynb.

Frameworks are imported inside the functions: importing this module (the registry imports every
exercise module) must stay cheap.
"""

from sidebyside.selfcheck import exercise

# ---------------------------------------------------------------------------------------------------
# lab01.q1: write the tf.function version of the running example D = B·A + 1 (a matrix product plus one)


def _q1_solution():
    import tensorflow as tf

    @tf.function
    def matmul_plus_one_tf(A, B):
        C = tf.matmul(B, A)
        return C + 1.0

    return (matmul_plus_one_tf,)


def _q1_wrong():
    import numpy as np
    import tensorflow as tf

    def not_a_graph(A, B):  # right numbers, but eager: no graph is ever built
        return tf.matmul(B, A) + 1.0

    return [
        (not_a_graph,),
        (tf.function(lambda A, B: tf.matmul(A, B) + 1.0),),  # A·B instead of B·A
        (tf.function(lambda A, B: B * A + 1.0),),  # elementwise product, not a matrix product
        (tf.function(lambda A, B: np.dot(B, A) + 1.0),),  # NumPy on symbolic tensors
        (tf.function(lambda A, B: tf.matmul(B, A)),),  # forgot D = C + 1
    ]


@exercise(
    "lab01.q1",
    solution=_q1_solution,
    wrong_answers=_q1_wrong,
    success="Right: one traced graph (MatMul, then AddV2) that TensorFlow can run again and again.",
    hints=["Decorate a function of (A, B) with @tf.function and use tf.matmul(B, A) + 1."],
)
def q1(fn):
    import numpy as np
    import tensorflow as tf

    assert callable(fn), "Answer a function of (A, B)."
    assert hasattr(fn, "get_concrete_function"), (
        "This is a plain Python function: TensorFlow runs it eagerly, op by op. "
        "Wrap it with @tf.function so TensorFlow traces it into a graph."
    )
    rng = np.random.default_rng()
    n, k, m = (int(v) for v in rng.integers(2, 6, size=3))
    while len({n, k, m}) < 3:  # distinct sizes: a transposed product cannot pass by accident
        n, k, m = (int(v) for v in rng.integers(2, 6, size=3))
    A = rng.normal(size=(k, m)).astype(np.float32)
    B = rng.normal(size=(n, k)).astype(np.float32)
    try:
        got = fn(tf.constant(A), tf.constant(B))
    except NotImplementedError:
        raise AssertionError(
            "Inside tf.function, A and B are symbolic tensors with no values yet: NumPy cannot "
            "multiply them. Use TF ops (tf.matmul)."
        ) from None
    except (ValueError, TypeError, tf.errors.OpError) as err:
        raise AssertionError(
            f"With A of shape {A.shape} and B of shape {B.shape} your function raised "
            f"{type(err).__name__}. Mind the order and the kind of product: C = B·A is a matrix "
            "product (tf.matmul(B, A)), B's columns meet A's rows. (An input_signature that fixes "
            "the shapes to [2, 2] also fails here: leave it out, or use None for the sizes.)"
        ) from None
    got = np.asarray(got)
    assert got.shape == (n, m), f"D should have shape {(n, m)} (B·A), got {got.shape}."
    C = B @ A
    if np.allclose(got, C, atol=1e-4):
        raise AssertionError("That is C = B·A. The running example goes one step further: D = C + 1.")
    assert np.allclose(got, C + 1, atol=1e-4), "D does not match B·A + 1 on random matrices."


# ---------------------------------------------------------------------------------------------------
# lab01.q2: how many lines do print and tf.print produce for three calls, two signatures?

Q2_CALLS = (1.0, 2.0, [1.0, 2.0])  # the notebook calls noisy(tf.constant(v)) for each v


def measure_q2() -> tuple[int, int]:
    """(lines from print, lines from tf.print), measured by running the notebook's code."""
    import contextlib
    import io
    import os
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as folder:
        log = os.path.join(folder, "tf_print.log")
        printed = io.StringIO()

        @tf.function
        def noisy(x):
            print("traced")
            tf.print("ran", output_stream="file://" + log)
            return x + 1

        with contextlib.redirect_stdout(printed):
            for v in Q2_CALLS:
                noisy(tf.constant(v))
        with open(log) as f:
            tf_lines = len(f.read().splitlines())
    return len(printed.getvalue().splitlines()), tf_lines


def _q2_solution():
    return (2, 3)


def _q2_wrong():
    # (1, 3): forgot that a new shape retraces; (3, 3): print on every call; (2, 2): tf.print
    # tied to tracing; (0, 3): print never runs in a graph
    return [(1, 3), (3, 3), (2, 2), (1, 1), (0, 3), (3, 2)]


@exercise(
    "lab01.q2",
    solution=_q2_solution,
    wrong_answers=_q2_wrong,
    success="Right: print ran while TensorFlow traced, once per input signature (a scalar, then a "
    "vector: two traces); tf.print is an op in the graph, so it runs on every call.",
)
def q2(print_lines, tf_print_lines):
    expected_print, expected_tf = measure_q2()
    assert int(print_lines) == expected_print, (
        "Count the print lines again. Hint: Python's print runs only while tf.function traces. "
        "Two float32 scalars share one trace; a tensor of a new shape gets a new trace."
    )
    assert int(tf_print_lines) == expected_tf, (
        "Count the tf.print lines again. Hint: tf.print is an op inside the graph: it runs every "
        "time the graph runs."
    )


# ---------------------------------------------------------------------------------------------------
# lab01.q3: define-by-run gradients: d(sum D)/dA with PyTorch autograd


def _q3_solution():
    def grad_sum_D(A, B):
        A = A.detach().clone().requires_grad_(True)
        D = B @ A + 1  # autograd records the graph while this line runs
        D.sum().backward()
        return A.grad

    return (grad_sum_D,)


def _q3_wrong():
    import torch

    def no_sum(A, B):  # backward() of a matrix needs a gradient argument: sum first
        A = A.detach().clone().requires_grad_(True)
        (B @ A + 1).backward()
        return A.grad

    def wrt_B(A, B):  # the gradient with respect to the wrong input
        B = B.detach().clone().requires_grad_(True)
        (B @ A + 1).sum().backward()
        return B.grad

    def only_the_plus_one(A, B):  # d(C + 1)/dA is not 1: C depends on A too
        return torch.ones_like(A)

    def transposed_B(A, B):  # right idea, wrong shape: B.T alone is (k, n), not A's (k, m)
        return B.T

    def mean_not_sum(A, B):  # d(mean D)/dA: the right shape, but divided by the number of entries
        A = A.detach().clone().requires_grad_(True)
        (B @ A + 1).mean().backward()
        return A.grad

    return [(no_sum,), (wrt_B,), (only_the_plus_one,), (transposed_B,), (mean_not_sum,)]


@exercise(
    "lab01.q3",
    solution=_q3_solution,
    wrong_answers=_q3_wrong,
    success="Right: autograd recorded B @ A + 1 while it ran (define-by-run) and backward() walked "
    "that graph: d(sum D)/dA = Bᵀ · 1: every column holds the column sums of B.",
    hints=["Make a copy of A that requires grad, compute D = B @ A + 1, call D.sum().backward(), "
           "return the copy's .grad."],
)
def q3(fn):
    import torch

    assert callable(fn), "Answer a function grad_sum_D(A, B)."
    n, k, m = 4, 3, 5  # distinct sizes: a transposed or wrong-input gradient cannot fit by accident
    A = torch.randn(k, m)  # fresh random inputs on every check
    B = torch.randn(n, k)
    try:
        got = fn(A, B)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise AssertionError(
            f"Your function raised RuntimeError: {first}. backward() needs a scalar (call it on "
            "D.sum()), and A must require grad (A.detach().clone().requires_grad_(True))."
        ) from None
    assert isinstance(got, torch.Tensor), "Return the gradient as a tensor (A's .grad)."
    assert tuple(got.shape) == (k, m), (
        f"The gradient with respect to A has A's shape {(k, m)}; yours has {tuple(got.shape)}. "
        "Did you differentiate with respect to B, or return B.T?"
    )
    want = B.T @ torch.ones(n, m)
    assert torch.allclose(got, want, atol=1e-5), (
        "Values differ from d(sum(B @ A + 1))/dA. Let autograd do it: D.sum().backward() "
        "(sum, not mean)."
    )
