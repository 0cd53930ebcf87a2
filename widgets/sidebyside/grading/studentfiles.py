"""Opening a student's folder from the grader's (privileged) process without trusting it.

The grader reads exactly two things there itself: the notebook and `timestamp.txt`. Everything else in
the folder reaches the sandbox only, copied in there by the sandbox (`sandbox.py`). These reads never
follow a symbolic link (at any step inside the submitted/ folder), never open anything that is not a
regular file (a FIFO would block, a device could be anything), and never read more than a bound.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class StudentFileError(Exception):
    """A student file that cannot be read safely; the message is the student-facing reason."""


# What a submission is, decided once for every backend (local threads and Dask workers alike):
# `submitted/<student>/<assignment>` where both are real folders, not links. A link could point at the
# instructor's source (`evil -> ../source`) or at another student's work (`twin -> alice`): it is
# refused with one of these reasons, scores 0 and gets no autograded copy, whatever grades it.
STUDENT_LINK = "the student folder is a symbolic link (to someone else's files?)"
STUDENT_NOT_FOLDER = "the student folder is not a folder"
SUBMISSION_LINK = "the submission folder is a symbolic link (to someone else's files?)"
SUBMISSION_NOT_FOLDER = "the submission folder is not a folder"
FOLDER_REFUSED = "the submission folder is a symbolic link or not a folder"


def submission_problem(root: Path, student: str, assignment: str) -> str | None:
    """Why `root/<student>/<assignment>` is not a submission to grade (one of the reasons above),
    None if it is one, or "" if the student submitted nothing for this assignment.
    Nothing is followed: each component is looked at with lstat."""
    try:
        entry = os.lstat(os.path.join(root, student))
    except OSError:
        return ""
    if stat.S_ISLNK(entry.st_mode):
        return STUDENT_LINK
    if not stat.S_ISDIR(entry.st_mode):
        return STUDENT_NOT_FOLDER
    try:
        folder = os.lstat(os.path.join(root, student, assignment))
    except OSError:
        return ""
    if stat.S_ISLNK(folder.st_mode):
        return SUBMISSION_LINK
    if not stat.S_ISDIR(folder.st_mode):
        return SUBMISSION_NOT_FOLDER
    return None


def open_folder(folder: Path, readable: bool = False) -> int:
    """An O_PATH descriptor (a readable one if `readable`) of the submission folder
    `.../<student>/<assignment>`, opened without following a link in either of its last two
    components (the caller closes it)."""
    folder = Path(folder)
    kind = os.O_RDONLY if readable else os.O_PATH
    flags = kind | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        parent = os.open(folder.parent.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise StudentFileError(f"the submissions folder cannot be opened ({err.strerror})") from err
    try:
        student = os.open(folder.parent.name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=parent)
        try:
            return os.open(folder.name, flags, dir_fd=student)
        finally:
            os.close(student)
    except OSError as err:
        raise StudentFileError(FOLDER_REFUSED) from err
    finally:
        os.close(parent)


def read_bounded(folder_fd: int, name: str, max_bytes: int) -> bytes:
    """The content of the regular file `name` in the folder, at most `max_bytes` long."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC,
                     dir_fd=folder_fd)
    except FileNotFoundError as err:
        raise StudentFileError(f"there is no {name}") from err
    except OSError as err:  # ELOOP: a symbolic link
        raise StudentFileError(f"{name} is a symbolic link or cannot be opened "
                               f"({err.strerror})") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StudentFileError(f"{name} is not a regular file")
        if info.st_size > max_bytes:
            raise StudentFileError(f"{name} is larger than {_size(max_bytes)}")
        chunks, size = [], 0
        while size <= max_bytes:  # the file may grow while we read: the bound holds anyway
            block = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > max_bytes:
            raise StudentFileError(f"{name} is larger than {_size(max_bytes)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 else f"{n} bytes"
