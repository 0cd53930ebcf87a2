"""The framework facts lesson 19 teaches, re-derived from the pinned torch, TensorFlow and Keras.

The lesson's prose states them as facts (what each seeding call resets, what the deterministic
switches raise, where a DataLoader's base seed comes from); nbval only proves the committed outputs
still come out. If a version bump changes one of these behaviours, this file names the fact and the
sentence of the lesson to rewrite.

TensorFlow's op determinism has no public off switch and is process-wide, so its facts run in one
short subprocess that imports TensorFlow alone: switching it on here would change every later test in
this worker.
"""

import math
import os
import random
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def test_torch_manual_seed_resets_torch_only_and_keras_seeds_python_numpy_tf_not_torch():
    def draws():
        return torch.rand(2), np.random.rand(), random.random(), tf.random.uniform([2])

    torch.manual_seed(7)
    a = draws()
    torch.manual_seed(7)
    b = draws()
    assert torch.equal(a[0], b[0]) and a[1] != b[1] and a[2] != b[2]
    keras.utils.set_random_seed(7)
    a = draws()
    keras.utils.set_random_seed(7)
    b = draws()
    assert a[1] == b[1] and a[2] == b[2] and bool(tf.reduce_all(a[3] == b[3]))
    assert keras.backend.backend() == "tensorflow" and not torch.equal(a[0], b[0])


def test_setup_seeds_everything_and_leaves_the_switches_off():
    from sidebyside.kernel import seed_everything

    def draws():
        return random.random(), np.random.rand(), torch.rand(()).item(), float(tf.random.uniform([]))

    seed_everything(3)
    first = draws()
    seed_everything(3)
    assert draws() == first
    assert not torch.are_deterministic_algorithms_enabled()


def test_torch_deterministic_switch_raises_warns_and_fills_empty_with_nan():
    index, source = torch.tensor([0, 0]), torch.tensor([1.0, 2.0])
    try:
        torch.use_deterministic_algorithms(True)
        with pytest.raises(RuntimeError, match="put_ does not have a deterministic implementation"):
            torch.zeros(4).put_(index, source)
        assert torch.isnan(torch.empty(3)).all()
        with pytest.raises(RuntimeError, match="put_ does not have a deterministic implementation"):
            torch.zeros(4).put_(torch.tensor([0, 1]), source)  # distinct indices: the op is judged
        assert torch.zeros(4).put_(index, source, accumulate=True)[0] == 3.0
        torch.use_deterministic_algorithms(True, warn_only=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.zeros(4).put_(index, source)
        assert len(caught) == 1 and "put_ does not have a deterministic" in str(caught[0].message)
    finally:
        torch.use_deterministic_algorithms(False)
    assert not torch.are_deterministic_algorithms_enabled()
    torch.zeros(4).put_(index, source)  # off again: no error


TF_DETERMINISM = textwrap.dedent("""
    import tensorflow as tf, keras
    names = [n for n in dir(tf.config.experimental) if "determinism" in n]
    assert names == ["enable_op_determinism"], names  # no public off switch
    tf.random.set_seed(0)
    tf.config.experimental.enable_op_determinism()
    tf.random.uniform([2])  # a global seed: fine
    tf.random.set_seed(None)
    try:
        tf.random.uniform([2])
    except RuntimeError as err:
        assert "Random ops require a seed to be set when determinism is enabled" in str(err), err
    else:
        raise AssertionError("an unseeded random op ran under op determinism")
    tf.random.uniform([2], seed=3)  # an op seed alone is enough
    tf.random.stateless_uniform([2], seed=[1, 2])
    keras.layers.Dropout(0.5)(tf.ones([8]), training=True)  # Keras carries its own seeds
    print("ok")
""")


def test_tensorflow_op_determinism_refuses_unseeded_random_ops_and_cannot_be_switched_off():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", KERAS_BACKEND="tensorflow")
    result = subprocess.run([sys.executable, "-c", TF_DETERMINISM], capture_output=True, text=True,
                            env=env, timeout=300)  # a hang detector: the run takes seconds
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_generators_are_independent_replayable_and_stateless_ops_are_pure():
    a, b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    mixed = []
    for _ in range(3):
        mixed.append(torch.rand(1, generator=a).item())
        torch.rand(1, generator=b), torch.rand(10)
    g = torch.Generator().manual_seed(1)
    assert mixed == [torch.rand(1, generator=g).item() for _ in range(3)]
    ta, tb = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(2)
    mixed = []
    for _ in range(3):
        mixed.append(float(ta.uniform([1])[0]))
        tb.uniform([1]), tf.random.uniform([10])
    g = tf.random.Generator.from_seed(1)
    assert mixed == [float(g.uniform([1])[0]) for _ in range(3)]
    state = tf.identity(ta.state)
    later = ta.uniform([2])
    ta.reset(state)
    assert bool(tf.reduce_all(later == ta.uniform([2])))
    seed = tf.constant([1, 2])
    assert bool(tf.reduce_all(tf.random.stateless_uniform([3], seed=seed)
                              == tf.random.stateless_uniform([3], seed=seed)))


class Jittered(torch.utils.data.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return i, torch.rand(())


def loader_epoch(workers=2, generator=None):
    loader = torch.utils.data.DataLoader(Jittered(), batch_size=4, shuffle=True, num_workers=workers,
                                         generator=generator)
    return [(int(i), float(j)) for index, jitter in loader for i, j in zip(index, jitter)]


def test_dataloader_base_seed_and_order_come_from_generator_else_the_global_one():
    torch.manual_seed(0)
    run_1 = loader_epoch(generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    torch.rand(5)
    assert loader_epoch(generator=torch.Generator().manual_seed(0)) == run_1
    torch.manual_seed(0)
    free_1 = loader_epoch()
    torch.manual_seed(0)
    torch.rand(5)
    free_2 = loader_epoch()
    assert [i for i, _ in free_1] != [i for i, _ in free_2]
    zero = loader_epoch(workers=0, generator=torch.Generator().manual_seed(0))
    assert [i for i, _ in zero] == [i for i, _ in run_1] and zero != run_1


def test_tf_data_shuffle_seeds_and_reshuffle_each_iteration():
    def epochs(ds):
        return [list(ds.as_numpy_iterator()) for _ in range(2)]

    seeded = epochs(tf.data.Dataset.range(8).shuffle(8, seed=0))
    assert seeded == epochs(tf.data.Dataset.range(8).shuffle(8, seed=0)) and seeded[0] != seeded[1]
    fixed = epochs(tf.data.Dataset.range(8).shuffle(8, seed=0, reshuffle_each_iteration=False))
    assert fixed[0] == fixed[1]
    tf.random.set_seed(0)
    unseeded = [list(tf.data.Dataset.range(8).shuffle(8).as_numpy_iterator()) for _ in range(2)]
    assert unseeded[0] != unseeded[1]  # a new op seed for each pipeline, though the global seed is set


def test_float32_addition_depends_on_order_in_both_frameworks_and_fsum_does_not():
    big, one = np.float32(1e8), np.float32(1.0)
    assert (torch.tensor(big) + torch.tensor(one)) - torch.tensor(big) == 0
    assert float((tf.constant(big) + tf.constant(one)) - tf.constant(big)) == 0
    assert float((tf.constant(big) - tf.constant(big)) + tf.constant(one)) == 1
    values = np.random.default_rng(19).standard_normal(1000).astype(np.float32)
    forward = backward = np.float32(0)
    for v, w in zip(values, values[::-1]):
        forward, backward = np.float32(forward + v), np.float32(backward + w)
    assert forward != backward
    assert math.fsum(values) == math.fsum(values[::-1])
