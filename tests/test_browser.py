"""A real browser round trip: JupyterLab + Debian's chromium (driven by playwright) + the GraphView.

Starts JupyterLab (tests/labserver.py: this virtualenv and its settings, a free local port, token
auth, news and update checks off, per-user state in a temporary folder) serving copies of the fixture
notebooks in tests/browser/, opens them, runs all cells and checks:

graph_live.ipynb
  * the graph draws (SVG nodes present),
  * it grows live while the recording cell runs (the node count rises in several steps),
  * when a cell ends and JupyterLab makes a new view of the model (the display update), the new
    view draws at once (no frame without the graph, sampled every frame) and keeps the zoom set
    with the mouse wheel before,
  * a click on a node opens the details panel and the kernel sees it (`view.selected`, on_select),
  * unticking "simplified" in the browser reaches the kernel, which re-sends the raw graph,
graph_models.ipynb (real architectures from benchmarks/real_models.py), at a 1024 px wide window
  * ResNet-18 (autograd) and MobileNetV2 (tf.function) open at a readable zoom (every text >= 10 px
    on screen) with the start of the graph in view,
  * a group collapses and expands again, and MobileNetV2's model group expands into its layers,
  * no edge passes through a node or group box it does not belong to (SVG geometry), before and
    after expanding,
  * the side-by-side pair stays readable at 1024 px, the presenter view fills the width with
    text >= 16 px at 1280x720, and in the dark theme the details panel's "x" and the group labels
    keep their contrast,
and in both: the browser console shows no errors. Screenshots go to the folder the test prints
($SIDEBYSIDE_ARTIFACTS/browser, default .artifacts/browser in the repository: CI keeps it).
Sessions are deleted and the server is stopped at the end, also on failure. Waits poll with generous
limits (the 2-core CI machine is shared), never fixed sleeps.

Needs `apt-get install -y chromium` (the Makefile's `system-deps` target); skipped without it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from pathlib import Path

import pytest

from labserver import CHROMIUM, JupyterLab, chromium, collect_errors, poll

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "browser" / "graph_live.ipynb"
MODELS = ROOT / "tests" / "browser" / "graph_models.ipynb"
GEOMETRY = (ROOT / "tests" / "browser" / "geometry.js").read_text()
ARTIFACTS = Path(os.environ.get("SIDEBYSIDE_ARTIFACTS", ROOT / ".artifacts")) / "browser"
# Browser console noise that is not an error of ours (none needed so far; keep it that way).
IGNORED_CONSOLE = ()

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make system-deps)")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server (tests/labserver.py) serving copies of the fixtures."""
    root = tmp_path_factory.mktemp("root")
    for fixture in (FIXTURE, MODELS):
        shutil.copy(fixture, root / fixture.name)
    # graph_models.ipynb imports benchmarks/real_models.py from the repository
    with JupyterLab(root, tmp_path_factory.mktemp("home"),
                    extra_env={"SIDEBYSIDE_REPO": str(ROOT)}) as server:
        yield server


def open_and_run(page, lab: JupyterLab, notebook: str, cells: int) -> None:
    """Open a notebook, wait for an idle kernel, and start Run All (without waiting for it)."""
    # `reset`: a fresh workspace, so a tab restored from the previous test cannot take the focus.
    page.goto(lab.url(notebook) + "&reset", timeout=120_000)
    page.wait_for_function(
        """(n) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session
                && w.sessionContext.session.kernel;
            return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'
                && w.content && w.content.widgets.length === n); }""",
        arg=cells, timeout=180_000, polling=250)
    page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")


def test_graph_draws_grows_and_answers_clicks_in_jupyterlab(lab):
    with chromium() as browser:
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors = collect_errors(page, IGNORED_CONSOLE)
            open_and_run(page, lab, FIXTURE.name, 4)

            # 1. The graph draws.
            page.wait_for_selector(".gv-root .gv-node", timeout=120_000)
            # From now on, every frame records which view is shown, its node count and its zoom:
            # when a cell ends, its display is updated and JupyterLab makes a new view of the
            # model, which must draw at once what the previous one drew (never a blank frame)
            # and keep the zoom the user set.
            page.evaluate(SAMPLE_FRAMES)
            before = page.evaluate("document.querySelector('.gv-root').dataset.zoom")
            page.hover(".gv-root .gv-svg")
            page.mouse.wheel(0, -240)
            page.wait_for_function("(k) => document.querySelector('.gv-root').dataset.zoom !== k",
                                   arg=before, timeout=30_000)
            # The samples after this see the zoom; the view now shown is replaced when the cell ends.
            page.evaluate("window.gvFrames.mark = true; "
                          "window.gvFrames.zoomedView = document.querySelector('.gv-root')")
            zoomed = page.evaluate("document.querySelector('.gv-root .gv-scene')"
                                   ".getAttribute('transform')")

            # 2. It grows live while the recording cell runs.
            counts = []

            def recorded():
                # Finished first: once the cell has printed, its display is updated with the
                # settled graph and picture, and JupyterLab draws the widget anew; a reading
                # then is not live growth.
                if "recorded 31" in page.inner_text(".jp-Notebook"):
                    return True
                counts.append(page.locator(".gv-root .gv-node").count())
                return False

            poll("the recording cell to finish", recorded, 180, every=0.1)
            # ... and for the new view that the display update makes, drawn.
            page.wait_for_function(
                """() => { const r = document.querySelector('.gv-root');
                    return r && r !== window.gvFrames.zoomedView && r.dataset.busy === '0'
                        && Number(r.dataset.drawn || 0) > 0 && r.querySelectorAll('.gv-node').length > 0; }""",
                timeout=60_000, polling=100)
            counts.append(page.locator(".gv-root .gv-node").count())
            frames = page.evaluate("() => { window.gvFrames.stop = true; return window.gvFrames.samples; }")
            views = [f[0] for f in frames]
            blank = [i for i, f in enumerate(frames) if f[1] == 0]
            assert not blank, f"a frame without the graph (frames {blank[:5]} of {len(frames)}): " \
                f"{frames[max(0, blank[0] - 3):blank[0] + 3]}"
            after_zoom = [f for f in frames if f[3]]
            assert len({f[0] for f in after_zoom}) > 1, \
                f"the display update made no new view after the zoom: views {sorted(set(views))}"
            assert after_zoom[-1][2] == zoomed, \
                f"the new view lost the zoom: {zoomed} became {after_zoom[-1][2]}"
            steps = sorted(set(counts))
            assert counts[-1] == 31, counts
            assert len(steps) >= 3 and steps[0] < 31, f"no live growth seen: {counts}"
            assert counts == sorted(counts), f"node count went down: {counts}"
            poll("the last cell's first run", lambda: "selected: None clicks: [] simplified: True"
                 in page.inner_text(".jp-Notebook"), 120)

            # 3. A click shows details in the widget and reaches the kernel; so does the
            #    "simplified" checkbox (Python re-sends the raw graph: the Identity appears).
            # While it grows the view follows the newest node at a readable zoom; "start" brings
            # the beginning of the graph back into view.
            page.click(".gv-start", timeout=30_000)
            page.click(".gv-node[data-id='n2']", timeout=30_000)
            page.wait_for_selector(".gv-details >> text=relu2", timeout=30_000)
            assert page.locator(".gv-node[data-id='i0']").count() == 0
            page.uncheck(".gv-simplified input", timeout=30_000)
            page.wait_for_selector(".gv-node[data-id='i0']", timeout=60_000)
            assert page.locator(".gv-root .gv-node").count() == 32
            page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.activeCellIndex = nb.widgets.length - 1;
                void window.jupyterapp.commands.execute('notebook:run-cell'); }""")
            poll("the kernel to report the click", lambda: "selected: n2 clicks: ['n2'] "
                 "simplified: False" in page.inner_text(".jp-Notebook"), 120)
            if os.environ.get("SIDEBYSIDE_SCREENSHOT"):  # for a human look: where to save a PNG
                page.screenshot(path=os.environ["SIDEBYSIDE_SCREENSHOT"], full_page=True)
                print("live node counts seen:", counts)
        finally:
            lab.shutdown_kernels(quiet=True)

    # 4. No errors in the browser console.
    assert errors == [], "\n".join(errors)


# Records, on every frame until stopped (at most 10 minutes), [view, drawn nodes, zoom, marked]:
# view numbers each .gv-root element seen (a new number is a new view of the model).
SAMPLE_FRAMES = """() => {
    const s = { samples: [], stop: false, mark: false };
    window.gvFrames = s;
    const ids = new WeakMap();
    const t0 = performance.now();
    const frame = () => {
        if (s.stop || performance.now() - t0 > 600000) return;
        const r = document.querySelector('.gv-root');
        if (r && !ids.has(r)) ids.set(r, (s.n = (s.n || 0) + 1));
        const scene = r && r.querySelector('.gv-scene');
        s.samples.push([r ? ids.get(r) : null, r ? r.querySelectorAll('.gv-node').length : 0,
                        scene && scene.getAttribute('transform'), s.mark]);
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


# ---- real models -------------------------------------------------------------------------------
def view_root(page, title: str):
    """The .gv-root element of the view with this title."""
    return page.locator(".gv-root", has=page.locator(".gv-title", has_text=title)).element_handle()


def drawn_count(root) -> int:
    return int(root.evaluate("r => Number(r.dataset.drawn || 0)"))


def act(page, root, action) -> None:
    """Do `action` (a click...) and wait until the view has laid out and drawn again."""
    before = drawn_count(root)
    action()
    page.wait_for_function("([r, n]) => Number(r.dataset.drawn || 0) > n && r.dataset.busy === '0'",
                           arg=[root, before], timeout=60_000, polling=100)


def check_view(page, root, name: str, min_px: float = 10.0) -> dict:
    """Readable text, the start of the graph in view, and no edge through a foreign box."""
    sizes = root.evaluate("r => gvTextSizes(r)")
    assert sizes and min(sizes.values()) >= min_px, f"{name}: text too small on screen: {sizes}"
    # The top node by its place in the scene (off-screen nodes are hidden, so their on-screen box
    # says nothing), then whether it is shown and on screen.
    start = root.evaluate(r"""r => { const c = r.querySelector('.gv-canvas').getBoundingClientRect();
        const sceneY = (n) => {
            const m = /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(n.getAttribute('transform') || '');
            return m ? parseFloat(m[2]) : 0; };
        const top = [...r.querySelectorAll('.gv-node')].reduce((a, b) => (sceneY(b) < sceneY(a) ? b : a));
        if (top.style.display === 'none') return false;
        const first = top.getBoundingClientRect();
        return first.top >= c.top - 1 && first.bottom <= c.bottom + 1
            && first.right > c.left && first.left < c.right; }""")
    assert start, f"{name}: the start of the graph (its top node) is not in view"
    geo = root.evaluate("r => gvEdgeCrossings(r)")
    assert geo["edges"] > 0 and geo["bad"] == [], f"{name}: {geo['bad'][:10]}"
    overlaps = root.evaluate("r => gvHeadOverlaps(r)")
    assert overlaps == [], f"{name}: group labels overlap: {overlaps[:5]}"
    return geo


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    def lum(c):
        r, g, b = [int(float(v)) / 255 for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_real_models_are_readable_and_routed_in_jupyterlab(lab, capsys):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with capsys.disabled():
        print(f"\n[test_browser] screenshots: {ARTIFACTS}")
    with chromium() as browser:
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            errors = collect_errors(page, IGNORED_CONSOLE)
            open_and_run(page, lab, MODELS.name, 7)
            poll("the real-model cells to finish", lambda: "all views shown"
                 in page.inner_text(".jp-Notebook"), 480, every=0.5)
            page.wait_for_function("""() => { const r = [...document.querySelectorAll('.gv-root')];
                return r.length === 5 && r.every(x => x.dataset.busy === '0'
                    && Number(x.dataset.drawn || 0) > 0); }""", timeout=120_000, polling=250)
            page.evaluate(GEOMETRY)

            # 1. ResNet-18 (autograd): readable at its opening zoom, routed around boxes; a group
            #    collapses and expands again, still routed around boxes.
            r18 = view_root(page, "ResNet-18 autograd")
            r18.scroll_into_view_if_needed()
            check_view(page, r18, "ResNet-18")
            r18.screenshot(path=str(ARTIFACTS / "resnet18-open.png"))
            gid = r18.evaluate("r => r.querySelector('.gv-group-head').dataset.group")
            act(page, r18, lambda: r18.eval_on_selector(
                f".gv-group-head[data-group='{gid}']", "e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))"))
            assert r18.query_selector(f".gv-node[data-id='group:{gid}']"), "the group did not collapse"
            act(page, r18, lambda: r18.eval_on_selector(
                f".gv-node[data-id='group:{gid}']", "e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))"))
            assert r18.query_selector(f".gv-group[data-group='{gid}']"), "the group did not expand"
            geo = r18.evaluate("r => gvEdgeCrossings(r)")
            assert geo["bad"] == [], geo["bad"][:10]

            # 2. MobileNetV2 (tf.function): its model group expands into ~150 layers, skip
            #    connections (the residual Adds) routed around the layer boxes.
            mnet = view_root(page, "MobileNetV2 tf.function")
            mnet.scroll_into_view_if_needed()
            check_view(page, mnet, "MobileNetV2")
            group = mnet.query_selector(".gv-node[data-id^='group:']")
            assert group, "MobileNetV2 should open with its model group collapsed"
            act(page, mnet, lambda: group.dispatch_event("click"))
            # Its layers sit in numbered blocks (block_1 ... block_16, from the layer names);
            # identical neighbours fold into families ("block ×3").
            ids = mnet.evaluate("r => [...r.querySelectorAll('.gv-node')].map(n => n.dataset.id)")
            blocks = [i for i in ids if re.search(r"/block_\d+$", i)]
            assert len(blocks) >= 6 and any(i.startswith("family:") for i in ids), ids
            # Block 2 keeps its shape, so it has a skip connection: open it.
            block2 = next(i for i in blocks if i.endswith("/block_2"))
            act(page, mnet, lambda: mnet.eval_on_selector(
                f".gv-node[data-id='{block2}']", "e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))"))
            adds = mnet.evaluate("""r => [...r.querySelectorAll('.gv-node')]
                .filter(n => /block_2_add/i.test(n.dataset.id)).length""")
            assert adds >= 1, "block 2's residual Add should be visible"
            geo = check_view(page, mnet, "MobileNetV2 expanded")
            assert geo["segments"] > geo["edges"], "long edges should be routed with bends"
            mnet.screenshot(path=str(ARTIFACTS / "mobilenetv2-expanded.png"))

            # 3. Side by side at 1024 px (side bar open: ~590 px of output): the panels wrap rather
            #    than shrink to ~280 px; each is readable, its header within the panel. With the
            #    side bar closed they sit next to each other, still readable.
            def panels(shot):
                tops = []
                for title in ("PyTorch fx", "Keras tf.function"):
                    panel = view_root(page, title)
                    panel.scroll_into_view_if_needed()
                    act(page, panel, functools.partial(panel.eval_on_selector, ".gv-relayout",
                                                       "e => e.click()"))
                    panel.eval_on_selector(".gv-start", "e => e.click()")
                    check_view(page, panel, title)
                    width, overflow, top = panel.evaluate("""r => [
                        r.querySelector('.gv-canvas').clientWidth, r.scrollWidth - r.clientWidth,
                        r.getBoundingClientRect().top
                            - r.closest('.widget-hbox').getBoundingClientRect().top]""")
                    assert width >= 300 and overflow <= 1, (title, width, overflow)
                    tops.append(top)
                page.screenshot(path=str(ARTIFACTS / shot))
                return tops
            stacked = panels("side-by-side-1024-sidebar.png")
            assert stacked[1] > stacked[0] + 100, "narrow output: the panels should wrap"
            page.evaluate("void window.jupyterapp.commands.execute('application:toggle-left-area')")
            page.wait_for_timeout(300)  # the notebook's width settles after the side bar closes
            beside = panels("side-by-side-1024.png")
            assert abs(beside[1] - beside[0]) < 5, "wide enough: the panels should sit side by side"

            # 4. Presenter at 1280x720 with the side bar closed: full width, large type.
            page.set_viewport_size({"width": 1280, "height": 720})
            pres = view_root(page, "ResNet-18 presenter")
            pres.scroll_into_view_if_needed()
            page.wait_for_timeout(300)  # the panel's width settles after the side bar closes
            act(page, pres, lambda: pres.eval_on_selector(".gv-relayout", "e => e.click()"))
            pres.eval_on_selector(".gv-start", "e => e.click()")
            pres.scroll_into_view_if_needed()
            check_view(page, pres, "presenter", min_px=16.0)
            share = pres.evaluate("""r => r.getBoundingClientRect().width
                / r.closest('.jp-OutputArea-output').getBoundingClientRect().width""")
            assert share >= 0.95, share
            page.screenshot(path=str(ARTIFACTS / "presenter-1280x720.png"))

            # 5. Dark theme: the details panel's close button and the group labels stay legible.
            page.evaluate("""void window.jupyterapp.commands.execute('apputils:change-theme',
                {theme: 'JupyterLab Dark'})""")
            page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
            r18.scroll_into_view_if_needed()
            r18.eval_on_selector(".gv-node:not(.gv-kind-group)",
                                 "e => e.dispatchEvent(new MouseEvent('click', {bubbles: true}))")
            colors = r18.evaluate("""r => { const s = (e, p) => getComputedStyle(e)[p];
                const d = r.querySelector('.gv-details'), x = r.querySelector('.gv-close');
                const h = r.querySelector('.gv-group-head'), c = r.querySelector('.gv-canvas');
                return {close: s(x, 'color'), panel: s(d, 'backgroundColor'),
                        head: s(h, 'fill'), canvas: s(c, 'backgroundColor'),
                        text: s(r, 'color'), root: s(r, 'backgroundColor')}; }""")
            assert contrast(colors["close"], colors["panel"]) >= 4.5, colors
            assert contrast(colors["head"], colors["canvas"]) >= 4.5, colors
            assert contrast(colors["text"], colors["root"]) >= 4.5, colors
            r18.screenshot(path=str(ARTIFACTS / "resnet18-dark.png"))
        finally:
            lab.shutdown_kernels(quiet=True)
    assert errors == [], "\n".join(errors)
