"""Self-checks for course/10_choosing_and_combining.ipynb."""

from sidebyside.selfcheck import exercise


def _q1_solution():
    import numpy as np

    return (lambda t: np.from_dlpack(t),)


def _q1_wrong():
    import numpy as np

    return [
        (lambda t: np.array(t.tolist(), dtype=np.float32),),  # copies through Python lists
        (lambda t: t.numpy().copy(),),  # an explicit copy
        (lambda t: np.array(t.numpy()),),  # np.array copies by default
        (lambda t: np.from_dlpack(t.clone()),),  # shares memory with a clone, not with t
    ]


@exercise("course10.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: np.from_dlpack(t) is a view of t's memory (t.numpy() is one too, for CPU "
                  "tensors; DLPack is the route that works between any two libraries).",
          hints=["NumPy ≥ 1.22 has np.from_dlpack, which accepts any object with __dlpack__."])
def q1(to_numpy_shared):
    import numpy as np
    import torch

    t = torch.from_numpy(np.random.default_rng().normal(size=(3, 4)).astype(np.float32))
    array = to_numpy_shared(t)
    assert isinstance(array, np.ndarray), f"Return a NumPy array, not {type(array).__name__}."
    assert array.shape == (3, 4) and np.allclose(array, t.numpy()), "The values must be t's values."
    t.add_(1.0)
    assert np.allclose(array, t.numpy()), (
        "Your array did not change when t changed in place: it is a copy. Use DLPack to share memory."
    )


def _q2_solution():
    return ({"B", "C"},)


def _q2_wrong():
    return [
        ({"B"},),  # missed that torch.from_dlpack reads TF tensors directly
        ({"A", "B", "C"},),  # tf.constant copies
        ({"B", "C", "E"},),  # ONNX moves a model file, not tensors
        ({"A", "D"},),  # round trips through NumPy copy
    ]


@exercise("course10.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: B and C go through DLPack; A and D copy (tf.constant / torch.tensor copy "
                  "their input); ONNX exchanges model files, not tensors.")
def q2(zero_copy):
    got = {str(x).strip().upper() for x in zero_copy}
    assert got <= set("ABCDE"), f"Use letters A to E only; got {sorted(got)}."
    if "E" in got:
        raise AssertionError("ONNX is a file format for models, not a way to share a tensor.")
    if got & {"A", "D"}:
        raise AssertionError("tf.constant(...) and torch.tensor(...) always copy their input.")
    assert got == {"B", "C"}, "One DLPack route is missing: both directions work."
