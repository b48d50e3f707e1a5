"""TRANSPOSE_CONV, int8 (TFLite reference_integer_ops::TransposeConv, per-channel).

Every input pixel (iy, ix) adds ``(x + input_offset) * w[o, ky, kx, i]`` to the int32 accumulator at output
``(iy * stride - pad_top + ky, ix * stride - pad_left + kx)`` (positions outside the output are dropped); then
bias, MultiplyByQuantizedMultiplier per output channel, + output offset, clamp. Here each kernel tap is one matmul
over the input channels (float64: exact for these integer sums), scattered into a padded accumulator that is
cropped to the output window.
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import TransposeConvParams
from pyflow.reference import requantize


def transpose_conv(x: np.ndarray, p: TransposeConvParams, out_shape: tuple[int, ...],
                   out_dtype: str = "int8") -> np.ndarray:
    n, ih, iw, ic = x.shape
    oc, kh, kw, _ = p.weights.shape
    sh, sw = p.stride
    oh, ow = out_shape[1], out_shape[2]
    full_h = max((ih - 1) * sh + kh, p.padding.top + oh)
    full_w = max((iw - 1) * sw + kw, p.padding.left + ow)
    acc = np.zeros((n, full_h, full_w, oc), np.float64)
    xs = (x.astype(np.float64) + p.input_offset).reshape(n * ih * iw, ic)
    w = p.weights.astype(np.float64)
    for ky in range(kh):
        for kx in range(kw):
            part = (xs @ w[:, ky, kx, :].T).reshape(n, ih, iw, oc)
            acc[:, ky:ky + (ih - 1) * sh + 1:sh, kx:kx + (iw - 1) * sw + 1:sw] += part
    window = np.ascontiguousarray(acc[:, p.padding.top:p.padding.top + oh, p.padding.left:p.padding.left + ow])
    out = np.empty(window.shape, out_dtype)
    requantize.requantize(window, requantize.plan(p.requant.multiplier, p.requant.shift, p.bias, p.output_offset,
                                                  p.act_min, p.act_max, out_dtype), out)
    return out
