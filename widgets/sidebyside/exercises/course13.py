"""Self-checks for course/13_mixed_precision.ipynb."""

from sidebyside.selfcheck import exercise

# Q1: what torch.autocast("cpu", dtype=torch.bfloat16) gives each result (tests/test_lesson13_*
# re-derives these from torch itself, so the key cannot drift from the pinned version).
Q1_KEY = {"a": "bfloat16", "b": "bfloat16", "c": "float32", "d": "float32", "e": "float32"}

_SPELLINGS = {"bfloat16": "bfloat16", "bf16": "bfloat16", "float32": "float32", "fp32": "float32",
              "float": "float32", "single": "float32", "float16": "float16", "fp16": "float16",
              "half": "float16", "float64": "float64", "double": "float64"}


def dtype_word(value) -> str:
    """'bfloat16' for torch.bfloat16, tf.bfloat16, 'bf16', 'torch.bfloat16', "<dtype: 'bfloat16'>"."""
    text = str(getattr(value, "name", None) or value).strip().lower()
    for junk in ("torch.", "tf.", "np.", "numpy.", "<dtype:", ">", "'", '"'):
        text = text.replace(junk, "")
    return _SPELLINGS.get(text.strip(), text.strip())


def _q1_solution():
    return ({"a": "bf16", "b": "torch.bfloat16", "c": "float32", "d": "fp32", "e": "float32"},)


def _q1_wrong():
    return [
        ({k: "bfloat16" for k in Q1_KEY},),  # "autocast makes everything bfloat16"
        ({**Q1_KEY, "c": "bfloat16"},),  # no promotion: bf16 + fp32 taken as bf16
        ({**Q1_KEY, "d": "bfloat16"},),  # the loss in bf16
        ({**Q1_KEY, "e": "bfloat16"},),  # gradients in the activations' dtype
        ({**Q1_KEY, "b": "float32"},),  # relu assumed to run in float32
        ({"a": "bfloat16", "b": "bfloat16", "c": "float32"},),  # incomplete
    ]


_Q1_HINTS = {
    "a": "nn.Linear is a matmul: autocast's main target.",
    "b": "relu is on neither autocast list: it follows its input's dtype.",
    "c": "An op on neither list, with a bfloat16 and a float32 input, promotes to the wider type.",
    "d": "Losses are on autocast's float32 list (mse_loss, cross_entropy).",
    "e": "A gradient has its parameter's dtype, and the parameters stay float32.",
}


@exercise("course13.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: the matmul and what follows it are bfloat16; mixing in float32 promotes; "
                  "the loss and the weight gradient are float32.",
          hints=["Run the code in a cell and print each dtype: the lesson's op-by-op table helps."])
def q1(dtypes):
    assert isinstance(dtypes, dict), "Answer with a dict, e.g. {'a': 'bfloat16', 'b': ..., ...}."
    given = {str(k).strip().lower(): dtype_word(v) for k, v in dtypes.items()}
    missing = sorted(set(Q1_KEY) - set(given))
    assert not missing, f"Give a dtype for {missing} too."
    wrong = [k for k in sorted(Q1_KEY) if given[k] != Q1_KEY[k]]
    assert not wrong, f"Check {wrong}. " + " ".join(_Q1_HINTS[k] for k in wrong)


# Q2: g = 2**-30 in float16, and the smallest power-of-two scale making g*S a normal float16.
def _q2_solution():
    return ((0.0, 2**16),)


def _q2_wrong():
    return [
        ((2.0**-30, 2**16),),  # forgot the underflow
        ((0.0, 2**6),),  # only enough to be a (subnormal) nonzero: 2**-24
        ((0.0, 2**30),),  # works, but far from the smallest
        ((0.0, 2**15),),  # one power short: 2**-15 is still subnormal
        ((0.0, 65504),),  # float16's max is not a scale
    ]


@exercise("course13.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: 2**-30 is below float16's smallest subnormal (2**-24), so it is stored as 0; "
                  "2**-30 * 2**16 = 2**-14, float16's smallest normal. (That GradScaler also starts "
                  "at 2**16 is a coincidence: it starts large on purpose and halves S on overflow.)",
          hints=["float16: smallest subnormal 2**-24, smallest normal 2**-14 (see section 1)."])
def q2(answer):
    import math

    stored, scale = answer
    stored, scale = float(stored), float(scale)
    assert stored == 0.0, (
        f"float16 stores {stored!r}? 2**-30 is below its smallest subnormal (2**-24 ≈ 6e-8): "
        "it rounds to 0."
    )
    assert scale > 0 and math.log2(scale).is_integer(), f"{scale!r} is not a power of two."
    product = 2.0**-30 * scale
    assert product >= 2.0**-14, (
        f"g·S = 2**{math.log2(product):.0f} is below 2**-14: nonzero perhaps, but subnormal."
    )
    assert product == 2.0**-14, (
        f"S = 2**{math.log2(scale):.0f} works, but a smaller power of two also does."
    )


# Q3: overflow with GradScaler: scale 2**16, true gradient 2.0.
def _q3_solution():
    return ((float("inf"), False, 2**15),)


def _q3_wrong():
    return [
        ((131072.0, True, 2**16),),  # float16 assumed to hold 2**17
        ((65504.0, True, 2**16),),  # saturates instead of overflowing
        ((float("inf"), False, 2**16),),  # skipped, but scale left alone
        ((float("inf"), True, 2**15),),  # step taken with an inf gradient
        ((float("inf"), False, 2**17),),  # scale grown instead of backed off
    ]


@exercise("course13.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: 2 · 65536 = 131072 > 65504, so float16 gives inf; the scaler skips the step "
                  "and multiplies the scale by backoff_factor=0.5.",
          hints=["float16's largest value is 65504; see the overflow cells in section 4."])
def q3(answer):
    import math

    scaled, stepped, new_scale = answer
    scaled, new_scale = float(scaled), float(new_scale)
    assert math.isinf(scaled) and scaled > 0, (
        f"scaled = {scaled!r}? 2.0 · 65536 = 131072 is past float16's max 65504: it overflows to inf."
    )
    assert stepped is False or stepped in (0, "no", "No", "False"), (
        "An inf gradient would wreck the weights: scaler.step skips optimizer.step()."
    )
    assert new_scale == 2.0**15, (
        f"new scale {new_scale:g}? After an overflow the scaler backs off: 65536 · 0.5."
    )
