"""Self-checks for course/16_project_digits.ipynb."""

import numpy as np

from sidebyside.selfcheck import exercise
from sidebyside.show import to_numpy

# --- Q1: per-class recall from a confusion matrix (rows = true label, columns = prediction) ---------


def _confusion_matrices() -> list[np.ndarray]:
    """Test matrices that tell recall apart from precision, accuracy and their cousins.

    Not symmetric (so rows and columns differ), unequal class sizes (so the row sums differ), and not
    all on the diagonal; one 10-class matrix shaped like the lesson's.
    """
    rng = np.random.default_rng(16)
    small = np.array([[5, 1, 0],
                      [3, 7, 2],
                      [0, 0, 4]])
    ten = np.diag(rng.integers(25, 40, size=10)) + rng.integers(0, 3, size=(10, 10)) * (
        rng.random((10, 10)) < 0.15)
    two = np.array([[90, 10],
                    [30, 70]])
    return [small, ten, two]


def _q1_solution():
    return (lambda cm: np.diag(cm) / np.sum(cm, axis=1),)


def _q1_wrong():
    return [
        (lambda cm: np.diag(cm) / np.sum(cm, axis=0),),  # precision: divided by the column sums
        (lambda cm: np.full(len(cm), np.trace(cm) / np.sum(cm)),),  # overall accuracy for every class
        (lambda cm: np.diag(cm) / np.sum(cm),),  # share of all images, not of the class
        (lambda cm: cm / cm.sum(axis=1, keepdims=True),),  # the whole row-normalised matrix
        (lambda cm: 1 - np.diag(cm) / np.sum(cm, axis=1),),  # the miss rate, 1 - recall
        (lambda cm: np.diag(cm),),  # counts, not shares
    ]


@exercise("course16.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: recall = diagonal / row sums. Dividing by the column sums instead gives "
                  "precision: of the images *called* k, the share that really are k.",
          hints=["Row k holds every test image whose true label is k; the diagonal holds the right ones."])
def q1(recall):
    assert callable(recall), "recall should be a function taking a confusion matrix, e.g. def recall(cm): ..."
    for cm in _confusion_matrices():
        expected = np.diag(cm) / cm.sum(axis=1)
        got = np.asarray(to_numpy(recall(cm.copy())), dtype=float)
        assert got.shape == expected.shape, (
            f"for a {cm.shape[0]}-class matrix, return {cm.shape[0]} numbers (one per class), "
            f"not an array of shape {got.shape}."
        )
        assert not np.allclose(got, np.diag(cm)), "those are counts: divide by how many images each class has."
        assert np.allclose(got, expected, atol=1e-6), (
            f"for\n{cm}\nyou returned {np.round(got, 3)}, expected {np.round(expected, 3)}. "
            "Rows are the true labels: which sum counts the images of class k?"
        )


# --- Q2: normalise three splits without a data leak ---------------------------------------------------


def _splits():
    """Three splits with clearly different statistics, so that any leak shows in the result."""
    rng = np.random.default_rng(3)
    train = rng.normal(5.0, 2.0, size=(60, 8, 8)).astype(np.float32)
    val = rng.normal(7.0, 3.0, size=(20, 8, 8)).astype(np.float32)
    test = rng.normal(2.0, 1.0, size=(20, 8, 8)).astype(np.float32)
    return train, val, test


def _q2_solution():
    def normalise_splits(train, val, test):
        mean, std = train.mean(), train.std()
        return (train - mean) / std, (val - mean) / std, (test - mean) / std

    return (normalise_splits,)


def _q2_wrong():
    def all_data(train, val, test):  # the classic leak: statistics of every image
        everything = np.concatenate([train, val, test])
        mean, std = everything.mean(), everything.std()
        return (train - mean) / std, (val - mean) / std, (test - mean) / std

    def each_its_own(train, val, test):  # every split normalised by its own statistics
        return tuple((x - x.mean()) / x.std() for x in (train, val, test))

    def train_and_val(train, val, test):  # validation data leaks into the preprocessing
        both = np.concatenate([train, val])
        mean, std = both.mean(), both.std()
        return (train - mean) / std, (val - mean) / std, (test - mean) / std

    def leaky_std(train, val, test):  # right mean, but the spread of all images
        mean, std = train.mean(), np.concatenate([train, val, test]).std()
        return (train - mean) / std, (val - mean) / std, (test - mean) / std

    def train_only(train, val, test):  # normalised train, but val and test left raw
        mean, std = train.mean(), train.std()
        return (train - mean) / std, val, test

    return [(all_data,), (each_its_own,), (train_and_val,), (leaky_std,), (train_only,)]


@exercise("course16.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: fit on train (two numbers), apply to all three. Validation and test come out "
                  "near 0 and 1, not exactly: that is what new data looks like.",
          hints=["Compute the mean and std from one split only, then use those two numbers on all three."])
def q2(normalise_splits):
    assert callable(normalise_splits), (
        "normalise_splits should be a function, e.g. def normalise_splits(train, val, test): ...")
    train, val, test = _splits()
    originals = [a.copy() for a in (train, val, test)]
    result = normalise_splits(train, val, test)
    assert isinstance(result, (tuple, list)) and len(result) == 3, (
        "return the three normalised arrays: train, val, test")
    mean, std = originals[0].mean(), originals[0].std()
    for name, got, x in zip(("train", "val", "test"), result, originals):
        got = np.asarray(to_numpy(got), dtype=np.float64)
        assert got.shape == x.shape, f"{name}: shape {got.shape}, expected {x.shape} (one number per pixel)"
        if np.allclose(got, x):
            raise AssertionError(f"{name} came back unchanged: normalise every split, not only train.")
        if name != "train" and abs(got.mean()) < 1e-3 and abs(got.std() - 1) < 1e-3:
            raise AssertionError(f"{name} came out with mean 0 and std 1 exactly: it was normalised with "
                                 "its own statistics. Use the training split's mean and std for all three.")
        expected = (x.astype(np.float64) - mean) / std
        per_pixel = (x - originals[0].mean(axis=0)) / originals[0].std(axis=0)
        if not np.allclose(got, expected, rtol=1e-3, atol=1e-3) and np.allclose(
                got, per_pixel, rtol=1e-3, atol=1e-3):
            raise AssertionError("that is one mean and std per pixel (per-feature standardising), fitted "
                                 "on train: no leak, but this question asks for one mean and one std.")
        # rtol: accept std with or without Bessel's correction (torch's .std() divides by n - 1)
        assert np.allclose(got, expected, rtol=1e-3, atol=1e-3), (
            f"{name} does not match (x - train mean) / train std. Statistics computed with validation "
            "or test images in them are a data leak: only the training split may decide them.")
