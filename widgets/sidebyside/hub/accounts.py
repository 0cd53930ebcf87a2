"""Unix accounts, course copies and exchange folders for the classroom hub (runs as root in the hub).

JupyterHub's NativeAuthenticator keeps *hub* accounts (sign-up, instructor approval, passwords);
LocalProcessSpawner runs each server as the *Unix* user of the same name. `prepare(spawner)` runs
before every spawn and makes sure that user exists and is one of ours:

- A new name becomes a Unix user in the course's students group (the instructor: in its instructors
  group) with a private home (0700): students cannot read each other's files.
- An existing Unix user is accepted only if it is in one of the course's groups, so a sign-up named
  `root`, `daemon` or a staff account never gets a server running as that account.
- The course (course/, labs/) is copied into a new home once; the student's edits are never
  overwritten. The instructor also gets graded/ (sources, checks) as the nbgrader course folder.
- The exchange tree is made as described in `sidebyside.hub.exchange`.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]  # widgets/sidebyside/hub/accounts.py -> repository
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")  # portable Unix user names (useradd's own rule)


@dataclass
class Classroom:
    """Where things live; every field can be set from the environment (see hub/README.md)."""

    instructor: str = "instructor"
    groups: str = "sidebyside"  # -> groups "<groups>-students" and "<groups>-instructors"
    homes: Path = Path("/home")
    exchange: Path = Path("/srv/nbgrader/exchange")
    course_id: str = "sidebyside"
    repo: Path = REPO
    install: Path | None = None  # the students' installation (sidebyside.hub.install), if built

    @classmethod
    def from_env(cls, env=os.environ) -> Classroom:
        room = cls()
        room.instructor = env.get("SIDEBYSIDE_HUB_INSTRUCTOR", room.instructor)
        room.groups = env.get("SIDEBYSIDE_HUB_GROUPS", room.groups)
        room.homes = Path(env.get("SIDEBYSIDE_HUB_HOMES", room.homes))
        room.exchange = Path(env.get("SIDEBYSIDE_HUB_EXCHANGE", room.exchange))
        room.repo = Path(env.get("SIDEBYSIDE_HUB_REPO", room.repo))  # where course/ is copied from
        return room

    @property
    def students_group(self) -> str:
        return f"{self.groups}-students"

    @property
    def instructors_group(self) -> str:
        return f"{self.groups}-instructors"

    @property
    def course_path(self) -> Path:
        return self.exchange / self.course_id

    def role(self, name: str) -> str:
        return "instructor" if name == self.instructor else "student"


class NotACourseAccount(PermissionError):
    """A hub name that must not get a server (bad Unix name, or a system account not in the course)."""


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", name], check=True, capture_output=True)
        return grp.getgrnam(name).gr_gid


def ensure_user(room: Classroom, name: str) -> pwd.struct_passwd:
    """The Unix account for hub user `name`, created if missing; refuses accounts not of this course."""
    if not NAME.match(name):
        raise NotACourseAccount(f"{name!r} is not a valid Unix user name for a course account")
    group = room.instructors_group if name == room.instructor else room.students_group
    ensure_group(room.students_group)
    ensure_group(room.instructors_group)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        room.homes.mkdir(parents=True, exist_ok=True)
        subprocess.run(["useradd", "--create-home", "--base-dir", str(room.homes),
                        "--shell", "/bin/bash", "--gid", group, "--key", "UMASK=0077", name],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(name)
        os.chmod(entry.pw_dir, 0o700)
        return entry
    if name not in grp.getgrnam(group).gr_mem and entry.pw_gid != grp.getgrnam(group).gr_gid:
        raise NotACourseAccount(f"the Unix user {name!r} exists and is not in group {group}: "
                                "it is not a course account, so it gets no server")
    return entry


def copy_once(src: Path, dest: Path, uid: int, gid: int, skip: tuple[str, ...] = ()) -> None:
    """Copy a folder into a home unless it is there already (a student's work is never replaced)."""
    if dest.exists() or not src.is_dir():
        return
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", *skip))
    for root, dirs, files in os.walk(dest):
        for item in dirs + files:
            os.lchown(os.path.join(root, item), uid, gid)
    os.lchown(dest, uid, gid)


# A Jupyter terminal runs `bash -l`: /etc/profile resets PATH, so `sidebyside` and `nbgrader` would
# be "command not found". A login shell reads ~/.bash_profile (before ~/.profile, which it sources).
BASH_PROFILE = """# Written by the class hub: a Jupyter terminal is a login shell, and /etc/profile resets PATH.
[ -f ~/.profile ] && . ~/.profile
if [ -n "$SIDEBYSIDE_CLASS_BIN" ]; then
  case ":$PATH:" in *":$SIDEBYSIDE_CLASS_BIN:"*) ;; *) PATH="$SIDEBYSIDE_CLASS_BIN:$PATH" ;; esac
fi
"""


def copy_course(room: Classroom, user: pwd.struct_passwd) -> None:
    home = Path(user.pw_dir)
    teacher = user.pw_name == room.instructor
    # students' copies come from the students' installation, never from the repository
    source = room.repo if teacher or room.install is None else room.install
    for folder in ("course", "labs"):
        copy_once(source / folder, home / folder, user.pw_uid, user.pw_gid,
                  skip=() if teacher else ("teacher",))
    if teacher:  # the nbgrader course folder: sources, checks, config
        copy_once(room.repo / "graded", home / "graded", user.pw_uid, user.pw_gid)
    profile = home / ".bash_profile"
    if not profile.exists() and not profile.is_symlink():
        fd = os.open(profile, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w") as fh:
            fh.write(BASH_PROFILE)
        os.lchown(profile, user.pw_uid, user.pw_gid)


def _make_dir(path: Path, uid: int, gid: int, mode: int) -> None:
    path.mkdir(exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def ensure_exchange(room: Classroom, instructor: pwd.struct_passwd) -> None:
    """The exchange's shared part: root-owned root, instructor-owned course tree."""
    room.exchange.mkdir(parents=True, exist_ok=True)
    os.chown(room.exchange, 0, 0)
    os.chmod(room.exchange, 0o755)
    uid, gid = instructor.pw_uid, instructor.pw_gid
    _make_dir(room.course_path, uid, gid, 0o755)
    _make_dir(room.course_path / "outbound", uid, gid, 0o755)
    _make_dir(room.course_path / "inbound", uid, gid, 0o711)
    _make_dir(room.course_path / "feedback", uid, gid, 0o711)


def ensure_inbound(room: Classroom, student: pwd.struct_passwd) -> None:
    """inbound/<student>: the student writes, the instructors' group reads, nobody else enters."""
    path = room.course_path / "inbound" / student.pw_name
    _make_dir(path, student.pw_uid, grp.getgrnam(room.instructors_group).gr_gid, 0o2770)


def prepare(room: Classroom, name: str) -> pwd.struct_passwd:
    """Everything a user needs before their first server starts; cheap when already done."""
    instructor = ensure_user(room, room.instructor)
    ensure_exchange(room, instructor)
    copy_course(room, instructor)
    user = instructor if name == room.instructor else ensure_user(room, name)
    if user is not instructor:
        copy_course(room, user)
        ensure_inbound(room, user)
    return user


def blocked_folders(path: Path) -> list[Path]:
    """Folders on the way to `path` that other users cannot enter (no o+x): a server running as a
    student cannot start an interpreter that lives below one (e.g. a Python built in /root)."""
    blocked = []
    for folder in reversed(Path(os.path.realpath(path)).parents):
        if not os.stat(folder).st_mode & 0o001:
            blocked.append(folder)
    return blocked


def interpreter_problem(python: str) -> str | None:
    """Why students could not run this interpreter, or None when they can."""
    blocked = blocked_folders(Path(python))
    if not blocked:
        return None
    return (f"the Python that serves the students ({os.path.realpath(python)}) is inside "
            f"{', '.join(map(str, blocked))}, which other users cannot enter. Build the environment "
            "from a Python they can run (make setup PYTHON=/usr/bin/python3.11), or let them pass "
            f"through (chmod o+x {' '.join(map(str, blocked))}).")
