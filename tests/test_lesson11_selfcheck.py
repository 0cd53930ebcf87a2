"""Lesson 11 Q1 reads the learner's `call()` for framework ops. The learner defines the class in a
notebook cell, so the check must find that source in a real kernel (IPython keeps cell sources), not
only in a module file as in test_selfchecks."""

from __future__ import annotations

import pytest

pytest.importorskip("jupyter_client")
from kernels import python_kernel  # noqa: E402


@pytest.fixture(scope="module")
def kernel():
    with python_kernel(KERAS_BACKEND="tensorflow") as kc:
        yield kc


def run(kc, code: str) -> str:
    out: list[str] = []

    def collect(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])

    kc.execute_interactive(code, timeout=300, output_hook=collect)
    return "".join(out)


PREAMBLE = "import keras\nimport tensorflow as tf\nfrom keras import ops\nfrom sidebyside import check\n"


def test_a_cell_defined_layer_with_tf_ops_is_rejected_by_reading_its_source(kernel):
    run(kernel, PREAMBLE)
    run(kernel, "class Standardize(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)\n"
                "        return (x - mean) / tf.sqrt(var + 1e-5)\n")
    out = run(kernel, 'check("course11.q1", Standardize)')
    # The numbers are right on this (TensorFlow) kernel: only the source reveals the tf calls.
    assert out.startswith("✘") and "call() uses tf" in out, out


def test_a_cell_defined_keras_ops_layer_is_accepted(kernel):
    run(kernel, PREAMBLE)
    run(kernel, "import numpy as np\n\n"
                "class Standardize(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        mean, var = ops.moments(x, axes=[-1], keepdims=True)\n"
                "        return (x - mean) / ops.sqrt(var + np.float32(1e-5))  # a NumPy constant is fine\n")
    out = run(kernel, 'check("course11.q1", Standardize)')
    assert out.startswith("✔"), out


def test_a_missing_keepdims_shows_the_shape_error_under_keras_wrapper():
    """Keras wraps an error inside call() as 'Exception encountered when calling X.call().': the
    feedback must show what went wrong inside, the shapes that do not broadcast."""
    from sidebyside import selfcheck
    from sidebyside.exercises import course11

    wrong = {cls.__name__: cls for (cls,) in course11._q1_wrong()}
    status, message = selfcheck.verdict("course11.q1", wrong["NoKeepdims"])
    assert status == "wrong"
    assert "Incompatible shapes: [4,6] vs. [4]" in message, message
    assert "Exception encountered" not in message and "\x1b" not in message, message


def test_the_cause_is_read_from_inside_the_keras_wrapper():
    from sidebyside.exercises.course11 import _cause

    wrapped = ValueError("Exception encountered when calling Standardize.call().\n\n"
                         "\x1b[1mThe size of tensor a (6) must match the size of tensor b (4)\x1b[0m\n\n"
                         "Arguments received by Standardize.call():\n  • x=torch.Tensor(shape=(4, 6))")
    assert _cause(wrapped) == "ValueError: The size of tensor a (6) must match the size of tensor b (4)"
    assert _cause(KeyError("plain")) == "KeyError: 'plain'"
    assert _cause(RuntimeError()) == "RuntimeError"
