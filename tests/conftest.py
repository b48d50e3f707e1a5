"""Shared test helpers: paths, inputs, and the reference-vs-oracle check every op test uses."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyflow.inputs import load_inputs
from pyflow.oracle import run_oracle
from pyflow.reference.runner import run
from pyflow.tflite_reader import read_model

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "models"
EFFNET = ROOT / "models" / "efficientnet-lite0-int8.tflite"
GOLDEN_INPUTS = ROOT / "golden" / "inputs"


def random_inputs(graph, count: int, seed: int) -> np.ndarray:
    """``count`` random inputs in the model's input dtype, plus the two extremes (all min, all max)."""
    t = graph.input
    rng = np.random.default_rng(seed)
    shape = (count,) + tuple(t.shape[1:])
    if t.dtype == "float32":
        body = rng.uniform(-1.5, 1.5, shape).astype(np.float32)
        lo, hi = -4.0, 4.0
    else:
        info = np.iinfo(t.dtype)
        body = rng.integers(info.min, info.max + 1, shape).astype(t.dtype)
        lo, hi = info.min, info.max
    edges = np.stack([np.full(shape[1:], lo, t.dtype), np.full(shape[1:], hi, t.dtype)])
    return np.concatenate([body, edges])


def assert_matches_oracle(path: Path, x: np.ndarray, oracle: str, graph=None) -> int:
    """Reference (flavor = oracle) vs oracle on every op output the oracle exposes; returns how many compared."""
    graph = graph or read_model(path)
    ours = run(graph, x, oracle)
    theirs = run_oracle(path, x, oracle, [op.output for op in graph.ops])
    compared = 0
    for op in graph.ops:
        if op.output not in theirs:
            continue
        expected, got = theirs[op.output], ours[op.output]
        assert got.shape == expected.shape, f"op {op.index} {op.op_type}: shape {got.shape} vs {expected.shape}"
        bad = np.argwhere(got != expected)
        assert len(bad) == 0, (f"{path.name} op {op.index} {op.op_type} vs {oracle}: {len(bad)} mismatches, first at "
                               f"{tuple(bad[0])}: expected {expected[tuple(bad[0])]}, got {got[tuple(bad[0])]}")
        compared += 1
    assert compared > 0
    return compared


@pytest.fixture(scope="session")
def effnet():
    return read_model(EFFNET)


@pytest.fixture(scope="session")
def golden_inputs(effnet):
    return load_inputs([str(GOLDEN_INPUTS)], effnet.input)
