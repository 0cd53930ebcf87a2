"""sidebyside.bench: warm-up, repeats and medians, checked with a fake clock (no real timing)."""

import math

import pytest

from sidebyside import bench


class FakeClock:
    """Each call of the timed function advances time by a scripted amount."""

    def __init__(self, costs):
        self.now, self.costs, self.calls = 0.0, list(costs), 0

    def __call__(self):
        return self.now

    def fn(self):
        cost = self.costs[min(self.calls, len(self.costs) - 1)]
        self.calls += 1
        self.now += cost
        return cost


def test_first_call_warmup_and_samples():
    clock = FakeClock([5.0, 1.0, 1.0, 0.010])  # first call compiles, warm-up is slowish, then steady
    t = bench.time_fn(clock.fn, warmup=2, repeat=5, number=3, clock=clock, mode="graph")
    assert t.first_call == 5.0
    assert clock.calls == 1 + 2 + 5 * 3
    assert t.samples == pytest.approx([0.010] * 5)
    assert t.median == pytest.approx(0.010) and t.number == 3


def test_autorange_picks_calls_per_sample():
    clock = FakeClock([0.0001])
    t = bench.time_fn(clock.fn, warmup=0, repeat=3, clock=clock, min_sample_s=0.002)
    assert t.number == 100  # 1 and 10 calls take under 2 ms, 100 take 10 ms
    assert t.median == pytest.approx(0.0001)


def test_wait_sees_the_last_result_of_each_batch():
    seen = []
    clock = FakeClock([0.001])
    bench.time_fn(clock.fn, warmup=1, repeat=2, number=4, clock=clock, wait=seen.append)
    assert len(seen) == 1 + 1 + 2  # first call, warm-up, one per batch


def make(mode, median, first=0.0, workload="w", framework="torch"):
    return bench.Timing(workload, framework, mode, first, [median * 0.9, median, median * 1.5])


def test_speedup_break_even_and_summary():
    eager = make("eager", 0.010)
    fast = make("compiled", 0.002, first=1.0)
    slow = make("graph", 0.020, first=0.5)
    same = make("other", 0.0102)
    assert bench.speedup(eager, fast) == pytest.approx(5.0)
    # 1.0 + 0.002 (n - 1) <= 0.010 n  =>  n >= 124.75
    assert bench.break_even_calls(eager, fast) == 125
    assert bench.break_even_calls(eager, slow) == math.inf
    sentences = bench.summarize([eager, fast, slow, same])
    assert sentences[0].startswith("w, torch: compiled is 5.0x faster") and "125 calls" in sentences[0]
    assert "slower than eager here (2.0x slower" in sentences[1]
    assert "no clear difference" in sentences[2]
    text = bench.table([eager, fast, slow])
    assert "5.00x" in text and "125 calls" in text and "never" in text
    assert text.splitlines()[0].split()[:3] == ["workload", "framework", "mode"]


def test_plot_returns_a_figure():
    import matplotlib

    matplotlib.use("Agg")
    fig = bench.plot([make("eager", 0.01), make("eager", 0.02, framework="tensorflow")])
    assert len(fig.axes[0].patches) == 2


def test_time_all_interleaves_samples():
    order = []
    clock = FakeClock([0.001])

    def named(name, cost):
        def fn():
            order.append(name)
            clock.now += cost
        return fn

    cases = [bench.Case(named("a", 0.004), workload="w", framework="torch", mode="eager"),
             bench.Case(named("b", 0.001), workload="w", framework="torch", mode="compiled")]
    ta, tb = bench.time_all(cases, warmup=1, repeat=3, clock=clock, min_sample_s=0.002)
    assert (ta.mode, tb.mode) == ("eager", "compiled")
    assert ta.number == 1 and tb.number == 10
    assert ta.median == pytest.approx(0.004) and tb.median == pytest.approx(0.001)
    # first calls and warm-ups first (a, a, b, b), autorange (a; b, b x10), then alternating samples
    samples = order[2 + 2 + 1 + 11:]
    assert samples == (["a"] + ["b"] * 10) * 3
