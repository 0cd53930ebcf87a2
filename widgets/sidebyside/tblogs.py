"""Read TensorBoard event files back as plain numbers, whichever framework wrote them.

PyTorch's `torch.utils.tensorboard.SummaryWriter.add_scalar` stores a *simple value*, while TF2's
`tf.summary.scalar` stores a *tensor* tagged with the scalars plugin. TensorBoard shows both as
scalars; `read_scalars(logdir)` returns both as `{tag: [(step, value), ...]}` sorted by step, so a
notebook can print what it logged. Needs the `tensorboard` package (not TensorFlow).
"""

from __future__ import annotations

from pathlib import Path

_KEEP_ALL = 0  # EventAccumulator size guidance: 0 keeps every event instead of a sample


def _accumulator(logdir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(
        str(logdir),
        size_guidance={event_accumulator.SCALARS: _KEEP_ALL, event_accumulator.TENSORS: _KEEP_ALL},
    )
    acc.Reload()
    return acc


def read_scalars(logdir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files of one run directory, as {tag: [(step, value), ...]}."""
    from tensorboard.util import tensor_util

    if not Path(logdir).is_dir():
        raise FileNotFoundError(f"no TensorBoard run directory at {logdir}")
    acc = _accumulator(logdir)
    tags = acc.Tags()
    found: dict[str, list[tuple[int, float]]] = {}
    for tag in tags.get("scalars", []):  # written by PyTorch's SummaryWriter (and TF1 summaries)
        found[tag] = [(int(e.step), float(e.value)) for e in acc.Scalars(tag)]
    for tag in tags.get("tensors", []):  # written by tf.summary.scalar in TF2
        events = acc.Tensors(tag)
        values = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
        if all(v.size == 1 and v.dtype.kind in "fiu" for v in values):
            found[tag] = [(int(e.step), float(v.reshape(()))) for e, v in zip(events, values)]
    return {tag: sorted(points) for tag, points in sorted(found.items())}


def runs(logdir: str | Path) -> list[str]:
    """Run directories under logdir (those holding event files), relative, sorted."""
    root = Path(logdir)
    dirs = {p.parent for p in root.rglob("events.out.tfevents.*")}
    return sorted(str(d.relative_to(root)) for d in dirs)
