"""Helpers shared by the op modules: exact float32 dot products, the requantize ending, cache-sized chunks."""
from __future__ import annotations

import numpy as np

from pyflow import quant

# float32 represents every integer below 2**24 exactly, so a dot product of raw int8 values
# (|x * w| <= 128 * 128 = 2**14) is exact in any summation order while it has at most 2**10 terms.
EXACT_FLOAT32_TERMS = 1 << 10
# Elementwise integer work runs on blocks of about this many values so that they stay in the CPU cache
# (measured here: 5x faster than whole-tensor passes on EfficientNet-lite0 layers).
CHUNK_VALUES = 1 << 18


def exact_int8_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer-valued float32 (M, K) @ (K, N) -> exact int64 (M, N), using float32 BLAS on chunks of K."""
    k = a.shape[-1]
    total = None
    for start in range(0, k, EXACT_FLOAT32_TERMS):
        stop = min(k, start + EXACT_FLOAT32_TERMS)
        part = np.matmul(a[..., start:stop], b[start:stop]).astype(np.int64)
        total = part if total is None else total + part
    return total


def row_chunks(rows: int, width: int):
    """(start, stop) blocks of rows whose ``rows x width`` values fit the cache budget."""
    step = max(1, CHUNK_VALUES // max(1, width))
    for start in range(0, rows, step):
        yield start, min(rows, start + step)


def requantize_clamp(acc, multiplier, shift, output_offset: int, act_min: int, act_max: int, dtype: str):
    """The common ending: MultiplyByQuantizedMultiplier (double rounding), + output offset, clamp, cast."""
    scaled = quant.multiply_by_quantized_multiplier(acc, multiplier, shift, "double")
    scaled += output_offset
    np.clip(scaled, act_min, act_max, out=scaled)
    return scaled.astype(dtype)


def pad_spatial(x: np.ndarray, padding, value: int) -> np.ndarray:
    """Pad NHWC spatially with ``value`` (for convolutions: the input zero point, i.e. real zero)."""
    if not (padding.top or padding.bottom or padding.left or padding.right):
        return x
    return np.pad(x, ((0, 0), (padding.top, padding.bottom), (padding.left, padding.right), (0, 0)),
                  constant_values=value)
