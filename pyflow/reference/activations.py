"""Standalone activations, int8 -> int8: RELU / RELU6 / RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, LOGISTIC.

- RELU family (activations.cc QuantizedReluX -> ReluX): ``out = output_offset + MultiplyByQuantizedMultiplier(
  x - input_zero_point, in/out scale)``, clamped to the activation's quantized range. TFLM's RELU6 differs: it
  clamps the raw input to [zero point, quantized 6.0] of the input scale and does not requantize.
- LEAKY_RELU (reference_ops::QuantizeLeakyRelu): ``x - zp >= 0`` rescaled by in/out scale, else by
  alpha x in/out scale; + output zero point, clamped to int8.
- HARD_SWISH (reference_ops::HardSwish): int16 fixed point; the input on a 2^-7 finer scale, a "reluish"
  factor in [0, 1] (3.0 is int16 32768), multiplied with a truncating doubling high mul, then the output shift.
- LOGISTIC: LiteRT's reference looks the input byte up in a 256-entry float32-built table; TFLM computes
  gemmlowp's fixed-point logistic on the input rescaled to Q4.27 (pyflow.reference.gemmlowp) -- the flavor
  decides which.
The (multiplier, shift) pairs whose derivation differs between the runtimes are ``Flavored`` (pyflow.ir).
"""
from __future__ import annotations

import numpy as np

from pyflow import quant
from pyflow.ir import HardSwishParams, LeakyReluParams, LogisticParams, ReluParams
from pyflow.reference import gemmlowp

INT16_MIN, INT16_MAX = -32768, 32767


def relu(x: np.ndarray, p: ReluParams, flavor: str) -> np.ndarray:
    if flavor == "tflm" and p.tflm_raw_bounds is not None:  # TFLM's RELU6 clamps the raw input
        return np.clip(x, *p.tflm_raw_bounds).astype(x.dtype)
    m, s = p.requant.pair(flavor)
    v = quant.multiply_by_quantized_multiplier(x.astype(np.int64) - p.input_zero_point, m, s) + p.output_offset
    return np.clip(v, p.act_min, p.act_max).astype(x.dtype)


def leaky_relu(x: np.ndarray, p: LeakyReluParams, flavor: str) -> np.ndarray:
    v = x.astype(np.int64) - p.input_zero_point
    identity = quant.multiply_by_quantized_multiplier(v, *p.identity.pair(flavor))
    alpha = quant.multiply_by_quantized_multiplier(v, *p.alpha.pair(flavor))
    out = np.where(v >= 0, identity, alpha) + p.output_offset
    info = np.iinfo(x.dtype)
    return np.clip(out, info.min, info.max).astype(x.dtype)


def _srdhm16(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + nudge) / 2^15, truncating division."""
    ab = np.asarray(a, np.int64) * np.asarray(b, np.int64)
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    total = ab + nudge
    q = np.where(total >= 0, total >> 15, -((-total) >> 15))
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, q)


def _sdhm16(a, b):
    """TFLite SaturatingDoublingHighMul on int16: a*b / 2^15 truncated toward zero (no rounding)."""
    ab = np.asarray(a, np.int64) * np.asarray(b, np.int64)
    q = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, q)


def _saturating_left_shift16(v, amount: int):
    return np.clip(np.asarray(v, np.int64) * (1 << amount), INT16_MIN, INT16_MAX)


def _rdbp16(x, exponent: int):
    """gemmlowp RoundingDivideByPOT on int16: its mask ``(1 << exponent) - 1`` is an int16, so from exponent 16 on
    it is all ones (-1) and the result is +1 for x >= 0, -1 for x < 0 (what the C++ computes)."""
    if exponent < 16:
        return quant.rounding_divide_by_pot(x, exponent)
    return np.where(np.asarray(x) >= 0, 1, -1).astype(np.int64)


def _wrap16(v):
    return ((np.asarray(v, np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


def hard_swish(x: np.ndarray, p: HardSwishParams) -> np.ndarray:
    value = x.astype(np.int64) - p.input_zero_point  # int16
    hires = value * (1 << 7)  # |value| <= 255: fits int16
    preshift_output = _srdhm16(hires, p.output_multiplier_int16)
    reluish = hires
    if p.reluish_exponent > 0:
        reluish = _saturating_left_shift16(reluish, p.reluish_exponent - 1)
    reluish = _srdhm16(reluish, p.reluish_multiplier_int16)
    if p.reluish_exponent > 0:
        reluish = _saturating_left_shift16(reluish, 1)
    if p.reluish_exponent < 0:
        reluish = _rdbp16(reluish, -p.reluish_exponent)
    reluish = (reluish + (1 << 15)) >> 1  # [-1, 1] -> [0, 1] in Q0.15
    out = _rdbp16(_sdhm16(reluish, preshift_output), -p.output_exponent)
    out = _wrap16(out + p.output_zero_point)  # an int16 add in the C++
    info = np.iinfo(x.dtype)
    return np.clip(out, info.min, info.max).astype(x.dtype)


def logistic(x: np.ndarray, p: LogisticParams, flavor: str) -> np.ndarray:
    if flavor == "litert":
        return p.table[x.view(np.uint8)]
    v = x.astype(np.int64) - p.input_zero_point
    inside = (v > -p.input_range_radius) & (v < p.input_range_radius)
    q4 = quant.multiply_by_quantized_multiplier(np.where(inside, v, 0), p.input_multiplier, p.input_left_shift)
    out = quant.rounding_divide_by_pot(gemmlowp.logistic(q4, 4), 31 - 8) - 128
    out = np.where(v <= -p.input_range_radius, -128, np.where(v >= p.input_range_radius, 127, out))
    return np.clip(out, -128, 127).astype(np.int8)
