"""The code that runs INSIDE the grading sandbox (`python -m sidebyside.grading.runner`).

It receives one job as JSON on stdin (read before any student code runs): the cells to execute in
order, the probes to run at the positions of the test cells, their inputs and a per-run nonce.
It executes the student's cells in an IPython shell (so magics and input transformers behave as in
a notebook), and at each test position calls the student's functions through the probe code and
reports the VALUES it got. It never decides pass/fail: the grader process compares those values with
references it computed itself. Everything it reports is therefore just a claim; a student who forges
it still has to produce the right values on inputs nobody saw before, which is solving the problem.

Reports are single lines `@@<nonce> {json}` written to a copy of the original stdout; the process's
own stdout/stderr (Python and C++ level) are captured per cell or discarded.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time

MARK = "@@"


class CellTimeout(KeyboardInterrupt):
    """Raised by SIGALRM when a cell or a probe runs past its limit."""


def _alarm(signum, frame):
    raise CellTimeout("cell timed out")


def main() -> int:
    job = json.loads(sys.stdin.buffer.read().decode())
    nonce = job["nonce"]
    limit = float(job.get("cell_seconds", 60))
    max_text = int(job.get("max_text", 20000))

    # Private copies of everything we use to report, taken before student code exists.
    out_fd = os.dup(1)
    write, dumps, setitimer = os.write, json.dumps, signal.setitimer
    perf = time.perf_counter

    def emit(obj) -> None:
        line = f"{MARK}{nonce} " + dumps(obj, default=repr, allow_nan=True) + "\n"
        data = line.encode()
        while data:
            data = data[write(out_fd, data):]

    # fd-level output (C++ logs, os.write(1, ...)) goes nowhere; Python-level output is captured.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    if job.get("cpu") is not None:
        try:
            os.sched_setaffinity(0, {int(job["cpu"])})
        except OSError:
            pass
    signal.signal(signal.SIGALRM, _alarm)

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    shell.showtraceback  # noqa: B018 - warm the attribute before students can patch the class
    # the submission's folder on the import path, as in a notebook kernel; only now, after the
    # runner's own imports (it was started with -P)
    sys.path.insert(0, os.getcwd())

    def run_timed(fn):
        buf_out, buf_err = io.StringIO(), io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = buf_out, buf_err
        start = perf()
        try:
            setitimer(signal.ITIMER_REAL, limit)
            try:
                value = fn()
            finally:
                setitimer(signal.ITIMER_REAL, 0)
            err = None
        except BaseException as exc:  # noqa: BLE001 - everything a student can raise
            value, err = None, {"ename": type(exc).__name__, "evalue": str(exc)[:2000]}
        finally:
            sys.stdout, sys.stderr = saved
        return value, err, buf_out.getvalue()[:max_text], buf_err.getvalue()[:max_text], perf() - start

    emit({"kind": "start"})
    for step in job["steps"]:
        if step["kind"] == "cell":
            result, err, out, errtext, secs = run_timed(
                lambda src=step["source"]: shell.run_cell(src, store_history=True)
            )
            if err is None and result is not None and not result.success:
                exc = result.error_in_exec or result.error_before_exec
                err = {"ename": type(exc).__name__, "evalue": str(exc)[:2000]}
            emit({"kind": "cell", "index": step["index"], "stdout": out, "stderr": errtext,
                  "error": err, "seconds": round(secs, 3)})
        else:
            def probe(step=step):
                namespace = dict(shell.user_ns)
                namespace["inputs"] = step["inputs"]
                exec(compile(step["source"], f"<probe {step['grade_id']}>", "exec"), namespace)
                return namespace.get("result")

            value, err, out, errtext, secs = run_timed(probe)
            emit({"kind": "probe", "grade_id": step["grade_id"], "result": value, "error": err,
                  "seconds": round(secs, 3)})
    emit({"kind": "done"})
    # Everything is reported (os.write is unbuffered). Skip the interpreter's teardown: with torch and
    # TensorFlow loaded it takes seconds, and nothing the student left behind should run any more.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
