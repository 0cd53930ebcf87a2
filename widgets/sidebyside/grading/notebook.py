"""Reading an assignment and a submission against it.

The instructor's source notebook is the only authority on which cells are answers and tests, their
order and their points. A submission is read, never trusted and never modified: its answer cells (by
nbgrader grade_id) and the student's own extra code cells are executed; its test cells are NOT (the
trusted checks run at their positions instead). Every structural problem becomes a readable note.
"""

from __future__ import annotations

import copy
import html
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from sidebyside.grading.spec import Check, load_checks
from sidebyside.grading.visible import announce_line, verdict_line

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
KERNEL_NAME = "python3"


def strip_hidden_tests(source: str) -> str:
    """The student-visible part of a test cell (what nbgrader's ClearHiddenTests leaves)."""
    out, hidden = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
            continue
        if "END HIDDEN TESTS" in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out).rstrip()


def student_test_source(source: str, grade_id: str, points: float, check: Check | None) -> str:
    """A test cell as the student version has it: the hidden tests gone and, for a check the
    student sees now, the line that prints its verdict as the feedback will (visible.py)."""
    visible = strip_hidden_tests(source)
    if check is None or getattr(check, "visibility", "visible") != "visible":
        return visible
    announce = announce_line(grade_id, points, getattr(check, "message", ""))
    if visible.startswith(announce):
        return visible
    return announce + "\n" + visible


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    value = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return value if isinstance(value, dict) else {}


@dataclass
class Assignment:
    name: str
    course_dir: Path
    notebook_name: str  # without .ipynb
    source_nb: nbformat.NotebookNode
    tests: dict[str, float]  # grade_id -> points, in notebook order
    answers: list[str]  # grade_ids of autograded answer cells, in order
    checks: dict[str, Check]
    release_sources: dict[str, str] = field(default_factory=dict)  # test grade_id -> student version
    visible_tests: dict[str, str] = field(default_factory=dict)  # test grade_id -> its visible asserts
    announces: dict[str, str] = field(default_factory=dict)  # test grade_id -> its announce line + "\n"

    @property
    def max_score(self) -> float:
        return float(sum(self.tests.values()))

    def release_notebook(self) -> nbformat.NotebookNode:
        """The student version: from release/ when generated, else derived from the source."""
        path = self.course_dir / "release" / self.name / f"{self.notebook_name}.ipynb"
        if path.exists():
            return nbformat.read(path, as_version=4)
        nb = copy.deepcopy(self.source_nb)
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if nbgrader_meta(cell).get("grade") and not nbgrader_meta(cell).get("solution"):
                cell.source = student_test_source(cell.source, gid, self.tests.get(gid, 0),
                                                  self.checks.get(gid))
        return nb


def load_assignment(course_dir: Path, name: str) -> Assignment:
    course_dir = Path(course_dir)
    folder = course_dir / "source" / name
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise ValueError(f"{folder}: expected exactly one notebook, found {len(notebooks)}")
    source_nb = nbformat.read(notebooks[0], as_version=4)
    tests, answers = {}, []
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            tests[meta["grade_id"]] = float(meta.get("points", 0))
        elif meta.get("solution") and cell.cell_type == "code":
            answers.append(meta["grade_id"])
    checks_path = course_dir / "checks" / f"{name}.py"
    checks = load_checks(checks_path)
    missing = set(tests) - set(checks)
    if missing:
        raise ValueError(f"{checks_path}: no Check for test cells {sorted(missing)}")
    from sidebyside.grading.spec import check_problems

    for gid, points in tests.items():
        problems = check_problems(checks[gid], points)
        if problems:
            raise ValueError(f"{checks_path}: {gid}: {'; '.join(problems)}")
    assignment = Assignment(name, course_dir, notebooks[0].stem, source_nb, tests, answers, checks)
    for cell in source_nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in tests:
            assignment.release_sources[gid] = student_test_source(cell.source, gid, tests[gid],
                                                                  checks[gid])
            assignment.visible_tests[gid] = strip_hidden_tests(cell.source)
            assignment.announces[gid] = assignment.release_sources[gid].removesuffix(
                assignment.visible_tests[gid])
    return assignment


@dataclass
class Plan:
    """What to execute for one submission, and what was wrong with its structure."""

    steps: list[dict] = field(default_factory=list)  # {"kind": "cell"|"probe", ...}
    notes: list[str] = field(default_factory=list)
    fatal: str | None = None  # the notebook cannot be read at all
    answer_sources: dict[str, str] = field(default_factory=dict)
    answer_steps: dict[str, int] = field(default_factory=dict)  # grade_id -> cell position


def plan_submission(path: Path, assignment: Assignment) -> Plan:
    """The plan for a notebook file (the grader itself reads student files with `studentfiles`)."""
    return plan_from_bytes(Path(path).read_bytes(), assignment)


def plan_from_bytes(data: bytes, assignment: Assignment) -> Plan:
    plan = Plan()
    try:
        # JSON escapes can still smuggle lone surrogates in ("\\udcff"): they would crash writing
        # the feedback later, so every string is made valid here
        raw = _valid_text(json.loads(data.decode("utf-8"), object_hook=_valid_keys))
    except UnicodeDecodeError as err:
        plan.fatal = f"the submitted file is not a readable notebook (not UTF-8 text: {err.reason})"
        return plan
    except (ValueError, RecursionError) as err:  # JSONDecodeError, huge integers, deep nesting
        kind = "invalid JSON" if isinstance(err, json.JSONDecodeError) else \
            "JSON nested too deeply" if isinstance(err, RecursionError) else "unreadable JSON"
        plan.fatal = f"the submitted file is not a readable notebook ({kind}: {str(err)[:200]})"
        return plan
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        plan.fatal = "the submitted file is not a notebook (no list of cells)"
        return plan
    if raw.get("nbformat") != 4:
        plan.notes.append(f"notebook format {raw.get('nbformat')!r} is not 4; read it anyway")
    try:
        with warnings.catch_warnings():  # e.g. DuplicateCellId: reported below as duplicated cells
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(copy.deepcopy(raw)))
    except Exception as err:  # noqa: BLE001 - nbformat raises several types
        plan.notes.append(f"the notebook does not validate ({str(err).splitlines()[0][:200]}); "
                          "graded what could be read")
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    kernel = (meta.get("kernelspec") or {}).get("name") if isinstance(meta.get("kernelspec"), dict) \
        else None
    if kernel not in (None, KERNEL_NAME):
        plan.notes.append(f"kernel {kernel!r} in the metadata was ignored: graded with {KERNEL_NAME}")

    seen: dict[str, int] = {}
    for position, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict):
            plan.notes.append(f"cell {position} is not a cell object: skipped")
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        gid = gid if isinstance(gid, str) else None  # a list here would not even be hashable
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        ctype = cell.get("cell_type")
        if gid in assignment.tests:
            seen[gid] = seen.get(gid, 0) + 1
            if seen[gid] > 1:
                plan.notes.append(f"test cell {gid} appears {seen[gid]} times: its hidden tests ran once")
                continue
            meta = nbgrader_meta(cell)
            if meta.get("points") != assignment.tests[gid] or not meta.get("grade") \
                    or meta.get("solution"):
                plan.notes.append(f"the nbgrader metadata of test cell {gid} was edited: ignored, "
                                  "the instructor's points and tests apply")
            # the tests as given, with or without the line that prints their verdict (the
            # instructor's own notebook has none; a student who deletes it changes no test)
            visible = strip_hidden_tests(source)
            announce = assignment.announces[gid]
            if announce and visible.startswith(announce):
                visible = visible.removeprefix(announce)
            if visible != assignment.visible_tests[gid]:
                plan.notes.append(f"test cell {gid} was edited: your edits were ignored, "
                                  "the original tests ran")
            plan.steps.append(_probe_step(gid))
            continue
        if gid in assignment.answers:
            seen[gid] = seen.get(gid, 0) + 1
            if seen[gid] > 1:
                plan.notes.append(f"answer cell {gid} appears {seen[gid]} times: only the first "
                                  "copy was run")
                continue
            if ctype != "code":
                plan.notes.append(f"answer cell {gid} is no longer a code cell: it was not run")
                continue
            plan.answer_sources[gid] = source
            plan.answer_steps[gid] = position
        if ctype == "code":
            plan.steps.append({"kind": "cell", "index": position, "source": source})
    for gid in assignment.answers:
        if gid not in seen:
            plan.notes.append(f"answer cell {gid} is missing (deleted?): its tests cannot pass")
    for gid in assignment.tests:
        if gid not in seen:
            plan.notes.append(f"test cell {gid} was deleted: its hidden tests ran anyway, at the end")
            plan.steps.append(_probe_step(gid))
    return plan


def _valid_text(value):
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8")
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _valid_text(v) for k, v in value.items()}
    return value


def _valid_keys(obj: dict) -> dict:
    return {_valid_text(k): v for k, v in obj.items()}


def _probe_step(gid: str) -> dict:
    return {"kind": "probe", "grade_id": gid}


def feedback_notebook(assignment: Assignment, plan: Plan, cell_reports: dict[int, dict],
                      outcomes: dict, notes: list[str]) -> nbformat.NotebookNode:
    """The autograded notebook nbgrader's feedback is made from: the STUDENT version of the
    assignment (visible tests only, never hidden ones) with the student's answers, their outputs, and
    each test cell's verdict as its output."""
    nb = assignment.release_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in plan.answer_sources:
            cell.source = plan.answer_sources[gid]
            report = cell_reports.get(plan.answer_steps[gid])
            if report:
                cell.outputs = _outputs(report)
        elif gid in outcomes:
            outcome = outcomes[gid]
            mark = "✔" if outcome.passed else "✘"
            text = f"{mark} {gid}: {outcome.score:g}/{outcome.points:g} points. {outcome.message}\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if notes:
        # notes quote submission text (kernel names, error messages): escape it, never render it
        text = "**Notes from the autograder**\n\n" + "\n".join(f"- {html.escape(n)}" for n in notes)
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata[NOTES_KEY] = True
        nb.cells.insert(1, cell)
    return nb


NOTES_KEY = "sidebyside_autograder_notes"  # marks the notes cell (student text, escaped)


def shown(assignment: Assignment, gid: str, after_due: bool) -> bool:
    """Whether the student sees this check's own result (spec.py: visibility)."""
    visibility = getattr(assignment.checks[gid], "visibility", "visible")
    return visibility == "visible" or (visibility == "after_due" and after_due)


def hidden_summary(assignment: Assignment, outcomes: dict, after_due: bool) -> str | None:
    """"n hidden checks: k passed" for the checks the student does not see one by one."""
    unseen = [o for gid, o in outcomes.items() if not shown(assignment, gid, after_due)]
    if not unseen:
        return None
    passed = sum(1 for o in unseen if o.passed)
    return (f"{len(unseen)} hidden check{'s' if len(unseen) != 1 else ''}: {passed} passed "
            f"({sum(o.score for o in unseen):g} / {sum(o.points for o in unseen):g} points)")


def verdict_text(assignment: Assignment, outcome) -> str:
    """A shown check's line: its points, what it checks, and the reason when it failed."""
    check = assignment.checks[outcome.grade_id]
    return verdict_line(outcome.grade_id, outcome.passed, outcome.score, outcome.points,
                        getattr(check, "message", ""), outcome.message)


def apply_visibility(assignment: Assignment, nb: nbformat.NotebookNode, outcomes: dict,
                     after_due: bool) -> nbformat.NotebookNode:
    """The feedback notebook as the student may see it: a check they do not see loses its
    verdict and its nbgrader grade mark (so nbgrader's HTML shows no score for it either), and one
    summary cell counts those checks."""
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid not in outcomes:
            continue
        if shown(assignment, gid, after_due):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=verdict_text(assignment, outcomes[gid]) + "\n")]
        else:
            cell.outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text="(a hidden check: counted in the summary at the top)\n")]
            cell.metadata["nbgrader"]["grade"] = False
            cell.metadata["nbgrader"]["points"] = 0
    summary = hidden_summary(assignment, outcomes, after_due)
    if summary:
        cell = nbformat.v4.new_markdown_cell(f"**{summary}**")
        cell.metadata[NOTES_KEY] = True
        nb.cells.insert(1, cell)
    return nb


def hidden_lines(assignment: Assignment) -> list[str]:
    """The lines of the hidden tests that are secret: in a hidden block of the source notebook and
    nowhere in the student version."""
    public = {line.strip() for cell in assignment.release_notebook().cells
              for line in str(cell.source).splitlines()}
    lines = []
    for cell in assignment.source_nb.cells:
        if nbgrader_meta(cell).get("grade_id") not in assignment.tests:
            continue
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip() and line.strip() not in public:
                lines.append(line.strip())
    return lines


def hidden_test_leak(assignment: Assignment, nb: nbformat.NotebookNode) -> str | None:
    """Why a feedback notebook would show hidden tests, or None. Only the cells the INSTRUCTOR's
    side wrote are inspected (everything but the answers and the notes): text a student typed can
    never trigger it, so the check tells a student nothing about the hidden tests."""
    secret = set(hidden_lines(assignment))
    for position, cell in enumerate(nb.cells):
        if nbgrader_meta(cell).get("grade_id") in assignment.answers or cell.metadata.get(NOTES_KEY):
            continue
        lines = {line.strip() for line in str(cell.source).splitlines()}
        if "BEGIN HIDDEN TESTS" in str(cell.source) or lines & secret:
            return (f"cell {position} contains hidden test source (is release/ generated from the "
                    "current source? run `sidebyside grade generate`)")
    return None


def _outputs(report: dict) -> list:
    outs = []
    if report.get("stdout"):
        outs.append(nbformat.v4.new_output("stream", name="stdout", text=report["stdout"]))
    if report.get("error"):
        err = report["error"]
        outs.append(nbformat.v4.new_output("error", ename=str(err.get("ename")),
                                           evalue=str(err.get("evalue")), traceback=[]))
    return outs
