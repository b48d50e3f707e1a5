"""ADD, int8 (TFLite ``reference_integer_ops::Add``; ``BroadcastAdd4DSlow`` for inputs that broadcast).

Each input: (x + input_offset) << left_shift, rescaled by its multiplier (MultiplyByQuantizedMultiplier-
SmallerThanOneExp); the sum is rescaled by the output multiplier, + output_offset, clamped.

With 8-bit inputs and output there are only 256 x 256 input pairs: the arithmetic above fills a 64 KiB table once
per layer, and the op is a lookup at ``(a_byte << 8) | b_byte``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from pyflow import quant
from pyflow.ir import AddParams
from pyflow.reference import parallel
from pyflow.reference._common import row_chunks, scratch


def add_values(a: np.ndarray, b: np.ndarray, p: AddParams, subtract: bool = False) -> np.ndarray:
    """The arithmetic, on int64 values (arrays broadcast): the clamped output values (SUB: ``subtract``)."""
    scale = quant.multiply_by_quantized_multiplier_smaller_than_one
    a_scaled = scale((a.astype(np.int64) + p.input1_offset) << p.left_shift, p.input1_multiplier, p.input1_shift)
    b_scaled = scale((b.astype(np.int64) + p.input2_offset) << p.left_shift, p.input2_multiplier, p.input2_shift)
    total = scale(a_scaled - b_scaled if subtract else a_scaled + b_scaled, p.output_multiplier,
                  p.output_shift) + p.output_offset
    return np.clip(total, p.act_min, p.act_max)


@lru_cache(maxsize=256)
def _table(p_fields: tuple, a_dtype: str, b_dtype: str, out_dtype: str) -> np.ndarray:
    p = AddParams(*p_fields)
    byte = np.arange(256, dtype=np.uint8)
    values = add_values(byte.view(a_dtype)[:, None], byte.view(b_dtype)[None, :], p)
    return values.astype(out_dtype).reshape(-1)


def add(a: np.ndarray, b: np.ndarray, p: AddParams, out_dtype: str = "int8") -> np.ndarray:
    if a.shape != b.shape:  # the same arithmetic on the broadcast values
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = np.ascontiguousarray(np.broadcast_to(a, shape)), np.ascontiguousarray(np.broadcast_to(b, shape))
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    out = np.empty(flat_a.shape, out_dtype)
    if a.dtype.itemsize == b.dtype.itemsize == np.dtype(out_dtype).itemsize == 1:
        fields = tuple(getattr(p, name) for name in AddParams.__dataclass_fields__ if name not in ("constant",
                                                                                                   "constant_input"))
        table = _table(fields, str(a.dtype), str(b.dtype), out_dtype)

        def block(rows: tuple[int, int]) -> None:
            start, stop = rows
            index = scratch("add.index", (stop - start,), np.uint16)
            np.copyto(index, flat_a[start:stop].view(np.uint8))
            index <<= 8
            index |= flat_b[start:stop].view(np.uint8)
            np.take(table, index, out=out[start:stop])

        parallel.for_each(block, row_chunks(flat_a.size, 1))
    else:
        for start, stop in row_chunks(flat_a.size, 1):
            out[start:stop] = add_values(flat_a[start:stop], flat_b[start:stop], p)
    return out.reshape(a.shape)
