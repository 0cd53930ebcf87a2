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


def test_names_with_markup_characters_are_drawn_as_text(page):
    # New elements are written as markup and parsed in one go: what a graph names its nodes,
    # groups and shapes must come out as text, never as elements (a "<b>" would even end the SVG).
    name = 'a<b>"q" & \'s\'</b><script>x</script>'
    d = doc(3, groups=True)
    d["nodes"][1].update(id='n"1<', label=name, op=name)
    d["edges"] = [{"source": "x", "target": 'n"1<'}, {"source": 'n"1<', "target": "n2"}]
    d["groups"][0]["label"] = name
    page.evaluate("([d]) => renderDoc(d)", [d])
    settle(page)
    assert page.evaluate("document.querySelectorAll('.gv-scene b, .gv-scene script').length") == 0
    node = page.locator(".gv-node").filter(has_text="a<b>")
    assert node.locator(".gv-label").text_content() == name
    assert node.get_attribute("data-id") == 'n"1<'
    assert page.locator(".gv-group-head").text_content().startswith("\u25be a<b>")
    assert page.evaluate("document.querySelectorAll('.gv-edge').length") == 2
    node.dispatch_event("click")
    settle(page)
    assert page.evaluate("model.state.selected") == 'n"1<'


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


# ---- real-model rendering: folded params, repeated blocks, compile strip, routing, presenter -----
GEOMETRY = (ROOT / "tests" / "browser" / "geometry.js").read_text()


def resnet_like(blocks=4, **meta):
    """A hand-built document with what capture produces for a ResNet: op-level module groups with
    type and repeat, folded params (node.params), skip connections (block input -> add)."""
    nodes = [{"id": "x", "op": "input", "label": "x", "kind": "input", "shape": [1, 3, 32, 32]}]
    edges, groups = [], [{"id": "net", "label": "net", "type": "ResNet", "parent": None}]
    prev = "x"
    for b in range(blocks):
        g = f"net/layer1/{b}"
        if b == 0:
            groups.append({"id": "net/layer1", "label": "layer1", "type": "Sequential",
                           "parent": "net"})
        groups.append({"id": g, "label": f"layer1.{b}", "type": "BasicBlock", "parent": "net/layer1",
                       "repeat": {"key": "BasicBlock#1", "index": b, "count": blocks}})
        ids = [f"{g}/{k}" for k in ("conv1", "bn1", "relu", "conv2", "bn2", "add")]
        for i in ids:
            op = i.rsplit("/", 1)[1]
            params = ([{"name": "weight", "kind": "param", "shape": [64, 64, 3, 3], "dtype": "float32"}]
                      if op.startswith("conv") else [])
            nodes.append({"id": i, "op": op, "label": op, "kind": "op", "group": g,
                          "shape": [1, 64, 8, 8], "params": params})
        for a, c in zip([prev] + ids, ids):
            edges.append({"source": a, "target": c})
        edges.append({"source": prev, "target": ids[-1]})  # the skip connection
        prev = ids[-1]
    nodes.append({"id": "out", "op": "output", "label": "out", "kind": "output"})
    edges.append({"source": prev, "target": "out"})
    return {"name": "resnet-like", "nodes": nodes, "edges": edges, "groups": groups,
            "subgraphs": {}, "counters": {}, "meta": meta}


def test_folded_params_are_listed_inside_their_op(page):
    page.evaluate("([d]) => renderDoc(d)", [resnet_like(1)])
    conv = page.text_content(".gv-node[data-id='net/layer1/0/conv1']")
    assert "weight [64, 64, 3, 3]" in conv
    bn = page.locator(".gv-node[data-id='net/layer1/0/bn1']")
    # The conv node is taller than a node without params (one more text line).
    h = page.evaluate("""() => ['net/layer1/0/conv1', 'net/layer1/0/bn1'].map(id =>
        +document.querySelector(`.gv-node[data-id='${id}'] rect.gv-box`).getAttribute('height'))""")
    assert h[0] > h[1] and bn.count() == 1
    page.click(".gv-node[data-id='net/layer1/0/conv1']")
    assert "weight [64, 64, 3, 3] float32" in page.inner_text(".gv-details")


def test_repeated_blocks_fold_into_one_box_and_unfold_on_click(page):
    blocks = [f"net/layer1/{b}" for b in range(4)]
    page.evaluate("([d, c]) => renderDoc(d, {collapsed: c})", [resnet_like(4), blocks])
    ids = sorted(positions(page))
    fam = [i for i in ids if i.startswith("family:")]
    assert len(fam) == 1 and "BasicBlock \u00d74" in page.text_content(f".gv-node[data-id='{fam[0]}']")
    assert "24 nodes" in page.text_content(f".gv-node[data-id='{fam[0]}']")
    page.click(f".gv-node[data-id='{fam[0]}']")
    ids = sorted(positions(page))
    assert [i for i in ids if i.startswith("group:")] == ["group:" + b for b in blocks]
    assert "BasicBlock \u00b7 2 of 4" in page.text_content(".gv-node[data-id='group:net/layer1/1']")
    # One block open: the others stay collapsed boxes, no family (not all members collapsed).
    page.click(".gv-node[data-id='group:net/layer1/2']")
    ids = sorted(positions(page))
    assert "net/layer1/2/add" in ids and not [i for i in ids if i.startswith("family:")]


def test_repeat_marks_arriving_live_fold_the_family(page):
    """A live recording knows its blocks repeat only when it ends: the marks arrive in a last append
    batch for groups the view already has, and the view folds them then."""
    blocks = [f"net/layer1/{b}" for b in range(3)]
    d = resnet_like(3)
    marks = [dict(g) for g in d["groups"] if g.get("repeat")]
    for g in d["groups"]:
        g.pop("repeat", None)
    page.evaluate("([d, c]) => renderDoc(d, {collapsed: c})", [d, blocks])
    assert not [i for i in positions(page) if i.startswith("family:")]
    page.evaluate("""([gs]) => model.emit('msg:custom', {type: 'append', epoch: 1, batches: [
        {seq: 1, nodes: [], edges: [], groups: gs}]})""", [marks])
    fam = [i for i in positions(page) if i.startswith("family:")]
    assert len(fam) == 1 and "BasicBlock \u00d73" in page.text_content(f".gv-node[data-id='{fam[0]}']")


def test_edges_are_routed_around_boxes_never_through_them(page):
    page.evaluate(GEOMETRY)
    for collapsed in ([], ["net/layer1/1"], ["net/layer1/0", "net/layer1/2"]):
        page.evaluate("([d, c]) => renderDoc(d, {collapsed: c})", [resnet_like(3), collapsed])
        geo = page.evaluate("gvEdgeCrossings(document.querySelector('.gv-root'))")
        assert geo["edges"] >= 10 and geo["bad"] == [], (collapsed, geo["bad"])
        # Nested group labels (net > layer1 > layer1.0) never overlap.
        assert page.evaluate("gvHeadOverlaps(document.querySelector('.gv-root'))") == []
        # The skip connections bend around the block's boxes: more segments than edges.
        assert geo["segments"] > 2 * geo["edges"]


def test_the_crossing_check_finds_an_edge_through_a_box(page):
    # The geometry check must be able to fail: move a node onto the straight line of a long edge.
    page.evaluate(GEOMETRY)
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    page.evaluate("""() => { const e = document.querySelector(".gv-edge[data-source='x']");
        const t = document.querySelector(".gv-node[data-id='n3']");
        const [x1, y1] = e.getAttribute('d').match(/-?[\\d.]+/g).map(Number);
        e.setAttribute('d', `M${x1},${y1} L${x1},${y1 + 400}`);
        t.setAttribute('transform', `translate(${x1 - 20},${y1 + 150})`); }""")
    bad = page.evaluate("gvEdgeCrossings(document.querySelector('.gv-root')).bad")
    assert "x -> n1 crosses node n3" in bad, bad


def test_the_label_overlap_check_finds_overlapping_labels(page):
    page.evaluate(GEOMETRY)
    page.evaluate("([d]) => renderDoc(d)", [resnet_like(2)])
    assert page.evaluate("gvHeadOverlaps(document.querySelector('.gv-root'))") == []
    page.evaluate("""() => { const [a, b] = document.querySelectorAll('.gv-group-head');
        b.setAttribute('x', a.getAttribute('x')); b.setAttribute('y', a.getAttribute('y')); }""")
    assert page.evaluate("gvHeadOverlaps(document.querySelector('.gv-root'))") != []


def fan_in(n=5):
    """n inputs with long shapes feeding one op in a group: their labels meet above it, and at the
    group's label (lab 02's `[]` over `[3]`, timm's "bn1 (BatchNormAct2d)32]")."""
    nodes = [{"id": f"x{i}", "op": "input", "label": f"x{i}", "kind": "input"} for i in range(n)]
    edges = [{"source": f"x{i}", "target": "cat", "shape": [1, 2048, 16, 16 + i]} for i in range(n)]
    nodes += [{"id": "cat", "op": "cat", "label": "cat", "kind": "op", "group": "blk"},
              {"id": "bn", "op": "bn", "label": "bn1", "kind": "op", "group": "blk"},
              {"id": "out", "op": "output", "label": "out", "kind": "output"}]
    edges += [{"source": "cat", "target": "bn", "shape": [1, 32]},
              {"source": "bn", "target": "out", "shape": [1, 32]}]
    return {"name": "fan-in", "nodes": nodes, "edges": edges, "subgraphs": {}, "counters": {},
            "groups": [{"id": "blk", "label": "blk (BatchNormAct2d)", "parent": None}]}


def test_edge_labels_overlap_no_label_and_no_group_label(page):
    page.evaluate(GEOMETRY)
    for n in (3, 5, 8):
        page.evaluate("([d]) => renderDoc(d)", [fan_in(n)])
        settle(page)
        assert page.evaluate("gvEdgeLabelOverlaps(document.querySelector('.gv-root'))") == [], n
        # Moved where there is room, left out only where there is none: most stay.
        labels = page.locator(".gv-edge-label").count()
        assert labels >= (n + 2) * 2 // 3, (n, labels)


def test_the_edge_label_check_finds_overlapping_labels(page):
    page.evaluate(GEOMETRY)
    page.evaluate("([d]) => renderDoc(d)", [fan_in(3)])
    settle(page)
    page.evaluate("""() => { const [a, b] = document.querySelectorAll('.gv-edge-label');
        b.setAttribute('x', a.getAttribute('x')); b.setAttribute('y', a.getAttribute('y')); }""")
    assert page.evaluate("gvEdgeLabelOverlaps(document.querySelector('.gv-root'))") != []


def test_header_counts_raw_and_shown(page):
    page.evaluate("([d]) => renderDoc(d)", [resnet_like(1, raw_node_count=40)])
    status = page.inner_text(".gv-status")
    assert status.startswith("raw 40 \u00b7 shown 8 nodes"), status
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])  # no raw count: the document's own
    assert page.inner_text(".gv-status").startswith("raw 4 \u00b7 shown 4 nodes")


def test_compiled_graphs_and_their_breaks_show_as_a_strip(page):
    d = doc(1)
    d["groups"] = [{"id": f"g{i}", "label": f"graph {i} of 3", "type": "CompiledGraph",
                    "parent": None} for i in (1, 2, 3)]
    for i in (1, 2, 3):
        d["nodes"].append({"id": f"op{i}", "op": "relu", "kind": "op", "group": f"g{i}"})
        d["nodes"].append({"id": f"op{i}b", "op": "add", "kind": "op", "group": f"g{i}"})
        d["edges"].append({"source": f"op{i}", "target": f"op{i}b"})
    d["meta"] = {"breaks": [
        {"graph": 1, "reason": "builtin print: Unsupported builtin", "where": "demo.py:12"},
        {"graph": 2, "reason": "data-dependent branch (Tensor.item)", "where": None}]}
    page.evaluate("([d]) => renderDoc(d)", [d])
    strip = page.locator(".gv-strip")
    assert strip.is_visible()
    items = page.locator(".gv-strip > *").all_inner_texts()
    assert [t.split(":")[0] for t in items] == ["graph 1 of 3", "graph break", "graph 2 of 3",
                                                "graph break", "graph 3 of 3"]
    assert "builtin print: Unsupported builtin at demo.py:12" in items[1]
    # All three graphs are drawn.
    assert page.locator(".gv-group").count() == 3
    page.evaluate("([d]) => renderDoc(d)", [doc(3)])
    assert not page.locator(".gv-strip").is_visible()


def test_opens_readable_at_the_start_and_fit_zooms_out_as_far_as_needed(page):
    page.evaluate(GEOMETRY)
    r = page.evaluate("([d]) => renderDoc(d)", [doc(120)])  # a 120-node chain: ~8000 px tall
    assert r["zoom"] >= 1.0
    sizes = page.evaluate("gvTextSizes(document.querySelector('.gv-root'))")
    assert min(sizes.values()) >= 10, sizes
    top = page.evaluate("""() => { const c = document.querySelector('.gv-canvas').getBoundingClientRect();
        const n = document.querySelector(".gv-node[data-id='x']").getBoundingClientRect();
        return n.top >= c.top && n.bottom <= c.bottom; }""")
    assert top, "the start of the graph should be in view"
    page.click(".gv-fit")
    k = float(page.get_attribute(".gv-root", "data-zoom"))
    assert k < 0.1  # no floor: everything fits
    last = page.evaluate("""() => { const c = document.querySelector('.gv-canvas').getBoundingClientRect();
        const n = document.querySelector(".gv-node[data-id='n119']").getBoundingClientRect();
        return n.bottom <= c.bottom + 1; }""")
    assert last


def test_a_graph_bigger_than_the_screen_has_an_overview_that_takes_you_there(page):
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    settle(page)
    assert not page.is_visible(".gv-overview")  # all of it on screen: no map
    page.evaluate("([d]) => renderDoc(d)", [doc(120)])  # opens at its top, readable
    settle(page)
    assert page.is_visible(".gv-overview")
    geo = page.evaluate("""() => { const m = document.querySelector('.gv-overview').getBoundingClientRect();
        const c = document.querySelector('.gv-canvas').getBoundingClientRect();
        const v = document.querySelector('.gv-overview-view').getBoundingClientRect();
        const n = document.querySelector('.gv-overview-nodes').getBBox();
        return {inCanvas: m.left >= c.left && m.right <= c.right && m.top >= c.top && m.bottom <= c.bottom,
                view: [v.top - m.top, v.height, m.height], nodes: [n.y, n.height]}; }""")
    assert geo["inCanvas"], geo
    top, height, map_h = geo["view"]
    assert top < 10 and 0 < height < map_h / 2, geo  # the screen: a small part, at the top
    assert geo["nodes"][1] > map_h / 2, geo  # the whole chain is on the map
    # A click at the bottom of the map brings the end of the graph on screen.
    box = page.locator(".gv-overview").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 6)
    settle(page)
    on_screen = page.evaluate("""() => { const c = document.querySelector('.gv-canvas').getBoundingClientRect();
        const n = document.querySelector(".gv-node[data-id='n119']").getBoundingClientRect();
        return n.width > 0 && n.top >= c.top && n.bottom <= c.bottom; }""")
    assert on_screen
    page.click(".gv-fit")  # everything on screen again: the map goes
    assert not page.is_visible(".gv-overview")


def test_presenter_opens_larger(page):
    page.evaluate(GEOMETRY)
    page.evaluate("([d]) => renderDoc(d, {presenter: true, width: 1240})", [resnet_like(2)])
    assert page.locator(".gv-root.gv-presenter.gv-full-width").count() == 1
    sizes = page.evaluate("gvTextSizes(document.querySelector('.gv-root'))")
    assert min(sizes.values()) >= 16, sizes


SCENE_MARGINS = """() => { const c = document.querySelector('.gv-canvas').getBoundingClientRect();
    const s = document.querySelector('.gv-scene').getBoundingClientRect();
    return {left: s.left - c.left, right: c.right - s.right,
            transform: document.querySelector('.gv-scene').getAttribute('transform')}; }"""


def test_a_resized_canvas_fits_the_graph_again_until_the_user_moves_it(page):
    # A narrower window (or a notebook panel shown after the view drew hidden): the graph that
    # fitted is fitted again, centred in the new width, not left where the old width put it.
    page.evaluate("([d]) => renderDoc(d)", [doc(4)])
    before = page.evaluate(SCENE_MARGINS)
    assert abs(before["left"] - before["right"]) < 2, before
    page.evaluate("document.getElementById('root').style.width = '360px'")
    settle(page)
    after = page.evaluate(SCENE_MARGINS)
    assert after["left"] >= 0 and after["right"] >= 0, after
    assert abs(after["left"] - after["right"]) < 2, after
    # Panned by hand: a resize leaves the view where the user put it.
    page.hover(".gv-svg")
    page.mouse.wheel(0, -200)
    settle(page)
    moved = page.evaluate(SCENE_MARGINS)["transform"]
    page.evaluate("document.getElementById('root').style.width = '900px'")
    settle(page)
    assert page.evaluate(SCENE_MARGINS)["transform"] == moved


def test_big_graph_draws_in_slices_and_hides_what_is_off_screen(page):
    # 5000 visible nodes: laid out in the worker, drawn over several frames.
    r = page.evaluate("([d]) => measure(() => renderDoc(d))", [doc(5000)])
    assert r["drawn"] == 5000
    assert r["gap"] < r["ms"], r  # the page painted frames while the graph was being drawn
    # Only what is near the screen takes part in the page's layout; the rest is display: none.
    shown = int(page.get_attribute(".gv-root", "data-shown-nodes"))
    assert 0 < shown < 500, shown
    assert page.locator(".gv-node[style*='none']").count() == 5000 - shown
    # Zoomed out to everything, everything is shown again.
    page.click(".gv-fit")
    page.wait_for_function("document.querySelector('.gv-root').dataset.shownNodes === '5000'")


# ---- drawing over several frames ends complete -------------------------------------------------
def grouped_doc(blocks, per_block, top=None, subs=0):
    """A chain of blocks*per_block ops, each block a group (inside `top` if given, split into
    `subs` sub-groups if > 0), with a skip edge every 7 nodes."""
    groups = [{"id": top, "label": f"{top} (Model)", "parent": None}] if top else []
    nodes, edges = [], []
    for b in range(blocks):
        gid = f"{top}/b{b}" if top else f"b{b}"
        groups.append({"id": gid, "label": f"b{b} (Block)", "parent": top})
        for j in range(subs):
            groups.append({"id": f"{gid}/s{j}", "label": f"s{j} (Part)", "parent": gid})
        for i in range(per_block):
            k = len(nodes)
            group = f"{gid}/s{i * subs // per_block}" if subs else gid
            nodes.append({"id": f"n{k}", "op": "add", "label": f"add{k}", "kind": "op",
                          "shape": [4], "group": group})
            if k:
                edges.append({"source": f"n{k - 1}", "target": f"n{k}", "shape": [4]})
            if k >= 7 and k % 7 == 0:
                edges.append({"source": f"n{k - 7}", "target": f"n{k}", "shape": [4]})
    return {"name": "grouped", "nodes": nodes, "edges": edges, "groups": groups, "subgraphs": {}}


def expected_view(d, collapsed=()):
    """Visible node ids and edge pairs when the top-level groups in `collapsed` are collapsed."""
    rep = {}
    for n in d["nodes"]:
        top = n["group"].split("/")[0] if n["group"] else None
        rep[n["id"]] = f"group:{top}" if top in collapsed else n["id"]
    pairs = {(rep[e["source"]], rep[e["target"]]) for e in d["edges"]}
    return set(rep.values()), {p for p in pairs if p[0] != p[1]}


DRAWN = """() => ({
    nodes: [...document.querySelectorAll('.gv-node')].map(g => g.dataset.id),
    edges: [...document.querySelectorAll('.gv-edge')].map(e => [e.dataset.source, e.dataset.target]),
    boxes: [...document.querySelectorAll('.gv-group')].map(g => g.dataset.group),
    busy: document.querySelector('.gv-root').dataset.busy })"""


def assert_drawn_once(drawn, nodes, edges):
    assert len(drawn["nodes"]) == len(set(drawn["nodes"])), "a node is drawn twice"
    assert set(drawn["nodes"]) == nodes
    pairs = [tuple(e) for e in drawn["edges"]]
    assert len(pairs) == len(set(pairs)), "an edge is drawn twice"
    assert set(pairs) == edges
    assert len(drawn["boxes"]) == len(set(drawn["boxes"])), "a group box is drawn twice"


def test_a_graph_drawn_over_many_frames_ends_complete(page):
    d = grouped_doc(30, 100)
    r = page.evaluate("([d]) => measure(() => renderDoc(d))", [d])
    assert r["gap"] < r["ms"], r  # frames were painted while it was drawn: it took several slices
    settle(page)
    drawn = page.evaluate(DRAWN)
    assert_drawn_once(drawn, *expected_view(d))
    assert sorted(drawn["boxes"]) == sorted(g["id"] for g in d["groups"])


def test_a_collapse_clicked_while_drawing_leaves_a_correct_view(page):
    d = grouped_doc(30, 100)
    state = page.evaluate("""async ([d]) => {
        const done = renderDoc(d);
        const root = () => document.querySelector('.gv-root');
        // wait for the drawing to start: group boxes are drawn first, nodes follow
        for (let i = 0; i < 600 && !document.querySelector(".gv-group-head[data-group='b5']"); i++)
            await new Promise(r => requestAnimationFrame(r));
        const head = document.querySelector(".gv-group-head[data-group='b5']");
        const mid = {busy: root().dataset.busy, nodes: document.querySelectorAll('.gv-node').length};
        head.dispatchEvent(new MouseEvent('click', {bubbles: true}));
        await done;
        return mid; }""", [d])
    assert state["busy"] != "0" and state["nodes"] < 3000, state  # the click came mid-draw
    settle(page)
    drawn = page.evaluate(DRAWN)
    assert page.evaluate("model.state.collapsed") == ["b5"]
    assert_drawn_once(drawn, *expected_view(d, {"b5"}))
    assert "b5" not in drawn["boxes"] and len(drawn["boxes"]) == 29


def test_a_big_live_batch_is_drawn_over_frames_and_ends_complete(page):
    d = grouped_doc(15, 100)
    page.evaluate("([d]) => renderDoc(d)", [{**d, "nodes": [], "edges": []}])
    first = page.evaluate("""([n, e, g]) => { model.emit('msg:custom', {type: 'append', epoch: 1,
            batches: [{seq: 1, nodes: n, edges: e, groups: g}]});
        return document.querySelectorAll('.gv-node').length; }""",
                          [d["nodes"], d["edges"], d["groups"]])
    assert 0 < first < 1500, first  # the handler drew a first slice and left the rest for later
    settle(page)
    drawn = page.evaluate(DRAWN)
    assert drawn["busy"] == "0"
    assert_drawn_once(drawn, *expected_view(d))
    # Positions of the first nodes stay where the first slice put them when more arrives.
    before = positions(page)
    page.evaluate("""() => model.emit('msg:custom', {type: 'append', epoch: 1, batches: [
        {seq: 2, nodes: [{id: 'late', op: 'mul', kind: 'op'}],
         edges: [{source: 'n1499', target: 'late'}], groups: []}]})""")
    after = positions(page)
    assert {k: after[k] for k in before} == before and "late" in after


def test_every_group_of_a_10k_graph_opens(page):
    """10,000 nodes: one model group, 100 blocks of 100 nodes in 4 parts each. It opens collapsed;
    the model expands into its blocks (collapsed, they are big), and blocks first, in the middle
    and last expand into their parts, each click answered with a drawn view."""
    d = grouped_doc(100, 100, top="m", subs=4)
    assert len(d["nodes"]) == 10_000
    r = page.evaluate("([d]) => renderDoc(d, {collapsed: ['m']})", [d])
    assert r["drawn"] == 1
    click = """async ([sel, gid]) => { const el = document.querySelector(sel);
        await act(() => el.dispatchEvent(new MouseEvent('click', {bubbles: true})));
        return {open: !!document.querySelector(`.gv-group[data-group="${gid}"]`),
                nodes: [...document.querySelectorAll('.gv-node')].map(g => g.dataset.id)}; }"""
    top = page.evaluate(click, [".gv-node[data-id='group:m']", "m"])
    assert top["open"] and len(top["nodes"]) == 100
    assert set(top["nodes"]) == {f"group:m/b{b}" for b in range(100)}
    for b in (0, 57, 99):
        gid = f"m/b{b}"
        opened = page.evaluate(click, [f".gv-node[data-id='group:{gid}']", gid])
        assert opened["open"], gid
        members = {f"n{b * 100 + i}" for i in range(100)}
        assert members <= set(opened["nodes"]), gid  # its parts are open: every op is drawn
        assert len(opened["nodes"]) == len(set(opened["nodes"]))
    settle(page)
    assert page.evaluate("document.querySelector('.gv-message').style.display") != "block"
