"""The Kubernetes configuration on paper (hub/k8s/), checked as far as can be without a cluster:
the Helm values against the Zero to JupyterHub chart's own schema, and the image's parts."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "hub" / "k8s"
ROOT = K8S.parents[1]


def merged(defaults: dict, values: dict) -> dict:
    """Helm's merge of a values file over the chart's defaults (maps merge, the rest replaces)."""
    out = copy.deepcopy(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load((K8S / "chart-reference" / "values.schema.yaml").read_text())


def test_values_pass_the_charts_schema(values, schema):
    defaults = yaml.safe_load((K8S / "chart-reference" / "values.yaml").read_text())
    jsonschema.validate(merged(defaults, values), schema)


def test_the_schema_rejects_a_misspelt_key(values, schema):
    defaults = yaml.safe_load((K8S / "chart-reference" / "values.yaml").read_text())
    wrong = copy.deepcopy(values)
    wrong["singleuser"]["memory"]["guarantees"] = wrong["singleuser"]["memory"].pop("guarantee")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(merged(defaults, wrong), schema)


def test_extra_config_is_python(values):
    for name, source in values["hub"]["extraConfig"].items():
        compile(source, f"hub.extraConfig.{name}", "exec")


def test_students_mount_only_their_own_exchange_folders(values):
    mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    writable = [m for m in mounts if not m.get("readOnly")]
    assert writable and all("{username}" in m["subPath"] for m in writable)
    feedback = next(m for m in mounts if m["mountPath"].endswith("/feedback"))
    assert "{username}" in feedback["subPath"] and feedback["readOnly"]
    assert values["singleuser"]["extraEnv"]["SIDEBYSIDE_EXCHANGE_BY_MOUNTS"]


def test_the_image_installs_what_exists_here():
    dockerfile = (K8S / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "pip install --no-cache-dir -e /opt/sidebyside" in dockerfile
    config_path = re.search(r"JUPYTER_CONFIG_PATH=/opt/sidebyside/(\S+)", dockerfile).group(1)
    assert (ROOT / config_path / "nbgrader_config.py").exists()
    start = " ".join(yaml.safe_load((K8S / "values.yaml").read_text())["singleuser"]["cmd"])
    for folder in re.findall(r"\b(course|labs)\b", start):
        assert (ROOT / folder).is_dir(), folder


def memory_gib(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([GM]i?)", text).groups()
    scale = {"G": 1e9, "Gi": 2**30, "M": 1e6, "Mi": 2**20}[unit]
    return float(number) * scale / 2**30


def test_kubernetes_points_of_issue_18(values, tmp_path):
    """What the values say about each point found reading them against Zero to JupyterHub."""
    hub = values["hub"]
    # accounts: an identity provider, not first use (whoever logs in first would pick the password)
    assert "firstuse" not in hub["config"]["JupyterHub"]["authenticator_class"].lower()
    assert hub["config"]["JupyterHub"]["authenticator_class"] == "generic-oauth"
    # the instructor is named once: the pre-spawn hook reads admin_users
    roles = hub["extraConfig"]["sidebyside-roles"]
    assert not re.search(r"INSTRUCTOR\s*=\s*[\"']", roles)
    from traitlets.config import Config

    c = Config()
    c.Authenticator.admin_users = {"mrivera"}
    ns = {"c": c}
    exec(compile(roles, "sidebyside-roles", "exec"), ns)

    class Spawner:
        def __init__(self, name):
            self.user = type("U", (), {"name": name})()
            self.environment, self.init_containers = {}, list(values["singleuser"]["initContainers"])
            self.volume_mounts = list(values["singleuser"]["storage"]["extraVolumeMounts"])

    teacher, student = Spawner("mrivera"), Spawner("carol")
    ns["sidebyside_roles"](teacher)
    ns["sidebyside_roles"](student)
    assert teacher.environment["SIDEBYSIDE_ROLE"] == "instructor"
    assert student.environment["SIDEBYSIDE_ROLE"] == "student"
    graded = [m for m in teacher.volume_mounts if m["mountPath"] == "/home/jovyan/graded"]
    assert graded and graded[0]["subPath"] == "course/graded"
    assert teacher.init_containers, "the instructor's pod also makes course/graded, as jovyan"
    # the folders are made by jovyan: no root, no chown (NFS root_squash, Azure Files)
    (init,) = values["singleuser"]["initContainers"]
    assert init["securityContext"]["runAsUser"] == 1000
    command = " ".join(init["command"])
    assert "chown" not in command
    for folder in ("sidebyside/outbound", "sidebyside/feedback/{username}",
                   "sidebyside/inbound/{username}", "course/graded"):
        assert f"/x/{folder}" in command, folder
    # the exchange's claim has a template, ReadWriteMany, with the name the pods mount
    pvc = yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    claim = values["singleuser"]["storage"]["extraVolumes"][0]["persistentVolumeClaim"]["claimName"]
    assert pvc["metadata"]["name"] == claim and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # HTTPS at the proxy
    assert values["proxy"]["https"]["enabled"] and values["proxy"]["https"]["hosts"]
    # memory: 1.10 GiB measured per student; room for a third kernel
    memory = values["singleuser"]["memory"]
    assert memory_gib(memory["guarantee"]) >= 1.1 and memory_gib(memory["limit"]) >= 2.5
    # the course is copied before the server starts, each folder on its own, never over edits
    cmd = values["singleuser"]["cmd"]
    assert "lifecycleHooks" not in values["singleuser"]
    script = cmd[2].replace("/opt/sidebyside", str(ROOT)).replace("exec jupyterhub-singleuser", "echo")
    home = tmp_path / "home"
    (home / "course").mkdir(parents=True)  # a student's existing course folder
    (home / "course" / "mine.ipynb").write_text("my work")
    import subprocess

    out = subprocess.run([cmd[0], cmd[1], script, cmd[3], "--ip=0.0.0.0"], env={"HOME": str(home)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "--ip=0.0.0.0", "the server's arguments are passed on"
    assert (home / "labs").is_dir() and sorted(p.name for p in (home / "course").iterdir()) == ["mine.ipynb"]


def dockerignore_keeps(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its folders decides; `!` keeps;
    `**/name` matches that name at any depth."""
    import fnmatch

    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]

    def matches(pattern: str) -> bool:
        if pattern.startswith("**/"):
            return any(fnmatch.fnmatchcase(p.split("/")[-1], pattern[3:]) for p in prefixes)
        return any(fnmatch.fnmatchcase(p, pattern) for p in prefixes)

    keep = True
    for pattern in patterns:
        if matches(pattern.lstrip("!")):
            keep = pattern.startswith("!")
    return keep


def test_the_image_holds_nothing_instructor_only():
    """The image's build context, as hub/k8s/Dockerfile.dockerignore leaves it, over every file in
    the repository's git index: students' pods run it, so no solutions, checks or guides."""
    import subprocess

    lines = (K8S / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    files += [".git/config", "answers/ps01_tensors.ipynb", "graded/gradebook.db"]  # never listed
    image = {f for f in files if dockerignore_keeps(patterns, f)}
    forbidden = ("graded/", "answers/", "course/teacher/", "tests/", ".git/", "benchmarks/")
    assert not [f for f in image if f.startswith(forbidden)]
    for needed in ("pyproject.toml", "README.md", "widgets/sidebyside/__init__.py",
                   "widgets/sidebyside/hub/exchange.py", "course/00_start_here.ipynb",
                   "hub/user-config/nbgrader_config.py"):
        assert needed in image, needed
    for f in image:  # nothing with nbgrader's solution or hidden-test markers
        if f.endswith(".ipynb"):
            text = (ROOT / f).read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, f
