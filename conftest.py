"""Repository-wide pytest configuration: how nbval compares notebook outputs.

Kept at the root because nbval collects notebooks in course/, labs/ and graded/, outside tests/.
"""

import os

# Only teaching notebooks and instructor versions run under nbval. Fixture notebooks in tests/ (hostile
# submissions, browser fixtures) and generated or collected nbgrader folders are data, not tests.
collect_ignore_glob = [
    "tests/*.ipynb",  # fnmatch: "*" also matches "/", so this covers subfolders
    "graded/release/*",
    "graded/submitted/*",
    "graded/autograded/*",
    "graded/feedback/*",
]

# Notebooks run by nbval start their kernels from this process's environment: keep TF quiet there too.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def pytest_collectstart(collector):
    # Under pytest, ipykernel does not capture fd-level output (PYTEST_CURRENT_TEST is set), so framework
    # log lines reach stored outputs but not fresh ones, or the reverse. stderr is diagnostics, never a
    # lesson's result: nbval's documented hook skips comparing it.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
