"""The README's main command, `make lab`, starts JupyterLab and serves the course's start page."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from sidebyside.notebooks import ROOT

TOKEN = "sidebyside-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, follow: bool = True):
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    return opener.open(request, timeout=10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")  # keep the test's JupyterLab state out of the user's


@pytest.fixture(scope="module")
def lab(home):
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"),
           "JUPYTER_DATA_DIR": str(home / "data")}  # `make lab` trusts the course: not in the user's db
    # A port found free can be taken before the server binds it (kernels started beside this test
    # bind random ports): the server must then stop, not move to the next port as it does by
    # default while this test talks to whatever holds the first one. Three ports are tried.
    args = (f"--no-browser --ip=127.0.0.1 --ServerApp.token={TOKEN} "
            "--ServerApp.open_browser=False --ServerApp.port_retries=0")
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(["make", "-s", "lab", f"PORT={port}", f"LAB_ARGS={args}"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # a hang detector: a start takes 5-30 s
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if get(f"{base}/api/status").status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError, http.client.HTTPException):
                pass
            time.sleep(0.5)
        if proc.poll() is None and time.monotonic() < deadline:
            break
        out = proc.stdout.read().decode() if proc.poll() is not None else ""
        stop(proc)
        if "is already in use" not in out:
            pytest.fail(f"JupyterLab did not start on port {port}:\n{out[-3000:]}")
    else:
        pytest.fail("JupyterLab found no free port in three tries")
    try:
        yield base
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)  # make and the server it started share one process group
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def test_start_page_notebook_is_served_through_the_rest_api(lab):
    reply = json.load(get(f"{lab}/api/contents/course/00_start_here.ipynb"))
    assert reply["type"] == "notebook"
    cells = reply["content"]["cells"]
    assert cells[0]["source"].startswith("# 00")


def test_server_root_opens_the_start_page(lab):
    with pytest.raises(urllib.error.HTTPError) as redirect:  # urllib reports an unfollowed 302 so
        get(f"{lab}/", follow=False)
    assert redirect.value.code == 302
    location = redirect.value.headers["Location"].rstrip("?")
    assert location.endswith("/lab/tree/course/00_start_here.ipynb"), location
    page = get(f"{lab}/lab/tree/course/00_start_here.ipynb").read().decode()
    assert 'id="jupyter-config-data"' in page  # the JupyterLab application page, not an error page


def test_make_lab_trusts_the_course_so_its_graphs_draw_from_saved_state(lab, home):
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary(data_dir=str(home / "data"))
    lab00 = nbformat.read(ROOT / "labs" / "00_graph_widgets_tour.ipynb", as_version=4)
    assert notary.check_signature(lab00)
    graded = nbformat.read(next((ROOT / "graded" / "source").rglob("*.ipynb")), as_version=4)
    assert not notary.check_signature(graded)  # only the course's lessons and labs
