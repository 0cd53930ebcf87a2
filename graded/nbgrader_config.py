"""nbgrader configuration for the course's graded assignments (run nbgrader from this folder).

The hardened grader (`sidebyside grade ...`) reads the same file for course_id and db_url.
"""

c = get_config()  # noqa: F821 - injected by nbgrader/traitlets

c.CourseDirectory.course_id = "sidebyside"
# the gradebook lives next to this file: sqlite:///<this folder>/gradebook.db (nbgrader's default)

# Student versions: solutions replaced by a stub, hidden tests removed.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True
c.ClearHiddenTests.enforce_metadata = True

# If plain `nbgrader autograde` is ever used: pin the kernel whatever the submission says, and give
# each cell a time limit (the hardened grader adds a whole-notebook limit and a sandbox).
c.Execute.kernel_name = "python3"
c.Execute.timeout = 60
c.Execute.allow_errors = True

# Never copy instructor-only files into the student version.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checks"]
