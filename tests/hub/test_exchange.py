"""The personal nbgrader exchange's own rules, in one process (no hub, no users): what it refuses
even where Unix permissions are not the guard (Kubernetes pods all run as one user)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.abc.exchange import ExchangeError
from nbgrader.utils import notebook_hash
from traitlets.config import Config

from sidebyside.hub import exchange

ME = pwd.getpwuid(os.getuid()).pw_name
A = "ps01"


def config(tmp_path: Path, **extra) -> Config:
    c = Config()
    exchange.configure(c, str(tmp_path / "exchange"))
    c.CourseDirectory.root = str(tmp_path / "course")
    c.CourseDirectory.course_id = "sidebyside"
    c.CourseDirectory.assignment_id = A
    for section, settings in extra.items():
        for key, value in settings.items():
            setattr(c[section], key, value)
    return c


def run(cls, c: Config, **kw):
    app = cls(coursedir=CourseDirectory(config=c), authenticator=Authenticator(config=c),
              config=c, **kw)
    app.start()
    return app


def submission(tmp_path: Path, folder: str, named: str, stamp: str = "2026-01-01 10:00:00 UTC") -> Path:
    path = tmp_path / "exchange" / "sidebyside" / "inbound" / folder / f"{named}+{A}+{stamp}+r4nd"
    path.mkdir(parents=True)
    (path / f"{A}.ipynb").write_text(f'{{"by": "{named}"}}')
    (path / "timestamp.txt").write_text(stamp)
    return path


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """Collect opens the gradebook; making one runs alembic's migrations (slow): make it once."""
    with pytest.MonkeyPatch.context() as mp:  # nbgrader's Gradebook runs `alembic` from PATH
        mp.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
        with Gradebook(f"sqlite:///{path}", "sidebyside"):
            pass
        yield path


@pytest.fixture
def course(tmp_path, empty_gradebook):
    (tmp_path / "course").mkdir()
    shutil.copy(empty_gradebook, tmp_path / "course" / "gradebook.db")
    (tmp_path / "exchange" / "sidebyside" / "inbound").mkdir(parents=True)
    return tmp_path


def collected(tmp_path: Path) -> dict[str, str]:
    sub = tmp_path / "course" / "submitted"
    return {p.parent.parent.name: p.read_text() for p in sub.glob(f"*/{A}/{A}.ipynb")}


def test_collect_takes_each_students_own_folder(course):
    submission(course, "alice", "alice")
    submission(course, "bob", "bob")
    c = config(course, ExchangeCollect={"check_owner": False})
    run(exchange.PersonalCollect, c)
    assert collected(course) == {"alice": '{"by": "alice"}', "bob": '{"by": "bob"}'}


def test_collect_skips_a_submission_in_another_students_name(course):
    submission(course, "bob", "bob", "2026-01-01 10:00:00 UTC")
    submission(course, "alice", "bob", "2099-01-01 10:00:00 UTC")  # newer, in alice's folder
    submission(course, "alice", "alice", "not a time")  # alice's own folder, a name nbgrader rejects
    c = config(course, ExchangeCollect={"check_owner": False})
    run(exchange.PersonalCollect, c)
    assert collected(course) == {"bob": '{"by": "bob"}'}


def test_collect_checks_the_unix_owner_when_asked(course):
    submission(course, "alice", "alice")  # owned by whoever runs the test, not by "alice"
    run(exchange.PersonalCollect, config(course))
    assert collected(course) == {}


def test_collect_skips_a_submission_with_a_symlink_and_collects_the_rest(course, caplog):
    secret = course / "hidden_tests.txt"
    secret.write_text("the instructor's secret")
    path = submission(course, "alice", "alice")
    (path / "leak.txt").symlink_to(secret)
    submission(course, "bob", "bob")
    c = config(course, ExchangeCollect={"check_owner": False})
    run(exchange.PersonalCollect, c)
    assert not list((course / "course").rglob("leak.txt"))
    assert set(collected(course)) == {"bob"}, "one bad submission does not stop the class"
    assert "alice's submission" in caplog.text and "symlink (" in caplog.text


SWAPPER = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
deadline = time.monotonic() + 120  # bounded even if the test dies before killing it
while time.monotonic() < deadline:
    libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
"""


def test_collect_never_follows_a_link_swapped_in_during_the_copy(course):
    """A file and a symlink to the instructor's secret swap places in a loop (renameat2
    RENAME_EXCHANGE, as a student can in their own folder) while collect runs, 80 times: nothing
    of the secret is ever copied (a check-then-copy collect leaked in about one round of ten here)."""
    secret = course / "solutions.txt"
    secret.write_text("THE SOLUTIONS")
    path = submission(course, "alice", "alice")
    stash = path.parent / "stash"  # alice's own folder beside the submission: not collected
    stash.mkdir()
    (stash / "link").symlink_to(secret)
    # a process of its own, as the student's would be (a thread would share the GIL with collect);
    # the notebook and the link swap between the submission and the stash, so that a check finds
    # no link in the submission half of the time
    swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, str(path / f"{A}.ipynb"),
                                str(stash / "link")])
    c = config(course, ExchangeCollect={"check_owner": False})
    leaked = []
    try:
        for _ in range(80):
            shutil.rmtree(course / "course" / "submitted", ignore_errors=True)
            try:
                run(exchange.PersonalCollect, c)
            except ExchangeError:  # refusing the whole collect is hole 4, not a leak
                pass
            leaked += [str(f) for f in (course / "course").rglob("*")
                       if f.is_file() and f.suffix != ".db" and "THE SOLUTIONS" in f.read_text()]
        assert swapper.poll() is None, "the swapper ran during every collect"
    finally:
        swapper.kill()
        swapper.wait()
    assert not leaked, leaked


@pytest.mark.parametrize("bound, fill, reason", [
    ({"max_submission_files": 5}, lambda p: [(p / f"f{i}").write_text("x") for i in range(10)],
     "more than 5 files"),
    ({"max_submission_bytes": 2**20}, lambda p: os.truncate(p / "big.bin", 0) or
     os.truncate(p / "big.bin", 400 * 2**20), "more than 1 MiB"),
])
def test_collect_bounds_a_submission(course, caplog, bound, fill, reason):
    path = submission(course, "alice", "alice")
    (path / "big.bin").touch()
    fill(path)
    submission(course, "bob", "bob")
    run(exchange.PersonalCollect, config(course, ExchangeCollect={"check_owner": False},
                                        SubmissionBounds=bound))
    assert set(collected(course)) == {"bob"}
    assert not (course / "course" / "submitted" / "alice").exists() or \
        not list((course / "course" / "submitted" / "alice").rglob("*.bin"))
    assert reason in caplog.text


def test_submit_refuses_past_the_bounds(course, monkeypatch):
    released = course / "exchange" / "sidebyside" / "outbound" / A
    released.mkdir(parents=True)
    (released / f"{A}.ipynb").write_text("{}")
    work = course / "work" / A
    work.mkdir(parents=True)
    (work / f"{A}.ipynb").write_text("{}")
    os.truncate(work / "data.bin", 0) if (work / "data.bin").exists() else (work / "data.bin").touch()
    os.truncate(work / "data.bin", 400 * 2**20)  # sparse: 400 MiB long, no disk used
    (course / "exchange" / "sidebyside" / "inbound" / ME).mkdir()
    monkeypatch.chdir(course / "work")
    c = config(course, Exchange={"cache": str(course / "cache")})
    with pytest.raises(ExchangeError, match="Not submitted: .* more than 25 MiB"):
        run(exchange.PersonalSubmit, c)
    assert not list((course / "exchange" / "sidebyside" / "inbound" / ME).iterdir())


def test_submit_goes_to_my_folder_and_never_in_another_name(course, monkeypatch):
    released = course / "exchange" / "sidebyside" / "outbound" / A
    released.mkdir(parents=True)
    (released / f"{A}.ipynb").write_text("{}")
    work = course / "work" / A
    work.mkdir(parents=True)
    (work / f"{A}.ipynb").write_text('{"answer": 42}')
    (course / "exchange" / "sidebyside" / "inbound" / ME).mkdir()
    monkeypatch.chdir(course / "work")
    c = config(course, Exchange={"cache": str(course / "cache")})
    with pytest.raises(ExchangeError, match="only submit as yourself"):
        run(exchange.PersonalSubmit, config(course, Exchange={"cache": str(course / "cache")},
                                            CourseDirectory={"student_id": "bob"}))
    run(exchange.PersonalSubmit, c)
    mine = list((course / "exchange" / "sidebyside" / "inbound" / ME).glob(f"{ME}+{A}+*"))
    assert len(mine) == 1 and (mine[0] / f"{A}.ipynb").read_text() == '{"answer": 42}'
    flat = [p.name for p in (course / "exchange" / "sidebyside" / "inbound").iterdir()]
    assert flat == [ME], "nothing lands in the shared inbound folder itself"


def test_feedback_in_per_student_folders(course):
    for student in ("alice", "bob"):
        folder = course / "course" / "feedback" / student / A
        folder.mkdir(parents=True)
        (folder / f"{A}.html").write_text(f"<p>{student}</p>")
        (folder / "timestamp.txt").write_text("2026-01-01 10:00:00 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
    c = config(course, PersonalReleaseFeedback={"per_student_folders": True})
    run(exchange.PersonalReleaseFeedback, c)
    root = course / "exchange" / "sidebyside" / "feedback"
    for student in ("alice", "bob"):
        name = notebook_hash(secret=f"secret-of-{student}", notebook_id=A) + ".html"
        assert (root / student / name).read_text() == f"<p>{student}</p>"
    assert sorted(p.name for p in root.iterdir()) == ["alice", "bob"]
