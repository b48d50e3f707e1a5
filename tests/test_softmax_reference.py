"""SOFTMAX reference (gemmlowp fixed point): bit-exact vs the oracles on every op output of two models, and vs a
literal scalar transcription of the C++ (``reference_ops::Softmax`` + gemmlowp) on synthetic parameters that the
models do not reach (entries below diff_min, large beta * scale, the multiplier cap)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pyflow import tflite_reader
from pyflow.ir import SoftmaxParams
from pyflow.oracle import run_oracle
from pyflow.reference import runner
from pyflow.reference.softmax import softmax

MODELS = Path(__file__).parent / "models"
# Rows are cheap (the oracle runs ~30k softmax rows/s); many rows are needed to catch last-bit errors, e.g. a
# missing Newton-Raphson step shows in ~1 of 10k outputs.
N_RANDOM = {"softmax.tflite": 4000, "mixed_small_net.tflite": 1000}


def _inputs(shape: tuple[int, ...], seed: int, n_random: int) -> np.ndarray:
    """n_random random int8 inputs plus edge cases: all -128, all 127, all 0, one-hot-ish, alternating extremes."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    edge = [np.full(size, -128), np.full(size, 127), np.zeros(size)]
    for hot in (0, size // 2, size - 1):
        one_hot = np.full(size, -128)
        one_hot[hot] = 127
        edge.append(one_hot)
    edge.append(np.where(np.arange(size) % 2 == 0, 127, -128))
    edge.append(np.where(np.arange(size) % 2 == 0, -128, 127))
    edge = np.stack(edge).reshape((-1, *shape))
    random = rng.integers(-128, 128, size=(n_random, *shape))
    # Damped rows: small-magnitude inputs give small logit spreads (many classes share the probability mass).
    divisors = rng.integers(1, 30, size=(n_random // 4,) + (1,) * len(shape))
    damped = rng.integers(-128, 128, size=(n_random // 4, *shape)) // divisors
    # Larger-spread rows: random extremes only, so the softmax logits spread as far as the model allows.
    extremes = rng.choice(np.array([-128, 127]), size=(16, *shape))
    return np.concatenate([edge, random, damped, extremes]).astype(np.int8)


@pytest.fixture(scope="module", params=["softmax.tflite", "mixed_small_net.tflite"])
def model(request):
    path = MODELS / request.param
    graph = tflite_reader.read_model(path)
    assert any(op.op_type == "SOFTMAX" for op in graph.ops)
    x = _inputs(tuple(graph.input.shape[1:]), seed=len(request.param), n_random=N_RANDOM[request.param])
    return path, graph, x


@pytest.mark.parametrize("oracle", ["litert", "tflm"])
def test_every_op_output_matches_oracle(model, oracle):
    path, graph, x = model
    ours = runner.run(graph, x, oracle)
    outputs = [op.output for op in graph.ops]
    theirs = run_oracle(path, x, oracle, tensors=outputs)
    softmax_out = next(op.output for op in graph.ops if op.op_type == "SOFTMAX")
    assert softmax_out in theirs, f"{oracle} did not expose the SOFTMAX output"
    for op in graph.ops:
        if op.output not in theirs:
            continue
        want = theirs[op.output].reshape(ours[op.output].shape)
        got = ours[op.output]
        bad = np.argwhere(got != want)
        assert bad.size == 0, (f"{path.name} op {op.index} {op.op_type} vs {oracle}: {len(bad)} mismatches, "
                               f"first at {tuple(bad[0])}: ours {got[tuple(bad[0])]} oracle {want[tuple(bad[0])]}")
    # The softmax rows really vary (not all saturated to one class).
    sm = ours[softmax_out]
    assert len(np.unique(sm)) > 10


def test_skipped_entries_and_float_agreement():
    """Synthetic large beta * scale: entries below diff_min give -128; the rest track float softmax."""
    from pyflow import quant

    beta, scale = 1.0, 0.25
    multiplier, left_shift = quant.quantize_multiplier(beta * scale * (1 << 26))
    radius = int(np.floor(31 * (1 << 26) / (1 << left_shift)))
    p = SoftmaxParams(beta=beta, input_multiplier=multiplier, input_left_shift=left_shift, diff_min=-radius,
                      output_offset=-128)
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, size=(256, 12)).astype(np.int8)
    x[0] = -128
    x[1] = 127
    x[2] = -128
    x[2, 5] = 127
    y = softmax(x, p)
    assert y.dtype == np.int8 and y.shape == x.shape
    diff = x.astype(np.int64) - x.max(axis=-1, keepdims=True)
    assert np.all(y[diff < p.diff_min] == -128)
    assert np.any(diff < p.diff_min)
    logits = x.astype(np.float64) * scale * beta
    ref = np.exp(logits - logits.max(axis=-1, keepdims=True))
    ref = np.clip(np.round(ref / ref.sum(axis=-1, keepdims=True) * 256) - 128, -128, 127)
    assert np.max(np.abs(y.astype(np.int64) - ref)) <= 1
    assert np.all(y[0] == y[0, 0]) and np.all(y[1] == y[1, 0])
    assert y[2, 5] == 127 and np.all(np.delete(y[2], 5) == -128)


# ---- literal scalar transcription of the C++ (Python ints with int32 semantics), for synthetic parameters ----

def _i32(v: int) -> int:
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _srdhm(a: int, b: int) -> int:
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    t = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    return t >> 31 if t >= 0 else -((-t) >> 31)


def _rdbp(x: int, e: int) -> int:
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1) + (x < 0))


def _srmpot(x: int, e: int) -> int:
    if e <= 0:
        return _rdbp(x, -e)
    threshold = (1 << (31 - e)) - 1
    return (1 << 31) - 1 if x > threshold else -(1 << 31) if x < -threshold else x << e


def _exp_quarter(a: int) -> int:
    c, third = 1895147668, 715827883
    x = _i32(a + (1 << 28))
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_4 = _srmpot(x4, -2)
    poly = _srmpot(_i32(_srdhm(_i32(x4_4 + x3), third) + x2), -1)
    return _i32(c + _srdhm(c, _i32(x + poly)))


def _exp_neg_q5(a: int) -> int:
    quarter = 1 << 24
    amq = _i32((a & (quarter - 1)) - quarter)
    result = _exp_quarter(_srmpot(amq, 5))
    remainder = _i32(amq - a)
    for k, mult in ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
                    (3, 720401), (4, 242)):
        if remainder & (1 << (26 + k)):
            result = _srdhm(result, mult)
    return (1 << 31) - 1 if a == 0 else result


def _one_over_one_plus_x(a: int) -> int:
    total = a + (1 << 31) - 1
    total += 1 if total >= 0 else -1
    half = total // 2 if total >= 0 else -((-total) // 2)
    x = _i32(1515870810 + _srdhm(half, -1010580540))
    for _ in range(3):
        x = _i32(x + _srmpot(_srdhm(x, _i32((1 << 29) - _srdhm(half, x))), 2))
    return _srmpot(x, 1)


def _softmax_row_scalar(row, multiplier: int, left_shift: int, diff_min: int) -> list[int]:
    top = max(int(v) for v in row)
    exps = []
    for v in row:
        diff = int(v) - top
        exps.append(_exp_neg_q5(_srdhm(_i32(diff * (1 << left_shift)), multiplier)) if diff >= diff_min else None)
    acc = 0
    for e in exps:
        if e is not None:
            acc = _i32(acc + _srmpot(e, -12))
    headroom_plus_one = 32 - (acc & 0xFFFFFFFF).bit_length()
    num_bits_over_unit = 12 - headroom_plus_one
    scale = _one_over_one_plus_x(_i32(((acc & 0xFFFFFFFF) << headroom_plus_one) - (1 << 31)))
    exponent = num_bits_over_unit + 31 - 8
    assert 0 <= exponent <= 31
    return [-128 if e is None else max(-128, min(127, _rdbp(_srdhm(scale, e), exponent) - 128)) for e in exps]


def _prepare_double_build(beta: float, input_scale: float) -> tuple[int, int, int]:
    """SoftmaxPrepare (kReference) in the double-rounding build: PreprocessSoftmaxScaling, QuantizeMultiplier
    (no shift saturation in this build) and CalculateInputRadius."""
    real = min(beta * input_scale * (1 << 26), (1 << 31) - 1.0)
    q, shift = math.frexp(real)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))
    if q_fixed == 1 << 31:
        q_fixed, shift = q_fixed // 2, shift + 1
    assert shift >= 0
    return q_fixed, shift, -math.floor(31.0 * (1 << 26) / (1 << shift))


def test_matches_scalar_transcription_on_synthetic_params():
    rng = np.random.default_rng(2024)
    # beta * scale from tiny (all entries kept) through > 1/16 (diff_min bites) to > 32 (multiplier cap).
    cases = [(1.0, s) for s in (1e-3, 0.004, 0.03, 0.07, 0.25, 1.0, 3.0, 40.0)] + [(0.5, 0.1), (2.0, 0.02)]
    for beta, scale in cases:
        multiplier, left_shift, diff_min = _prepare_double_build(beta, scale)
        p = SoftmaxParams(beta=beta, input_multiplier=multiplier, input_left_shift=left_shift, diff_min=diff_min,
                          output_offset=-128)
        for depth in (1, 3, 10, 37):
            x = rng.integers(-128, 128, size=(24, depth))
            x[0] = -128
            x[1] = 127
            x[2] = -128
            x[2, -1] = 127
            x[3] = rng.integers(120, 128, size=depth)
            x = x.astype(np.int8)
            got = softmax(x, p)
            want = np.array([_softmax_row_scalar(row, multiplier, left_shift, diff_min) for row in x], np.int8)
            np.testing.assert_array_equal(got, want, err_msg=f"beta={beta} scale={scale} depth={depth}")
        # A batch with extra leading axes gives the same rows.
        x = rng.integers(-128, 128, size=(2, 3, 5, 7)).astype(np.int8)
        np.testing.assert_array_equal(softmax(x, p), softmax(x.reshape(-1, 7), p).reshape(x.shape))


@pytest.mark.parametrize("name", ["softmax.tflite", "mixed_small_net.tflite"])
def test_reader_params_match_softmax_prepare(name):
    graph = tflite_reader.read_model(MODELS / name)
    op = next(op for op in graph.ops if op.op_type == "SOFTMAX")
    scale = float(graph.tensor(op.inputs[0]).scale)
    multiplier, left_shift, diff_min = _prepare_double_build(op.params.beta, scale)
    assert (op.params.input_multiplier, op.params.input_left_shift, op.params.diff_min) == (
        multiplier, left_shift, diff_min)
    assert op.params.output_offset == -128


def test_fixed_point_internals_match_scalar_transcription():
    """exp_on_negative_values (Q5.26 -> Q0.31) and GetReciprocal raw-for-raw: last-bit errors there rarely reach
    an int8 output, so they are checked on the int32 values directly."""
    from pyflow.reference import gemmlowp
    from pyflow.reference import softmax as sm

    rng = np.random.default_rng(5)
    a = np.concatenate([-rng.integers(0, 32 << 26, size=3000), -np.arange(0, 300),
                        -(np.int64(1) << np.arange(0, 31)), [-(1 << 31) + 1]])
    got = gemmlowp.exp_on_negative_values(a, 5)
    np.testing.assert_array_equal(got, [_exp_neg_q5(int(v)) for v in a])

    sums = np.concatenate([rng.integers(1 << 19, (1 << 31) - 1, size=3000), (np.int64(1) << np.arange(19, 31)),
                           (np.int64(1) << np.arange(20, 32)) - 1])
    scale, bits = sm._get_reciprocal(sums, 12)
    for s, g_scale, g_bits in zip(sums, scale, bits):
        hp1 = 32 - int(s).bit_length()
        assert g_bits == 12 - hp1
        assert g_scale == _one_over_one_plus_x(_i32((int(s) << hp1) - (1 << 31)))
