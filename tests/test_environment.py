"""One source of truth for dependencies, and the README's two commands wired to CI."""

from __future__ import annotations

import re
import tomllib

import yaml

from sidebyside.notebooks import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def pip_section() -> list[str]:
    for dep in ENVIRONMENT["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    raise AssertionError("environment.yml has no pip section")


def test_environment_python_matches_pyproject():
    conda = [d for d in ENVIRONMENT["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    assert PYPROJECT["project"]["requires-python"] == ">=3.11,<3.12"


def test_environment_installs_the_package_and_pins_nothing_itself():
    assert pip_section() == ["-e ."], (
        f"environment.yml must install this package only (pins live in pyproject.toml): {pip_section()}"
    )
    conda = [d for d in ENVIRONMENT["dependencies"] if isinstance(d, str)]
    # The one exception: the CPU build of torch comes from conda-forge (PyPI's Linux torch wheel is the
    # CUDA build, and the CPU index would have to be named by its address), at pyproject's version.
    torch_pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("torch=="))
    version = torch_pin.removeprefix("torch==")
    assert sorted(conda) == ["pip", "python=3.11", f"pytorch={version}=cpu_*"], (
        "conda installs Python, pip and the CPU build of torch at pyproject's pin; nothing else"
    )


def test_no_package_index_address_in_the_install_files():
    """Where wheels come from is said in words (README); no file the installers read names an index."""
    for name in ("README.md", "pyproject.toml", "environment.yml", "Makefile"):
        text = (ROOT / name).read_text()
        assert "index-url" not in text and "://" not in text, name


def test_pinned_versions_are_the_course_versions():
    deps = {re.split(r"[=<>~\[ ]", d, maxsplit=1)[0]: d for d in PYPROJECT["project"]["dependencies"]}
    assert deps["torch"] == "torch==2.13.0"
    assert deps["tensorflow-cpu"] == "tensorflow-cpu==2.21.0"
    assert deps["jupyterlab"] == "jupyterlab>=4.6,<4.7"
    assert deps["ipywidgets"] == "ipywidgets>=8.1,<8.2"
    test_deps = " ".join(PYPROJECT["project"]["optional-dependencies"]["test"])
    assert "nbval>=0.11,<0.12" in test_deps
    gpu = PYPROJECT["project"]["optional-dependencies"]["gpu"]
    assert any(d.startswith("tensorflow[and-cuda]==2.21.0") for d in gpu)


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    assert version("torch").startswith("2.13.0")
    assert version("tensorflow-cpu") == "2.21.0"
    assert version("jupyterlab").startswith("4.6.")
    assert version("ipywidgets").startswith("8.1.")
    assert version("nbval").startswith("0.11.")


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab: ", makefile, re.M) and re.search(r"^test: ", makefile, re.M)
    assert "default_url=/lab/tree/course/00_start_here.ipynb" in makefile
