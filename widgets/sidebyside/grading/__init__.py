"""The hardened autograder: nbgrader for generation, gradebook and feedback; our own sandboxed
execution and out-of-kernel verdicts.

Modules, one idea each:

- `sandbox`  bubblewrap + resource limits around one submission's kernel, and the wall-clock kill;
- `runner`   the code that runs INSIDE the sandbox: executes the student's cells in an IPython shell,
             then calls the student's functions on inputs it receives, and reports values (never verdicts);
- `spec`     how an assignment's trusted checks are written (`graded/checks/<assignment>.py`);
- `notebook` reading a submission against the instructor's source: structure problems, feedback notebook;
- `grader`   grading one submission and a whole folder in parallel, writing nbgrader's gradebook;
- `cluster`  the same per-submission grading as one job per submission on Dask workers (`--cluster`),
             results written once each by the coordinating process;
- `cli`      `sidebyside grade ...`.
"""
