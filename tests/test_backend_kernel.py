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


def test_push_copies_values_there(torch_side):
    torch_side.push(shape=(2, 3), name="course11")
    assert torch_side.pull("(shape, name)") == ((2, 3), "course11")
    with pytest.raises(ValueError, match="not a Python name"):
        torch_side.push(**{"not a name": 1})


def test_the_cell_magic_in_a_real_notebook_kernel():
    """What the lesson does: a course kernel (TF backend) starts the torch kernel and uses the magic."""
    jupyter_client = pytest.importorskip("jupyter_client")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "PYTEST_CURRENT_TEST": ""})
    client = manager.client()
    client.start_channels()

    def run(code):
        out, errors = [], []

        def collect(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append(msg["content"]["ename"] + ": " + msg["content"]["evalue"])

        client.execute_interactive(code, timeout=300, output_hook=collect)
        return "".join(out), errors

    try:
        client.wait_for_ready(timeout=120)
        _, errors = run("import os\nos.environ['KERAS_BACKEND'] = 'tensorflow'\nimport keras\n"
                        "from types import SimpleNamespace\n"
                        "from sidebyside.backend_kernel import start_backend_kernel\n"
                        "torch_side = start_backend_kernel('torch', SimpleNamespace(threads=1, seed=0))")
        assert not errors, errors
        out, errors = run("%%keras_backend torch\nimport keras\nprint('there:', keras.backend.backend())")
        assert (out, errors) == ("there: torch\n", [])
        out, errors = run("%%keras_backend torch tensorflow\nimport keras\nshared = keras.backend.backend()\n"
                          "print(shared)")
        assert out == "[torch backend]\ntorch\n[tensorflow backend]\ntensorflow\n" and not errors
        _, errors = run("%%keras_backend jax\nprint(1)")
        assert errors and "no kernel for backend 'jax'" in errors[0]
        _, errors = run("%%keras_backend torch\nraise KeyError('missing')")
        assert errors and errors[0].startswith("BackendKernelError: KeyError")
        out, _ = run("torch_side.shutdown()\nprint(torch_side.alive)")
        assert out == "False\n"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
