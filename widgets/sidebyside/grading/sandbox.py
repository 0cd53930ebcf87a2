"""Run one command in a bubblewrap sandbox with resource limits and a wall-clock limit.

What the sandboxed process sees (an allow-list, not a deny-list):
- the system's /usr (read-only), the Python installation and the virtualenv (read-only), the
  `sidebyside` package source (read-only: an editable install points there);
- its own copy of the submission folder, the only writable place on disk, mounted at /submission;
- a private /tmp (tmpfs), /proc of its own pid namespace, a minimal /dev.
Nothing else of the repository exists in there: no graded/source, no gradebook, no other submission,
no checks. No network (its own empty network namespace). It runs as the unprivileged user `nobody`
(so RLIMIT_NPROC counts only sandboxes) with no capabilities and no_new_privs (bubblewrap sets it).

Limits: address space, CPU seconds, processes/threads, file size, open files (prlimit), plus a wall-clock
limit for the WHOLE run enforced from outside: the sandbox's process group is killed, and because the
sandbox has its own pid namespace, every process in it (including ones that called setsid() to escape
the group) dies with it; --die-with-parent covers a crashed grader.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534
MOUNT_POINT = "/submission"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here. We never grade unsandboxed."""


@dataclass
class Limits:
    wall_seconds: float = 180.0  # the whole notebook, enforced from outside
    cell_seconds: float = 60.0  # each cell and each probe, enforced inside (SIGALRM)
    memory_bytes: int = 6 * 2**30  # RLIMIT_AS: torch+TF map about 2 GiB of address space
    cpu_seconds: int = 600  # RLIMIT_CPU
    processes: int = 1024  # RLIMIT_NPROC for uid nobody, threads included (shared by sandboxes)
    file_bytes: int = 64 * 2**20  # RLIMIT_FSIZE
    open_files: int = 1024  # RLIMIT_NOFILE
    tmp_bytes: int = 256 * 2**20  # size of the private /tmp


@dataclass
class SandboxResult:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float
    truncated: bool = False


@dataclass
class Sandbox:
    limits: Limits = field(default_factory=Limits)
    python: str = field(default_factory=lambda: os.path.abspath(sys.executable))
    read_only: list[str] = field(default_factory=list)  # extra host paths to show read-only
    _backend: str | None = field(default=None, repr=False)

    def _python_paths(self) -> list[str]:
        """Host folders the interpreter needs: the venv, the base installation, the package source."""
        paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        paths.add(sysconfig.get_paths()["stdlib"])
        import sidebyside

        paths.add(str(Path(sidebyside.__file__).resolve().parent))
        paths.update(self.read_only)
        # drop system folders (bound anyway) and nested duplicates
        out = []
        for p in sorted({str(Path(p).resolve()) for p in paths} | {os.path.abspath(p) for p in paths}):
            if p.startswith("/usr/") or p == "/usr" or not os.path.exists(p):
                continue
            if any(p == q or p.startswith(q + "/") for q in out):
                continue
            out.append(p)
        return out

    def argv(self, workdir: Path, command: list[str], env: dict[str, str]) -> list[str]:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable(
                "bubblewrap (bwrap) is not installed: `apt-get install -y bubblewrap` "
                "(or `make system-deps`). The grader never runs submissions unsandboxed."
            )
        lim = self.limits
        argv = [
            bwrap,
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
        ]
        for link in ("bin", "sbin", "lib", "lib64", "lib32"):
            target = os.path.realpath(f"/{link}")
            if os.path.islink(f"/{link}") and target.startswith("/usr/"):
                argv += ["--symlink", target.lstrip("/"), f"/{link}"]
            elif os.path.isdir(f"/{link}"):
                argv += ["--ro-bind", f"/{link}", f"/{link}"]
        for etc in ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group"):
            if os.path.exists(etc):
                argv += ["--ro-bind", etc, etc]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--perms", "1777", "--size", str(lim.tmp_bytes), "--tmpfs", "/tmp"]
        for path in self._python_paths():
            # parents created by bwrap get mode 0755 so that `nobody` can traverse them (e.g. /root)
            parents = []
            parent = os.path.dirname(path)
            while parent not in ("/", ""):
                parents.append(parent)
                parent = os.path.dirname(parent)
            for parent in reversed(parents):
                argv += ["--perms", "0755", "--dir", parent]
            argv += ["--ro-bind", path, path]
        argv += ["--bind", str(workdir), MOUNT_POINT, "--chdir", MOUNT_POINT, "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += [
            "--",
            "/usr/bin/prlimit",
            f"--as={lim.memory_bytes}",
            f"--cpu={lim.cpu_seconds}",
            f"--nproc={lim.processes}",
            f"--fsize={lim.file_bytes}",
            f"--nofile={lim.open_files}",
            "--core=0",
            "--",
            "/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all",
            "--",
        ]
        return argv + command

    def base_env(self) -> dict[str, str]:
        from sidebyside import devices

        if self._backend is None:
            # setup() probes the C++ compiler with a test build in every kernel; the answer is the same
            # for every sandbox on this machine (same /usr), so find it once here and pass it on.
            self._backend = devices.compile_backend()
        return {
            devices.COMPILE_BACKEND_ENV: self._backend,
            "PATH": f"{os.path.dirname(self.python)}:/usr/bin:/bin",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/mpl",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "KMP_WARNINGS": "0",
        }

    def run(self, workdir: Path, command: list[str], stdin: bytes = b"",
            env: dict[str, str] | None = None, max_output: int = 32 * 2**20) -> SandboxResult:
        """Run `command` in the sandbox with `workdir` as its only writable folder."""
        workdir = Path(workdir)
        os.chown(workdir, NOBODY, NOBODY)
        for root, dirs, files in os.walk(workdir):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), NOBODY, NOBODY)
        full_env = self.base_env() | (env or {})
        argv = self.argv(workdir, command, full_env)
        start = time.monotonic()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        truncated = {"flag": False}

        def drain(stream, key, cap):
            size = 0
            while True:
                block = stream.read(65536)
                if not block:
                    break
                if size < cap:
                    chunks[key].append(block[: cap - size])
                    truncated["flag"] |= size + len(block) > cap
                size += len(block)

        readers = [
            threading.Thread(target=drain, args=(proc.stdout, "out", max_output), daemon=True),
            threading.Thread(target=drain, args=(proc.stderr, "err", 256 * 1024), daemon=True),
        ]
        for t in readers:
            t.start()
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        timed_out = False
        try:
            proc.wait(timeout=self.limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
        for t in readers:
            t.join(timeout=10)
        return SandboxResult(
            returncode=proc.returncode, stdout=b"".join(chunks["out"]),
            stderr=b"".join(chunks["err"]), timed_out=timed_out,
            seconds=time.monotonic() - start, truncated=truncated["flag"],
        )


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the sandbox's process group; its pid namespace takes every other process with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check_available(sandbox: Sandbox | None = None) -> None:
    """Raise SandboxUnavailable with a clear reason unless a sandbox can really be created here."""
    import tempfile

    sandbox = sandbox or Sandbox()
    with tempfile.TemporaryDirectory(prefix="sbx-check-") as tmp:
        try:
            result = sandbox.run(Path(tmp), [sandbox.python, "-c", "print('sandbox-ok')"])
        except OSError as err:
            raise SandboxUnavailable(f"cannot start bubblewrap: {err}") from err
    if result.returncode != 0 or b"sandbox-ok" not in result.stdout:
        raise SandboxUnavailable(
            "bubblewrap could not create the grading sandbox here "
            f"(exit {result.returncode}): {result.stderr.decode(errors='replace').strip()[-600:]}\n"
            "The grader needs user/pid/net namespaces (run as root, or enable unprivileged user "
            "namespaces: sysctl kernel.unprivileged_userns_clone=1). It refuses to grade unsandboxed."
        )
