"""The one JupyterLab launcher for browser tests, and the chromium they drive.

    with JupyterLab(root, home) as lab:         # root: the files it serves; home: its private state
        lab.url("labs/02_x.ipynb")                # the page to open in chromium
        lab.api("/api/sessions")                  # REST, with the token
        lab.save_state(False)                     # the ipywidgets manager's saveState setting
        lab.shutdown_kernels()                    # end every session (and its kernel)

The server starts on 127.0.0.1 (a free port) from this virtualenv with the environment's own
JupyterLab settings (the `overrides.d` file the package installs: saveState on, news and update
checks off) and its lab extensions (sidebyside-lab among them), so a test sees what a learner sees.
Everything per-user lives under `home`: configuration, user settings, workspaces, runtime files and
the notebook trust database (a fresh one, so committed notebooks start untrusted, as in a new clone).
The extension manager is read-only: nothing asks a package index. It is stopped on exit, also on a
failed start. Waits poll with bounded limits (`poll`); the shared CI machine is slow, never fixed
sleeps.

    with chromium() as browser:                # Debian's chromium, headless (CHROMIUM, FLAGS)
        page = browser.new_page()
        errors = collect_errors(page)             # console errors and uncaught exceptions
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "sidebyside-browser-test"
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager:plugin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@contextlib.contextmanager
def chromium():
    """Debian's chromium, headless, driven by playwright (the test is skipped without playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def collect_errors(page, ignored: tuple[str, ...] = ()) -> list[str]:
    """The page's console errors (less those containing an `ignored` text) and uncaught
    exceptions, in a list that fills as they happen."""
    errors = []
    page.on("console", lambda m: errors.append(f"console.error: {m.text}")
            if m.type == "error" and not any(s in m.text for s in ignored) else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


class JupyterLab:
    def __init__(self, root: Path, home: Path, extra_env: dict | None = None):
        """`extra_env`: more environment variables for the server and its kernels."""
        self.root, self.home = Path(root), Path(home)
        self.extra_env = dict(extra_env or {})
        self.token = TOKEN
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = self.home / "jupyter.log"

    @property
    def env(self) -> dict:
        h = self.home
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(h / "config"),
               "JUPYTER_DATA_DIR": str(h / "data"), "JUPYTER_RUNTIME_DIR": str(h / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(h / "user-settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(h / "workspaces"), "TF_CPP_MIN_LOG_LEVEL": "3",
               **self.extra_env}
        env.pop("PYTEST_CURRENT_TEST", None)  # else ipykernel leaves fd-level output uncaptured
        return env

    def __enter__(self) -> JupyterLab:
        (self.home / "config").mkdir(parents=True, exist_ok=True)
        # never ask a package index about extensions; nothing else differs from `make lab`
        (self.home / "config" / "jupyter_server_config.json").write_text(
            json.dumps({"LabApp": {"extension_manager": "readonly"}}))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
               "--ip=127.0.0.1", f"--ServerApp.root_dir={self.root}",
               f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=",
               "--ServerApp.allow_root=True", "--LabApp.expose_app_in_browser=True"]
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            poll("JupyterLab to answer /api/status", self._up, 120)
        except BaseException:  # pytest.fail included: stop the server, then report
            self.__exit__()
            raise
        return self

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError("JupyterLab exited early:\n" + self.log_path.read_text()[-3000:])
        return self.api("/api/status") is not None

    def __exit__(self, *exc) -> None:
        self.shutdown_kernels(quiet=True)
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()

    def api(self, path: str, method: str = "GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, method=method, data=data,
                                     headers={"Authorization": f"token {TOKEN}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=20) as r:
            body = r.read()
        return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        return f"{self.base}/lab/tree/{notebook}?token={TOKEN}"

    def save_state(self, on: bool) -> None:
        """Set the ipywidgets manager's `saveState` user setting (read by pages loaded after)."""
        self.api("/lab/api/settings/" + WIDGET_MANAGER, "PUT",
                 {"raw": json.dumps({"saveState": on})})

    def shutdown_kernels(self, quiet: bool = False) -> int:
        """Delete every session (and so its kernel); returns how many there were. `quiet`: on
        an error (a server already gone), return 0 rather than raise, for clean-up code."""
        try:
            sessions = self.api("/api/sessions") or []
            for s in sessions:
                self.api(f"/api/sessions/{s['id']}", "DELETE")
        except Exception:
            if not quiet:
                raise
            return 0
        return len(sessions)
