"""Issue 18's attacks on the real classroom hub, each as a hostile student (or a TA) would try it.

On the session's hub (tests/hub/conftest.py), with three students of its own: eve (hostile), dave
(an honest classmate) and carol (on the class list, not yet logged in):

1. eve's kernel walks every file it can read: nothing carries solutions, hidden tests, checks,
   teacher guides or answer keys (the servers run from the students' installation; the
   repository is closed);
3. someone who knows the class list logs in as carol before she does: refused without the
   password issued to carol; carol herself gets in with it and must choose her own;
4-6. eve puts a symlink, too many files and a 400 MiB file into her submission, and swaps a file
   and a symlink in a loop while the instructor collects: each bad submission is skipped with its
   reason, dave is collected, nothing of the instructor's lands in eve's submission; the
   Assignments tab's Submit refuses a folder past the bounds;
2. the formgrader's Autograde button and `nbgrader autograde` refuse, naming `make hub-grade`;
and the TA's trip-ups: a login shell finds `sidebyside` and `nbgrader`; students' labs hide the
Formgrader and Create assignment menus.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from sidebyside.hub import auth
from sidebyside.hub.accounts import REPO
from sidebyside.hub.client import HubError, Person
from sidebyside.hub.local import LocalHub

COURSE, ASSIGNMENT = "sidebyside", "ps01_tensors"
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the classroom hub creates Unix users: needs root"),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd: cannot create users"),
]


def run(kernel, code: str, timeout: float = 600) -> str:
    result = kernel.run(code, timeout=timeout)
    assert result.error is None, f"{result.error}\n{result.output}"
    return result.output


def last_json(kernel, code: str, timeout: float = 600):
    return json.loads(run(kernel, code, timeout).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def holes(room: LocalHub):
    """eve and dave logged in with their own passwords and their servers running; the instructor's
    server running; ps01 released."""
    t, eve, dave, carol = room.instructor, *room.students[3:6]
    if auth.must_change(room.dbm_path, t):
        room.activate([t])
    room.hub.add_users([eve, dave, carol])
    room.issue([eve, dave])
    room.activate([eve, dave])
    for name in (t, eve, dave):
        room.hub.api("POST", f"/users/{name}/server") if not room.hub.user(name).get("servers") else None
    for name in (t, eve, dave):
        room.hub.wait_ready(name, timeout=300)
    teacher = room.server(t).kernel()
    outbound = room.exchange / COURSE / "outbound" / ASSIGNMENT
    if not outbound.exists():
        out = run(teacher, "import subprocess\n"
                  f"for cmd in (['sidebyside', 'grade', 'generate', '{ASSIGNMENT}'],\n"
                  f"            ['nbgrader', 'release_assignment', '{ASSIGNMENT}']):\n"
                  "    p = subprocess.run(cmd, cwd='graded', capture_output=True, text=True)\n"
                  "    print(cmd[1], p.returncode, p.stderr[-400:])")
        assert out.count(" 0 ") == 2, out
    yield {"t": t, "eve": eve, "dave": dave, "carol": carol, "teacher": teacher}
    teacher.close()


# ---------------------------------------------------------------- 1. nothing instructor-only

def instructor_only(teacher_home: Path) -> tuple[dict[int, list[str]], list[str]]:
    """What a student must never read: (size -> sha256s of every instructor-only file, lines that
    are in the graded sources and nowhere a student may look: solutions and hidden tests)."""
    files = [p for folder in ("graded/source", "graded/checks", "course/teacher", "answers")
             for p in (REPO / folder).rglob("*") if p.is_file()]
    files += [p for p in (teacher_home / "graded").glob("gradebook.db")]
    hashes: dict[int, list[str]] = {}
    for p in files:
        hashes.setdefault(p.stat().st_size, []).append(hashlib.sha256(p.read_bytes()).hexdigest())

    def lines(nb_path: Path) -> set[str]:
        nb = nbformat.read(nb_path, as_version=4)
        return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}

    public = set()  # released assignments, lessons, labs, the package: students read these
    for nb in [*(REPO / "graded" / "release").glob("*/*.ipynb"), *(REPO / "course").glob("*.ipynb"),
               *(REPO / "labs").rglob("*.ipynb")]:
        public |= lines(nb)
    for py in (REPO / "widgets" / "sidebyside").rglob("*.py"):
        public |= {line.strip() for line in py.read_text().splitlines()}
    secret = set()
    for source in sorted((REPO / "graded" / "source").glob("*/*.ipynb")):
        secret |= {s for s in lines(source) - public if len(s) >= 24 and not s.startswith("#")}
    return hashes, sorted(secret)


WALK = r'''
import hashlib, json, os, stat
hashes = {int(k): set(v) for k, v in json.loads(HASHES).items()}
secret = json.loads(SECRET)
skip = set(json.loads(SKIP))
TEXT = (".ipynb", ".py", ".md", ".txt", ".json", ".html", ".csv", ".cfg", ".toml", ".sh", ".yaml")
found, readable = [], 0
for root, dirs, files in os.walk("/", onerror=lambda e: None):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
    for name in files:
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or not os.access(path, os.R_OK):
                continue
            readable += 1
            if st.st_size in hashes:
                with open(path, "rb") as fh:
                    if hashlib.sha256(fh.read()).hexdigest() in hashes[st.st_size]:
                        found.append(("copy of an instructor-only file", path))
                        continue
            third_party = "/site-packages/" in path or path.startswith("/usr/")
            if name.endswith(TEXT) and st.st_size < 4 << 20 and not third_party:
                with open(path, errors="replace") as fh:
                    text = fh.read()
                if name.endswith(".ipynb") and ("BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text):
                    found.append(("solution markers", path))
                    continue
                hit = next((s for s in secret if s in text), None)
                if hit:
                    found.append(("a line of a solution or hidden test: " + hit[:60], path))
        except OSError:
            pass
print(json.dumps({"found": found[:20], "n": len(found), "readable": readable,
                  "env": {k: v for k, v in os.environ.items() if "/" in v}}))
'''


def test_a_student_reads_nothing_instructor_only(room: LocalHub, holes):
    """eve walks the whole filesystem from her kernel. Left out: /proc, /sys, /dev, /run, and the
    other checkouts and test folders of this development machine (/work/* other than the hub's
    repository, /tmp/* other than this hub's folder), which a class's machine does not have."""
    hashes, secret = instructor_only(Path(pwd.getpwnam(room.instructor).pw_dir))
    install = Path(room.env["SIDEBYSIDE_HUB_INSTALL"])
    assert len(secret) > 50 and hashes, "the graded sources have solutions and hidden tests"
    skip = ["/proc", "/sys", "/dev", "/run"]
    keep = {REPO, room.base, install}
    for parent in ("/work", "/tmp", "/var/tmp"):
        if Path(parent).is_dir():
            skip += [str(p) for p in Path(parent).iterdir() if p not in keep and p.is_dir()]
    code = (f"HASHES = {json.dumps(json.dumps({str(k): v for k, v in hashes.items()}))}\n"
            f"SECRET = {json.dumps(json.dumps(secret))}\nSKIP = {json.dumps(json.dumps(skip))}\n"
            + WALK)
    k = room.server(holes["eve"]).kernel()
    try:
        result = last_json(k, code)
    finally:
        k.close()
    assert result["readable"] > 1000, result  # the walk did read the installation
    assert result["n"] == 0, f"eve can read {result['n']} instructor-only files: {result['found']}"
    assert not any(str(REPO) in v for v in result["env"].values()), \
        f"eve's server points into the repository: {result['env']}"


# ------------------------------------------------------------------- 3. account takeover

def test_a_listed_account_needs_the_issued_password(room: LocalHub, holes):
    carol = holes["carol"]  # on the class list, has never logged in
    assert not Person(room.url, carol, "chosen-by-the-attacker").log_in(), \
        "someone who knows the class list took carol's account"
    assert not auth.has_password(room.dbm_path, carol), "the attempt set no password"
    issued = room.issue([carol])[carol]
    assert not Person(room.url, carol, "chosen-by-the-attacker").log_in()
    person = Person(room.url, carol, issued)
    assert person.log_in(), "carol logs in with the password issued to her"
    with pytest.raises(HubError):  # no server until she has chosen her own password
        room.hub.start(carol, timeout=60)
    assert "cannot be kept" in person.change_password(issued)
    assert "success" in person.change_password("carols-own-password")
    assert Person(room.url, carol, "carols-own-password").log_in()
    assert not Person(room.url, carol, issued).log_in(), "the issued password is spent"


# --------------------------------------------------------------- 4-6. collect and submit

EVE = r'''
import glob, json, os
INBOUND, ASSIGNMENT, TARGET = {inbound!r}, {assignment!r}, {target!r}
me = os.environ["JUPYTERHUB_USER"]
def newest():
    return sorted(glob.glob(f"{{INBOUND}}/{{me}}+{{ASSIGNMENT}}+*"))[-1]
def fresh(n):  # a new submission folder of eve's own, named as nbgrader names them
    path = f"{{INBOUND}}/{{me}}+{{ASSIGNMENT}}+2030-01-01 00:00:{{n:02d}}.000000 UTC+x{{n}}"
    os.mkdir(path)
    with open(path + "/timestamp.txt", "w") as fh:
        fh.write(f"2030-01-01 00:00:{{n:02d}}.000000 UTC")
    with open(path + f"/{{ASSIGNMENT}}.ipynb", "w") as fh:
        fh.write('{{"eve": "her own work"}}')
    return path
SWAPPER = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
deadline = time.monotonic() + 900  # bounded even if the test dies before killing it
while time.monotonic() < deadline:
    libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
"""
'''


def collect(holes, *args) -> tuple[int, str]:
    out = last_json(holes["teacher"], "import json, subprocess\n"
                    f"p = subprocess.run(['nbgrader', 'collect', '{ASSIGNMENT}', *{list(args)!r}],\n"
                    "                   cwd='graded', capture_output=True, text=True)\n"
                    "print(json.dumps([p.returncode, p.stdout[-3000:] + p.stderr[-3000:]]))")
    return out[0], out[1]


def test_bad_submissions_are_skipped_and_the_class_collected(room: LocalHub, holes):
    eve, dave, t = holes["eve"], holes["dave"], holes["t"]
    servers = {n: room.server(n) for n in (eve, dave)}
    for server in servers.values():
        assert server.assignments("fetch", COURSE, ASSIGNMENT)["success"]
    # the Submit button refuses a folder past the bounds (a 400 MiB file: sparse, no disk used)
    ek = servers[eve].kernel()
    run(ek, f"import os\nopen('{ASSIGNMENT}/data.bin', 'w').close()\nos.truncate('{ASSIGNMENT}/data.bin', 400 << 20)")
    refused = servers[eve].assignments("submit", COURSE, ASSIGNMENT)
    assert not refused["success"] and "more than 25 MiB" in json.dumps(refused), refused
    run(ek, f"os.remove('{ASSIGNMENT}/data.bin')")
    for server in servers.values():
        assert server.assignments("submit", COURSE, ASSIGNMENT)["success"]

    inbound = room.exchange / COURSE / "inbound" / eve
    gradebook_source = Path(pwd.getpwnam(t).pw_dir) / "graded" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    run(ek, EVE.format(inbound=str(inbound), assignment=ASSIGNMENT, target=str(gradebook_source)))
    submitted = Path(pwd.getpwnam(t).pw_dir) / "graded" / "submitted"

    # 4. a symlink in eve's newest submission: eve skipped with the reason, dave collected
    run(ek, "os.symlink(TARGET, newest() + '/leak.ipynb')")
    rc, log = collect(holes)
    assert rc == 0, log
    assert (submitted / dave / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), log
    assert not (submitted / eve).exists() or not any((submitted / eve).rglob("leak.ipynb")), log
    assert re.search(rf"{eve}'s submission .*symlink", log), log

    # 6. too many files, then a huge file, written straight into her inbound folder
    run(ek, "p = fresh(1)\nfor i in range(300):\n    open(f'{p}/f{i}.txt', 'w').close()")
    rc, log = collect(holes)
    assert rc == 0 and re.search(rf"{eve}'s submission .*more than 200 files", log), log
    run(ek, "p = fresh(2)\nopen(p + '/big.bin', 'w').close()\nos.truncate(p + '/big.bin', 400 << 20)")
    rc, log = collect(holes)
    assert rc == 0 and re.search(rf"{eve}'s submission .*more than 25 MiB", log), log
    assert not (submitted / eve).exists(), "nothing of eve's bad submissions was collected"

    # 5. the race: the notebook and a symlink to the instructor's solutions, kept beside the
    # submission, swap places in a loop (renameat2 RENAME_EXCHANGE) while the instructor
    # collects, eight times: a check for links finds none half of the time
    run(ek, r'''
import subprocess, sys
p = fresh(3)
os.makedirs(INBOUND + "/stash", exist_ok=True)  # hers, beside the submission: not collected
os.symlink(TARGET, INBOUND + "/stash/link")
swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, p + "/" + ASSIGNMENT + ".ipynb",
                            INBOUND + "/stash/link"])
''')
    solutions = gradebook_source.read_bytes()
    leaked = []
    try:
        for _ in range(8):
            rc, log = collect(holes, "--update")
            assert rc == 0, log
            for f in (submitted / eve).rglob("*") if (submitted / eve).exists() else ():
                if f.is_file() and (f.read_bytes() == solutions or b"BEGIN SOLUTION" in f.read_bytes()):
                    leaked.append(str(f))
            if (submitted / eve).exists():
                shutil.rmtree(submitted / eve)
    finally:
        ran = last_json(ek, "alive = swapper.poll() is None\nswapper.kill()\nswapper.wait()\n"
                            "print(json.dumps(alive))")
        ek.close()
    assert ran, "the swapper ran during all the collects"
    assert not leaked, f"the instructor copied the solutions into eve's submission: {leaked}"
    assert (submitted / dave).exists()


# ------------------------------------------------------------------ 2. unsandboxed autograde

def test_autograde_is_switched_off_with_the_command_to_use(room: LocalHub, holes):
    t, dave = holes["t"], holes["dave"]
    course = Path(pwd.getpwnam(t).pw_dir) / "graded"
    if not (course / "submitted" / dave).exists():
        assert collect(holes)[0] == 0
    # the formgrader's ⚡ button
    r = room.server(t).post(f"/formgrader/api/submission/{ASSIGNMENT}/{dave}/autograde")
    assert r.status_code == 200, r.text[:500]
    reply = r.json()
    assert not reply["success"] and "make hub-grade" in json.dumps(reply), reply
    # a terminal: the same refusal
    rc, log = last_json(holes["teacher"], "import json, subprocess\n"
                        f"p = subprocess.run(['nbgrader', 'autograde', '{ASSIGNMENT}', '--student', '{dave}'],\n"
                        "                   cwd='graded', capture_output=True, text=True)\n"
                        "print(json.dumps([p.returncode, p.stdout[-2000:] + p.stderr[-2000:]]))")
    assert rc != 0 and "make hub-grade" in log, log
    assert not (course / "autograded" / dave).exists(), "no student code ran"


# ------------------------------------------------------------------ 5. what trips a TA

def test_a_login_shell_finds_the_class_commands(room: LocalHub, holes):
    """A Jupyter terminal is `bash -l`; /etc/profile resets PATH."""
    out = last_json(holes["teacher"], "import json, subprocess\n"
                    "p = subprocess.run(['bash', '-l', '-c', 'command -v sidebyside nbgrader'],\n"
                    "                   capture_output=True, text=True)\n"
                    "print(json.dumps([p.returncode, p.stdout]))")
    assert out[0] == 0 and out[1].count("/") >= 2, out
    assert room.env["SIDEBYSIDE_HUB_INSTALL"] in out[1], out


def test_students_lab_has_no_instructor_menus(room: LocalHub, holes):
    page = room.server(holes["eve"]).get("/lab").text
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    disabled = config.get("disabledExtensions", {})
    disabled = disabled if isinstance(disabled, list) else [k for k, v in disabled.items() if v]
    for plugin in ("formgrader", "create-assignment", "course-list",
                   "validate-assignment"):  # the last by `sidebyside jupyter-setup`: still merged in
        assert f"@jupyter/nbgrader:{plugin}" in disabled, disabled
    teacher_page = room.server(holes["t"]).get("/lab").text
    assert "@jupyter/nbgrader:formgrader" not in re.search(
        r'id="jupyter-config-data"[^>]*>(.*?)</script>', teacher_page, re.S).group(1)
