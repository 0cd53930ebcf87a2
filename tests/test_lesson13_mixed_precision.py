"""Lesson 13's self-check keys are facts about the pinned torch, so derive them from torch itself.

If a torch upgrade moves an op between autocast's lists, or GradScaler changes its overflow rule, these
tests fail and say which key in widgets/sidebyside/exercises/course13.py to update.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from sidebyside import selfcheck  # noqa: E402
from sidebyside.exercises import course13  # noqa: E402


def test_q1_key_is_what_cpu_autocast_does():
    torch.manual_seed(0)
    x = torch.randn(4, 8)
    layer = torch.nn.Linear(8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        a = layer(x)
        b = torch.relu(a)
        c = a + x
        d = torch.nn.functional.mse_loss(a, x)
    d.backward()
    e = layer.weight.grad
    observed = {name: course13.dtype_word(t.dtype) for name, t in dict(a=a, b=b, c=c, d=d, e=e).items()}
    assert observed == course13.Q1_KEY
    assert selfcheck.verdict("course13.q1", {k: t.dtype for k, t in dict(a=a, b=b, c=c, d=d, e=e).items()})[0] \
        == "correct", "the checker must accept torch dtypes as they come out of torch"


@pytest.mark.parametrize("spelling", ["bfloat16", "bf16", "torch.bfloat16", "<dtype: 'bfloat16'>", " BF16 "])
def test_dtype_word_reads_every_spelling(spelling):
    assert course13.dtype_word(spelling) == "bfloat16"


def test_q2_key_matches_float16():
    g = torch.tensor(2.0**-30)
    stored, scale = course13._q2_solution()[0]
    assert g.to(torch.float16).item() == stored
    scaled = (g * scale).to(torch.float16)
    assert scaled.item() == torch.finfo(torch.float16).smallest_normal  # normal, exactly 2**-14
    smaller = (g * scale / 2).to(torch.float16).item()
    assert smaller < torch.finfo(torch.float16).smallest_normal  # half the scale: subnormal


def test_q3_key_matches_grad_scaler():
    weight = torch.nn.Parameter(torch.tensor([1.0]))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    scaled_grad = (torch.tensor(2.0) * scaler.get_scale()).to(torch.float16)
    scaler.scale(weight.sum()).backward()
    weight.grad.fill_(scaled_grad.item())  # what a float16 backward hands to the float32 .grad
    scaler.step(optimizer)
    scaler.update()
    expected_scaled, expected_stepped, expected_scale = course13._q3_solution()[0]
    assert math.isinf(scaled_grad.item()) and math.isinf(expected_scaled)
    assert (weight.item() != 1.0) == expected_stepped
    assert scaler.get_scale() == expected_scale
