"""Tiny hand-written PyTorch models shaped like the models users bring (timm, Hugging Face), each
reproducing a way the graph adapters went wrong on them (issue 20). Random weights, a few hundred
parameters: they build in milliseconds and capture in well under a second.

UNet         a pool module run twice, look-alike encoder/decoder stages that do not feed each other
ViT          fc1 / GELU / fc2 inside each block, pos_drop and head_drop, three blocks in a stack
TinyResNet   timm-style BasicBlocks (act1 / act2) chained in layer1: a real family
T5Tied       one `shared` embedding tied into the encoder (a group holding no op) and one dropout
             module called from everywhere (T5 reuses its dropout)
Seq2Seq      an LSTM encoder-decoder: dynamo skips nn.LSTM, so torch.compile captures nothing
TextModel    keyword inputs (attention_mask=) as Hugging Face models take them
SetItem      assigns into a tensor: torch.fx cannot trace it (as Hugging Face models)
Decorated    a forward wrapped in a (*args, **kwargs) decorator (as Hugging Face models)
Cached       returns a DynamicCache-like object unless use_cache=False (as GPT-2)
"""

from __future__ import annotations

import functools

import torch
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1 = nn.Sequential(ConvBlock(3, 4))
        self.d2 = nn.Sequential(ConvBlock(4, 4))
        self.d3 = nn.Sequential(ConvBlock(4, 4))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2)
        self.u1 = nn.Sequential(ConvBlock(8, 4))
        self.u2 = nn.Sequential(ConvBlock(8, 4))
        self.head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        a = self.d1(x)
        b = self.d2(self.pool(a))
        c = self.d3(self.pool(b))
        u = self.u1(torch.cat([self.up(c), b], 1))
        u = self.u2(torch.cat([self.up(u), a], 1))
        return self.head(u)


class Mlp(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, 2 * d)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(2 * d, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ViTBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = Mlp(d)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.patch = nn.Linear(12, d)
        self.pos_drop = nn.Dropout(0.1)
        self.blocks = nn.Sequential(ViTBlock(d), ViTBlock(d), ViTBlock(d))
        self.norm = nn.LayerNorm(d)
        self.head_drop = nn.Dropout(0.1)
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        x = self.blocks(self.pos_drop(self.patch(x)))
        return self.head(self.head_drop(self.norm(x)[:, 0]))


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)
        self.act2 = nn.ReLU()

    def forward(self, x):
        return self.act2(x + self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))


class TinyResNet(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(c), BasicBlock(c))
        self.fc = nn.Linear(c, 2)

    def forward(self, x):
        return self.fc(self.layer1(self.stem(x)).mean((2, 3)))


class T5Layer(nn.Module):
    def __init__(self, d, dropout):
        super().__init__()
        self.wi = nn.Linear(d, d)
        self.wo = nn.Linear(d, d)
        self.dropout = dropout  # the stack's own dropout module, registered here too

    def forward(self, x):
        return x + self.dropout(self.wo(torch.relu(self.wi(x))))


class T5Stack(nn.Module):
    def __init__(self, embed, dropout, d):
        super().__init__()
        self.embed_tokens = embed
        self.dropout = dropout
        self.block = nn.ModuleList([T5Layer(d, dropout) for _ in range(2)])
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.dropout(self.embed_tokens(ids))
        for layer in self.block:
            x = layer(x)
        return self.dropout(self.final_layer_norm(x))


class T5Tied(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.shared = nn.Embedding(10, d)
        self.dropout = nn.Dropout(0.1)
        self.encoder = T5Stack(self.shared, self.dropout, d)
        self.lm_head = nn.Linear(d, 10)

    def forward(self, ids):
        return self.lm_head(self.encoder(ids))


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(4, 8, batch_first=True)
        self.dec = nn.LSTM(4, 8, batch_first=True)
        self.out = nn.Linear(8, 5)

    def forward(self, src, tgt):
        _, state = self.enc(src)
        y, _ = self.dec(tgt, state)
        return self.out(y)


class TextModel(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.embed = nn.Embedding(10, d)
        self.proj = nn.Linear(d, d)

    def forward(self, input_ids, attention_mask=None):
        h = self.proj(self.embed(input_ids))
        if attention_mask is not None:
            h = h * attention_mask.unsqueeze(-1)
        return h


class SetItem(nn.Module):
    def forward(self, x):
        y = x.clone()
        y[:, 0] = 0
        return y


def _hf_style(forward):
    @functools.wraps(forward)
    def wrapper(*args, **kwargs):
        return forward(*args, **kwargs)

    return wrapper


class Decorated(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    @_hf_style
    def forward(self, input_ids, attention_mask=None, **kwargs):
        return self.proj(input_ids)


class DynamicCache:
    """Stands in for transformers.cache_utils.DynamicCache: an object torch cannot flatten."""

    def __init__(self, t):
        self.t = t


class Cached(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x, use_cache=True):
        y = self.proj(x)
        return (y, DynamicCache(y)) if use_cache else (y,)
