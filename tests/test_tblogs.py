"""sidebyside.tblogs: reading TensorBoard scalars back, as written by PyTorch and by TensorFlow."""

import os

import pytest

from sidebyside.tblogs import read_scalars, runs

pytest.importorskip("tensorboard")


def test_pytorch_summarywriter_scalars(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(tmp_path / "torch") as writer:
        for step in range(4):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_scalar("lr", 0.1, 0)
    scalars = read_scalars(tmp_path / "torch")
    assert list(scalars) == ["loss", "lr"]
    assert [s for s, _ in scalars["loss"]] == [0, 1, 2, 3]
    assert [round(v, 4) for _, v in scalars["loss"]] == [1.0, 0.5, 0.3333, 0.25]
    assert runs(tmp_path) == ["torch"]


def test_tensorflow_summary_scalars_read_the_same_way(tmp_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    writer = tf.summary.create_file_writer(str(tmp_path / "tf"))
    with writer.as_default():
        for step in range(4):
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
        tf.summary.text("note", "not a scalar", step=0)  # non-numeric tensors are skipped
    writer.close()
    scalars = read_scalars(tmp_path / "tf")
    assert list(scalars) == ["loss"]
    assert [(s, round(v, 4)) for s, v in scalars["loss"]] == [(0, 1.0), (1, 0.5), (2, 0.3333), (3, 0.25)]


def test_missing_directory_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_scalars(tmp_path / "nowhere")
