"""The reference on threads (pyflow.reference.parallel): the same bytes on every tensor for any thread count, for a
batch split over the threads and for one input whose op chunks are, and the thread settings."""
from __future__ import annotations

import numpy as np
import pytest

from pyflow.reference import parallel
from pyflow.reference.runner import run


@pytest.fixture
def threads():
    yield parallel.set_threads
    parallel.set_threads(None)


def test_batch_shares_cover_the_batch_in_order(threads):
    threads(3)
    with parallel.network():
        assert parallel.batch_shares(8) == [(0, 2), (2, 5), (5, 8)]
        assert parallel.batch_shares(2) == [(0, 1), (1, 2)]
        assert parallel.batch_shares(1) == [(0, 1)]
    assert parallel.batch_shares(8) == [(0, 8)]  # outside a network run: not split


def test_thread_count_does_not_change_any_tensor(effnet, golden_inputs, threads):
    x = np.stack([item.data for item in golden_inputs[:3]])
    threads(1)
    serial = run(effnet, x)
    threads(2)
    split = run(effnet, x)  # the batch split over 2 threads
    single = [run(effnet, x[k:k + 1]) for k in range(3)]  # one input: the chunks of each op on 2 threads
    assert serial.keys() == split.keys()
    for tensor, value in serial.items():
        np.testing.assert_array_equal(split[tensor], value, err_msg=f"tensor {tensor}")
        for k in range(3):
            np.testing.assert_array_equal(single[k][tensor][0], value[k], err_msg=f"tensor {tensor} input {k}")


def test_on_op_sees_every_op_in_order_with_the_whole_batch(effnet, golden_inputs, threads):
    x = np.stack([item.data for item in golden_inputs[:2]])
    threads(2)
    seen = []
    values = run(effnet, x, on_op=lambda op, out: seen.append((op.index, out.shape[0])))
    assert seen == [(op.index, 2) for op in effnet.ops]
    assert len(values) == len(effnet.ops) + 1


def test_threads_setting(monkeypatch, threads):
    monkeypatch.setenv("PYFLOW_THREADS", "3")
    assert parallel.default_threads() == 3
    threads(1)
    assert parallel.threads() == 1
    monkeypatch.delenv("PYFLOW_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Dask sets in its workers
    assert parallel.default_threads() == 1


def test_blas_limit_is_restored_after_overlapping_runs(effnet, golden_inputs, threads):
    from concurrent.futures import ThreadPoolExecutor
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    threads(2)
    x = np.stack([item.data for item in golden_inputs[:2]])
    with ThreadPoolExecutor(2) as callers:  # two callers whose network runs overlap
        list(callers.map(lambda _: run(effnet, x), range(2)))
    assert blas_threads() == before
