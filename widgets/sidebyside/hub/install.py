"""The students' installation: what their servers run and read, and nothing instructor-only.

The repository holds the answers (graded/source: solutions and hidden tests; graded/checks; the
teacher guides in course/teacher; answer keys in answers/; its .git history has all of them). If
students' servers ran the repository's .venv and widgets/, the repository would have to be readable
by every student, and so would the answers. Instead the hub (as root) builds, at each start:

    <install>/                root 0755
        venv/                 the repository's .venv, hard-linked (no copy: same files, ~10 s for
                              ~90k links), its scripts and the package's .pth pointing here
        widgets/sidebyside/   a copy of the package (graph capture, widgets, self-checks, grader)
        course/ labs/         the student material, without course/teacher/
        user-config/          hub/user-config (JUPYTER_CONFIG_PATH of every server)
        student-config/       lab settings for students only (no Formgrader or Create assignment)

and closes the repository to other users (`chmod o-rwx`): the instructor's copy of graded/ is made
from it by root, students never need it.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

# Folders of the repository that students get; anything else stays with the instructor.
STUDENT_MATERIAL = ("course", "labs")
# Inside those, what is for teachers only.
TEACHER_ONLY = ("teacher",)
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", *TEACHER_ONLY)


def _replace_dir(build, dest: Path) -> None:
    """Build a folder next to `dest` then swap it in, so a running server sees old or new, whole."""
    new = dest.with_name(dest.name + ".new")
    old = dest.with_name(dest.name + ".old")
    for p in (new, old):
        shutil.rmtree(p, ignore_errors=True)
    build(new)
    if dest.exists():
        os.rename(dest, old)
    os.rename(new, dest)
    shutil.rmtree(old, ignore_errors=True)


def _open_tree(path: Path) -> None:
    """Readable by everyone (the install holds only what students may read), owned by root."""
    for root, dirs, files in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                mode = os.lstat(p).st_mode
                os.chmod(p, 0o755 if mode & 0o111 else 0o644)
    os.chmod(path, 0o755)


def _venv_stamp(venv: Path) -> str:
    """Changes when packages are installed or removed (pip touches these folders)."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    return f"{venv.resolve()} {os.stat(site).st_mtime_ns} {os.stat(venv / 'bin').st_mtime_ns}\n"


def link_venv(venv: Path, dest: Path, final: Path, widgets: Path) -> None:
    """Hard-link `venv` into `dest` (renamed to `final` afterwards), rewriting what names the old
    place (scripts' #! lines, the editable install's .pth) so that nothing in the copy leads back
    into the repository."""
    old = str(venv)
    try:
        subprocess_cp(venv, dest)
    except OSError:  # another filesystem: no hard links, copy (slow, once)
        shutil.copytree(venv, dest, symlinks=True)
    for script in (dest / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        with open(script, "rb") as fh:
            head = fh.read(2)
            if head != b"#!":
                continue
            text = head + fh.read()
        if old.encode() in text:
            script.unlink()  # a new inode: the repository's script keeps its own #! line
            script.write_bytes(text.replace(old.encode(), str(final).encode()))
            os.chmod(script, 0o755)
    site = next((dest / "lib").glob("python3*/site-packages"))
    for pth in site.glob("__editable__*sidebyside*.pth"):
        pth.unlink()
        pth.write_text(f"{widgets}\n")
    for finder in site.glob("__editable___sidebyside*finder.py"):
        finder.unlink()  # a setuptools finder would map the package back to the repository


def subprocess_cp(src: Path, dest: Path) -> None:
    import subprocess

    r = subprocess.run(["cp", "-al", str(src), str(dest)], capture_output=True, text=True)
    if r.returncode:
        shutil.rmtree(dest, ignore_errors=True)
        raise OSError(r.stderr.strip())


def build(repo: Path, dest: Path, venv: Path | None = None) -> Path:
    """Make or refresh the students' installation in `dest`; returns its Python's bin folder."""
    venv = Path(venv or sys.prefix)
    dest.mkdir(parents=True, exist_ok=True)
    os.chown(dest, 0, 0)
    os.chmod(dest, 0o755)
    widgets = dest / "widgets"
    package = Path(__file__).resolve().parents[1]  # the sidebyside package being run

    def copy_package(new: Path) -> None:
        new.mkdir()
        shutil.copytree(package, new / "sidebyside", ignore=shutil.ignore_patterns("__pycache__"))

    _replace_dir(copy_package, widgets)
    for folder in STUDENT_MATERIAL:
        if (repo / folder).is_dir():
            _replace_dir(lambda new, f=folder: shutil.copytree(repo / f, new, ignore=SKIP),
                         dest / folder)
    _replace_dir(lambda new: shutil.copytree(repo / "hub" / "user-config", new), dest / "user-config")
    _replace_dir(_student_config, dest / "student-config")

    stamp = dest / "venv.stamp"
    if not (dest / "venv").exists() or not stamp.exists() or stamp.read_text() != _venv_stamp(venv):
        _replace_dir(lambda new: link_venv(venv, new, dest / "venv", widgets), dest / "venv")
        stamp.write_text(_venv_stamp(venv))
    for path in [widgets, dest / "user-config", dest / "student-config",
                 *(dest / f for f in STUDENT_MATERIAL if (dest / f).exists())]:
        _open_tree(path)
    return dest / "venv" / "bin"


# nbgrader's lab extension: students keep the Assignments tab and Validate; the instructor's menus
# (Formgrader, Create assignment, Courses) only lead to a 404 in a student's server.
STUDENT_DISABLED = {
    "@jupyter/nbgrader:formgrader": True,
    "@jupyter/nbgrader:create-assignment": True,
    "@jupyter/nbgrader:course-list": True,
}


def _student_config(new: Path) -> None:
    import json

    (new / "labconfig").mkdir(parents=True)
    (new / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": STUDENT_DISABLED}, indent=1) + "\n")


def close_repository(repo: Path) -> int:
    """Other users lose access to the repository (answers, checks, history); returns the old mode."""
    mode = stat.S_IMODE(os.stat(repo).st_mode)
    if mode & 0o007:
        os.chmod(repo, mode & ~0o007)
    return mode
