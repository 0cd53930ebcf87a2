"""Self-checks for course/05_devices.ipynb."""

from sidebyside.selfcheck import exercise


# q1: back to NumPy from any device, even from a tensor that requires grad.
def _q1_solution():
    return (lambda t: t.detach().cpu().numpy(),)


def _q1_wrong():
    return [
        (lambda t: t.numpy(),),  # fails for tensors that require grad (and for GPU tensors)
        (lambda t: t.cpu().numpy(),),  # still requires grad
        (lambda t: t.tolist(),),  # a Python list, not a NumPy array
        (lambda t: t.detach().numpy(),),  # fine on the CPU, raises for a GPU tensor
    ]


def _calls(fn, t):
    """Run fn(t), recording the tensor methods it calls: (result, [(name, kwargs), ...])."""
    from torch.overrides import TorchFunctionMode

    class Record(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.calls = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.calls.append((getattr(func, "__name__", ""), dict(kwargs or {})))
            return func(*args, **(kwargs or {}))

    with Record() as record:
        result = fn(t)
    return result, record.calls


@exercise("course05.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: detach() leaves the autograd graph, cpu() copies to host memory "
                  "(a no-op on the CPU), numpy() shares that memory.")
def q1(to_numpy):
    import numpy as np
    import torch

    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    w = torch.randn(4, device=device, requires_grad=True)
    t = w * 2  # on the device, and part of an autograd graph
    result, calls = _calls(to_numpy, t)
    assert isinstance(result, np.ndarray), (
        f"Return a NumPy array, not {type(result).__name__}."
    )
    assert np.allclose(result, (w * 2).detach().cpu().numpy()), "The values changed on the way."
    names = [name for name, _ in calls]
    to_host = {"cpu", "to"} & set(names) or any(kw.get("force") for _, kw in calls)
    if device.type == "cpu" and not to_host and {"numpy", "__array__"} & set(names):
        raise AssertionError(
            "This works here because the tensor is already on the CPU, but on a GPU .numpy() "
            "raises. Hint: copy to host memory first with .cpu()."
        )


# q2: mixing devices.
def _q2_solution():
    return ((True, False),)


def _q2_wrong():
    return [
        ((False, False),),  # thinks PyTorch copies too
        ((True, True),),  # thinks TensorFlow refuses too
        ((False, True),),  # swapped
        ((True,),),  # only one answer
        (("yes", "no"),),  # words, not booleans
    ]


@exercise("course05.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: PyTorch raises (all tensors must be on one device), TensorFlow copies "
                  "the CPU tensor to the GPU for you.")
def q2(answer):
    import numpy as np

    assert isinstance(answer, (tuple, list, np.ndarray)) and len(answer) == 2, (
        "Give a pair of booleans: (PyTorch raises, TensorFlow raises)."
    )
    torch_raises, tf_raises = answer
    assert isinstance(torch_raises, (bool, np.bool_)) and isinstance(tf_raises, (bool, np.bool_)), (
        "Use True or False."
    )
    assert torch_raises, (
        "PyTorch is wrong. Hint: PyTorch never moves a tensor between devices by itself."
    )
    assert not tf_raises, (
        "TensorFlow is wrong. Hint: TensorFlow copies inputs to the device the op runs on."
    )
