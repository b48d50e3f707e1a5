"""DEPTHWISE_CONV_2D (TFLite ``reference_integer_ops::DepthwiseConvPerChannel``).

Output channel ``o = c * depth_multiplier + m`` reads input channel ``c``:
acc[o] = bias[o] + sum_{ky,kx} (x[c] + input_offset) * w[0,ky,kx,o], then the per-channel requantize ending.
Each tap is a broadcast multiply-add over the whole batch; float32 is exact here (at most 2**10 taps of
|x * w| <= 2**14), and the offset term is folded in as in `conv`.
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import ConvParams
from pyflow.reference._common import EXACT_FLOAT32_TERMS, pad_spatial, requantize_clamp, row_chunks


def depthwise_conv(x: np.ndarray, p: ConvParams, out_shape: tuple[int, ...], out_dtype: str = "int8") -> np.ndarray:
    (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
    oh, ow, out_c = out_shape[1], out_shape[2], out_shape[3]
    assert kh * kw <= EXACT_FLOAT32_TERMS
    xp = pad_spatial(x, p.padding, -p.input_offset)
    if p.depth_multiplier > 1:
        xp = np.repeat(xp, p.depth_multiplier, axis=3)
    weights = p.weights.reshape(kh, kw, out_c).astype(np.float32)
    constant = p.bias.astype(np.int64) + p.input_offset * p.weights.reshape(-1, out_c).sum(axis=0, dtype=np.int64)
    out = np.empty((x.shape[0], oh, ow, out_c), out_dtype)
    for b in range(x.shape[0]):
        for r0, r1 in row_chunks(oh, ow * out_c):
            rows = r1 - r0
            # The input rows this block of output rows reads, as float32 (exact for int8 products).
            band = xp[b, r0 * sh:(r1 - 1) * sh + (kh - 1) * dh + 1].astype(np.float32)
            acc32 = np.zeros((rows, ow, out_c), np.float32)
            product = np.empty_like(acc32)
            for i in range(kh):
                for j in range(kw):
                    tap = band[i * dh:i * dh + (rows - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
                    np.multiply(tap, weights[i, j], out=product)
                    acc32 += product
            acc = acc32.astype(np.int64)
            acc += constant
            out[b, r0:r1] = requantize_clamp(acc, p.requant.multiplier, p.requant.shift, p.output_offset,
                                             p.act_min, p.act_max, out_dtype)
    return out
