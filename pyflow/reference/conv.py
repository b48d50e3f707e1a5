"""CONV_2D (TFLite ``reference_integer_ops::ConvPerChannel``).

acc[o] = bias[o] + sum_{ky,kx,c} (x[c] + input_offset) * w[o,ky,kx,c] over the in-image taps, then
MultiplyByQuantizedMultiplier(acc, multiplier[o], shift[o]) + output_offset, clamped to [act_min, act_max].
Out-of-image taps are skipped by TFLite; padding with the input zero point (x + input_offset == 0) is the same.
The dot product runs as an exact float32 GEMM on raw int8 values; the offset term is folded in afterwards:
sum((x + off) * w) == sum(x * w) + off * sum(w) (padded taps hold x == -off and contribute 0 to both sides).
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import ConvParams
from pyflow.reference import parallel, requantize
from pyflow.reference._common import derived, exact_matmul, exact_terms, pad_spatial, row_chunks, scratch


def window_taps(x: np.ndarray, p: ConvParams, out_hw: tuple[int, int]) -> np.ndarray:
    """(N, H, W, C) -> (N, OH, OW, KH*KW, C): the input values under each kernel tap, padding included."""
    (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
    oh, ow = out_hw
    xp = pad_spatial(x, p.padding, -p.input_offset)
    taps = [xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
            for i in range(kh) for j in range(kw)]
    return np.stack(taps, axis=3)


def _layer_constants(p: ConvParams, x_dtype, out_dtype: str):
    """(float32 weights as (K, O), exact GEMM block length, requantize plan)."""
    weights = p.weights.reshape(p.weights.shape[0], -1)  # OHWI -> (O, KH*KW*C)
    return (np.ascontiguousarray(weights.T, np.float32), exact_terms(weights, x_dtype),
            requantize.conv_plan(p, weights, x_dtype, out_dtype))


def conv(x: np.ndarray, p: ConvParams, out_shape: tuple[int, ...], out_dtype: str = "int8") -> np.ndarray:
    n = x.shape[0]
    oh, ow, out_c = out_shape[1], out_shape[2], out_shape[3]
    if p.kernel == (1, 1) and p.stride == (1, 1):
        cols = x.reshape(-1, x.shape[3])
    else:
        cols = window_taps(x, p, (oh, ow)).reshape(n * oh * ow, -1)
    w_t, terms, plan = derived(p, ("conv", str(x.dtype), out_dtype), lambda: _layer_constants(p, x.dtype, out_dtype))
    out = np.empty((cols.shape[0], out_c), out_dtype)

    def block(rows: tuple[int, int]) -> None:
        start, stop = rows
        values = scratch("conv.cols", (stop - start, cols.shape[1]), np.float32)
        np.copyto(values, cols[start:stop])
        dots = exact_matmul(values, w_t, terms, out=scratch("conv.dots", (stop - start, out_c), np.float32))
        requantize.requantize(dots, plan, out[start:stop])

    parallel.for_each(block, row_chunks(cols.shape[0], max(out_c, cols.shape[1])))
    return out.reshape(n, oh, ow, out_c)
