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


def test_show_stays_the_function_after_its_module_is_imported():
    """`from sidebyside import show` in a later cell, after show() ran or an exercise imported the
    module sidebyside.show, once gave the module ("'module' object is not callable")."""
    import subprocess
    import sys

    code = (
        "from sidebyside import show\n"
        "show(a=1.0)\n"
        "import sidebyside.exercises.course16\n"  # imports the module sidebyside.show
        "from sidebyside import show as again\n"
        "again(b=2.0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "a = 1.0\nb = 2.0\n"
