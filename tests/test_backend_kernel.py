"""The second kernel of lesson 11: a real ipykernel whose Keras runs on the torch backend.

It must really be another backend (not this process's), show its output here, bring values back,
report its errors by name, and stop when asked.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("jupyter_client")

from sidebyside.backend_kernel import BackendKernelError, start_backend_kernel  # noqa: E402


@pytest.fixture(scope="module")
def torch_side():
    kernel = start_backend_kernel("torch", SimpleNamespace(threads=1, seed=3), register_magic=False)
    yield kernel
    kernel.shutdown()


def test_the_second_kernel_runs_keras_on_torch(torch_side, capsys):
    torch_side.run("import keras, os\nprint(keras.backend.backend(), os.getpid())")
    backend, pid = capsys.readouterr().out.split()
    assert backend == "torch"
    assert int(pid) != os.getpid()


def test_threads_and_seed_follow_the_course_kernel(torch_side):
    assert torch_side.pull("__import__('torch').get_num_threads()") == 1
    torch_side.run("import keras\nkeras.utils.set_random_seed(3)\nr = keras.random.uniform((3,))",
                   echo=False)
    first = torch_side.pull("r.numpy()")
    torch_side.run("keras.utils.set_random_seed(3)\nr = keras.random.uniform((3,))", echo=False)
    np.testing.assert_array_equal(first, torch_side.pull("r.numpy()"))


def test_pull_brings_values_back(torch_side):
    torch_side.run("import numpy as np\nx = np.arange(6.0).reshape(2, 3)", echo=False)
    np.testing.assert_array_equal(torch_side.pull("x"), np.arange(6.0).reshape(2, 3))
    assert torch_side.pull("{'a': [1, 2]}") == {"a": [1, 2]}


def test_errors_come_back_with_their_name(torch_side):
    with pytest.raises(BackendKernelError) as caught:
        torch_side.run("raise ValueError('wrong shape')")
    assert caught.value.ename == "ValueError" and "wrong shape" in str(caught.value)
    with pytest.raises(BackendKernelError, match="NameError"):
        torch_side.pull("no_such_name")
    torch_side.run("print('still alive')")  # an error does not kill the kernel


def test_shutdown_stops_the_kernel():
    kernel = start_backend_kernel("torch", SimpleNamespace(threads=1, seed=0), register_magic=False)
    assert kernel.alive
    kernel.shutdown()
    kernel.shutdown()  # twice is fine
    assert not kernel.alive
    with pytest.raises(RuntimeError, match="not running"):
        kernel.run("print(1)")
