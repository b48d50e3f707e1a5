"""SOFTMAX, int8 -> int8 (scale 1/256, zero point -128) — TFLite ``reference_ops::Softmax`` (gemmlowp fixed point).

Per row (the last axis), exactly as the quantized reference kernel (double-rounding build, as LiteRT and TFLM
ship it):

1. ``diff = x - max(row)``; entries with ``diff < diff_min`` are skipped (they add nothing to the sum and
   output -128).
2. ``MultiplyByQuantizedMultiplierGreaterThanOne(diff, input_multiplier, input_left_shift)``
   (= SaturatingRoundingDoublingHighMul(diff << left_shift, multiplier)) is a Q5.26 value (kScaledDiffIntegerBits
   = 5); ``exp_on_negative_values`` maps it to Q0.31.
3. The exps are ``Rescale``d to Q12.19 (kAccumulationIntegerBits = 12) and summed (plain, wrapping int32 adds).
4. ``GetReciprocal``: the sum is normalized with CountLeadingZeros to ``1 + x`` with x in [0, 1) and inverted by
   ``one_over_one_plus_x_for_x_in_0_1`` (Newton-Raphson, 3 steps); ``num_bits_over_unit`` remembers the shift.
5. ``out = RoundingDivideByPOT(reciprocal * exp, num_bits_over_unit + 31 - 8) - 128``, clamped to int8.

All arithmetic runs on int64 numpy arrays holding int32 values; gemmlowp's non-saturating int32 adds are wrapped
to 32 bits (what the C++ does in practice), its saturating shifts saturate. Fixed-point multiplication is
SaturatingRoundingDoublingHighMul on the raw values (`pyflow.quant`).
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import SoftmaxParams
from pyflow.reference.gemmlowp import (exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1, rescale,
                                       wrap32)

SCALED_DIFF_INTEGER_BITS = 5  # exp() input: Q5.26
ACCUMULATION_INTEGER_BITS = 12  # sum of exps: Q12.19
OUTPUT_BITS = 8  # int8 output

_srdhm = quant.saturating_rounding_doubling_high_mul
_rdbp = quant.rounding_divide_by_pot


def _count_leading_zeros_u32(x):
    """``CountLeadingZeros(static_cast<uint32_t>(x))`` for int32 values (32 for zero)."""
    u = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    clz = np.full(u.shape, 32, dtype=np.int64)
    nonzero = u != 0
    # floor(log2(u)) exactly: frexp of a double holding a < 2**32 integer is exact.
    _, e = np.frexp(np.where(nonzero, u, 1).astype(np.float64))
    return np.where(nonzero, 32 - e.astype(np.int64), clz)


def _get_reciprocal(x, x_integer_digits: int):
    """TFLite ``GetReciprocal``: (Q0.31 reciprocal of the normalized x, num_bits_over_unit)."""
    headroom_plus_one = _count_leading_zeros_u32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shift = np.minimum(headroom_plus_one, 31)  # a uint32 shift by 32 (x == 0) is not reached: exp(0) is in the sum
    shifted = ((np.asarray(x, dtype=np.int64) & 0xFFFFFFFF) << shift) & 0xFFFFFFFF
    shifted_sum_minus_one = wrap32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def softmax(x: np.ndarray, p: SoftmaxParams) -> np.ndarray:
    """int8 batch -> int8 softmax over the last axis (output scale 1/256, zero point -128)."""
    x = np.asarray(x)
    if x.dtype != np.int8:
        raise ValueError(f"softmax reference takes int8 input, got {x.dtype}")
    xi = x.astype(np.int64)
    diff = xi - xi.max(axis=-1, keepdims=True)
    valid = diff >= p.diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne (left shift >= 0: SRDHM(diff << left_shift, multiplier)).
    # Skipped entries are zeroed first so nothing out of the int32 range is ever computed.
    scaled_diff = quant.multiply_by_quantized_multiplier(np.where(valid, diff, 0), p.input_multiplier,
                                                         p.input_left_shift, "double")
    exp_q0 = exp_on_negative_values(scaled_diff, SCALED_DIFF_INTEGER_BITS)
    exp_q0 = np.where(valid, exp_q0, 0)

    exp_accum = rescale(exp_q0, 0, ACCUMULATION_INTEGER_BITS)
    sum_of_exps = wrap32(exp_accum.sum(axis=-1, keepdims=True))  # int32 adds wrap; a sum mod 2**32 is the same

    shifted_scale, num_bits_over_unit = _get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    exponent = num_bits_over_unit + 31 - OUTPUT_BITS
    if np.any(exponent < 0) or np.any(exponent > 31):
        raise ValueError("softmax: sum of exps out of range (TFLITE_CHECK 0 <= exponent <= 31 fails)")
    unsat = _rdbp(_srdhm(shifted_scale, exp_q0), exponent)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)
