"""Copy a student's submission without ever following a link, within bounds.

nbgrader's collect runs as the instructor and copies with shutil.copytree. A student owns the folder
being copied and can change it while the copy runs: checking for symlinks first and copying after
(check-then-copy) loses the race to a student who swaps a file and a symlink in a loop
(renameat2 RENAME_EXCHANGE), and the instructor copies whatever the link points at (another
student's work, the solutions) into the submission, and back out as feedback.

Here every entry is opened relative to its parent folder's descriptor with O_NOFOLLOW: a link is
refused whatever moment it appears, and what is copied is what was opened (checked with fstat:
a regular file or a folder, owned by the student where owners mean something). Size and number of
files are counted as they are copied; past a bound the submission is refused.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat

READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class BadSubmission(Exception):
    """A submission that is not copied; the message says why (shown to the instructor)."""


class Bounds:
    def __init__(self, max_bytes: int, max_files: int):
        self.max_bytes, self.max_files = max_bytes, max_files
        self.bytes = self.files = 0

    def add(self, size: int, where: str) -> None:
        self.files += 1
        if self.files > self.max_files:
            raise BadSubmission(f"more than {self.max_files} files (at {where})")
        self.add_bytes(size, where)

    def add_bytes(self, size: int, where: str) -> None:
        self.bytes += size
        if self.bytes > self.max_bytes:
            raise BadSubmission(f"more than {self.max_bytes // 2**20} MiB (at {where})")


def open_in(dir_fd: int | None, name: str, path: str) -> int:
    try:
        return os.open(name, READ, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EMLINK):
            raise BadSubmission(f"it contains a symlink ({path})") from None
        raise BadSubmission(f"cannot open {path}: {err.strerror}") from None


def copy_tree(src_parent: str, name: str, dest: str, bounds: Bounds, owner: int | None = None,
              ignore: list[str] = (), max_file_bytes: int | None = None, log=None) -> None:
    """Copy `src_parent/name` to `dest` (which must not exist). `src_parent` is trusted (the
    instructor's inbound/ folder or a folder opened from it); everything below it is not."""
    parent = os.open(src_parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in(parent, name, name)
    finally:
        os.close(parent)
    try:
        _copy_dir(fd, name, dest, bounds, owner, list(ignore), max_file_bytes, log)
    finally:
        os.close(fd)


def _check(st: os.stat_result, path: str, owner: int | None) -> None:
    if owner is not None and st.st_uid != owner:
        raise BadSubmission(f"{path} is not the student's own file (owner uid {st.st_uid})")


def _copy_dir(fd, path, dest, bounds, owner, ignore, max_file_bytes, log) -> None:
    st = os.fstat(fd)
    if not stat.S_ISDIR(st.st_mode):
        raise BadSubmission(f"{path} is not a folder")
    _check(st, path, owner)
    os.mkdir(dest, 0o700)
    for name in sorted(os.listdir(fd)):
        where = f"{path}/{name}"
        if any(fnmatch.fnmatch(name, pattern) for pattern in ignore):
            continue
        child = open_in(fd, name, where)
        try:
            cst = os.fstat(child)
            if stat.S_ISDIR(cst.st_mode):
                bounds.add(0, where)
                _copy_dir(child, where, os.path.join(dest, name), bounds, owner, ignore,
                          max_file_bytes, log)
            elif stat.S_ISREG(cst.st_mode):
                _check(cst, where, owner)
                if cst.st_nlink > 1:  # a hard link may be another file of someone else's
                    raise BadSubmission(f"{where} is a hard link")
                bounds.add(cst.st_size, where)  # counted even if left out below
                if max_file_bytes is not None and cst.st_size > max_file_bytes:
                    if log:  # nbgrader's own rule for a big file: leave it out, say so
                        log.warning("Not collecting %s: larger than %d bytes", where, max_file_bytes)
                    continue
                _copy_file(child, os.path.join(dest, name), cst.st_size, bounds, where)
            else:
                raise BadSubmission(f"{where} is not a regular file or a folder")
        finally:
            os.close(child)


def _copy_file(fd: int, dest: str, size: int, bounds: Bounds, where: str) -> None:
    out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        copied = 0
        while chunk := os.read(fd, 1 << 20):
            copied += len(chunk)
            if copied > size:  # growing while we copy: counted against the bound as it grows
                bounds.add_bytes(len(chunk), where)
            os.write(out, chunk)
    finally:
        os.close(out)


def measure(path: str, bounds: Bounds) -> None:
    """Size and file count of a folder the student submits from (their own; links not followed)."""
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            where = os.path.join(root, name)
            st = os.lstat(where)
            bounds.add(st.st_size if stat.S_ISREG(st.st_mode) else 0, os.path.relpath(where, path))
