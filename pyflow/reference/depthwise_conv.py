"""DEPTHWISE_CONV_2D (TFLite ``reference_integer_ops::DepthwiseConvPerChannel``).

Output channel ``o = c * depth_multiplier + m`` reads input channel ``c``:
acc[o] = bias[o] + sum_{ky,kx} (x[c] + input_offset) * w[0,ky,kx,o], then the per-channel requantize ending.
Each tap is a multiply-add over a block of output rows; float32 is exact here (checked: the sum of |x * w| of
every channel stays below 2**24), and the offset term is folded in as in `conv`. The taps of a strided
convolution read column phases of the input (copied once per block) so that every pass runs over contiguous rows.
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import ConvParams
from pyflow.reference import parallel, requantize
from pyflow.reference._common import derived, exact_terms, pad_spatial, row_chunks, scratch


def _layer_constants(p: ConvParams, x_dtype, out_dtype: str, ow: int):
    """(tap t's float32 weights repeated along an output row of width ``ow``: (KH*KW, OW*C), requantize plan)."""
    out_c = p.weights.shape[-1]
    taps = p.weights.reshape(-1, out_c).T  # (C, KH*KW)
    assert exact_terms(taps, x_dtype) == taps.shape[1], "float32 accumulation of the taps would not be exact"
    return np.tile(taps.T.astype(np.float32), (1, ow)), requantize.conv_plan(p, taps, x_dtype, out_dtype)


def depthwise_conv(x: np.ndarray, p: ConvParams, out_shape: tuple[int, ...], out_dtype: str = "int8") -> np.ndarray:
    (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
    oh, ow, out_c = out_shape[1], out_shape[2], out_shape[3]
    xp = pad_spatial(x, p.padding, -p.input_offset)
    if p.depth_multiplier > 1:
        xp = np.repeat(xp, p.depth_multiplier, axis=3)
    row_weights, plan = derived(p, ("depthwise", str(x.dtype), out_dtype, ow),
                                lambda: _layer_constants(p, x.dtype, out_dtype, ow))
    out = np.empty((x.shape[0], oh, ow, out_c), out_dtype)

    def block(part: tuple[int, int, int]) -> None:
        b, r0, r1 = part
        rows = r1 - r0
        band = xp[b, r0 * sh:(r1 - 1) * sh + (kh - 1) * dh + 1]  # the input rows this block reads
        # Column phases of the band (one for stride 1), as float32: a tap reads contiguous runs of one phase.
        phases = []
        for q in range(sw):
            columns = band[:, q::sw]
            phases.append(scratch(f"depthwise.phase{q}", columns.shape, np.float32))
            np.copyto(phases[-1], columns)
        acc = scratch("depthwise.acc", (rows, ow * out_c), np.float32)
        product = scratch("depthwise.product", (rows, ow * out_c), np.float32)
        for t in range(kh * kw):
            i, j = divmod(t, kw)
            phase, start = (j * dw) % sw, (j * dw) // sw
            tap = phases[phase][i * dh:i * dh + (rows - 1) * sh + 1:sh, start:start + ow].reshape(rows, -1)
            if t == 0:
                np.multiply(tap, row_weights[t], out=acc)
            else:
                np.multiply(tap, row_weights[t], out=product)
                acc += product
        requantize.requantize(acc.reshape(rows * ow, out_c), plan, out[b, r0:r1])

    parallel.for_each(block, [(b, r0, r1) for b in range(x.shape[0]) for r0, r1 in row_chunks(oh, ow * out_c)])
    return out
