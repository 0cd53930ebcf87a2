"""Self-checks for course/08_saving_and_deployment.ipynb."""

from sidebyside.selfcheck import exercise

ANSWERS = {
    "resume_training": "state_dict",
    "pytorch_service": "pt2",
    "keras_reload": "keras",
    "tf_serving": "savedmodel",
    "android_app": "tflite",
}
WHY = {
    "state_dict": "weights only: you rebuild the model from your class, then load_state_dict",
    "pt2": "torch.export keeps the graph and the weights, no Python class needed",
    "keras": "the .keras file holds config, weights and optimiser state for Keras",
    "savedmodel": "TF Serving loads SavedModels (model.export writes one)",
    "tflite": "phones run .tflite flatbuffers with LiteRT",
}


ALIASES = {  # other reasonable spellings of the same format
    "state_dict_": "state_dict", "statedict": "state_dict", "weights": "state_dict",
    "torch.export": "pt2", "torch_export": "pt2", "exportedprogram": "pt2", "exported_program": "pt2",
    "saved_model": "savedmodel", "tf.saved_model": "savedmodel",
    "litert": "tflite", "tf.lite": "tflite",
}


def _normalise(value):
    v = str(value).strip().lower().lstrip(".").replace(" ", "_").replace("-", "_").replace("()", "")
    return ALIASES.get(v, v)


def _q1_solution():
    return (dict(ANSWERS),)


def _q1_wrong():
    swapped = dict(ANSWERS)
    swapped["tf_serving"] = "keras"  # .keras is not a serving format
    pickled = dict(ANSWERS)
    pickled["pytorch_service"] = "state_dict"
    mobile = dict(ANSWERS)
    mobile["android_app"] = "savedmodel"
    return [(swapped,), (pickled,), (mobile,), ({k: "savedmodel" for k in ANSWERS},)]


@exercise("course08.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: weights for training, exported graphs for serving, .tflite for devices.")
def q1(formats):
    assert isinstance(formats, dict), "Answer with a dict: situation -> format."
    for situation, expected in ANSWERS.items():
        assert situation in formats, f"Use every key from the table; missing: {situation!r}."
        got = _normalise(formats[situation])
        why = f" ({got}: {WHY[got]}.)" if got in WHY else ""
        assert got == expected, (
            f"Not {formats[situation]!r} for {situation!r}: who loads the file, and do they have "
            f"your Python code?{why}"
        )


def _q2_solution():
    return (lambda batch: {"inputs": batch.tolist()},)


def _q2_wrong():
    return [
        (lambda batch: {"inputs": batch},),  # a NumPy array is not JSON-serialisable
        (lambda batch: {"input": batch.tolist()},),  # wrong key
        (lambda batch: batch.tolist(),),  # no envelope
        (lambda batch: {"inputs": batch.flatten().tolist()},),  # lost the batch structure
    ]


@exercise("course08.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success='Right: {"inputs": batch.tolist()} is plain lists of floats, which JSON accepts.',
          hints=["NumPy arrays have .tolist()."])
def q2(make_payload):
    import json

    import numpy as np

    batch = np.random.default_rng().normal(size=(4, 3)).astype(np.float32)
    payload = make_payload(batch)
    try:
        text = json.dumps(payload)
    except TypeError as err:
        raise AssertionError(f"json.dumps refused your payload ({err}): convert the array to "
                             "lists first.") from None
    decoded = json.loads(text)
    assert isinstance(decoded, dict) and "inputs" in decoded, (
        'The server expects a JSON object with the key "inputs".'
    )
    assert np.allclose(np.asarray(decoded["inputs"], dtype=np.float32), batch), (
        '"inputs" must hold the batch as a list of rows (shape (n, 3)), in order.'
    )
