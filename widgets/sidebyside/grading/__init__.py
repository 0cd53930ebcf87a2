"""The hardened autograder: nbgrader for generation, gradebook and feedback; our own sandboxed
execution and out-of-kernel verdicts.

Modules, one idea each:

- `sandbox`  bubblewrap + resource limits around one submission's kernel, its bounded tmpfs copy of
             the folder, and the wall-clock kill;
- `cgroups`  a process, memory and CPU budget per sandbox (a control group, cgroup v1 or v2);
- `uids`     a uid of its own for every running sandbox (a machine-wide pool);
- `studentfiles` the grader's own reads in a student's folder: no links, regular files, bounded;
- `untrusted` student ids checked where they are collected; spreadsheet and terminal escaping;
- `runner`   the code that runs INSIDE the sandbox: executes the student's cells in an IPython shell,
             then calls the student's functions on inputs it receives, and reports values (never verdicts);
- `spec`     how an assignment's trusted checks are written (`graded/checks/<assignment>.py`);
- `notebook` reading a submission against the instructor's source: structure problems, feedback notebook;
- `grader`   grading one submission and a whole folder in parallel, writing nbgrader's gradebook;
- `cluster`  the same per-submission grading as one job per submission on Dask workers (`--cluster`),
             results written once each by the coordinating process;
- `cli`      `sidebyside grade ...`.
"""
