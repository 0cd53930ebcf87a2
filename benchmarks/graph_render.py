"""Layout + render time of the GraphView bundle in headless chromium, for graphs of ~50/300/1000 nodes.

    .venv/bin/python benchmarks/graph_render.py

Loads widgets/js/harness.html (the built bundle with a stand-in model) from a local http server and
times `render()` up to the second animation frame (dagre layout, SVG build, first paint). Graphs come
from sidebyside.graph.samples.mlp_graph(n) when it exists, else from generated MLP-like documents.
"Default view" is what GraphView sends: simplified, with groups collapsed above collapse_above=150.
Targets: 300 nodes <= 300 ms; 1000 nodes <= 1.5 s (collapsed groups allowed).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "widgets" / "sidebyside" / "static"
HARNESS = ROOT / "widgets" / "js" / "harness.html"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGETS_MS = {50: 300, 300: 300, 1000: 1500}


def generated_doc(n_nodes: int) -> dict:
    """An MLP-like document: per layer a group with weight, bias, matmul, add, relu."""
    nodes, edges, groups = [], [], []
    nodes.append({"id": "x", "op": "placeholder", "label": "x", "kind": "input", "shape": [32, 64],
                  "dtype": "float32", "device": "cpu"})
    prev, layer = "x", 0
    while len(nodes) + 5 <= n_nodes:
        layer += 1
        g = f"layers/{layer}"
        if layer == 1:
            groups.append({"id": "layers", "label": "layers (Sequential)", "parent": None})
        groups.append({"id": g, "label": f"{layer} (Linear)", "parent": "layers"})
        ids = [f"l{layer}_{k}" for k in ("w", "b", "mm", "add", "relu")]
        kinds = ["param", "param", "op", "op", "op"]
        ops = ["weight", "bias", "matmul", "add", "relu"]
        for i, k, o in zip(ids, kinds, ops):
            nodes.append({"id": i, "op": o, "label": o, "kind": k, "group": g, "shape": [32, 64],
                          "dtype": "float32", "device": "cpu"})
        for s, t in ((prev, ids[2]), (ids[0], ids[2]), (ids[2], ids[3]), (ids[1], ids[3]),
                     (ids[3], ids[4])):
            edges.append({"source": s, "target": t, "shape": [32, 64], "dtype": "float32"})
        prev = ids[4]
    nodes.append({"id": "out", "op": "output", "label": "output", "kind": "output"})
    edges.append({"source": prev, "target": "out"})
    return {"schema": "sidebyside.graph/1", "name": f"generated mlp ~{n_nodes}", "framework": "torch",
            "source": "manual", "nodes": nodes, "edges": edges, "groups": groups, "subgraphs": {},
            "counters": {"traces": 1, "recompiles": 0, "graph_breaks": 0}, "meta": {}}


def sample_doc(n_nodes: int) -> tuple[dict, str]:
    try:
        from sidebyside.graph.samples import mlp_graph
    except ImportError:
        return generated_doc(n_nodes), "generated"
    return mlp_graph(n_nodes).to_dict(), "mlp_graph"


def serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def harness_page(playwright, folder: Path):
    """(browser, page, server) with the harness loaded; the caller closes browser and server."""
    for name in ("graphview.js", "graphview.css"):
        shutil.copy(STATIC / name, folder / name)
    shutil.copy(HARNESS, folder / "index.html")
    server = serve(folder)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
    page.wait_for_function("window.harnessReady === true", timeout=30_000)
    return browser, page, server


def main() -> int:
    from playwright.sync_api import sync_playwright

    from sidebyside.widget import default_collapsed, simplify_doc, visible_count

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser, page, server = harness_page(p, Path(tmp))
        try:
            page.evaluate("renderDoc({nodes: [], edges: []})")  # warm up the JIT a little
            for n in (50, 300, 1000):
                raw, origin = sample_doc(n)
                doc = simplify_doc(raw)
                for mode in ("default view", "all expanded"):
                    collapsed = (default_collapsed(doc["nodes"], doc["groups"], 150)
                                 if mode == "default view" else [])
                    best = None
                    for _ in range(3):
                        r = page.evaluate("([d, c]) => renderDoc(d, {collapsed: c})", [doc, collapsed])
                        best = r if best is None or r["total"] < best["total"] else best
                    target = TARGETS_MS[n]
                    rows.append((n, origin, len(raw["nodes"]), mode,
                                 visible_count(doc["nodes"], doc["groups"], collapsed),
                                 best["total"], target if mode == "default view" else None))
        finally:
            browser.close()
            server.shutdown()
    print(f"{'size':>5} {'source':<10} {'nodes':>5} {'view':<13} {'drawn':>5} {'measured':>9} "
          f"{'target':>7} result")
    ok = True
    for n, origin, nodes, mode, drawn, ms, target in rows:
        verdict = "-" if target is None else ("pass" if ms <= target else "FAIL")
        ok &= verdict != "FAIL"
        tgt = "-" if target is None else f"{target} ms"
        print(f"{n:>5} {origin:<10} {nodes:>5} {mode:<13} {drawn:>5} {ms:>6.0f} ms {tgt:>7} {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
