"""Self-checks for course/12_data_pipelines.ipynb."""

from sidebyside.selfcheck import exercise

# --- Q1: a collate_fn that pads and sorts, for pack_padded_sequence --------------------------------


def _q1_cases():
    """Batches of (tokens, label): uneven lengths, a batch of one, equal lengths, a long one.
    Every sequence's tokens are distinct, so a row of the answer names the item it came from."""
    import torch

    def batch(lengths, first_label=0):
        return [(torch.arange(1, n + 1, dtype=torch.int64) * (k + 1), (first_label + k) % 2)
                for k, n in enumerate(lengths)]

    return [batch([3, 1, 5]), batch([4]), batch([2, 2], 1), batch([1, 12, 6, 3], 1), batch([2, 4, 3])]


def _to_numpy(value):
    import numpy as np

    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _q1_solution():
    import torch
    from torch.nn.utils.rnn import pad_sequence

    def sorted_pad_collate(items):
        items = sorted(items, key=lambda item: len(item[0]), reverse=True)  # longest first
        tokens, labels = zip(*items)
        lengths = torch.tensor([len(t) for t in tokens])
        return pad_sequence(list(tokens), batch_first=True, padding_value=0), lengths, torch.tensor(labels)

    return (sorted_pad_collate,)


def _q1_wrong():
    import torch
    from torch.nn.utils.rnn import pad_sequence

    def longest_first(items):
        return sorted(items, key=lambda item: len(item[0]), reverse=True)

    def unsorted(items):  # section 1's pad_collate as it is: the order the DataLoader drew
        tokens, labels = zip(*items)
        return (pad_sequence(list(tokens), batch_first=True), torch.tensor([len(t) for t in tokens]),
                torch.tensor(labels))

    def shortest_first(items):  # sorted, but ascending
        tokens, labels = zip(*sorted(items, key=lambda item: len(item[0])))
        return (pad_sequence(list(tokens), batch_first=True), torch.tensor([len(t) for t in tokens]),
                torch.tensor(labels))

    def labels_left_behind(items):  # sorts the sequences, not their labels
        tokens = [t for t, _ in longest_first(items)]
        return (pad_sequence(tokens, batch_first=True), torch.tensor([len(t) for t in tokens]),
                torch.tensor([label for _, label in items]))

    def labels_as_tuple(items):  # right rows, but the labels stay a tuple of ints
        tokens, labels = zip(*longest_first(items))
        return pad_sequence(list(tokens), batch_first=True), torch.tensor([len(t) for t in tokens]), labels

    def time_major(items):  # pad_sequence's default layout: [longest, batch]
        tokens, labels = zip(*longest_first(items))
        return pad_sequence(list(tokens)), torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def left_padded(items):  # zeros in front of the tokens
        tokens, labels = zip(*longest_first(items))
        longest = max(len(t) for t in tokens)
        padded = torch.stack([torch.cat([torch.zeros(longest - len(t), dtype=t.dtype), t]) for t in tokens])
        return padded, torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def minus_one(items):  # pads with -1 instead of 0
        tokens, labels = zip(*longest_first(items))
        padded = pad_sequence(list(tokens), batch_first=True, padding_value=-1)
        return padded, torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def padded_lengths(items):  # the lengths after padding: all equal, the mask is lost
        tokens, labels = zip(*longest_first(items))
        padded = pad_sequence(list(tokens), batch_first=True)
        return padded, torch.full((len(tokens),), padded.shape[1]), torch.tensor(labels)

    def default_collate(items):  # what the DataLoader does without a collate_fn: stack
        tokens, labels = zip(*longest_first(items))
        return torch.stack(list(tokens)), torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    return [(unsorted,), (shortest_first,), (labels_left_behind,), (labels_as_tuple,), (time_major,),
            (left_padded,), (minus_one,), (padded_lengths,), (default_collate,)]


@exercise("course12.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: longest first, as pack_padded_sequence wants by default; every batch as wide "
                  "as its longest sequence, zeros at the end; each label moved with its sequence.",
          hints=["Sort the (tokens, label) pairs by len(tokens), longest first, before splitting "
                 "them, so that each label moves with its sequence; pad_sequence(..., "
                 "batch_first=True) pads at the end."])
def q1(pad_collate):
    import numpy as np
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    assert callable(pad_collate), "pad_collate must be a function: items -> (padded, lengths, labels)."
    for items in _q1_cases():
        out = pad_collate(items)
        assert isinstance(out, (tuple, list)) and len(out) == 3, (
            "Return three things: (padded, lengths, labels).")
        for name, part in zip(("padded", "lengths", "labels"), out):
            assert isinstance(part, torch.Tensor), (
                f"{name} is a {type(part).__name__}, not a tensor: wrap it, e.g. torch.tensor({name}) "
                "(a loss function and pack_padded_sequence take tensors).")
        padded, lengths, labels = (_to_numpy(part) for part in out)
        true_lengths = [len(t) for t, _ in items]
        longest = max(true_lengths)
        assert padded.shape == (len(items), longest), (
            f"For {len(items)} sequences of lengths {true_lengths}, padded has shape "
            f"{tuple(padded.shape)}; expected {(len(items), longest)}: [batch, longest in THIS batch].")
        lengths = np.ravel(lengths)
        assert sorted(lengths.tolist()) == sorted(true_lengths), (
            f"lengths should be the true lengths of the sequences ({sorted(true_lengths, reverse=True)} "
            f"once sorted), got {lengths.tolist()}: count the tokens before padding.")
        assert all(a >= b for a, b in zip(lengths, lengths[1:])), (
            f"lengths {lengths.tolist()} are not longest first: sort the items by length, descending "
            "(pack_padded_sequence's default enforce_sorted=True refuses any other order).")
        labels = np.ravel(labels)
        assert len(labels) == len(items), f"{len(items)} items but {len(labels)} labels."
        unused = list(range(len(items)))
        for row, n in enumerate(lengths):
            source = next((k for k in unused if np.array_equal(padded[row, :n], items[k][0].numpy())), None)
            if source is None:
                tail = [k for k in unused if np.array_equal(padded[row, longest - n:], items[k][0].numpy())]
                assert not tail, f"Row {row} ends with its tokens, zeros in front: pad at the end."
                raise AssertionError(f"Row {row} ({padded[row].tolist()}) does not start with the "
                                     f"{n} tokens of any one sequence of the batch.")
            unused.remove(source)
            assert np.all(padded[row, n:] == 0), f"Row {row} is padded with {padded[row, n:].tolist()}: use 0."
            assert labels[row] == items[source][1], (
                f"Row {row} holds the sequence {items[source][0].tolist()}, whose label is "
                f"{items[source][1]}, but labels[{row}] is {labels[row]}: sort the (tokens, label) "
                "pairs together, so that each label moves with its sequence.")
        pack_padded_sequence(out[0].float(), out[1], batch_first=True)  # the call this batch is for


# --- Q2: a tf.data pipeline in a working order ----------------------------------------------------

STAGES = ("decode", "cache", "shuffle", "augment", "batch", "prefetch")


def _normalise(stage):
    name = str(stage).strip().lower().removeprefix("tf.data.").lstrip(".").replace("()", "")
    return "batch" if name == "padded_batch" else name


def _q2_solution():
    return (["decode", "cache", "shuffle", "augment", "batch", "prefetch"],)


def _q2_wrong():
    return [
        (["decode", "augment", "cache", "shuffle", "batch", "prefetch"],),  # cache freezes the augment
        (["decode", "cache", "augment", "batch", "shuffle", "prefetch"],),  # shuffles whole batches
        (["cache", "decode", "shuffle", "augment", "batch", "prefetch"],),  # decodes every epoch
        (["decode", "shuffle", "cache", "augment", "batch", "prefetch"],),  # cache freezes the order
        (["prefetch", "decode", "cache", "shuffle", "augment", "batch"],),  # prefetch not at the end
        (["decode", "cache", "shuffle", "augment", "batch"],),  # prefetch missing
    ]


@exercise("course12.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: decode once, cache, then everything that must change every epoch (shuffle, "
                  "augment), then batch, and prefetch last. Augmenting after batch works too.",
          hints=["cache() replays whatever came before it, exactly as it was in the first epoch."])
def q2(stages):
    assert not isinstance(stages, str), f"Give a list of stage names, e.g. {list(STAGES)[:2]} ..."
    order = [_normalise(s) for s in stages]
    missing = [s for s in STAGES if s not in order]
    unknown = [s for s in order if s not in STAGES]
    assert not unknown, f"Unknown stage(s) {unknown}: use the names {list(STAGES)}."
    assert not missing, f"Missing stage(s): {missing}."
    assert len(order) == len(STAGES), f"Use each of {list(STAGES)} exactly once."
    pos = {s: order.index(s) for s in STAGES}
    assert pos["decode"] < pos["cache"], (
        "cache() before decode stores the raw input, so the expensive decode runs again every epoch.")
    assert pos["cache"] < pos["augment"], (
        "cache() after the random augment replays the first epoch's random draws in every epoch.")
    assert pos["cache"] < pos["shuffle"], (
        "cache() after shuffle stores the first epoch's order and replays it: the data is never "
        "reshuffled.")
    assert pos["shuffle"] < pos["batch"], (
        "shuffle after batch shuffles whole batches: every batch keeps the same items each epoch.")
    assert pos["prefetch"] == len(STAGES) - 1, (
        "prefetch goes last, so that it overlaps the whole pipeline with the training step.")
