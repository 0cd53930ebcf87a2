"""Keras layers as graph groups: which name scopes are layers, and of which class.

Keras opens a name scope per layer call ("mobilenetv2/block_1_expand/"); inside a tf.function TF makes
scope names unique with a suffix ("block_1_expand_1"). Given the layers reachable from the captured
function (or the caller's variables), an op's group is its innermost enclosing scope that is a layer,
so the groups are the layers (157 for MobileNetV2), typed by class ("Conv2D", "BatchNormalization"),
rather than every helper scope ("batchnorm", "convolution", "ReadVariableOp").

Functional models built in a loop are flat: MobileNetV2's layers are all siblings, named
"block_1_expand", "block_1_depthwise", ..., "block_16_project_BN"; a GPT-2 written the same way has
"block0_ln1" ... "block11_add2". Their blocks exist only in the names. So layers whose names start
with a numbered prefix that at least two layers share ("block_1", "block0", ResNet50's "conv2" and
then "conv2_block1") sit in a block group of that name, typed by the prefix without its number
("block", "conv"), and repeated blocks can be recognised (transform.mark_repeats): "block ×3".
"""

from __future__ import annotations

import re

_SUFFIX = re.compile(r"_\d+$")
#: "block_1" + "_expand", "conv2" + "_block1_1_conv", "block1a" + "_expand_conv": a numbered prefix.
_NUMBERED = re.compile(r"^([A-Za-z][A-Za-z_]*?\d+[a-z]?)_(.+)$")
_NUMBER = re.compile(r"_?\d+[a-z]?$")


class LayerTypes(dict):
    """Layer name -> class name, plus `blocks`: layer name -> the block groups it sits in
    (outermost first), and `block_types`: block name -> family type."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.blocks: dict[str, list[str]] = {}
        self.block_types: dict[str, str] = {}
        #: "sequential/dense" -> "Dense": each layer by its path of names, the path Keras gives
        #: its variables ("sequential/dense/kernel"), so two layers with one name stay apart.
        self.paths: dict[str, str] = {}

    def find_blocks(self) -> LayerTypes:
        chains = {name: _numbered_chain(name) for name in self}
        members: dict[str, int] = {}
        for chain in chains.values():
            for block, _ in chain:
                members[block] = members.get(block, 0) + 1
        for name, chain in chains.items():
            # A block needs two layers, and must not be a layer's own name (MobileNetV2's "Conv_1"
            # and "Conv_1_bn" stay two layers).
            kept = [(b, t) for b, t in chain if members[b] >= 2 and b not in self]
            if kept:
                self.blocks[name] = [b for b, _ in kept]
                self.block_types.update(kept)
        return self


def _numbered_chain(name: str) -> list[tuple[str, str]]:
    """(block, family type) pairs a layer name implies, outermost first:
    "conv2_block1_1_conv" -> [("conv2", "conv"), ("conv2_block1", "block")];
    "block_1_expand" -> [("block_1", "block")]."""
    chain, rest, prefix = [], name, ""
    while (m := _NUMBERED.match(rest)) is not None:
        prefix = f"{prefix}_{m.group(1)}" if prefix else m.group(1)
        chain.append((prefix, _NUMBER.sub("", m.group(1)) or "block"))
        rest = m.group(2)
    return chain


def _is_layer(v) -> bool:
    return not isinstance(v, type) and hasattr(v, "_flatten_layers") and hasattr(v, "name")


def layer_types(roots) -> LayerTypes:
    """Layer name -> class name for every Keras layer inside the given objects (models, layers),
    with the numbered blocks their names imply."""
    out = LayerTypes()
    for root in roots:
        if not _is_layer(root):
            continue
        try:
            layers = list(root._flatten_layers(include_self=True, recursive=True))
        except Exception:  # noqa: BLE001 - an odd object that only looks like a layer
            continue
        for layer in layers:
            out.setdefault(layer.name, type(layer).__name__)
        todo = [(root.name, root)]
        while todo:  # iterative: deep nests must not hit the recursion limit
            path, layer = todo.pop()
            if path in out.paths:
                continue
            out.paths[path] = type(layer).__name__
            try:
                kids = list(layer._flatten_layers(include_self=False, recursive=False))
            except Exception:  # noqa: BLE001
                kids = []
            todo.extend((f"{path}/{k.name}", k) for k in kids)
    return out.find_blocks()


def scopes_from_variables(param_names: dict[str, str], layers) -> dict[str, tuple[str, str]]:
    """Scope path -> (layer name, class) read off the variables the ops in it use.

    Inside a tf.function TF makes a reused scope name unique: the first Dense of a model can run
    in scope "dense_1", the second (named "dense_1") in "dense_1_2", so scope names alone mislabel
    both. A variable's placeholder sits in its layer's scope ("sequential_1/dense_1/...") and
    carries the layer's path ("sequential/dense/kernel"): aligning the two names the scope.
    `param_names`: placeholder op name -> variable path."""
    paths = getattr(layers, "paths", {})
    out: dict[str, tuple[str, str]] = {}
    for op_name, var_path in param_names.items():
        scope, owner = op_name.split("/")[:-1], var_path.split("/")[:-1]
        for i in range(min(len(scope), len(owner))):
            if scope[i] != owner[i] and not re.fullmatch(re.escape(owner[i]) + r"_\d+", scope[i]):
                break
            typ = paths.get("/".join(owner[: i + 1]))
            if typ is not None:
                out.setdefault("/".join(scope[: i + 1]), (owner[i], typ))
    return out


def layers_near(fn, extra=()) -> list:
    """Keras layers reachable from a function: itself, its tf.function's Python function, a bound
    method's object, closure cells and the globals it names; plus `extra` objects."""
    found, todo = [], [fn, getattr(fn, "python_function", None), *extra]
    for obj in list(todo):
        if obj is None:
            continue
        target = getattr(obj, "__self__", None)
        if target is not None:
            todo.append(target)
        code = getattr(obj, "__code__", None)
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        if code is not None:
            glob = getattr(obj, "__globals__", {})
            todo.extend(glob[n] for n in code.co_names if n in glob)
    for obj in todo:
        if obj is not None and _is_layer(obj) and all(obj is not f for f in found):
            found.append(obj)
    return found


def layer_of(name: str, types: dict[str, str]) -> str | None:
    """The layer name a scope segment refers to ("Conv1_1" -> "Conv1"), or None."""
    if name in types:
        return name
    base = _SUFFIX.sub("", name)
    return base if base in types else None


def layer_scope(scope: str | None, types: dict[str, str]) -> str | None:
    """The longest prefix of a scope path ending in a layer; the scope itself if none does."""
    if not scope or not types:
        return scope
    parts = scope.split("/")
    for end in range(len(parts), 0, -1):
        if layer_of(parts[end - 1], types):
            return "/".join(_with_blocks(parts[:end], types))
    return scope


def _with_blocks(parts: list[str], types: dict[str, str]) -> list[str]:
    """Insert the block groups of numbered layers: ["m", "block_1_expand"] ->
    ["m", "block_1", "block_1_expand"]."""
    blocks = getattr(types, "blocks", None)
    if not blocks:
        return parts
    out: list[str] = []
    for part in parts:
        layer = layer_of(part, types)
        for block in blocks.get(layer, ()) if layer else ():
            if block not in out:
                out.append(block)
        out.append(part)
    return out


def scope_label(path: str, types: dict[str, str]) -> str:
    """Group label "Conv1 (Conv2D)" for a layer scope, the last segment otherwise."""
    last = path.rsplit("/", 1)[-1]
    layer = layer_of(last, types)
    return f"{layer} ({types[layer]})" if layer else last


def scope_type(path: str, types: dict[str, str]) -> str | None:
    last = path.rsplit("/", 1)[-1]
    layer = layer_of(last, types)
    if layer:
        return types[layer]
    return getattr(types, "block_types", {}).get(last)
