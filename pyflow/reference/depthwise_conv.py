"""DEPTHWISE_CONV_2D (TFLite ``reference_integer_ops::DepthwiseConvPerChannel``).

Output channel ``o = c * depth_multiplier + m`` reads input channel ``c``:
acc[o] = bias[o] + sum_{ky,kx} (x[c] + input_offset) * w[0,ky,kx,o], then the per-channel requantize ending.
Each tap is a multiply-add over a block of output rows (of one image, or of several whole images when they are
small), accumulated in float32, which is exact here (checked: the sum of |x * w| of every channel stays below
2**24); the offset term is folded in as in `conv`. With 8-bit inputs the products are int16, and groups of taps
are summed in int16 first where that is exact (see `_layer_constants`). A block's input rows are copied once,
padded; the taps of a strided convolution read column phases of them (copied once per block) so that every pass
runs over contiguous rows.
"""
from __future__ import annotations

import numpy as np

from pyflow.ir import ConvParams
from pyflow.reference import parallel, requantize
from pyflow.reference._common import CHUNK_VALUES, derived, dot_bounds, exact_terms, row_chunks, scratch

_INT16_MAX = 32767


def _layer_constants(p: ConvParams, x_dtype, out_dtype: str, ow: int):
    """(tap t's weights repeated along an output row of width ``ow``: (KH*KW, OW*C), the groups of taps summed
    first in that dtype, requantize plan). 8-bit inputs take int16 products: a group of taps whose sum of |x * w|
    stays below 2**15 for every channel is summed exactly in int16 (single taps always are: 128 * 128 = 2**14),
    at half the memory traffic of float32; other inputs take float32 taps one by one."""
    out_c = p.weights.shape[-1]
    taps = p.weights.reshape(-1, out_c).T  # (C, KH*KW)
    assert exact_terms(taps, x_dtype) == taps.shape[1], "float32 accumulation of the taps would not be exact"
    plan = requantize.conv_plan(p, taps, x_dtype, out_dtype)
    if np.dtype(x_dtype).itemsize == 1:
        groups, group = [], []
        for t in range(taps.shape[1]):
            if int(dot_bounds(taps[:, group + [t]], x_dtype).max()) > _INT16_MAX:
                groups.append(group)
                group = []
            group.append(t)
        return np.tile(taps.T.astype(np.int16), (1, ow)), groups + [group], plan
    return np.tile(taps.T.astype(np.float32), (1, ow)), [[t] for t in range(taps.shape[1])], plan


def depthwise_conv(x: np.ndarray, p: ConvParams, out_shape: tuple[int, ...], out_dtype: str = "int8") -> np.ndarray:
    (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
    oh, ow, out_c = out_shape[1], out_shape[2], out_shape[3]
    if p.depth_multiplier > 1:
        x = np.repeat(x, p.depth_multiplier, axis=3)
    row_weights, groups, plan = derived(p, ("depthwise", str(x.dtype), out_dtype, ow),
                                        lambda: _layer_constants(p, x.dtype, out_dtype, ow))
    out = np.empty((x.shape[0], oh, ow, out_c), out_dtype)

    def block(part: tuple[int, int, int, int]) -> None:
        b0, b1, r0, r1 = part
        rows = r1 - r0
        band = _padded_band(x[b0:b1], p, r0 * sh, (rows - 1) * sh + (kh - 1) * dh + 1, row_weights.dtype)
        # Column phases of the band (the band itself for stride 1): a tap reads contiguous runs of one phase.
        phases = [band] if sw == 1 else []
        for q in range(len(phases), sw):
            phases.append(scratch(f"depthwise.phase{q}", band[:, :, q::sw].shape, band.dtype))
            np.copyto(phases[-1], band[:, :, q::sw])
        acc = scratch("depthwise.acc", (b1 - b0, rows, ow * out_c), np.float32)
        group_sum = scratch("depthwise.group", acc.shape, band.dtype)
        product = scratch("depthwise.product", acc.shape, band.dtype)
        for g, group in enumerate(groups):
            total = acc if g == 0 and band.dtype == np.float32 else group_sum
            for n, t in enumerate(group):
                i, j = divmod(t, kw)
                phase, start = (j * dw) % sw, (j * dw) // sw
                tap = phases[phase][:, i * dh:i * dh + (rows - 1) * sh + 1:sh, start:start + ow].reshape(acc.shape)
                np.multiply(tap, row_weights[t], out=total if n == 0 else product)
                if n:
                    total += product
            if total is not acc:
                if g == 0:
                    np.copyto(acc, total)
                else:
                    acc += total
        requantize.requantize(acc.reshape(-1, out_c), plan, out[b0:b1, r0:r1])

    parallel.for_each(block, _blocks(x.shape[0], oh, ow * out_c))
    return out


def _blocks(batch: int, oh: int, row_values: int) -> list[tuple[int, int, int, int]]:
    """(first image, end image, first row, end row) blocks of the output: rows of one image, or whole images when
    one image fits the cache budget (small late layers: fewer, longer passes)."""
    if oh * row_values <= CHUNK_VALUES:
        step = CHUNK_VALUES // (oh * row_values)
        return [(b, min(batch, b + step), 0, oh) for b in range(0, batch, step)]
    return [(b, b + 1, r0, r1) for b in range(batch) for r0, r1 in row_chunks(oh, row_values)]


def _padded_band(x: np.ndarray, p: ConvParams, first: int, rows: int, dtype) -> np.ndarray:
    """Rows ``first .. first + rows`` of the spatially padded ``x`` (N, H, W, C), as ``dtype`` (a scratch array):
    padding holds the input zero point (-input_offset), i.e. real zero."""
    n, h, w, c = x.shape
    top, left = p.padding.top, p.padding.left
    band = scratch("depthwise.band", (n, rows, w + left + p.padding.right, c), dtype)
    # Band row k is input row first - top + k; the rows [k0, k1) are inside the image.
    k0 = min(max(0, top - first), rows)
    k1 = max(min(rows, h + top - first), k0)
    band[:, :k0] = -p.input_offset
    band[:, k1:] = -p.input_offset
    band[:, k0:k1, :left] = -p.input_offset
    band[:, k0:k1, left + w:] = -p.input_offset
    band[:, k0:k1, left:left + w] = x[:, first - top + k0:first - top + k1]
    return band
