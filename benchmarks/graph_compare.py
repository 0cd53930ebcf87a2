"""graph.align on pairs of captures: prints a table (pair, alignment time, pairing rate). Not a test.

    .venv/bin/python benchmarks/graph_compare.py            # all pairs
    .venv/bin/python benchmarks/graph_compare.py --quick    # without the large models

Columns: the two captures; steps (compute units) on each side; pairs; the pairing rate (the share of
forward compute ops in paired steps, both sides); the number of "model" differences found (what the
two compute differently); the alignment time (best of 3, captures excluded). The twins (lab 04) and
the two-captures-of-one-model pairs should pair >= 95 %; the unrelated pair must stay low.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # lab 04's twins
sys.path.insert(0, str(ROOT / "benchmarks"))


def captures(quick: bool):
    """(name, left graph, right graph), built lazily one pair at a time."""
    import tensorflow as tf
    import torch
    from real_models import gpt2_keras, gpt2_torch, mobilenetv2_keras, resnet18_torch

    from sidebyside.graph import (
        compile_capture,
        from_autograd,
        from_export,
        from_fx,
        from_tape,
        from_tf_function,
    )
    from twin_models import SmallCNN, keras_cnn, keras_mlp

    images = tf.TensorSpec([None, 8, 8, 1])
    x = torch.randn(2, 1, 8, 8)
    cnn, bn = SmallCNN(), SmallCNN(batchnorm=True).eval()
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    k_bn = keras_cnn(batchnorm=True, epsilon=1e-5)
    yield ("lab 04 CNN: autograd vs Keras tf.function", from_autograd(cnn, x),
           from_tf_function(keras_cnn(), images))
    yield ("lab 04 CNN: torch.fx vs Keras tf.function", from_fx(cnn, x),
           from_tf_function(keras_cnn(), images))
    yield ("CNN + BatchNorm: export vs Keras tf.function", from_export(bn, (x,)),
           from_tf_function(k_bn, images))
    yield ("lab 04 MLP: autograd vs Keras tf.function", from_autograd(mlp, torch.randn(3, 4)),
           from_tf_function(keras_mlp(), tf.TensorSpec([None, 4])))
    yield ("changed CNN: autograd vs Keras (3 changes)", from_autograd(cnn, x),
           from_tf_function(keras_cnn(padding="same", act="tanh", extra=True), images))
    yield ("unrelated: CNN autograd vs MLP Keras", from_autograd(cnn, x),
           from_tf_function(keras_mlp(), tf.TensorSpec([None, 4])))
    yield ("CNN + BatchNorm: Keras tf.function vs tape", from_tf_function(k_bn, images),
           from_tape(lambda z: tf.reduce_sum(k_bn(z, training=True)),
                     tf.random.normal([2, 8, 8, 1])))
    if quick:
        return
    model, xr = resnet18_torch()
    eager = from_autograd(model, xr)
    yield "ResNet-18: autograd vs export", eager, from_export(model, (xr,))
    yield "ResNet-18: autograd vs torch.fx", eager, from_fx(model, xr)
    cap = compile_capture(model, "eager")
    cap(xr)
    yield "ResNet-18: autograd vs torch.compile", eager, cap.graph
    # a transformer block across frameworks: the weak spot (fused attention and qkv in PyTorch,
    # unfused einsums and separate query/key/value in Keras do not pair one step to one step yet)
    gt, xt = gpt2_torch(width=32, heads=2, blocks=1)[:2]
    gk, xk = gpt2_keras(width=32, heads=2, blocks=1)[:2]
    yield ("GPT-2 block (tiny): autograd vs Keras tf.function", from_autograd(gt, xt),
           from_tf_function(gk, tf.TensorSpec([None, *xk.shape[1:]], xk.dtype)))
    net, xm = mobilenetv2_keras()
    spec = tf.TensorSpec([None, *xm.shape[1:]])
    yield ("MobileNetV2: Keras tf.function vs tape", from_tf_function(net, spec),
           from_tape(lambda z: tf.reduce_sum(net(z)), xm))


def main() -> None:
    from sidebyside.graph import align
    from sidebyside.graph.units import compute_units

    quick = "--quick" in sys.argv
    rows = [("pair", "steps L/R", "pairs", "rate", "model diffs", "align ms")]
    for name, left, right in captures(quick):
        best, a = float("inf"), None
        for _ in range(3):
            t = time.perf_counter()
            a = align(left, right)
            best = min(best, time.perf_counter() - t)
        steps = f"{len(compute_units(left).units)}/{len(compute_units(right).units)}"
        model = sum(d.kind == "model" for d in a.differences)
        rows.append((name, steps, str(len(a.pairs)), f"{a.rate():.0%}", str(model),
                     f"{best * 1000:.1f}"))
        print(f"  done: {name}", file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in
                        enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
