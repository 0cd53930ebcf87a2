"""Graph capture speed: prints a table (measured value, target, pass/fail). Not a timed test.

    .venv/bin/python benchmarks/graph_capture.py

Rows:
- capture time in Python for graphs of about 50, 300 and 1000 nodes (target: 1000 nodes <= 100 ms):
  from_autograd end to end (walk grad_fn -> Graph); fx_to_graph and the TF graph converter on
  graphs already traced (tracing/ShapeProp is the framework's time and is shown for information);
- JSON round trip of the 1000-node graph (information);
- the live recorder's overhead against plain eager on a 20-layer MLP (target: <= 3x plain eager);
- a second table on real architectures (benchmarks/real_models.py, no downloads): ResNet-18
  (autograd, fx, export, compile), Keras MobileNetV2 (tf.function, tape, live forward, live training
  step) and a GPT-2-small-sized decoder, 12 blocks (torch: autograd, fx, export; Keras: tf.function,
  tape): capture time (one run: these take seconds), raw and shown (default view: simplified and
  folded) node counts, groups, typed (module / layer) groups, share of ops inside a group, and
  families of repeated blocks (group.repeat).

    .venv/bin/python benchmarks/graph_capture.py --only real     # just the real-model table
Each timing is the best of several runs after a warm-up run (the machine is shared: the best run is
the code's own cost, other runs add other people's load); the median is printed beside it.
Pass/fail uses the best run. Live overhead times plain and recorded runs alternately.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

SIZES = (50, 300, 1000)
CAPTURE_TARGET_MS = 100.0
LIVE_TARGET_RATIO = 3.0


def best_ms(fn, repeat: int = 9, warmup: int = 1) -> float:
    """Best run in ms; the median goes to LAST_MEDIAN for the table."""
    global LAST_MEDIAN
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    LAST_MEDIAN = f"{statistics.median(times):.1f} ms"
    return min(times)


LAST_MEDIAN = ""


def paired_ms(a, b, repeat: int = 31, warmup: int = 3) -> tuple[float, float]:
    """Best runs of a and b timed alternately (load changes hit both alike); medians to
    LAST_MEDIAN as a ratio."""
    global LAST_MEDIAN
    for _ in range(warmup):
        a()
        b()
    ta, tb = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        a()
        ta.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        b()
        tb.append((time.perf_counter() - t) * 1000)
    LAST_MEDIAN = f"{statistics.median(tb) / statistics.median(ta):.2f}x"
    return min(ta), min(tb)


class NullView:
    """Receives batches like a GraphView, without a browser (measures the recorder's own cost)."""

    def __init__(self):
        self.appends = 0

    def append(self, nodes, edges, groups=()):
        self.appends += 1


rows: list[tuple[str, str, str, str, str]] = []


def row(what: str, value: str, target: str, ok: bool | None) -> None:
    verdict = "info" if ok is None else ("PASS" if ok else "FAIL")
    rows.append((what, value, LAST_MEDIAN, target, verdict))
    print(f"  {what}: {value} ({verdict})", file=sys.stderr, flush=True)


def bench_autograd():
    import torch

    from sidebyside.graph.samples import NODES_PER_LAYER, mlp_model
    from sidebyside.graph.torch_autograd import from_autograd

    for n in SIZES:
        layers = max(1, round((n - 1) / NODES_PER_LAYER))
        model = mlp_model(layers)
        out = model(torch.ones(2, 8)).sum()
        g = from_autograd(out, module=model, max_nodes=10_000)
        ms = best_ms(lambda out=out, model=model: from_autograd(out, module=model,
                                                                    max_nodes=10_000))
        row(f"from_autograd, {g.node_count} nodes", f"{ms:.1f} ms",
            f"<= {CAPTURE_TARGET_MS:.0f} ms", ms <= CAPTURE_TARGET_MS)


def bench_fx():
    import torch
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    from sidebyside.graph.samples import mlp_model
    from sidebyside.graph.torch_fx import fx_to_graph

    for n in SIZES:
        layers = max(1, (n - 2) // 2)  # placeholder + (linear, relu) per layer + output
        model = mlp_model(layers)
        t = time.perf_counter()
        gm = symbolic_trace(model)
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.ones(2, 8))
        trace_ms = (time.perf_counter() - t) * 1000
        g = fx_to_graph(gm, source="fx", name="mlp", max_nodes=10_000)
        ms = best_ms(lambda gm=gm: fx_to_graph(gm, source="fx", name="mlp", max_nodes=10_000))
        row(f"fx_to_graph, {g.node_count} nodes (symbolic_trace+ShapeProp {trace_ms:.0f} ms)",
            f"{ms:.1f} ms", f"<= {CAPTURE_TARGET_MS:.0f} ms", ms <= CAPTURE_TARGET_MS)
    return g


def bench_tf():
    import tensorflow as tf

    from sidebyside.graph.tf_function import concrete_graph

    for n in SIZES:
        k = max(1, n // 6)  # per block: ReadVariableOp x2, MatMul, AddV2, Relu + Identity plumbing

        ws = [tf.Variable(tf.ones([8, 8])) for _ in range(k)]
        bs = [tf.Variable(tf.zeros([8])) for _ in range(k)]

        def mlp(x, ws=ws, bs=bs):
            for w, b in zip(ws, bs):
                x = tf.nn.relu(tf.matmul(x, w) + b)
            return x

        t = time.perf_counter()
        cf = tf.function(mlp).get_concrete_function(tf.TensorSpec([2, 8]))
        trace_ms = (time.perf_counter() - t) * 1000
        g = concrete_graph(cf, source="tf_function", name="mlp", max_nodes=10_000)
        ms = best_ms(lambda cf=cf: concrete_graph(cf, source="tf_function", name="mlp",
                                                    max_nodes=10_000), repeat=5)
        row(f"TF graph -> Graph, {g.node_count} nodes (tf.function trace {trace_ms:.0f} ms)",
            f"{ms:.1f} ms", f"<= {CAPTURE_TARGET_MS:.0f} ms", ms <= CAPTURE_TARGET_MS)


def bench_json():
    from sidebyside.graph import Graph
    from sidebyside.graph.samples import mlp_graph

    g = mlp_graph(1000)
    ms = best_ms(lambda: Graph.from_json(g.to_json()))
    row(f"JSON round trip (to_json + validating from_json), {g.node_count} nodes",
        f"{ms:.1f} ms", "-", None)


def bench_live_torch():
    import torch

    from sidebyside.graph.live_torch import record_torch
    from sidebyside.graph.samples import mlp_model

    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    for width, batch, ok_target in ((128, 32, True), (8, 2, False)):
        model = mlp_model(20, width)
        x = torch.randn(batch, width)

        def plain(model=model, x=x):
            model(x).sum().backward()

        def live(model=model, x=x):
            with record_torch(NullView()):
                model(x).sum().backward()

        plain_ms, live_ms = paired_ms(plain, live)
        ratio = live_ms / plain_ms
        what = (f"record_torch overhead, 20-layer MLP width {width} batch {batch}, fwd+bwd "
                f"({plain_ms:.2f} -> {live_ms:.2f} ms)")
        if ok_target:
            row(what, f"{ratio:.2f}x", f"<= {LIVE_TARGET_RATIO:.0f}x", ratio <= LIVE_TARGET_RATIO)
        else:
            row(what + ", tiny tensors: per-op cost only", f"{ratio:.2f}x", "-", None)


def bench_live_tf():
    import tensorflow as tf

    from sidebyside.graph.live_tf import record_tf

    ws = [tf.Variable(tf.random.normal([128, 128], seed=i) * 0.05) for i in range(20)]
    x = tf.random.normal([32, 128], seed=0)

    def forward():
        h = x
        for w in ws:
            h = tf.nn.relu(tf.matmul(h, w))
        return h

    def live():
        with record_tf(NullView()):
            forward()

    plain_ms, live_ms = paired_ms(forward, live)
    row(f"record_tf overhead, 20-layer MLP width 128 batch 32, forward "
        f"({plain_ms:.2f} -> {live_ms:.2f} ms)", f"{live_ms / plain_ms:.2f}x",
        f"<= {LIVE_TARGET_RATIO:.0f}x", live_ms / plain_ms <= LIVE_TARGET_RATIO)


# ---- real architectures ----------------------------------------------------------------------------
real_rows: list[tuple] = []


def real_row(model: str, adapter: str, capture) -> None:
    """Time one capture (a callable returning a Graph) and describe the graph it gives."""
    t = time.perf_counter()
    try:
        g = capture()
    except Exception as err:  # noqa: BLE001 - one failing adapter must not hide the others
        real_rows.append((model, adapter, "error", str(err).splitlines()[0][:60]))
        print(f"  {model} / {adapter}: {err!r}", file=sys.stderr, flush=True)
        return
    seconds = time.perf_counter() - t
    shown = g.folded()
    ops = [n for n in g.nodes if n.kind in ("op", "control") and not n.plumbing]
    grouped = sum(1 for n in ops if n.group)
    families = {gr.repeat["key"]: gr.repeat["count"] for gr in g.groups if gr.repeat}
    biggest = max(families.values(), default=0)
    real_rows.append((model, adapter, f"{seconds:.2f} s", g.node_count, shown.node_count,
                      len(g.groups), sum(1 for gr in g.groups if gr.type),
                      f"{100 * grouped / max(len(ops), 1):.0f}%",
                      f"{len(families)} (max x{biggest})" if families else "0"))
    print(f"  {model} / {adapter}: {seconds:.2f} s, {g.node_count} nodes", file=sys.stderr,
          flush=True)


def bench_real_models() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keras
    import tensorflow as tf
    import torch
    import torch._dynamo
    from real_models import gpt2_keras, gpt2_torch, mobilenetv2_keras, resnet18_torch

    from sidebyside.graph import (
        compile_capture,
        from_autograd,
        from_export,
        from_fx,
        from_tape,
        from_tf_function,
        record_tf,
    )

    def compiled(model, x):
        torch._dynamo.reset()
        cc = compile_capture(model, backend="eager")
        cc(x)
        return cc.as_graph()

    for name, build in (("ResNet-18 (torch)", resnet18_torch), ("GPT-2 12 blocks (torch)", gpt2_torch)):
        model, x = build()
        real_row(name, "autograd", lambda m=model, x=x: from_autograd(m, x))
        real_row(name, "fx", lambda m=model, x=x: from_fx(m, x))
        real_row(name, "export", lambda m=model, x=x: from_export(m.eval(), (x,)))
        if name.startswith("ResNet"):
            real_row(name, "compile", lambda m=model, x=x: compiled(m, x))

    model, x = mobilenetv2_keras()
    real_row("MobileNetV2 (Keras)", "tf.function", lambda: from_tf_function(model, x))
    real_row("MobileNetV2 (Keras)", "tape",
             lambda: from_tape(lambda x: tf.reduce_sum(model(x, training=True)), x))

    def live_forward():
        with record_tf() as g:
            model(x)
        return g

    def live_step():
        opt = keras.optimizers.SGD(0.01)
        with record_tf() as g:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
        return g

    real_row("MobileNetV2 (Keras)", "live forward", live_forward)
    real_row("MobileNetV2 (Keras)", "live train step", live_step)

    model, idx = gpt2_keras()
    tokens = tf.constant(idx)
    real_row("GPT-2 12 blocks (Keras)", "tf.function", lambda: from_tf_function(model, tokens))
    real_row("GPT-2 12 blocks (Keras)", "tape",
             lambda: from_tape(lambda t: tf.reduce_sum(model(t)), tokens))


def print_real_table() -> None:
    head = ("model", "adapter", "capture", "raw", "shown", "groups", "typed", "ops grouped",
            "repeat families")
    table = [head] + [tuple(str(c) for c in r) for r in real_rows]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in table) for i in range(len(head))]
    print("\nreal architectures (one capture each; raw = captured nodes, shown = default view: "
          "plumbing hidden, parameters folded)")
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


def main() -> int:
    import importlib

    torch = importlib.import_module("torch")  # torch before TensorFlow, as sidebyside.setup()
    tf = importlib.import_module("tensorflow")
    only_real = sys.argv[1:] == ["--only", "real"]

    print(f"graph capture benchmark: torch {torch.__version__}, tensorflow {tf.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; best and median of "
          "several runs after a warm-up", flush=True)
    if not only_real:
        bench_autograd()
        bench_fx()
        bench_tf()
        bench_json()
        bench_live_torch()
        bench_live_tf()
        w = max(len(r[0]) for r in rows)
        print(f"{'measurement':<{w}}  {'best':>9}  {'median':>9}  {'target':>9}  result")
        print("-" * (w + 43))
        for what, value, median, target, verdict in rows:
            print(f"{what:<{w}}  {value:>9}  {median:>9}  {target:>9}  {verdict}")
    bench_real_models()
    print_real_table()
    return 1 if any(r[4] == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
