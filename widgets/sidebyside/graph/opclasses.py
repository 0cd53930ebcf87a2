"""One table of op classes shared by every framework and capture, so that `addmm`, `aten.linear`,
`Linear` and `MatMul` can be compared at all (graph.align uses it).

A class names what an op computes, not how a framework spells it: "conv", "linear" (a matrix product
with its bias), "matmul" (without), "batchnorm", "relu", "maxpool", "add", "reshape" ... Ops that only
move or describe data ("Identity", "ReadVariableOp", "detach", "Shape", "StridedSlice") are
"plumbing" or "shape": never compute ops to pair.

    op_class(node) -> str     the class of one graph node (its op name, normalised)
    class_of_name(name)       the class of an op / module / layer type name ("Conv2D" -> "conv")
"""

from __future__ import annotations

import re

# op name, lower-case, without "aten." / "torch." / "Backward0" / an in-place "_" -> class
_TABLE = {
    "conv": "convolution conv1d conv2d conv3d _convolution depthwiseconv2dnative conv2dtranspose",
    "linear": "addmm linear dense",
    "matmul": "matmul mm bmm batchmatmul batchmatmulv2 batchmatmulv3 einsum",
    "bias": "biasadd",
    "batchnorm": "nativebatchnorm batch_norm native_batch_norm _native_batch_norm_legit "
                 "_native_batch_norm_legit_no_training _native_batch_norm_legit_functional "
                 "cudnnbatchnorm fusedbatchnorm fusedbatchnormv3 batchnorm1d batchnorm2d "
                 "batchnorm3d batchnormalization",
    "layernorm": "nativelayernorm layer_norm native_layer_norm layernorm layernormalization",
    "relu": "relu threshold",
    "tanh": "tanh",
    "sigmoid": "sigmoid logistic",
    "gelu": "gelu",
    "silu": "silu swish",
    "elu": "elu",
    "leaky_relu": "leaky_relu leakyrelu",
    "softmax": "softmax _softmax log_softmax _log_softmax logsoftmax",
    "maxpool": "maxpool2dwithindices max_pool2d max_pool2d_with_indices maxpool maxpoolv2 maxpool2d "
               "maxpooling2d",
    "avgpool": "avgpool2d avg_pool2d avgpool adaptive_avg_pool2d adaptiveavgpool2d "
               "_adaptive_avg_pool2d averagepooling2d globalaveragepooling2d",
    "add": "add addv2 add_n addn",
    "sub": "sub rsub",
    "mul": "mul",
    "div": "div realdiv",
    "reduce": "mean sum max min prod",
    "reshape": "view reshape flatten _unsafe_view unsqueeze squeeze expanddims unflatten",
    "transpose": "transpose permute conjugatetranspose",
    "cat": "cat concat concatv2",
    "dropout": "dropout native_dropout nativedropout feature_dropout",
    "embedding": "embedding resourcegather",
    "gather": "gather gatherv2 index_select take",
    "shape": "shape shapen stridedslice pack sym_size size fill range sym_numel",
    "plumbing": "identity readvariableop noop detach alias clone contiguous stopgradient "
                "getitem output placeholder lift_fresh_copy _to_copy to expand",
    "state": "assignvariableop assignsubvariableop assignaddvariableop copy_",
}
CLASS_OF = {name: cls for cls, names in _TABLE.items() for name in names.split()}

#: Activation classes: two models with a different activation at one place still pair there.
ACTIVATIONS = frozenset({"relu", "tanh", "sigmoid", "gelu", "silu", "elu", "leaky_relu", "softmax"})
#: Classes that are not computation to pair (they move, describe or store data).
NOT_COMPUTE = frozenset({"plumbing", "shape", "state"})
#: Pairs of classes that compute the same thing in different pieces (compatible, not equal).
COMPATIBLE = {frozenset(p) for p in [("linear", "matmul"), ("maxpool", "avgpool"),
                                      ("add", "bias"), ("reshape", "transpose"),
                                      ("avgpool", "reduce"), ("embedding", "gather")]}  # a global average pool is a mean

_BACKWARD = re.compile(r"backward\d*$")
_OVERLOAD = re.compile(r"\.(default|tensor|scalar|int|using_ints|self|input|dim|out)$")


def normalise(name: str) -> str:
    """"AddmmBackward0" -> "addmm", "aten.relu_.default" -> "relu", "torch.nn.functional.relu" ->
    "relu", "Conv2D" -> "conv2d"."""
    n = name.strip().lower()
    n = _OVERLOAD.sub("", n)
    n = n.rsplit(".", 1)[-1]  # aten.x / torch.x / torch.nn.functional.x / F.x
    n = _BACKWARD.sub("", n)
    if n.endswith("_") and not n.startswith("_"):
        n = n[:-1]  # in-place variant (relu_, add_): the same computation
    return n


def class_of_name(name: str | None) -> str | None:
    """The class of an op, module or layer type name; None when the table does not know it."""
    if not name:
        return None
    return CLASS_OF.get(normalise(name))


def op_class(node) -> str:
    """The class of a graph node: "plumbing" for plumbing and non-op nodes, else the table's class,
    else "other:<name>" (two unknown ops still pair when their names agree)."""
    if node.plumbing or node.kind not in ("op", "control"):
        return "plumbing"
    # torch.fx call_module nodes carry the module type as op ("Conv2d"); others the op name
    for name in (node.op, node.label):
        cls = class_of_name(name)
        if cls is not None:
            return cls
    return "other:" + normalise(node.op)


def compatible(a: str, b: str) -> bool:
    """Different classes that may stand for the same step (a bias folded or not, pooling kind,
    activation kind)."""
    return (a in ACTIVATIONS and b in ACTIVATIONS) or frozenset((a, b)) in COMPATIBLE
