"""Benchmark (`invoke bench`): per-image time of the numpy reference vs TFLite's runtimes, printed with ratios.

Not a test: timings depend on the machine and its load. Each runtime runs in its own process (see
`pyflow.oracle.time_runtime`, one process per measurement); the reference runs here. Every row is the best of
``repeats`` measurements, taken in interleaved rounds.
"""
from __future__ import annotations

import functools
import time
from typing import Callable

import numpy as np

from pyflow.ir import Graph
from pyflow.oracle import RUNTIME_NAMES, time_runtime
from pyflow.reference import parallel
from pyflow.reference.runner import run


def time_reference(graph: Graph, x: np.ndarray, flavor: str, threads: int) -> float:
    """Seconds per image of one run of the reference on ``threads`` threads."""
    before = parallel.threads()
    parallel.set_threads(threads)
    try:
        start = time.perf_counter()
        run(graph, x, flavor)
        return (time.perf_counter() - start) / len(x)
    finally:
        parallel.set_threads(before)


def benchmark(graph: Graph, model_path, images: np.ndarray, repeats: int = 3, runtimes=("litert", "xnnpack", "tflm"),
              log: Callable[[str], None] = print) -> list[tuple[str, float]]:
    """[(name, seconds per image)]; ``images`` is a batch of at least 8 model inputs. Every row is the best of
    ``repeats`` measurements, taken in rounds (each row once per round) so that all rows sample the same stretches
    of time: this machine's speed varies by tens of percent from one minute to the next."""
    threads = parallel.threads()
    rows = []
    for batch, count in ((1, threads), (8, 1), (8, threads)) if threads > 1 else ((1, 1), (8, 1)):
        name = f"numpy reference, batch {batch}, {count} thread{'s' if count > 1 else ''}"
        rows.append((name, functools.partial(time_reference, graph, images[:batch], "litert", count)))
        rows[-1][1]()  # warm-up: per-layer constants, worker processes
    for runtime in runtimes:
        rows.append((RUNTIME_NAMES[runtime], functools.partial(time_runtime, model_path, images[:8], runtime, 1)))
    best = {name: float("inf") for name, _ in rows}
    for round_ in range(repeats):
        log(f"round {round_ + 1} of {repeats}")
        for name, measure in rows:
            best[name] = min(best[name], measure())
    return [(name, best[name]) for name, _ in rows]


def format_benchmark(rows: list[tuple[str, float]]) -> str:
    reference = dict(rows).get(RUNTIME_NAMES["litert"])
    lines = [f"{'runtime':40s} {'ms/image':>10s} {'images/s':>10s} {'speed vs BUILTIN_REF':>22s}"]
    for name, seconds in rows:
        ratio = f"{reference / seconds:.2f}x" if reference else "-"
        lines.append(f"{name:40s} {seconds * 1e3:10.1f} {1 / seconds:10.1f} {ratio:>22s}")
    return "\n".join(lines)


def scaleout_benchmark(graph: Graph, model_path, photos: list, build_dir, config, images: int = 16,
                       workers=(1, 2), log: Callable[[str], None] = print) -> list[tuple[str, float]]:
    """Images/s of `invoke accuracy` (wall clock, preprocessing included) on the reference and on csim: serial,
    and on local Dask clusters of each size in ``workers`` (cluster start-up and the per-worker csim compile
    excluded: one warm-up chunk first)."""
    from pyflow.accuracy.backends import open_backend
    from pyflow.accuracy.dataset import Sample
    from pyflow.accuracy.run import CHUNK, run_accuracy
    from pyflow.scaleout import ModelBytes, Pool

    samples = [Sample(photos[k % len(photos)], 0) for k in range(images)]
    rows = []
    for name in ("reference", "csim"):
        backend = open_backend(name, model_path, graph, "litert", build_dir, config, log=lambda *_: None)
        run_accuracy(graph, samples[:1], [backend], 127.0, 128.0, progress=False)  # warm-up (csim: compile)
        log(f"timing accuracy on {name}, serial")
        start = time.perf_counter()
        run_accuracy(graph, samples, [backend], 127.0, 128.0, progress=False)
        rows.append((f"accuracy, {name}, serial", images / (time.perf_counter() - start)))
        shared = (ModelBytes(graph.name, open(model_path, "rb").read()), (name,), "litert", config)
        for n in workers:
            log(f"timing accuracy on {name}, {n} local worker(s)")
            with Pool.open(workers=n) as pool:
                run_accuracy(graph, samples[:CHUNK * n], [], 127.0, 128.0, progress=False, pool=pool, shared=shared)
                start = time.perf_counter()
                run_accuracy(graph, samples, [], 127.0, 128.0, progress=False, pool=pool, shared=shared)
                rows.append((f"accuracy, {name}, {n} worker(s)", images / (time.perf_counter() - start)))
    return rows


def format_scaleout(rows: list[tuple[str, float]]) -> str:
    serial = {name.split(",")[1].strip(): rate for name, rate in rows if name.endswith("serial")}
    lines = [f"{'run':40s} {'images/s':>10s} {'vs serial':>10s}"]
    for name, rate in rows:
        base = serial.get(name.split(",")[1].strip())
        lines.append(f"{name:40s} {rate:10.2f} {(f'{rate / base:.2f}x' if base else '-'):>10s}")
    return "\n".join(lines)
