"""csim of the ops beyond EfficientNet-lite: every breadth fixture and the three tf.keras.applications networks,
both flavors, every layer bit-exact against the reference (itself bit-exact with the oracles:
tests/test_breadth_reference.py), and each op where the plan says it runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MODELS, random_inputs
from pyflow.hls.codegen import plan
from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import run_csim
from pyflow.tflite_reader import read_model

CONFIG = EngineConfig(pi=16, po=16)
# fixture -> the op types that run on the host of the testbench (everything else on the engine)
# (same-shape and [1,1,1,C]-broadcast ADD / MUL run in the engine's writer: mul_same, mul_se, swish, add_broadcast)
HOST = {
    "add_broadcast": {"RESHAPE"}, "free_batch": {"RESHAPE"}, "hard_swish": {"HARD_SWISH"},
    "hard_swish_wide": {"HARD_SWISH"}, "leaky_relu": {"LEAKY_RELU"}, "logistic": {"LOGISTIC"},
    "maximum": {"MAXIMUM"}, "minimum": {"MINIMUM"}, "mul_same": set(), "mul_se": {"LOGISTIC"},
    "mul_spatial": {"LOGISTIC", "MUL"}, "relu": {"RELU"}, "relu6": {"RELU6"}, "relu_n1_to_1": {"RELU_N1_TO_1"},
    "sub_same": {"SUB"}, "sub_broadcast": {"SUB"}, "swish": {"LOGISTIC"},
    "squeeze_free_batch": {"ADD", "RESHAPE"},  # (its ADD has a constant operand)
    "resize_nearest": {"RESIZE_NEAREST_NEIGHBOR"},
    "resize_nearest_align_corners": {"RESIZE_NEAREST_NEIGHBOR"}, "resize_bilinear": {"RESIZE_BILINEAR"},
    "resize_bilinear_align_corners": {"RESIZE_BILINEAR"}, "transpose_conv_s2_same": {"TRANSPOSE_CONV"},
    "transpose_conv_s2_valid": {"TRANSPOSE_CONV"},
}
FLAVORS = {name: ("litert", "tflm") for name in HOST}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("csim_cache")


def _csim(path: Path, tmp_path: Path, cache_dir: Path, flavor: str, count: int):
    graph = read_model(path)
    return run_csim(path, tmp_path / path.stem, random_inputs(graph, count, seed=4), flavor=flavor, config=CONFIG,
                    log=lambda *_: None, cache_dir=cache_dir)


@pytest.mark.parametrize("name, flavor", [(n, f) for n in sorted(HOST) for f in FLAVORS[n]])
def test_breadth_op_csim(name, flavor, tmp_path, cache_dir):
    result = _csim(MODELS / "breadth" / f"{name}.tflite", tmp_path, cache_dir, flavor, 2)
    assert result.passed, "\n".join(im.stdout[-3000:] for im in result.images)
    extra = {"FULLY_CONNECTED"} if (name, flavor) == ("squeeze_free_batch", "litert") else set()  # 9 rows
    assert {r.op for r in result.layers if r.where == "host"} == HOST[name] | extra


@pytest.mark.slow
@pytest.mark.parametrize("flavor", ["litert", "tflm"])
@pytest.mark.parametrize("name, host", [("mobilenet_v1_050_160", {"RESHAPE"}),
                                         ("mobilenet_v3_small_128", {"HARD_SWISH", "MUL", "RESHAPE"}),
                                         ("efficientnet_b0_96", {"LOGISTIC", "RESHAPE"})])
def test_keras_applications_csim(name, host, flavor, tmp_path, cache_dir):
    result = _csim(MODELS / "keras_apps" / f"{name}.tflite", tmp_path, cache_dir, flavor, 1)
    assert result.passed, "\n".join(im.stdout[-3000:] for im in result.images)
    assert {r.op for r in result.layers if r.where == "host"} == host
    assert sum(r.where == "engine" for r in result.layers) >= 15  # steps: an expand conv and its depthwise are one


def test_multi_row_fc_runs_on_the_host_in_the_litert_flavor_only():
    """A 9-row FULLY_CONNECTED: the engine's LiteRT FC path (double requantization) takes one row, so the LiteRT
    flavor runs it on the host; the TFLM flavor runs it on the MAC array."""
    graph = read_model(MODELS / "breadth" / "squeeze_free_batch.tflite")
    where = {flavor: {L.name: L.where for L in plan(graph, CONFIG, flavor).layers} for flavor in ("litert", "tflm")}
    assert where["litert"]["FULLY_CONNECTED"] == "host" and where["tflm"]["FULLY_CONNECTED"] == "engine"
