"""SOFTMAX reference (gemmlowp fixed point) vs the oracles, bit-exact on every op output of two models."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyflow import tflite_reader
from pyflow.ir import SoftmaxParams
from pyflow.oracle import run_oracle
from pyflow.reference import runner
from pyflow.reference.softmax import softmax

MODELS = Path(__file__).parent / "models"
N_RANDOM = 64


def _inputs(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """>= 64 random int8 inputs plus edge cases: all -128, all 127, all 0, one-hot-ish, alternating extremes."""
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
    random = rng.integers(-128, 128, size=(N_RANDOM, *shape))
    # Larger-spread rows: random extremes only, so the softmax logits spread as far as the model allows.
    extremes = rng.choice(np.array([-128, 127]), size=(16, *shape))
    return np.concatenate([edge, random, extremes]).astype(np.int8)


@pytest.fixture(scope="module", params=["softmax.tflite", "mixed_small_net.tflite"])
def model(request):
    path = MODELS / request.param
    graph = tflite_reader.read_model(path)
    assert any(op.op_type == "SOFTMAX" for op in graph.ops)
    x = _inputs(tuple(graph.input.shape[1:]), seed=len(request.param))
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
