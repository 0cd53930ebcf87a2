"""Self-checks for course/14_distributed_basics.ipynb."""

from numbers import Real

from sidebyside.selfcheck import exercise

# Q1: MirroredStrategy over 4 replicas, fed `dataset.batch(64)`.
Q1_REPLICAS, Q1_BATCH = 4, 64


def _q1_solution():
    return (16, 64, 4)


def _q1_wrong():
    return [
        (64, 256, 4),  # took batch(64) as the per-replica batch: it is the global one
        (16, 16, 4),  # scaled by the per-replica batch: that is the mistake itself
        (16, 64, 0.25),  # the summed gradient is too large, not too small
        (16, 64, 1),  # "the mean is the mean": but the replicas' gradients are summed
        (16, 64, 2),  # the factor is the number of replicas, not two in general
    ]


def _number(value, what):
    assert isinstance(value, Real) and not isinstance(value, bool), (
        f"{what} should be a number, got {value!r}."
    )
    return float(value)


@exercise("course14.q1", solution=_q1_solution, wrong_answers=_q1_wrong,
          success="Right: 64 rows per step are cut into 4 × 16; each replica divides its summed loss "
                  "by 64, so the 4 gradients add up to the gradient of the mean over all 64 rows.",
          hints=["`dataset.batch(n)` before `experimental_distribute_dataset` sets the GLOBAL batch.",
                 "MirroredStrategy SUMS the replicas' gradients before the update."])
def q1(per_replica_batch, global_batch_size, factor):
    per_replica = _number(per_replica_batch, "per_replica_batch")
    global_batch = _number(global_batch_size, "global_batch_size")
    factor = _number(factor, "factor")
    assert per_replica == Q1_BATCH / Q1_REPLICAS, (
        f"per_replica_batch = {per_replica:g}: `batch({Q1_BATCH})` is the global batch, and the "
        f"strategy splits it over {Q1_REPLICAS} replicas."
    )
    assert global_batch == Q1_BATCH, (
        f"global_batch_size = {global_batch:g}: compute_average_loss divides each replica's summed "
        "loss by the number of rows in the whole step, over all replicas."
    )
    assert factor == Q1_REPLICAS, (
        f"factor = {factor:g}: each replica's mean loss has a gradient about the size of the full "
        f"one, and the strategy adds {Q1_REPLICAS} of them."
    )


# Q2: DistributedSampler over 10 samples and 4 ranks, shuffle=False, drop_last=False.
Q2_SAMPLES, Q2_RANKS = 10, 4


def _q2_solution():
    return ([[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]],)


def _q2_wrong():
    return [
        ([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]],),  # contiguous blocks, like tf.distribute
        ([[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]],),  # strided, but no padding
        ([[0, 4, 8], [1, 5, 9], [2, 6, 9], [3, 7, 9]],),  # padded with the last sample
        ([[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]],),  # contiguous and unpadded
    ]


def _expected_shards(samples, ranks):
    from torch.utils.data import DistributedSampler

    return [list(DistributedSampler(range(samples), num_replicas=ranks, rank=r, shuffle=False))
            for r in range(ranks)]


@exercise("course14.q2", solution=_q2_solution, wrong_answers=_q2_wrong,
          success="Right: DistributedSampler pads 10 indices to 12 by repeating the first ones, then "
                  "deals them out like cards: rank r takes positions r, r + 4, r + 8.",
          hints=["Every rank must take the same number of steps, so every rank gets ceil(10 / 4) "
                 "indices: 12 in all, for 10 samples."])
def q2(shards):
    try:
        got = [[int(i) for i in shard] for shard in shards]
    except (TypeError, ValueError):
        raise AssertionError("Give one list of sample indices per rank, e.g. [[0, ...], ...].") from None
    expected = _expected_shards(Q2_SAMPLES, Q2_RANKS)
    assert len(got) == Q2_RANKS, f"{len(got)} lists: there are {Q2_RANKS} ranks, one list each."
    sizes = [len(shard) for shard in got]
    assert sizes == [len(shard) for shard in expected], (
        f"shard sizes {sizes}: with drop_last=False every rank gets the same number of indices, "
        "ceil(10 / 4) = 3, so some samples are used twice."
    )
    assert got[0][:2] == expected[0][:2], (
        f"rank 0 starts {got[0][:2]}: the sampler does not cut contiguous blocks; it deals the "
        "indices out in turn (rank r takes positions r, r + 4, r + 8 of the padded list)."
    )
    assert got == expected, (
        f"{got}: the padding repeats the first indices of the list (0, 1), not the last one."
    )
