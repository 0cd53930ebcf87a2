"""The hub client's kernel connection (sidebyside.hub.client.Kernel) survives its socket being
closed, as Jupyter Server closes a socket whose pings go unanswered while nobody reads it: the
client reconnects with the same session and the server replays what the kernel sent meanwhile.
A real Jupyter Server and kernel, on loopback, under the URL a hub gives a user (/user/NAME/)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from sidebyside.hub.client import Kernel, Server

TOKEN = "client-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("client")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.base_url=/user/alice/",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={home}",
         "--ServerApp.allow_root=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a hang detector: it starts in seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/user/alice/api/status", timeout=5,
                            headers={"Authorization": f"token {TOKEN}"}).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("jupyter server did not start")
    yield Server(base, "alice", TOKEN)
    proc.terminate()
    proc.wait(timeout=30)


def test_a_closed_socket_between_runs_is_reopened_and_the_kernel_kept(server):
    kernel: Kernel = server.kernel()
    assert kernel.run("x = 41").error is None
    kernel.ws.close()  # what the server does to a socket whose pongs stopped
    result = kernel.run("print(x + 1)")
    assert result.error is None and result.output.strip() == "42"


def test_a_socket_closed_while_the_code_runs_still_gets_every_output_and_the_reply(server):
    kernel: Kernel = server.kernel()
    closer = threading.Timer(1.0, kernel.ws.close)
    closer.start()
    result = kernel.run("import time\nprint('before')\ntime.sleep(3)\nprint('after')", timeout=120)
    closer.join()
    assert result.error is None, result
    assert result.output.split() == ["before", "after"]
