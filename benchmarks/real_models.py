"""Real architectures, written out here, for the graph benchmarks and tests (no weights downloaded).

The graph widgets must hold up on the models learners actually bring, not only on MLPs. Each builder
returns a seeded model and an example input, small enough to capture on a 2-core CPU:

    resnet18_torch()        ResNet-18 in torch.nn (BasicBlock x 8; 11.2 M parameters with 10 classes)
    mobilenetv2_keras()     Keras MobileNetV2, weights=None (keras.applications ships the code only)
    gpt2_torch(), gpt2_keras()
                            a GPT-2-small-sized decoder: 12 blocks, width 768, 12 heads, pre-LayerNorm

`width`/`blocks` keyword arguments shrink the transformers (same structure) for quick tests.
Import from a test or benchmark with `sys.path.insert(0, "benchmarks")`.
"""

from __future__ import annotations

SEED = 0


# --------------------------------------------------------------------------------------- ResNet-18
def resnet18_torch(num_classes: int = 10, image: int = 32, batch: int = 1):
    """ResNet-18 (He et al. 2016) with the torchvision layout: stem, 4 stages x 2 BasicBlocks, head."""
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:  # the skip connection needs the same shape as the block
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            widths, cin = (64, 128, 256, 512), 64
            for i, w in enumerate(widths, start=1):
                stride = 1 if i == 1 else 2
                setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, w, stride),
                                                         BasicBlock(w, w, 1)))
                cin = w
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = ResNet18().eval()
        x = torch.randn(batch, 3, image, image)
    return model, x


# ----------------------------------------------------------------------------------- MobileNetV2
def mobilenetv2_keras(image: int = 96, num_classes: int = 10, batch: int = 1):
    """Keras MobileNetV2 with random weights (weights=None: nothing is downloaded)."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(SEED)
    model = keras.applications.MobileNetV2(input_shape=(image, image, 3), weights=None,
                                           classes=num_classes)
    x = np.random.default_rng(SEED).standard_normal((batch, image, image, 3)).astype("float32")
    return model, x


# ------------------------------------------------------------------------------ GPT-2-small sized
GPT2 = {"vocab": 50257, "context": 1024, "width": 768, "heads": 12, "blocks": 12}


def gpt2_torch(*, width: int = GPT2["width"], heads: int = GPT2["heads"],
               blocks: int = GPT2["blocks"], vocab: int = 1000, tokens: int = 16, batch: int = 1):
    """A GPT-2-small-shaped decoder in torch.nn (a 1000-word vocabulary keeps memory small)."""
    import torch
    from torch import nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(x).split(c, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(b, t, c))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn = nn.LayerNorm(width), Attention()
            self.ln2 = nn.LayerNorm(width)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * width, width))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, width)
            self.pos = nn.Embedding(GPT2["context"], width)
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.ln_f = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab, bias=False)

        def forward(self, idx):
            positions = torch.arange(idx.shape[1], device=idx.device)
            x = self.tok(idx) + self.pos(positions)
            return self.head(self.ln_f(self.blocks(x)))

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = GPT().eval()
        idx = torch.randint(0, vocab, (batch, tokens))
    return model, idx


def gpt2_keras(*, width: int = GPT2["width"], heads: int = GPT2["heads"],
               blocks: int = GPT2["blocks"], vocab: int = 1000, tokens: int = 16, batch: int = 1):
    """The same decoder as gpt2_torch, in Keras 3 layers (functional model, causal self-attention)."""
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(SEED)
    PositionEmbedding = _position_embedding_class()

    def block(x, i):
        h = layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln1")(x)
        h = layers.MultiHeadAttention(heads, width // heads, name=f"block{i}_attn")(
            h, h, use_causal_mask=True)
        x = layers.Add(name=f"block{i}_add1")([x, h])
        h = layers.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln2")(x)
        h = layers.Dense(4 * width, activation="gelu", name=f"block{i}_fc")(h)
        h = layers.Dense(width, name=f"block{i}_proj")(h)
        return layers.Add(name=f"block{i}_add2")([x, h])

    idx = keras.Input((tokens,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab, width, name="tok")(idx)
    x = PositionEmbedding(GPT2["context"], width, name="pos")(x)
    for i in range(blocks):
        x = block(x, i)
    x = layers.LayerNormalization(epsilon=1e-5, name="ln_f")(x)
    logits = layers.Dense(vocab, use_bias=False, name="head")(x)
    model = keras.Model(idx, logits, name="gpt2")
    sample = np.random.default_rng(SEED).integers(0, vocab, (batch, tokens)).astype("int32")
    return model, sample


def _position_embedding_class():
    """Defined on demand, so importing this module needs no Keras."""
    import keras

    class PositionEmbedding(keras.layers.Layer):
        """Adds a learned embedding of each position (GPT-2's wpe) to its input."""

        def __init__(self, context: int, width: int, **kwargs):
            super().__init__(**kwargs)
            self.table = self.add_weight(shape=(context, width), initializer="normal", name="wpe")

        def call(self, x):
            return x + self.table[: keras.ops.shape(x)[1]]

    return PositionEmbedding


BUILDERS = {
    "resnet18_torch": resnet18_torch,
    "mobilenetv2_keras": mobilenetv2_keras,
    "gpt2_torch": gpt2_torch,
    "gpt2_keras": gpt2_keras,
}
