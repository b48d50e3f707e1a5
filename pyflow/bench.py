"""Benchmark (`invoke bench`): per-image time of the numpy reference vs TFLite's runtimes, printed with ratios.

Not a test: timings depend on the machine and its load. Each runtime runs in its own process (see
`pyflow.oracle.time_runtime`); the reference runs here. Best of ``repeats`` runs.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from pyflow.ir import Graph
from pyflow.oracle import RUNTIME_NAMES, time_runtime
from pyflow.reference.runner import run


def time_reference(graph: Graph, x: np.ndarray, flavor: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(graph, x, flavor)
        best = min(best, time.perf_counter() - start)
    return best / len(x)


def benchmark(graph: Graph, model_path, images: np.ndarray, repeats: int = 3, runtimes=("litert", "xnnpack", "tflm"),
              log: Callable[[str], None] = print) -> list[tuple[str, float]]:
    """[(name, seconds per image)]; ``images`` is a batch of at least 8 model inputs."""
    rows = []
    for batch in (1, 8):
        log(f"timing the numpy reference at batch {batch}")
        rows.append((f"numpy reference, batch {batch}", time_reference(graph, images[:batch], "litert", repeats)))
    for runtime in runtimes:
        log(f"timing {RUNTIME_NAMES[runtime]}")
        rows.append((RUNTIME_NAMES[runtime], time_runtime(model_path, images[:8], runtime, repeats)))
    return rows


def format_benchmark(rows: list[tuple[str, float]]) -> str:
    reference = dict(rows).get(RUNTIME_NAMES["litert"])
    lines = [f"{'runtime':40s} {'ms/image':>10s} {'images/s':>10s} {'speed vs BUILTIN_REF':>22s}"]
    for name, seconds in rows:
        ratio = f"{reference / seconds:.2f}x" if reference else "-"
        lines.append(f"{name:40s} {seconds * 1e3:10.1f} {1 / seconds:10.1f} {ratio:>22s}")
    return "\n".join(lines)
