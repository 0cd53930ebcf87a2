"""A user id of its own for every running sandbox.

Sandboxes that share a uid share its RLIMIT_NPROC, may signal or trace each other, and show up as one
user in `ps`. Each sandbox therefore borrows a uid from a pool nobody else uses, for as long as it runs.
The pool is shared between all grading processes on the machine (several `sidebyside grade` runs, or
cluster workers): a uid is taken by holding an exclusive lock on its lock file, which the kernel
releases if the grader dies, so a crashed grader never leaks uids.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

BASE = 1_900_000_000  # far above login users (1000+), systemd's dynamic users and subuid ranges
SIZE = 4096


def lock_dir() -> Path:
    """A folder only this user can write (a world-writable one would let others squat on uids)."""
    for candidate in (Path("/run/sidebyside-grading"),
                      Path(tempfile.gettempdir()) / f"sidebyside-grading-{os.getuid()}"):
        try:
            candidate.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() \
                and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return candidate
    raise RuntimeError("no private folder for the sandbox uid locks (/run or the temp folder)")


@contextlib.contextmanager
def borrowed_uid() -> Iterator[int]:
    """A uid no other sandbox on this machine holds while the block runs."""
    folder = lock_dir()
    for offset in range(SIZE):
        fd = os.open(folder / f"uid-{BASE + offset}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield BASE + offset
        finally:
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"all {SIZE} sandbox uids are in use")
