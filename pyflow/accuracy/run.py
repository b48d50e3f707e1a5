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


def model_input(graph: Graph, path: Path, mean: float, std: float) -> np.ndarray:
    """A photo preprocessed as the model card says (pyflow.images: resize, center crop; (x - mean) / std, quantized
    with the input's scale and zero point)."""
    _, h, w, _ = graph.input.shape
    return quantize_photo(load_photo(path, h, w), graph.input, mean, std)


def run_accuracy(graph: Graph, samples: Sequence[Sample], backends: Sequence[Backend], mean: float, std: float,
                 progress: bool = True, log: Callable[[str], None] = print) -> dict:
    from tqdm import tqdm

    labels = np.array([s.label for s in samples], np.int64)
    logits: dict[str, list[np.ndarray]] = {b.name: [] for b in backends}
    seconds = {b.name: 0.0 for b in backends}
    bar = tqdm(total=len(samples), unit="image", desc="accuracy", disable=None if progress else True)
    for start in range(0, len(samples), CHUNK):
        chunk = samples[start:start + CHUNK]
        x = np.stack([model_input(graph, s.path, mean, std) for s in chunk])
        for backend in backends:
            t0 = time.perf_counter()
            logits[backend.name].append(backend.logits(x))
            seconds[backend.name] += time.perf_counter() - t0
        bar.update(len(chunk))
        done = start + len(chunk)
        bar.set_postfix({name: f"{done / max(spent, 1e-9):.1f} img/s" for name, spent in seconds.items()})
    bar.close()
    stacked = {name: np.concatenate(values) for name, values in logits.items()}
    result = evaluate(stacked, labels)
    result["images_per_second"] = {name: len(samples) / s if s > 0 else None for name, s in seconds.items()}
    result["samples"] = [{"path": str(s.path), "label": int(s.label),
                          "top1": {name: int(np.argmax(stacked[name][i])) for name in stacked}}
                         for i, s in enumerate(samples)]
    return result
