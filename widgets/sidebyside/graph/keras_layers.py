"""Keras layers as graph groups: which name scopes are layers, and of which class.

Keras opens a name scope per layer call ("mobilenetv2/block_1_expand/"); inside a tf.function TF makes
scope names unique with a suffix ("block_1_expand_1"). Given the layers reachable from the captured
function (or the caller's variables), an op's group is its innermost enclosing scope that is a layer,
so the groups are the layers (157 for MobileNetV2), typed by class ("Conv2D", "BatchNormalization"),
rather than every helper scope ("batchnorm", "convolution", "ReadVariableOp").
"""

from __future__ import annotations

import re

_SUFFIX = re.compile(r"_\d+$")


def _is_layer(v) -> bool:
    return not isinstance(v, type) and hasattr(v, "_flatten_layers") and hasattr(v, "name")


def layer_types(roots) -> dict[str, str]:
    """Layer name -> class name for every Keras layer inside the given objects (models, layers)."""
    out: dict[str, str] = {}
    for root in roots:
        if not _is_layer(root):
            continue
        try:
            layers = list(root._flatten_layers(include_self=True, recursive=True))
        except Exception:  # noqa: BLE001 - an odd object that only looks like a layer
            continue
        for layer in layers:
            out.setdefault(layer.name, type(layer).__name__)
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
            return "/".join(parts[:end])
    return scope


def scope_label(path: str, types: dict[str, str]) -> str:
    """Group label "Conv1 (Conv2D)" for a layer scope, the last segment otherwise."""
    last = path.rsplit("/", 1)[-1]
    layer = layer_of(last, types)
    return f"{layer} ({types[layer]})" if layer else last


def scope_type(path: str, types: dict[str, str]) -> str | None:
    layer = layer_of(path.rsplit("/", 1)[-1], types)
    return types[layer] if layer else None
