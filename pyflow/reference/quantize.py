"""QUANTIZE and DEQUANTIZE at the edges of a model (TFLite ``reference_ops::AffineQuantize/Requantize/Dequantize``).

- float -> int: ``round_half_away(float32(x) / float32(scale)) + zero_point``, clamped to the dtype;
- int -> int: ``MultiplyByQuantizedMultiplier(x - input_zero_point, m, shift) + output_zero_point``, clamped;
- int -> float: ``float32(double(scale) * (x - zero_point))``.
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import DequantizeParams, QuantizeParams


def quantize(x: np.ndarray, p: QuantizeParams) -> np.ndarray:
    lo, hi = quant.DTYPE_RANGE[p.output_dtype]
    if p.requant is None:
        q = np.asarray(x, np.float32) / np.float32(p.output_scale)
        out = quant.round_half_away(q.astype(np.float64)) + p.output_offset
    else:
        out = quant.multiply_by_quantized_multiplier(x.astype(np.int64) + p.input_offset, p.requant.multiplier[0],
                                                     p.requant.shift[0], "double") + p.output_offset
    return np.clip(out, lo, hi).astype(p.output_dtype)


def dequantize(x: np.ndarray, p: DequantizeParams) -> np.ndarray:
    return (np.float64(p.scale) * (x.astype(np.float64) - p.zero_point)).astype(np.float32)
