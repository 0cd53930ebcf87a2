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


def spread_of(mode, samples, workload="w", framework="torch"):
    return bench.Timing(workload, framework, mode, 0.0, list(samples))


def test_quartiles_and_spread():
    t = spread_of("eager", [1.0, 2.0, 3.0, 4.0, 5.0])
    assert t.quartiles == pytest.approx((2.0, 4.0))
    assert t.spread == pytest.approx(2.0 / 3.0)  # IQR 2 over median 3
    assert spread_of("eager", [0.5]).spread == 0.0
    assert "IQR" in bench.table([t]).splitlines()[0] and "67%" in bench.table([t])


def test_a_gap_inside_the_noise_is_no_gap():
    eager = spread_of("eager", [0.010, 0.011, 0.012, 0.020, 0.030])  # median 12 ms, wide
    noisy = spread_of("graph", [0.007, 0.008, 0.009, 0.012, 0.013])  # 1.33x by medians, overlapping
    clean = spread_of("compiled", [0.0060, 0.0061, 0.0062, 0.0063, 0.0064])  # 1.94x, apart
    assert not bench.clearly_different(eager, noisy)
    assert bench.clearly_different(eager, clean)
    first, second = bench.summarize([eager, noisy, clean])
    assert "no clear difference" in first and "1.33x" in first
    assert "1.9x faster per call" in second
    # 5 % apart and perfectly steady is still within the 10 % tolerance
    assert not bench.clearly_different(spread_of("eager", [1.0] * 3), spread_of("x", [0.95] * 3))


def test_compare_frameworks_reads_the_measurements():
    rows = [spread_of("eager", [0.008, 0.0081, 0.0082], "matmul"),
            spread_of("torch.compile", [0.005] * 3, "matmul"),
            spread_of("eager", [0.0037, 0.0038, 0.0039], "matmul", "tensorflow"),
            spread_of("tf.function", [0.0049, 0.0050, 0.0051], "matmul", "tensorflow"),
            spread_of("eager", [0.001] * 3, "mlp"),
            spread_of("eager", [0.0009, 0.001, 0.0011], "mlp", "tensorflow")]
    sentences = bench.compare_frameworks(rows)
    assert len(sentences) == 3  # eager-eager and compile-function for matmul, eager-eager for mlp
    eager_matmul, graph_matmul, eager_mlp = sentences
    assert eager_matmul.startswith("matmul: torch eager 8.100 ms")
    assert eager_matmul.endswith("tensorflow eager is 2.1x faster.")
    assert graph_matmul.endswith(f"no clear difference ({bench.NOISE}).")  # 5.0 vs 5.0 ms
    assert "no clear difference" in eager_mlp
