"""SOFTMAX, int8 -> int8 (scale 1/256, zero point -128) — TFLite ``reference_ops::Softmax`` (gemmlowp fixed point)."""
from __future__ import annotations

import numpy as np

from pyflow.ir import SoftmaxParams


def softmax(x: np.ndarray, p: SoftmaxParams) -> np.ndarray:
    raise NotImplementedError("softmax reference is being written")
