"""A class on the real hub, end to end: the instructor, three students, an assignment, a restart.

Starts hub/jupyterhub_config.py (JupyterHub + configurable-http-proxy from hub/node_modules) on free
loopback ports, with its state, homes and exchange in a fresh folder, and real Unix users named with
a random `sbsh…` prefix. Through the hub's REST API, each user's own Jupyter server (as that Unix
user) and a real browser for the login page and a student's first notebook:

1. the instructor logs in, adds three students, and releases ps01_tensors;
2. the students log in (one in chromium, landing in course/00_start_here), fetch it, answer it
   (right, wrong, hostile) and submit; the hostile one tries to read the others' homes and
   submissions, to submit in another's name and to write the gradebook, and fails;
3. student A tries to read, overwrite and out-date B's submission in the exchange, and fails;
4. the instructor collects; the sandboxed grader (hub/grade.sh, as root) grades; the hub is
   restarted and nothing is lost (accounts, passwords, running servers, submissions, grades);
5. the instructor releases feedback; each student fetches it and sees only their own.

Everything created (users, groups, folders, processes) is removed at the end, also on failure.
Needs root and useradd (skipped otherwise), Debian's chromium, bubblewrap, and `make hub-deps`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from grading.submissions import RIGHT, WRONG, fill  # tests/ is on sys.path (tests/conftest.py)
from sidebyside.hub import auth
from sidebyside.hub.client import Person, Server
from sidebyside.hub.local import LocalHub  # noqa: F401 - the type of the `room` fixture

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
COURSE, ASSIGNMENT = "sidebyside", "ps01_tensors"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the classroom hub creates Unix users: needs root"),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd: cannot create users"),
]


def run(kernel, code: str, timeout: float = 300) -> str:
    result = kernel.run(code, timeout=timeout)
    assert result.error is None, f"{result.error}\n{result.output}"
    return result.output


def as_json(kernel, code: str) -> dict:
    """Run code that ends by printing one JSON line; return it parsed."""
    return json.loads(run(kernel, code).strip().splitlines()[-1])


ATTEMPT = '''
import json, os, subprocess
def attempt(fn):
    try:
        fn()
        return "allowed"
    except OSError as err:
        return type(err).__name__
'''


def hostile_cell(room: LocalHub, victim: str, victim_home: str) -> str:
    """A student's cell that snoops and forges. Run in the student's own kernel it must fail
    everywhere; in the grading sandbox none of these paths even exist."""
    inbound = room.exchange / COURSE / "inbound"
    gradebook = Path(pwd.getpwnam(room.instructor).pw_dir) / "graded" / "gradebook.db"
    return ATTEMPT + f'''
tries = {{
    "list victim home": attempt(lambda: os.listdir({victim_home!r})),
    "read victim notebook": attempt(lambda: open({victim_home!r} + "/course/00_start_here.ipynb").read()),
    "list inbound": attempt(lambda: os.listdir({str(inbound)!r})),
    "list victim inbound": attempt(lambda: os.listdir({str(inbound / victim)!r})),
    "forge in inbound": attempt(lambda: os.mkdir({str(inbound)!r} + "/{victim}+{ASSIGNMENT}+2099-01-01 00:00:00 UTC")),
    "write gradebook": attempt(lambda: open({str(gradebook)!r}, "a").write("forged")),
    "read instructor home": attempt(lambda: os.listdir({str(gradebook.parent.parent)!r})),
}}
print(json.dumps(tries))
'''


def documented(kernel, *lines: str) -> None:
    """Run hub/README.md's own instructor commands, as written, in a login shell (what a Jupyter
    terminal is: /etc/profile resets PATH there)."""
    readme = (ROOT / "hub" / "README.md").read_text()
    block = readme[readme.index("### Assignments, from release to feedback"):]
    block = block[block.index("```bash"):block.index("```", block.index("```bash") + 3)]
    commands = {line.split("#")[0].strip() for line in block.splitlines()}
    for line in lines:
        assert line in commands, f"hub/README.md no longer says {line!r}"
    script = " && ".join(lines)
    out = as_json(kernel, "import json, subprocess\n"
                  f"p = subprocess.run(['bash', '-l', '-c', {script!r}], capture_output=True, text=True)\n"
                  "print(json.dumps([p.returncode, p.stderr[-1500:]]))")
    assert out[0] == 0, f"{script}: {out[1]}"


def answer(server: Server, answers: dict, extra_after_setup: list[str] = ()) -> None:
    path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    release = nbformat.from_dict(server.read(path)["content"])
    text = fill(release, answers, after={"setup": list(extra_after_setup)})
    server.write(path, {"type": "notebook", "format": "json", "content": json.loads(text)})


def inbound_files(room: LocalHub, student: str) -> dict[str, str]:
    """What the exchange holds for a student (as root): relative path -> sha256."""
    folder = room.exchange / COURSE / "inbound" / student
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def grades(room: LocalHub) -> dict[str, float]:
    home = Path(pwd.getpwnam(room.instructor).pw_dir)
    with open(home / "graded" / "grades.csv") as fh:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)
                if row["assignment"] == ASSIGNMENT}


def browser_login_opens_notebook(room: LocalHub, name: str, shots: Path) -> str:
    """A person's first visit: the login page, their password, and the course's first notebook."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{room.url}/hub/login", timeout=60_000)
            page.fill("#username_input", name)
            page.fill("#password_input", room.passwords[name])
            page.screenshot(path=str(shots / "login.png"))
            page.click("#login_submit")
            # the hub starts the server (spawn page), then JupyterLab opens the default notebook
            page.wait_for_url(f"**/user/{name}/lab/**", timeout=240_000)
            heading = page.locator(".jp-RenderedMarkdown h1").first
            heading.wait_for(timeout=180_000)
            page.screenshot(path=str(shots / "first_notebook.png"))
            return heading.inner_text()
        finally:
            browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_class_on_the_hub(room: LocalHub, tmp_path):
    hub, t_name = room.hub, room.instructor
    students = room.students[:3]  # the rest are test_holes.py's
    a_name, b_name, c_name = students

    # ---- accounts: the instructor logs in first with the issued password and chooses their own;
    # only people the instructor added, with a password issued to them, can log in
    if auth.must_change(room.dbm_path, t_name):
        room.activate([t_name])
    assert Person(room.url, t_name, room.passwords[t_name]).log_in()
    room.issue(students)
    assert not Person(room.url, a_name, room.passwords[a_name]).log_in(), "not added yet"
    hub.add_users(students)
    room.activate(students)
    assert {"idle-culler"} <= {s["name"] for s in hub.api("GET", "/services").values()}

    # ---- a student's first visit in a real browser: login page -> their own copy of the course
    title = browser_login_opens_notebook(room, a_name, tmp_path)
    assert "Start here" in title
    for name in (b_name, c_name):
        assert Person(room.url, name, room.passwords[name]).log_in()
    assert not Person(room.url, b_name, "not-" + room.passwords[b_name]).log_in()
    for name in (t_name, b_name, c_name):
        hub.api("POST", f"/users/{name}/server")
    for name in (t_name, b_name, c_name):
        hub.wait_ready(name, timeout=300)
    homes = {n: pwd.getpwnam(n).pw_dir for n in [t_name, *students]}
    for name in students:
        assert (Path(homes[name]) / "course" / "00_start_here.ipynb").exists()
        assert os.stat(homes[name]).st_mode & 0o077 == 0, "homes are private"
        assert pwd.getpwnam(name).pw_uid != 0
    servers = {n: room.server(n) for n in [t_name, *students]}

    # ---- the instructor's formgrader is reachable; the students' servers have none
    assert servers[t_name].get("/formgrader").status_code == 200
    assert servers[a_name].get("/formgrader").status_code == 404

    # ---- 1. the instructor releases ps01
    teacher = servers[t_name].kernel()
    documented(teacher, "cd ~/graded", "sidebyside grade generate ps01_tensors",
               "nbgrader release_assignment ps01_tensors")

    # ---- 2. students fetch, answer (right, wrong, hostile) and submit
    for name in students:
        listing = servers[name].assignments("fetch", COURSE, ASSIGNMENT)
        assert listing["success"], listing
    answer(servers[a_name], RIGHT)
    answer(servers[b_name], WRONG)
    answer(servers[c_name], WRONG, [hostile_cell(room, a_name, homes[a_name])])

    hostile = servers[c_name].kernel()
    tries = as_json(hostile, hostile_cell(room, a_name, homes[a_name]))
    assert set(tries.values()) == {"PermissionError"}, tries
    for name in students:
        listing = servers[name].assignments("submit", COURSE, ASSIGNMENT)
        assert listing["success"], listing
    assert len({f.split("/")[0] for f in inbound_files(room, a_name)}) == 1

    # ---- 3. A against B's submission in the exchange: read, overwrite, out-date; all refused
    b_before = inbound_files(room, b_name)
    b_notebook = next(f for f in b_before if f.endswith(".ipynb"))
    b_path = str(room.exchange / COURSE / "inbound" / b_name / b_notebook)
    a_kernel = servers[a_name].kernel()
    tries = as_json(a_kernel, ATTEMPT + f'''
tries = {{
    "read": attempt(lambda: open({b_path!r}).read()),
    "overwrite": attempt(lambda: open({b_path!r}, "w").write("{{}}")),
    "delete": attempt(lambda: os.remove({b_path!r})),
    "add to B's folder": attempt(lambda: open({str(Path(b_path).parent.parent)!r} + "/x", "w")),
}}
p = subprocess.run(["nbgrader", "submit", "{ASSIGNMENT}", "--student", "{b_name}"],
                   capture_output=True, text=True)
tries["submit as B"] = "refused" if p.returncode else "allowed: " + p.stderr[-300:]
print(json.dumps(tries))
''')
    assert tries == {"read": "PermissionError", "overwrite": "PermissionError",
                     "delete": "PermissionError", "add to B's folder": "PermissionError",
                     "submit as B": "refused"}, tries
    assert inbound_files(room, b_name) == b_before
    for k in (hostile, a_kernel):
        k.close()

    # ---- 4. collect, grade in the sandbox, restart the hub: nothing lost
    documented(teacher, "cd ~/graded", "nbgrader collect ps01_tensors")
    submitted = Path(homes[t_name]) / "graded" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(students)
    # as after `sudo`, which drops SIDEBYSIDE_HUB_INSTRUCTOR: grade.sh finds the hub's instructor
    # (and without PYTHONPATH: grade.sh runs the students' installation, whose .pth names its
    # copy of the package under test, the one its sandbox binds)
    env = {k: v for k, v in room.env.items() if k not in ("SIDEBYSIDE_HUB_INSTRUCTOR", "PYTHONPATH")}
    graded = subprocess.run([str(ROOT / "hub" / "grade.sh"), ASSIGNMENT, "--jobs", "2"],
                            env=env, capture_output=True, text=True, timeout=900)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    before = grades(room)
    assert before[a_name] > 0 and before[b_name] == 0 and before[c_name] == 0, before
    exchange_before = {n: inbound_files(room, n) for n in students}

    room.stop()
    room.start()
    assert {u["name"] for u in hub.api("GET", "/users")} >= {t_name, *students}
    assert (hub.user(b_name).get("servers") or {}).get("", {}).get("ready"), \
        "servers keep running across a hub restart"
    assert Person(room.url, b_name, room.passwords[b_name]).log_in(), "passwords kept"
    assert {n: inbound_files(room, n) for n in students} == exchange_before
    assert grades(room) == before
    teacher = room.server(t_name).kernel()
    in_gradebook = as_json(teacher, "import json\nfrom nbgrader.api import Gradebook\n"
                           "with Gradebook('sqlite:///graded/gradebook.db') as gb:\n"
                           "    print(json.dumps({s.student.id: s.score for s in "
                           f"gb.assignment_submissions('{ASSIGNMENT}')}}))")
    assert in_gradebook == before

    # ---- 5. feedback: released by the instructor, each student sees only their own
    documented(teacher, "cd ~/graded", "nbgrader release_feedback ps01_tensors")
    teacher.close()
    feedback_dir = Path(homes[t_name]) / "graded" / "feedback"
    released = {n: (feedback_dir / n / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
                for n in students}
    assert f"{before[a_name]:g}" in released[a_name]
    for name in students:
        server = room.server(name)
        listing = server.assignments("fetch_feedback", COURSE, ASSIGNMENT)
        assert listing["success"], listing
        feedback = _feedback_html(server)
        assert feedback == released[name], f"{name} did not get their own feedback"
        assert all(feedback != released[o] for o in students if o != name)
        k = server.kernel()
        tries = as_json(k, ATTEMPT + f'''
print(json.dumps({{"list feedback": attempt(lambda: os.listdir({str(room.exchange / COURSE / "feedback")!r}))}}))''')
        k.close()
        assert tries == {"list feedback": "PermissionError"}


def _feedback_html(server: Server) -> str:
    """The feedback file fetched into the student's ps01_tensors/feedback/<time>/ folder."""
    root = server.read(f"{ASSIGNMENT}/feedback")
    times = [item["path"] for item in root["content"] if item["type"] == "directory"]
    assert len(times) == 1, root
    html = server.read(f"{times[0]}/{ASSIGNMENT}.html")
    return html["content"]


def test_idle_servers_are_culled_and_their_files_kept(room: LocalHub):
    """jupyterhub-idle-culler, as configured for the class, with a short timeout: an idle server is
    stopped, the student's home stays. On the session's hub, restarted with a 20 s cull timeout
    (tests/hub/conftest.py runs this test last: every idle server goes)."""
    name = room.students[0]
    if not room.hub.user(name).get("servers"):  # this test alone: a server to cull
        if auth.must_change(room.dbm_path, room.instructor):
            room.activate([room.instructor])
        if name not in room.passwords:
            room.hub.add_users([name])
            room.issue([name])
            room.activate([name])
        room.hub.start(name, timeout=300)
    home = Path(pwd.getpwnam(name).pw_dir)
    assert (home / "course" / "00_start_here.ipynb").exists()
    room.env["SIDEBYSIDE_HUB_CULL_TIMEOUT"] = "20"
    room.stop()
    room.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and room.hub.user(name).get("servers"):
        time.sleep(2)
    assert not room.hub.user(name).get("servers"), "the idle server was not culled within 180 s"
    assert f"Culling server {name}" in room.log_tail(400_000), "stopped by the culler"
    assert (home / "course" / "00_start_here.ipynb").exists(), "culling keeps the student's files"
