"""gemmlowp's fixed-point functions on int32 values (FixedPoint<int32_t, integer bits>), as the TFLite integer
kernels call them: SOFTMAX (exp, 1 / (1 + x)) and TFLM's LOGISTIC.

All arithmetic runs on int64 numpy arrays holding int32 values; gemmlowp's non-saturating int32 adds are wrapped
to 32 bits (what the C++ does in practice), its saturating shifts saturate. Fixed-point multiplication is
SaturatingRoundingDoublingHighMul on the raw values (`pyflow.quant`).
"""
from __future__ import annotations

import numpy as np

from pyflow import quant

_srdhm = quant.saturating_rounding_doubling_high_mul
_rdbp = quant.rounding_divide_by_pot


def wrap32(v):
    """An int64 array reduced to int32 two's complement (a plain, overflowing gemmlowp int32 add/sub)."""
    v = np.asarray(v, dtype=np.int64)
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturating_rounding_multiply_by_pot(x, exponent: int):
    """gemmlowp ``SaturatingRoundingMultiplyByPOT<exponent>`` on int32 values."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return _rdbp(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, quant.INT32_MAX, np.where(x < -threshold, quant.INT32_MIN, x << exponent))


def rescale(x, src_integer_bits: int, dst_integer_bits: int):
    """gemmlowp ``Rescale<dst>``: change the number of integer bits of a FixedPoint<int32, src>."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a, b):
    """gemmlowp ``RoundingHalfSum`` (int32): (a + b + sign) / 2, division truncating toward zero."""
    total = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    total = total + np.where(total >= 0, 1, -1)
    return np.where(total >= 0, total >> 1, -((-total) >> 1))


# Q0.31 constants of gemmlowp's exp: exp(-1/8), 1/3 and the barrel shifter exp(-2**k), k = -2..4.
_EXP_MINUS_ONE_EIGHTH = 1895147668
_ONE_THIRD = 715827883
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
               (3, 720401), (4, 242))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for Q0.31 ``a`` in [-1/4, 0): 4th-order Taylor expansion around -1/8."""
    x = wrap32(a + (1 << 28))  # a + 1/8
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(
        wrap32(_srdhm(wrap32(x4_over_4 + x3), _ONE_THIRD) + x2), -1)
    return wrap32(_EXP_MINUS_ONE_EIGHTH + _srdhm(_EXP_MINUS_ONE_EIGHTH, wrap32(x + poly)))


def exp_on_negative_values(a, integer_bits: int):
    """gemmlowp ``exp_on_negative_values``: FixedPoint<int32, integer_bits> a <= 0 -> Q0.31 exp(a)."""
    a = np.asarray(a, dtype=np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = wrap32((a & (one_quarter - 1)) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = (remainder >> (fractional_bits + exponent)) & 1
            result = np.where(bit != 0, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)  # exp(< -32) = 0
    return np.where(a == 0, quant.INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1``: Q0.31 a in [0, 1) -> Q0.31 1 / (1 + a)."""
    half_denominator = rounding_half_sum(a, quant.INT32_MAX)  # (1 + a) / 2, Q0.31
    # Newton-Raphson in Q2.29: x0 = 48/17 - 32/17 * d, then x += x * (1 - d * x), three times.
    x = wrap32(1515870810 + _srdhm(half_denominator, -1010580540))
    one_q2 = 1 << 29
    for _ in range(3):
        half_denominator_times_x = _srdhm(half_denominator, x)
        one_minus = wrap32(one_q2 - half_denominator_times_x)
        x = wrap32(x + rescale(_srdhm(x, one_minus), 4, 2))
    return rescale(x, 1, 0)  # ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale<0>


def logistic(a, integer_bits: int):
    """gemmlowp ``logistic``: FixedPoint<int32, integer_bits> a -> Q0.31 1 / (1 + exp(-a)); exactly 1/2 at 0,
    one minus the positive side's value for a < 0."""
    a = np.asarray(a, dtype=np.int64)
    positive = a > 0
    result_if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-np.abs(a), integer_bits))
    result = np.where(positive, result_if_positive, quant.INT32_MAX - result_if_positive)
    return np.where(a == 0, 1 << 30, result)
