"""sidebyside.translate: weights copied between PyTorch and Keras give the same outputs and gradients."""

import numpy as np
import pytest

from sidebyside import translate

RNG = np.random.default_rng(0)


def test_linear_round_trip_and_math():
    w, b = RNG.normal(size=(3, 5)), RNG.normal(size=3)
    kernel, bias = translate.linear_to_dense(w, b)
    assert kernel.shape == (5, 3)
    x = RNG.normal(size=(2, 5))
    np.testing.assert_allclose(x @ kernel + bias, x @ w.T + b)
    back_w, back_b = translate.dense_to_linear(kernel, bias)
    np.testing.assert_array_equal(back_w, w)
    np.testing.assert_array_equal(back_b, b)


def test_conv_and_image_layouts_round_trip():
    w = RNG.normal(size=(4, 2, 3, 5))  # out, in, kh, kw: all different
    (kernel,) = translate.conv2d_to_keras(w)
    assert kernel.shape == (3, 5, 2, 4)
    np.testing.assert_array_equal(translate.keras_conv2d_to_torch(kernel)[0], w)
    x = RNG.normal(size=(2, 3, 4, 5))
    assert translate.nchw_to_nhwc(x).shape == (2, 4, 5, 3)
    np.testing.assert_array_equal(translate.nhwc_to_nchw(translate.nchw_to_nhwc(x)), x)


def test_flatten_permutation_round_trip():
    w = RNG.normal(size=(6, 2 * 3 * 4))
    kernel = translate.linear_to_dense(w, flatten_chw=(2, 3, 4))[0]
    feature_chw = RNG.normal(size=(2, 3, 4))
    # the same feature map, flattened the PyTorch way and the Keras way, gives the same output
    np.testing.assert_allclose(feature_chw.reshape(-1) @ w.T,
                               feature_chw.transpose(1, 2, 0).reshape(-1) @ kernel)
    np.testing.assert_allclose(translate.dense_to_linear(kernel, flatten_chw=(2, 3, 4))[0], w)


def _cnn_pair():
    import keras
    import torch

    torch.manual_seed(0)
    t_model = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(3 * 4 * 5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
    )
    k_model = keras.Sequential([
        keras.Input((6, 7, 2)), keras.layers.Conv2D(3, 3), keras.layers.ReLU(),
        keras.layers.Flatten(), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2),
    ])
    return t_model, k_model


def test_cnn_torch_to_keras_outputs_and_gradients_agree():
    import tensorflow as tf
    import torch

    t_model, k_model = _cnn_pair()
    pairs = translate.torch_to_keras(t_model, k_model, flatten_chw=(3, 4, 5))
    assert len(pairs) == 3
    x = RNG.normal(size=(2, 2, 6, 7)).astype(np.float32)
    xt = torch.from_numpy(x)
    out_t = t_model(xt)
    loss_t = (out_t ** 2).sum()
    loss_t.backward()
    with tf.GradientTape() as tape:
        out_k = k_model(translate.nchw_to_nhwc(x))
        loss_k = tf.reduce_sum(out_k ** 2)
    np.testing.assert_allclose(out_t.detach().numpy(), out_k.numpy(), rtol=1e-4, atol=1e-5)
    grads = tape.gradient(loss_k, k_model.layers[0].trainable_weights)
    conv_w_grad, conv_b_grad = translate.keras_grads_in_torch_layout(k_model.layers[0], grads)
    np.testing.assert_allclose(t_model[0].weight.grad.numpy(), conv_w_grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(t_model[0].bias.grad.numpy(), conv_b_grad, rtol=1e-4, atol=1e-5)


def test_forgetting_the_flatten_order_breaks_the_translation():
    t_model, k_model = _cnn_pair()
    translate.torch_to_keras(t_model, k_model)  # no flatten_chw: columns in the wrong order
    x = RNG.normal(size=(2, 2, 6, 7)).astype(np.float32)
    import torch

    out_t = t_model(torch.from_numpy(x)).detach().numpy()
    out_k = k_model(translate.nchw_to_nhwc(x)).numpy()
    assert not np.allclose(out_t, out_k, atol=1e-3)


def test_mlp_keras_to_torch():
    import keras
    import torch

    keras.utils.set_random_seed(1)
    k_model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation="tanh"),
                                keras.layers.Dense(3)])
    t_model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    translate.keras_to_torch(k_model, t_model)
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_allclose(t_model(torch.from_numpy(x)).detach().numpy(), k_model(x).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_mismatched_models_are_rejected():
    import keras
    import torch

    t_model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 3))
    k_model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="2 weighted PyTorch layers but 1 Keras"):
        translate.torch_to_keras(t_model, k_model)
    with pytest.raises(TypeError, match="BatchNorm1d"):
        translate.torch_to_keras(torch.nn.Sequential(torch.nn.BatchNorm1d(3)), k_model)
