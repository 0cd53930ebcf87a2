"""Write live recordings of the benchmark's real models as a GraphView receives them, one JSON file
per recording: {"name", "doc" (the first document), "collapsed", "batches": [{nodes, edges, groups}]}.
Read by live_check.mjs.

    python tests/layout/live_docs.py OUT_DIR

Recorded: a ResNet-18 forward and backward pass (record_torch, grouped by module) and a Keras
MobileNetV2 training step (record_tf, grouped by layer), in the batches the recorders send (every
0.005 s, so that even a fast machine gives many batches) and the view passes on at once
(append_interval 0).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def recording(view) -> dict:
    view.flush()
    return {"doc": view.graph, "collapsed": list(view.collapsed),
            "batches": [{k: b[k] for k in ("nodes", "edges", "groups")} for b in view._batches]}


def recordings():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm

    from sidebyside.graph import record_tf, record_torch
    from sidebyside.widget import GraphView

    model, x = rm.resnet18_torch()
    view = GraphView()
    view.append_interval = 0
    with record_torch(view, module=model, interval=0.005):
        model(x).sum().backward()
    yield "resnet18-record-torch", recording(view)

    import tensorflow as tf

    mnet, img = rm.mobilenetv2_keras()
    view = GraphView()
    view.append_interval = 0
    with record_tf(view, max_nodes=20000, interval=0.005):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(mnet(img, training=True))
        tape.gradient(loss, mnet.trainable_variables)
    yield "mobilenetv2-record-tf", recording(view)


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, rec in recordings():
        (out / f"{name}.json").write_text(json.dumps({"name": name, **rec}))
        nodes = sum(len(b["nodes"]) for b in rec["batches"])
        print(name, len(rec["batches"]), "batches", nodes, "nodes", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
