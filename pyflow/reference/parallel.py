"""The reference on every core: how a batch is split into shares (`batch_shares`; the shares run in worker
processes, see `pyflow.reference.workers`, or on this module's thread pool where those are not available,
`map_shares`) and, for a single input, the chunks of one op on the thread pool (`for_each`).

While a network runs, BLAS is held to one thread (`threadpoolctl`): concurrent GEMMs do not each start BLAS
threads on the same cores, and one thread means one core. Results do not depend on the thread count: shares and chunks
write disjoint slices of the outputs and each value is computed by the same operations.

``PYFLOW_THREADS`` (or `set_threads`) sets the number of threads; else ``OMP_NUM_THREADS`` (Dask's nannies set it to
1 in their workers, whose parallelism is the workers), else the number of cores this process may use.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterable

from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_threads: int | None = None
_active = threading.local()
_blas: ThreadpoolController | None = None  # made once: making one scans the loaded libraries (about 1 ms)
_held = 0
_limiter = None


def default_threads() -> int:
    for name in ("PYFLOW_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return max(1, int(value))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def threads() -> int:
    return _threads if _threads is not None else default_threads()


def set_threads(count: int | None) -> None:
    """Use ``count`` threads from now on (None: the default)."""
    global _threads, _pool
    with _lock:
        _threads = None if count is None else max(1, int(count))
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="pyflow-reference")
        return _pool


@contextmanager
def network():
    """Around a whole network run: BLAS on one thread (the threads are this module's: one thread means one)."""
    depth = getattr(_active, "depth", 0)
    _active.depth = depth + 1
    hold = depth == 0
    if hold:
        _hold_blas(+1)
    try:
        yield
    finally:
        _active.depth = depth
        if hold:
            _hold_blas(-1)


def _hold_blas(change: int) -> None:
    """Count the network runs that hold BLAS to one thread (runs may overlap on several caller threads): the
    first one sets the limit, the last one restores the library's own setting."""
    global _blas, _held, _limiter
    with _lock:
        _held += change
        if change > 0 and _held == 1:
            if _blas is None:
                _blas = ThreadpoolController()
            _limiter = _blas.limit(limits=1, user_api="blas")
        elif change < 0 and _held == 0 and _limiter is not None:
            _limiter.restore_original_limits()
            _limiter = None


@contextmanager
def one_share():
    """Around the run of one share of a batch: its ops run their chunks one after the other."""
    outer = getattr(_active, "share", False)
    _active.share = True
    try:
        yield
    finally:
        _active.share = outer


def _in_share() -> bool:
    return getattr(_active, "share", False) or threading.current_thread().name.startswith("pyflow-reference")


def batch_shares(batch: int) -> list[tuple[int, int]]:
    """How a batch is split inside `network`: [(start, stop)], one share per thread (one when not split)."""
    count = min(batch, threads()) if getattr(_active, "depth", 0) and not _in_share() else 1
    bounds = [batch * k // count for k in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def map_shares(work: Callable[[tuple[int, int]], object], shares: list[tuple[int, int]]) -> list:
    """``[work(share) for share in shares]``, each on its own thread of the pool."""
    return list(_executor().map(work, shares))


def for_each(work: Callable[[object], None], chunks: Iterable) -> None:
    """``work(chunk)`` for every chunk, on the pool when more than one thread is set and inside `network`."""
    chunks = list(chunks)
    if len(chunks) < 2 or threads() == 1 or not getattr(_active, "depth", 0) or _in_share():
        for chunk in chunks:
            work(chunk)
        return
    for _ in _executor().map(work, chunks):
        pass
