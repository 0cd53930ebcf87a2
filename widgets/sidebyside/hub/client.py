"""A small client for the classroom hub, for tests, benchmarks and an instructor's scripts.

`Person` logs in as a person does in the browser, through the same form; `Hub` calls the hub's REST API with a token; `Server` calls one user's Jupyter server through
the hub's proxy (contents, kernels, nbgrader's Assignments tab endpoints); `Kernel` runs code in a
kernel over its websocket and returns what it printed.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass

import requests
import websocket


class HubError(RuntimeError):
    pass


def _check(response: requests.Response) -> requests.Response:
    if response.status_code >= 400:
        raise HubError(f"{response.request.method} {response.url} -> {response.status_code}: "
                       f"{response.text[:300]}")
    return response


class Person:
    """A browser-like session on the hub: forms with their XSRF token, cookies kept."""

    def __init__(self, base: str, name: str, password: str):
        self.base, self.name, self.password = base.rstrip("/"), name, password
        self.session = requests.Session()

    def log_in(self) -> bool:
        """True when the hub accepted the password (the first login sets it) and set its cookie."""
        self.session.get(f"{self.base}/hub/login", timeout=30)
        data = {"username": self.name, "password": self.password,
                "_xsrf": self.session.cookies.get("_xsrf", "")}
        # not following the redirect: after a login the hub would start the server (the test and
        # the benchmark start it through the API, to time it)
        r = self.session.post(f"{self.base}/hub/login", data=data, timeout=60, allow_redirects=False)
        if r.status_code != 403:  # 403: wrong password or unknown user
            _check(r)
        return "jupyterhub-hub-login" in self.session.cookies

    def change_password(self, new: str) -> str:
        """The change-password page's form (after log_in); returns the page's message."""
        self.session.get(f"{self.base}/hub/auth/change-password", timeout=30)
        r = _check(self.session.post(f"{self.base}/hub/auth/change-password", timeout=60,
                                     data={"password": new,
                                           "_xsrf": self.session.cookies.get("_xsrf", "")}))
        for line in r.text.splitlines():
            if "password" in line.lower() and ("success" in line or "cannot" in line or "short" in line):
                return line.strip()
        return r.text[-500:]


class Hub:
    """The hub's REST API with a token (an admin service token for scripts)."""

    def __init__(self, base: str, token: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def api(self, method: str, path: str, **kw) -> dict | list | None:
        r = _check(self.session.request(method, f"{self.base}/hub/api{path}", timeout=60, **kw))
        return r.json() if r.content else None

    def add_users(self, names: list[str]) -> None:
        """What the instructor's "Add Users" on the admin page does."""
        self.api("POST", "/users", json={"usernames": names})

    def user(self, name: str) -> dict:
        return self.api("GET", f"/users/{name}")

    def token_for(self, name: str) -> str:
        """A token for `name`'s own server (what the browser's login cookie would give)."""
        body = {"note": "classroom client", "expires_in": 3600,
                "scopes": [f"access:servers!user={name}", f"read:users!user={name}"]}
        return self.api("POST", f"/users/{name}/tokens", json=body)["token"]

    def start(self, name: str, timeout: float = 300) -> float:
        """Start `name`'s server and wait until it is ready; returns the seconds it took."""
        t0 = time.monotonic()
        r = self.session.post(f"{self.base}/hub/api/users/{name}/server", timeout=60)
        if r.status_code not in (201, 202, 400):  # 400: already running
            _check(r)
        self.wait_ready(name, timeout)
        return time.monotonic() - t0

    def wait_ready(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.user(name)
            server = (user.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            if not server and user.get("pending") is None:
                raise HubError(f"{name}'s server is not starting (see the hub's log)")
            time.sleep(0.5)
        raise HubError(f"{name}'s server was not ready after {timeout:.0f} s")

    def stop(self, name: str, timeout: float = 60) -> None:
        r = self.session.delete(f"{self.base}/hub/api/users/{name}/server", timeout=60)
        if r.status_code not in (202, 204, 400):
            _check(r)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.user(name).get("servers") or {}):
            time.sleep(0.5)


class Server:
    """One user's Jupyter server, reached through the hub's proxy with that user's token."""

    def __init__(self, base: str, name: str, token: str):
        self.base, self.name, self.token = base.rstrip("/"), name, token
        self.url = f"{self.base}/user/{name}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(f"{self.url}{path}", timeout=60, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(f"{self.url}{path}", timeout=120, **kw)

    def read(self, path: str) -> dict:
        """A file through the contents API (what the browser opens)."""
        return _check(self.get(f"/api/contents/{path}")).json()

    def write(self, path: str, model: dict) -> None:
        _check(self.session.put(f"{self.url}/api/contents/{path}", json=model, timeout=60))

    def assignments(self, action: str, course: str, assignment: str) -> dict:
        """The Assignments tab's buttons: fetch, submit, fetch_feedback (nbgrader's server extension)."""
        r = _check(self.post(f"/assignments/{action}",
                             data={"course_id": course, "assignment_id": assignment}))
        return r.json()

    def list_assignments(self, course: str) -> dict:
        return _check(self.get("/assignments", params={"course_id": course})).json()

    def kernel(self, name: str = "python3") -> Kernel:
        info = _check(self.post("/api/kernels", json={"name": name})).json()
        return Kernel(self, info["id"])


@dataclass
class Result:
    output: str  # stdout and stderr, in order
    error: str | None  # "Name: value" when the code raised
    seconds: float


class Kernel:
    """Run code in a kernel over its websocket (the Jupyter messaging protocol, as JupyterLab does)."""

    # Jupyter Server pings each kernel socket and closes one whose pongs stop, and a pong is only
    # sent while we read: a socket left alone for a minute or two (between two runs) is closed.
    # The server keeps the kernel's messages for this session_id and replays them when the same
    # session connects again, as JupyterLab reconnects, so a run never loses its reply.
    RECONNECTS = 5

    def __init__(self, server: Server, kernel_id: str):
        self.server, self.id = server, kernel_id
        self.session = uuid.uuid4().hex
        self._connect()

    def _connect(self) -> None:
        ws_url = self.server.url.replace("http", "ws", 1) + \
            f"/api/kernels/{self.id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {self.server.token}"], timeout=30)

    def _reconnect(self, tries: list[int]) -> None:
        tries[0] += 1
        if tries[0] > self.RECONNECTS:
            raise HubError(f"{self.server.name}'s kernel connection closed while running code "
                           f"(reconnected {self.RECONNECTS} times)")
        with contextlib.suppress(Exception):
            self.ws.close()
        self._connect()

    def run(self, code: str, timeout: float = 300) -> Result:
        msg_id = uuid.uuid4().hex
        request = json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": self.server.name, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        })
        tries = [0]
        try:
            self.ws.send(request)
        except (websocket.WebSocketConnectionClosedException, OSError):
            self._reconnect(tries)
            self.ws.send(request)
        t0 = time.monotonic()
        out, error, idle, replied = [], None, False, False
        while not (idle and replied):
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise HubError(f"code did not finish within {timeout:.0f} s in {self.server.name}'s kernel")
            self.ws.settimeout(min(left, 30))
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketConnectionClosedException, OSError):
                raw = None
            if not raw:
                self._reconnect(tries)
                continue
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                out.append(content["data"].get("text/plain", "") + "\n")
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
        return Result("".join(out), error, time.monotonic() - t0)

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.server.session.delete(f"{self.server.url}/api/kernels/{self.id}", timeout=30)
