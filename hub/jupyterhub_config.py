"""JupyterHub for a class on one machine: `make hub` (run as root; see hub/README.md).

Accounts: an initial password per person, issued by the administrator and changed at first login
(sidebyside.hub.auth). Servers: LocalProcessSpawner, each as its own Unix user with a private home
holding a copy of the course (sidebyside.hub.accounts), run from the students' installation
(sidebyside.hub.install: nothing instructor-only in it; the repository is closed to other users). Assignments: nbgrader with a personal exchange
(sidebyside.hub.exchange). Idle servers are culled. Hub state lives in $SIDEBYSIDE_HUB_STATE.

Settings come from the environment so that tests and benchmarks can run a second hub beside a real
one: SIDEBYSIDE_HUB_IP (default 127.0.0.1: nothing outside this machine can reach it),
SIDEBYSIDE_HUB_PORT (8000), SIDEBYSIDE_HUB_API_PORT (8081), SIDEBYSIDE_HUB_PROXY_API_PORT (8001),
SIDEBYSIDE_HUB_STATE (hub/state), SIDEBYSIDE_HUB_INSTRUCTOR (instructor), SIDEBYSIDE_HUB_GROUPS
(sidebyside), SIDEBYSIDE_HUB_HOMES (/home), SIDEBYSIDE_HUB_EXCHANGE (/srv/nbgrader/exchange),
SIDEBYSIDE_HUB_CULL_TIMEOUT (3600 s), SIDEBYSIDE_HUB_INSTALL (/opt/sidebyside-class: the students'
installation), SIDEBYSIDE_HUB_SERVICE_TOKEN (optional: an admin API token
for scripts such as benchmarks/hub_load.py).
"""

import os
import sys
from pathlib import Path

from sidebyside.hub import auth, install
from sidebyside.hub.accounts import Classroom, interpreter_problem, prepare

c = get_config()  # noqa: F821 - injected by JupyterHub

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
env = os.environ
room = Classroom.from_env()
if problem := interpreter_problem(sys.executable):
    raise SystemExit(f"make hub: {problem}")
state = Path(env.get("SIDEBYSIDE_HUB_STATE", HERE / "state")).resolve()
state.mkdir(mode=0o700, parents=True, exist_ok=True)
(state / "instructor").write_text(room.instructor + "\n")  # for hub/grade.sh under sudo

# The students' installation: this environment hard-linked, the package, course/ and labs/ without
# the teacher guides; nothing instructor-only. The repository itself (graded/source, graded/checks,
# answers/, .git) is closed to other users: students never run or read anything in it.
room.install = Path(env.get("SIDEBYSIDE_HUB_INSTALL", "/opt/sidebyside-class"))
BIN = install.build(REPO, room.install)
if install.close_repository(REPO) & 0o007:
    print(f"make hub: closed {REPO} to other users (chmod o-rwx): it holds the answers",
          file=sys.stderr)

# Network: loopback unless told otherwise; the proxy comes from hub/node_modules (npm ci, pinned).
c.JupyterHub.ip = env.get("SIDEBYSIDE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env.get("SIDEBYSIDE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env.get("SIDEBYSIDE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('SIDEBYSIDE_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# State that must survive a restart: users, servers, tokens (sqlite) and the cookie secret.
# Students' servers keep running while the hub restarts (the new hub finds them again).
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = False

# Accounts: the instructor adds the class (Admin page -> Add Users, or the REST API); the
# administrator issues each person an initial password (`sudo .venv/bin/sidebyside hub passwords
# NAME...`), which only that person receives and must change at first login. A name without an
# issued password cannot log in (FirstUseAuthenticator would let the first visitor choose it).
# Passwords are stored bcrypt-hashed in the state folder.
c.JupyterHub.authenticator_class = auth.ClassAuthenticator
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 10
passwords = str(state / "passwords.dbm")
c.FirstUseAuthenticator.dbm_path = passwords
c.Authenticator.admin_users = {room.instructor}
if not auth.must_change(passwords, room.instructor) and not auth.has_password(passwords, room.instructor):
    issued = auth.issue(passwords, [room.instructor])[room.instructor]
    print(f"make hub: the instructor {room.instructor!r} logs in first with the password {issued} "
          "(shown once; they choose their own at that login)", file=sys.stderr)

# Servers: one Unix user each, the course copied into a private home on first start.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/course/00_start_here.ipynb"
c.Spawner.start_timeout = 180  # both frameworks on a busy machine
c.Spawner.http_timeout = 180
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # not the hub's PYTHONPATH or VIRTUAL_ENV: the install's
c.Spawner.environment = {
    "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
    "VIRTUAL_ENV": str(BIN.parent),
    # a Jupyter terminal is a login shell: /etc/profile resets PATH, ~/.bash_profile puts this back
    "SIDEBYSIDE_CLASS_BIN": str(BIN),
    "JUPYTER_CONFIG_PATH": str(room.install / "user-config"),  # nbgrader exchange, lab settings
    "SIDEBYSIDE_HUB_EXCHANGE": str(room.exchange),
    "SIDEBYSIDE_COURSE_ID": room.course_id,
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


def before_spawn(spawner):
    name = spawner.user.name
    auth.refuse_until_changed(passwords, name)  # the issued password is changed before any server
    prepare(room, name)  # refuses names that are not course accounts
    role = room.role(name)
    config_path = str(room.install / "user-config")
    if role != "instructor":  # no Formgrader, Create assignment or Courses menus
        config_path = f"{room.install / 'student-config'}:{config_path}"
    spawner.environment = dict(spawner.environment, SIDEBYSIDE_ROLE=role,
                               JUPYTER_CONFIG_PATH=config_path)


c.Spawner.pre_spawn_hook = before_spawn

# Idle servers are stopped (their files stay); a student's next login starts a fresh one.
cull_timeout = int(env.get("SIDEBYSIDE_HUB_CULL_TIMEOUT", "3600"))
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull_timeout}",
                f"--cull-every={max(10, min(300, cull_timeout // 4))}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
if env.get("SIDEBYSIDE_HUB_SERVICE_TOKEN"):
    c.JupyterHub.services.append({"name": "classroom-admin",
                                  "api_token": env["SIDEBYSIDE_HUB_SERVICE_TOKEN"]})
    c.JupyterHub.load_roles.append({
        "name": "classroom-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "list:users",
                   "read:users", "read:servers", "list:services", "read:services"],
        "services": ["classroom-admin"],
    })
