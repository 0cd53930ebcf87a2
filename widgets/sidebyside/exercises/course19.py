"""Self-checks for course/19_reproducibility.ipynb.

Each checker measures the property the question asks for (a stream that leaves the global generator
alone, a pipeline that repeats when rebuilt, a sum whose bits do not depend on the order) instead of
comparing code, so every spelling that behaves right passes, and the hints name the classic mistakes.
"""

import math

import numpy as np

from sidebyside.selfcheck import exercise

# --- Q1: a torch stream of its own ------------------------------------------------------------------


def _q1_solution():
    import torch

    return (lambda seed: torch.rand(3, generator=torch.Generator().manual_seed(seed)),)


def _q1_wrong():
    import torch

    def reseeds_global(seed):
        torch.manual_seed(seed)  # resets everybody's stream, not only this one
        return torch.rand(3)

    def never_seeded(seed):
        g = torch.Generator()
        g.seed()  # a fresh, non-deterministic seed
        return torch.rand(3, generator=g)

    return [
        (reseeds_global,),
        (lambda seed: torch.rand(3, generator=torch.Generator()),),  # the default seed, whatever `seed` is
        (never_seeded,),
        (lambda seed: torch.rand(3, generator=torch.Generator().manual_seed(0)),),  # ignores `seed`
        (lambda seed: torch.randn(3, generator=torch.Generator().manual_seed(seed)),),  # normal, not uniform
        (lambda seed: torch.rand(3),),  # the global generator
    ]


@exercise("course19.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: a generator of its own, seeded for the call and passed with generator=; the "
                  "global generator never moves, so nobody else's numbers shift.",
          hints=["torch.rand takes generator=; torch.Generator().manual_seed(seed) returns the generator."])
def q1(draw):
    import torch

    assert callable(draw), "draw should be a function, e.g. def draw(seed): ..."
    before = torch.get_rng_state()
    first = {seed: torch.as_tensor(draw(seed)) for seed in (1, 2, 3)}
    if not torch.equal(before, torch.get_rng_state()):
        raise AssertionError("draw moved (or reset) torch's global generator: every later torch.rand in "
                             "the program now gives other numbers. Draw from a torch.Generator instead.")
    for seed, numbers in first.items():
        assert tuple(numbers.shape) == (3,), f"draw({seed}) should return 3 numbers, not shape {tuple(numbers.shape)}."
        assert numbers.is_floating_point() and bool(((numbers >= 0) & (numbers < 1)).all()), (
            f"draw({seed}) = {numbers.tolist()}: uniform numbers lie in [0, 1) (torch.rand, not randn).")
        if not torch.equal(numbers, torch.as_tensor(draw(seed))):
            raise AssertionError(f"draw({seed}) gave other numbers the second time: seed the generator "
                                 "with `seed` (manual_seed), not with fresh entropy.")
    if torch.equal(first[1], first[2]) or torch.equal(first[2], first[3]):
        raise AssertionError("different seeds gave the same numbers: the generator ignores `seed` (an "
                             "unseeded torch.Generator() always starts from the same default seed).")


# --- Q2: a tf.data shuffle that repeats when rebuilt ---------------------------------------------------


def _q2_solution():
    import tensorflow as tf

    return (lambda seed: tf.data.Dataset.range(8).shuffle(8, seed=seed),)


def _q2_wrong():
    import tensorflow as tf

    def r8():
        return tf.data.Dataset.range(8)

    return [
        (lambda seed: r8().shuffle(8),),  # no seed: a new op seed each time the pipeline is built
        (lambda seed: r8().shuffle(8, seed=seed, reshuffle_each_iteration=False),),  # same order every epoch
        (lambda seed: r8().shuffle(4, seed=seed),),  # buffer smaller than the data: not a full shuffle
        (lambda seed: r8().shuffle(8, seed=0),),  # ignores `seed`
        (lambda seed: r8(),),  # not shuffled at all
    ]


def _epochs(ds, n=2):
    return [[int(v) for v in ds.as_numpy_iterator()] for _ in range(n)]


@exercise("course19.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: shuffle(buffer_size >= the data set, seed=seed). The seed makes a rebuilt "
                  "pipeline repeat; reshuffle_each_iteration (True by default) gives a new order each epoch.",
          hints=["Dataset.shuffle(buffer_size, seed=..., reshuffle_each_iteration=...)."])
def q2(shuffled):
    assert callable(shuffled), "shuffled should be a function, e.g. def shuffled(seed): ..."
    first = _epochs(shuffled(1))
    assert sorted(first[0]) == list(range(8)), (
        f"one epoch gave {first[0]}: it should hold each of the numbers 0..7 once.")
    if first[0] == list(range(8)) and first[1] == list(range(8)):
        raise AssertionError("the numbers come out in order: nothing is shuffled.")
    if first != _epochs(shuffled(1)):
        raise AssertionError("built again with the same seed, the pipeline gives another order: pass "
                             "seed= to shuffle (without it each new pipeline takes a new op seed).")
    if first[0] == first[1]:
        raise AssertionError("every epoch has the same order: leave reshuffle_each_iteration=True.")
    if _epochs(shuffled(2)) == first:
        raise AssertionError("seeds 1 and 2 give the same orders: the pipeline ignores `seed`.")
    leaders = set()
    for seed in range(40):  # a full shuffle puts 7 first once in 8 seeds; a buffer under 8 never does
        leaders.add(_epochs(shuffled(seed), 1)[0][0])
        if 7 in leaders:
            return
    raise AssertionError(f"over 40 seeds only {sorted(leaders)} ever came first, never 7: a buffer smaller "
                         "than the data set only swaps near neighbours. Use buffer_size >= 8.")


# --- Q3: a sum whose bits do not depend on the order ---------------------------------------------------


def _q3_cases():
    rng = np.random.default_rng(19)
    spread = rng.standard_normal(200).astype(np.float32)
    huge = np.array([1e30, -1e30, *[1.0] * 6], dtype=np.float32)  # float64 loses the ones too
    mixed = np.concatenate([rng.standard_normal(50), [1e8, -1e8, 3.0, 0.5]]).astype(np.float32)
    return spread, huge, mixed


def _exact(values):
    return np.float32(math.fsum(values.astype(np.float64)))


def _q3_solution():
    return (lambda values: np.float32(math.fsum(values)),)


def _q3_wrong():
    def torch_sum(values):
        import torch

        return torch.sum(torch.from_numpy(values)).item()

    return [
        (lambda values: np.sum(values),),  # pairwise float32: the bits depend on the order
        (lambda values: np.sum(np.sort(values)),),  # the same bits in any order, but not exact
        (lambda values: np.float32(np.sum(values, dtype=np.float64)),),  # float64 loses 1 next to 1e30
        (lambda values: np.float32(sum(float(v) for v in values)),),  # Python's float64 sum, the same
        (torch_sum,),
    ]


@exercise("course19.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: math.fsum adds exactly and rounds once, so the order cannot matter. Every "
                  "rounding sum (float32, float64, sorted or not) can lose bits that depend on the order.",
          hints=["Python's math module has an exactly rounded sum."])
def q3(order_free_sum):
    assert callable(order_free_sum), "order_free_sum should be a function, e.g. def order_free_sum(values): ..."
    rng = np.random.default_rng(0)
    for values in _q3_cases():
        results = [np.float32(order_free_sum(values[rng.permutation(len(values))].copy())) for _ in range(8)]
        results.append(np.float32(order_free_sum(values[::-1].copy())))
        distinct = {r.tobytes() for r in results}
        if len(distinct) > 1:
            raise AssertionError(f"the same {len(values)} numbers in other orders gave {len(distinct)} "
                                 "different sums: a rounding sum depends on the order of its additions.")
        exact = _exact(values)
        if results[0] != exact:
            raise AssertionError(f"the same bits in every order, but {results[0]} is not the exact sum "
                                 f"rounded to float32 ({exact}): sorting fixes the order, not the rounding "
                                 "(1 added to 1e30 is lost in float32 and float64 alike).")
