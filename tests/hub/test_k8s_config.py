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
    post_start = " ".join(yaml.safe_load((K8S / "values.yaml").read_text())
                          ["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"])
    for folder in re.findall(r"/opt/sidebyside/(\w+)", post_start):
        assert (ROOT / folder).is_dir(), folder
