"""Work over many inputs on Dask (``dask.distributed``): a local cluster (``--workers N``) or a running one
(``--scheduler tcp://HOST:PORT``).

    with Pool.open(workers=2) as pool:                       # None, None: no pool, the caller runs serially
        for result in pool.map(chunk_task, shared, chunks, names):   # in input order
            ...

- ``shared`` (the model bytes, the engine configuration) is scattered to every worker once, not sent per task;
  a worker parses the model once (``shared_graph``: a per-process cache by content hash);
- each chunk is one task, retried once when it fails (``retries=1``); a worker that dies has its tasks
  rescheduled by the scheduler, and results are collected per task key, so no input is lost or duplicated;
- results come back in input order with at most ``window`` chunks in flight (memory stays bounded however many
  inputs there are), with a progress bar over the inputs;
- Ctrl-C cancels every outstanding task and closes the pool; the callers write their manifests last, so an
  interrupted run leaves none.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from pyflow.errors import FlowError

_GRAPHS: dict[str, Any] = {}  # worker-process cache: model sha256 -> Graph


@dataclass(frozen=True)
class ModelBytes:
    """A model shipped to the workers: its bytes and name (the graph is parsed once per worker process)."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def shared_graph(model: ModelBytes):
    from pyflow.tflite_reader import parse_model

    key = model.sha256
    if key not in _GRAPHS:
        _GRAPHS[key] = parse_model(model.data, name=model.name)
    return _GRAPHS[key]


def shared_model_file(model: ModelBytes):
    """The model as a file on this worker (the oracles and csim read files), written once per worker."""
    import tempfile
    from pathlib import Path

    from pyflow.fileio import write_bytes

    path = Path(tempfile.gettempdir()) / "pyflow-models" / model.sha256[:16] / f"{model.name}.tflite"
    if not path.is_file():
        write_bytes(path, model.data)
    return path


class Pool:
    """A Dask client (and the local cluster it owns, if any)."""

    def __init__(self, client, cluster=None):
        self.client, self.cluster = client, cluster

    @classmethod
    def open(cls, workers: int | None = None, scheduler: str | None = None) -> "Pool | None":
        """A local cluster of ``workers`` processes, or a client of the scheduler at ``scheduler``; None when
        neither is asked for (serial run)."""
        if not workers and not scheduler:
            return None
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise FlowError("--workers / --scheduler need Dask: pip install 'dask[distributed]'") from None
        if scheduler:
            try:
                return cls(Client(scheduler, timeout="10s"))
            except (OSError, TimeoutError) as err:
                raise FlowError(f"cannot reach the Dask scheduler at {scheduler}: {err} (start one with "
                                "`dask scheduler`, and workers with `dask worker <address>`)") from None
        if int(workers) < 1:
            raise FlowError(f"--workers must be at least 1, got {workers}")
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        return cls(Client(cluster), cluster)

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable, shared: Any, chunks: Sequence[Any], names: Sequence[Sequence[str]],
            desc: str = "chunks", progress: bool = True, window: int | None = None) -> Iterator[Any]:
        """``fn(shared, chunk)`` for every chunk on the workers; the results in chunk order. ``names``: the inputs
        of each chunk, for the error message of a chunk that fails twice."""
        from tqdm import tqdm

        shared_future = self.client.scatter(shared, broadcast=True, hash=False)
        window = window or 2 * self.workers
        run_id = uuid.uuid4().hex[:8]
        futures: dict[int, Any] = {}

        def submit(i: int) -> None:
            futures[i] = self.client.submit(fn, shared_future, chunks[i], key=f"pyflow-{desc}-{run_id}-{i}",
                                            retries=1, pure=False)

        bar = tqdm(total=sum(len(n) for n in names), unit="input", desc=desc, disable=None if progress else True)
        try:
            for i in range(min(window, len(chunks))):
                submit(i)
            for i in range(len(chunks)):
                try:
                    result = futures.pop(i).result()
                except Exception as err:  # the task raised twice (first try + one retry)
                    raise FlowError(f"{desc}: the chunk of inputs {', '.join(names[i])} failed (after one retry): "
                                    f"{type(err).__name__}: {err}") from None
                if i + window < len(chunks):
                    submit(i + window)
                bar.update(len(names[i]))
                yield result
        finally:
            bar.close()
            if futures:  # an error or Ctrl-C: nothing keeps running for a run that is over
                self.client.cancel(list(futures.values()), force=True)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
