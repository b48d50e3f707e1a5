"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8 -> int8 on the raw values (TFLite's reference kernels; no
requantization).

- Nearest (reference_ops::GetNearestNeighbor): per output index, ``(i + offset) * scale`` in float32 (offset 0.5
  with half-pixel centers; scale = in / out, or (in - 1) / (out - 1) with align_corners), floored (rounded half
  away with align_corners), clamped to the input.
- Bilinear, int8 (reference_ops::ResizeBilinear's integer overload): 10-bit fixed point. The scale is
  ``(2^10 * in + out / 2) / out`` (align_corners: with in - 1, out - 1); the source position ``i * scale`` (half
  pixel: ``+ scale / 2 - 2^9``), its lower and upper neighbours by truncating division; the four products of the
  neighbours and their 10-bit weights summed in int64 and divided by 2^20, rounding half away from zero.
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import ResizeParams


def _nearest_indices(in_size: int, out_size: int, p: ResizeParams) -> np.ndarray:
    if p.align_corners and out_size > 1:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    offset = np.float32(0.5 if p.half_pixel_centers else 0.0)
    value = (np.arange(out_size, dtype=np.float32) + offset) * scale  # float32, as the C++
    index = quant.round_half_away(value) if p.align_corners else np.floor(value)
    index = np.minimum(index.astype(np.int64), in_size - 1)
    return np.maximum(index, 0) if p.half_pixel_centers else index


def _trunc_div(a, b: int):
    """C integer division (toward zero)."""
    a = np.asarray(a, dtype=np.int64)
    return np.where(a >= 0, a // b, -((-a) // b))


def _bilinear_axis(in_size: int, out_size: int, p: ResizeParams):
    """(scaled position, lower, upper) per output index, 10-bit fixed point."""
    if p.align_corners and out_size > 1:
        scale = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = ((1 << 10) * in_size + out_size // 2) // out_size
    i = np.arange(out_size, dtype=np.int64)
    scaled = i * scale + scale // 2 - (1 << 9) if p.half_pixel_centers else i * scale
    lower = np.maximum(_trunc_div(scaled, 1 << 10), 0)
    upper = np.minimum(_trunc_div(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
    return scaled, lower, upper


def resize(x: np.ndarray, p: ResizeParams, out_shape: tuple[int, ...]) -> np.ndarray:
    n, ih, iw, c = x.shape
    oh, ow = out_shape[1], out_shape[2]
    if not p.bilinear:
        return x[:, _nearest_indices(ih, oh, p)][:, :, _nearest_indices(iw, ow, p)]
    sy, y0, y1 = _bilinear_axis(ih, oh, p)
    sx, x0, x1 = _bilinear_axis(iw, ow, p)
    dy = (sy - (1 << 10) * y0)[None, :, None, None]  # 10-bit weight of the upper row
    dx = (sx - (1 << 10) * x0)[None, None, :, None]
    xi = x.astype(np.int64)
    total = (xi[:, y0][:, :, x0] * ((1 << 10) - dy) * ((1 << 10) - dx) + xi[:, y1][:, :, x0] * dy * ((1 << 10) - dx)
             + xi[:, y0][:, :, x1] * ((1 << 10) - dy) * dx + xi[:, y1][:, :, x1] * dy * dx)
    rounded = _trunc_div(total + np.where(total > 0, 1 << 19, -(1 << 19)), 1 << 20)
    return rounded.astype(x.dtype)
