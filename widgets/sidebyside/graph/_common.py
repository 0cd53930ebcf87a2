"""Small helpers shared by the adapters (no framework imports at module level)."""

from __future__ import annotations

import re
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


#: A group id names one call of a module: "pool" is its first call, "pool@2" its second, and
#: "seq@2/0" the child 0 running inside the second call of seq (see CallIds).
_CALL = re.compile(r"@(\d+)(?=/|$)")


def module_of(group_id: str) -> str:
    """The module path of a group id, without call numbers: "enc/seq@2/0" -> "enc/seq/0"."""
    return _CALL.sub("", group_id)


def call_number(group_id: str) -> int:
    """Which call of its module a group id stands for: "pool@2" -> 2, "pool" -> 1."""
    m = re.search(r"@(\d+)$", group_id)
    return int(m.group(1)) if m else 1


def module_label(path: str, modules: dict) -> str:
    """Group label "encoder (Sequential)" for a group id, given {dotted module path: module};
    a later call of a module reads "pool (MaxPool2d, call 2)"."""
    mod = modules.get(module_of(path).replace("/", "."))
    last = module_of(path).rsplit("/", 1)[-1]
    call = call_number(path)
    if mod is None:
        return last if call == 1 else f"{last} (call {call})"
    return f"{last} ({type(mod).__name__}{'' if call == 1 else f', call {call}'})"


class CallIds:
    """Group ids for module calls, one group per call, so a module that runs twice (a U-Net's pool,
    T5's shared dropout) is two boxes and the drawing follows the data instead of looping back.

    ids.enter(path, key, parent_id) -> the group id of one call: `path` is the module path it was
    reached by ("enc/pool"), `key` anything that is the same for every op of one call and differs
    between calls, `parent_id` the group id of the enclosing call (None at the top). The first
    call of a path keeps the plain id; later ones get "@2", "@3", ... Inside a later call of a
    parent, children take the parent's id as prefix ("seq@2/0").
    """

    def __init__(self):
        self._keys: dict[str, list] = {}  # base id -> the call keys seen, in order

    def enter(self, path: str, key, parent_id: str | None = None) -> str:
        base = path
        if parent_id:
            parent_path = module_of(parent_id)
            if path.startswith(parent_path + "/"):
                base = parent_id + path[len(parent_path):]
        keys = self._keys.setdefault(base, [])
        if key not in keys:
            keys.append(key)
        n = keys.index(key) + 1
        return base if n == 1 else f"{base}@{n}"


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
