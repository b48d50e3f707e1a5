"""MEAN, int8/uint8 (TFLite ``reference_ops::QuantizedMeanOrSum``, used by LiteRT's reference and by TFLM).

sum over the axes (int32), minus input_zero_point * count, then MultiplyByQuantizedMultiplier with the
input/output scale ratio whose multiplier already has 1/count folded in (integer division, see the reader),
+ output zero point, clamped to the dtype range. No fused activation.
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import MeanParams, batched_shape


def mean(x: np.ndarray, p: MeanParams, out_shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod([x.shape[a] for a in p.axes]))
    total = x.astype(np.int64).sum(axis=p.axes) + p.input_offset * count
    scaled = quant.multiply_by_quantized_multiplier(total, p.multiplier, p.shift, "double") + p.output_offset
    lo, hi = quant.DTYPE_RANGE[str(x.dtype)]
    return np.clip(scaled, lo, hi).astype(x.dtype).reshape(batched_shape(out_shape, x.shape[0]))
