"""Self-checks for labs/03_device_placement.ipynb.

Frameworks are imported inside the functions: importing this module (the registry imports every
exercise module) must stay cheap. The checkers use PyTorch's `meta` device and plain data, so they
give the same verdict on CPU-only and GPU machines.
"""

from sidebyside.selfcheck import exercise

# ---------------------------------------------------------------------------------------------------
# lab03.q1: move a batch (a dict of tensors and plain values) to a device


def _q1_solution():
    import torch

    def to_device(batch, device):
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    return (to_device,)


def _q1_wrong():
    import torch

    def in_place(batch, device):  # .to() returns a new tensor; the dict still holds the old ones
        for v in batch.values():
            if isinstance(v, torch.Tensor):
                v.to(device)
        return batch

    return [
        (lambda batch, device: batch,),  # moved nothing
        (lambda batch, device: {k: v.to(device) for k, v in batch.items()},),  # int has no .to
        (in_place,),
        (lambda batch, device: {k: v.cpu() if isinstance(v, torch.Tensor) else v
                                for k, v in batch.items()},),  # ignores the device argument
    ]


@exercise(
    "lab03.q1",
    solution=_q1_solution,
    wrong_answers=_q1_wrong,
    success="Right: every tensor moved with .to(device), everything else passed through unchanged.",
    hints=["Build a new dict: {k: v.to(device) if isinstance(v, torch.Tensor) else v ...}."],
)
def q1(to_device):
    import torch

    assert callable(to_device), "Answer a function to_device(batch, device)."
    n = int(torch.randint(2, 7, ()).item())
    batch = {"x": torch.randn(n, 3), "y": torch.randint(0, 5, (n,)), "size": n, "name": "train"}
    out = to_device(dict(batch), "meta")
    assert isinstance(out, dict), "Return a dict with the same keys as the batch."
    assert set(out) == set(batch), f"Keep every key: expected {sorted(batch)}, got {sorted(out)}."
    for key in ("x", "y"):
        assert isinstance(out[key], torch.Tensor), f"batch[{key!r}] should still be a tensor."
        assert out[key].device.type == "meta", (
            f"batch[{key!r}] is on {out[key].device}, not on the device you were given (meta). "
            "Hint: tensor.to(device) returns a NEW tensor; keep what it returns."
        )
        assert out[key].shape == batch[key].shape and out[key].dtype == batch[key].dtype, (
            "Moving must keep shape and dtype."
        )
    assert out["size"] == n and out["name"] == "train", "Leave non-tensor values as they are."
    back = to_device(dict(batch), "cpu")
    assert torch.equal(back["x"], batch["x"]), "Moving to the device a tensor is on keeps its values."


# ---------------------------------------------------------------------------------------------------
# lab03.q2: predict where nested tf.device scopes place three ops

Q2_SOLUTION = {"MatMul": "CPU:1", "Relu": "CPU:0", "Sum": "CPU:1"}


def _normalise(device) -> str:
    """'/CPU:1', 'cpu:1', '/device:CPU:1' and full names all become 'CPU:1'."""
    import re

    match = re.search(r"([A-Z_]+:\d+)$", str(device).strip().upper())
    return match.group(1) if match else str(device)


@exercise(
    "lab03.q2",
    solution=lambda: (dict(Q2_SOLUTION),),
    wrong_answers=lambda: [
        ({"MatMul": "CPU:1", "Relu": "CPU:1", "Sum": "CPU:1"},),  # inner scope ignored
        ({"MatMul": "CPU:1", "Relu": "CPU:0", "Sum": "CPU:0"},),  # inner scope "sticks"
        ({"MatMul": "CPU:0", "Relu": "CPU:0", "Sum": "CPU:0"},),  # scopes ignored altogether
        ({"MatMul": "CPU:1", "Relu": "CPU:1", "Sum": "CPU:0"},),  # follows the inputs
    ],
    success="Right: the innermost tf.device scope wins, and it ends with its `with` block.",
    hints=["Run the next code cell: it captures the placement log of exactly this code."],
)
def q2(prediction):
    assert isinstance(prediction, dict), 'Answer a dict like {"MatMul": "CPU:?", ...}.'
    missing = set(Q2_SOLUTION) - set(prediction)
    assert not missing, f"Predict a device for each op; missing: {sorted(missing)}."
    for op, device in Q2_SOLUTION.items():
        got = _normalise(prediction[op])
        assert got == device, (
            f"{op} does not run on {got}. Hint: which `with tf.device(...)` block is innermost at "
            "the line that creates it?"
        )


# ---------------------------------------------------------------------------------------------------
# lab03.q3: memory a model needs, computed on the meta device (no data, no memory)


def _q3_solution():
    def param_bytes(model):
        return sum(p.numel() * p.element_size() for p in model.parameters())

    return (param_bytes,)


def _q3_wrong():
    return [
        (lambda model: sum(p.numel() for p in model.parameters()),),  # a count, not bytes
        (lambda model: sum(p.numel() * 4 for p in model.parameters()),),  # assumes float32
        (lambda model: sum(p.element_size() for p in model.parameters()),),  # bytes per number
        (lambda model: sum(m.weight.numel() * m.weight.element_size() for m in model
                           if hasattr(m, "weight")),),  # forgets the biases
    ]


@exercise(
    "lab03.q3",
    solution=_q3_solution,
    wrong_answers=_q3_wrong,
    success="Right: numel() × element_size() per parameter; the meta device answers without memory.",
    hints=["Every parameter has .numel() (how many numbers) and .element_size() (bytes each)."],
)
def q3(param_bytes):
    import torch

    assert callable(param_bytes), "Answer a function param_bytes(model)."
    sizes = [int(v) for v in torch.randint(3, 40, (3,))]
    with torch.device("meta"):
        model = torch.nn.Sequential(
            torch.nn.Linear(sizes[0], sizes[1]),
            torch.nn.ReLU(),
            torch.nn.Linear(sizes[1], sizes[2]).to(torch.float16),  # half precision: 2 bytes each
        )
    expected = sum(p.numel() * p.element_size() for p in model.parameters())
    got = param_bytes(model)
    assert int(got) == expected, (
        f"Got {got}, expected {expected} bytes. Count every parameter (weights and biases), and "
        "multiply by its element size: float16 uses 2 bytes, float32 4."
    )
