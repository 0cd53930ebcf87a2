"""Run one command in a bubblewrap sandbox with resource limits and a wall-clock limit.

What the sandboxed process sees (an allow-list, not a deny-list):
- the system's /usr (read-only), the Python installation and the virtualenv (read-only), the
  `sidebyside` package source (read-only: an editable install points there);
- a COPY of the submission folder at /submission and a private /tmp: both live in one tmpfs of its
  own, bounded in bytes and in files (inodes), the only writable places;
- /proc of its own pid namespace, a minimal /dev (nothing in it writable).
Nothing else of the repository exists in there: no graded/source, no gradebook, no other submission,
no checks. No network (its own empty network namespace). It runs as a uid of its own (`uids.py`), with
no capabilities and no_new_privs (bubblewrap sets it).

The copy is made INSIDE the sandbox, before any student code runs: the original folder is bound
read-only (by file descriptor, opened without following links), a short root shell in the sandbox's
own mount namespace mounts the bounded tmpfs, copies the folder without following links (FIFOs and
links are copied as what they are), hands it to the sandbox's uid, hides the original and drops to
that uid. So the grader's process never opens a student's file there, a folder too big for the
budget fails with a reason, and cleanup is the kernel freeing the tmpfs when the sandbox ends (its
time counted as the submission's).

Limits: per process (prlimit) address space, CPU seconds, processes, file size, open files; per
sandbox (a control group of its own, `cgroups.py`) processes+threads, memory (files in its tmpfs
included) and a fair CPU share; the tmpfs's bytes and inodes; the report channel's size (the sandbox
is stopped when it floods it); and a wall-clock limit for the WHOLE run enforced from outside: the
sandbox's process group is killed, and because the sandbox has its own pid namespace, every process in
it (including ones that called setsid() to escape the group) dies with it; --die-with-parent covers a
crashed grader. Where no control group can be made, sandboxes run one at a time (`isolation()`).
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

from sidebyside.grading import cgroups, uids

MOUNT_POINT = "/submission"
SETUP_FAILED = 97  # exit status of the sandbox's setup shell when the folder cannot be copied in
SETUP_TAG = "sidebyside-sandbox-setup: "

# Runs as root inside the sandbox's own mount and pid namespaces, before any student code exists.
# $1 bytes, $2 inodes, $3 uid, $4 how many host folders to show again over the private /tmp, then
# those folders; then the command to exec as that uid. (A checkout under /tmp, as CI may use, holds
# the venv and the package: the private /tmp would hide them, so they are staged at /.host first.)
SETUP_SHELL = r"""
size=$1 inodes=$2 uid=$3 n=$4
shift 4
fail() { printf 'sidebyside-sandbox-setup: %s\n' "$1" >&2; exit 97; }
mount -t tmpfs -o "size=$size,nr_inodes=$inodes,mode=0755,nosuid,nodev" sandbox /.rw \
  || fail "cannot mount the sandbox's tmpfs"
mkdir /.rw/submission /.rw/tmp && chmod 1777 /.rw/tmp || fail "cannot prepare the tmpfs"
errors=$(cp -RP --preserve=mode,timestamps /.submitted/. /.rw/submission/ 2>&1) \
  || fail "copy: $(printf '%s' "$errors" | head -c 300)"
chown -R -h "$uid:$uid" /.rw/submission || fail "cannot hand the copy to the sandbox user"
mount --bind /.rw/submission /submission && mount --bind /.rw/tmp /tmp && umount /.rw \
  && umount /.submitted || fail "cannot mount the copy"
while [ "$n" -gt 0 ]; do
  mkdir -p "$1" && mount --bind "/.host$1" "$1" && mount -o remount,bind,ro "$1" \
    || fail "cannot show $1"
  shift
  n=$((n - 1))
done
cd /submission || fail "cannot enter the copy"
exec "$@"
"""

# Runs on the host: puts itself (and so the whole sandbox) into the sandbox's control groups.
JOIN_SHELL = r"""
n=$1
shift
while [ "$n" -gt 0 ]; do
  echo $$ > "$1" || exit 125
  shift
  n=$((n - 1))
done
exec "$@"
"""
JOIN_FAILED = 125

_unisolated = threading.Lock()  # held by every sandbox run where no control group can be made


# How the sandbox starts the grader's runner. -P: the submission's folder (the working directory)
# is not put first on sys.path, so nothing the student wrote can stand in for a module the runner
# imports before the first cell; the runner adds it afterwards, as a notebook kernel has it.
RUNNER = ["-P", "-m", "sidebyside.grading.runner"]


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here. We never grade unsandboxed."""


@dataclass
class Limits:
    wall_seconds: float = 180.0  # the whole notebook, enforced from outside
    cell_seconds: float = 60.0  # each cell and each probe, enforced inside (SIGALRM)
    memory_bytes: int = 6 * 2**30  # each process's address space (RLIMIT_AS: torch+TF map about
    #                               2 GiB) and, where control groups exist, the whole sandbox's memory
    cpu_seconds: int = 600  # RLIMIT_CPU
    processes: int = 1024  # processes and threads of the sandbox (pids.max and its uid's RLIMIT_NPROC)
    file_bytes: int = 64 * 2**20  # RLIMIT_FSIZE
    open_files: int = 1024  # RLIMIT_NOFILE
    disk_bytes: int = 512 * 2**20  # the sandbox's tmpfs (/submission + /tmp): bytes...
    disk_inodes: int = 20_000  # ...and files, folders and links
    report_bytes: int = 32 * 2**20  # the report channel (stdout); the sandbox is stopped past it


@dataclass
class SandboxResult:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float  # including the cleanup of everything the sandbox left behind
    truncated: bool = False  # stdout or stderr went past its cap
    flooded: bool = False  # stdout went past limits.report_bytes: the sandbox was stopped there
    setup_error: str | None = None  # the submitted folder could not be copied into the sandbox
    events: dict[str, int] = field(default_factory=dict)  # cgroups.Group.events()
    uid: int | None = None


_isolation: tuple[cgroups.Layout | None, str] | None = None


def isolation() -> tuple[cgroups.Layout | None, str]:
    """Whether concurrent sandboxes get separate process and memory budgets here, and how (or why
    not: then every sandbox run in this process waits for the previous one)."""
    global _isolation
    if _isolation is None:
        _isolation = cgroups.detect()
        if _isolation[0] is not None:
            cgroups.remove_stale(_isolation[0])
    return _isolation


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

    def argv(self, folder_fd: int, command: list[str], env: dict[str, str], uid: int) -> list[str]:
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
        argv += ["--proc", "/proc", "--dev", "/dev", "--dir", "/tmp", "--dir", "/.rw"]
        hidden = []  # host folders under /tmp or /submission, which the setup shell mounts over
        for path in self._python_paths():
            under_private = any(path == p or path.startswith(p + "/") for p in ("/tmp", MOUNT_POINT))
            if under_private:
                hidden.append(path)
            target = "/.host" + path if under_private else path
            # parents created by bwrap get mode 0755 so that the sandbox's uid can traverse them
            parents = []
            parent = os.path.dirname(target)
            while parent not in ("/", ""):
                parents.append(parent)
                parent = os.path.dirname(parent)
            for parent in reversed(parents):
                argv += ["--perms", "0755", "--dir", parent]
            argv += ["--ro-bind", path, target]
        argv += ["--ro-bind-fd", str(folder_fd), "/.submitted", "--dir", MOUNT_POINT,
                 "--chdir", "/", "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += [
            "--",
            "/bin/sh", "-c", SETUP_SHELL, "sandbox-setup",
            str(lim.disk_bytes), str(lim.disk_inodes), str(uid), str(len(hidden)), *hidden,
            "/usr/bin/prlimit",
            f"--as={lim.memory_bytes}",
            f"--cpu={lim.cpu_seconds}",
            f"--nproc={lim.processes}",
            f"--fsize={lim.file_bytes}",
            f"--nofile={lim.open_files}",
            "--core=0",
            "--",
            "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
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
        import sidebyside

        return {
            devices.COMPILE_BACKEND_ENV: self._backend,
            # the package this grader runs, whichever checkout it is (an editable install's .pth
            # may name another one, which the sandbox does not show)
            "PYTHONPATH": str(Path(sidebyside.__file__).resolve().parent.parent),
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

    def run(self, folder: Path, command: list[str], stdin: bytes = b"",
            env: dict[str, str] | None = None, folder_fd: int | None = None) -> SandboxResult:
        """Run `command` in the sandbox, in a bounded writable copy of `folder` (the original is
        never written). `folder_fd`: the folder already opened with `studentfiles.open_folder`."""
        layout, _ = isolation()
        own_fd = None
        if folder_fd is None:
            own_fd = folder_fd = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW
                                         | os.O_CLOEXEC)
        serial = _unisolated if layout is None else None
        try:
            if serial:
                serial.acquire()
            with uids.borrowed_uid() as uid:
                return self._run(folder_fd, command, stdin, env, uid, layout)
        finally:
            if serial:
                serial.release()
            if own_fd is not None:
                os.close(own_fd)

    def _run(self, folder_fd: int, command: list[str], stdin: bytes, env: dict[str, str] | None,
             uid: int, layout: cgroups.Layout | None) -> SandboxResult:
        lim = self.limits
        argv = self.argv(folder_fd, command, self.base_env() | (env or {}), uid)
        group = cgroups.create(layout, lim.processes, lim.memory_bytes) if layout else None
        if group:
            argv = ["/bin/sh", "-c", JOIN_SHELL, "sandbox-join", str(len(group.procs_files)),
                    *group.procs_files, *argv]
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True, pass_fds=(folder_fd,),
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
        except OSError:
            if group:
                group.remove()
            raise
        chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        flags = {"truncated": False, "flooded": False}

        def drain(stream, key, cap):
            size = 0
            while True:
                block = stream.read(65536)
                if not block:
                    break
                if size < cap:
                    chunks[key].append(block[: cap - size])
                if size + len(block) > cap:
                    flags["truncated"] = True
                    if key == "out" and not flags["flooded"]:
                        flags["flooded"] = True
                        _killpg(proc)  # nothing it says from now on can be read: stop it now
                size += len(block)

        readers = [
            threading.Thread(target=drain, args=(proc.stdout, "out", lim.report_bytes), daemon=True),
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
            proc.wait(timeout=lim.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
        for t in readers:
            t.join(timeout=10)
        events = {}
        if group:
            events = group.events()
            group.remove()
        if proc.returncode == JOIN_FAILED and group:
            raise RuntimeError("could not move the sandbox into its control group")
        stderr = b"".join(chunks["err"])
        setup_error = None
        if proc.returncode == SETUP_FAILED and stderr.startswith(SETUP_TAG.encode()):
            setup_error = stderr[len(SETUP_TAG):].decode("utf-8", "replace").strip()
        return SandboxResult(
            returncode=proc.returncode, stdout=b"".join(chunks["out"]), stderr=stderr,
            timed_out=timed_out, seconds=time.monotonic() - start, truncated=flags["truncated"],
            flooded=flags["flooded"], setup_error=setup_error, events=events, uid=uid,
        )


def _killpg(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the sandbox's process group; its pid namespace takes every other process with it."""
    _killpg(proc)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check_available(sandbox: Sandbox | None = None) -> None:
    """Raise SandboxUnavailable with a clear reason unless a sandbox can really be created here and
    the grader's runner starts in it (the import a grading run needs, with no student code)."""
    import json
    import tempfile

    sandbox = sandbox or Sandbox()
    job = json.dumps({"nonce": "check", "steps": [], "cell_seconds": 30}).encode()
    with tempfile.TemporaryDirectory(prefix="sbx-check-") as tmp:
        try:
            result = sandbox.run(Path(tmp), [sandbox.python, "-c", "print('sandbox-ok')"])
            if result.returncode == 0 and b"sandbox-ok" in result.stdout:
                runner = sandbox.run(Path(tmp), [sandbox.python, *RUNNER], stdin=job)
        except OSError as err:
            raise SandboxUnavailable(f"cannot start bubblewrap: {err}") from err
    if result.returncode != 0 or b"sandbox-ok" not in result.stdout:
        raise SandboxUnavailable(
            "bubblewrap could not create the grading sandbox here "
            f"(exit {result.returncode}): {result.stderr.decode(errors='replace').strip()[-600:]}\n"
            "The grader needs to run as root (it mounts a bounded tmpfs in the sandbox and runs it "
            "as a uid of its own) with user/pid/net namespaces available. It refuses to grade "
            "unsandboxed."
        )
    if b'@@check {"kind": "done"' not in runner.stdout:
        why = runner.stderr.decode(errors="replace").strip().splitlines()[-1:] or [
            f"exit code {runner.returncode}"]
        raise SandboxUnavailable(
            f"the grader's runner does not start in the sandbox ({why[0][:300]}): the fault is "
            "the grader's installation, not the submissions'. The sandbox shows the interpreter, "
            f"the virtualenv and the sidebyside package ({', '.join(sandbox._python_paths())}) "
            "read-only. Nothing was graded or written."
        )
