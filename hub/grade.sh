#!/usr/bin/env bash
# Grade an assignment that the hub's instructor has collected, with the sandboxed grader.
#   sudo hub/grade.sh ps01_tensors [--jobs N ...]      (or: sudo make hub-grade A=ps01_tensors)
# Runs as root because the sandbox (bubblewrap) runs each submission as the user `nobody`; then
# hands the course folder back to the instructor, who releases feedback from their server
# (`nbgrader release_feedback ps01_tensors` in ~/graded, or the formgrader).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${SIDEBYSIDE_HUB_BIN:-$here/../.venv/bin}
# The instructor's name: $SIDEBYSIDE_HUB_INSTRUCTOR, else what the running hub recorded in its state
# folder (sudo drops environment variables, so `sudo make hub-grade` still finds a custom name).
state=${SIDEBYSIDE_HUB_STATE:-$here/state}
instructor=${SIDEBYSIDE_HUB_INSTRUCTOR:-$(cat "$state/instructor" 2>/dev/null || echo instructor)}
[ $# -ge 1 ] || { echo "usage: $0 ASSIGNMENT [sidebyside grade options]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: run as root (the grading sandbox runs submissions as nobody)" >&2; exit 2; }
home=$(getent passwd "$instructor" | cut -d: -f6) || true
course=$home/graded
if [ -z "$home" ]; then
  echo "$0: there is no user '$instructor'. Name the hub's instructor: sudo SIDEBYSIDE_HUB_INSTRUCTOR=NAME make hub-grade A=$1" >&2
  echo "  (sudo drops the variable unless it is on sudo's command line; the hub also records the name in $state/instructor)" >&2
  exit 2
fi
[ -f "$course/nbgrader_config.py" ] || {
  echo "$0: $instructor has no course folder $course yet: log in as $instructor once so that the hub makes it" >&2; exit 2; }
assignment=$1; shift
status=0
"$bin/sidebyside" grade all "$assignment" --course-dir "$course" --no-progress "$@" || status=$?
# nbgrader release_feedback names each student's feedback file after the secret that came with their
# submission; the sandboxed grader does not carry submission_secret.txt over to feedback/ (yet), so
# bring it from the collected submission (a regular file only: never follow a student's symlink).
for secret in "$course"/submitted/*/"$assignment"/submission_secret.txt; do
  [ -f "$secret" ] && [ ! -L "$secret" ] || continue
  student=$(basename "$(dirname "$(dirname "$secret")")")
  dest="$course/feedback/$student/$assignment"
  [ -d "$dest" ] && [ ! -e "$dest/submission_secret.txt" ] && cp --no-dereference "$secret" "$dest/"
done
chown -R "$instructor:$(id -gn "$instructor")" "$course"  # chown -R never follows symlinks (-P)
exit $status
