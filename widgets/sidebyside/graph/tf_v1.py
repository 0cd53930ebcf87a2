"""TF1-style graphs: a `tf.compat.v1` Graph built with placeholders, before anything runs."""

from __future__ import annotations

from sidebyside.graph.model import Graph, UnsupportedInputError
from sidebyside.graph.tf_function import tf_graph_to_graph


def from_tf_graph(graph, *, outputs=None, name: str | None = None,
                  max_nodes: int | None = None) -> Graph:
    """Convert a tf.Graph (e.g. `with tf.Graph().as_default() as g:` + tf.compat.v1.placeholder).

    outputs: tensors (or ops) to mark as outputs; by default, ops whose results nobody consumes.
    """
    import tensorflow as tf

    if not isinstance(graph, tf.Graph):
        raise UnsupportedInputError(f"from_tf_graph needs a tf.Graph, got {type(graph).__name__}")
    if outputs is None:
        consumed = {t.op.name for op in graph.get_operations() for t in op.inputs}
        outputs = [op.outputs[0] for op in graph.get_operations()
                   if op.outputs and op.name not in consumed and op.type not in ("Const",
                                                                                  "Placeholder")]
    else:
        outputs = [t.outputs[0] if isinstance(t, tf.Operation) else t for t in outputs]
    g = tf_graph_to_graph(graph, source="tf_v1", name=name or "tf.compat.v1 graph",
                          max_nodes=max_nodes, outputs=outputs)
    g.native = graph
    return g
