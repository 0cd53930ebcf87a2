"""The pipeline facts lesson 12 teaches and its self-check hints rely on, on the pinned versions.

The notebook shows each one once (nbval re-runs it); these tests pin the behaviours the exercise
course12.q2 uses as hints, which the notebook does not all show, so a version bump that changes one
fails here with its name rather than leaving a wrong hint in place.
"""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info  # noqa: E402


def epochs(ds, n=2):
    return [[np.asarray(x).tolist() for x in ds.as_numpy_iterator()] for _ in range(n)]


def test_cache_after_shuffle_replays_the_first_order():
    frozen = tf.data.Dataset.range(16).shuffle(16, seed=1).cache()
    first, second = epochs(frozen)
    assert first == second and first != list(range(16))
    fresh = tf.data.Dataset.range(16).cache().shuffle(16, seed=1)
    first, second = epochs(fresh)
    assert first != second


def test_cache_after_a_random_map_replays_the_first_draws():
    def noisy(i):
        return tf.cast(i, tf.float32) + tf.random.uniform([])

    first, second = epochs(tf.data.Dataset.range(8).map(noisy).cache())
    assert first == second
    # The lesson's fix: cache first, then a map drawing from a Dataset.random re-randomised every
    # epoch, with stateless ops. (A plain unseeded op after the cache is no fix to pin here: once a
    # global seed is set, as setup() and other tests in this process do, it repeats every epoch too.)
    seeds = tf.data.Dataset.random(seed=1, rerandomize_each_iteration=True).batch(2)
    fresh = tf.data.Dataset.zip(tf.data.Dataset.range(8).cache(), seeds).map(
        lambda i, s: tf.cast(i, tf.float32) + tf.random.stateless_uniform([], seed=s))
    first, second = epochs(fresh)
    assert first != second


def test_shuffle_after_batch_keeps_each_batch_together():
    batches = epochs(tf.data.Dataset.range(16).batch(4).shuffle(4, seed=0), n=1)[0]
    assert sorted(map(tuple, batches)) == [tuple(range(k, k + 4)) for k in range(0, 16, 4)]


def test_tf_data_injects_a_prefetch_unless_told_not_to():
    assert tf.data.Options().experimental_optimization.inject_prefetch is None  # None means on
    options = tf.data.Options()
    options.experimental_optimization.inject_prefetch = False
    assert tf.data.Dataset.range(2).with_options(options).options().experimental_optimization.inject_prefetch is False


class _SharedGenerator(Dataset):
    def __init__(self):
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return self.rng.normal()


class _Stream(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        assert info is not None
        return iter(range(4))


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="the lesson's classes live in the test module; fine under fork only")
def test_workers_copy_a_generator_object_and_a_stream():
    values = torch.cat(list(DataLoader(_SharedGenerator(), batch_size=2, num_workers=2))).numpy()
    assert np.array_equal(values[0:2], values[2:4])  # worker 0's batch == worker 1's batch
    seen = sorted(int(x) for x in DataLoader(_Stream(), batch_size=None, num_workers=2))
    assert seen == [0, 0, 1, 1, 2, 2, 3, 3]


def test_dataloader_refuses_to_shuffle_a_stream():
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(_Stream(), shuffle=True)


def test_pack_padded_sequence_refuses_a_batch_not_sorted_longest_first():
    """course12.q1 asks for longest first because of this default (enforce_sorted=True)."""
    from torch.nn.utils.rnn import pack_padded_sequence

    padded = torch.zeros(3, 5)
    pack_padded_sequence(padded, torch.tensor([5, 3, 1]), batch_first=True)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(padded, torch.tensor([3, 1, 5]), batch_first=True)


@pytest.mark.parametrize(("answer", "says"), [
    ("unsorted", "not longest first"),  # section 1's pad_collate as it is
    ("labels_as_tuple", "labels is a tuple, not a tensor"),
    ("labels_left_behind", "each label moves with its sequence"),  # sorted rows: no "pad at the end"
    ("left_padded", "pad at the end"),
])
def test_course12_q1_names_the_mistake(answer, says):
    from sidebyside import selfcheck
    from sidebyside.exercises import course12

    wrong = {fn.__name__: fn for (fn,) in course12._q1_wrong()}
    status, message = selfcheck.verdict("course12.q1", wrong[answer])
    assert status == "wrong" and says in message, message
