"""Self-checks for course/09_visualisation_and_debugging.ipynb."""

from sidebyside.selfcheck import exercise


def _q1_solution():
    return (lambda shapes: len({tuple(s) for s in shapes}),)


def _q1_wrong():
    return [
        (lambda shapes: len(shapes),),  # thinks Python runs on every call
        (lambda shapes: 1,),  # thinks a tf.function traces once, whatever the shapes
        (lambda shapes: len({tuple(s) for s in shapes}) + 1,),  # counts an extra "compile"
        (lambda shapes: sum(1 for a, b in zip([None, *shapes], shapes) if a != b),),  # only changes
    ]


@exercise("course09.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: one trace per new input signature; calls with a signature seen before "
                  "reuse its graph and run no Python.",
          hints=["Python code in a tf.function runs while tracing; a new shape means a new trace."])
def q1(count_traces):
    import random

    rng = random.Random()
    cases = [[(2,), (2,), (3,)], [(2,), (3,), (2,)], [(4, 4)] * 5, [(1,)]]
    for _ in range(4):
        pool = [(rng.randint(1, 4),) for _ in range(3)]
        cases.append([rng.choice(pool) for _ in range(rng.randint(1, 8))])
    for shapes in cases:
        expected = len({tuple(s) for s in shapes})
        got = count_traces(list(shapes))
        assert got == expected, (
            f"count_traces({shapes}) returned {got}, expected {expected}: a shape seen before, even "
            "several calls ago, reuses its traced graph."
        )


ANSWERS = {
    "loss_curves": "tensorboard",
    "inspect_forward": "breakpoint",
    "print_every_call": "tf.print",
    "step_tf_function": "run_functions_eagerly",
    "nan_in_backward": "detect_anomaly",
}
ALIASES = {"pdb": "breakpoint", "pdb.set_trace": "breakpoint", "tf.config.run_functions_eagerly":
           "run_functions_eagerly", "torch.autograd.detect_anomaly": "detect_anomaly",
           "torch.autograd.set_detect_anomaly": "detect_anomaly", "tf_print": "tf.print",
           "summarywriter": "tensorboard", "tf.summary": "tensorboard"}


def _normalise(value):
    v = str(value).strip().lower().replace("()", "")
    return ALIASES.get(v, v)


def _q2_solution():
    return (dict(ANSWERS),)


def _q2_wrong():
    python_print = dict(ANSWERS, print_every_call="print")  # Python print runs only when tracing
    pdb_in_graph = dict(ANSWERS, step_tf_function="breakpoint")  # stops only while tracing
    swapped = dict(ANSWERS, loss_curves="detect_anomaly", nan_in_backward="tensorboard")
    return [(python_print,), (pdb_in_graph,), (swapped,)]


@exercise("course09.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: TensorBoard for curves, the debugger for eager code, tf.print and "
                  "run_functions_eagerly for tf.function, detect_anomaly for NaNs in backward.")
def q2(tools):
    assert isinstance(tools, dict), "Answer with a dict: job -> tool."
    for job, expected in ANSWERS.items():
        assert job in tools, f"Use every key from the table; missing: {job!r}."
        got = _normalise(tools[job])
        if job == "print_every_call" and got == "print":
            raise AssertionError("A Python print inside a tf.function runs only while tracing.")
        if job == "step_tf_function" and got == "breakpoint":
            raise AssertionError("breakpoint() inside a tf.function stops only while tracing; "
                                 "make it run eagerly first.")
        assert got == expected, f"Not {tools[job]!r} for {job!r}."
