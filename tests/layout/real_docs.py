"""Write the documents GraphView sends for the benchmark's real models (benchmarks/real_models.py)
to a folder, one JSON file per capture: {"name", "doc", "collapsed"} (the document after
simplification and folding, and the groups collapsed at first sight). Read by layout_check.mjs.

    python tests/layout/real_docs.py OUT_DIR [--quick]

--quick captures ResNet-18 (autograd, fx) and a 2-block GPT-2 only (no TensorFlow).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def view_doc(graph) -> dict:
    from sidebyside.widget import GraphView

    v = GraphView(graph)
    return {"doc": v.graph, "collapsed": list(v.collapsed)}


def captures(quick: bool):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm

    from sidebyside.graph import from_autograd, from_fx

    model, x = rm.resnet18_torch()
    yield "resnet18-autograd", view_doc(from_autograd(model, x))
    yield "resnet18-fx", view_doc(from_fx(model, x))
    gpt, idx = rm.gpt2_torch(blocks=2, width=64, heads=4)
    yield "gpt2-torch-autograd", view_doc(from_autograd(gpt, idx))
    if quick:
        return
    from sidebyside.graph import from_tape, from_tf_function

    mnet, img = rm.mobilenetv2_keras()
    yield "mobilenetv2-tf-function", view_doc(from_tf_function(mnet, img))
    yield "mobilenetv2-tape", view_doc(from_tape(lambda a: mnet(a, training=True), img,
                                                 max_nodes=20000))
    kgpt, tok = rm.gpt2_keras(blocks=2, width=64, heads=4)
    yield "gpt2-keras-tf-function", view_doc(from_tf_function(kgpt, tok))


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, view in captures("--quick" in argv):
        (out / f"{name}.json").write_text(json.dumps({"name": name, **view}))
        print(name, len(view["doc"]["nodes"]), "nodes", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
