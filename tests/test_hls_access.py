"""The csim-only checks of the engine: the on-chip access check (every pipelined loop stays within the ports its
arrays have at the II the per-loop table claims, and unrolled lanes keep their banks) and the arena's guard words
and padding lanes. Each is shown to hold on real layers and to fail on an engine built to break it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import run_csim
from pyflow.tflite_reader import read_model

from csim_checks import assert_within_loop_table

MODELS = Path(__file__).resolve().parent / "models"
# every engine unit: pointwise and windowed conv, FC (both requantizations), depthwise with and without a depth
# multiplier, ADD, pools, MEAN
MODELS_ALL_UNITS = ["conv_1x1", "conv_3x3_s2_same", "conv_3x3_dilated", "fc_per_channel", "dwconv_5x5_s2_same",
                    "dwconv_5x5_valid_mult2", "add_relu6", "avgpool_3x3_s2_same", "mean_spatial"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("access_cache")


def _input(name: str) -> np.ndarray:
    graph = read_model(MODELS / f"{name}.tflite")
    info = np.iinfo(graph.input.dtype)
    rng = np.random.default_rng(5)
    return rng.integers(info.min, info.max + 1, tuple(graph.input.shape[1:])).astype(graph.input.dtype)


@pytest.mark.parametrize("config", [EngineConfig(), EngineConfig(pi=64, po=32)], ids=["16x16", "64x32"])
def test_every_unit_stays_within_its_ports(config, tmp_path, cache_dir):
    checked = 0
    for name in MODELS_ALL_UNITS:
        result = run_csim(MODELS / f"{name}.tflite", tmp_path / name, _input(name), config=config,
                          log=lambda *_: None, cache_dir=cache_dir)
        assert result.passed, result.images[0].stdout
        checked += assert_within_loop_table(result.layers)
    assert checked >= 20


def test_a_runtime_indexed_lane_fails_the_access_check(tmp_path, cache_dir):
    """An engine whose line-buffer reads take a bank that rotates with the pixel: the check names the loop."""
    result = run_csim(MODELS / "dwconv_3x3_s1_same.tflite", tmp_path, _input("dwconv_3x3_s1_same"),
                      log=lambda *_: None, cache_dir=cache_dir, defines=["PYFLOW_FAULT_RUNTIME_LANE"])
    assert not result.passed
    out = result.images[0].stdout
    assert "ACCESS layer 0 DEPTHWISE_CONV_2D: loop DW_STEP, array lb" in out
    assert "lane bank not constant across iterations" in out
    row = result.layers[0]
    assert row.result != "PASS" and row.access_violations


@pytest.mark.parametrize("name, op", [("conv_1x1", "CONV_2D"), ("conv_3x3_s2_same", "CONV_2D"),
                                      ("dwconv_3x3_s2_same", "DEPTHWISE_CONV_2D"), ("avgpool_global", "AVERAGE_POOL_2D"),
                                      ("fc_per_channel", "FULLY_CONNECTED")])
def test_a_write_past_the_output_hits_a_guard_word(name, op, tmp_path, cache_dir):
    result = run_csim(MODELS / f"{name}.tflite", tmp_path, _input(name), log=lambda *_: None, cache_dir=cache_dir,
                      defines=["PYFLOW_FAULT_WRITE_PAST_END"])
    assert not result.passed
    out = result.images[0].stdout
    assert f"GUARD layer 0 {op}: guard word" in out and "after tensor" in out, out
    assert result.layers[0].result == "GUARD"  # the output itself is right: only the guard word is wrong


def test_garbage_in_the_padding_lanes_fails(tmp_path, cache_dir):
    # conv_1x1 has 37 output channels: lanes 5..15 of each pixel's third word are padding and must stay zero
    result = run_csim(MODELS / "conv_1x1.tflite", tmp_path, _input("conv_1x1"), log=lambda *_: None,
                      cache_dir=cache_dir, defines=["PYFLOW_FAULT_PAD_LANE"])
    assert not result.passed
    assert "GUARD layer 0 CONV_2D: padding lane 5 of pixel 0" in result.images[0].stdout
