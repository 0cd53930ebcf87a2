"""The framework facts lesson 17 teaches, re-derived from the pinned torch and Keras.

The lesson's prose states them as facts (mask polarity, what a fully masked row returns, defaults
that differ); nbval only proves the committed outputs still come out. If a version bump changes one
of these behaviours, this file names the fact and the sentence of the lesson to rewrite.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
F = torch.nn.functional


def qkv(T=3, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(3, 1, 1, T, d, generator=g).unbind(0)  # (B, H, T, d)


def test_sdpa_boolean_true_means_attend_and_a_float_mask_is_added():
    q, k, v = qkv()
    allowed = torch.tensor([[True, True, False]])  # (1, S): every query, the same keys
    scores = q @ k.transpose(-1, -2) / 2.0
    ref = torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1) @ v
    assert torch.allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed), ref, atol=1e-6)
    added = torch.softmax(scores + allowed.float(), -1) @ v
    assert torch.allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed.float()), added, atol=1e-6)
    assert not torch.allclose(added, ref, atol=1e-3)  # the 0/1 float bug really differs


def test_sdpa_returns_zeros_for_a_fully_masked_row():
    q, k, v = qkv()
    off_by_one = torch.tril(torch.ones(3, 3, dtype=torch.bool), diagonal=-1)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=off_by_one)
    assert torch.equal(out[0, 0, 0], torch.zeros(4))


def test_multihead_attention_masks_mean_blocked_and_a_fully_masked_row_depends_on_need_weights():
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    assert torch.nn.MultiheadAttention(4, 2).batch_first is False
    x = torch.randn(2, 3, 4)
    padding = torch.tensor([[False, False, True], [True, True, True]])  # True = ignore this key
    with torch.no_grad():
        _, weights = mha(x, x, x, key_padding_mask=padding)
        assert torch.equal(weights[0, :, 2], torch.zeros(3))
        assert torch.isnan(weights[1]).all()
        fast, _ = mha(x, x, x, key_padding_mask=padding, need_weights=False)
        assert torch.equal(fast[1], torch.zeros(3, 4))
        blocked = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)  # True = may not attend
        _, weights = mha(x, x, x, attn_mask=blocked)
        assert torch.equal(weights[0].triu(1), torch.zeros(3, 3))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)


def test_keras_dot_product_attention_layout_mask_and_fully_masked_row():
    q, k, v = (t.permute(0, 2, 1, 3).numpy() for t in qkv())  # (B, T, H, d)
    allowed = np.tril(np.ones((3, 3), dtype=bool))
    causal = keras.ops.dot_product_attention(q, k, v, is_causal=True)
    assert np.allclose(keras.ops.dot_product_attention(q, k, v, mask=allowed), causal, atol=1e-6)
    torch_causal = F.scaled_dot_product_attention(*qkv(), is_causal=True).permute(0, 2, 1, 3).numpy()
    assert np.allclose(causal, torch_causal, atol=1e-6)
    off_by_one = np.asarray(keras.ops.dot_product_attention(q, k, v, mask=np.tril(allowed, k=-1)))
    assert np.allclose(off_by_one[0, 0, 0], v[0, :, 0].mean(0), atol=1e-6)  # the mean, not zeros


def test_keras_multihead_attention_reads_0_1_floats_as_a_boolean_and_zeroes_masked_rows():
    layer = keras.layers.MultiHeadAttention(num_heads=1, key_dim=4)
    x = np.random.default_rng(0).standard_normal((1, 3, 4)).astype(np.float32)
    pattern = np.array([[[1, 1, 0]] * 3])
    _, as_int = layer(x, x, attention_mask=pattern, return_attention_scores=True)
    _, as_float = layer(x, x, attention_mask=pattern.astype(np.float32), return_attention_scores=True)
    assert np.allclose(as_int, as_float) and np.allclose(np.asarray(as_int)[..., 2], 0)
    _, none = layer(x, x, attention_mask=np.zeros((1, 3, 3), bool), return_attention_scores=True)
    assert np.allclose(none, 0)
    causal = layer(x, x, use_causal_mask=True)
    assert np.allclose(causal, layer(x, x, attention_mask=np.tril(np.ones((1, 3, 3), bool))))


def test_the_defaults_the_lesson_aligns():
    assert keras.layers.LayerNormalization().epsilon == 1e-3
    assert torch.nn.LayerNorm(4).eps == 1e-5
    assert keras.optimizers.Adam().epsilon == 1e-7
    assert torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults["eps"] == 1e-8


def test_keras_adam_on_repeated_sparse_rows_squares_each_occurrence():
    steps = []
    for dense in (False, True):
        var = keras.Variable(np.zeros((3, 2), np.float32))
        grad = tf.IndexedSlices(tf.ones((2, 2)), tf.constant([0, 0]), tf.constant([3, 2]))
        keras.optimizers.Adam(learning_rate=0.1).apply_gradients(
            [(tf.convert_to_tensor(grad) if dense else grad, var)])
        steps.append(float(var.numpy()[0, 0]))
    sparse, dense = steps
    assert dense == pytest.approx(-0.1, abs=1e-5)  # Adam's first step is lr * sign(g)
    assert sparse == pytest.approx(-0.1 * np.sqrt(2), abs=1e-5)  # m sums to 2, v to 1 + 1 = 2
