"""`show()` prints a value identically whichever framework computed it."""

import numpy as np
import pytest

from sidebyside.show import format_value, show


@pytest.fixture(scope="module")
def frameworks():
    from sidebyside.kernel import quiet_tensorflow_logs

    quiet_tensorflow_logs()
    import tensorflow as tf
    import torch

    return torch, tf


def test_same_text_for_torch_tensorflow_and_numpy(frameworks):
    torch, tf = frameworks
    data = [[1.0, 2.5], [-0.00001, 3.123456]]
    expected = format_value(np.array(data, dtype=np.float32))
    assert format_value(torch.tensor(data)) == expected
    assert format_value(torch.tensor(data, requires_grad=True) * 1) == expected  # needs detach
    assert format_value(tf.constant(data)) == expected
    assert format_value(tf.Variable(data)) == expected
    assert "3.1235" in expected and "-0." not in expected  # rounded, no negative zero


def test_scalars_and_integers(frameworks):
    torch, tf = frameworks
    assert format_value(torch.tensor(11.0)) == format_value(tf.constant(11.0)) == "11.0"
    assert format_value(torch.tensor([1, 2])) == format_value(tf.constant([1, 2])) == "[1, 2]"


def test_show_prints_one_line_per_name(capsys):
    show(z=11.0, grad=np.array([4.0, 3.0]))
    assert capsys.readouterr().out == "z = 11.0\ngrad = [4., 3.]\n"
