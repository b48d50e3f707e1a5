"""The requantization arithmetic of pyflow.quant against a literal scalar transcription of TFLite's C++
(quantization_util.cc QuantizeMultiplier; gemmlowp SaturatingRoundingDoublingHighMul / RoundingDivideByPOT;
common.cc single-rounding MultiplyByQuantizedMultiplier), on edge values and random values."""
from __future__ import annotations

import math

import numpy as np
import pytest

from pyflow import quant

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def c_round(x: float) -> int:  # std::round: half away from zero
    return int(math.copysign(math.floor(abs(x) + 0.5), x)) if abs(x) < 2**52 else int(x)


def c_div(a: int, b: int) -> int:  # C++ integer division truncates toward zero
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def c_quantize_multiplier(d: float):
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = c_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift  # (the shift > 30 saturation exists only in TFLITE_SINGLE_ROUNDING builds)


def c_srdhm(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return c_div(ab + nudge, 1 << 31)


def c_rdbpot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def c_mbqm_double(x: int, m: int, shift: int) -> int:
    left, right = max(shift, 0), max(-shift, 0)
    return c_rdbpot(c_srdhm(x * (1 << left), m), right)


def c_mbqm_single(x: int, m: int, shift: int) -> int:
    total = 31 - shift
    return (x * m + (1 << (total - 1))) >> total


@pytest.mark.parametrize("real", [0.0, 1e-12, 2.0**-32, 2.0**-31, 0.5, 0.25, 1.0, 1.5, 0.7071067811865476,
                                  (2**31 - 0.5) / 2**31, (2**31 - 0.25) / 2**31, 1 - 2**-40, 3.0, 2.0**30,
                                  2.0**31, 2.0**40, 0.0001234, 0.00390625])
def test_quantize_multiplier_edge_cases(real):
    assert quant.quantize_multiplier(real) == c_quantize_multiplier(real)


def test_quantize_multiplier_known_values():
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(1 - 2**-40) == (1 << 30, 1)  # rounds up to 2**31: halved, shift + 1
    assert quant.quantize_multiplier(1e-12) == (0, 0)  # shift below -31
    assert quant.quantize_multiplier(2.0**40) == (1 << 30, 41)  # no saturation in double-rounding builds
    with pytest.raises(ValueError):
        quant.quantize_multiplier(-1.0)


def test_quantize_multiplier_random():
    rng = np.random.default_rng(0)
    for real in 10.0 ** rng.uniform(-9, 3, 2000):
        assert quant.quantize_multiplier(float(real)) == c_quantize_multiplier(float(real))


EDGE_X = [0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -255, (1 << 20) + 1, -(1 << 20) - 1, (1 << 24) - 1,
          -(1 << 24), (1 << 30), -(1 << 30), INT32_MAX, INT32_MIN + 1, 1 << 29, -(1 << 29) - 7]


@pytest.mark.parametrize("shift", [-31, -20, -12, -8, -1, 0])
def test_double_rounding_edges_right_shift(shift):
    rng = np.random.default_rng(shift + 100)
    xs = EDGE_X + [int(v) for v in rng.integers(-(1 << 31), 1 << 31, 3000)]
    ms = [1 << 30, (1 << 31) - 1, (1 << 30) + 1, 1518500250, 0, 1]
    for m in ms:
        got = quant.multiply_by_quantized_multiplier(np.array(xs), m, shift)
        want = [c_mbqm_double(x, m, shift) for x in xs]
        assert got.tolist() == want, f"m={m} shift={shift}"


def test_double_rounding_ties():
    """Exact halves at both rounding stages, positive and negative."""
    m = 1 << 30  # multiplies by 0.5 in SRDHM: odd x gives an exact tie
    xs = list(range(-64, 65))
    for shift in (0, -1, -2, -3):
        got = quant.multiply_by_quantized_multiplier(np.array(xs), m, shift)
        assert got.tolist() == [c_mbqm_double(x, m, shift) for x in xs]


@pytest.mark.parametrize("shift", [1, 2, 5])
def test_double_rounding_left_shift(shift):
    rng = np.random.default_rng(shift)
    xs = [int(v) for v in rng.integers(-(1 << (31 - shift)), 1 << (31 - shift), 2000)] + [0, 1, -1]
    m = 1234567890
    got = quant.multiply_by_quantized_multiplier(np.array(xs), m, shift)
    assert got.tolist() == [c_mbqm_double(x, m, shift) for x in xs]


def test_per_channel_broadcast():
    rng = np.random.default_rng(7)
    x = rng.integers(-(1 << 24), 1 << 24, (50, 6))
    m = np.array([1 << 30, 1500000000, 2000000000, 1073741825, 1999999999, 1717986918])
    s = np.array([-1, -9, 0, -20, 2, -31])
    got = quant.multiply_by_quantized_multiplier(x, m, s)
    want = [[c_mbqm_double(int(x[i, c]), int(m[c]), int(s[c])) for c in range(6)] for i in range(50)]
    assert got.tolist() == want


def test_single_rounding():
    rng = np.random.default_rng(1)
    xs = EDGE_X[:-4] + [int(v) for v in rng.integers(-(1 << 28), 1 << 28, 2000)]
    for m, shift in [(1 << 30, -1), (1518500250, -10), (2000000000, 0), (1073741825, -31 + 1)]:
        got = quant.multiply_by_quantized_multiplier(np.array(xs), m, shift, "single")
        assert got.tolist() == [c_mbqm_single(x, m, shift) for x in xs]


def test_srdhm_and_rdbpot_helpers():
    pairs = [(INT32_MIN, INT32_MIN), (INT32_MAX, INT32_MAX), (-5, 1 << 30), (5, 1 << 30), (-(1 << 30), 3)]
    for a, b in pairs:
        assert int(quant.saturating_rounding_doubling_high_mul(a, b)) == c_srdhm(a, b)
    for x in range(-40, 41):
        for e in range(0, 6):
            assert int(quant.rounding_divide_by_pot(x, e)) == c_rdbpot(x, e)


def test_round_half_away_and_double_requant():
    assert quant.round_half_away(np.array([0.5, -0.5, 1.5, -2.5, 0.49999999999999994])).tolist() == [1, -1, 2, -3, 0]
    assert quant.requantize_double(np.array([3, -3]), 0.5).tolist() == [2, -2]


def test_activation_range():
    assert quant.activation_range("RELU6", 0.0235, -128, "int8") == (-128, c_round(6 / np.float32(0.0235)) - 128)
    assert quant.activation_range("NONE", 1.0, 0, "uint8") == (0, 255)
    assert quant.activation_range("RELU", 0.1, 5, "int8") == (5, 127)
    with pytest.raises(ValueError):
        quant.activation_range("TANH", 0.1, 0, "int8")
