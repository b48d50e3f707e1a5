"""Class names for classifier outputs, and the top-k of an int8 output.

ImageNet-1k names come from pyflow/data/imagenet_labels.txt (built by pyflow.model_build.imagenet_labels: sorted
WordNet ids, the standard class index, with their WordNet lemmas). A model with another number of classes gets
"class <i>".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pyflow.ir import Tensor

IMAGENET_FILE = Path(__file__).resolve().parent / "data" / "imagenet_labels.txt"


@lru_cache(maxsize=1)
def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 WordNet ids (n01440764, ...) in class-index order."""
    return tuple(line.split("\t", 1)[0] for line in IMAGENET_FILE.read_text().splitlines() if line.strip())


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, index order (the first lemma of each WordNet id)."""
    rows = [line.split("\t", 1) for line in IMAGENET_FILE.read_text().splitlines() if line.strip()]
    return tuple(name.split(",")[0].strip() for _, name in rows)


def class_name(index: int, classes: int) -> str:
    return imagenet_labels()[index] if classes == len(imagenet_labels()) else f"class {index}"


@dataclass(frozen=True)
class Prediction:
    index: int
    name: str
    value: int  # the quantized output
    score: float  # dequantized: (value - zero point) x scale (a probability after SOFTMAX)


def top_k(output: np.ndarray, tensor: Tensor, k: int = 5) -> list[Prediction]:
    """The k largest outputs of one classifier output (any shape with one class axis), ties to the lower index."""
    values = np.asarray(output).reshape(-1)
    order = np.argsort(-values.astype(np.float64), kind="stable")[:k]
    scale = tensor.scale if tensor.scale else 1.0
    zero = tensor.zero_point if tensor.scale else 0
    return [Prediction(int(i), class_name(int(i), values.size), int(values[i]) if values.dtype.kind in "iu"
                       else 0, float((float(values[i]) - zero) * scale)) for i in order]
