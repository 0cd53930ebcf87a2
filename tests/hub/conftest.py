"""One classroom hub for the whole of tests/hub (starting one costs a minute on a busy machine).

test_classroom.py uses the first three students (a class from release to feedback, a restart);
test_holes.py the next three (the attacks of issue 18). Each test adds and activates only its own
students, so either file also runs alone.
"""

from __future__ import annotations

import pytest

from sidebyside.hub.local import LocalHub


@pytest.fixture(scope="session")
def room():
    lh = LocalHub(students=6)
    with lh:
        yield lh
