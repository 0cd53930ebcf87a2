"""Translate models between PyTorch and Keras by copying weights in the other framework's layout.

The layouts differ in three places, and each has one converter here:

| layer | PyTorch | Keras |
|---|---|---|
| Linear / Dense | `weight` (out, in), `y = x @ W.T + b` | `kernel` (in, out), `y = x @ K + b` |
| Conv2d / Conv2D | `weight` (out, in, kh, kw), inputs NCHW | `kernel` (kh, kw, in, out), inputs NHWC |
| Flatten after a conv | flattens (C, H, W) | flattens (H, W, C): the next layer's inputs come in another order |

`torch_to_keras` and `keras_to_torch` walk both models' weighted layers in order and copy each pair.
Frameworks are imported lazily; every converter works on NumPy arrays (or anything np.asarray takes).
"""

from __future__ import annotations

import numpy as np

# --- one layer at a time (NumPy in, NumPy out) --------------------------------------------------------


def linear_to_dense(weight, bias=None, *, flatten_chw: tuple[int, int, int] | None = None) -> list:
    """PyTorch Linear (weight (out, in), bias) -> Keras Dense weights [kernel (in, out), bias].

    flatten_chw=(C, H, W): the layer follows a Flatten of a conv feature map, so its input columns are
    reordered from PyTorch's (C, H, W) flattening to Keras's (H, W, C).
    """
    w = np.asarray(weight)
    if flatten_chw is not None:
        c, h, wd = flatten_chw
        w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    kernel = np.ascontiguousarray(w.T)
    return [kernel] if bias is None else [kernel, np.asarray(bias)]


def dense_to_linear(kernel, bias=None, *, flatten_chw: tuple[int, int, int] | None = None) -> list:
    """Keras Dense [kernel (in, out), bias] -> PyTorch Linear [weight (out, in), bias]."""
    w = np.asarray(kernel).T
    if flatten_chw is not None:
        c, h, wd = flatten_chw
        w = w.reshape(w.shape[0], h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
    w = np.ascontiguousarray(w)
    return [w] if bias is None else [w, np.asarray(bias)]


def conv2d_to_keras(weight, bias=None) -> list:
    """PyTorch Conv2d weight (out, in, kh, kw) -> Keras Conv2D kernel (kh, kw, in, out)."""
    kernel = np.ascontiguousarray(np.asarray(weight).transpose(2, 3, 1, 0))
    return [kernel] if bias is None else [kernel, np.asarray(bias)]


def keras_conv2d_to_torch(kernel, bias=None) -> list:
    """Keras Conv2D kernel (kh, kw, in, out) -> PyTorch Conv2d weight (out, in, kh, kw)."""
    weight = np.ascontiguousarray(np.asarray(kernel).transpose(3, 2, 0, 1))
    return [weight] if bias is None else [weight, np.asarray(bias)]


def nchw_to_nhwc(x) -> np.ndarray:
    """Images (N, C, H, W), PyTorch's layout -> (N, H, W, C), Keras's default."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def nhwc_to_nchw(x) -> np.ndarray:
    """Images (N, H, W, C) -> (N, C, H, W)."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2))


# --- whole models ---------------------------------------------------------------------------------


def _torch_weighted_layers(model) -> list:
    import torch

    kinds = (torch.nn.Linear, torch.nn.Conv2d)
    layers = [m for m in model.modules() if isinstance(m, kinds)]
    others = [m for m in model.modules() if not isinstance(m, kinds) and not list(m.children())
              and any(True for _ in m.parameters(recurse=False))]
    if others:
        raise TypeError(f"no converter for {type(others[0]).__name__} (only Linear and Conv2d)")
    return layers


def _keras_weighted_layers(model) -> list:
    import keras

    kinds = (keras.layers.Dense, keras.layers.Conv2D)
    layers = [layer for layer in model.layers if layer.weights]
    for layer in layers:
        if not isinstance(layer, kinds):
            raise TypeError(f"no converter for {type(layer).__name__} (only Dense and Conv2D)")
    return layers


def _pairs(torch_model, keras_model) -> list:
    t_layers, k_layers = _torch_weighted_layers(torch_model), _keras_weighted_layers(keras_model)
    if len(t_layers) != len(k_layers):
        raise ValueError(f"{len(t_layers)} weighted PyTorch layers but {len(k_layers)} Keras ones")
    return list(zip(t_layers, k_layers))


def _needs_flatten(t_layer, pairs, index, flatten_chw):
    import torch

    # the first Linear after a Conv2d reads a flattened feature map
    seen_conv = any(isinstance(t, torch.nn.Conv2d) for t, _ in pairs[:index])
    first_linear = not any(isinstance(t, torch.nn.Linear) for t, _ in pairs[:index])
    return flatten_chw if (seen_conv and first_linear and isinstance(t_layer, torch.nn.Linear)) \
        else None


def torch_to_keras(torch_model, keras_model, *, flatten_chw: tuple[int, int, int] | None = None):
    """Copy every Linear/Conv2d of `torch_model` into the matching Dense/Conv2D of `keras_model`.

    Layers are matched in order. The Keras model must be built (know its input shape). Pass
    flatten_chw=(C, H, W), the feature-map shape before Flatten, for conv-then-dense models.
    Returns the list of (torch layer, keras layer) pairs copied.
    """
    import torch

    pairs = _pairs(torch_model, keras_model)
    for i, (t, k) in enumerate(pairs):
        w = t.weight.detach().cpu().numpy()
        b = None if t.bias is None else t.bias.detach().cpu().numpy()
        if isinstance(t, torch.nn.Conv2d):
            k.set_weights(conv2d_to_keras(w, b))
        else:
            k.set_weights(linear_to_dense(w, b, flatten_chw=_needs_flatten(t, pairs, i, flatten_chw)))
    return pairs


def keras_to_torch(keras_model, torch_model, *, flatten_chw: tuple[int, int, int] | None = None):
    """Copy every Dense/Conv2D of `keras_model` into the matching Linear/Conv2d of `torch_model`."""
    import torch

    pairs = _pairs(torch_model, keras_model)
    with torch.no_grad():
        for i, (t, k) in enumerate(pairs):
            weights = [np.asarray(v) for v in k.get_weights()]
            if isinstance(t, torch.nn.Conv2d):
                converted = keras_conv2d_to_torch(*weights)
            else:
                converted = dense_to_linear(*weights,
                                            flatten_chw=_needs_flatten(t, pairs, i, flatten_chw))
            params = [t.weight] if t.bias is None else [t.weight, t.bias]
            if len(params) != len(converted):
                raise ValueError(f"{type(t).__name__} and {k.name} disagree about having a bias")
            for p, value in zip(params, converted):
                if tuple(p.shape) != value.shape:
                    raise ValueError(f"{k.name}: shape {value.shape} does not fit {tuple(p.shape)}")
                p.copy_(torch.from_numpy(value))
    return pairs


def keras_grads_in_torch_layout(layer, grads, *, flatten_chw=None) -> list:
    """Gradients of a Keras layer's [kernel, bias] in the matching PyTorch parameter layout."""
    import keras

    grads = [np.asarray(g) for g in grads]
    if isinstance(layer, keras.layers.Conv2D):
        return keras_conv2d_to_torch(*grads)
    return dense_to_linear(*grads, flatten_chw=flatten_chw)
