"""The framework facts lesson 20 teaches, re-derived from the pinned torch and TensorFlow, and the two
adapters of `sidebyside.profiling` (TF's trace file, dynamo's counters and recompile log).

nbval proves the committed outputs still come out; this file names the fact (and the sentence of the
lesson to rewrite) when a version bump changes one. Everything that compiles uses dynamo's `eager`
backend: when and why dynamo recompiles is decided before any backend runs, so the counts are the
lesson's (which uses inductor) without paying for code generation. Nothing here times anything.
"""

import pytest

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from sidebyside.profiling import dynamo_watch, tf_op_self_times, tf_trace_files  # noqa: E402

# --- profilers --------------------------------------------------------------------------------------


def test_torch_profiler_counts_five_matrix_products_per_step_and_self_time_is_within_total():
    from torch.profiler import ProfilerActivity, profile, schedule

    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    x = torch.randn(4, 8)
    with profile(activities=[ProfilerActivity.CPU],
                 schedule=schedule(wait=0, warmup=1, active=5, repeat=1)) as prof:
        for _ in range(6):
            model.zero_grad()
            model(x).square().mean().backward()
            prof.step()
    events = {e.key: e for e in prof.key_averages()}
    assert events["aten::addmm"].count == 10 and events["aten::mm"].count == 15  # 2 forward, 3 backward
    assert "ProfilerStep*" in events  # the schedule's label around each recorded step
    assert all(e.self_cpu_time_total <= e.cpu_time_total + 1e-6 for e in events.values())
    assert events["aten::linear"].self_cpu_time_total < events["aten::linear"].cpu_time_total


def test_tf_profiler_writes_one_xplane_file_that_reads_back_25_matrix_products(tmp_path):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2)])
    x = tf.random.normal([4, 8])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x)))
        return tape.gradient(loss, model.trainable_variables)

    step()
    tf.profiler.experimental.start(str(tmp_path))
    for _ in range(5):
        step()
    tf.profiler.experimental.stop()
    files = tf_trace_files(tmp_path)
    assert len(files) == 1 and files[0].parts[:2] == ("plugins", "profile"), files
    assert files[0].name.endswith(".xplane.pb")  # the lesson: no .trace.json.gz in this version
    ops = tf_op_self_times(tmp_path)
    assert sum(count for op, (count, _) in ops.items() if "MatMul" in op) == 25
    assert all(seconds >= 0 for _, seconds in ops.values())


def test_tf_op_self_times_subtracts_nested_events_and_keeps_only_op_events(tmp_path):
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    plane = space.planes.add(name="/host:CPU")
    for key, name in [(1, "ExecutorState::Process"), (2, "dense/MatMul:MatMul"), (3, "dense/Relu:Relu"),
                      (4, "EagerLocalExecute: __inference_step_1")]:
        plane.event_metadata[key].id = key
        plane.event_metadata[key].name = name
    line = plane.lines.add(name="tf_Compute")
    for metadata_id, offset, duration in [(1, 0, 100), (2, 10, 50), (3, 60, 20), (4, 200, 10)]:
        line.events.add(metadata_id=metadata_id, offset_ps=offset * 10**6, duration_ps=duration * 10**6)
    folder = tmp_path / "plugins" / "profile" / "run"
    folder.mkdir(parents=True)
    (folder / "host.xplane.pb").write_bytes(space.SerializeToString())
    ops = tf_op_self_times(tmp_path)
    assert set(ops) == {"MatMul", "Relu"}  # runtime events are not ops
    assert ops["MatMul"][0] == 1 and ops["MatMul"][1] == pytest.approx(50e-6)


# --- recompiles and dynamic shapes ------------------------------------------------------------------


def test_dynamo_recompiles_once_on_a_new_size_then_serves_other_sizes_symbolically(capfd):
    def scale(x):
        return torch.relu(x) * 2 + 1

    compiled = torch.compile(scale, backend="eager")
    with dynamo_watch() as watch:
        counts = []
        for rows in (8, 16, 32, 64):
            compiled(torch.ones(rows, 4))
            counts.append(watch.graphs)
    assert counts == [1, 2, 2, 2]
    assert watch.reasons == ["tensor 'x' size mismatch at index 0. expected 8, actual 16"]
    assert "Recompiling" not in capfd.readouterr().err  # the watch keeps dynamo's log off stderr
    assert torch._dynamo.config.recompile_limit == 8


def test_dynamic_true_and_mark_dynamic_compile_one_graph_for_four_sizes():
    def scale_dynamic(x):
        return torch.relu(x) * 2 + 1

    def scale_marked(x):
        return torch.relu(x) * 2 + 1

    with dynamo_watch() as watch:
        compiled = torch.compile(scale_dynamic, backend="eager", dynamic=True)
        for rows in (8, 16, 32, 64):
            compiled(torch.ones(rows, 4))
    assert watch.graphs == 1
    with dynamo_watch() as watch:
        compiled = torch.compile(scale_marked, backend="eager")
        first = torch.ones(8, 4)
        torch._dynamo.mark_dynamic(first, 0)
        compiled(first)
        for rows in (16, 32, 64):
            compiled(torch.ones(rows, 4))
    assert watch.graphs == 1


def test_tf_function_traces_per_shape_unless_told_and_the_signature_refuses_other_shapes():
    def scale(x):
        return tf.nn.relu(x) * 2 + 1

    plain = tf.function(scale)
    signed = tf.function(scale, input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    relaxed = tf.function(scale, reduce_retracing=True)
    counts = []
    for rows in (8, 16, 32, 64):
        for f in (plain, signed, relaxed):
            f(tf.ones([rows, 4]))
        counts.append(plain.experimental_get_tracing_count())
    assert counts == [1, 2, 3, 4]
    assert signed.experimental_get_tracing_count() == 1
    assert relaxed.experimental_get_tracing_count() == 2
    assert "(None, 4)" in relaxed.pretty_printed_concrete_signatures()  # the second trace generalises
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        signed(tf.ones([8, 5]))


# --- graph breaks, fullgraph, modes -------------------------------------------------------------------


def _steps(v, n):
    for _ in range(n):
        v = torch.sin(v) * 0.9 + 0.1
    return v


def _checked(v):
    if v.isnan().any():
        raise ValueError("NaN")
    return v


def _smooth_checked(v):
    v = _checked(_steps(v, 6))
    v = _checked(_steps(v, 6))
    v = _checked(_steps(v, 6))
    v = _checked(_steps(v, 6))
    return _checked(_steps(v, 6))


def test_five_data_dependent_checks_make_six_graphs_and_fullgraph_raises():
    explained = torch._dynamo.explain(_smooth_checked)(torch.randn(100))
    assert (explained.graph_count, explained.graph_break_count) == (6, 5)
    with pytest.raises(torch._dynamo.exc.Unsupported, match="Data-dependent branching"):
        torch.compile(_smooth_checked, backend="eager", fullgraph=True)(torch.randn(100))


def test_tf_function_cannot_read_a_value_back():
    @tf.function
    def reads_back(v):
        return v.numpy()

    with pytest.raises(AttributeError, match="'SymbolicTensor' object has no attribute 'numpy'"):
        reads_back(tf.ones(3))


def test_reduce_overhead_only_switches_on_cuda_graphs():
    import torch._inductor

    assert torch._inductor.list_mode_options("default") == {}
    assert torch._inductor.list_mode_options("reduce-overhead") == {"triton.cudagraphs": True}
    assert torch._inductor.list_mode_options("max-autotune-no-cudagraphs") == {
        "max_autotune": True, "coordinate_descent_tuning": True}
