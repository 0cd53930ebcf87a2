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
    ]


@exercise("course05.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Correct: detach() leaves the autograd graph, cpu() copies to host memory "
                  "(a no-op on the CPU), numpy() shares that memory.")
def q1(to_numpy):
    import numpy as np
    import torch

    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    w = torch.randn(4, device=device, requires_grad=True)
    t = w * 2  # on the device, and part of an autograd graph
    result = to_numpy(t)
    assert isinstance(result, np.ndarray), (
        f"Return a NumPy array, not {type(result).__name__}."
    )
    assert np.allclose(result, (w * 2).detach().cpu().numpy()), "The values changed on the way."


# q2: mixing devices.
def _q2_solution():
    return ((True, False),)


def _q2_wrong():
    return [
        ((False, False),),  # thinks PyTorch copies too
        ((True, True),),  # thinks TensorFlow refuses too
        ((False, True),),  # swapped
        ((True,),),  # only one answer
    ]


@exercise("course05.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Correct: PyTorch raises (all tensors must be on one device), TensorFlow copies "
                  "the CPU tensor to the GPU for you.")
def q2(answer):
    assert isinstance(answer, (tuple, list)) and len(answer) == 2, (
        "Give a pair of booleans: (PyTorch raises, TensorFlow raises)."
    )
    torch_raises, tf_raises = answer
    assert isinstance(torch_raises, bool) and isinstance(tf_raises, bool), "Use True or False."
    assert torch_raises, (
        "PyTorch is wrong. Hint: PyTorch never moves a tensor between devices by itself."
    )
    assert not tf_raises, (
        "TensorFlow is wrong. Hint: TensorFlow copies inputs to the device the op runs on."
    )
