"""The batching shared by the live recorders: nodes/edges go to a view in throttled batches."""

from __future__ import annotations

import time
import warnings

from sidebyside.graph.model import Edge, Graph, GraphBuilder, GraphTooLargeError, Node


class LiveRecorder:
    """Base of record_torch / record_tf: builds a Graph op by op and streams it to a view.

    A view is anything with `append(nodes, edges)` (a GraphView); it receives lists of node and edge
    dicts (schema "sidebyside.graph/1"), at most once per `interval` seconds plus once at exit,
    never the whole graph again. If the view has `show`, it is reset to an empty graph on entry.
    """

    framework = ""
    source = ""

    def __init__(self, view=None, *, name: str | None = None, interval: float = 0.1,
                 max_nodes: int | None = None):
        self.view = view
        self.interval = interval
        self.name = name or f"live {self.framework}"
        self.graph = Graph(name=self.name, framework=self.framework, source=self.source)
        self.builder = GraphBuilder(self.graph, max_nodes, f"the live {self.framework} graph")
        self.truncated = False
        self.batches = 0  # how many append() calls went to the view
        self._pending_nodes: list[Node] = []
        self._pending_edges: list[Edge] = []
        self._pending_groups: list = []  # known groups whose repeat mark changed
        self._sent_groups = 0
        self._last_flush = 0.0
        self.errors: list[str] = []  # recorder errors (never raised into the user's code)

    # -- building --------------------------------------------------------------------------------
    def add_node(self, node: Node) -> bool:
        if self.truncated:
            return False
        try:
            self.builder.add_node(node)
        except GraphTooLargeError as err:
            self.truncated = True
            self.graph.meta["truncated"] = str(err)
            warnings.warn(f"live recording stopped: {err}", RuntimeWarning, stacklevel=3)
            return False
        if self.view is not None:
            self._pending_nodes.append(node)
        return True

    def add_edge(self, source: str, target: str, shape=None, dtype=None) -> None:
        e = self.builder.add_edge(source, target, shape, dtype)
        if self.view is not None:
            self._pending_edges.append(e)

    def maybe_flush(self) -> None:
        if self.view is not None and time.monotonic() - self._last_flush >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Send what is pending to the view (one append call), if anything."""
        self._last_flush = time.monotonic()
        if self.view is None or not (self._pending_nodes or self._pending_edges
                                     or self._pending_groups):
            return
        nodes = [n.to_dict() for n in self._pending_nodes]
        edges = [e.to_dict() for e in self._pending_edges]
        self._pending_nodes, self._pending_edges = [], []
        new_groups = self.graph.groups[self._sent_groups:]
        new_ids = {g.id for g in new_groups}
        new_groups += [g for g in self._pending_groups if g.id not in new_ids]
        self._pending_groups = []
        self._sent_groups = len(self.graph.groups)
        if new_groups:
            self.view.append(nodes, edges, [g.to_dict() for g in new_groups])
        else:
            self.view.append(nodes, edges)
        self.batches += 1

    # -- context manager -------------------------------------------------------------------------
    def start(self) -> None:  # install hooks
        raise NotImplementedError

    def stop(self) -> None:  # remove hooks; must not raise
        raise NotImplementedError

    def __enter__(self) -> Graph:
        if self.view is not None and hasattr(self.view, "show"):
            self.view.show(Graph(name=self.name, framework=self.framework, source=self.source))
        self._last_flush = time.monotonic()
        self.start()
        return self.graph

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self.stop()
        finally:
            self.builder.finish()  # repeated sibling groups (group.repeat)
            if self.view is not None:  # the view already has these groups: send their marks
                self._pending_groups = [g for g in self.graph.groups if g.repeat is not None]
            if self.errors:
                self.graph.meta["errors"] = list(self.errors)
            self.graph.meta["batches"] = self.batches + (
                1 if self.view is not None and (self._pending_nodes or self._pending_edges
                                                or self._pending_groups) else 0
            )
            self.flush()
            if self.view is not None and hasattr(self.view, "flush"):
                self.view.flush()
        return False
