"""ADD, int8 (TFLite ``reference_integer_ops::Add``; ``BroadcastAdd4DSlow`` for inputs that broadcast).

Each input: (x + input_offset) << left_shift, rescaled by its multiplier (MultiplyByQuantizedMultiplier-
SmallerThanOneExp); the sum is rescaled by the output multiplier, + output_offset, clamped.
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import AddParams
from pyflow.reference._common import row_chunks


def add(a: np.ndarray, b: np.ndarray, p: AddParams, out_dtype: str = "int8") -> np.ndarray:
    if a.shape != b.shape:  # the same arithmetic on the broadcast values
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = np.ascontiguousarray(np.broadcast_to(a, shape)), np.ascontiguousarray(np.broadcast_to(b, shape))
    scale = quant.multiply_by_quantized_multiplier_smaller_than_one
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    out = np.empty(flat_a.shape, out_dtype)
    for start, stop in row_chunks(flat_a.size, 1):
        a_scaled = scale((flat_a[start:stop].astype(np.int64) + p.input1_offset) << p.left_shift,
                         p.input1_multiplier, p.input1_shift)
        b_scaled = scale((flat_b[start:stop].astype(np.int64) + p.input2_offset) << p.left_shift,
                         p.input2_multiplier, p.input2_shift)
        total = scale(a_scaled + b_scaled, p.output_multiplier, p.output_shift) + p.output_offset
        out[start:stop] = np.clip(total, p.act_min, p.act_max)
    return out.reshape(a.shape)
