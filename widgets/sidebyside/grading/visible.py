"""What a student sees when they run a visible test cell: the verdict line the feedback will show.

`sidebyside grade generate` puts one line at the top of every test cell whose check is "visible"
(spec.py) in the student version:

    from sidebyside.grading.visible import announce
    announce("ps01_q1_tests", points=2, message="your conversion to NumPy and back keeps ...")

When the cell has run, `announce` prints the same line the feedback prints for that check, with its
points and message: ✔ when the cell's asserts held, ✘ and the error when one failed. The cell's own
asserts decide, on its examples; the grader runs the trusted check on fresh inputs, so a pass here is
a good sign, not the grade. This module is student-side: it holds nothing instructor-only.
"""

from __future__ import annotations

EXAMPLES_ONLY = "  (this cell's examples; the grader runs the same check on fresh inputs)"


def verdict_line(grade_id: str, passed: bool, score: float, points: float, message: str,
                 reason: str = "") -> str:
    """One check's line, as the feedback and the student's own run both print it."""
    mark = "✔" if passed else "✘"
    what = f" {message}." if message else ""
    why = "" if passed else f" {reason}"
    return f"{mark} {grade_id}: {score:g}/{points:g} points.{what}{why}"


def announce_line(grade_id: str, points: float, message: str) -> str:
    """The line `generate` puts at the top of a visible test cell."""
    return (f"from sidebyside.grading.visible import announce\n"
            f"announce({grade_id!r}, points={points:g}, message={message!r})")


def announce(grade_id: str, points: float, message: str) -> None:
    """Print this cell's verdict line once the cell has run (in IPython; elsewhere nothing)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def report(result) -> None:
        shell.events.unregister("post_run_cell", report)
        error = result.error_in_exec or result.error_before_exec
        if error is None:
            print(verdict_line(grade_id, True, points, points, message))
            return
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        print(verdict_line(grade_id, False, 0, points, message, reason) + "\n" + EXAMPLES_ONLY)

    shell.events.register("post_run_cell", report)
