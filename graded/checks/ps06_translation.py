"""Trusted checks for ps06_translation.

The probe builds the PyTorch model in the kernel from weights drawn HERE (so the student's TorchNet
class cannot be altered to make the job easier), asks the student's `to_keras` for the translation,
and reports the Keras outputs and input-gradients. The reference forward and backward pass is NumPy.
"""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, require

PROBE = """
import numpy as np, torch, tensorflow as tf

class _Net(torch.nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = torch.nn.Linear(n_in, n_hidden)
        self.out = torch.nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))

W1, b1, W2, b2 = (np.asarray(inputs[k], dtype=np.float32) for k in ("W1", "b1", "W2", "b2"))
net = _Net(W1.shape[1], W1.shape[0], W2.shape[0])
with torch.no_grad():
    net.hidden.weight.copy_(torch.tensor(W1)); net.hidden.bias.copy_(torch.tensor(b1))
    net.out.weight.copy_(torch.tensor(W2)); net.out.bias.copy_(torch.tensor(b2))
model = to_keras(net)
x = tf.constant(np.asarray(inputs["x"], dtype=np.float32))
with tf.GradientTape() as tape:
    tape.watch(x)
    y = model(x)
    loss = tf.reduce_sum(tf.convert_to_tensor(y) ** 2)
result = {"output": np.asarray(y, dtype=float).tolist(),
          "grad": np.asarray(tape.gradient(loss, x), dtype=float).tolist()}
"""


def inputs(rng):
    i, h, o = (int(v) for v in rng.integers(2, 8, size=3))
    shapes = {"W1": (h, i), "b1": (h,), "W2": (o, h), "b2": (o,), "x": (4, i)}
    return {k: (rng.normal(size=s) * 0.7).astype(np.float32).tolist() for k, s in shapes.items()}


def verify(inputs, result):
    require(result, "output", "grad")
    W1, b1, W2, b2, x = (np.asarray(inputs[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2", "x"))
    hid = np.tanh(x @ W1.T + b1)
    y = hid @ W2.T + b2
    dy = 2 * y
    dx = ((dy @ W2) * (1 - hid**2)) @ W1
    assert_close(result["output"], y, "the Keras model's output", rtol=1e-4, atol=1e-5)
    assert_close(result["grad"], dx, "the gradient of sum(output**2) w.r.t. the input", rtol=1e-3,
                 atol=1e-5)


CHECKS = [Check("ps06_q1_tests", PROBE, inputs, verify,
      visibility="visible", points=4,
      message=("your Keras twin gives the PyTorch model's outputs and input-gradients on fresh "
               "weights and inputs"))]
