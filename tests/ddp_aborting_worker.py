"""A DDP worker that does the real step, then dies as gloo's I/O thread can make a rank die in
teardown: by SIGABRT, after its result is written (tests/test_distributed.py). Importable by the
spawned processes, which find the tests folder on the path they inherit."""

import os

from sidebyside import distributed


def worker_that_aborts_after_its_result(rank, *args):
    distributed.ddp_worker(rank, *args)
    if rank == 1:
        os.abort()


def worker_that_aborts_before_its_result(rank, *args):
    if rank == 1:
        os.abort()
    distributed.ddp_worker(rank, *args)
