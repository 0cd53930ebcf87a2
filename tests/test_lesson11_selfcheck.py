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
