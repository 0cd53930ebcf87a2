"""GradientTape inside a tf.function: the forward ops and the gradient ops in one graph.

GradientTape's own record is not public. Traced inside a tf.function, most gradient ops it adds sit under
the `gradient_tape/` name scope, but not all (the seed `ones` and the `AddN` that sums two gradient paths
do not), so the phase is decided by when an op was created: during `fn` (forward), after it (gradient),
or as the function's returned outputs (output). Nodes get attrs["phase"] accordingly.
"""

from __future__ import annotations

from sidebyside.graph.model import Graph
from sidebyside.graph.tf_function import concrete_graph, function_title, keras_layers_of


def from_tape(fn, *args, name: str | None = None, max_nodes: int | None = None) -> Graph:
    """Trace `y = fn(*args)` and the gradient of y (summed if not scalar) with respect to the
    tensor arguments and every trainable variable the tape watched.

    Arguments may be tensors, tf.Variables or tf.TensorSpecs. For a tf.function that runs its own
    GradientTape, use from_tf_function: its gradient ops sit under `gradient_tape/` too.
    """
    import tensorflow as tf

    forward_ops: set[str] = set()

    def grad_step(*xs):
        with tf.GradientTape() as tape:
            for x in xs:
                if not isinstance(x, tf.Variable):
                    tape.watch(x)
            y = fn(*xs)
        forward_ops.update(op.name for op in tf.compat.v1.get_default_graph().get_operations())
        watched = list(tape.watched_variables())
        sources = [x for x in xs if not isinstance(x, tf.Variable)] + watched
        return y, tape.gradient(y, sources)

    f = tf.function(grad_step)
    cf = f.get_concrete_function(*args)
    g = concrete_graph(cf, source="tape", name=name or function_title(fn) or "tape",
                       max_nodes=max_nodes, layers=keras_layers_of(fn, *args, depth=3))
    forward = gradient = 0
    for n in g.nodes:
        if n.id in forward_ops:
            n.attrs["phase"] = "forward"
            forward += n.kind in ("op", "control")
        elif n.op in ("Identity", "NoOp") and not n.id.startswith("gradient_tape/"):
            n.attrs["phase"] = "output"  # the tf.function's returned values and their control deps
        else:
            n.attrs["phase"] = "gradient"
            gradient += n.kind in ("op", "control")
    g.meta.update({"forward_ops": forward, "gradient_ops": gradient})
    g.counters["traces"] = 1
    return g
