"""Jupyter Server settings for every server on the classroom hub (JUPYTER_CONFIG_PATH points here)."""

import os

c = get_config()  # noqa: F821 - injected by Jupyter Server

# No news pop-up or update check on a class's screens (they would also try to reach the internet).
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# Grading tools are the instructor's: students keep the Assignments tab (fetch, validate, submit);
# their lab hides the Formgrader, Create assignment and Courses menus (student-config/labconfig).
if os.environ.get("SIDEBYSIDE_ROLE") != "instructor":
    c.ServerApp.jpserver_extensions = {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    }
else:
    # The formgrader's Autograde button runs students' code unsandboxed, as the instructor:
    # switched off, with a message naming the sandboxed command (sidebyside.hub.unsandboxed).
    from sidebyside.hub.unsandboxed import switch_off

    switch_off()
