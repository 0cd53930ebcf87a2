"""GraphView in headless chromium: MLPs of ~50/300/1000 nodes and graphs of real architectures.

    .venv/bin/python benchmarks/graph_render.py            # everything (several minutes: captures)
    .venv/bin/python benchmarks/graph_render.py --quick    # MLPs and ResNet-18 only
    .venv/bin/python benchmarks/graph_render.py --views /tmp/views.json
        # captures once into that file, later runs read it (re-measure a JS change in a minute)
    .venv/bin/python benchmarks/graph_render.py --only "GPT-2 torch" --views /tmp/gpt.json
        # only the rows whose name contains that text (captures only those; repeatable)

Loads widgets/js/harness.html (the built bundle with a stand-in model) from a local http server.
Every graph is captured here from real code (benchmarks/real_models.py: ResNet-18 in torch.nn,
Keras MobileNetV2 with weights=None, a GPT-2-small-sized decoder in both frameworks; nothing is
downloaded) and shown exactly as GraphView sends it: the `graph` and `collapsed` traits of a
GraphView built here (simplified, groups collapsed above collapse_above=150).

Measured, each with the longest main-thread block beside it (the largest gap between animation
frames or the longest "longtask" the browser reports, whichever is larger):
  * first draw of the default view (render() until laid out in the worker, drawn and painted;
    the best of 3 draws),
  * expanding one group and collapsing it again (after each of those draws, so every expand is a
    view's first, as a user's click is; the median of the 3, time and block each),
  * one live batch (20 nodes) arriving with 2000 nodes on screen (nodes recorded by record_tf
    from a Keras MobileNetV2 training step, replayed as the browser receives them),
  * a 10,000-node graph (torch.fx of the decoder with 345 blocks) opening collapsed, its first
    group expanding (it must open as a box) and collapsing, and the same graph replayed as a live
    stream (2000 nodes on screen, then batches),
and the layout engines side by side (every group expanded, in node: widgets/js/bench-engines.mjs):
dagre and the bundled linear-time layered layout, the measurement that chose the bundled one.

Targets (issue 9): first draw <= 300 ms; longest block <= 50 ms; expand/collapse <= 100 ms; a live
batch at 2000 nodes <= 16 ms; 10,000 nodes open collapsed <= 1 s, every group expandable.
On a shared machine the numbers are inflated: compare runs taken on the same quiet machine.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "widgets" / "sidebyside" / "static"
HARNESS = ROOT / "widgets" / "js" / "harness.html"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET = {"first draw": 300, "block": 50, "toggle": 100, "live batch": 16, "10k open": 1000}
MLP_SIZES = (50, 300, 1000)
LIVE_ON_SCREEN = 2000
LIVE_BATCH = 20
BIG_BLOCKS = 345  # decoder blocks for a ~10,000-node fx graph


# ---- a browser page with the harness --------------------------------------------------------------
def serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def harness_page(playwright, folder: Path, viewport=(1100, 800)):
    """(browser, page, server) with the harness loaded; the caller closes browser and server."""
    for name in ("graphview.js", "graphview.css"):
        shutil.copy(STATIC / name, folder / name)
    shutil.copy(HARNESS, folder / "index.html")
    server = serve(folder)
    # --expose-gc: each measurement starts after a collection, so garbage left by the previous
    # (big) documents is not counted against the next one.
    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                         args=FLAGS + ["--js-flags=--expose-gc"])
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
    page.wait_for_function("window.harnessReady === true", timeout=30_000)
    return browser, page, server


# ---- the graphs ---------------------------------------------------------------------------------
def view_doc(graph, **kwargs) -> dict:
    """What a GraphView sends to the browser for `graph`: its document and collapsed groups."""
    from sidebyside.widget import GraphView

    v = GraphView(graph, **kwargs)
    return {"doc": v.graph, "collapsed": list(v.collapsed), "raw": len(v.document["nodes"])}


RESNET_ROWS = ("ResNet-18 autograd", "ResNet-18 fx", "ResNet-18 export", "ResNet-18 compile")
MNET_ROWS = ("MobileNetV2 tf.function", "MobileNetV2 tape")
LIVE_ROW = "MobileNetV2 live record_tf"
BIG_ROW = f"10k: fx decoder x{BIG_BLOCKS}"


def real_graphs(quick: bool, want=lambda name: True):
    """(name, view) for each real architecture and capture path whose name `want`s; captured
    here, seeded (a model is built only when one of its rows is wanted)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm

    from sidebyside.graph import compile_capture, from_autograd, from_export, from_fx

    if any(want(n) for n in (RESNET_ROWS[:2] if quick else RESNET_ROWS)):
        model, x = rm.resnet18_torch()
        if want("ResNet-18 autograd"):
            yield "ResNet-18 autograd", view_doc(from_autograd(model(x), module=model))
        if want("ResNet-18 fx"):
            yield "ResNet-18 fx", view_doc(from_fx(model, x))
        if not quick and want("ResNet-18 export"):
            yield "ResNet-18 export", view_doc(from_export(model, (x,)))
        if not quick and want("ResNet-18 compile"):
            cc = compile_capture(model)
            cc(x)
            yield "ResNet-18 compile", view_doc(cc.graphs[0])
    if quick:
        return
    if want("GPT-2 torch autograd"):
        gpt, idx = rm.gpt2_torch()
        yield "GPT-2 torch autograd", view_doc(from_autograd(gpt(idx).sum(), module=gpt))
        del gpt

    from sidebyside.graph import from_tape, from_tf_function

    if any(want(n) for n in MNET_ROWS):
        mnet, img = rm.mobilenetv2_keras()
        if want("MobileNetV2 tf.function"):
            yield "MobileNetV2 tf.function", view_doc(from_tf_function(mnet, img))
        if want("MobileNetV2 tape"):
            yield "MobileNetV2 tape", view_doc(from_tape(lambda a: mnet(a, training=True), img,
                                                         max_nodes=20000))
    if want("GPT-2 Keras tf.function"):
        kgpt, tok = rm.gpt2_keras()
        yield "GPT-2 Keras tf.function", view_doc(from_tf_function(kgpt, tok, max_nodes=20000))


def live_stream():
    """Nodes and edges record_tf streams for a Keras MobileNetV2 training step, in arrival order."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm
    import tensorflow as tf

    from sidebyside.graph import record_tf
    from sidebyside.widget import GraphView

    model, img = rm.mobilenetv2_keras()
    opt = tf.keras.optimizers.SGD(0.01)
    view = GraphView()
    view.append_interval = 0.05
    with record_tf(view, max_nodes=20000):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(img, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
    view.flush()
    nodes = [n for b in view._batches for n in b["nodes"]]
    edges = [e for b in view._batches for e in b["edges"]]
    groups = [g for b in view._batches for g in b["groups"]]
    return view.graph, nodes, edges, groups


def big_graph():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import real_models as rm

    from sidebyside.graph import from_fx

    model, idx = rm.gpt2_torch(blocks=BIG_BLOCKS, width=64, heads=4)
    g = from_fx(model, idx, max_nodes=30000)
    return view_doc(g, simplified=False)


def captured(quick: bool, cache: Path | None, want=lambda name: True):
    """(views, live stream, 10k view) for the rows whose name `want`s: read from `cache` when it
    exists, else captured (and written to `cache` when given)."""
    if cache is not None and cache.exists():
        data = json.loads(cache.read_text())
        return ([tuple(v) for v in data["views"] if want(v[0])],
                tuple(data["live"]) if data["live"] and want(LIVE_ROW) else None,
                data["big"] if want(BIG_ROW) else None)
    from sidebyside.graph.samples import mlp_graph

    views = [(f"MLP ~{n} autograd", view_doc(mlp_graph(n))) for n in MLP_SIZES
             if want(f"MLP ~{n} autograd")]
    views += list(real_graphs(quick, want))
    live = None if quick or not want(LIVE_ROW) else live_stream()
    big = None if quick or not want(BIG_ROW) else big_graph()
    if cache is not None:
        cache.write_text(json.dumps({"views": views, "live": live, "big": big}))
    return views, live, big


# ---- measurements in the page -------------------------------------------------------------------
def first_draw(page, view, engine="auto", repeat=3):
    best = None
    for _ in range(repeat):
        # Start from an empty view (removing the previous, maybe huge, one is not this graph's
        # cost) and after a garbage collection.
        page.evaluate("renderDoc({nodes: [], edges: []})")
        page.evaluate("window.gc && gc()")
        r = page.evaluate("([d, c, e]) => measure(() => renderDoc(d, {collapsed: c, engine: e}))",
                          [view["doc"], view["collapsed"], engine])
        best = r if best is None or r["ms"] < best["ms"] else best
    return best


TOGGLE_JS = """async ([sel, gid]) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const r = await measure(() => act(() => el.dispatchEvent(new MouseEvent('click', {bubbles: true}))));
  // expanded: the group is drawn as a box of its own (its members inside)
  return {...r, open: !!document.querySelector(`.gv-group[data-group="${gid}"]`)};
}"""


def draw_and_toggle(page, view, repeat=3):
    """(first draw, expand, collapse): the best of `repeat` first draws; after each, one group
    expanded and collapsed again, reported as the median run (one sample was too noisy to judge)."""
    draws, expands, collapses = [], [], []
    for _ in range(repeat):
        draws.append(first_draw(page, view, repeat=1))
        ex, co = toggle(page)
        expands.append(ex)
        collapses.append(co)
    return min(draws, key=lambda r: r["ms"]), median_run(expands), median_run(collapses)


def median_run(runs):
    """The median time and the median block of some runs (the higher middle one of an even
    count); open only if every run opened the group. None if there are none."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    mid = len(runs) // 2
    out = dict(sorted(runs, key=lambda r: r["ms"])[mid])
    out["block"] = sorted(r["block"] for r in runs)[mid]
    out["open"] = all(r.get("open") for r in runs)
    return out


def toggle(page):
    """Expand one collapsed group and collapse it again (or the reverse if none is collapsed)."""
    gid = page.evaluate("""() => { const n = document.querySelector(".gv-node[data-id^='group:']");
        return n ? n.dataset.id.slice(6) : null; }""")
    page.evaluate("window.gc && gc()")
    if gid:
        expand = page.evaluate(TOGGLE_JS, [f".gv-node[data-id='group:{gid}']", gid])
        collapse = page.evaluate(TOGGLE_JS, [f".gv-group-head[data-group='{gid}']", gid])
    else:
        gid = page.evaluate("""() => { const h = document.querySelector('.gv-group-head');
            return h ? h.dataset.group : null; }""")
        if not gid:
            return None, None
        collapse = page.evaluate(TOGGLE_JS, [f".gv-group-head[data-group='{gid}']", gid])
        expand = page.evaluate(TOGGLE_JS, [f".gv-node[data-id='group:{gid}']", gid])
    return expand, collapse


def replay(doc):
    """A captured document as a live stream (its nodes in order), for live_batch."""
    return ({**doc, "nodes": [], "edges": []}, doc["nodes"], doc["edges"], doc.get("groups", []))


def live_batch(page, start_doc, nodes, edges, groups):
    """Show LIVE_ON_SCREEN recorded nodes, then time each of a few LIVE_BATCH-node batches."""
    first = set(n["id"] for n in nodes[:LIVE_ON_SCREEN])
    page.evaluate("([d]) => renderDoc(d, {})", [start_doc])
    page.evaluate("""([n, e, g]) => { model.emit('msg:custom', {type: 'append', epoch: 1,
        batches: [{seq: 1, nodes: n, edges: e, groups: g}]}); return settle(); }""",
                  [nodes[:LIVE_ON_SCREEN], [e for e in edges if e["target"] in first], groups])
    on_screen = page.evaluate("document.querySelectorAll('.gv-node').length")
    page.wait_for_timeout(1000)  # let the page finish painting the first 2000 nodes
    times = []
    seen = set(first)
    for k in range(5):
        lo = LIVE_ON_SCREEN + k * LIVE_BATCH
        batch = nodes[lo:lo + LIVE_BATCH]
        if not batch:
            break
        ids = {n["id"] for n in batch}
        seen |= ids
        es = [e for e in edges if e["target"] in ids and e["source"] in seen]
        page.evaluate("window.gc && gc()")
        r = page.evaluate("""([n, e, s]) => measure(() => { const t0 = performance.now();
            model.emit('msg:custom', {type: 'append', epoch: 1,
                batches: [{seq: s, nodes: n, edges: e, groups: []}]});
            return {sync: performance.now() - t0}; })""", [batch, es, k + 2])
        times.append(r)
    return on_screen, times


def engines(views):
    """Layout time per engine with every group expanded, in node (widgets/js/bench-engines.mjs):
    the bundled layered layout and dagre. None when node or widgets/js/node_modules is missing."""
    js = ROOT / "widgets" / "js"
    node = shutil.which("node")
    if not node or not (js / "node_modules" / "@dagrejs" / "dagre").exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "views.json"
        path.write_text(json.dumps([{"name": n, "doc": v["doc"]} for n, v in views]))
        out = subprocess.run([node, "bench-engines.mjs", str(path)], cwd=js, capture_output=True,
                             text=True, timeout=1800)
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


# ---- the report ---------------------------------------------------------------------------------
def worst_batch(times):
    return max(times, key=lambda r: (r["ms"], r["block"]), default=None) and {
        "ms": max(r["ms"] for r in times), "block": max(r["block"] for r in times)}


def cell(r, target):
    """'123 [45]' (time [longest block], ms), with FAIL when either misses its target."""
    if not r:
        return "-"
    bad = r["ms"] > target or r["block"] > TARGET["block"]
    return f"{r['ms']:.0f} [{r['block']:.0f}]" + (" FAIL" if bad else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="MLPs and ResNet-18 only")
    ap.add_argument("--views", type=Path, help="a JSON file of captured graphs: read if it exists, "
                    "else captured and written (measure a JS change without capturing again)")
    ap.add_argument("--only", metavar="TEXT", action="append",
                    help="only the rows whose name contains TEXT (case-insensitive; repeatable); "
                    "with --views, a file written by such a run holds only those rows")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from playwright.sync_api import sync_playwright

    only = [t.lower() for t in args.only or []]
    want = (lambda name: any(t in name.lower() for t in only)) if only else (lambda name: True)
    views, live, big = captured(args.quick, args.views, want)
    if not (views or live or big):
        print(f"no row matches --only {args.only}", file=sys.stderr)
        return 2
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser, page, server = harness_page(p, Path(tmp))
        try:
            page.evaluate("renderDoc({nodes: [], edges: []})")  # start the worker, warm the JIT
            if views:
                first_draw(page, views[0][1], repeat=2)
            for name, view in views:
                fd, ex, co = draw_and_toggle(page, view)
                rows.append({"name": name, "raw": view["raw"], "boxes": fd["drawn"], "first": fd,
                             "expand": ex, "collapse": co, "live": None})
            if live:
                on_screen, times = live_batch(page, *live)
                rows.append({"name": LIVE_ROW, "raw": len(live[1]),
                             "boxes": on_screen, "first": None, "expand": None, "collapse": None,
                             "live": worst_batch(times)})
            if big:
                bd, bex, bco = draw_and_toggle(page, big, repeat=2)
                on_screen, times = live_batch(page, *replay(big["doc"]))
                rows.append({"name": BIG_ROW, "raw": big["raw"],
                             "boxes": bd["drawn"], "first": bd, "expand": bex, "collapse": bco,
                             "live": worst_batch(times), "big": True})
        finally:
            browser.close()
            server.shutdown()

    print("GraphView in headless chromium. Each time is followed by [longest main-thread block]: "
          "the longest gap between frames or longtask, whichever is larger (ms).")
    print(f"Targets: first draw <= {TARGET['first draw']} ms (10k: <= {TARGET['10k open']} ms), "
          f"expand/collapse <= {TARGET['toggle']} ms, one live batch ({LIVE_BATCH} nodes, "
          f"{LIVE_ON_SCREEN} on screen) <= {TARGET['live batch']} ms, every block <= "
          f"{TARGET['block']} ms. FAIL marks a miss.\n")
    head = (f"{'graph':<28} {'raw':>6} {'boxes':>6}  {'first draw':<16} {'expand group':<16} "
            f"{'collapse it':<16} {'live batch @2000':<16}")
    print(head)
    print("-" * len(head))
    for r in rows:
        first_target = TARGET["10k open"] if r.get("big") else TARGET["first draw"]
        cells = [cell(r["first"], first_target), cell(r["expand"], TARGET["toggle"]),
                 cell(r["collapse"], TARGET["toggle"]), cell(r["live"], TARGET["live batch"])]
        ok &= "FAIL" not in "".join(cells)
        if r["expand"] is not None and not r["expand"].get("open"):
            ok = False
            cells[1] = cells[1].rstrip() + " NOT OPEN"
        print(f"{r['name']:<28} {r['raw']:>6} {r['boxes']:>6}  " + " ".join(f"{c:<16}" for c in cells))
    eng_rows = engines(views)
    if eng_rows is None:
        print("\nLayout engines: skipped (needs node and `make js` to have installed widgets/js)")
    else:
        print("\nLayout engines, every group expanded, in node (ms):")
        print(f"{'graph':<26} {'boxes':>6} {'dagre':>8} {'layered (bundled)':>18}")
        for e in eng_rows:
            print(f"{e['name']:<26} {e['boxes']:>6} {e['dagre']:>8.0f} {e['fast']:>18.0f}")
    print("\nLive batch: the worst of 5 batches; its time is the message handler (placing and "
          "drawing the batch), its block the longest frame gap or task while the page shows it.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
