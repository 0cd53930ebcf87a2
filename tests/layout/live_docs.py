"""Write live recordings of the benchmark's real models as a GraphView receives them, one JSON file
per recording: {"name", "doc" (the first document), "collapsed", "batches": [{nodes, edges, groups}]}.
Read by live_check.mjs.

    python tests/layout/live_docs.py OUT_DIR

Recorded: a ResNet-18 forward and backward pass (record_torch, grouped by module) and a Keras
MobileNetV2 training step (record_tf, grouped by layer). The recorders send every op as it runs
(interval 0) and the view passes each on at once (append_interval 0); consecutive sends are then
merged into batches of NODES_PER_BATCH nodes, as a recorder's timer merges them. A batch boundary
therefore falls at the same op on every machine: the recorders' own 0.005 s timer gave 561 batches on
a quiet machine and 1,481 on a loaded one, and the checker's work grows with the batch count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


NODES_PER_BATCH = {"resnet18-record-torch": 4, "mobilenetv2-record-tf": 7}  # ~30 and ~550 batches


def merged(batches: list[dict], nodes_per_batch: int) -> list[dict]:
    """Consecutive batches joined until each holds at least `nodes_per_batch` nodes."""
    out: list[dict] = []
    current = None
    for b in batches:
        if current is None:
            current = {"nodes": [], "edges": [], "groups": []}
        for key in current:
            current[key].extend(b.get(key, []))
        if len(current["nodes"]) >= nodes_per_batch:
            out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return out


def recording(view, name: str) -> dict:
    view.flush()
    return {"doc": view.graph, "collapsed": list(view.collapsed),
            "batches": merged(view._batches, NODES_PER_BATCH[name])}


def recordings():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm

    from sidebyside.graph import record_tf, record_torch
    from sidebyside.widget import GraphView

    model, x = rm.resnet18_torch()
    view = GraphView()
    view.append_interval = 0
    with record_torch(view, module=model, interval=0):
        model(x).sum().backward()
    yield "resnet18-record-torch", recording(view, "resnet18-record-torch")

    import tensorflow as tf

    mnet, img = rm.mobilenetv2_keras()
    view = GraphView()
    view.append_interval = 0
    with record_tf(view, max_nodes=20000, interval=0):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(mnet(img, training=True))
        tape.gradient(loss, mnet.trainable_variables)
    yield "mobilenetv2-record-tf", recording(view, "mobilenetv2-record-tf")


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
