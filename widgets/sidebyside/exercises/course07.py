"""Self-checks for course/07_training.ipynb."""

from sidebyside.selfcheck import exercise

STEPS = ("zero_grad", "forward", "loss", "backward", "step")


def _q1_solution():
    return (["zero_grad", "forward", "loss", "backward", "step"],)


def _q1_wrong():
    return [
        (["forward", "loss", "step", "backward", "zero_grad"],),  # step before backward
        (["forward", "loss", "backward", "zero_grad", "step"],),  # zeroed the fresh gradients
        (["forward", "loss", "backward", "step"],),  # forgot zero_grad: gradients accumulate
        (["loss", "forward", "backward", "step", "zero_grad"],),  # loss before the forward pass
    ]


@exercise("course07.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: zero_grad may also come last (after step); what matters is that it never "
                  "sits between backward and step.",
          hints=["backward() writes into .grad; step() reads .grad; zero_grad() clears it."])
def q1(order):
    order = [str(s).strip().lower().replace("()", "").replace("optimizer.", "").replace("loss.", "")
             for s in order]
    missing = [s for s in STEPS if s not in order]
    assert not missing, f"Missing step(s): {missing}. Without zero_grad, gradients add up over steps."
    assert len(order) == len(STEPS), f"Use each of {list(STEPS)} exactly once."
    pos = {s: order.index(s) for s in STEPS}
    assert pos["forward"] < pos["loss"], "The loss needs the model's output: forward comes first."
    assert pos["loss"] < pos["backward"], "backward() differentiates the loss: compute it first."
    assert pos["backward"] < pos["step"], "step() uses the gradients that backward() computes."
    assert not pos["backward"] < pos["zero_grad"] < pos["step"], (
        "zero_grad between backward and step wipes the gradients before they are used."
    )


def _q2_solution():
    return (lambda n, b: -(-n // b),)


def _q2_wrong():
    return [
        (lambda n, b: n // b,),  # drops the last, smaller batch
        (lambda n, b: n / b,),  # a float, not a count
        (lambda n, b: n // b + 1,),  # one too many when b divides n
        (lambda n, b: n,),  # one step per sample
    ]


@exercise("course07.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: ceil(n / b), e.g. 100 samples in batches of 32 take 4 steps (32+32+32+4).",
          hints=["Try n=100, b=32 on paper: how many batches, and how big is the last one?"])
def q2(steps_per_epoch):
    import math
    import numbers
    import random

    rng = random.Random()
    cases = [(64, 16), (100, 32), (10, 10), (1, 8)] + [
        (rng.randint(1, 1000), rng.randint(1, 64)) for _ in range(5)
    ]
    for n, b in cases:
        got = steps_per_epoch(n, b)
        expected = math.ceil(n / b)
        is_count = isinstance(got, numbers.Integral) and not isinstance(got, bool)
        assert got == expected and is_count, (
            f"steps_per_epoch({n}, {b}) returned {got!r}, expected {expected} (an int). "
            "The last batch may be smaller, but it is still a step."
        )
