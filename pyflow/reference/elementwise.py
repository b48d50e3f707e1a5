"""Two-input elementwise ops, int8, with TFLite's broadcasting (numpy rules, up to 4-D): SUB, MUL, MAXIMUM,
MINIMUM. (ADD is pyflow.reference.add.)

- SUB (reference_ops SubElementwise / BroadcastQuantSubSlow): ADD's rescaling of both inputs, the second
  subtracted.
- MUL (reference_integer_ops::Mul / BroadcastMul4DSlow): ``output_offset + MultiplyByQuantizedMultiplier(
  (a + input1_offset) * (b + input2_offset), m, s)``, clamped; the pair is flavored (LiteRT derives it in
  float32, TFLM in double).
- MAXIMUM / MINIMUM: on the raw values, no requantization (as TFLite).
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import MinMaxParams, MulParams, SubParams
from pyflow.reference.add import add_values


def _broadcast(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A batch of each input (N, ...) against the other: numpy broadcasting over the non-batch axes (the batch
    axes are equal)."""
    shape = np.broadcast_shapes(a.shape, b.shape)
    return np.broadcast_to(a, shape), np.broadcast_to(b, shape)


def sub(a: np.ndarray, b: np.ndarray, p: SubParams, out_dtype: str = "int8") -> np.ndarray:
    a, b = _broadcast(a, b)
    return add_values(a, b, p, subtract=True).astype(out_dtype)


def mul(a: np.ndarray, b: np.ndarray, p: MulParams, flavor: str, out_dtype: str = "int8") -> np.ndarray:
    a, b = _broadcast(a, b)
    product = (a.astype(np.int64) + p.input1_offset) * (b.astype(np.int64) + p.input2_offset)
    m, s = p.requant.pair(flavor)
    total = quant.multiply_by_quantized_multiplier(product, m, s) + p.output_offset
    return np.clip(total, p.act_min, p.act_max).astype(out_dtype)


def min_max(a: np.ndarray, b: np.ndarray, p: MinMaxParams) -> np.ndarray:
    a, b = _broadcast(a, b)
    return (np.maximum if p.maximum else np.minimum)(a, b)
