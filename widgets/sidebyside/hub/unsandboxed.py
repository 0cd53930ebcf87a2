"""No unsandboxed grading on the classroom hub.

nbgrader's own autograde (the formgrader's ⚡ Autograde button, `nbgrader autograde` in a terminal)
runs each student's notebook in a kernel of the instructor's server, as the instructor: a hostile
submission reads every inbound folder and writes the gradebook. On the hub, grading goes through
the sandbox (`sudo make hub-grade A=<assignment>`, hub/grade.sh). The instructor's nbgrader
configuration calls `switch_off()`, so both paths stop before any submission is touched, with a
message naming the command to use.
"""

from __future__ import annotations

MESSAGE = ("Autograde is switched off on the class hub: it would run students' code unsandboxed, "
           "as you. Collect (nbgrader collect {assignment}), then grade in the sandbox: the "
           "machine's administrator runs `sudo make hub-grade A={assignment}` (hub/README.md); "
           "then release feedback here.")


def switch_off() -> None:
    from nbgrader.converters import autograde
    from nbgrader.converters.base import NbGraderException

    def refuse(self, *args, **kwargs):
        message = MESSAGE.format(assignment=self.coursedir.assignment_id or "ASSIGNMENT")
        self.log.error(message)  # `nbgrader autograde` prints this; the formgrader shows it
        raise NbGraderException(message)

    autograde.Autograde.start = refuse
