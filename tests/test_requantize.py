"""The fast requantize ending (pyflow.reference.requantize) against the int64 arithmetic of pyflow.quant (itself
checked against a literal transcription of TFLite's C++ in test_quant.py) and, on a sample, against that
transcription directly: random layers, accumulators at the clamp bounds, at the ties of both roundings, around 0,
float64 and float32 dot products, per-channel and per-tensor multipliers, every output dtype."""
from __future__ import annotations

import numpy as np
import pytest

from pyflow import quant
from pyflow.reference import requantize as rq
from test_quant import c_mbqm_double


def exact(acc, multiplier, shift, output_offset, act_min, act_max):
    value = quant.multiply_by_quantized_multiplier(acc, multiplier, shift, "double") + output_offset
    return np.clip(value, act_min, act_max)


def random_layer(rng, channels, dtype, shifts):
    multiplier = rng.integers(1 << 30, 1 << 31, channels)
    shift = rng.integers(*shifts, channels)
    multiplier[rng.random(channels) < 0.05] = 1 << 30  # a power-of-two scale
    zero = rng.random(channels) < 0.03
    multiplier[zero], shift[zero] = 0, 0  # QuantizeMultiplier(0.0)
    lo, hi = quant.DTYPE_RANGE[dtype]
    output_offset = int(rng.integers(lo, hi + 1)) if dtype != "int16" else int(rng.integers(-8, 8))
    act_min, act_max = int(rng.integers(lo, lo + 20)), int(rng.integers(hi - 20, hi + 1))
    constant = rng.integers(-2**20, 2**20, channels) * int(rng.integers(0, 2))
    return multiplier, shift, constant, output_offset, act_min, act_max


def accumulators(rng, plan, multiplier, shift, constant, rows):
    """Accumulators (int64): random over the int32 range usable with the shift, near the clamp bounds, at the
    ties of the combined rounding, and -2..2."""
    limit = (2**31 - 1) >> int(np.maximum(shift, 0).max())
    scale_bits = 31 + np.maximum(-shift, 0)
    m = np.maximum(multiplier << np.maximum(shift, 0), 1)
    ties = np.round((rng.integers(-300, 300, (rows, len(m))) * 2 + 1) * np.exp2(scale_bits - 1.0) / m)
    sets = [rng.integers(-limit, limit, (rows, len(m))),
            rng.integers(-3000, 3000, (rows, len(m))),
            plan.acc_low + rng.integers(-3, 4, (rows, len(m))),
            plan.acc_high + rng.integers(-3, 4, (rows, len(m))),
            ties.astype(np.int64) + rng.integers(-2, 3, (rows, len(m))),
            np.repeat(np.arange(-2, 3)[:, None], len(m), axis=1)]
    return [np.clip(a, -limit, limit) for a in sets]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("shifts", [(-31, 6), (-14, 1)])
def test_requantize_matches_the_integer_arithmetic(dtype, shifts):
    rng = np.random.default_rng(sum(map(ord, dtype)) + shifts[0])
    for _ in range(12):
        channels = int(rng.integers(1, 40))
        multiplier, shift, constant, offset, act_min, act_max = random_layer(rng, channels, dtype, shifts)
        plan = rq.plan(multiplier, shift, constant, offset, act_min, act_max, dtype)
        sets = accumulators(rng, plan, multiplier, shift, constant, 500)
        # The same with the reach of the dot products known (what conv and depthwise pass): fixed channels.
        reach = np.abs(np.concatenate(sets) - constant).max(axis=0)
        reach[::2] = np.minimum(reach[::2], 1 << 20)
        reached = [np.clip(acc, constant - reach, constant + reach) for acc in sets]
        reach_plan = rq.plan(multiplier, shift, constant, offset, act_min, act_max, dtype, reach)
        for plan, sets in ((plan, sets), (reach_plan, reached)):
            check_sets(plan, sets, multiplier, shift, constant, offset, act_min, act_max, dtype)


def check_sets(plan, sets, multiplier, shift, constant, offset, act_min, act_max, dtype):
    for acc in sets:
        want = exact(acc, multiplier, shift, offset, act_min, act_max)
        dots = acc - constant
        for dot_type in (np.float64, np.float32):
            if dot_type == np.float32 and np.abs(dots).max() >= 2**24:
                continue  # float32 dots are exact integers only below 2**24
            got = np.empty(acc.shape, dtype)
            rq.requantize(dots.astype(dot_type), plan, got)
            np.testing.assert_array_equal(got, want)


def test_requantize_matches_tflite_transcription():
    rng = np.random.default_rng(5)
    multiplier, shift, constant, offset, act_min, act_max = random_layer(rng, 24, "int8", (-20, 3))
    plan = rq.plan(multiplier, shift, constant, offset, act_min, act_max, "int8")
    acc = np.concatenate(accumulators(rng, plan, multiplier, shift, constant, 20))
    got = np.empty(acc.shape, np.int8)
    rq.requantize((acc - constant).astype(np.float64), plan, got)
    for (row, c), value in np.ndenumerate(acc):
        want = min(max(c_mbqm_double(int(value), int(multiplier[c]), int(shift[c])) + offset, act_min), act_max)
        assert got[row, c] == want, (int(value), int(multiplier[c]), int(shift[c]))


def test_channels_outside_the_float64_bound_take_the_integer_path_or_are_fixed():
    # A dead channel as in EfficientNet-lite0: shift -27 and a bias near 2**30; and a per-tensor multiplier.
    multiplier, shift = np.array([1518500250, 1518500250]), np.array([-27, -9])
    constant = np.array([1 << 30, 1000])
    plan = rq.plan(multiplier, shift, constant, -3, -128, 127, "int8")
    assert list(plan.slow) == [0]
    acc = np.array([[(1 << 30) + d, d] for d in range(-70000, 70000, 7)])
    got = np.empty(acc.shape, np.int8)
    rq.requantize((acc - constant).astype(np.float64), plan, got)
    np.testing.assert_array_equal(got, exact(acc, multiplier, shift, -3, -128, 127))
    # Knowing that |dots| <= 2**20, the dead channel's output is one value over its whole reach: no int64 path.
    reach_plan = rq.plan(multiplier, shift, constant, -3, -128, 127, "int8", [1 << 20, 1 << 20])
    assert reach_plan.slow.size == 0
    got = np.empty(acc.shape, np.int8)
    rq.requantize((acc - constant).astype(np.float32), reach_plan, got)
    np.testing.assert_array_equal(got, exact(acc, multiplier, shift, -3, -128, 127))
    tensor_plan = rq.plan(multiplier[:1], shift[1:], np.zeros(3, np.int64), 5, -128, 127, "int8")
    values = np.arange(-300000, 300000, 13)[:, None].repeat(3, axis=1)
    got = np.empty(values.shape, np.int8)
    rq.requantize(values.astype(np.float32), tensor_plan, got)
    np.testing.assert_array_equal(got, exact(values, multiplier[0], shift[1], 5, -128, 127))


def test_a_large_constant_is_not_folded_into_the_offset_where_that_would_round():
    # Shift 0: y = acc * m * 2**-31 + 1/2 + output_offset + 128. Each multiplier m puts y within 3 * 2**-31 of an
    # integer at a small odd acc. With constants near 2**32, folding constant * m * 2**-31 (about 2**31, kept to
    # 2**-21 in float64) into the offset would move y across that integer.
    rng = np.random.default_rng(11)
    multiplier = []
    while len(multiplier) < 64:
        acc_t, delta = int(rng.integers(1, 60)) * 2 + 1, int(rng.choice([-3, -1, 1, 3]))
        m = (delta - (1 << 30)) * pow(acc_t, -1, 1 << 31) % (1 << 31)  # acc_t * m + 2**30 == delta (mod 2**31)
        if m >= 1 << 30:
            multiplier.append(m)
    multiplier = np.array(multiplier)
    constant = rng.integers(1 << 31, 1 << 33, 64)
    plan = rq.plan(multiplier, np.zeros(64, np.int64), constant, 3, -128, 127, "int8")
    assert not plan.fold and plan.slow.size == 0
    acc = np.repeat(np.arange(-130, 131)[:, None], 64, axis=1)
    got = np.empty(acc.shape, np.int8)
    rq.requantize((acc - constant).astype(np.float64), plan, got)
    np.testing.assert_array_equal(got, exact(acc, multiplier, 0, 3, -128, 127))
