"""Trusted checks for ps01_tensors (run by the grader process; never visible to the sandbox).

Each probe runs in the student's kernel and only REPORTS values; each verify recomputes the reference
here, with NumPy, on the inputs drawn for this run.
"""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, assert_equal, require

# ---- Q1: to NumPy ---------------------------------------------------------------------------------

Q1_PROBE = """
import numpy as np, torch, tensorflow as tf
result = {}
for name in ("float32", "float64", "int64"):
    x = np.asarray(inputs[name], dtype=name)
    a = torch_to_numpy(torch.tensor(x, requires_grad=x.dtype.kind == "f"))
    b = tf_to_numpy(tf.constant(x))
    for fw, v in (("torch", a), ("tf", b)):
        result[f"{fw}_{name}"] = {"type": type(v).__module__ + "." + type(v).__name__,
                                  "dtype": str(getattr(v, "dtype", None)),
                                  "value": np.asarray(v).astype(float).tolist()}
"""


def q1_inputs(rng):
    base = rng.normal(size=(int(rng.integers(2, 5)), int(rng.integers(2, 5)))) * 10
    return {"float32": base.astype(np.float32).tolist(), "float64": base.tolist(),
            "int64": base.astype(np.int64).tolist()}


def q1_verify(inputs, result):
    require(result, *(f"{fw}_{n}" for fw in ("torch", "tf") for n in ("float32", "float64",
                                                                         "int64")))
    for name in ("float32", "float64", "int64"):
        x = np.asarray(inputs[name], dtype=name)
        for fw in ("torch", "tf"):
            got = result[f"{fw}_{name}"]
            require(got, "type", "dtype", "value")
            what = f"{fw}_to_numpy on a {name} tensor"
            assert_equal(got["type"], "numpy.ndarray", f"{what}: type")
            assert_equal(got["dtype"], name, f"{what}: dtype")
            assert_close(got["value"], x.astype(float), what, rtol=0, atol=0)


# ---- Q2: standardise columns ----------------------------------------------------------------------

Q2_PROBE = """
import numpy as np, torch, tensorflow as tf
x = np.asarray(inputs["x"], dtype=np.float32)
a = standardize_torch(torch.tensor(x))
b = standardize_tf(tf.constant(x))
result = {"torch_is_tensor": isinstance(a, torch.Tensor), "tf_is_tensor": isinstance(b, tf.Tensor),
          "torch_dtype": str(a.dtype).replace("torch.", ""), "tf_dtype": b.dtype.name,
          "torch": np.asarray(a.detach().numpy(), dtype=float).tolist(),
          "tf": np.asarray(b.numpy(), dtype=float).tolist()}
"""


def q2_inputs(rng):
    shape = (int(rng.integers(4, 9)), int(rng.integers(2, 6)))
    return {"x": rng.normal(rng.uniform(-3, 3), rng.uniform(0.5, 4), size=shape)
            .astype(np.float32).tolist()}


def q2_verify(inputs, result):
    require(result, "torch_is_tensor", "tf_is_tensor", "torch_dtype", "tf_dtype", "torch", "tf")
    x = np.asarray(inputs["x"], dtype=np.float64)
    ref = (x - x.mean(axis=0)) / x.std(axis=0)
    assert_equal(result["torch_is_tensor"], True, "standardize_torch returns a torch.Tensor")
    assert_equal(result["tf_is_tensor"], True, "standardize_tf returns a tf.Tensor")
    assert_equal(result["torch_dtype"], "float32", "standardize_torch dtype")
    assert_equal(result["tf_dtype"], "float32", "standardize_tf dtype")
    assert_close(result["torch"], ref, "standardize_torch(x)", rtol=1e-4, atol=1e-4)
    assert_close(result["tf"], ref, "standardize_tf(x)", rtol=1e-4, atol=1e-4)


# ---- Q3: broadcasting -----------------------------------------------------------------------------

Q3_PROBE = """
import numpy as np, torch, tensorflow as tf
a = np.asarray(inputs["a"], dtype=np.float32)
b = np.asarray(inputs["b"], dtype=np.float32)
result = {"torch": np.asarray(pairwise_sq_dists_torch(torch.tensor(a), torch.tensor(b)),
                              dtype=float).tolist(),
          "tf": np.asarray(pairwise_sq_dists_tf(tf.constant(a), tf.constant(b)), dtype=float).tolist()}
"""


def q3_inputs(rng):
    n, m, d = (int(v) for v in rng.integers(2, 7, size=3))
    return {"a": rng.normal(size=(n, d)).astype(np.float32).tolist(),
            "b": rng.normal(size=(m, d)).astype(np.float32).tolist()}


def q3_verify(inputs, result):
    require(result, "torch", "tf")
    a, b = np.asarray(inputs["a"]), np.asarray(inputs["b"])
    ref = ((a[:, None] - b[None]) ** 2).sum(-1)
    assert_close(result["torch"], ref, "pairwise_sq_dists_torch(a, b)", rtol=1e-4, atol=1e-4)
    assert_close(result["tf"], ref, "pairwise_sq_dists_tf(a, b)", rtol=1e-4, atol=1e-4)


CHECKS = [
    Check("ps01_q1_tests", Q1_PROBE, q1_inputs, q1_verify,
          visibility="visible", points=2,
          message=("your conversion to NumPy and back keeps the values, shape and dtype on fresh "
                   "tensors")),
    Check("ps01_q2_tests", Q2_PROBE, q2_inputs, q2_verify,
          visibility="visible", points=3,
          message=("your column standardisation gives mean 0 and standard deviation 1 per column,"
                   " in both frameworks, on fresh data")),
    Check("ps01_q3_tests", Q3_PROBE, q3_inputs, q3_verify,
          visibility="after_due", points=2,
          message="your broadcasting answer has the right shape and values on fresh shapes"),
]
