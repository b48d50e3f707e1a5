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

SCALED_DIFF_INTEGER_BITS = 5  # exp() input: Q5.26
ACCUMULATION_INTEGER_BITS = 12  # sum of exps: Q12.19
OUTPUT_BITS = 8  # int8 output

_srdhm = quant.saturating_rounding_doubling_high_mul
_rdbp = quant.rounding_divide_by_pot


def _wrap32(v):
    """An int64 array reduced to int32 two's complement (a plain, overflowing gemmlowp int32 add/sub)."""
    v = np.asarray(v, dtype=np.int64)
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _saturating_rounding_multiply_by_pot(x, exponent: int):
    """gemmlowp ``SaturatingRoundingMultiplyByPOT<exponent>`` on int32 values."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return _rdbp(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, quant.INT32_MAX, np.where(x < -threshold, quant.INT32_MIN, x << exponent))


def _rescale(x, src_integer_bits: int, dst_integer_bits: int):
    """gemmlowp ``Rescale<dst>``: change the number of integer bits of a FixedPoint<int32, src>."""
    return _saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def _rounding_half_sum(a, b):
    """gemmlowp ``RoundingHalfSum`` (int32): (a + b + sign) / 2, division truncating toward zero."""
    total = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    total = total + np.where(total >= 0, 1, -1)
    return np.where(total >= 0, total >> 1, -((-total) >> 1))


# Q0.31 constants of gemmlowp's exp: exp(-1/8), 1/3 and the barrel shifter exp(-2**k), k = -2..4.
_EXP_MINUS_ONE_EIGHTH = 1895147668
_ONE_THIRD = 715827883
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
               (3, 720401), (4, 242))


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for Q0.31 ``a`` in [-1/4, 0): 4th-order Taylor expansion around -1/8."""
    x = _wrap32(a + (1 << 28))  # a + 1/8
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _saturating_rounding_multiply_by_pot(x4, -2)
    poly = _saturating_rounding_multiply_by_pot(
        _wrap32(_srdhm(_wrap32(x4_over_4 + x3), _ONE_THIRD) + x2), -1)
    return _wrap32(_EXP_MINUS_ONE_EIGHTH + _srdhm(_EXP_MINUS_ONE_EIGHTH, _wrap32(x + poly)))


def _exp_on_negative_values(a, integer_bits: int = SCALED_DIFF_INTEGER_BITS):
    """gemmlowp ``exp_on_negative_values``: FixedPoint<int32, integer_bits> a <= 0 -> Q0.31 exp(a)."""
    a = np.asarray(a, dtype=np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = _wrap32((a & (one_quarter - 1)) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        _rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = _wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = (remainder >> (fractional_bits + exponent)) & 1
            result = np.where(bit != 0, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)  # exp(< -32) = 0
    return np.where(a == 0, quant.INT32_MAX, result)


def _one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1``: Q0.31 a in [0, 1) -> Q0.31 1 / (1 + a)."""
    half_denominator = _rounding_half_sum(a, quant.INT32_MAX)  # (1 + a) / 2, Q0.31
    # Newton-Raphson in Q2.29: x0 = 48/17 - 32/17 * d, then x += x * (1 - d * x), three times.
    x = _wrap32(1515870810 + _srdhm(half_denominator, -1010580540))
    one_q2 = 1 << 29
    for _ in range(3):
        half_denominator_times_x = _srdhm(half_denominator, x)
        one_minus = _wrap32(one_q2 - half_denominator_times_x)
        x = _wrap32(x + _rescale(_srdhm(x, one_minus), 4, 2))
    return _rescale(x, 1, 0)  # ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale<0>


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
    shifted_sum_minus_one = _wrap32(shifted - (1 << 31))
    return _one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


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
    exp_q0 = _exp_on_negative_values(scaled_diff, SCALED_DIFF_INTEGER_BITS)
    exp_q0 = np.where(valid, exp_q0, 0)

    exp_accum = _rescale(exp_q0, 0, ACCUMULATION_INTEGER_BITS)
    sum_of_exps = _wrap32(exp_accum.sum(axis=-1, keepdims=True))  # int32 adds wrap; a sum mod 2**32 is the same

    shifted_scale, num_bits_over_unit = _get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    exponent = num_bits_over_unit + 31 - OUTPUT_BITS
    if np.any(exponent < 0) or np.any(exponent > 31):
        raise ValueError("softmax: sum of exps out of range (TFLITE_CHECK 0 <= exponent <= 31 fails)")
    unsat = _rdbp(_srdhm(shifted_scale, exp_q0), exponent)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)
