"""devices.capture_placement(): TF's fd-level placement log captured as rows (lab 03 relies on it)."""

import json
import subprocess
import sys
import textwrap

from sidebyside import devices

SAMPLE = """\
input: (_Arg): /job:localhost/replica:0/task:0/device:CPU:1
AddV2: (AddV2): /job:localhost/replica:0/task:0/device:CPU:1
mul/y: (Const): /job:localhost/replica:0/task:0/device:GPU:0
I0000 00:00:1795313810.540596    6286 placer.cc:162] AddV2: (AddV2): /job:localhost/replica:0/task:0/device:CPU:1
I0000 00:00:1795313810.558894    6286 execute.cc:1775] Executing op Mul in device /job:localhost/replica:0/task:0/device:CPU:1
some unrelated line
"""


def test_parse_placed_and_executed_lines():
    rows = devices.parse_placement(SAMPLE)
    assert [(r.op, r.name, r.short_device, r.source) for r in rows] == [
        ("_Arg", "input", "CPU:1", "placed"),
        ("AddV2", "AddV2", "CPU:1", "placed"),
        ("Const", "mul/y", "GPU:0", "placed"),
        ("Mul", "", "CPU:1", "executed"),  # the LOG(INFO) copy of a placer line is not counted twice
    ]
    assert rows[0].plumbing and not rows[1].plumbing


def test_log_table_hides_plumbing_by_default():
    log = devices.PlacementLog(rows=devices.parse_placement(SAMPLE))
    assert [r.op for r in log.ops()] == ["AddV2"]  # placed nodes; executions are separate
    assert [r.op for r in log.executed()] == ["Mul"]
    assert log.devices() == {"AddV2": "CPU:1"}
    table = log.table()
    assert [c.strip() for c in table.splitlines()[0].split("|")] == ["op", "node", "device"]
    assert "AddV2 | AddV2 | CPU:1" in table.replace("  ", "") and "_Arg" not in table
    assert "_Arg" in log.table(plumbing=True)
    assert "no ops placed" in devices.PlacementLog().table()
    assert "placement logging is off" in devices.PlacementLog(enabled=False).table()


def test_capture_restores_descriptors_and_keeps_other_output(capfd):
    import os

    with devices.capture_placement(fresh=False) as log:
        os.write(1, b"Mul: (Mul): /job:localhost/replica:0/task:0/device:CPU:0\nhello fd1\n")
        os.write(2, b"warning on fd2\n")
        # in Jupyter, TF routes "Executing op" messages through Python's sys.stdout
        print("Executing op Sin in device /job:localhost/replica:0/task:0/device:CPU:1")
        print("a learner's print", end="")
    assert [(r.op, r.short_device, r.source) for r in log.rows] == [
        ("Mul", "CPU:0", "placed"), ("Sin", "CPU:1", "executed")]
    assert [r.op for r in log.ops()] == ["Mul"] and [r.op for r in log.executed()] == ["Sin"]
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert "hello fd1" in out and "after" in out and "a learner's print" in out
    assert "Mul: (Mul)" not in out and "Executing op" not in out
    assert "warning on fd2" in err


SCRIPT = textwrap.dedent(
    """
    import json
    from sidebyside import setup, devices
    env = setup(log_device_placement=True, logical_cpus=2, quiet=True)
    import tensorflow as tf
    results = {}
    for run in ("first", "again"):  # the second run proves fresh=True re-logs cached eager kernels
        with devices.capture_placement() as log:
            with tf.device("/CPU:1"):
                x = tf.ones((2, 2))
                y = tf.matmul(x, x)
            with tf.device("/CPU:0"):
                z = y * 2.0
        results[run] = [[r.op, r.short_device] for r in log.ops()]

    @tf.function
    def f(a):
        return tf.sin(a) + 1.0

    with devices.capture_placement() as log:
        with tf.device("/CPU:1"):
            f(tf.constant([1.0]))
    results["function"] = [[r.op, r.short_device] for r in log.ops()]

    @tf.function
    def two_stage(x):
        with tf.device("/CPU:0"):
            h = tf.matmul(x, x)
        with tf.device("/CPU:1"):
            return tf.nn.relu(h)

    with devices.capture_placement() as log:
        two_stage(tf.ones((2, 2)))
    try:
        from sidebyside.graph import from_tf_function
    except ImportError:  # the graph package is optional for this test
        results["annotated"] = None
    else:
        graph = devices.annotate_placement(from_tf_function(two_stage, tf.ones((2, 2))), log)
        results["annotated"] = {n.op: n.device for n in graph.nodes if n.op in ("MatMul", "Relu")}
    print("RESULT" + json.dumps(results))
    """
)


def test_capture_real_tensorflow_placement_in_fresh_process():
    # log_device_placement works only before TF's first op, so this needs its own interpreter.
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    results = json.loads(line[len("RESULT"):])
    for run in ("first", "again"):
        ops = dict(map(tuple, results[run]))
        assert ops["MatMul"] == "CPU:1", results
        assert ops["Mul"] == "CPU:0", results
    assert ["Sin", "CPU:1"] in results["function"] and ["AddV2", "CPU:1"] in results["function"]
    if results["annotated"] is not None:
        assert results["annotated"] == {"MatMul": "CPU:0", "Relu": "CPU:1"}
    assert "Mul: (Mul)" not in proc.stdout  # captured, not leaked to the real stdout
