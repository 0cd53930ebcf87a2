"""JupyterHub for a class on one machine: `make hub` (run as root; see hub/README.md).

Accounts: FirstUseAuthenticator (the instructor adds students; each sets a password at first login).
Servers: LocalProcessSpawner, each as its own Unix user with a private home holding a copy of the
course (sidebyside.hub.accounts). Assignments: nbgrader with a personal exchange
(sidebyside.hub.exchange). Idle servers are culled. Hub state lives in $SIDEBYSIDE_HUB_STATE.

Settings come from the environment so that tests and benchmarks can run a second hub beside a real
one: SIDEBYSIDE_HUB_IP (default 127.0.0.1: nothing outside this machine can reach it),
SIDEBYSIDE_HUB_PORT (8000), SIDEBYSIDE_HUB_API_PORT (8081), SIDEBYSIDE_HUB_PROXY_API_PORT (8001),
SIDEBYSIDE_HUB_STATE (hub/state), SIDEBYSIDE_HUB_INSTRUCTOR (instructor), SIDEBYSIDE_HUB_GROUPS
(sidebyside), SIDEBYSIDE_HUB_HOMES (/home), SIDEBYSIDE_HUB_EXCHANGE (/srv/nbgrader/exchange),
SIDEBYSIDE_HUB_CULL_TIMEOUT (3600 s), SIDEBYSIDE_HUB_SERVICE_TOKEN (optional: an admin API token
for scripts such as benchmarks/hub_load.py).
"""

import os
import sys
from pathlib import Path

from sidebyside.hub.accounts import Classroom, interpreter_problem, prepare

c = get_config()  # noqa: F821 - injected by JupyterHub

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # the environment the hub runs in serves the students too
env = os.environ
room = Classroom.from_env()
if problem := interpreter_problem(sys.executable):
    raise SystemExit(f"make hub: {problem}")
state = Path(env.get("SIDEBYSIDE_HUB_STATE", HERE / "state")).resolve()
state.mkdir(mode=0o700, parents=True, exist_ok=True)

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

# Accounts: the instructor adds the class (Admin page -> Add Users, one name a line, or the REST API);
# each person chooses their password at their first login (FirstUseAuthenticator). Nobody else can
# create an account. Passwords are stored bcrypt-hashed in the state folder.
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 10
c.FirstUseAuthenticator.dbm_path = str(state / "passwords.dbm")
c.Authenticator.admin_users = {room.instructor}

# Servers: one Unix user each, the course copied into a private home on first start.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/course/00_start_here.ipynb"
c.Spawner.start_timeout = 180  # both frameworks on a busy machine
c.Spawner.http_timeout = 180
c.Spawner.environment = {
    "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
    "JUPYTER_CONFIG_PATH": str(HERE / "user-config"),  # nbgrader exchange, lab settings
    "SIDEBYSIDE_HUB_EXCHANGE": str(room.exchange),
    "SIDEBYSIDE_COURSE_ID": room.course_id,
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


def before_spawn(spawner):
    prepare(room, spawner.user.name)  # refuses names that are not course accounts
    spawner.environment = dict(spawner.environment, SIDEBYSIDE_ROLE=room.role(spawner.user.name))


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
