"""Worker processes for the shares of a batch (`run_shares`).

Threads of one process scale poorly on the reference's numpy passes (measured on 2 cores: about 1.05x; the GIL
handoffs between short passes, and page faults in the threads' own heaps), processes do (about 1.6x). So the first
share of a batch runs in the calling thread and every other share in a worker process:

- the worker keeps the graph, sent once per worker (a task without it answers `_NEED_GRAPH`);
- it writes its rows of every op output into a shared-memory block of the parent (one per share, kept and reused,
  so its pages are not faulted in again on every batch), and the parent copies them into the batch arrays;
- workers are started once per process (forkserver; spawn where fork is not available), with BLAS on one thread.

When worker processes cannot run here (a daemonic process, a platform without them) `run_shares` returns False and
the caller runs the shares itself. A worker that dies is replaced on the next batch; its shares of this batch run
in the calling thread. An interrupted batch drops the pool and the blocks (a share still running may write its
block), so the next batch starts clean.
"""
from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import pickle
import threading
import uuid
import warnings
import weakref
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import shared_memory
from typing import Callable

import numpy as np

from pyflow.ir import Graph, batched_shape
from pyflow.reference import parallel

_NEED_GRAPH = "need the graph"
_DONE = "done"
_ALIGN = 64  # bytes, the start of each tensor in a block

_lock = threading.Lock()  # one split batch at a time per process: the blocks are shared
_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_sent: set[str] = set()  # graph tokens the current pool's workers were sent
_unavailable: str | None = None  # why worker processes cannot run here, once known
_warned_room = False
_blocks: dict[int, shared_memory.SharedMemory] = {}  # share index -> block
_tokens: "weakref.WeakKeyDictionary[Graph, str]" = weakref.WeakKeyDictionary()


def run_shares(graph: Graph, x: np.ndarray, flavor: str, values: dict[int, np.ndarray], shares: list[tuple[int, int]],
               run_local: Callable[[tuple[int, int]], None]) -> bool:
    """Fill ``values`` (the batch arrays of every op output) for the batch ``x``: ``run_local(shares[0])`` here,
    the other shares in worker processes. False (and nothing done) when worker processes are not available."""
    with _lock:
        token = _tokens.setdefault(graph, uuid.uuid4().hex)
        started = _start(graph, token, x, flavor, shares[1:])
        if started is None:
            return False
        pool, tasks, futures = started
        missing = []
        try:
            run_local(shares[0])
            results = None if _broken(futures) else [f.result() for f in futures]
            if results is not None and _NEED_GRAPH in results:  # a worker that has not seen the graph yet
                blob = pickle.dumps(graph, protocol=5)
                futures = [pool.submit(_work, token, blob, block.name, layout, x[start:stop], flavor)
                           if result == _NEED_GRAPH else future
                           for result, future, ((start, stop), layout, block) in zip(results, futures, tasks)]
                results = None if _broken(futures) else [f.result() for f in futures]
            if results is None:
                missing = [share for share, _, _ in tasks]
        except KeyboardInterrupt:
            _abandon()
            raise
        except BaseException:
            _settle(futures)
            raise
        if missing:
            warnings.warn("a reference worker process died; its shares ran in this process", RuntimeWarning)
            _abandon()
            for share in missing:
                run_local(share)
            return True
        for (start, stop), layout, block in tasks:
            for tensor, offset, shape, dtype in layout:
                values[tensor][start:stop] = np.ndarray(shape, dtype, buffer=block.buf, offset=offset)
    return True


def _start(graph: Graph, token: str, x: np.ndarray, flavor: str, shares: list[tuple[int, int]]):
    """Submit ``shares`` to the workers: (pool, [(share, layout, block)], futures), or None without workers."""
    for attempt in range(2):
        pool = _executor(max(1, parallel.threads() - 1))
        if pool is None:
            return None
        blob = None if token in _sent else pickle.dumps(graph, protocol=5)
        layouts = [_layout(graph, stop - start) for start, stop in shares]
        if not _room(sum(size for _, size in layouts)):
            return None
        tasks = [(share, layout, _block(index, size))
                 for index, (share, (layout, size)) in enumerate(zip(shares, layouts), 1)]
        try:
            futures = [pool.submit(_work, token, blob, block.name, layout, x[start:stop], flavor)
                       for (start, stop), layout, block in tasks]
        except BrokenProcessPool as error:  # a worker died since the last batch: start new ones, once
            _abandon()
            if attempt:
                _disable(error)
        except (RuntimeError, OSError) as error:  # could not start a worker
            _disable(error)
            return None
        else:
            _sent.add(token)
            return pool, tasks, futures
    return None


def worker_pids() -> list[int]:
    """The process ids of the running worker processes."""
    with _lock:
        return sorted(_pool._processes) if _pool is not None and _pool._processes else []


def _layout(graph: Graph, rows: int) -> tuple[list, int]:
    """[(tensor, byte offset, shape, dtype)] of every op output for ``rows`` inputs, and the block size."""
    layout, offset = [], 0
    for op in graph.ops:
        tensor = graph.tensor(op.output)
        shape = batched_shape(tensor.shape, rows)
        layout.append((op.output, offset, shape, tensor.dtype))
        offset += -(-math.prod(shape) * np.dtype(tensor.dtype).itemsize // _ALIGN) * _ALIGN
    return layout, max(offset, 1)


def _block(index: int, size: int) -> shared_memory.SharedMemory:
    block = _blocks.get(index)
    if block is None or block.size < size:
        if block is not None:
            _release(block)
        block = _blocks[index] = shared_memory.SharedMemory(create=True, size=size)
    return block


def _room(size: int) -> bool:
    """Whether shared memory has room for blocks of ``size`` bytes in all (on Linux it lives in /dev/shm, which
    containers often make small; writing past its end would kill the writer with SIGBUS)."""
    try:
        stat = os.statvfs("/dev/shm")
    except OSError:  # no /dev/shm: the platform reports a lack of room when the block is made
        return True
    free = stat.f_bavail * stat.f_frsize + sum(block.size for block in _blocks.values())
    if free >= size:
        return True
    global _warned_room
    if not _warned_room:
        _warned_room = True
        warnings.warn(f"/dev/shm has {free >> 20} MiB for the reference's worker processes, which need "
                      f"{size >> 20} MiB for this batch: its shares run on threads", RuntimeWarning)
    return False


def _release(block: shared_memory.SharedMemory) -> None:
    block.close()
    block.unlink()


def _executor(workers: int) -> ProcessPoolExecutor | None:
    global _pool, _pool_workers
    if _unavailable is not None:
        return None
    if _pool is not None and _pool_workers == workers:
        return _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
    _pool = None
    _sent.clear()
    try:
        if multiprocessing.current_process().daemon:
            raise RuntimeError("this is a daemonic process, which may not start worker processes")
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        _pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)
    except (RuntimeError, OSError, ValueError) as error:
        _disable(error)
        return None
    _pool_workers = workers
    return _pool


def _broken(futures) -> bool:
    """Wait for ``futures``; True when a worker died under one of them."""
    wait(futures)
    return any(isinstance(f.exception(), BrokenProcessPool) for f in futures)


def _settle(futures) -> None:
    """After an error here: let the other shares finish (they write the blocks), or drop the pool if that fails."""
    try:
        wait(futures)
    except BaseException:
        _abandon()
        raise


def _abandon() -> None:
    """Drop the pool and the blocks: a share that is still running may write its block later."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
    _sent.clear()
    for block in _blocks.values():
        _release(block)
    _blocks.clear()


def _disable(error: BaseException) -> None:
    global _unavailable
    _unavailable = str(error) or type(error).__name__
    warnings.warn(f"the reference runs the shares of a batch on threads: no worker processes ({_unavailable})",
                  RuntimeWarning)


@atexit.register
def _cleanup() -> None:
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        for block in _blocks.values():
            _release(block)
        _blocks.clear()


# In the worker processes.
_worker: dict = {"token": None, "graph": None, "blocks": {}}


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    parallel.set_threads(1)  # the worker is one share: no threads of its own
    _worker["blas"] = threadpool_limits(limits=1, user_api="blas")


def _attach(name: str) -> shared_memory.SharedMemory:
    blocks = _worker["blocks"]
    if name not in blocks:
        for old in list(blocks)[:-3]:  # blocks the parent replaced
            blocks.pop(old).close()
        blocks[name] = shared_memory.SharedMemory(name=name)
    return blocks[name]


def _work(token: str, blob: bytes | None, block_name: str, layout: list, x: np.ndarray, flavor: str) -> str:
    """Run the graph on ``x`` (one share) and write every op output into the block at ``layout``."""
    from pyflow.reference.runner import run_ops

    if _worker["token"] != token:
        if blob is None:
            return _NEED_GRAPH
        _worker["graph"], _worker["token"] = pickle.loads(blob), token
    block = _attach(block_name)
    rows = {tensor: np.ndarray(shape, dtype, buffer=block.buf, offset=offset)
            for tensor, offset, shape, dtype in layout}

    def keep(op, result: np.ndarray) -> np.ndarray:
        rows[op.output][...] = result
        return rows[op.output]

    run_ops(_worker["graph"], x, flavor, None, keep)
    return _DONE
