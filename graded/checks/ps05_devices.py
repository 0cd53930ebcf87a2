"""Trusted checks for ps05_devices: values recomputed here; devices as reported by the kernel."""

import numpy as np

from sidebyside.grading.spec import Check, assert_close, assert_equal, require

Q1_PROBE = """
import numpy as np, torch, tensorflow as tf
a = np.asarray(inputs["a"], dtype=np.float32)
b = np.asarray(inputs["b"], dtype=np.float32)
result = {"torch": [], "tf": []}
for dev in ("cpu", str(env.torch_device)):
    r = matmul_torch(a, b, dev)
    result["torch"].append({"asked": torch.device(dev).type, "device": r.device.type,
                            "value": r.detach().cpu().numpy().astype(float).tolist()})
for dev in ("/CPU:0", "/CPU:1"):
    r = matmul_tf(a, b, dev)
    result["tf"].append({"asked": dev, "device": r.device,
                         "value": np.asarray(r, dtype=float).tolist()})
"""


def q1_inputs(rng):
    n, k, m = (int(v) for v in rng.integers(2, 6, size=3))
    return {"a": rng.normal(size=(n, k)).astype(np.float32).tolist(),
            "b": rng.normal(size=(k, m)).astype(np.float32).tolist()}


def q1_verify(inputs, result):
    require(result, "torch", "tf")
    ref = np.asarray(inputs["a"], dtype=np.float64) @ np.asarray(inputs["b"], dtype=np.float64)
    for fw in ("torch", "tf"):
        if not isinstance(result[fw], list) or len(result[fw]) != 2:
            raise AssertionError("malformed result")
        for item in result[fw]:
            require(item, "asked", "device", "value")
            assert_close(item["value"], ref, f"matmul_{fw}(a, b, {item['asked']!r})", rtol=1e-4,
                         atol=1e-5)
            device = str(item["device"])
            ok = device == item["asked"] if fw == "torch" else device.endswith(item["asked"][1:])
            if not ok:
                raise AssertionError(f"matmul_{fw}(..., {item['asked']!r}) ran on {device}")


Q2_PROBE = """
import numpy as np, torch, tensorflow as tf
x = np.asarray(inputs["x"], dtype=np.float32)
result = {"torch": [], "tf": []}
for name in ("float64", "float16"):
    r = like_torch(torch.tensor(x), torch.zeros(1, dtype=getattr(torch, name), device=env.torch_device))
    result["torch"].append({"dtype": str(r.dtype).replace("torch.", ""), "device": r.device.type,
                            "want_device": env.torch_device.type,
                            "value": r.float().cpu().numpy().astype(float).tolist()})
for dev, src_dev, name in (("/CPU:1", "/CPU:0", "float64"), ("/CPU:0", "/CPU:1", "float16")):
    with tf.device(dev):
        ref = tf.zeros(1, dtype=getattr(tf, name))
    with tf.device(src_dev):
        src = tf.constant(x)
    r = like_tf(src, ref)
    result["tf"].append({"dtype": r.dtype.name, "device": r.device, "want_device": dev,
                         "value": np.asarray(tf.cast(r, tf.float32), dtype=float).tolist()})
"""


def q2_inputs(rng):
    return {"x": rng.normal(size=int(rng.integers(3, 8))).astype(np.float32).tolist()}


def q2_verify(inputs, result):
    require(result, "torch", "tf")
    x = np.asarray(inputs["x"], dtype=np.float64)
    for fw in ("torch", "tf"):
        if not isinstance(result[fw], list) or len(result[fw]) != 2:
            raise AssertionError("malformed result")
        for item, name in zip(result[fw], ("float64", "float16")):
            require(item, "dtype", "device", "want_device", "value")
            assert_equal(item["dtype"], name, f"like_{fw}: dtype")
            want = str(item["want_device"])
            device = str(item["device"])
            ok = device == want if fw == "torch" else device.endswith(want[1:])
            if not ok:
                raise AssertionError(f"like_{fw}: the result is on {device}, not {want}")
            assert_close(item["value"], x, f"like_{fw}: values", rtol=1e-2, atol=1e-2)


CHECKS = [
    Check("ps05_q1_tests", Q1_PROBE, q1_inputs, q1_verify,
          visibility="visible", points=3,
          message="your matrix product runs on the device asked for and gives the right values"),
    Check("ps05_q2_tests", Q2_PROBE, q2_inputs, q2_verify,
          visibility="visible", points=2,
          message="your result lands on the same device as the tensor it follows"),
]
