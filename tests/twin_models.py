"""Lab 04's twin models (labs/04_framework_translation.ipynb): the same small CNN and MLP in PyTorch
and Keras, copied from the lab (tests/test_graph_align.py checks the lab still defines them), with
the variants graph.align is tested on: a BatchNorm after the convolution, and a changed Keras twin
(another padding, another activation, an extra layer). Used by tests/test_graph_align.py and
benchmarks/graph_compare.py."""

import keras
import torch
from torch import nn


class SmallCNN(nn.Module):
    def __init__(self, batchnorm=False):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, kernel_size=3)  # 1x8x8 -> 4x6x6
        self.bn = nn.BatchNorm2d(4) if batchnorm else None
        self.pool = torch.nn.MaxPool2d(2)  # -> 4x3x3
        self.fc1 = torch.nn.Linear(4 * 3 * 3, 8)
        self.fc2 = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = self.conv(x)
        h = self.pool(torch.relu(h if self.bn is None else self.bn(h)))
        h = torch.flatten(h, 1)  # (N, C*H*W): channel-major order
        return self.fc2(torch.relu(self.fc1(h)))


def keras_cnn(batchnorm=False, epsilon=1e-3, padding="valid", act="relu", extra=False):
    """Lab 04's cnn_k; the keyword arguments make its BatchNorm variant and the changed model."""
    layers = [keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, padding=padding, name="conv")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(epsilon=epsilon, name="bn"))
    layers += [keras.layers.ReLU(name="relu") if act == "relu"
               else keras.layers.Activation(act, name="act"),
               keras.layers.MaxPooling2D(2, name="pool"), keras.layers.Flatten(name="flatten"),
               keras.layers.Dense(8, activation="relu", name="fc1")]
    if extra:
        layers.append(keras.layers.Dense(8, name="extra"))
    layers.append(keras.layers.Dense(3, name="fc2"))
    return keras.Sequential(layers, name="cnn")


def keras_mlp():
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(16, activation="tanh", name="hidden"),
         keras.layers.Dense(1, name="out")], name="mlp")
