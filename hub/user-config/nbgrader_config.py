"""nbgrader settings for every server on the classroom hub (JUPYTER_CONFIG_PATH points here).

The personal exchange (sidebyside.hub.exchange) keeps each student's submissions in a folder only
they and the instructors can open. The instructor's course folder is ~/graded (its own
nbgrader_config.py there sets the course id, code stub and kernel pin).
"""

import os

from sidebyside.hub.exchange import configure

c = get_config()  # noqa: F821 - injected by nbgrader/traitlets

configure(c, os.environ.get("SIDEBYSIDE_HUB_EXCHANGE", "/srv/nbgrader/exchange"))
c.CourseDirectory.course_id = os.environ.get("SIDEBYSIDE_COURSE_ID", "sidebyside")
# What one submission may hold (checked at submit and at collect): c.SubmissionBounds.max_submission_bytes
# (25 MiB) and c.SubmissionBounds.max_submission_files (200); see hub/README.md for disk quotas.
if os.environ.get("SIDEBYSIDE_EXCHANGE_BY_MOUNTS"):
    # Kubernetes: every pod runs as the same user (jovyan), so Unix owners prove nothing; each
    # student's pod mounts only its own inbound and feedback folders (hub/k8s/values.yaml).
    c.ExchangeCollect.check_owner = False
    c.PersonalReleaseFeedback.per_student_folders = True
if os.environ.get("SIDEBYSIDE_ROLE") == "instructor":
    c.CourseDirectory.root = os.path.expanduser("~/graded")
    # The formgrader's Autograde button and `nbgrader autograde` would run students' code as the
    # instructor, unsandboxed: on the hub they refuse and name `sudo make hub-grade`.
    from sidebyside.hub.unsandboxed import switch_off

    switch_off()
