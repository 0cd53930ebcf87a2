"""Self-checks for course/17_attention_and_transformers.ipynb.

Q1 and Q2 run the learner's mask through the real PyTorch op it is meant for, so any spelling that
behaves right passes (a boolean mask, or an additive float mask of 0 and -inf) and the hints name the
classic bugs: inverted polarity, a 0/1 mask added to the scores, a causal mask off by one.
"""

import numpy as np

from sidebyside.selfcheck import exercise

# --- Q1: key_padding_mask for nn.MultiheadAttention (True = padding = ignore) ------------------------

_Q1_CASES = (([5, 2, 3], 5), ([1, 4], 6))  # the second: every sequence has padding


def _mha_outputs(lengths, T, mask):
    """nn.MultiheadAttention self-attention over a fixed batch, with `mask` as key_padding_mask."""
    import torch

    torch.manual_seed(17)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(len(lengths), T, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return mha(x, x, x, key_padding_mask=mask, need_weights=True)[0]


def _q1_solution():
    import torch

    return (lambda lengths, T: torch.arange(T)[None, :] >= torch.as_tensor(lengths)[:, None],)


def _q1_wrong():
    import torch

    def ar(T):
        return torch.arange(T)[None, :]

    def col(lengths):
        return torch.as_tensor(lengths)[:, None]

    return [
        (lambda lengths, T: ar(T) < col(lengths),),  # inverted: True = real token (Keras's polarity)
        (lambda lengths, T: ar(T) > col(lengths),),  # off by one: the first padding slot is attended
        (lambda lengths, T: ar(T) >= col(lengths) - 1,),  # off by one: the last real token is ignored
        (lambda lengths, T: (ar(T) >= col(lengths)).float(),),  # 0/1 floats are *added* to the scores
        (lambda lengths, T: (ar(T) >= col(lengths)).T,),  # (T, B): the shape of the old layout
    ]


@exercise("course17.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: True marks the padding, the keys nn.MultiheadAttention must ignore. Keras's "
                  "attention_mask and SDPA's boolean attn_mask use the opposite polarity (True = attend).",
          hints=["Compare torch.arange(T) with the lengths, broadcast to (B, T)."])
def q1(padding_mask):
    import torch

    assert callable(padding_mask), "padding_mask should be a function, e.g. def padding_mask(lengths, T): ..."
    for lengths, T in _Q1_CASES:
        mask = torch.as_tensor(np.asarray(padding_mask(torch.tensor(lengths), T)))
        assert tuple(mask.shape) == (len(lengths), T), (
            f"for lengths {lengths} and T={T}, return shape ({len(lengths)}, {T}) (batch, tokens), "
            f"not {tuple(mask.shape)}.")
        expected = torch.arange(T)[None, :] >= torch.tensor(lengths)[:, None]
        if mask.dtype == torch.bool and torch.equal(mask, ~expected):
            raise AssertionError("the polarity is inverted: for key_padding_mask, True means *ignore this "
                                 "key*, so True must mark the padding, not the real tokens.")
        if mask.is_floating_point() and set(mask.unique().tolist()) <= {0.0, 1.0}:
            raise AssertionError("a float key_padding_mask is *added* to the scores: 0/1 barely changes "
                                 "them. Return booleans (or 0 and -inf).")
        got = _mha_outputs(lengths, T, mask if mask.dtype == torch.bool else mask.float())
        assert not torch.isnan(got).any(), (
            "some query attends to nothing (its output is nan): every real token must stay visible.")
        if not torch.allclose(got, _mha_outputs(lengths, T, expected), atol=1e-5):
            raise AssertionError(
                f"for lengths {lengths} and T={T} the attention still sees a padding slot or misses a "
                "real token: check the boundary (token i is padding when i >= length).")


# --- Q2: causal attn_mask for F.scaled_dot_product_attention (True = may attend) --------------------


def _q2_solution():
    import torch

    return (lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool)),)


def _q2_wrong():
    import torch

    def ones(T):
        return torch.ones(T, T, dtype=torch.bool)

    return [
        (lambda T: torch.triu(ones(T), diagonal=1),),  # nn.MultiheadAttention's polarity: True = blocked
        (lambda T: torch.tril(ones(T), diagonal=-1),),  # off by one: no token sees itself
        (lambda T: torch.tril(torch.ones(T, T)),),  # 0/1 floats: added to the scores, not a mask
        (lambda T: torch.triu(ones(T)),),  # the future instead of the past
        (lambda T: ones(T),),  # no mask at all
    ]


@exercise("course17.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: the lower triangle with its diagonal, True = may attend. For nn.MultiheadAttention "
                  "the same rule is written as the blocked part, triu(ones, diagonal=1).",
          hints=["Token t may look at tokens 0..t, itself included."])
def q2(causal_mask):
    import torch
    import torch.nn.functional as F

    assert callable(causal_mask), "causal_mask should be a function, e.g. def causal_mask(T): ..."
    for T in (5, 3):
        mask = torch.as_tensor(np.asarray(causal_mask(T)))
        assert tuple(mask.shape) == (T, T), f"causal_mask({T}) should have shape ({T}, {T}), not {tuple(mask.shape)}."
        if mask.is_floating_point() and set(mask.unique().tolist()) <= {0.0, 1.0}:
            raise AssertionError("a float attn_mask is *added* to the scores: 0/1 barely changes them. "
                                 "Return booleans (True = may attend), or 0 and -inf.")
        if mask.dtype == torch.bool:
            if torch.equal(mask, torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)):
                raise AssertionError("that is nn.MultiheadAttention's polarity (True = blocked). For "
                                     "scaled_dot_product_attention a boolean True means *may attend*.")
            if torch.equal(mask, torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1)):
                raise AssertionError("off by one: the diagonal is masked, so no token sees itself and "
                                     "the first sees nothing at all.")
        q, k, v = torch.randn(3, 1, 2, T, 4, generator=torch.Generator().manual_seed(T))
        got = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        want = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        assert torch.allclose(got, want, atol=1e-5), (
            f"with T={T} the result differs from is_causal=True: which keys may query t see?")


# --- Q3: masked attention in NumPy -------------------------------------------------------------------


def _q3_case(seed):
    rng = np.random.default_rng(seed)
    q, k, v = rng.standard_normal((3, 2, 4, 16))
    allowed = rng.random((2, 4, 4)) < 0.6
    allowed[..., 0] = True  # every query keeps at least one key
    return q, k, v, allowed


def _reference(q, k, v, allowed):
    scores = np.where(allowed, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    return (w / w.sum(-1, keepdims=True)) @ v


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _q3_solution():
    def attention(q, k, v, allowed):
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])  # (..., T, S)
        scores = np.where(allowed, scores, -np.inf)  # mask the scores, before the softmax
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return weights / weights.sum(axis=-1, keepdims=True) @ v  # softmax over the keys

    return (attention,)


def _q3_wrong():
    def scores(q, k):
        return q @ np.swapaxes(k, -1, -2)

    return [
        (lambda q, k, v, a: _softmax(np.where(a, scores(q, k), -np.inf)) @ v,),  # no 1/sqrt(d)
        (lambda q, k, v, a: _softmax(np.where(a, scores(q, k) / q.shape[-1], -np.inf)) @ v,),  # 1/d
        (lambda q, k, v, a: _softmax(np.where(~a, scores(q, k) / 4.0, -np.inf)) @ v,),  # inverted mask
        (lambda q, k, v, a: (_softmax(scores(q, k) / 4.0) * a) @ v,),  # masked after the softmax
        (lambda q, k, v, a: _softmax(scores(q, k) / 4.0 * a) @ v,),  # scores zeroed, not removed
        (lambda q, k, v, a: _softmax(np.where(a, scores(q, k) / 4.0, -np.inf), axis=-2) @ v,),  # wrong axis
    ]


@exercise("course17.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: scale by 1/sqrt(d), set the scores of disallowed keys to -inf *before* the "
                  "softmax, normalise over the keys (the last axis), then average the values.",
          hints=["Mask the scores, not the weights: a softmax over -inf gives exactly 0 and the rest "
                 "still sums to 1."])
def q3(attention):
    assert callable(attention), "attention should be a function, e.g. def attention(q, k, v, allowed): ..."
    for seed in (0, 1):
        q, k, v, allowed = _q3_case(seed)
        with np.errstate(invalid="ignore", divide="ignore"):  # a nan is reported below, not warned
            got = np.asarray(attention(q.copy(), k.copy(), v.copy(), allowed.copy()), dtype=float)
        want = _reference(q, k, v, allowed)
        assert got.shape == want.shape, f"the result should have shape {want.shape}, not {got.shape}."
        assert not np.isnan(got).any(), "nan in the result: is the mask inverted, or the softmax over -inf only?"
        unscaled = _softmax(np.where(allowed, q @ np.swapaxes(k, -1, -2), -np.inf)) @ v
        if np.allclose(got, unscaled, atol=1e-6):
            raise AssertionError("the scores are not scaled: divide q kᵀ by sqrt(d) (d = q.shape[-1]).")
        assert np.allclose(got, want, atol=1e-6), (
            "the result differs from softmax(q kᵀ / sqrt(d)) v over the allowed keys. Check the scale "
            "(sqrt(d), not d), the mask (True = may attend, applied before the softmax) and the softmax "
            "axis (over the keys).")
