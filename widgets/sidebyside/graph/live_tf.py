"""Live recording of TensorFlow eager ops as a cell runs.

`with record_tf(view) as g:` registers an op callback: every eager op (and every tf.function call,
shown as one node named after the function) becomes a node. Variables are named after the caller's
tf.Variable / Keras objects; ReadVariableOp and Identity are plumbing. Each op is grouped by the name
scope it ran in, reduced to the innermost Keras layer when the caller's variables hold Keras models
(Keras opens a scope per layer call), so a live model step can be collapsed layer by layer.

Private TF API, kept behind this one module and covered by tests/test_graph_live.py:
tensorflow.python.framework.op_callbacks.add_op_callback / remove_op_callback. The callback is always
removed in __exit__, even when the cell raises. Public but after-the-fact alternative:
tf.debugging.experimental.enable_dump_debug_info.
"""

from __future__ import annotations

import re
import weakref

from sidebyside.graph._common import caller_objects, shape_list
from sidebyside.graph._live import LiveRecorder
from sidebyside.graph.keras_layers import layer_scope, layer_types, scope_label, scope_type
from sidebyside.graph.model import Node
from sidebyside.graph.tf_function import PLUMBING_OPS

_FUNCTION = re.compile(r"^__inference_(.+?)_\d+$")


def _handle(v):
    for obj in (v, getattr(v, "value", None), getattr(v, "_value", None)):
        h = getattr(obj, "handle", None)
        if h is not None:
            return h
    return None


def _var_meta(v) -> tuple:
    """(shape, dtype) of a variable: what its resource handle (shape [], dtype resource) hides."""
    try:
        dtype = v.dtype.name if hasattr(v.dtype, "name") else str(v.dtype)
        return shape_list(v.shape), dtype
    except Exception:  # noqa: BLE001
        return None, None


def _handle_meta(handle) -> tuple | None:
    """(shape, dtype) recorded in a resource handle's handle data (private TF API; None if absent)."""
    try:
        from tensorflow.python.ops import resource_variable_ops  # private

        data = resource_variable_ops.get_eager_safe_handle_data(handle)
        st = data.shape_and_type[0]
        from tensorflow.python.framework import dtypes, tensor_shape

        return shape_list(tensor_shape.TensorShape(st.shape)), dtypes.as_dtype(st.dtype).name
    except Exception:  # noqa: BLE001
        return None


class TFRecorder(LiveRecorder):
    framework = "tensorflow"
    source = "live_tf"

    def __init__(self, view=None, *, names: dict | None = None, **kwargs):
        super().__init__(view, **kwargs)
        self.names = names or {}

    def start(self) -> None:
        import tensorflow as tf
        from tensorflow.python.eager import context
        from tensorflow.python.framework import op_callbacks  # private

        self._op_callbacks = op_callbacks
        self._context = context.context()
        self._ids: dict[int, tuple] = {}  # id(tensor) -> (weakref or tensor, node id)
        self._labels: dict[int, tuple[str, str]] = {}  # id(handle or tensor) -> (label, kind)
        self._var_meta: dict[int, tuple] = {}  # id(handle) -> (shape, dtype) of its variable

        def is_interesting(v):
            if isinstance(v, type):  # a Keras Layer class in the namespace, not a layer
                return False
            return isinstance(v, (tf.Tensor, tf.Variable)) or hasattr(v, "trainable_variables")

        objs = caller_objects(is_interesting, depth=2)  # start <- __enter__ <- the user's code
        objs += list(self.names.items())
        self._layers = layer_types([v for _, v in objs])
        for name, v in objs:
            h = _handle(v)
            if h is not None and not hasattr(v, "trainable_variables"):
                self._labels[id(h)] = (name, "param" if getattr(v, "trainable", True) else "const")
                self._var_meta[id(h)] = _var_meta(v)
            elif hasattr(v, "variables") and not isinstance(v, tf.Tensor):
                for var in getattr(v, "variables", []):
                    hv = _handle(var)
                    if hv is not None:
                        path = getattr(var, "path", None) or var.name.split(":")[0]
                        self._labels.setdefault(id(hv), (f"{name}/{path}", "param"))
                        self._var_meta.setdefault(id(hv), _var_meta(var))
            elif isinstance(v, tf.Tensor):
                self._labels[id(v)] = (name, "input")
        self._watch_gradients(tf)
        try:
            op_callbacks.add_op_callback(self._callback)
        except BaseException:
            self.stop()  # (removing a callback that was never added is a no-op)
            raise

    def _watch_gradients(self, tf) -> None:
        """Eager gradient ops run outside any name scope. While recording, GradientTape.gradient
        is wrapped to know that gradients are being computed, and the eager gradient function
        (private) to know the forward op's scope, so gradient ops group like tf.function's:
        "gradient_tape/<layer scope>" when the forward scope is known, else "gradient_tape"."""
        self._grad_depth = 0
        self._grad_scopes: list[str] = []
        self._tape_gradient = tf.GradientTape.gradient
        rec, original = self, tf.GradientTape.gradient

        def gradient(tape, *args, **kwargs):
            rec._grad_depth += 1
            try:
                return original(tape, *args, **kwargs)
            finally:
                rec._grad_depth -= 1

        tf.GradientTape.gradient = gradient
        self._grad_fn = None
        try:
            from tensorflow.python import pywrap_tfe  # private
            from tensorflow.python.eager import backprop  # private

            grad_fn = backprop._gradient_function

            def scoped(op_name, attr_tuple, num_inputs, inputs, outputs, out_grads, skip, scope):
                rec._grad_scopes.append(scope or "")
                try:
                    return grad_fn(op_name, attr_tuple, num_inputs, inputs, outputs, out_grads,
                                   skip, scope)
                finally:
                    rec._grad_scopes.pop()

            pywrap_tfe.TFE_Py_RegisterGradientFunction(scoped)
            self._grad_fn = (pywrap_tfe, grad_fn)
        except Exception:  # noqa: BLE001 - private API gone: gradient ops group as "gradient_tape"
            self._grad_fn = None

    def stop(self) -> None:
        import tensorflow as tf

        try:
            self._op_callbacks.remove_op_callback(self._callback)
        except (KeyError, ValueError):  # start() failed before adding it
            pass
        finally:
            tf.GradientTape.gradient = self._tape_gradient
            if self._grad_fn is not None:
                pywrap_tfe, grad_fn = self._grad_fn
                pywrap_tfe.TFE_Py_RegisterGradientFunction(grad_fn)

    def _scope(self) -> str | None:
        """The group path of the op running now (see _watch_gradients)."""
        scope = layer_scope(self._context.scope_name.strip("/"), self._layers)
        if scope or not self._grad_depth:
            return scope or None
        forward = self._grad_scopes[-1].strip("/") if self._grad_scopes else ""
        forward = layer_scope(forward, self._layers) if forward else ""
        return "gradient_tape" + (f"/{forward}" if forward else "")

    def _callback(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is not None or self.truncated:
            return None  # graph construction (tf.function tracing) is not eager execution
        if isinstance(op_type, bytes):  # some fast paths pass the op type as bytes
            op_type = op_type.decode()
        try:
            self._record(op_type, inputs or (), outputs or ())
        except Exception as err:  # noqa: BLE001 - never break the user's cell
            self.errors.append(f"{op_type}: {err!r}")
        return None

    def _lookup(self, t) -> str | None:
        hit = self._ids.get(id(t))
        if hit is None:
            return None
        ref, nid = hit
        obj = ref() if isinstance(ref, weakref.ref) else ref
        return nid if obj is t else None

    def _remember(self, t, nid: str) -> None:
        try:
            ref = weakref.ref(t)
        except TypeError:
            ref = t
        self._ids[id(t)] = (ref, nid)

    def _leaf(self, t) -> str:
        label, kind = self._labels.get(id(t), (None, None))
        dtype = t.dtype.name
        if kind is None:
            # Not one of the caller's named tensors: a variable, or a value made outside the
            # recording (a learning rate, a cached constant): a constant that folds into its op.
            kind = "param" if dtype == "resource" else "const"
            label = "variable" if dtype == "resource" else "tensor"
        shape = shape_list(t.shape)
        if dtype == "resource":  # a variable's handle: show the variable's shape and dtype
            shape, dtype = self._var_meta.get(id(t)) or _handle_meta(t) or (shape, dtype)
        nid = self.builder.new_id()
        node = Node(nid, "tensor", label, kind, None, shape, dtype,
                    getattr(t, "device", None) or None,
                    attrs={"handle": "resource"} if t.dtype.name == "resource" else {})
        if not self.add_node(node):
            return ""
        self._remember(t, nid)
        return nid

    def _record(self, op_type, inputs, outputs) -> None:
        src = []
        for t in inputs:
            nid = self._lookup(t) or self._leaf(t)
            if not nid:
                return
            src.append((nid, t))
        first = outputs[0] if outputs else None
        m = _FUNCTION.match(op_type)
        label = m.group(1) if m else op_type
        nid = self.builder.new_id()
        scope = self._scope()
        group = self.builder.group(scope, self._glabel, self._gtype) if scope else None
        node = Node(nid, op_type, label, "op", group,
                    None if first is None else shape_list(first.shape),
                    None if first is None else first.dtype.name,
                    None if first is None else (getattr(first, "device", None) or None),
                    plumbing=op_type in PLUMBING_OPS,
                    attrs={"function": True} if m else {})
        if not self.add_node(node):
            return
        for s, t in src:
            self.add_edge(s, nid, shape_list(t.shape), t.dtype.name)
        for t in outputs:
            self._remember(t, nid)
        self.maybe_flush()


    def _glabel(self, path: str) -> str:
        return scope_label(path, self._layers)

    def _gtype(self, path: str) -> str | None:
        return scope_type(path, self._layers)


def record_tf(view=None, *, names: dict | None = None, interval: float = 0.1,
              max_nodes: int | None = None, name: str | None = None) -> TFRecorder:
    """Context manager recording eager TensorFlow ops: `with record_tf(view) as g: ...`.

    Same streaming and limits as record_torch (see sidebyside.graph._live.LiveRecorder).
    """
    return TFRecorder(view, names=names, interval=interval, max_nodes=max_nodes, name=name)
