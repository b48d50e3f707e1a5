"""The fixed-point requantization arithmetic, once, in Python (its C++ twin is hls/src/requant.h).

Derivation (from the file's float32 scales, in double precision, exactly as TFLite's kernels do):
- ``quantize_multiplier(real)``: ``real = q * 2**shift`` with ``q`` in [0.5, 1) (``frexp``), significand
  ``round_half_away(q * 2**31)``; a significand of exactly 2**31 is halved with ``shift + 1``; shifts below -31
  give (0, 0). (Only TFLITE_SINGLE_ROUNDING builds also saturate shifts above 30; the double-rounding builds
  that both oracles use do not, and neither does this.)

Application (``flavor`` picks the rounding TFLite uses):
- ``double`` rounding (gemmlowp, TFLite's default build and TFLM): ``SaturatingRoundingDoublingHighMul`` of
  ``x << max(shift, 0)`` with the multiplier (round half away from zero on the high 32 bits), then
  ``RoundingDivideByPOT`` by ``max(-shift, 0)`` (round half away from zero).
- ``single`` rounding (``TFLITE_SINGLE_ROUNDING``): ``(x * m + 2**(30 - shift)) >> (31 - shift)`` in 64 bits,
  i.e. round half up, once.
- LiteRT's reference FULLY_CONNECTED (since LiteRT 2.0) does neither: it requantizes in double,
  ``round_half_away(double(acc) * effective_scale)``: ``requantize_double``.

All functions are vectorized over numpy arrays and exact (int64 intermediates; every value fits).
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

DTYPE_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (INT32_MIN, INT32_MAX)}


def round_half_away(x):
    """C's ``round``/``std::round`` (TfLiteRound): ties away from zero, exact for any double."""
    x = np.asarray(x, dtype=np.float64)
    whole = np.trunc(x)
    frac = x - whole  # exact
    return whole + np.where(np.abs(frac) >= 0.5, np.sign(x), 0.0)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: double -> (Q31 significand, shift)."""
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"cannot quantize multiplier {real!r}")
    q, shift = math.frexp(real)
    q_fixed = int(round_half_away(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplierSmallerThanOneExp``: like `quantize_multiplier` for 0 < real < 1."""
    if not 0.0 < real < 1.0:
        raise ValueError(f"multiplier {real!r} must be in (0, 1)")
    return quantize_multiplier(real)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` on int32 values (arrays broadcast)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    total = ab + nudge
    # C++ integer division truncates toward zero.
    high = np.where(total >= 0, total >> 31, -((-total) >> 31))
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, high)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp ``RoundingDivideByPOT``: x / 2**exponent, ties away from zero (exponent >= 0)."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift, rounding: str = "double"):
    """TFLite ``MultiplyByQuantizedMultiplier(int32 x, int32 m, int shift)`` in either rounding form.

    Double rounding is computed in one pass, which is the same function as gemmlowp's for m >= 0 (always true for
    a QuantizeMultiplier result). SRDHM's nudge makes it round half up for either sign: ``t = p >> 31`` with
    ``p = x*m + 2**30``. RoundingDivideByPOT rounds half away from zero: ``(t + 2**(r-1) - (t < 0)) >> r`` for
    r > 0. Because floor(floor(a / 2**31) / 2**r) == floor(a / 2**(31 + r)), both steps fold into
    ``(p + (2**(r-1) - (p < 0)) * 2**31) >> (31 + r)``. (The only saturating case of SRDHM, x == m ==
    INT32_MIN, needs m < 0.) tests/test_quant.py checks this against a literal transcription of the C++.
    """
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if rounding == "double":
        left = np.maximum(shift, 0)
        right = np.maximum(-shift, 0)
        # x * (1 << left) is an int32 product in C++; in range for every value the kernels feed it.
        p = (x << left) * multiplier if np.any(left) else x * multiplier
        p += 1 << 30
        if np.any(right):
            half = np.where(right > 0, ((np.int64(1) << right) >> 1) << 31, 0)
            negative = np.where(right > 0, np.int64(-1) << 31, 0)  # -2**31 where t < 0 and r > 0
            fix = p >> 63
            fix &= negative
            fix += half
            p += fix
        p >>= 31 + right
        return p
    if rounding == "single":
        total_shift = 31 - shift
        return (x * multiplier + (np.int64(1) << (total_shift - 1))) >> total_shift
    raise ValueError(f"unknown rounding {rounding!r}")


def multiply_by_quantized_multiplier_smaller_than_one(x, multiplier, shift, rounding: str = "double"):
    """TFLite ``MultiplyByQuantizedMultiplierSmallerThanOneExp`` (shift <= 0): used by ADD."""
    # With shift <= 0 both rounding forms coincide with MultiplyByQuantizedMultiplier's.
    if np.any(np.asarray(shift) > 0):
        raise ValueError("shift must be <= 0")
    return multiply_by_quantized_multiplier(x, multiplier, shift, rounding)


def requantize_double(acc, effective_scale):
    """LiteRT reference FULLY_CONNECTED: ``(int32) round(double(acc) * effective_scale)``."""
    return round_half_away(np.asarray(acc, dtype=np.float64) * np.asarray(effective_scale)).astype(np.int64)


def quantize_value(value: float, scale: float, zero_point: int) -> int:
    """TFLite's activation-range helper: ``zero_point + (int)round(f / scale)`` computed in float32."""
    q = np.float32(value) / np.float32(scale)
    return int(zero_point + round_half_away(float(q)))


def activation_range(activation: str, scale: float, zero_point: int, dtype: str) -> tuple[int, int]:
    """TFLite ``CalculateActivationRangeQuantized``: a fused activation as quantized clamp bounds."""
    qmin, qmax = DTYPE_RANGE[dtype]
    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize_value(0.0, scale, zero_point)), qmax
    if activation == "RELU6":
        return (max(qmin, quantize_value(0.0, scale, zero_point)),
                min(qmax, quantize_value(6.0, scale, zero_point)))
    if activation == "RELU_N1_TO_1":
        return (max(qmin, quantize_value(-1.0, scale, zero_point)),
                min(qmax, quantize_value(1.0, scale, zero_point)))
    raise ValueError(f"unsupported fused activation {activation}")
