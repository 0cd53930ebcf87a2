"""Layer settings a graph document does not store but its framework object does: convolution
padding and stride, BatchNorm epsilon and momentum (graph.align compares them).

    op_facts(graph) -> {node id: {"padding": ..., "stride": ..., "kernel": ..., "eps": ...,
                                  "momentum_new": ...}}

Read from `graph.native` (an autograd root, an ExportedProgram, a ConcreteFunction); an empty dict
when there is none (a graph loaded from JSON) or the capture does not record the setting. Momentum
is given as the weight of the *new* batch in the running average ("momentum_new"): PyTorch's
momentum=0.1 means 0.1, Keras's momentum=0.99 means 0.01, so the two compare directly.
"""

from __future__ import annotations


def op_facts(graph) -> dict[str, dict]:
    try:
        if graph.native is None:
            return {}
        if graph.source == "autograd":
            return _autograd_facts(graph)
        if graph.source == "export":
            return _fx_facts(graph.native.graph_module.graph)
        if graph.source in ("tf_function", "tape"):
            return _tf_facts(graph)
    except Exception:  # noqa: BLE001 - facts are extras: a framework change loses them, nothing else
        return {}
    return {}


def _pair(v) -> tuple:
    return tuple(int(x) for x in v)


def _autograd_facts(graph) -> dict:
    from sidebyside.graph.torch_autograd import post_order

    facts = {}
    for i, fn in enumerate(post_order(graph.native), start=1):
        name = type(fn).__name__
        if name.startswith("ConvolutionBackward"):
            facts[f"n{i}"] = {"padding": _pair(fn._saved_padding), "stride": _pair(fn._saved_stride),
                              "kernel": tuple(fn._saved_weight.shape[2:])}
        elif "BatchNormBackward" in name:
            # momentum is not recorded by autograd
            facts[f"n{i}"] = {"eps": float(fn._saved_eps), "training": bool(fn._saved_training)}
    return facts


def _fx_facts(fx_graph) -> dict:
    facts = {}
    for n in fx_graph.nodes:
        target = str(n.target)
        if "conv" in target and len(n.args) >= 2:
            # aten.conv2d / convolution: (x, weight, bias, stride, padding, ...); export drops
            # trailing arguments left at their defaults (stride 1, padding 0)
            weight = getattr(n.args[1], "meta", {}).get("val")
            stride = n.args[3] if len(n.args) > 3 else (1, 1)
            padding = n.args[4] if len(n.args) > 4 else (0, 0)
            facts[n.name] = {"stride": _pair(stride), "padding": _pair(padding)}
            if weight is not None:
                facts[n.name]["kernel"] = tuple(int(d) for d in weight.shape[2:])
        elif "dropout" in target and len(n.args) >= 3:
            facts[n.name] = {"training": bool(n.args[2])}  # aten.dropout(x, p, train)
        elif "batch_norm" in target and len(n.args) >= 7:
            # aten.batch_norm / _native_batch_norm_legit: (x, w, b, mean, var, training, momentum,
            # eps, ...); the _no_training variant has no `training` argument
            at = 5 if "no_training" in target else 6
            facts[n.name] = {"momentum_new": float(n.args[at]), "eps": float(n.args[at + 1]),
                             "training": at == 6 and bool(n.args[5])}
    return facts


def _tf_facts(graph) -> dict:
    import tensorflow as tf

    tf_graph = graph.native.graph
    facts = {}
    for op in tf_graph.get_operations():
        if op.type in ("Conv2D", "DepthwiseConv2dNative"):
            strides = op.get_attr("strides")  # NHWC: [1, sh, sw, 1]
            kernel = op.inputs[1].shape
            facts[op.name] = {"padding": op.get_attr("padding").decode(),
                              "stride": (int(strides[1]), int(strides[2])),
                              "kernel": (int(kernel[0]), int(kernel[1]))}
        elif op.type == "FusedBatchNormV3":
            facts[op.name] = {"eps": float(op.get_attr("epsilon")),
                              "training": bool(op.get_attr("is_training"))}
        elif op.type == "AddV2" and op.name.endswith("batchnorm/add"):
            # Keras's unfused BatchNormalization: variance + epsilon, epsilon a Const
            const = [i.op for i in op.inputs if i.op.type == "Const"]
            if const:
                facts[op.name] = {"eps": float(tf.make_ndarray(const[0].get_attr("value")))}
    return facts
