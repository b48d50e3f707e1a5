"""Run a labelled image set through backends, chunk by chunk (memory bounded), with a progress bar."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pyflow.accuracy.backends import Backend
from pyflow.accuracy.dataset import Sample
from pyflow.accuracy.metrics import evaluate
from pyflow.images import load_photo
from pyflow.inputs import quantize_photo
from pyflow.ir import Graph

CHUNK = 8  # images per batch through every backend


def _timed(backend: Backend, x: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    return backend.logits(x), time.perf_counter() - t0


def model_input(graph: Graph, path: Path, mean: float, std: float) -> np.ndarray:
    """A photo preprocessed as the model card says (pyflow.images: resize, center crop; (x - mean) / std, quantized
    with the input's scale and zero point)."""
    _, h, w, _ = graph.input.shape
    return quantize_photo(load_photo(path, h, w), graph.input, mean, std)


_BACKENDS: dict = {}  # worker-process cache of opened backends (a csim library is compiled once per worker)


def accuracy_chunk(shared, x: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    """A Dask task: every backend's logits of one chunk of preprocessed inputs, and the seconds each took."""
    from pyflow.accuracy.backends import open_backend
    from pyflow.scaleout import shared_graph, shared_model_file

    model, names, flavor, config = shared
    graph, path = shared_graph(model), shared_model_file(model)
    out = {}
    for name in names:
        key = (model.sha256, name, flavor, config)
        if key not in _BACKENDS:
            _BACKENDS[key] = open_backend(name, path, graph, flavor, path.parent / "build", config,
                                          log=lambda *_: None)
        t0 = time.perf_counter()
        out[name] = (_BACKENDS[key].logits(x), time.perf_counter() - t0)
    return out


def run_accuracy(graph: Graph, samples: Sequence[Sample], backends: Sequence[Backend], mean: float, std: float,
                 progress: bool = True, log: Callable[[str], None] = print, pool=None, shared=None) -> dict:
    """Every sample through every backend in chunks of CHUNK; with ``pool`` (pyflow.scaleout.Pool) the chunks run
    on the workers (``shared``: what accuracy_chunk needs), results in input order either way."""
    from tqdm import tqdm

    labels = np.array([s.label for s in samples], np.int64)
    names = [b.name for b in backends] if pool is None else list(shared[1])
    logits: dict[str, list[np.ndarray]] = {name: [] for name in names}
    seconds = {name: 0.0 for name in names}
    chunks = [samples[start:start + CHUNK] for start in range(0, len(samples), CHUNK)]
    inputs = (np.stack([model_input(graph, s.path, mean, std) for s in chunk]) for chunk in chunks)
    if pool is not None:
        results = pool.map(accuracy_chunk, shared, list(inputs), [[s.path.name for s in c] for c in chunks],
                           desc="accuracy", progress=progress)
    else:
        results = ({b.name: _timed(b, x) for b in backends} for x in inputs)
    bar = tqdm(total=len(samples), unit="image", desc="accuracy",
               disable=None if progress and pool is None else True)
    done = 0
    for chunk, per_backend in zip(chunks, results):
        for name, (values, spent) in per_backend.items():
            logits[name].append(values)
            seconds[name] += spent
        done += len(chunk)
        bar.update(len(chunk))
        bar.set_postfix({name: f"{done / max(spent, 1e-9):.1f} img/s" for name, spent in seconds.items()})
    bar.close()
    stacked = {name: np.concatenate(values) for name, values in logits.items()}
    result = evaluate(stacked, labels)
    result["images_per_second"] = {name: len(samples) / s if s > 0 else None for name, s in seconds.items()}
    result["samples"] = [{"path": str(s.path), "label": int(s.label),
                          "top1": {name: int(np.argmax(stacked[name][i])) for name in stacked}}
                         for i, s in enumerate(samples)]
    return result
