"""Self-checks for labs/05_benchmark_eager_vs_graph.ipynb. Plain Python: no framework is imported."""

from sidebyside.selfcheck import exercise

# ---------------------------------------------------------------------------------------------------
# lab05.q1: a speedup from raw repeat timings, robust to an outlier


def _q1_solution():
    import statistics

    return (lambda eager, graph: statistics.median(eager) / statistics.median(graph),)


def _q1_wrong():
    import statistics

    return [
        (lambda eager, graph: statistics.mean(eager) / statistics.mean(graph),),  # outliers count
        (lambda eager, graph: statistics.median(graph) / statistics.median(eager),),  # inverted
        (lambda eager, graph: eager[0] / graph[0],),  # the first sample includes the compile
    ]


@exercise(
    "lab05.q1",
    solution=_q1_solution,
    wrong_answers=_q1_wrong,
    success="Right: a ratio of robust statistics (the median, or timeit's min); one slow outlier (a "
            "compile, a busy neighbour) cannot move it.",
    hints=["statistics.median(...) (or min) of each list, then eager over graph (> 1 means graph is "
           "faster)."],
)
def q1(speedup):
    import random
    import statistics

    assert callable(speedup), "Answer a function speedup(eager_times, graph_times)."
    eager = [random.uniform(0.97, 1.03) * 4e-3 for _ in range(7)]
    graph = [random.uniform(0.97, 1.03) * 1e-3 for _ in range(7)]
    graph[0] = 0.5  # the first sample swallowed a compile: an outlier
    eager[3] *= 3  # a busy neighbour slowed one eager sample
    expected = statistics.median(eager) / statistics.median(graph)
    got = speedup(list(eager), list(graph))
    assert isinstance(got, (int, float)), "Return a number."
    assert abs(got * expected - 1) > 0.1, (
        "That is graph / eager: how many times SLOWER graph mode is. The speedup is eager / graph, "
        "above 1 when graph mode is faster."
    )
    # a median ratio and a min ratio (timeit's advice) both land within a few % of the true 4x;
    # a mean, or the first sample, is dragged far off by the outliers
    assert abs(got - expected) <= 0.1 * expected, (
        f"Got {got:.3f}, expected {expected:.3f}. One slow outlier should not move the answer: "
        "which statistic ignores outliers?"
    )


# ---------------------------------------------------------------------------------------------------
# lab05.q2: after how many calls does compiling pay off?


def _q2_solution():
    import math

    def break_even(first_call, eager, graph):
        if graph >= eager:
            return math.inf
        return max(1, math.ceil((first_call - graph) / (eager - graph)))

    return (break_even,)


def _q2_wrong():
    import math

    return [
        (lambda first_call, eager, graph: math.ceil(first_call / (eager - graph)),),  # no guard;
        # and the first call also produced a result
        (lambda first_call, eager, graph: math.ceil(first_call / eager),),  # ignores graph's speed
        (lambda first_call, eager, graph: math.inf if graph >= eager
         else math.ceil(first_call / (eager - graph)),),  # first call counted as pure overhead
    ]


@exercise(
    "lab05.q2",
    solution=_q2_solution,
    wrong_answers=_q2_wrong,
    success="Right: first + (n - 1)·graph ≤ n·eager, solved for the smallest whole n; never if graph "
            "is not faster.",
    hints=["n eager calls cost n·eager; n graph calls cost first_call + (n - 1)·graph."],
)
def q2(break_even):
    import math
    import random

    assert callable(break_even), "Answer a function break_even(first_call, eager, graph)."
    for _ in range(5):
        eager = random.uniform(1e-3, 5e-3)
        graph = eager / random.uniform(1.5, 2.5)  # graph about twice as fast per call
        n0 = random.randint(50, 500)
        first = graph + (n0 - 0.5) * (eager - graph)  # exactly between two whole answers
        n = break_even(first, eager, graph)
        assert n == n0, (
            f"For first_call={first:.4f}s, eager={eager * 1e3:.3f} ms, graph={graph * 1e3:.3f} ms "
            f"you answered {n}, expected {n0}. Count the first call as a call that also returned "
            "a result."
        )
    slower = break_even(1.0, 1e-3, 2e-3)
    assert slower == math.inf, "When graph mode is slower per call it never pays off: return math.inf."
