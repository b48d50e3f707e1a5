"""Any feature-map size on the engine with the default configuration: EfficientNet-lite0's weights at the input
sizes of the lite family (240..300), a camera frame and a strip, resized without TensorFlow
(pyflow.model_resize); the resized models are checked against LiteRT first, then run in csim bit-exact."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyflow.errors import FlowError
from pyflow.hls.csim import run_csim
from pyflow.model_resize import parse_size, resize_input, resize_model
from pyflow.tflite_reader import read_model

from conftest import EFFNET, MODELS, assert_matches_oracle
from csim_checks import assert_within_loop_table

SIZES = [(240, 240), (260, 260), (280, 280), (300, 300), (160, 288), (24, 640)]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sizes_cache")


@pytest.mark.parametrize("size", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
def test_efficientnet_lite0_at_other_sizes_is_bit_exact(size, tmp_path, cache_dir):
    h, w = size
    path = resize_model(EFFNET, h, w, tmp_path / f"lite0_{h}x{w}.tflite")
    graph = read_model(path)
    assert graph.input.shape == (1, h, w, 3) and graph.tensor(graph.ops[-1].output).shape == (1, 1000)
    x = np.random.default_rng(h * w).integers(-128, 128, (1, h, w, 3)).astype(np.int8)
    if (h, w) in ((300, 300), (160, 288)):  # the patched file is a valid model: LiteRT agrees on every tensor
        assert assert_matches_oracle(path, x, "litert", graph) == 60
    result = run_csim(path, tmp_path / "build", x, log=lambda *_: None, cache_dir=cache_dir)
    assert result.passed, "\n".join(result.images[0].stdout.splitlines()[-20:])
    assert len(result.layers) == 60 and {r.where for r in result.layers} == {"engine", "fused"}
    assert_within_loop_table(result.layers)


def test_resize_keeps_weights_and_global_pooling(tmp_path):
    data = EFFNET.read_bytes()
    resized = resize_input(data, 300, 300)
    assert len(resized) == len(data)
    a, b = read_model(EFFNET), read_model(resize_model(EFFNET, 300, 300, tmp_path / "x.tflite"))
    assert np.array_equal(a.ops[0].params.weights, b.ops[0].params.weights)
    pool = next(op for op in b.ops if op.op_type == "AVERAGE_POOL_2D")
    assert pool.params.filter == (10, 10)  # 300 / 32 rounded up: global again


def test_resize_errors():
    with pytest.raises(FlowError, match="only models whose RESHAPE"):
        resize_input((MODELS / "reshape.tflite").read_bytes(), 9, 7)  # Flatten -> Dense changes size
    with pytest.raises(FlowError, match="must be positive"):
        resize_input(EFFNET.read_bytes(), 0, 10)
    for bad in ("x", "0", "3x4x5", "-2"):
        with pytest.raises(FlowError, match="is not N or HxW"):
            parse_size(bad)
    assert parse_size("300") == (300, 300) and parse_size("160x288") == (160, 288)
