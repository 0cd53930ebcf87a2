"""Print values the same way whatever framework made them.

Twin cells tagged `same-output` print their results with `show(name=value, ...)`. Both cells then print
identical lines (`name = [...]`), which `tests/test_equivalence.py` compares number by number, and
nbval re-checks on every run.
"""

from __future__ import annotations

import numpy as np

DECIMALS = 4


def to_numpy(value) -> np.ndarray:
    """A NumPy copy of a torch tensor, TF tensor or variable, NumPy array or Python number."""
    if hasattr(value, "detach"):  # torch.Tensor (possibly on a GPU, possibly requiring grad)
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):  # tf.Tensor, tf.Variable, EagerTensor
        return np.asarray(value.numpy())
    return np.asarray(value)


def format_value(value) -> str:
    array = np.round(to_numpy(value).astype(np.float64) if _is_float(value) else to_numpy(value),
                     DECIMALS)
    array = np.where(array == 0, 0, array) if array.dtype.kind == "f" else array  # no "-0."
    if array.ndim == 0:
        return str(array.item())
    return np.array2string(array, precision=DECIMALS, suppress_small=True, separator=", ")


def _is_float(value) -> bool:
    return to_numpy(value).dtype.kind in "fc"


def show(**values) -> None:
    """Print `name = value` for each keyword, rounded to 4 decimals."""
    for name, value in values.items():
        print(f"{name} = {format_value(value)}")
