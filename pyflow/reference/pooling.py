"""AVERAGE_POOL_2D and MAX_POOL_2D, int8/uint8 (TFLite ``reference_integer_ops::AveragePool/MaxPool``).

Both look only at the in-image part of each window (padding is excluded, also from the average's count).
Average: sum / count rounded half away from zero, ``(sum +- count/2) / count`` with C truncation; then clamp.
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import PoolParams
from pyflow.reference._common import pad_spatial


def _windows(xp: np.ndarray, p: PoolParams, out_hw):
    (kh, kw), (sh, sw) = p.filter, p.stride
    oh, ow = out_hw
    for i in range(kh):
        for j in range(kw):
            yield xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :]


def average_pool(x: np.ndarray, p: PoolParams, out_shape: tuple[int, ...]) -> np.ndarray:
    out_hw = out_shape[1:3]
    total = sum(w.astype(np.int64) for w in _windows(pad_spatial(x, p.padding, 0), p, out_hw))
    ones = np.ones((1,) + x.shape[1:3] + (1,), np.int64)
    count = sum(_windows(pad_spatial(ones, p.padding, 0), p, out_hw))
    if np.any(count == 0):
        raise ValueError("average pool window entirely outside the image")
    rounded = np.sign(total) * ((np.abs(total) + count // 2) // count)
    return np.clip(rounded, p.act_min, p.act_max).astype(x.dtype)


def max_pool(x: np.ndarray, p: PoolParams, out_shape: tuple[int, ...]) -> np.ndarray:
    lowest = np.iinfo(np.int16).min  # below every int8/uint8 value: padding never wins
    windows = _windows(pad_spatial(x.astype(np.int16), p.padding, lowest), p, out_shape[1:3])
    result = next(windows).copy()
    for w in windows:
        np.maximum(result, w, out=result)
    return np.clip(result, p.act_min, p.act_max).astype(x.dtype)
