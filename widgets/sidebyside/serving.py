"""A tiny local model server: the smallest "deployment" a lesson can run and shut down again.

`serve(predict)` starts a standard-library `ThreadingHTTPServer` on 127.0.0.1 and a free port, its
accept loop in a background thread and each request in a thread of its own, and answers
`POST /predict` with JSON: `{"inputs": [[...], ...]}` -> `{"outputs": [[...], ...]}`.
`predict` receives a float32 NumPy array and may return a torch tensor, a TF tensor, a NumPy array or
a list, and may be called from several request threads at once. `post_json(url, payload)` is the
client. Nothing here imports a framework.

    with serve(lambda x: model(torch.from_numpy(x))) as server:
        reply = post_json(server.url + "/predict", {"inputs": [[1.0, 2.0]]})

This is a teaching server (no authentication, no batching, no limit on concurrent requests, loopback
only), not a production one: real deployments use TF Serving, Triton or a web framework behind a
proper HTTP server (lesson 08; TorchServe, which older tutorials use, is unmaintained).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from sidebyside.show import to_numpy

LOOPBACK = "127.0.0.1"


def _make_handler(predict: Callable[[np.ndarray], Any]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # no access log on stderr
            pass

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/health":
                self._reply(200, {"status": "ok"})
            else:
                self._reply(404, {"error": f"no route {self.path}; try POST /predict"})

        def do_POST(self):
            if self.path != "/predict":
                self._reply(404, {"error": f"no route {self.path}; try POST /predict"})
                return
            try:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                inputs = np.asarray(payload["inputs"], dtype=np.float32)
            except (ValueError, KeyError, TypeError) as err:
                self._reply(400, {"error": f'expected JSON {{"inputs": [[...]]}}: {err}'})
                return
            try:
                outputs = to_numpy(predict(inputs)).tolist()
            except Exception as err:  # report the model's error to the client, keep serving
                self._reply(500, {"error": f"{type(err).__name__}: {err}"})
                return
            self._reply(200, {"outputs": outputs})

    return Handler


class ModelServer:
    """An HTTP server for one predict function, running in a daemon thread until `stop()`."""

    def __init__(self, predict: Callable[[np.ndarray], Any], host: str = LOOPBACK, port: int = 0):
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(predict))
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ModelServer:
        if not self.running:
            self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                            name=f"ModelServer:{self.port}")
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port. Safe to call twice."""
        if self.running:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(predict: Callable[[np.ndarray], Any], host: str = LOOPBACK, port: int = 0) -> ModelServer:
    """Start serving `predict` on host:port (port 0 = a free one); use as a context manager."""
    return ModelServer(predict, host, port).start()


def post_json(url: str, payload: dict, timeout: float = 10.0) -> dict:
    """POST `payload` as JSON and return the decoded JSON reply (raises on HTTP errors)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())
