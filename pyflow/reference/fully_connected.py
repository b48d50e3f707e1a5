"""FULLY_CONNECTED (per-channel and per-tensor weights).

acc[o] = bias[o] + sum_i (x[i] + input_offset) * (w[o,i] + weights_offset), then the requantize ending, which
is the one place where the two oracles differ:
- ``tflm``: MultiplyByQuantizedMultiplier(acc, multiplier[o], shift[o]) (double rounding), like every other op;
- ``litert``: LiteRT's reference kernel requantizes in double: round_half_away(double(acc) * effective_scale[o]).
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import FullyConnectedParams, batched_shape
from pyflow.reference._common import derived, exact_matmul, exact_terms


def fully_connected(x: np.ndarray, p: FullyConnectedParams, out_shape: tuple[int, ...], flavor: str,
                    out_dtype: str = "int8") -> np.ndarray:
    out_features, in_features = p.weights.shape
    rows = x.reshape(-1, in_features)
    w_t, terms, constant = derived(p, ("fully_connected", str(x.dtype)), lambda: (
        np.ascontiguousarray(p.weights.T, np.float32), exact_terms(p.weights, x.dtype),
        p.bias.astype(np.int64) + p.input_offset * p.weights.sum(axis=1, dtype=np.int64)))
    acc = exact_matmul(rows.astype(np.float32), w_t, terms).astype(np.int64)
    acc += constant
    if p.weights_offset:
        acc += p.weights_offset * (rows.sum(axis=1, dtype=np.int64)[:, None] + in_features * p.input_offset)
    if flavor == "litert":
        scaled = quant.requantize_double(acc, p.requant.effective_scale)
    elif flavor == "tflm":
        scaled = quant.multiply_by_quantized_multiplier(acc, p.requant.multiplier, p.requant.shift, "double")
    else:
        raise ValueError(f"unknown flavor {flavor!r}")
    out = np.clip(scaled + p.output_offset, p.act_min, p.act_max).astype(out_dtype)
    return out.reshape(batched_shape(out_shape, x.shape[0]))
