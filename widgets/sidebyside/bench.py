"""Timing helpers for the eager-vs-graph benchmarks: warm-up, repeats, medians, a table and a plot.

    t = time_fn(f, x, framework="torch", mode="eager", workload="mlp")
    print(table([t, ...]))
    timings = time_all([Case(f, (x,), "mlp", "torch", "eager"), Case(g, (x,), ...)])  # interleaved

Each measurement calls the function once on its own (the *first call*, which pays for tracing or
compiling), then `warmup` more times, then `repeat` batches of `number` calls; a batch's time divided by
`number` is one sample. `wait` is applied to the last result of every batch, so asynchronous work (a GPU,
TF's executor) is finished before the clock stops: `.numpy()` for TF tensors, `wait_torch` for torch.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Seconds per call for one function in one mode."""

    workload: str  # e.g. "mlp", "loop"
    framework: str  # "torch" or "tensorflow"
    mode: str  # e.g. "eager", "torch.compile", "tf.function", "XLA"
    first_call: float  # seconds of the very first call (tracing / compiling included)
    samples: list = field(default_factory=list)  # seconds per call, one per repeat
    number: int = 1  # calls per sample

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def quartiles(self) -> tuple[float, float]:
        """First and third quartile of the samples: the middle half of the runs lies between them."""
        if len(self.samples) < 2:
            return self.median, self.median
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q1, q3

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (0.1: the middle half spans 10 % of it)."""
        q1, q3 = self.quartiles
        return (q3 - q1) / self.median if self.median else 0.0

    @property
    def label(self) -> str:
        return f"{self.framework} {self.mode}"


def wait_torch(result: Any) -> Any:
    """Wait for queued torch work (a no-op on the CPU, where ops finish before they return)."""
    import torch

    if torch.accelerator.is_available():
        torch.accelerator.synchronize()
    return result


def wait_tf(result: Any) -> Any:
    """Wait for a TF result by fetching it (`.numpy()` blocks until it is computed)."""
    import tensorflow as tf

    for t in tf.nest.flatten(result):
        if hasattr(t, "numpy"):
            t.numpy()
    return result


def time_fn(
    fn: Callable,
    *args,
    workload: str = "",
    framework: str = "",
    mode: str = "",
    warmup: int = 2,
    repeat: int = 7,
    number: int | None = None,
    min_sample_s: float = 0.002,
    max_calls: int = 1000,
    wait: Callable[[Any], Any] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time `fn(*args)`: first call, warm-up, then `repeat` samples of `number` calls each.

    number=None picks the smallest power of ten (at most max_calls) whose batch takes min_sample_s, like
    timeit's autorange, so tiny functions are not timed below the clock's resolution.
    """
    wait = wait or (lambda r: r)

    start = clock()
    wait(fn(*args))
    first = clock() - start
    for _ in range(warmup):
        wait(fn(*args))

    def batch(n: int) -> float:
        start = clock()
        for _ in range(n):
            result = fn(*args)
        wait(result)
        return clock() - start

    if number is None:
        number = 1
        while number < max_calls and batch(number) < min_sample_s:
            number *= 10
        number = min(number, max_calls)
    samples = [batch(number) / number for _ in range(repeat)]
    return Timing(workload, framework, mode, first, samples, number)


@dataclass
class Case:
    """One function to time with `time_all`: fn(*args), labelled."""

    fn: Callable
    args: tuple = ()
    workload: str = ""
    framework: str = ""
    mode: str = ""
    wait: Callable[[Any], Any] | None = None


def time_all(
    cases: list[Case],
    *,
    warmup: int = 2,
    repeat: int = 7,
    min_sample_s: float = 0.002,
    max_calls: int = 1000,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Timing]:
    """Time several functions **interleaved**: sample 1 of each, then sample 2 of each, ...

    On a shared machine the load drifts; interleaving makes every function see the same conditions,
    so their ratios stay fair even when absolute times wander. First calls, warm-up and the choice of
    calls per sample happen per function, before any sample is taken.
    """
    prepared = []
    for case in cases:
        wait = case.wait or (lambda r: r)
        start = clock()
        wait(case.fn(*case.args))
        first = clock() - start
        for _ in range(warmup):
            wait(case.fn(*case.args))
        prepared.append((case, wait, first))

    def batch(case: Case, wait, n: int) -> float:
        start = clock()
        for _ in range(n):
            result = case.fn(*case.args)
        wait(result)
        return clock() - start

    numbers = []
    for case, wait, _ in prepared:
        number = 1
        while number < max_calls and batch(case, wait, number) < min_sample_s:
            number *= 10
        numbers.append(min(number, max_calls))
    samples: list[list[float]] = [[] for _ in prepared]
    for _ in range(repeat):
        for i, ((case, wait, _), number) in enumerate(zip(prepared, numbers)):
            samples[i].append(batch(case, wait, number) / number)
    return [Timing(c.workload, c.framework, c.mode, first, s, n)
            for (c, _, first), s, n in zip(prepared, samples, numbers)]


def _fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def speedup(baseline: Timing, other: Timing) -> float:
    """How many times faster `other` is than `baseline`, by medians (< 1: slower)."""
    return baseline.median / other.median


NOISE = "under 10 % apart, or within the run-to-run spread"


def clearly_different(a: Timing, b: Timing, *, tolerance: float = 0.1) -> bool:
    """True when the medians differ by more than `tolerance` AND the middle halves of the two sets
    of samples do not overlap: a gap smaller than the run-to-run noise is no gap."""
    ratio = a.median / b.median
    if 1 - tolerance <= ratio <= 1 + tolerance:
        return False
    (a1, a3), (b1, b3) = a.quartiles, b.quartiles
    return a3 < b1 or b3 < a1


def break_even_calls(baseline: Timing, other: Timing) -> float:
    """Calls after which `other` (paying its first-call cost) has used less total time than `baseline`.

    n calls cost baseline.median * n against other.first_call + other.median * (n - 1); math.inf when
    `other` is not faster per call.
    """
    if other.median >= baseline.median:
        return math.inf
    return max(1, math.ceil((other.first_call - other.median) / (baseline.median - other.median)))


def table(timings: list[Timing]) -> str:
    """A text table: one row per timing, speedups relative to the eager row of the same framework
    and workload. IQR is the spread of the samples: the interquartile range as a share of the median."""
    rows = [("workload", "framework", "mode", "first call ms", "median ms", "IQR", "speedup",
             "pays off after")]
    for t in timings:
        base = _baseline(timings, t)
        spread = f"{t.spread * 100:.0f}%"
        if base is None or base is t:
            rows.append((t.workload, t.framework, t.mode, _fmt_ms(t.first_call), _fmt_ms(t.median),
                         spread, "1.00x", "-"))
        else:
            n = break_even_calls(base, t)
            rows.append((t.workload, t.framework, t.mode, _fmt_ms(t.first_call), _fmt_ms(t.median),
                         spread, f"{speedup(base, t):.2f}x",
                         "never" if n == math.inf else f"{n} calls"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _baseline(timings: list[Timing], t: Timing) -> Timing | None:
    for other in timings:
        if other.workload == t.workload and other.framework == t.framework and other.mode == "eager":
            return other
    return None


def summarize(timings: list[Timing], *, tolerance: float = 0.1) -> list[str]:
    """One sentence per non-eager timing, computed from the measurements (never hard-coded).

    Speedups within `tolerance` of 1.0 (10 %), or whose samples overlap (interquartile ranges), count
    as "no clear difference": timings on a shared machine are noisy.
    """
    sentences = []
    for t in timings:
        base = _baseline(timings, t)
        if base is None or base is t:
            continue
        s = speedup(base, t)
        head = f"{t.workload}, {t.framework}: {t.mode} "
        if not clearly_different(base, t, tolerance=tolerance):
            sentences.append(f"{head}makes no clear difference here ({s:.2f}x: {NOISE}).")
        elif s > 1 + tolerance:
            n = break_even_calls(base, t)
            sentences.append(f"{head}is {s:.1f}x faster per call than eager; its first call took "
                             f"{_fmt_ms(t.first_call)} ms, repaid after {n} calls.")
        else:
            sentences.append(f"{head}is slower than eager here ({1 / s:.1f}x slower per call).")
    return sentences


def compare_frameworks(timings: list[Timing], *, tolerance: float = 0.1) -> list[str]:
    """One sentence per workload and pair of modes found in both frameworks (e.g. eager against
    eager), read from the measurements: which one was faster, or that the gap is within the noise."""
    sentences = []
    torch_rows = [t for t in timings if t.framework == "torch"]
    for a in torch_rows:
        for b in timings:
            if b.framework == "torch" or b.workload != a.workload:
                continue
            if (a.mode == "eager") != (b.mode == "eager"):
                continue  # compare eager with eager, graph with graph
            head = (f"{a.workload}: torch {a.mode} {_fmt_ms(a.median)} ms (IQR {a.spread:.0%}) vs "
                    f"{b.framework} {b.mode} {_fmt_ms(b.median)} ms (IQR {b.spread:.0%})")
            if not clearly_different(a, b, tolerance=tolerance):
                sentences.append(f"{head}: no clear difference ({NOISE}).")
            else:
                faster, slower = (a, b) if a.median < b.median else (b, a)
                ratio = slower.median / faster.median
                sentences.append(f"{head}: {faster.framework} {faster.mode} is {ratio:.1f}x faster.")
    return sentences


def plot(timings: list[Timing], *, ax=None, title: str = "median time per call (log scale)"):
    """Horizontal bars of median ms per call, one group per workload. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(timings) + 1.2))
    labels = [f"{t.workload}: {t.label}" for t in timings][::-1]
    values = [t.median * 1e3 for t in timings][::-1]
    colors = ["tab:orange" if t.framework == "torch" else "tab:blue" for t in timings][::-1]
    ax.barh(labels, values, color=colors)
    ax.set_xscale("log")
    ax.set_xlabel("ms per call (median)")
    ax.set_title(title)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.3g}", va="center", fontsize=8)
    ax.figure.tight_layout()
    return ax.figure
