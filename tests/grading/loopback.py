"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: `dask scheduler` and `dask worker`
processes (no nanny: killing a worker's process loses the worker and whatever it was running)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def wait_until(predicate, seconds: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"waited {seconds:g} s for {what}")


class LoopbackCluster:
    """A `dask scheduler` and `dask worker` processes on 127.0.0.1, each a real OS process."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs = []
        file = folder / "scheduler.json"
        self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard", "--scheduler-file", str(file)])
        wait_until(lambda: self._alive("scheduler") and file.exists() and file.stat().st_size > 0,
                   60, "the scheduler file")
        self.address = json.loads(file.read_text())["address"]

    def _start(self, name: str, cmd: list[str], **env) -> None:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env)
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            cwd=self.folder, start_new_session=True)

    def start_worker(self, name: str) -> None:
        """Its sandboxes' folders are under <folder>/<name>/tmp (so a test can find them)."""
        (self.folder / name / "tmp").mkdir(parents=True, exist_ok=True)
        self._start(name, [str(BIN / "dask"), "worker", self.address, "--name", name,
                           "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                           "--no-dashboard", "--local-directory", str(self.folder / name),
                           "--death-timeout", "60"], TMPDIR=str(self.folder / name / "tmp"))

    def _alive(self, name: str) -> bool:
        if self.procs[name].poll() is not None:
            log = (self.folder / f"{name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with {self.procs[name].returncode}:\n{log}")
        return True

    def wait_for_workers(self, n: int, seconds: float = 90) -> None:
        with self.client() as client:
            client.wait_for_workers(n, timeout=seconds)

    def kill(self, name: str) -> int:
        """SIGKILL a worker's process (as a crash or a lost machine would); returns its pid."""
        proc = self.procs[name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return proc.pid

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30, set_as_default=False)

    def workers(self, client) -> dict[str, str]:
        """name -> address of the workers the scheduler knows."""
        info = client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"]: addr for addr, w in info.items()}

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs:
            log.close()
