"""`sidebyside doctor`: the report on a healthy install, and a clear failure on a broken one."""

from __future__ import annotations

import subprocess
import sys

from sidebyside import doctor
from test_kernel import run_with_broken


def test_healthy_environment_reports_everything():
    report = doctor.diagnose()
    assert report.ok, report.problems
    items = {(section, item) for section, item, _ in report.rows}
    for needed in [("Versions", "python"), ("Versions", "torch"), ("Versions", "tensorflow"),
                   ("Versions", "keras"), ("Versions", "jupyterlab"), ("Versions", "ipywidgets"),
                   ("Versions", "nbval"), ("Devices", "torch"), ("Devices", "tensorflow"),
                   ("Devices", "lessons will use"), ("torch.compile", "C++ compiler"),
                   ("torch.compile", "backend for lessons"), ("Threads", "cores available"),
                   ("Jupyter", "lab settings")]:
        assert needed in items
    values = dict(((s, i), v) for s, i, v in report.rows)
    assert values[("Versions", "torch")].startswith("2.13.0")
    assert values[("Versions", "tensorflow")] == "2.21.0"
    assert "✔ ready" in report.text()


def test_console_script_exits_zero_when_healthy():
    result = subprocess.run([sys.executable, "-m", "sidebyside.cli", "doctor"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lessons will use" in result.stdout


def test_missing_framework_exits_nonzero_with_the_fix(tmp_path):
    result = run_with_broken("tensorflow", """
        import sys
        from sidebyside.cli import main
        sys.exit(main(["doctor"]))
    """, tmp_path)
    assert result.returncode == 1
    assert "cannot import tensorflow" in result.stdout
    assert "make setup" in result.stdout
    assert "✔ ready" not in result.stdout


def test_cli_rejects_unknown_commands(capsys):
    from sidebyside import cli

    assert cli.main(["nonsense"]) == 2
    assert "unknown command" in capsys.readouterr().err
    assert cli.main([]) == 2


def test_missing_jupyter_settings_are_a_problem_with_the_fix(tmp_path):
    report = doctor.Report()
    doctor.check_jupyter_settings(report, prefix=str(tmp_path))  # a bare environment
    assert any("saveState" in p and "sidebyside jupyter-setup" in p for p in report.problems)
    healthy = doctor.Report()
    doctor.check_jupyter_settings(healthy)  # this one (make setup ran the command)
    assert healthy.problems == []
