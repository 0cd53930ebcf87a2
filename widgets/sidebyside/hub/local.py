"""A throw-away classroom hub on loopback, for the end-to-end test and the load benchmark.

`LocalHub` runs hub/jupyterhub_config.py with everything in one fresh folder (/tmp/sbsh<random>:
state, homes, exchange, log) on free 127.0.0.1 ports, with Unix users and groups named after that
folder, and an admin service token for the REST API. `remove()` undoes all of it: servers, the hub
and its proxy, every process of its users (by pid), the users, the groups, the folder. Needs root.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests

from sidebyside.hub import auth
from sidebyside.hub.accounts import REPO, blocked_folders
from sidebyside.hub.client import Hub, HubError, Person, Server

BIN = Path(sys.executable).parent
PROXY = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalHub:
    def __init__(self, students: int, cull_timeout: int = 3600):
        if not PROXY.exists():
            raise HubError("configurable-http-proxy is missing: run `make hub-deps` (npm ci in hub/)")
        self.base = Path("/tmp") / f"sbsh{secrets.token_hex(3)}"
        self.base.mkdir(mode=0o755)
        (self.base / "state").mkdir(mode=0o700)
        self.prefix = self.base.name
        self.instructor = f"{self.prefix}-t"
        self.students = [f"{self.prefix}-{i:02d}" for i in range(students)]
        self.passwords: dict[str, str] = {}  # what each person logs in with now
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.exchange = self.base / "exchange"
        token = secrets.token_hex(24)
        self.env = dict(
            os.environ,
            PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            SIDEBYSIDE_HUB_STATE=str(self.base / "state"),
            SIDEBYSIDE_HUB_HOMES=str(self.base / "home"),
            SIDEBYSIDE_HUB_EXCHANGE=str(self.exchange),
            SIDEBYSIDE_HUB_INSTRUCTOR=self.instructor,
            SIDEBYSIDE_HUB_GROUPS=self.prefix,
            SIDEBYSIDE_HUB_PORT=str(self.port),
            SIDEBYSIDE_HUB_API_PORT=str(free_port()),
            SIDEBYSIDE_HUB_PROXY_API_PORT=str(free_port()),
            SIDEBYSIDE_HUB_SERVICE_TOKEN=token,
            SIDEBYSIDE_HUB_CULL_TIMEOUT=str(cull_timeout),
            # the students' installation: kept between runs (~90k hard links take a minute to
            # make and remove on a busy machine; refreshed when the environment changes)
            SIDEBYSIDE_HUB_INSTALL=os.environ.get("SIDEBYSIDE_HUB_TEST_INSTALL",
                                                  "/var/tmp/sidebyside-hub-install"),
        )
        # hub/grade.sh grades with the students' installation: its .pth names the package copy it
        # holds, which the sandbox binds, so grading imports the package under test (also from a
        # git worktree, where the shared .venv's .pth names another checkout's package)
        self.env["SIDEBYSIDE_HUB_BIN"] = str(Path(self.env["SIDEBYSIDE_HUB_INSTALL"]) / "venv" / "bin")
        self.log = self.base / "hub.log"
        self.hub = Hub(self.url, token)
        self.proc: subprocess.Popen | None = None
        # Students' servers run this environment's Python: if it lives below a folder other users
        # cannot enter (pyenv in /root), let them pass through while this hub lives, then restore.
        self._opened = [(p, os.stat(p).st_mode) for p in blocked_folders(Path(sys.executable))]
        for path, mode in self._opened:
            os.chmod(path, mode | 0o001)
        self._repo_mode = os.stat(REPO).st_mode  # the hub closes the repository to other users
        self.issue([self.instructor])

    @property
    def dbm_path(self) -> str:
        return str(self.base / "state" / "passwords.dbm")

    def issue(self, names: list[str]) -> dict[str, str]:
        """`sidebyside hub passwords NAMES`: initial passwords, to be changed at first login."""
        issued = auth.issue(self.dbm_path, names)
        self.passwords.update(issued)
        return issued

    def activate(self, names: list[str]) -> None:
        """Each person's first login: the issued password, then one of their own."""
        for name in names:
            person = Person(self.url, name, self.passwords[name])
            if not person.log_in():
                raise HubError(f"{name} could not log in with the issued password")
            mine = secrets.token_urlsafe(12)
            message = person.change_password(mine)
            if auth.must_change(self.dbm_path, name):
                raise HubError(f"{name}'s password was not changed: {message}")
            self.passwords[name] = mine

    def start(self, timeout: float = 180) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(REPO / "hub" / "jupyterhub_config.py")],
            cwd=self.base / "state", env=self.env, stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HubError(f"the hub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise HubError(f"the hub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_tail(self, n: int = 6000) -> str:
        return self.log.read_bytes()[-n:].decode(errors="replace") if self.log.exists() else ""

    def server(self, name: str) -> Server:
        return Server(self.url, name, self.hub.token_for(name))

    def remove(self) -> None:
        names = [*self.students, self.instructor]
        if os.environ.get("SIDEBYSIDE_HUB_KEEP_LOG") and self.log.exists():  # for debugging
            shutil.copy(self.log, os.environ["SIDEBYSIDE_HUB_KEEP_LOG"])
        try:
            for name in names:
                try:
                    self.hub.stop(name, timeout=20)
                except Exception:  # the hub is gone already: the processes are killed below
                    pass
            self.stop()
            pid_file = self.base / "state" / "proxy.pid"
            if pid_file.exists():
                _kill(int(pid_file.read_text().strip() or 0))
            for name in names:
                try:
                    uid = pwd.getpwnam(name).pw_uid
                except KeyError:
                    continue
                for pid in pids_of(uid):
                    _kill(pid)
                subprocess.run(["userdel", "--remove", name], capture_output=True)
            for group in (f"{self.prefix}-students", f"{self.prefix}-instructors"):
                subprocess.run(["groupdel", group], capture_output=True)
            shutil.rmtree(self.base, ignore_errors=True)
        finally:
            for path, mode in self._opened:
                os.chmod(path, mode)
            os.chmod(REPO, stat.S_IMODE(self._repo_mode))

    def __enter__(self) -> LocalHub:
        try:
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def pids_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _kill(pid: int) -> None:
    if pid > 1:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
