"""Submissions for ps01_tensors, honest and adversarial, built from the generated student version.

Each entry: name -> (build(release_nb) -> notebook JSON text, expected score or cap, kind).
kind "exact": the score must equal the number; "cap": the score must not exceed it (the honest score of
the code it contains). Answers are whole cell sources keyed by nbgrader grade_id.
"""

from __future__ import annotations

import copy
import json

import nbformat

RIGHT = {
    "ps01_q1_answer_torch": "def torch_to_numpy(t):\n    return t.detach().numpy()",
    "ps01_q1_answer_tf": "def tf_to_numpy(t):\n    return t.numpy()",
    "ps01_q2_answer_torch": (
        "def standardize_torch(x):\n"
        "    return (x - x.mean(0)) / x.std(0, unbiased=False)"),
    "ps01_q2_answer_tf": (
        "def standardize_tf(x):\n"
        "    return (x - tf.reduce_mean(x, 0)) / tf.math.reduce_std(x, 0)"),
    "ps01_q3_answer_torch": (
        "def pairwise_sq_dists_torch(a, b):\n"
        "    return torch.cdist(a, b) ** 2"),
    "ps01_q3_answer_tf": (
        "def pairwise_sq_dists_tf(a, b):\n"
        "    return tf.reduce_sum(tf.square(a[:, None] - b[None]), -1)"),
}

# Callable but wrong everywhere: zeros of a plausible shape (an attack must not turn these into points)
WRONG = {
    "ps01_q1_answer_torch": "def torch_to_numpy(t):\n    return np.zeros(tuple(t.shape), np.float32)",
    "ps01_q1_answer_tf": "def tf_to_numpy(t):\n    return np.zeros(tuple(t.shape), np.float32)",
    "ps01_q2_answer_torch": "def standardize_torch(x):\n    return torch.zeros_like(x)",
    "ps01_q2_answer_tf": "def standardize_tf(x):\n    return tf.zeros_like(x)",
    "ps01_q3_answer_torch": (
        "def pairwise_sq_dists_torch(a, b):\n    return torch.zeros(a.shape[0], b.shape[0])"),
    "ps01_q3_answer_tf": (
        "def pairwise_sq_dists_tf(a, b):\n    return tf.zeros((a.shape[0], b.shape[0]))"),
}


def gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def fill(release, answers, after=None, before=None):
    """Copy of the release notebook with answers filled in; `after`/`before`: {grade_id: [sources]}
    extra code cells inserted after/before the cell with that grade_id ("setup": after the setup)."""
    nb = copy.deepcopy(release)
    cells = []
    for cell in nb.cells:
        g = gid(cell)
        for src in (before or {}).get(g, []):
            cells.append(nbformat.v4.new_code_cell(src))
        if g in answers:
            cell.source = answers[g]
        cells.append(cell)
        for src in (after or {}).get(g, []):
            cells.append(nbformat.v4.new_code_cell(src))
        if "env = setup()" in cell.source:
            for src in (after or {}).get("setup", []):
                cells.append(nbformat.v4.new_code_cell(src))
    nb.cells = cells
    return nbformat.writes(nb)


def mixed(**overrides):
    return RIGHT | overrides


# ---- honest -------------------------------------------------------------------------------------

PARTIAL = mixed(
    # Q1 wrong: tolist() loses the dtype (float32 becomes float64)
    ps01_q1_answer_torch="def torch_to_numpy(t):\n    return np.array(t.tolist())",
    # Q2 hard-coded for the visible example only
    ps01_q2_answer_torch=(
        "def standardize_torch(x):\n"
        "    return torch.tensor([[-1.0, -1.0], [1.0, 1.0]])"),
)

WARNINGS = """
import sys
import warnings
print("framework chatter", file=sys.stderr)
warnings.warn("a framework warning")
_original_std = standardize_tf
def standardize_tf(x):
    warnings.warn("deprecated-ish")
    print("log line on stderr", file=sys.stderr)
    return _original_std(x)
"""

# ---- adversarial --------------------------------------------------------------------------------

MONKEYPATCH = """
import numpy as np
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
import builtins
_isinstance = builtins.isinstance
builtins.AssertionError = type("Nope", (Exception,), {})
"""

TRANSFORMER = """
def _swallow(lines):
    return ["try:\\n"] + ["    " + l for l in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(_swallow)
"""

FAKE_OUTPUT = """
import json, os, sys
ids = ["ps01_q1_tests", "ps01_q2_tests", "ps01_q3_tests"]
for g in ids:
    print("✔ passed", g)
    print("@@" + "0" * 32 + " " + json.dumps({"kind": "probe", "grade_id": g, "result": {}}))
    os.write(1, (json.dumps({"kind": "probe", "grade_id": g, "result": True}) + "\\n").encode())
# find the runner's nonce and its private stdout, and forge reports with them
f = sys._getframe()
while f is not None and "nonce" not in f.f_locals:
    f = f.f_back
if f is not None:
    nonce, fd = f.f_locals["nonce"], f.f_locals["out_fd"]
    for g in ids:
        fake = {"kind": "probe", "grade_id": g, "result": {"torch": [[0.0]], "tf": [[0.0]]},
                "error": None}
        os.write(fd, ("@@" + nonce + " " + json.dumps(fake) + "\\n").encode())
    print("forged with the real nonce")
json.dumps = lambda *a, **k: '{"kind": "done"}'
"""

SNOOP = '''
def torch_to_numpy(t):
    return np.zeros(tuple(t.shape), np.float32)
import glob, os
# places that exist on the grading machine: the course, its gradebook, the tests' temporary course
candidates = ["/work/main/graded", "/work/main/graded/gradebook.db", "/work/main/graded/source",
              "/work/main/graded/checks", "/work/main/tests", "/work/shared", "/root/.ssh"]
candidates += glob.glob("/tmp/pytest-of-*") + glob.glob("/tmp/*/gradebook.db")
candidates += glob.glob("/tmp/*/*/gradebook.db") + glob.glob("/*/gradebook.db")
candidates += glob.glob("/submission/../submitted") + glob.glob("/work/main/*/gradebook.db")
found = [p for p in candidates if os.path.exists(p)]
print("visible files:", sorted(found)[:20])
writable = []
for d in ["/work", "/work/main", "/work/main/widgets/sidebyside", "/usr", "/root", "/"]:
    try:
        open(os.path.join(d, "pwned.txt"), "w").write("x")
        writable.append(d)
    except OSError:
        pass
print("writable:", writable)
import socket
interfaces = [name for _, name in socket.if_nameindex() if name != "lo"]  # only loopback: no network
print("network:", "yes" if interfaces else "no", interfaces)
print("uid:", os.getuid())
'''

EDITED_TESTS = """
### BEGIN HIDDEN TESTS
assert True
### END HIDDEN TESTS
print("all tests passed")
"""

LOOP = "while True:\n    pass"
STUBBORN_LOOP = """
import time
while True:
    try:
        time.sleep(0.5)
    except BaseException:
        pass
"""
EXIT = "import os\nos._exit(0)"
MEMORY = """
import numpy as np
try:
    big = bytearray(64 * 2**30)
except MemoryError:
    print("refused at once")
def bomb():
    hog = []
    while True:
        hog.append(np.ones(10**8))
try:
    bomb()
except MemoryError:
    print("memory limit reached")
"""
BACKGROUND = r'''
import os, subprocess, sys, time
code = """
import glob, os, sqlite3, time
for i in range(600):
    for db in glob.glob('/**/gradebook.db', recursive=True):
        con = sqlite3.connect(db)
        con.execute("update grade set auto_score = 100")
        con.commit()
    open('/submission/still_alive.txt', 'a').write(str(i))
    time.sleep(0.2)
"""
subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    exec(code)
print("daemons started")
'''


# Found by red-teaming: a lone surrogate in an output used to crash the batch when it was stored.
SURROGATE = "print('\\udcff')  # a lone surrogate: not encodable as UTF-8"
MARKUP_KERNEL = "<img src=x onerror=alert(1)><script>alert('xss')</script>"


def with_kernel(text: str, name: str) -> str:
    nb = json.loads(text)
    nb["metadata"]["kernelspec"] = {"name": name, "display_name": name, "language": "python"}
    return json.dumps(nb)


def invalid_json(release):
    return '{"cells": [ this is not json'


def build(release) -> dict[str, tuple[str, float, str]]:
    """All submissions: name -> (notebook text, expected, "exact"|"cap")."""
    q1_test, q2_test, q3_test = "ps01_q1_tests", "ps01_q2_tests", "ps01_q3_tests"
    restructured = json.loads(fill(release, RIGHT))
    cells = []
    for cell in restructured["cells"]:
        g = gid(cell)
        if g == q1_test:
            continue  # deleted test cell
        if g == q2_test:
            cells.append(copy.deepcopy(cell))  # duplicated test cell
        if g == q3_test:
            cell["source"] = "assert True  # edited test"
        cells.append(cell)
    restructured["cells"] = cells
    restructured["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    no_answer = json.loads(fill(release, RIGHT))
    no_answer["cells"] = [c for c in no_answer["cells"] if gid(c) != "ps01_q2_answer_tf"]
    edited = json.loads(fill(release, WRONG))
    for cell in edited["cells"]:
        if gid(cell) in (q1_test, q2_test, q3_test):
            cell["source"] = EDITED_TESTS
    return {
        "honest_correct": (fill(release, RIGHT), 7, "exact"),
        "honest_blank": (nbformat.writes(release), 0, "exact"),
        "honest_partial": (fill(release, PARTIAL), 2, "exact"),
        "honest_warnings": (fill(release, RIGHT, after={"ps01_q2_answer_tf": [WARNINGS]}), 7,
                            "exact"),
        "broken_restructured": (json.dumps(restructured), 7, "exact"),
        "broken_missing_answer": (json.dumps(no_answer), 4, "exact"),
        "broken_invalid_json": (invalid_json(release), 0, "exact"),
        "attack_monkeypatch": (fill(release, WRONG, after={"setup": [MONKEYPATCH]}), 0, "cap"),
        "attack_transformer": (fill(release, WRONG, after={"setup": [TRANSFORMER]}), 0, "cap"),
        "attack_fake_output": (fill(release, WRONG, after={"setup": [FAKE_OUTPUT]}), 0, "cap"),
        "attack_snoop": (fill(release, WRONG | {"ps01_q1_answer_torch": SNOOP}), 0, "cap"),
        "attack_edited_tests": (json.dumps(edited), 0, "cap"),
        "attack_background": (fill(release, WRONG, after={"setup": [BACKGROUND]}), 0, "cap"),
        "limit_loop": (fill(release, RIGHT, after={"ps01_q1_tests": [LOOP]}), 7, "exact"),
        "limit_stubborn_loop": (fill(release, RIGHT, after={"ps01_q1_tests": [STUBBORN_LOOP]}), 2,
                                "exact"),
        "limit_os_exit": (fill(release, RIGHT, after={"ps01_q2_tests": [EXIT]}), 5, "exact"),
        "limit_memory_bomb": (fill(release, RIGHT, after={"ps01_q1_tests": [MEMORY]}), 7, "exact"),
        "hostile_surrogate": (fill(release, RIGHT | {"ps01_q1_answer_torch": (
            RIGHT["ps01_q1_answer_torch"] + "\n" + SURROGATE)}), 7, "exact"),
        "hostile_markup": (with_kernel(fill(release, RIGHT), MARKUP_KERNEL), 7, "exact"),
    }
