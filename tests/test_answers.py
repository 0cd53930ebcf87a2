"""`sidebyside answers`: answer keys for every lesson, lab and assignment, outside git and releases."""

from __future__ import annotations

import linecache
import subprocess

import nbformat
import pytest

from sidebyside import answers, cli, selfcheck
from sidebyside.notebooks import ROOT

LESSONS = sorted((ROOT / "course").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb"))
GRADED = sorted((ROOT / "graded" / "source").glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    out = tmp_path_factory.mktemp("answers")
    written = answers.write_all(out)
    return out, written


def test_one_key_per_lesson_lab_and_assignment(keys):
    out, written = keys
    expected = ({out / "course" / p.name for p in LESSONS if p.parent.name == "course"}
                | {out / "labs" / p.name for p in LESSONS if p.parent.name == "labs"}
                | {out / "graded" / p.name for p in GRADED})
    assert set(written) == expected
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert "for teachers only" in nb.cells[0].source


def check_cells(nb):
    return [(i, call) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for call in answers.check_calls(c.source)]


def test_every_self_check_gets_an_answer_cell_that_the_checker_accepts(keys):
    out, _ = keys
    seen = 0
    for lesson in LESSONS:
        nb = nbformat.read(out / lesson.parent.name / lesson.name, as_version=4)
        for i, (exercise_id, names) in check_cells(nb):
            key = nb.cells[i - 1]
            assert answers.KEY_TAG in key.metadata.get("tags", []), (lesson.name, exercise_id)
            # run the cell as IPython would: its source registered in linecache, where AutoGraph
            # (tf.function over a Python `if`) looks for it
            filename = f"<answer key {exercise_id}>"
            linecache.cache[filename] = (len(key.source), None, key.source.splitlines(True), filename)
            namespace: dict = {}
            exec(compile(key.source, filename, "exec"), namespace)
            status, message = selfcheck.verdict(exercise_id, *(namespace[n] for n in names))
            assert status == "correct", (exercise_id, message)
            seen += 1
    assert seen == len([i for i in selfcheck.load_all() if not i.startswith("ps")]) >= 30


def test_an_answer_notebook_runs_and_every_check_prints_a_tick(keys):
    out, _ = keys
    from nbclient import NotebookClient

    nb = nbformat.read(out / "course" / "01_tensors.ipynb", as_version=4)
    # run where the lesson lives, as a teacher would run the key next to the course
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "course")}}).execute()
    printed = ["".join(o.get("text", "") for o in nb.cells[i].outputs) for i, _ in check_cells(nb)]
    assert len(printed) == 3
    assert all(text.startswith("✔") for text in printed), printed


def test_the_graded_key_is_the_instructor_version_with_solutions(keys):
    out, _ = keys
    text = (out / "graded" / GRADED[0].name).read_text()
    assert "### BEGIN SOLUTION" in text and "### BEGIN HIDDEN TESTS" in text


def test_the_default_folder_is_ignored_by_git_and_release_folders_are_refused(tmp_path, capsys):
    probe = answers.DEFAULT_OUT / "course" / "00_start_here.ipynb"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=ROOT)
    assert ignored.returncode == 0, "answers/ is not in .gitignore"
    for folder in ("graded/release", "graded", "course/keys", "labs"):
        assert answers.refuse(ROOT / folder), folder
        assert cli.main(["answers", "--out", str(ROOT / folder)]) == 2
        assert "answer keys go to a folder outside it" in capsys.readouterr().err
    assert not (ROOT / "graded" / "release" / "course").exists()
    assert answers.refuse(tmp_path) is None
