"""`sidebyside doctor`: is this environment ready for the course?

Prints versions, the devices each framework sees, whether torch.compile's inductor backend can build
here (else which fallback the lessons use) and the thread settings. Exits non-zero, with the fix, when
something the course needs is missing or broken, including the environment's JupyterLab settings
(sidebyside.jupyter_env). Notebooks get the version and device checks from `setup()`, which calls
the same functions in `sidebyside.devices`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import os
import platform
import sys
from dataclasses import dataclass, field

from sidebyside import devices, kernel

# distribution name -> what the course pins (see pyproject.toml, the single source of truth)
PACKAGES = {
    "torch": "torch",
    "tensorflow": "tensorflow-cpu",
    "keras": "keras",
    "jupyterlab": "jupyterlab",
    "ipywidgets": "ipywidgets",
    "anywidget": "anywidget",
    "nbval": "nbval",
    "nbgrader": "nbgrader",
    "numpy": "numpy",
}
REQUIRED_IMPORTS = ("numpy", "torch", "tensorflow", "keras", "ipywidgets", "anywidget")


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (section, item, value)
    problems: list[str] = field(default_factory=list)

    def add(self, section: str, item: str, value: str) -> None:
        self.rows.append((section, item, value))

    def text(self) -> str:
        lines, section = [], None
        for sec, item, value in self.rows:
            if sec != section:
                lines.append(f"\n{sec}" if lines else sec)
                section = sec
            lines.append(f"  {item:<22} {value}")
        lines.append("")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  ✘ {p}" for p in self.problems]
        else:
            lines.append("✔ ready: both frameworks import and a device is chosen")
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return not self.problems


def installed_version(dist: str) -> str | None:
    for name in (dist, dist.replace("-cpu", ""), dist.replace("-cpu", "[and-cuda]")):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            continue
    return None


def check_versions(report: Report) -> None:
    report.add("Versions", "python", platform.python_version())
    if sys.version_info[:2] != (3, 11):
        report.problems.append(f"Python {platform.python_version()}: the course pins Python 3.11")
    for label, dist in PACKAGES.items():
        report.add("Versions", label, installed_version(dist) or "not installed")


def check_imports(report: Report) -> dict:
    """Import what the course needs; a failure becomes a problem with the fix, not a traceback."""
    kernel.quiet_tensorflow_logs()
    modules = {}
    for name in REQUIRED_IMPORTS:
        try:
            modules[name] = importlib.import_module(name)
        except Exception as err:  # ImportError, or a broken install raising anything at import
            report.problems.append(
                f"cannot import {name} ({type(err).__name__}: {err}). Fix: run `make setup` in the "
                f"repository (or `pip install -e .`), then restart the kernel."
            )
    return modules


def check_devices(report: Report, modules: dict) -> None:
    if "torch" in modules:
        torch = modules["torch"]
        if torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            report.add("Devices", "torch", f"CPU + CUDA {', '.join(names)}")
        elif (kind := devices.torch_gpu_kind()) == "mps":
            report.add("Devices", "torch", "CPU + Apple MPS")
        else:
            built = "CUDA build" if torch.version.cuda else "CPU build"
            report.add("Devices", "torch", f"CPU only ({built}, no GPU visible)")
    if "tensorflow" in modules:
        tf = modules["tensorflow"]
        found = [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices()]
        report.add("Devices", "tensorflow", ", ".join(found) or "none")
    if "torch" in modules and "tensorflow" in modules:
        kind = devices.preferred_device_kind()
        report.add(
            "Devices", "lessons will use",
            f"torch {devices.torch_device(kind)}, tensorflow {devices.tf_device(kind)}",
        )
        if kind == "cuda" and devices.tf_device(kind) != "/GPU:0":
            report.add("Devices", "note", "torch sees a GPU but TensorFlow does not: install the "
                       "[gpu] extra (tensorflow[and-cuda]) for GPU TensorFlow")


def check_compiler(report: Report, full: bool = False) -> None:
    ok, why = devices.cxx_compiler_works()
    backend = devices.compile_backend()
    forced = os.environ.get(devices.COMPILE_BACKEND_ENV)
    report.add("torch.compile", "C++ compiler", why)
    note = f" (forced by {devices.COMPILE_BACKEND_ENV})" if forced else ("" if ok else
                                                                       " (inductor cannot build here)")
    report.add("torch.compile", "backend for lessons", backend + note)
    if full and "torch" in sys.modules:
        import torch

        try:
            fn = torch.compile(lambda x: torch.sin(x) + 1, backend=backend)
            fn(torch.ones(3))
            report.add("torch.compile", "test compile", f"{backend}: ok")
        except Exception as err:
            report.problems.append(f"torch.compile(backend={backend!r}) failed: {err}")


def check_threads(report: Report, modules: dict) -> None:
    report.add("Threads", "cores available", str(kernel.thread_count()))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        if var in os.environ:
            report.add("Threads", var, os.environ[var])
    if "torch" in modules:
        report.add("Threads", "torch intra-op", str(modules["torch"].get_num_threads()))
    if "tensorflow" in modules:
        tf = modules["tensorflow"]
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        report.add("Threads", "tensorflow intra/inter", f"{intra or 'auto'}/{inter or 'auto'}")


def check_jupyter_settings(report: Report, prefix: str = sys.prefix) -> None:
    """JupyterLab must save widget state, or reopened notebooks lose their graphs."""
    from sidebyside import jupyter_env

    missing = jupyter_env.problems(prefix)
    report.add("Jupyter", "lab settings", "saveState on, news off" if not missing else "missing")
    report.add("Jupyter", "HTML export", "graphs as pictures" if not missing else "see below")
    report.problems += [f"{p} (fix: sidebyside jupyter-setup)" for p in missing]


def diagnose(full: bool = False) -> Report:
    report = Report()
    check_versions(report)
    modules = check_imports(report)
    check_devices(report, modules)
    check_compiler(report, full=full)
    check_threads(report, modules)
    check_jupyter_settings(report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidebyside doctor", description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also run a real torch.compile")
    args = parser.parse_args(argv)
    report = diagnose(full=args.full)
    print(report.text())
    return 0 if report.ok else 1
