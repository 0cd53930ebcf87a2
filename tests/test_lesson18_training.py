"""The framework facts lesson 18 teaches, re-derived from the pinned torch and Keras.

The lesson's prose states them as facts (defaults that differ, what a call without `training=` does,
which variance BatchNorm averages, how schedules and `weight_decay=` behave); nbval only proves the
committed outputs still come out. If a version bump changes one of these behaviours, this file names
the fact and the sentence of the lesson to rewrite.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def test_the_defaults_the_lesson_prints():
    adamw = torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults
    assert (adamw["weight_decay"], adamw["eps"]) == (0.01, 1e-8)
    k_adamw = keras.optimizers.AdamW()
    assert (k_adamw.weight_decay, k_adamw.epsilon) == (0.004, 1e-7)
    bn = torch.nn.BatchNorm1d(3)
    assert (bn.momentum, bn.eps) == (0.1, 1e-5)
    k_bn = keras.layers.BatchNormalization()
    assert (k_bn.momentum, k_bn.epsilon) == (0.99, 1e-3)


def test_batchnorm_running_variance_unbiased_in_torch_biased_in_keras_and_no_grad_still_updates():
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    bn = torch.nn.BatchNorm1d(3)  # training mode
    with torch.no_grad():  # no_grad does not stop the update
        bn(torch.from_numpy(x))
    assert np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), atol=1e-6)
    k_bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    k_bn(x, training=True)
    assert np.allclose(k_bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), atol=1e-6)
    assert np.allclose(k_bn.moving_mean.numpy(), bn.running_mean.numpy(), atol=1e-6)


def test_a_keras_call_without_training_is_inference_even_under_a_tape():
    x = np.ones((4, 6), np.float32)
    bn, dropout = keras.layers.BatchNormalization(), keras.layers.Dropout(0.5)
    with tf.GradientTape():
        bn(x)
        out = dropout(x)
    assert np.array_equal(bn.moving_mean.numpy(), np.zeros(6)) and np.array_equal(out, x)
    assert not np.array_equal(dropout(x, training=True), x)


def test_adam_weight_decay_is_l2_in_torch_and_decoupled_in_keras():
    def torch_run(cls):
        w = torch.ones(1, requires_grad=True)
        opt = cls([w], lr=0.01, weight_decay=0.01)
        for _ in range(10):
            w.grad = torch.zeros(1)
            opt.step()
        return w.item()

    def keras_run(cls):
        w = keras.Variable([1.0])
        opt = cls(learning_rate=0.01, weight_decay=0.01)
        for _ in range(10):
            opt.apply_gradients([(tf.zeros(1), w)])
        return float(w.numpy()[0])

    decoupled = (1 - 0.01 * 0.01) ** 10  # each step multiplies by 1 - lr * weight_decay
    assert torch_run(torch.optim.AdamW) == pytest.approx(decoupled, abs=1e-6)
    assert torch_run(torch.optim.Adam) == pytest.approx(0.9003, abs=1e-4)  # each step about lr
    assert keras_run(keras.optimizers.AdamW) == pytest.approx(decoupled, abs=1e-6)
    assert keras_run(keras.optimizers.Adam) == pytest.approx(decoupled, abs=1e-6)


def test_cosine_schedules_torch_climbs_back_past_t_max_keras_stays_at_the_floor():
    sgd = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=5)
    rates = []
    for _ in range(10):
        rates.append(sgd.param_groups[0]["lr"])
        sgd.step()
        scheduler.step()
    assert rates[5] == pytest.approx(0.0, abs=1e-9) and rates[8] > 0.05  # back up the cosine
    decay = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=5)
    assert float(decay(8)) == 0.0 and float(decay(4)) == pytest.approx(rates[4], abs=1e-7)


def test_early_stopping_restores_the_best_weights_even_without_stopping():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    best = model.get_weights()
    stopper = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"val_loss": 1.0})
    model.set_weights([w + 1 for w in best])
    stopper.on_epoch_end(1, {"val_loss": 2.0})
    stopper.on_train_end()
    assert stopper.stopped_epoch == 0 and stopper.best_epoch == 0  # never stopped; epochs count from 0
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), best))


def test_checkpoints_restore_the_optimizer_state_in_both(tmp_path):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    torch.save({"optimizer": opt.state_dict()}, tmp_path / "c.pt")
    fresh = torch.optim.Adam(torch.nn.Linear(2, 1).parameters())
    fresh.load_state_dict(torch.load(tmp_path / "c.pt")["optimizer"])  # weights_only=True by default
    assert fresh.state_dict()["state"][0]["step"].item() == 1

    k_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    k_opt = keras.optimizers.Adam()
    k_opt.apply_gradients(zip([tf.ones_like(v) for v in k_model.trainable_variables], k_model.trainable_variables))
    path = tf.train.Checkpoint(model=k_model, optimizer=k_opt).write(str(tmp_path / "k"))
    k_fresh_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    k_fresh = keras.optimizers.Adam()
    k_fresh.build(k_fresh_model.trainable_variables)
    tf.train.Checkpoint(model=k_fresh_model, optimizer=k_fresh).read(path).assert_consumed()
    assert int(k_fresh.iterations.numpy()) == 1
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(k_fresh.variables, k_opt.variables))
