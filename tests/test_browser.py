"""A real browser round trip: JupyterLab + Debian's chromium (driven by playwright) + the GraphView.

Starts JupyterLab from this virtualenv on a free local port, in a temporary copy of
tests/browser/graph_live.ipynb (token auth with a known token, news and update checks off, settings
and workspaces in the temp folder), opens the notebook, runs all cells and checks that
  * the graph draws (SVG nodes present),
  * it grows live while the recording cell runs (the node count rises in several steps),
  * a click on a node opens the details panel and the kernel sees it (`view.selected`, on_select),
  * unticking "simplified" in the browser reaches the kernel, which re-sends the raw graph,
  * the browser console shows no errors.
Sessions are deleted and the server is stopped at the end, also on failure. Waits poll with generous
limits (the 2-core CI machine is shared), never fixed sleeps.

Needs `apt-get install -y chromium` (the Makefile's `system-deps` target); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "browser" / "graph_live.ipynb"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "sidebyside-browser-test"
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}
# Browser console noise that is not an error of ours (none needed so far; keep it that way).
IGNORED_CONSOLE = ()

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make system-deps)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, path: str, method: str = "GET"):
    req = urllib.request.Request(base + path, method=method,
                                 headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def poll(what: str, fn, timeout: float, every: float = 0.25):
    """Call fn until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_err = None
    while time.monotonic() < deadline:
        try:
            value = fn()
            if value:
                return value
        except Exception as err:  # server still starting, element not there yet...
            last_err = err
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_err})")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server in a temp folder holding a copy of the fixture: yields its base URL."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(FIXTURE, root / FIXTURE.name)
    settings = tmp_path / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES))
    config = tmp_path / "config"
    config.mkdir()
    lab_config = {"LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "expose_app_in_browser": True,
        "app_settings_dir": str(settings),
        "extension_manager": "readonly",  # never query PyPI for extensions
    }}
    for name in ("jupyter_server_config.json", "jupyter_lab_config.json"):
        (config / name).write_text(json.dumps(lab_config))
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    log = open(tmp_path / "jupyter.log", "w")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}",
           "--ServerApp.password=", "--ServerApp.allow_root=True",
           "--LabApp.expose_app_in_browser=True",
           f"--LabApp.app_settings_dir={settings}"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            pytest.fail("JupyterLab exited early:\n" + (tmp_path / "jupyter.log").read_text()[-3000:])
        return api(base, "/api/status") is not None

    try:
        poll("JupyterLab to answer /api/status", up, 120)
        yield base
    finally:
        try:
            for s in api(base, "/api/sessions") or []:
                api(base, f"/api/sessions/{s['id']}", "DELETE")
        except Exception:
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()


def test_graph_draws_grows_and_answers_clicks_in_jupyterlab(lab):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
                    if m.type == "error" and not any(s in m.text for s in IGNORED_CONSOLE)
                    else None)
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.goto(f"{lab}/lab/tree/{FIXTURE.name}?token={TOKEN}", timeout=120_000)
            page.wait_for_function(
                """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                    const k = w && w.sessionContext && w.sessionContext.session
                        && w.sessionContext.session.kernel;
                    return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'
                        && w.content && w.content.widgets.length === 4); }""",
                timeout=180_000, polling=250)
            page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")

            # 1. The graph draws.
            page.wait_for_selector(".gv-root .gv-node", timeout=120_000)

            # 2. It grows live while the recording cell runs.
            counts = []

            def recorded():
                counts.append(page.locator(".gv-root .gv-node").count())
                return "recorded 31" in page.inner_text(".jp-Notebook")

            poll("the recording cell to finish", recorded, 180, every=0.1)
            counts.append(page.locator(".gv-root .gv-node").count())
            steps = sorted(set(counts))
            assert counts[-1] == 31, counts
            assert len(steps) >= 3 and steps[0] < 31, f"no live growth seen: {counts}"
            assert counts == sorted(counts), f"node count went down: {counts}"
            poll("the last cell's first run", lambda: "selected: None clicks: [] simplified: True"
                 in page.inner_text(".jp-Notebook"), 120)

            # 3. A click shows details in the widget and reaches the kernel; so does the
            #    "simplified" checkbox (Python re-sends the raw graph: the Identity appears).
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
            browser.close()

    # 4. No errors in the browser console.
    assert errors == [], "\n".join(errors)
