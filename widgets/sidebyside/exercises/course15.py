"""Self-checks for course/15_interchange_and_edge.ipynb."""

from sidebyside.selfcheck import exercise


def _logits(seed: int = 15):
    """Float32 logits like the lesson's: 397 images x 10 classes, values of a few units, some near 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return (rng.standard_normal((397, 10)) * 6).astype(np.float32)


def _q1_solution():
    import numpy as np

    return (lambda a, b: np.allclose(a, b, rtol=1e-4, atol=1e-4),)


def _q1_wrong():
    import numpy as np

    return [
        (lambda a, b: bool((a == b).all()),),  # bit for bit: two graphs round differently
        (lambda a, b: np.array_equal(a, b),),  # the same mistake, spelled differently
        (lambda a, b: np.allclose(a, b),),  # default atol=1e-8: below round-off for logits near 0
        (lambda a, b: np.allclose(a, b, atol=0.5),),  # so loose that a quantised model "agrees"
        (lambda a, b: abs(float(a.sum()) - float(b.sum())) < 1e-3,),  # errors cancel in a sum
        (lambda a, b: bool((a.argmax(1) == b.argmax(1)).all()),),  # same digit, different logits
        (lambda a, b: np.allclose(a, b, atol=1e-2),),  # 10,000x round-off: hides a 1e-3 bug
        (lambda a, b: float(np.abs(a - b).max()) < 0.04,),  # the same, as a largest-difference test
        (lambda a, b: np.allclose(a, b, rtol=1e-2),),  # 1 % of a logit: far above round-off
        (lambda a, b: np.allclose(a, b, rtol=1e-2, atol=1e-4),),  # a right atol, a loose rtol
        (lambda a, b: np.allclose(a, b, rtol=1e-3, atol=1e-3),),  # still 1,000x round-off
    ]


@exercise("course15.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: a tolerance a little above float32 round-off (e.g. np.allclose(a, b, "
                  "rtol=1e-4, atol=1e-4)) passes two honest exports and catches real differences.",
          hints=["Section 3 printed the order of magnitude of the largest difference between the two "
                 "ONNX files. Round-off is absolute too: logits near 0 differ by about as much as "
                 "large ones."])
def q1(agree):
    import numpy as np

    a = _logits()
    rng = np.random.default_rng(1)
    roundoff = a + (rng.uniform(-3e-6, 3e-6, a.shape)).astype(np.float32)  # what section 3 measured
    assert bool(agree(a, a.copy())), "Two identical runs must agree."
    assert bool(agree(a, roundoff)), (
        "Two honest exports differ by float32 round-off (a few 1e-6, also on logits near 0), and your "
        "agree() called that a difference. Exact equality or an atol of 1e-8 is too strict."
    )
    one_bug = a.copy()
    one_bug[5, 3] += 0.05  # one logit off: e.g. a bias copied into the wrong slot
    small_bug = a.copy()
    small_bug.flat[np.abs(np.abs(a) - 4).argmin()] += 1e-3  # a logit of about 4 off by 1e-3
    quantised = a + (rng.standard_normal(a.shape) * 0.03).astype(np.float32)  # int8-like error
    cancelling = a + np.where(np.arange(a.size).reshape(a.shape) % 2 == 0, 0.5, -0.5).astype(np.float32)
    wrong_layout = a[:, ::-1].copy()
    for name, b in [("one logit off by 0.05", one_bug), ("a quantised model's logits", quantised),
                    ("errors of ±0.5 that cancel in a sum", cancelling),
                    ("logits in the wrong order", wrong_layout)]:
        assert not bool(agree(a, b)), (
            f"Your agree() accepted {name}. A tolerance that hides that hides real bugs; "
            "also compare element by element, not sums or predicted classes."
        )
    assert not bool(agree(a, small_bug)), (
        "Your agree() accepted one logit of about 4 that is off by 0.001 (a float16 bias could do "
        "that). Round-off is about 1e-6: an atol of 1e-3, or an rtol of 1e-3 (4e-3 on a logit of 4), "
        "is a thousand times too loose. Stay a little above round-off, e.g. 1e-4."
    )


def _q2_solution():
    return ({"name": "image", "shape": [None, 8, 8, 1]},)


def _q2_wrong():
    return [
        ({"name": "image", "shape": [None, 1, 8, 8]},),  # the PyTorch file's layout
        ({"name": "image", "shape": [1, 8, 8, 1]},),  # the batch is dynamic, not 1
        ({"name": "image", "shape": [8, 8, 1]},),  # forgot the batch dimension
        ({"name": "keras_tensor", "shape": [None, 8, 8, 1]},),  # Keras's internal name
        ({"name": "serving_default_keras_tensor:0", "shape": [None, 8, 8, 1]},),  # the LiteRT name
    ]


def _is_dynamic(dim) -> bool:
    """None, -1 or a symbolic name ('unk__36', 'batch') all mean "any size"."""
    return dim is None or dim == -1 or isinstance(dim, str)


@exercise("course15.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: keras_session.get_inputs()[0] says name 'image', shape ['unk__…', 8, 8, 1]: "
                  "NHWC, with a dynamic batch.",
          hints=["keras_session.get_inputs()[0].name and .shape answer both parts."])
def q2(answer):
    assert isinstance(answer, dict) and {"name", "shape"} <= set(answer), (
        'Answer with a dict like {"name": "...", "shape": [...]}.'
    )
    name, shape = str(answer["name"]).strip(), list(answer["shape"])
    assert name == "image", (
        f"The session's input is not called {name!r}: the name comes from the TensorSpec given to "
        "tf2onnx, not from Keras or LiteRT."
    )
    assert len(shape) == 4, "The file takes a batch of images: four dimensions, batch first."
    assert _is_dynamic(shape[0]), "The batch dimension is dynamic: write None for it."
    assert [int(d) if not _is_dynamic(d) else d for d in shape[1:]] != [1, 8, 8], (
        "That is the PyTorch file's layout (NCHW). The Keras file keeps Keras's NHWC layout."
    )
    assert all(not _is_dynamic(d) for d in shape[1:]) and [int(d) for d in shape[1:]] == [8, 8, 1], (
        "After the batch come height, width and channels, all fixed."
    )


def _q3_solution():
    return ({"conv", "dense_512"},)


def _q3_wrong():
    return [
        ({"conv", "dense_512", "dense_20"},),  # small tensors stay float32
        ({"dense_512"},),  # conv kernels are quantised too
        ({"dense_512", "dense_20"},),  # "only dense layers"
        (set(),),  # dynamic range does quantise weights
        ({"conv"},),
    ]


@exercise("course15.q3", solution=_q3_solution, wrong_answers=_q3_wrong,
          success="Right: conv 3·3·16·32 = 4,608 and dense 512·10 = 5,120 values are quantised; the "
                  "20×20 kernel (400 values) is under the 1,024-value cut-off and stays float32.",
          hints=["Count the values in each kernel and compare with the cut-off section 6 found."])
def q3(quantised):
    names = {str(n).strip().lower() for n in quantised}
    unknown = names - {"conv", "dense_512", "dense_20"}
    assert not unknown, f'Use only the names "conv", "dense_512", "dense_20" (got {sorted(unknown)}).'
    assert "dense_20" not in names, "A 20×20 kernel has 400 values: too small to be quantised."
    assert "dense_512" in names, "512·10 = 5,120 values: large enough to be stored as int8."
    assert "conv" in names, (
        "Conv kernels are weights too: 3·3·16·32 = 4,608 values, above the cut-off, so int8."
    )
