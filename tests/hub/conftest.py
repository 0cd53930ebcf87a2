"""One classroom hub for the whole of tests/hub (starting one costs a minute on a busy machine).

test_classroom.py uses the first three students (a class from release to feedback, a restart, and,
last of all, culling); test_holes.py the next three (the attacks of issue 18). Each test adds and activates only its own
students, so either file also runs alone. One session at a time on a machine: each hub opens the
folders its Python needs (/root for a pyenv Python) while it lives and closes them when removed.
"""

from __future__ import annotations

import pytest

from sidebyside.hub.local import LocalHub


@pytest.fixture(scope="session")
def room():
    lh = LocalHub(students=6)
    with lh:
        yield lh


def pytest_collection_modifyitems(items):
    """The culling test restarts the hub with a 20 s cull timeout and lets every idle server go:
    it runs after every other test that uses the hub."""
    items.sort(key=lambda item: item.name == "test_idle_servers_are_culled_and_their_files_kept")
