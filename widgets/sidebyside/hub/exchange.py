"""A personal nbgrader exchange: each student submits into a folder only they and the instructors can open.

nbgrader 0.9.6's default exchange keeps every submission in one `inbound/` folder that all students
may write to, each submission in a world-writable folder of world-readable files (its name is the only
secret). Any student can also submit *under another student's name* (`nbgrader submit --student B`):
collect takes the newest submission per name, so a forged one replaces the real one (nbgrader #978).

Layout made by `sidebyside.hub.accounts` (as root, when an account is created):

    <root>/                      root        0755   students cannot create a fake course here
    <root>/<course>/             instructor  0755
        outbound/                instructor  0755   released assignments (as nbgrader)
        inbound/                 instructor  0711   nobody can list or add folders here
        inbound/<student>/       <student>:<instructors group>  2770
                                 the student writes, the instructors read, other students cannot
                                 even look inside (so cannot read, replace or forge a submission)
        feedback/                instructor  0711   as nbgrader: each file is named by a hash of
                                 the submission's secret, which is stored in the student's private
                                 inbound folder and home, so only its owner can find it

These classes plug into nbgrader's ExchangeFactory (see hub/user-config/nbgrader_config.py). They
change only where a submission goes and is looked for, and refuse instead of warning where nbgrader's
own checks only warn (a submission in another student's name, a symlink in a submission).
"""

from __future__ import annotations

import base64
import glob
import os
import pwd
import shutil

from nbgrader.exchange.default import (
    Exchange,
    ExchangeCollect,
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import get_username
from traitlets import Bool, Integer
from traitlets.config import LoggingConfigurable

from sidebyside.hub.safecopy import BadSubmission, Bounds, copy_tree, measure


class SubmissionBounds(LoggingConfigurable):
    """What one submission may hold: checked when a student submits (nbgrader submit, the
    Assignments tab) and again when the instructor collects (a student can also write into their
    inbound folder directly). Disk quotas per user bound the rest (hub/README.md)."""

    max_submission_bytes = Integer(25 * 2**20, help="Largest submission, in bytes").tag(config=True)
    max_submission_files = Integer(200, help="Most files and folders in a submission").tag(config=True)

    def bounds(self) -> Bounds:
        return Bounds(self.max_submission_bytes, self.max_submission_files)


class PersonalRoot:
    """The exchange root is made by the hub's administrator and belongs to root: nbgrader's own
    check wants it world-writable (and `release_assignment` would chmod it to 0777), which is
    exactly what lets a student create a fake course folder before the instructor does."""

    def ensure_root(self):
        if not os.path.isdir(self.root) or not os.access(self.root, os.X_OK):
            self.fail(f"The exchange {self.root} does not exist or cannot be opened: "
                      "ask the hub's administrator (it is created when accounts are).")


def own_inbound(exchange: Exchange, student_id: str) -> str:
    return os.path.join(exchange.root, exchange.coursedir.course_id, "inbound", student_id)


class PersonalExchange(PersonalRoot, Exchange):
    pass


class PersonalFetchAssignment(PersonalRoot, ExchangeFetchAssignment):
    pass


class PersonalReleaseAssignment(PersonalRoot, ExchangeReleaseAssignment):
    pass


class PersonalReleaseFeedback(PersonalRoot, ExchangeReleaseFeedback):
    """As nbgrader, or (per_student_folders) into feedback/<student>/: where students' servers share
    one Unix user (Kubernetes pods all run as jovyan), each pod mounts only its own folder at the
    place nbgrader looks, feedback/ (hub/k8s/values.yaml)."""

    per_student_folders = Bool(False, help="Release into feedback/<student>/").tag(config=True)

    def copy_files(self):
        if not self.per_student_folders:
            return super().copy_files()
        pattern, flat = self.src_path, self.dest_path  # <course>/feedback/*/<assignment>, exchange
        try:
            for src in sorted(glob.glob(pattern)):
                student = os.path.basename(os.path.dirname(src))
                self.src_path, self.dest_path = src, os.path.join(flat, student)
                os.makedirs(self.dest_path, exist_ok=True)
                super().copy_files()
        finally:
            self.src_path, self.dest_path = pattern, flat


class PersonalFetchFeedback(PersonalRoot, ExchangeFetchFeedback):
    pass


class PersonalSubmit(PersonalRoot, SubmissionBounds, ExchangeSubmit):
    """Submit into inbound/<me>/, and only ever as me."""

    def init_dest(self):
        # nbgrader's own init_dest insists on a flat inbound/ that every student can write to
        course_id, me = self.coursedir.course_id, get_username()
        if course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        if not self.authenticator.has_access(me, course_id):
            self.fail("You do not have access to this course.")
        if self.coursedir.student_id not in ("*", "", me):
            self.fail(f"You can only submit as yourself ({me}), not as {self.coursedir.student_id}.")
        self.inbound_path = own_inbound(self, me)
        if not os.path.isdir(self.inbound_path) or not os.access(self.inbound_path, os.W_OK | os.X_OK):
            self.fail(f"Your submission folder {self.inbound_path} is missing or not yours: "
                      "ask the hub's administrator.")
        self.cache_path = os.path.join(self.cache, course_id)
        name = f"{me}+{self.coursedir.assignment_id}+{self.timestamp}"
        if self.add_random_string:
            name += "+" + base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")
        self.assignment_filename = name

    def do_copy(self, src, dest, log=None):
        try:
            measure(src, self.bounds())
        except BadSubmission as err:
            self.fail(f"Not submitted: your {self.coursedir.assignment_id} folder has {err}. "
                      "Remove what the assignment does not need (data, checkpoints) and submit again.")
        super().do_copy(src, dest, log)


class PersonalCollect(PersonalRoot, SubmissionBounds, ExchangeCollect):
    """Collect from every inbound/<student>/, keeping only submissions that really are that
    student's: named after the folder they are in, and owned by that student. A submission that
    cannot be copied safely (a link, another's file, past the bounds) is skipped with its reason;
    the rest of the class is collected."""

    skipped: list[str]

    def init_src(self):
        super().init_src()  # course checks, gradebook due date; its flat glob finds nothing here
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, "*", f"{student_id}+{self.coursedir.assignment_id}+*")
        records = [r for r in (self._path_to_record(p) for p in glob.glob(pattern)) if r]
        by_student: dict[str, list[dict]] = {}
        for rec in records:
            by_student.setdefault(rec["username"], []).append(rec)
        self.src_records = [self._pick(recs) for recs in by_student.values()]

    def _pick(self, records: list[dict]) -> dict:
        """nbgrader's rule: the newest submission, or with --before-duedate the newest on time."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            if on_time:
                return on_time[0]
        return records[0]

    def _path_to_record(self, path):
        folder = os.path.basename(os.path.dirname(path))
        try:
            record = super()._path_to_record(path)
        except Exception as err:  # noqa: BLE001 - a student names their own folders: one bad name
            self.log.warning("Skipping %s: %s", path, err)  # must not stop the class's collect
            return None
        owner = _owner(path)
        # check_owner: nbgrader's switch; off where all servers share one Unix user (Kubernetes),
        # and each student's pod mounts only its own inbound/<student> folder
        if record["username"] != folder or (self.check_owner and owner != folder):
            self.log.warning("Skipping %s: it is in %s's folder, named for %s and owned by %s",
                             path, folder, record["username"], owner)
            return None
        record["filename"] = os.path.join(folder, record["filename"])  # relative to inbound/
        return record

    def copy_files(self):
        self.skipped = []
        super().copy_files()
        if self.skipped:
            self.log.warning("Not collected (%d): %s", len(self.skipped), "; ".join(self.skipped))

    def do_copy(self, src, dest, log=None):
        """Copy by descriptors, never following a student's link (sidebyside.hub.safecopy): a link
        would copy whatever the instructor can read (hidden tests, the gradebook, another student's
        work) into the submission, and back to the student as feedback."""
        folder, name = os.path.split(src)
        student = os.path.basename(folder)
        try:
            owner = _uid(student) if self.check_owner else None
            copy_tree(folder, name, dest, self.bounds(), owner=owner,
                      ignore=self.coursedir.ignore, max_file_bytes=1000 * self.coursedir.max_file_size,
                      log=self.log)
        except BadSubmission as err:
            shutil.rmtree(dest, ignore_errors=True)
            try:
                os.rmdir(os.path.dirname(dest))  # submitted/<student>/, made for this copy
            except OSError:
                pass  # not empty: the student's other assignments
            reason = f"{student}'s submission {name}: {err}"
            self.log.warning("Skipping %s", reason)
            self.skipped.append(reason)
            return
        if self.coursedir.groupshared:
            super_chmod_groupshared(dest)


class PersonalList(PersonalRoot, ExchangeList):
    """`nbgrader list --inbound` looks in every student's folder (only instructors can)."""

    def init_dest(self):
        super().init_dest()
        if self.inbound:
            course_id = self.coursedir.course_id or "*"
            assignment_id = self.coursedir.assignment_id or "*"
            student_id = self.coursedir.student_id or "*"
            pattern = os.path.join(self.root, course_id, "inbound", "*",
                                   f"{student_id}+{assignment_id}+*")
            self.assignments = sorted(glob.glob(pattern))

    def parse_assignment(self, assignment):
        if self.inbound:  # drop the per-student folder so nbgrader's pattern applies
            inbound = os.path.dirname(os.path.dirname(assignment))
            assignment = os.path.join(inbound, os.path.basename(assignment))
        return super().parse_assignment(assignment)


def _uid(name: str) -> int:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise BadSubmission(f"no Unix user {name}") from None


def super_chmod_groupshared(dest: str) -> None:
    """nbgrader's groupshared mode: folders ug+rwx (setgid), files ug+rw, as its own copy does."""
    for dirname, _, filenames in os.walk(dest):
        os.chmod(dirname, os.stat(dirname).st_mode | 0o2770)
        for f in filenames:
            p = os.path.join(dirname, f)
            os.chmod(p, os.stat(p).st_mode | 0o660)


def _owner(path: str) -> str:
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except (KeyError, OSError):
        return "unknown"


FACTORY = {
    "exchange": PersonalExchange,
    "fetch_assignment": PersonalFetchAssignment,
    "fetch_feedback": PersonalFetchFeedback,
    "release_assignment": PersonalReleaseAssignment,
    "release_feedback": PersonalReleaseFeedback,
    "list": PersonalList,
    "submit": PersonalSubmit,
    "collect": PersonalCollect,
}


def configure(c, root: str) -> None:
    """Point an nbgrader config object `c` at this exchange rooted at `root`."""
    c.Exchange.root = root
    for name, cls in FACTORY.items():
        setattr(c.ExchangeFactory, name, f"{cls.__module__}.{cls.__qualname__}")
