"""The committed GraphView bundle: small, offline, identical to a fresh build of widgets/js, and
behaving in a real browser (through widgets/js/harness.html and a stand-in model, no Jupyter):
drawing, clicks, live growth that keeps positions, highlighting, collapsed groups, refusal.

The full JupyterLab round trip is tests/test_browser.py.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "widgets" / "js"
STATIC = ROOT / "widgets" / "sidebyside" / "static"
BUNDLE = STATIC / "graphview.js"
CSS = STATIC / "graphview.css"
CHROMIUM = "/usr/bin/chromium"


def test_bundle_is_committed_small_and_offline():
    js = BUNDLE.read_text()
    assert len(js.encode()) < 120_000, "the ESM travels with every widget instance: keep it small"
    assert CSS.exists()
    # One self-contained module: no imports from CDNs or bare specifiers left for a loader.
    assert "from\"http" not in js and 'from "http' not in js and "import(\"http" not in js
    assert "esm.sh" not in js and "unpkg.com" not in js and "cdn.jsdelivr" not in js
    assert "export{" in js.replace(" ", "")
    # Every view carries only the loader; the engine above is shared (one copy per kernel).
    assert len((STATIC / "loader.js").read_bytes()) < 2000


def test_sources_lockfile_and_build_script_are_present():
    for rel in ("package.json", "package-lock.json", "build.mjs", "src/index.js", "src/graph.js",
                "src/layout.js", "src/worker.js", "src/layoutclient.js", "src/measure.js",
                "src/placement.js", "src/loader.js", "src/style.css", "harness.html"):
        assert (JS / rel).exists(), rel


def test_committed_bundle_matches_a_fresh_build(tmp_path):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm are not installed: cannot rebuild widgets/js to compare the bundle")
    work = tmp_path / "js"
    shutil.copytree(JS, work, ignore=shutil.ignore_patterns("node_modules"))
    (tmp_path / "sidebyside" / "static").mkdir(parents=True)
    if (JS / "node_modules" / ".package-lock.json").exists():
        # Reuse the checkout's installed packages (offline, fast); npm ci would give the same tree.
        os.symlink(JS / "node_modules", work / "node_modules")
    else:
        ci = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True,
                            text=True, timeout=300)
        if ci.returncode:
            pytest.skip(f"npm ci failed (no registry access?): {ci.stderr.strip()[-300:]}")
    build = subprocess.run([npm, "run", "build"], cwd=work, capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    fresh = tmp_path / "sidebyside" / "static"
    for name in ("graphview.js", "loader.js", "graphview.css"):
        assert filecmp.cmp(fresh / name, STATIC / name, shallow=False), (
            f"{name} differs from a fresh build: run `cd widgets/js && npm ci && npm run build` "
            "and commit widgets/sidebyside/static/"
        )


# ---- behaviour in a real browser -----------------------------------------------------------------
@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from graph_render import harness_page
    finally:
        sys.path.pop(0)
    errors = []
    with tempfile.TemporaryDirectory() as tmp, sync_api.sync_playwright() as p:
        browser, pg, server = harness_page(p, Path(tmp))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.errors = errors
        try:
            yield pg
        finally:
            browser.close()
            server.shutdown()
    assert errors == [], errors


def doc(n=4, groups=False, **extra):
    nodes = [{"id": "x", "op": "placeholder", "label": "x", "kind": "input", "shape": [2, 3],
              "dtype": "float32", "device": "cpu", "group": None}]
    edges = []
    gs = [{"id": "blk", "label": "blk (Block)", "parent": None}] if groups else []
    for i in range(1, n):
        nodes.append({"id": f"n{i}", "op": "relu", "label": f"relu{i}", "kind": "op",
                      "shape": [2, 3], "dtype": "float32", "device": "cpu",
                      "group": "blk" if groups else None, "attrs": {"k": i}})
        edges.append({"source": nodes[i - 1]["id"], "target": f"n{i}", "shape": [2, 3],
                      "dtype": "float32"})
    return {"name": "doc", "nodes": nodes, "edges": edges, "groups": gs, "subgraphs": {},
            "counters": {"traces": 3, "recompiles": 1, "graph_breaks": 2}, **extra}


def settle(pg):
    """Wait until the view has finished laying out (in its worker) and drawing."""
    pg.evaluate("settle()")


def positions(pg):
    settle(pg)
    return pg.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.gv-node')]
        .map(g => [g.dataset.id, g.getAttribute('transform')]))""")


def test_draws_nodes_edges_shapes_counters_and_legend(page):
    r = page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    assert r["drawn"] == 4 and r["edges"] == 3
    text = page.inner_text(".gv-root")
    assert "traces 3" in text and "recompiles 1" in text and "graph breaks 2" in text
    assert "[2, 3] float32 cpu" in page.text_content(".gv-node[data-id='n1']")
    assert page.locator(".gv-legend-item").all_inner_texts() == ["input", "op"]
    page.select_option(".gv-colorby", "device")
    assert page.locator(".gv-legend-item").all_inner_texts() == ["cpu", "no device"]
    assert page.evaluate("model.sent[0].type") == "ready"


def test_click_shows_details_and_sets_selected(page):
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    page.click(".gv-node[data-id='n2']")
    settle(page)
    assert page.is_visible(".gv-details")
    assert "relu2" in page.inner_text(".gv-details")
    assert page.evaluate("[model.state.selected, model.saved]") == ["n2", 1]


def test_live_append_keeps_existing_positions(page):
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    before = positions(page)
    page.evaluate("""() => model.emit('msg:custom', {type: 'append', epoch: 1, batches: [
        {seq: 1, nodes: [{id: 'm1', op: 'mul', label: 'mul', kind: 'op'}],
         edges: [{source: 'n3', target: 'm1'}, {source: 'x', target: 'm1'}], groups: []}]})""")
    after = positions(page)
    assert set(after) == set(before) | {"m1"}
    assert {k: after[k] for k in before} == before
    # A replayed batch (same seq) is not applied twice; another epoch's batch is ignored.
    page.evaluate("""() => { model.emit('msg:custom', {type: 'append', epoch: 1, batches: [
        {seq: 1, nodes: [{id: 'm2', op: 'mul', kind: 'op'}], edges: [], groups: []}]});
        model.emit('msg:custom', {type: 'append', epoch: 7, batches: [
        {seq: 2, nodes: [{id: 'm3', op: 'mul', kind: 'op'}], edges: [], groups: []}]}); }""")
    assert set(positions(page)) == set(after)


def test_highlight_follows_the_trait(page):
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    page.evaluate("model.set('highlight', 'n1')")
    assert page.evaluate("[...document.querySelectorAll('.gv-hl')].map(e => e.dataset.id)") == ["n1"]
    page.evaluate("model.set('highlight', 'n3')")
    assert page.evaluate("[...document.querySelectorAll('.gv-hl')].map(e => e.dataset.id)") == ["n3"]


def test_collapsed_group_expands_on_click(page):
    page.evaluate("([d]) => renderDoc(d, {collapsed: ['blk']})", [doc(6, groups=True)])
    assert sorted(positions(page)) == ["group:blk", "x"]
    assert "5 nodes" in page.text_content(".gv-node[data-id='group:blk']")
    page.click(".gv-node[data-id='group:blk']")
    assert len(positions(page)) == 6
    assert page.evaluate("model.state.collapsed") == []
    page.evaluate("model.set('highlight', 'n2')")
    page.click(".gv-group-head")
    settle(page)
    assert sorted(positions(page)) == ["group:blk", "x"]
    # The node being executed is inside the collapsed group: the group lights up.
    page.evaluate("model.set('highlight', 'n3')")
    assert page.evaluate("[...document.querySelectorAll('.gv-hl')].map(e => e.dataset.id)") == [
        "group:blk"]


def test_too_many_visible_nodes_shows_a_message_instead(page):
    r = page.evaluate("([d]) => renderDoc(d, {max_nodes: 5})", [doc(8)])
    assert r["drawn"] == 0
    assert "Too large to draw" in page.inner_text(".gv-message")


def test_subgraph_opens_and_closes(page):
    d = doc(3)
    d["nodes"][1]["subgraphs"] = ["n1/true"]
    d["subgraphs"] = {"n1/true": doc(2, name="n1/true")}
    page.evaluate("([d]) => renderDoc(d)", [d])
    page.click(".gv-node[data-id='n1']")
    page.click(".gv-open-sub")
    settle(page)
    assert sorted(positions(page)) == ["n1", "x"]
    page.click(".gv-back")
    settle(page)
    assert sorted(positions(page)) == ["n1", "n2", "x"]


def test_big_graph_fast_layout_has_no_overlaps(page):
    # 400 visible nodes: above DAGRE_LIMIT, so the linear-time layered layout draws it.
    d = doc(200)
    for i in range(1, 200):  # a parameter feeding each op: side branches
        d["nodes"].append({"id": f"p{i}", "op": "weight", "label": f"w{i}", "kind": "param"})
        d["edges"].append({"source": f"p{i}", "target": f"n{i}"})
    r = page.evaluate("([d]) => renderDoc(d)", [d])
    assert r["drawn"] == 399
    boxes = page.evaluate("""() => [...document.querySelectorAll('.gv-node rect')].map(r => {
        const b = r.getBBox(); const t = r.parentNode.transform.baseVal.consolidate().matrix;
        return [t.e, t.f, b.width, b.height]; })""")
    boxes.sort()
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:i + 40]:
            overlap = x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h
            assert not overlap, ((x, y, w, h), (x2, y2, w2, h2))


def test_collapsed_child_group_sits_in_its_open_parent_box(page):
    d = doc(1)
    d["groups"] = [{"id": "net", "label": "net", "parent": None},
                   {"id": "net/a", "label": "a", "parent": "net"}]
    d["nodes"] += [{"id": "a1", "op": "relu", "kind": "op", "group": "net/a"},
                   {"id": "a2", "op": "relu", "kind": "op", "group": "net/a"}]
    d["edges"] += [{"source": "x", "target": "a1"}, {"source": "a1", "target": "a2"}]
    page.evaluate("([d]) => renderDoc(d, {collapsed: ['net/a']})", [d])
    assert sorted(positions(page)) == ["group:net/a", "x"]
    assert page.locator(".gv-group[data-group='net']").count() == 1
