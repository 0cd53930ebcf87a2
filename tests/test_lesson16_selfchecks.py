"""Lesson 16's self-checks accept every reasonable form of a right answer, and say why a wrong one is wrong.

tests/test_selfchecks.py runs each exercise's reference solution and listed wrong answers; this file
adds the other forms a learner may write: lists, torch and TensorFlow tensors, torch's unbiased std.
"""

from __future__ import annotations

import numpy as np
import pytest

from sidebyside.selfcheck import verdict


def recall_list(cm):
    return [cm[k, k] / cm[k].sum() for k in range(len(cm))]


def recall_torch(cm):
    import torch

    cm = torch.as_tensor(cm, dtype=torch.float64)
    return torch.diagonal(cm) / cm.sum(dim=1)


def recall_tf(cm):
    import tensorflow as tf

    cm = tf.constant(cm, dtype=tf.float64)
    return tf.linalg.diag_part(cm) / tf.reduce_sum(cm, axis=1)


@pytest.mark.parametrize("recall", [recall_list, recall_torch, recall_tf,
                                    lambda cm: cm.diagonal() / cm.sum(axis=1, keepdims=True).ravel()])
def test_q1_accepts_every_form_of_recall(recall):
    status, message = verdict("course16.q1", recall)
    assert status == "correct", message


def test_q1_names_precision_for_what_it_is():
    _, message = verdict("course16.q1", lambda cm: np.diag(cm) / cm.sum(axis=0))
    assert "Rows are the true labels" in message


def normalise_torch(train, val, test):
    import torch

    t = torch.from_numpy(train)
    mean, std = t.mean(), t.std()  # unbiased (n - 1): immaterial for normalising, must pass
    return tuple((torch.from_numpy(x) - mean) / std for x in (train, val, test))


def normalise_list(train, val, test):
    mean, std = np.mean(train), np.std(train)
    return [(x - mean) / std for x in (train, val, test)]


def normalise_in_place(train, val, test):
    mean, std = train.mean(), train.std()
    for x in (train, val, test):
        x -= mean
        x /= std
    return train, val, test


@pytest.mark.parametrize("normalise_splits", [normalise_torch, normalise_list, normalise_in_place])
def test_q2_accepts_every_leak_free_form(normalise_splits):
    status, message = verdict("course16.q2", normalise_splits)
    assert status == "correct", message


def test_q2_explains_each_mistake():
    def per_pixel(train, val, test):
        mean, std = train.mean(axis=0), train.std(axis=0)
        return tuple((x - mean) / std for x in (train, val, test))

    def own_statistics(train, val, test):
        return tuple((x - x.mean()) / x.std() for x in (train, val, test))

    def all_images(train, val, test):
        everything = np.concatenate([train, val, test])
        return tuple((x - everything.mean()) / everything.std() for x in (train, val, test))

    expected = {per_pixel: "per pixel", own_statistics: "its own statistics", all_images: "data leak"}
    for answer, phrase in expected.items():
        status, message = verdict("course16.q2", answer)
        assert status == "wrong" and phrase in message, message
