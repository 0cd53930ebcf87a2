"""A process and memory budget per sandbox: one control group each.

RLIMIT_NPROC and RLIMIT_AS are per user and per process: they cannot stop one submission's fork bomb
from taking the processes, or its many processes from taking the memory, that a neighbour needs. A
control group can: `pids.max` counts every process and thread in the group, the memory limit counts
all their memory together (files in the sandbox's tmpfs included), and a `cpu` group (when present)
gives the group, not each of its processes, one fair share of the CPU.

Both layouts exist in the wild: cgroup v1 (one hierarchy per controller, as on this project's CI
machine) and cgroup v2 (one unified hierarchy). Groups are created below the grader's OWN group, so
whatever limits the grader itself runs under still apply to its sandboxes. `detect()` says which
layout works here, or why none does (the grader then runs one sandbox at a time).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("pids", "memory")
OPTIONAL = ("cpu",)
_counter = itertools.count()


@dataclass
class Layout:
    version: int  # 1 or 2
    parents: dict[str, Path]  # controller -> the grader's own group folder (v2: one folder for all)

    def describe(self) -> str:
        return f"cgroup v{self.version} ({', '.join(sorted(self.parents))})"


@dataclass
class Group:
    """One sandbox's control group(s); `procs_files` are what a process writes its pid into."""

    layout: Layout
    folders: dict[str, Path] = field(default_factory=dict)

    @property
    def procs_files(self) -> list[str]:
        return sorted({str(f / "cgroup.procs") for f in self.folders.values()})

    def events(self) -> dict[str, int]:
        """How often the limits bit: {"process_limit": n, "oom_kill": n}."""
        out = {"process_limit": 0, "oom_kill": 0}
        pids = self.folders.get("pids")
        if pids:
            out["process_limit"] = _keyed(pids / "pids.events").get("max", 0)
        memory = self.folders.get("memory")
        if memory:
            name = "memory.events" if self.layout.version == 2 else "memory.oom_control"
            out["oom_kill"] = _keyed(memory / name).get("oom_kill", 0)
        return out

    def remove(self, timeout: float = 10.0) -> None:
        """Kill whatever is left in the group and delete it (bounded in time)."""
        deadline = time.monotonic() + timeout
        for folder in {str(f): f for f in self.folders.values()}.values():
            while folder.exists():
                for pid in _pids(folder):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break  # left behind, empty of live processes soon; never block grading
                    time.sleep(0.05)


def _keyed(path: Path) -> dict[str, int]:
    out = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                out[key] = int(value)
    except OSError:
        pass
    return out


def _pids(folder: Path) -> list[int]:
    try:
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, mount root, fs type, super options) of every cgroup mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rfields = left.split(), right.split()
            if len(rfields) >= 3 and rfields[0] in ("cgroup", "cgroup2"):
                out.append((fields[4], fields[3], rfields[0], set(rfields[2].split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> this process's group path, from /proc/self/cgroup."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    return out


def _folder(mount_point: str, mount_root: str, path: str) -> Path:
    rel = path[len(mount_root):] if mount_root != "/" and path.startswith(mount_root) else path
    return Path(mount_point) / rel.lstrip("/")


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


def detect() -> tuple[Layout | None, str]:
    """The layout that can give each sandbox its own group here, and a one-line description (or
    the reason why none can)."""
    try:
        mounts, own = _mounts(), _own_paths()
    except OSError as err:
        return None, f"cannot read this process's control groups ({err})"
    v1 = {}
    for point, root, fstype, opts in mounts:
        for c in (*REQUIRED, *OPTIONAL):
            if fstype == "cgroup" and c in opts and c in own and c not in v1:
                v1[c] = _folder(point, root, own[c])
    if all(c in v1 and _writable(v1[c]) for c in REQUIRED):
        return Layout(1, {c: f for c, f in v1.items() if _writable(f)}), "cgroup v1"
    reasons = []
    for point, root, fstype, _ in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        folder = _folder(point, root, own[""])
        try:
            available = set((folder / "cgroup.controllers").read_text().split())
            enabled = set((folder / "cgroup.subtree_control").read_text().split())
        except OSError:
            continue
        missing = [c for c in REQUIRED if c not in available]
        if missing:
            reasons.append(f"cgroup v2 at {folder} lacks the {', '.join(missing)} controller(s)")
            continue
        wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in available and c not in enabled]
        try:
            for c in wanted:
                (folder / "cgroup.subtree_control").write_text(f"+{c}")
        except OSError as err:
            if any(c in REQUIRED for c in wanted):
                reasons.append(f"cgroup v2 at {folder}: cannot enable pids/memory for child groups "
                               f"({err.strerror}); run the grader in a delegated group with them "
                               "enabled in cgroup.subtree_control")
                continue
        if _writable(folder):
            controllers = {c: folder for c in (*REQUIRED, *OPTIONAL)
                           if c in set((folder / "cgroup.subtree_control").read_text().split())}
            return Layout(2, controllers), "cgroup v2"
        reasons.append(f"cgroup v2 at {folder} is not writable by this user")
    if not reasons:
        reasons.append("no writable pids and memory control groups (cgroup v1 or v2) are mounted")
    return None, "; ".join(reasons)


def remove_stale(layout: Layout) -> int:
    """Delete the empty groups left by graders that died (SIGKILL skips every cleanup; their
    sandboxes died with them through --die-with-parent). Returns how many were removed."""
    removed = 0
    for parent in set(layout.parents.values()):
        for folder in parent.glob("sidebyside-*-*"):
            try:
                os.kill(int(folder.name.split("-")[1]), 0)
                continue  # its grader is alive (or the pid was reused): leave it
            except ProcessLookupError:
                pass
            except (ValueError, PermissionError):
                continue
            try:
                folder.rmdir()
                removed += 1
            except OSError:
                pass  # not empty (yet): a later run tries again
    return removed


def create(layout: Layout, processes: int, memory_bytes: int) -> Group:
    """A new group for one sandbox, with its limits set (removed again if a limit cannot be set)."""
    name = f"sidebyside-{os.getpid()}-{next(_counter)}"
    group = Group(layout)
    try:
        for controller, parent in layout.parents.items():
            folder = parent / name
            if layout.version == 2 and group.folders:
                group.folders[controller] = next(iter(group.folders.values()))
                continue
            folder.mkdir()
            group.folders[controller] = folder
        pids, memory = group.folders["pids"], group.folders["memory"]
        (pids / "pids.max").write_text(str(processes))
        cpu = group.folders.get("cpu")
        if cpu:
            # the group weighs as much as one busy process per core, whatever runs outside it:
            # a sandbox's threads together get what they would get without the group, while a
            # sandbox with a thousand busy processes still gets only that one share
            cores = len(os.sched_getaffinity(0))
            if layout.version == 1:
                (cpu / "cpu.shares").write_text(str(1024 * cores))
            else:
                (cpu / "cpu.weight").write_text(str(min(10_000, 100 * cores)))
        if layout.version == 1:
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():  # memory + swap: no escaping the limit into swap
                swap.write_text(str(memory_bytes))
        else:
            (memory / "memory.max").write_text(str(memory_bytes))
            if (memory / "memory.swap.max").exists():
                (memory / "memory.swap.max").write_text("0")
    except OSError:
        group.remove()
        raise
    return group
