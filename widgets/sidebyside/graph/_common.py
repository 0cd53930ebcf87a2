"""Small helpers shared by the adapters (no framework imports at module level)."""

from __future__ import annotations

import sys


def caller_objects(predicate, depth: int = 1) -> list[tuple[str, object]]:
    """(name, value) for the variables of a caller's frame whose value satisfies predicate.

    `depth` counts frames above the function calling this one (1 = its caller). Locals win over
    globals; names starting with "_" (IPython's _, __, _1 ...) are skipped.
    """
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return []
    found: dict[str, object] = {}
    for scope in (frame.f_globals, frame.f_locals):
        for name, value in list(scope.items()):
            if name.startswith("_"):
                continue
            try:
                if predicate(value):
                    found[name] = value
            except Exception:  # noqa: BLE001 - odd objects in a notebook namespace
                continue
    return list(found.items())


def caller_names(predicate, depth: int = 1) -> dict[int, str]:
    """id(value) -> variable name, for caller_objects (lets from_autograd(z) label leaves x, y)."""
    return {id(v): n for n, v in caller_objects(predicate, depth + 1)}


def torch_dtype(dtype) -> str | None:
    return None if dtype is None else str(dtype).replace("torch.", "")


def shape_list(shape) -> list | None:
    """A framework shape as a JSON list: ints, None for unknown, str for symbolic sizes."""
    if shape is None:
        return None
    try:
        dims = list(shape)
    except (TypeError, ValueError):  # unknown rank (TF)
        return None
    out = []
    for d in dims:
        if d is None or type(d) is int:
            out.append(d)
        elif type(d).__name__ == "SymInt":  # torch symbolic size: never int() it (adds a guard)
            text = str(d)
            out.append(int(text) if text.isdigit() else text)
        else:
            try:
                out.append(int(d))
            except (TypeError, ValueError, RuntimeError):
                out.append(str(d))  # symbolic size, e.g. torch SymInt "s0"
    return out


def module_label(path: str, modules: dict) -> str:
    """Group label "encoder (Sequential)" for a module path, given {path: module}."""
    dotted = path.replace("/", ".")
    mod = modules.get(dotted)
    last = path.rsplit("/", 1)[-1]
    return f"{last} ({type(mod).__name__})" if mod is not None else last


class LiveCounters(dict):
    """A capture's counters: a plain dict to read, that a GraphView can also subscribe to (so its
    header follows the capture). `source` has _counts() -> dict and subscribe(callback)."""

    def __init__(self, source):
        super().__init__(source._counts())
        self._source = source

    @property
    def counters(self) -> dict:
        return self._source._counts()

    def subscribe(self, callback) -> None:
        self._source.subscribe(callback)


class Notifier:
    """subscribe(callback) / _notify(): callbacks get the source; one returning False is dropped."""

    def subscribe(self, callback) -> None:
        self.__dict__.setdefault("_listeners", []).append(callback)

    def _notify(self) -> None:
        keep = []
        for cb in list(self.__dict__.get("_listeners", [])):
            try:
                if cb(self) is not False:
                    keep.append(cb)
            except Exception:  # noqa: BLE001 - a broken view must not break the user's call
                keep.append(cb)
        self._listeners = keep
