"""Small data sets shipped inside the package, so lessons run offline (see data/README.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits: images (N, 8, 8) float32 with grey levels 0-16, labels (N,) int64.

    The same rows, in the same order, as the copy that data/README.md names.
    """
    with gzip.open(DATA / "digits.csv.gz", "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
