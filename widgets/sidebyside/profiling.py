"""Reading profiles back and counting torch.compile's graphs (lesson 20).

Two private framework details live here, each behind one function that
`tests/test_lesson20_profiling.py` covers, so a version bump breaks that test and not the lesson:

- TensorFlow's profiler writes its trace as an XSpace protocol buffer,
  `<logdir>/plugins/profile/<run>/<host>.xplane.pb`; its schema ships inside TensorFlow as
  `tensorflow.tsl.profiler.protobuf.xplane_pb2`. `tf_op_self_times` reads it without TensorBoard.
- dynamo counts the graphs it compiles in `torch._dynamo.utils.counters` and logs why it recompiles on
  its `recompiles` logging artifact (`torch._logging.set_logs(recompiles=True)`). `dynamo_watch`
  reads both.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def tf_trace_files(logdir: str | Path) -> list[Path]:
    """Every file the TensorFlow profiler wrote under `logdir`, relative to it, sorted."""
    root = Path(logdir)
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def _is_op_event(name: str) -> bool:
    # TF's executor names an op's event "<node name>:<op type>"; runtime events have spaces or "::"
    return ":" in name and "::" not in name and " " not in name


def tf_op_self_times(logdir: str | Path) -> dict[str, tuple[int, float]]:
    """Per TF op type: (number of op events, total self time in seconds) in the trace under `logdir`.

    Self time is an event's duration less the events nested inside it on the same thread (line).
    """
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    totals: dict[str, list] = defaultdict(lambda: [0, 0])
    for path in sorted(Path(logdir).rglob("*.xplane.pb")):
        space = xplane_pb2.XSpace()
        space.ParseFromString(path.read_bytes())
        for plane in space.planes:
            names = {key: meta.name for key, meta in plane.event_metadata.items()}
            for line in plane.lines:
                events = sorted(line.events, key=lambda e: (e.offset_ps, -e.duration_ps))
                self_ps = [e.duration_ps for e in events]
                stack: list[int] = []  # indices of the events that enclose the current one
                for i, event in enumerate(events):
                    while stack and events[stack[-1]].offset_ps + events[stack[-1]].duration_ps <= event.offset_ps:
                        stack.pop()
                    if stack:
                        self_ps[stack[-1]] -= event.duration_ps
                    stack.append(i)
                for event, own in zip(events, self_ps):
                    name = names.get(event.metadata_id, "")
                    if _is_op_event(name):
                        entry = totals[name.rsplit(":", 1)[1]]
                        entry[0] += 1
                        entry[1] += own * 1e-12
    return {op: (count, seconds) for op, (count, seconds) in totals.items()}


@dataclass
class DynamoWatch:
    """What dynamo did inside a `dynamo_watch()` block."""

    start: int
    reasons: list[str] = field(default_factory=list)  # one line per guard that failed, e.g. a size

    @property
    def graphs(self) -> int:
        """Graphs dynamo has compiled since the block began (first compiles and recompiles)."""
        from torch._dynamo.utils import counters

        return counters["stats"]["unique_graphs"] - self.start


class _Reasons(logging.Handler):
    def __init__(self, watch: DynamoWatch):
        super().__init__()
        self.watch = watch

    def emit(self, record):
        for line in record.getMessage().splitlines():
            line = line.strip()
            if line.startswith("- "):  # "- 0/0: tensor 'x' size mismatch at index 0. expected 8, actual 16"
                self.watch.reasons.append(line[2:].split(": ", 1)[-1])


@contextmanager
def dynamo_watch():
    """Count the graphs dynamo compiles in the block and collect why it recompiled (quietly)."""
    import torch
    from torch._dynamo.utils import counters

    logger = logging.getLogger("torch._dynamo.guards.__recompiles")
    watch = DynamoWatch(counters["stats"]["unique_graphs"])
    handler = _Reasons(watch)
    torch._logging.set_logs(recompiles=True)
    propagate = logger.propagate
    logger.propagate = False  # into the watch, not onto stderr
    logger.addHandler(handler)
    try:
        yield watch
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        torch._logging.set_logs()
