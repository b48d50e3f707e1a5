"""The reference on every core (pyflow.reference.parallel, pyflow.reference.workers): the same bytes on every tensor
for any thread count, for a batch split into shares (run in worker processes) and for one input whose op chunks run
on threads; workers that die or fail; the thread settings."""
from __future__ import annotations

import dataclasses
import os
import signal

import numpy as np
import pytest

from conftest import EFFNET
from pyflow.errors import FlowError
from pyflow.reference import parallel, runner, workers
from pyflow.reference.runner import run
from pyflow.tflite_reader import read_model


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


def _serial(graph, x, threads):
    threads(1)
    values = run(graph, x)
    threads(2)
    return values


def _assert_same(got, want):
    assert got.keys() == want.keys()
    for tensor, value in want.items():
        np.testing.assert_array_equal(got[tensor], value, err_msg=f"tensor {tensor}")


def test_the_shares_of_a_batch_run_in_worker_processes(effnet, golden_inputs, threads):
    x = np.stack([item.data for item in golden_inputs[:4]])
    want = _serial(effnet, x, threads)
    _assert_same(run(effnet, x), want)
    pids = workers.worker_pids()
    assert len(pids) == 1 and os.getpid() not in pids
    # A second graph object (a new token) and a worker that was told it has a graph it has not seen.
    other = read_model(EFFNET)
    workers._sent.add(workers._tokens.setdefault(other, "not sent"))
    _assert_same(run(other, np.ascontiguousarray(x[::-1])), {tensor: value[::-1] for tensor, value in want.items()})
    assert workers.worker_pids() == pids


def test_a_worker_killed_mid_batch_loses_nothing(effnet, golden_inputs, threads, monkeypatch):
    x = np.stack([item.data for item in golden_inputs[:4]])
    want = _serial(effnet, x, threads)
    run(effnet, x[:2])  # workers started
    pids = workers.worker_pids()
    killed_pids = set(pids)
    real_run_ops = runner.run_ops

    def kill_then_run(*args, **kwargs):  # the local share starts after the worker's was submitted
        while pids:
            os.kill(pids.pop(), signal.SIGKILL)
        return real_run_ops(*args, **kwargs)

    monkeypatch.setattr(runner, "run_ops", kill_then_run)
    with pytest.warns(RuntimeWarning, match="worker process died"):
        killed = run(effnet, x)
    monkeypatch.setattr(runner, "run_ops", real_run_ops)
    _assert_same(killed, want)
    _assert_same(run(effnet, x), want)  # on new workers
    assert workers.worker_pids() and not set(workers.worker_pids()) & killed_pids


def test_an_error_in_the_shares_is_raised_and_the_workers_stay_usable(effnet, golden_inputs, threads):
    x = np.stack([item.data for item in golden_inputs[:2]])
    want = _serial(effnet, x, threads)
    broken = dataclasses.replace(effnet, ops=tuple(dataclasses.replace(op, op_type="NO_SUCH_OP") if op.index == 3
                                                   else op for op in effnet.ops))
    with pytest.raises(FlowError, match="NO_SUCH_OP has no reference implementation"):
        run(broken, x)
    _assert_same(run(effnet, x), want)


def test_too_little_shared_memory_runs_the_shares_on_threads(effnet, golden_inputs, threads, monkeypatch):
    x = np.stack([item.data for item in golden_inputs[:2]])
    want = _serial(effnet, x, threads)
    workers._abandon()  # no blocks left to reuse
    monkeypatch.setattr(workers.os, "statvfs", lambda path: os.statvfs_result((4096, 4096, 1, 1, 16, 1, 1, 1, 0, 255)))
    monkeypatch.setattr(workers, "_warned_room", False)
    with pytest.warns(RuntimeWarning, match="/dev/shm has 0 MiB"):
        _assert_same(run(effnet, x), want)
