"""Trusted checks for ps07_training: the grader trains the same linear model in NumPy, here, and
compares every batch loss and the final weights with what the student's step and epoch functions did
on fresh data, uneven last batch included."""

import numpy as np

from sidebyside.grading.spec import Check, array, assert_close, require


def _draw(rng, n_low=2, n_high=6):
    n = int(rng.integers(n_low, n_high))
    d, k = (int(v) for v in rng.integers(2, 5, size=2))
    return {"W": rng.normal(size=(d, k)).astype(np.float32).tolist(),
            "b": rng.normal(size=k).astype(np.float32).tolist(),
            "x": rng.normal(size=(n, d)).astype(np.float32).tolist(),
            "y": rng.normal(size=(n, k)).astype(np.float32).tolist(),
            "lr": float(rng.choice([0.05, 0.1, 0.2]))}


def step_inputs(rng):
    """Three steps on three fresh batches, from one start: the update must be right every time."""
    first = _draw(rng)
    d, k = np.shape(first["W"])
    batches = [{"x": rng.normal(size=(int(rng.integers(2, 6)), d)).astype(np.float32).tolist(),
                "y": None} for _ in range(3)]
    for batch in batches:
        batch["y"] = rng.normal(size=(len(batch["x"]), k)).astype(np.float32).tolist()
    return {"W": first["W"], "b": first["b"], "lr": first["lr"], "batches": batches}


def epoch_inputs(rng):
    inputs = _draw(rng, 7, 15)
    n = len(inputs["x"])
    sizes = [s for s in range(2, n) if n % s]  # every size that leaves a smaller last batch
    inputs["batch_size"] = int(rng.choice(sizes))
    return inputs


def sgd_reference(W, b, batches, lr):
    """Plain SGD on mean squared error, in float64: the batch losses and the final weights."""
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    losses = []
    for x, y in batches:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        err = x @ W + b - y
        losses.append(float(np.mean(err**2)))
        W, b = W - lr * 2 * x.T @ err / err.size, b - lr * 2 * err.sum(0) / err.size
    return losses, W, b


# The probes build the models themselves: they never trust the notebook's helper cells.
TORCH_MODEL = """
import numpy as np, torch
W, b = np.asarray(inputs["W"], dtype=np.float32), np.asarray(inputs["b"], dtype=np.float32)
model = torch.nn.Linear(W.shape[0], W.shape[1])
with torch.no_grad():
    model.weight.copy_(torch.tensor(W.T))
    model.bias.copy_(torch.tensor(b))
"""

Q1_PROBE = TORCH_MODEL + """
optimizer = torch.optim.SGD(model.parameters(), lr=inputs["lr"])
losses = [train_step_torch(model, optimizer, torch.tensor(np.asarray(bt["x"], dtype=np.float32)),
                           torch.tensor(np.asarray(bt["y"], dtype=np.float32)))
          for bt in inputs["batches"]]
result = {"losses": [float(v) for v in losses],
          "W": model.weight.detach().numpy().T.astype(float).tolist(),
          "b": model.bias.detach().numpy().astype(float).tolist()}
"""

Q2_PROBE = """
import keras, numpy as np, tensorflow as tf
W, b = np.asarray(inputs["W"], dtype=np.float32), np.asarray(inputs["b"], dtype=np.float32)
layer = keras.layers.Dense(W.shape[1])
layer.build((None, W.shape[0]))
layer.set_weights([W, b])
optimizer = keras.optimizers.SGD(learning_rate=inputs["lr"])
losses = [train_step_tf(layer, optimizer, tf.constant(np.asarray(bt["x"], dtype=np.float32)),
                        tf.constant(np.asarray(bt["y"], dtype=np.float32)))
          for bt in inputs["batches"]]
result = {"losses": [float(v) for v in losses],
          "W": np.asarray(layer.kernel).astype(float).tolist(),
          "b": np.asarray(layer.bias).astype(float).tolist()}
"""


def step_verify(name):
    def verify(inputs, result):
        require(result, "losses", "W", "b")
        batches = [(bt["x"], bt["y"]) for bt in inputs["batches"]]
        losses, W, b = sgd_reference(inputs["W"], inputs["b"], batches, inputs["lr"])
        got = array(result["losses"], f"the losses {name} returned")
        if got.shape != (len(losses),):
            raise AssertionError(f"{name} must return one float per call")
        assert_close(got, losses, f"the losses {name} returned (before each update)",
                     rtol=1e-4, atol=1e-5)
        assert_close(result["W"], W, f"the weights after three {name} calls", rtol=1e-4, atol=1e-5)
        assert_close(result["b"], b, f"the bias after three {name} calls", rtol=1e-4, atol=1e-5)
    return verify


Q3_PROBE = TORCH_MODEL + """
optimizer = torch.optim.SGD(model.parameters(), lr=inputs["lr"])
loss = train_epoch_torch(model, optimizer, np.asarray(inputs["x"], dtype=np.float32),
                         np.asarray(inputs["y"], dtype=np.float32), inputs["batch_size"])
result = {"loss": float(loss), "W": model.weight.detach().numpy().T.astype(float).tolist(),
          "b": model.bias.detach().numpy().astype(float).tolist()}
"""


def q3_verify(inputs, result):
    require(result, "loss", "W", "b")
    x, y, size = inputs["x"], inputs["y"], inputs["batch_size"]
    batches = [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]
    losses, W, b = sgd_reference(inputs["W"], inputs["b"], batches, inputs["lr"])
    rows = [len(bx) for bx, _ in batches]
    weighted = float(np.dot(losses, rows) / sum(rows))
    got = float(array(result["loss"], "the epoch loss"))
    if np.isclose(got, float(np.mean(losses)), rtol=1e-4, atol=1e-6) and not np.isclose(
            got, weighted, rtol=1e-4, atol=1e-6):
        raise AssertionError("the epoch loss is the plain mean of the batch losses: weight each "
                             "batch's loss by its number of rows")
    assert_close(result["W"], W, "the weights after one epoch (every batch, the last smaller one "
                 "too, in order)", rtol=1e-4, atol=1e-5)
    assert_close(result["b"], b, "the bias after one epoch", rtol=1e-4, atol=1e-5)
    assert_close(got, weighted, "the epoch loss (mean over samples)", rtol=1e-4, atol=1e-5)


CHECKS = [
    Check("ps07_q1_tests", Q1_PROBE, step_inputs, step_verify("train_step_torch"),
          visibility="visible", points=3,
          message=("one PyTorch training step changes the weights exactly as the reference step "
                   "does")),
    Check("ps07_q2_tests", Q2_PROBE, step_inputs, step_verify("train_step_tf"),
          visibility="visible", points=3,
          message=("one TensorFlow training step changes the weights exactly as the reference "
                   "step does")),
    Check("ps07_q3_tests", Q3_PROBE, epoch_inputs, q3_verify,
          visibility="after_due", points=4,
          message=("an epoch over uneven batches ends with the reference weights and reports the "
                   "loss as Keras does")),
]
