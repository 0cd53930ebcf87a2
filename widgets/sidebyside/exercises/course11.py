"""Self-checks for course/11_keras3_across_backends.ipynb."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types

from sidebyside.selfcheck import exercise

# Calling these inside call() ties a layer to one engine. NumPy too: on the torch backend it fails
# as soon as the input needs gradients (lesson 11, section 3). Its constants and dtypes are harmless.
BACKEND_MODULES = ("tensorflow", "torch", "jax", "numpy")
HARMLESS_NUMPY = {"float16", "float32", "float64", "int32", "int64", "pi", "e", "inf", "newaxis"}
EPSILON = 1e-5


def _framework_names(call) -> list[str]:
    """Names in the source of `call` that refer to a framework module (or import one)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(call)))
    except (OSError, TypeError, SyntaxError):
        return []  # no source to read (e.g. defined by exec): the runs below still test it
    scope = dict(getattr(call, "__globals__", {}))
    closure = inspect.getclosurevars(call).nonlocals if inspect.isfunction(call) else {}
    scope.update(closure)
    harmless = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name) and n.attr in HARMLESS_NUMPY}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            value = scope.get(node.id)
            module = value.__name__ if isinstance(value, types.ModuleType) else None
            if module == "numpy" and id(node) in harmless:
                continue
        elif isinstance(node, ast.Import):
            module = next((a.name for a in node.names if a.name.split(".")[0] in BACKEND_MODULES), None)
        elif isinstance(node, ast.ImportFrom):
            module = node.module
        else:
            continue
        if module and module.split(".")[0] in BACKEND_MODULES:
            found.append(getattr(node, "id", module))
    return sorted(set(found))


ANSI = re.compile(r"\x1b\[[0-9;]*m")
TF_NODE = re.compile(r"^\{\{function_node [^}]*\}\}\s*")


def _cause(err: Exception) -> str:
    """The error a layer really raised, without Keras's wrapper around it.

    Keras re-raises an error inside call() as 'Exception encountered when calling X.call().', then
    the original message, then 'Arguments received by ...'; only the middle part says what went wrong.
    """
    text = ANSI.sub("", str(err)).strip()
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    inner = [p for p in paragraphs if not p.startswith(("Exception encountered when calling",
                                                         "Arguments received by"))]
    message = TF_NODE.sub("", (inner or paragraphs or [""])[0]).splitlines()[0] if text else ""
    message = re.sub(r"\s*name:\s*$", "", message).strip()
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _standardized(x):
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + EPSILON)


def _q1_solution():
    import keras
    from keras import ops

    class Standardize(keras.layers.Layer):
        def call(self, x):
            mean = ops.mean(x, axis=-1, keepdims=True)
            return (x - mean) / ops.sqrt(ops.var(x, axis=-1, keepdims=True) + 1e-5)

    return (Standardize,)


def _q1_wrong():
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import ops

    class OverBatch(keras.layers.Layer):  # standardizes each column (axis 0), not each row
        def call(self, x):
            mean = ops.mean(x, axis=0, keepdims=True)
            return (x - mean) / ops.sqrt(ops.var(x, axis=0, keepdims=True) + 1e-5)

    class NoSqrt(keras.layers.Layer):  # divides by the variance, not the standard deviation
        def call(self, x):
            mean = ops.mean(x, axis=-1, keepdims=True)
            return (x - mean) / (ops.var(x, axis=-1, keepdims=True) + 1e-5)

    class WithTf(keras.layers.Layer):  # right numbers on TensorFlow, fails on torch
        def call(self, x):
            mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) / tf.sqrt(var + 1e-5)

    class WithNumpy(keras.layers.Layer):  # right numbers eagerly, breaks in graphs and on GPUs
        def call(self, x):
            x = np.asarray(x)
            return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)

    class CenterOnly(keras.layers.Layer):  # mean 0, but the variance is left alone
        def call(self, x):
            return x - ops.mean(x, axis=-1, keepdims=True)

    class NoKeepdims(keras.layers.Layer):  # the row means lose their axis: (4, 6) - (4,) fails
        def call(self, x):
            return (x - ops.mean(x, axis=-1)) / ops.sqrt(ops.var(x, axis=-1) + 1e-5)

    return [(OverBatch,), (NoSqrt,), (WithTf,), (WithNumpy,), (CenterOnly,), (NoKeepdims,)]


@exercise("course11.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: keras.ops only, so the same class runs on TensorFlow, PyTorch and JAX.",
          hints=["ops.mean(x, axis=-1, keepdims=True) and ops.var(...) keep the row axis, so the "
                 "subtraction and the division broadcast row by row."])
def q1(layer):
    import keras
    import numpy as np

    cls = layer if isinstance(layer, type) else type(layer)
    assert issubclass(cls, keras.layers.Layer), (
        f"Give the layer class (a subclass of keras.layers.Layer), not {cls.__name__}."
    )
    tied = _framework_names(cls.call)
    assert not tied, (
        f"call() uses {', '.join(tied)}: a framework's own ops tie the layer to one backend. "
        "Use keras.ops (ops.mean, ops.var, ops.sqrt) instead."
    )
    rng = np.random.default_rng()
    for shape in [(4, 6), (2, 3, 5), (1, 8)]:
        x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
        try:
            got = keras.ops.convert_to_numpy(cls()(x))
        except Exception as err:  # a broken answer: report it as a hint, never crash the notebook
            raise AssertionError(f"Calling the layer on a {shape} array failed: {_cause(err)}") from err
        expected = _standardized(x)
        assert got.shape == expected.shape, f"Output shape {got.shape}, expected {expected.shape}."
        assert np.allclose(got, expected, rtol=1e-3, atol=1e-3), (
            f"On a {shape} array the rows do not come out with mean 0 and variance 1 "
            f"(row means {np.round(got.mean(-1).ravel()[:3], 3)}, variances "
            f"{np.round(got.var(-1).ravel()[:3], 3)}). Standardize along the last axis, axis=-1."
        )
    try:  # symbolic inputs: what a functional model or a graph passes to call()
        keras.Sequential([keras.Input(shape=(6,)), cls()])
    except Exception as err:
        raise AssertionError(f"The layer fails inside a model (symbolic input): {_cause(err)}") from err


FAILS_ON_TORCH = frozenset({"C", "D"})


def _q2_solution():
    return ({"C", "D"},)


def _q2_wrong():
    return [
        ({"D"},),  # forgot that GradientTape cannot see torch parameters
        ({"C"},),  # forgot that tf ops inside call() receive torch tensors
        ({"C", "D", "E"},),  # .keras files hold no backend: they load anywhere
        ({"C", "D", "F"},),  # fit takes a DataLoader on every backend
        ({"C", "D", "G"},),  # the silent one: predict converts the torch tensor through NumPy
        ({"B", "C", "D"},),  # on torch, model.parameters() is exactly what torch.optim wants
        (set(),),
    ]


@exercise("course11.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: C and D hand torch tensors that need gradients to TensorFlow (C raises a "
                  "TypeError, D a RuntimeError). G is the trap: predict runs, because TensorFlow copies "
                  "a torch tensor that needs no gradient through NumPy. A, B, E and F are Keras or "
                  "PyTorch and work.",
          hints=["Section 3: on the torch backend the weights are torch.nn.Parameters. Which options "
                 "hand them, or the tensors flowing through call(), to TensorFlow?"])
def q2(letters):
    if isinstance(letters, str):  # "CD", "C, D", "{'C', 'D'}" all mean the same letters
        letters = re.findall(r"[A-Za-z]", letters)
    try:
        chosen = {str(c).strip().strip("\"'").upper() for c in letters}
    except TypeError as err:
        raise AssertionError('Answer with a set of letters, e.g. {"A", "B"}.') from err
    unknown = chosen - set("ABCDEFG")
    assert not unknown, f"Only the letters A to G are options (got {sorted(unknown)})."
    works = chosen - FAILS_ON_TORCH
    assert not works, (
        f"{', '.join(sorted(works))} work(s) on the torch backend: Keras APIs (predict, fit, "
        ".keras files) are backend-neutral, model.parameters() is what torch.optim expects, and "
        "section 3 shows what predict does with a tf op inside a layer."
    )
    missing = FAILS_ON_TORCH - chosen
    assert not missing, (
        f"{len(missing)} more fail(s). Which options hand torch tensors or parameters to TensorFlow?"
    )
