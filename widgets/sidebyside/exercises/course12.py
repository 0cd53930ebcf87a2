"""Self-checks for course/12_data_pipelines.ipynb."""

from sidebyside.selfcheck import exercise

# --- Q1: a collate_fn that pads ---------------------------------------------------------------------


def _q1_cases():
    """Batches of (tokens, label): uneven lengths, a batch of one, equal lengths, a long one."""
    import torch

    def batch(lengths, first_label=0):
        return [(torch.arange(1, n + 1, dtype=torch.int64) * (k + 1), (first_label + k) % 2)
                for k, n in enumerate(lengths)]

    return [batch([3, 1, 5]), batch([4]), batch([2, 2], 1), batch([1, 12, 6, 3], 1)]


def _to_numpy(value):
    import numpy as np

    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _q1_solution():
    import torch
    from torch.nn.utils.rnn import pad_sequence

    def pad_collate(items):
        tokens, labels = zip(*items)
        lengths = torch.tensor([len(t) for t in tokens])
        return pad_sequence(list(tokens), batch_first=True, padding_value=0), lengths, torch.tensor(labels)

    return (pad_collate,)


def _q1_wrong():
    import torch
    from torch.nn.utils.rnn import pad_sequence

    def time_major(items):  # pad_sequence's default layout: [longest, batch]
        tokens, labels = zip(*items)
        return pad_sequence(list(tokens)), torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def fixed_width(items):  # pads every batch to 10, and breaks on a longer sequence
        tokens, labels = zip(*items)
        padded = torch.zeros(len(tokens), 10, dtype=torch.int64)
        for row, t in enumerate(tokens):
            padded[row, :len(t)] = t[:10]
        return padded, torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def left_padded(items):  # zeros in front of the tokens
        tokens, labels = zip(*items)
        longest = max(len(t) for t in tokens)
        padded = torch.stack([torch.cat([torch.zeros(longest - len(t), dtype=t.dtype), t]) for t in tokens])
        return padded, torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def minus_one(items):  # pads with -1 instead of 0
        tokens, labels = zip(*items)
        padded = pad_sequence(list(tokens), batch_first=True, padding_value=-1)
        return padded, torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    def padded_lengths(items):  # the lengths after padding: all equal, the mask is lost
        tokens, labels = zip(*items)
        padded = pad_sequence(list(tokens), batch_first=True)
        return padded, torch.full((len(tokens),), padded.shape[1]), torch.tensor(labels)

    def default_collate(items):  # what the DataLoader does without a collate_fn: stack
        tokens, labels = zip(*items)
        return torch.stack(list(tokens)), torch.tensor([len(t) for t in tokens]), torch.tensor(labels)

    return [(time_major,), (fixed_width,), (left_padded,), (minus_one,), (padded_lengths,),
            (default_collate,)]


@exercise("course12.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: every batch is as wide as its longest sequence, zeros at the end, and the "
                  "lengths say where the padding starts.",
          hints=["pad_sequence(seqs, batch_first=True, padding_value=0) pads at the end to the "
                 "longest sequence of the list."])
def q1(pad_collate):
    import numpy as np

    assert callable(pad_collate), "pad_collate must be a function: items -> (padded, lengths, labels)."
    for items in _q1_cases():
        out = pad_collate(items)
        assert isinstance(out, (tuple, list)) and len(out) == 3, (
            "Return three things: (padded, lengths, labels).")
        padded, lengths, labels = (_to_numpy(part) for part in out)
        true_lengths = [len(t) for t, _ in items]
        longest = max(true_lengths)
        assert padded.shape == (len(items), longest), (
            f"For {len(items)} sequences of lengths {true_lengths}, padded has shape "
            f"{tuple(padded.shape)}; expected {(len(items), longest)}: [batch, longest in THIS batch].")
        for row, ((tokens, _), n) in enumerate(zip(items, true_lengths)):
            assert np.array_equal(padded[row, :n], tokens.numpy()), (
                f"Row {row} should start with its {n} tokens {tokens.tolist()}, got {padded[row].tolist()}: "
                "pad at the end, not in front.")
            assert np.all(padded[row, n:] == 0), f"Row {row} is padded with {padded[row, n:].tolist()}: use 0."
        assert np.array_equal(np.ravel(lengths), true_lengths), (
            f"lengths should be the true lengths {true_lengths}, got {np.ravel(lengths).tolist()}.")
        assert np.array_equal(np.ravel(labels), [label for _, label in items]), (
            f"labels should be {[label for _, label in items]}, got {np.ravel(labels).tolist()}.")


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
