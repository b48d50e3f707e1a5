"""pyflow.estimate: the model's per-layer pipelined-loop iteration counts equal what the csim testbench counts
(small single-op models and the whole EfficientNet-lite0, 16x16/128-bit and 8x8/64-bit), plus the overlap model,
totals, resources, the per-loop table, csynth side by side, JSON, plot and what-if."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pyflow.errors import FlowError
from pyflow.estimate import (Assumptions, estimate, format_estimate, format_loops, iteration_counts, plot_estimate,
                             format_what_if, plot_what_if, to_json, what_if, write_estimate_json)
from pyflow.estimate.whatif import best_row
from pyflow.estimate.cycles import Timing, pipeline_cycles
from pyflow.estimate.resources import bram18, uram
from pyflow.hls.codegen import plan
from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import run_csim
from pyflow.hls.loops import COUNTERS, LOOPS
from pyflow.tflite_reader import read_model

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "models"
EFFNET = ROOT / "models" / "efficientnet-lite0-int8.tflite"
CONFIGS = {"16x16": EngineConfig(), "8x8": EngineConfig(pi=8, po=8, axi_bits=64)}
SMALL_MODELS = ["conv_1x1", "conv_3x3_s1_same_odd", "conv_3x3_s2_same", "conv_5x5_s2_valid", "conv_3x3_dilated",
                "dwconv_3x3_s2_same", "dwconv_5x5_s1_same", "dwconv_5x5_valid_mult2", "fc_per_channel",
                "fc_per_tensor", "add_relu6", "avgpool_3x3_s2_same", "maxpool_2x2_valid", "mean_spatial",
                "mixed_small_net", "breadth/mul_se", "breadth/mul_same", "breadth/add_broadcast"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("estimate_csim_cache")


def _random_input(graph, seed=3):
    info = np.iinfo(graph.input.dtype)
    rng = np.random.default_rng(seed)
    return rng.integers(info.min, info.max + 1, tuple(graph.input.shape[1:])).astype(graph.input.dtype)


def _assert_counts_match(graph, result, config, flavor):
    est = estimate(graph, config, "ZCU104", flavor=flavor)
    assert result.passed, result.images[0].stdout
    assert len(result.layers) == len(est.layers)
    for model_layer, csim_layer in zip(est.layers, result.layers):
        assert model_layer.index == csim_layer.layer and model_layer.op == csim_layer.op
        assert set(csim_layer.iterations) == {c[5:] for c in COUNTERS}
        assert model_layer.iterations == csim_layer.iterations, (model_layer.index, model_layer.op)
    return est


@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("name", SMALL_MODELS)
def test_loop_counts_equal_csim_small_models(name, config_name, tmp_path, cache_dir):
    graph = read_model(MODELS / f"{name}.tflite")
    config = CONFIGS[config_name]
    flavor = "tflm" if config_name == "8x8" else "litert"  # also covers the FC double-scale table (litert)
    result = run_csim(MODELS / f"{name}.tflite", tmp_path, _random_input(graph), flavor=flavor, config=config,
                      log=lambda *_: None, cache_dir=cache_dir)
    _assert_counts_match(graph, result, config, flavor)


@pytest.fixture(scope="module")
def effnet():
    return read_model(EFFNET)


@pytest.mark.slow
@pytest.mark.parametrize("config_name", list(CONFIGS))
def test_loop_counts_equal_csim_efficientnet(config_name, effnet, tmp_path, cache_dir):
    from pyflow.inputs import load_inputs

    photo = load_inputs([str(ROOT / "golden" / "inputs" / "chelsea.png")], effnet.input)[0].data  # int8
    config = CONFIGS[config_name]
    result = run_csim(EFFNET, tmp_path, photo, config=config, log=lambda *_: None, cache_dir=cache_dir)
    est = _assert_counts_match(effnet, result, config, "litert")
    assert len(est.layers) == 60 and {L.where for L in est.layers} == {"engine", "fused"}


def test_iteration_counts_by_hand_for_the_stem(effnet):
    cfg = EngineConfig(fuse=False, stem_s2d=False)  # PI = PO = 16, one bus word per slice; the stem as in the file
    layer = plan(effnet, cfg, "litert").layers[0]  # 3x3 s2 conv 224x224x3 -> 112x112x32, SAME
    f = layer.fields
    assert (f["conv_on"], f["dw_on"], f["add_on"]) == (1, 0, 0)
    # a window = 3 kernel rows of 3 taps x 1 word: 3 segments of 3 words, one word per slice: 9 slices
    assert (f["pointwise"], f["seg_words"], f["chunks"], f["slices"], f["tiles"]) == (0, 3, 3, 9, 2)
    # blocks: whole output rows (the band of 3 x 225 columns fits), 112 of them
    assert (f["blk"], f["segs"], f["n_blocks"]) == (112, 1, 112)
    it = iteration_counts(layer, cfg)
    pixels = 112 * 112
    assert it["CONV_GATHER"] == pixels * 9
    # blocks x (the first slice's W_PART = 4 words + tiles x slices x max(112 pixels, W_PART 4, 16))
    assert it["CONV_MAC"] == 112 * (4 + 2 * 9 * 112)
    # the 2 x 9 slices of 16 x 16 bytes per block, as four parts of 4 words (one per weight loader)
    assert it["CONV_W_LOAD"] == 112 * 2 * 9 * 4 * 4
    assert it["CONV_EMIT"] == it["PIPE_COPY"] == it["PIPE_WRITE"] == pixels * 2
    # SAME, stride 2: pad_top 0, pad_left 0. Each block (an output row) is loaded in two halves of 56 pixels,
    # each through its own band of 55 * 2 + 3 = 113 columns: half 0 reads input columns 0..112, half 1 columns
    # 112..224, and column 224 is padding. Per in-image kernel row: 113 + 112 words loaded, 1 padded; a kernel row
    # below the image (row 224: only at oy = 111, ky = 2) is 2 x 113 padding words. The band rolls (whole rows,
    # stride 2 < 3 kernel rows): block 0 loads kernel rows 0..2, every later block only rows 1 and 2.
    assert f["band_roll"] == 1
    rows = [(oy, ky) for oy in range(112) for ky in (range(3) if oy == 0 else (1, 2))]
    rows_inside = sum(0 <= 2 * oy + ky < 224 for oy, ky in rows)
    assert it["CONV_BAND_LOAD"] == rows_inside * (113 + 112)
    assert it["CONV_BAND_PAD"] == rows_inside * 1 + (len(rows) - rows_inside) * 2 * 113
    assert it["TBL_LOAD"] == 2 * (4 + 4 + 1)  # 2 entries of bias, multiplier (4 words each) and shift (1 word)


def test_iteration_counts_by_hand_for_the_space_to_depth_stem(effnet):
    cfg = EngineConfig(fuse=False)  # PI = PO = 16
    layer = plan(effnet, cfg, "litert").layers[0]  # the stem over 2x2 blocks: 2x2 s1 conv 112x112x12 -> 112x112x32
    f = layer.fields
    assert (f["in_h"], f["in_w"], f["in_c"], f["k_h"], f["k_w"], f["stride_h"], f["pad_top"], f["pad_left"]) == \
        (112, 112, 12, 2, 2, 1, 0, 0)
    # a window = 2 kernel rows of 2 taps x 1 word: 2 segments of 2 words, one word per slice: 4 slices
    assert (f["pointwise"], f["seg_words"], f["chunks"], f["slices"], f["tiles"]) == (0, 2, 2, 4, 2)
    assert (f["blk"], f["segs"], f["n_blocks"]) == (112, 1, 112)
    it = iteration_counts(layer, cfg)
    pixels = 112 * 112
    assert it["CONV_GATHER"] == pixels * 4
    assert it["CONV_MAC"] == 112 * (4 + 2 * 4 * 112)
    assert it["CONV_W_LOAD"] == 112 * 2 * 4 * 4 * 4
    assert it["CONV_EMIT"] == it["PIPE_WRITE"] == pixels * 2
    # halves of 56 pixels, each band 55 + 2 = 57 columns: half 0 reads block columns 0..56, half 1 columns
    # 56..112, column 112 is padding. The band rolls (whole rows, stride 1 < 2 kernel rows): block 0 loads block
    # rows 0 and 1, block oy > 0 only row oy + 1; the row below the image (row 112, at oy = 111) is 2 x 57 padding
    assert f["band_roll"] == 1
    rows_inside = 2 + 110
    assert it["CONV_BAND_LOAD"] == rows_inside * (57 + 56)
    assert it["CONV_BAND_PAD"] == rows_inside * 1 + 2 * 57


def test_dataflow_overlap_is_the_slowest_stage_per_block(effnet):
    cfg = EngineConfig(fuse=False)
    layer = plan(effnet, cfg, "litert").layers[3]  # 1x1 16 -> 96 on 112x112: many blocks
    a = Assumptions()
    lc = pipeline_cycles(layer, cfg, Timing.of(cfg), a, 61.0)
    assert layer.fields["n_blocks"] > 10
    assert lc.cycles < sum(lc.stages[k] for k in ("load", "weights", "mac", "emit", "store"))  # overlapped
    assert lc.cycles >= max(lc.stages[k] for k in ("load", "weights", "mac", "emit", "store", "ddr"))
    slow = pipeline_cycles(layer, cfg, Timing.of(cfg), Assumptions(axi_write_latency=5000), 61.0)
    assert slow.bound == "store" and slow.cycles > lc.cycles


def test_fusion_keeps_the_expanded_tensors_out_of_ddr(effnet):
    fused, plain = estimate(effnet, EngineConfig(), "ZCU104"), estimate(effnet, EngineConfig(fuse=False), "ZCU104")
    assert sum(L.where == "fused" for L in fused.layers) == 25  # the stem, 15 expand convs, 9 project convs + ADD
    assert fused.totals()["ddr_bytes"] < 0.75 * plain.totals()["ddr_bytes"]
    assert fused.latency_ms < plain.latency_ms


def test_efficientnet_totals_on_zcu104(effnet):
    est = estimate(effnet, EngineConfig(), "ZCU104")
    t = est.totals()
    assert est.clock_mhz == 250 and est.board.part == "xczu7ev-ffvc1156-2-e"  # the preset's clock
    assert t["macs"] == 385_187_552
    assert est.steps == 35  # 60 ops, 25 fused into the step after them
    assert t["latency_ms"] == pytest.approx(t["cycles"] / 250e3 + est.steps * est.assumptions.host_us_per_layer / 1e3)
    assert t["images_per_s"] == pytest.approx(1000 / t["latency_ms"])
    assert t["floor_mac_ms"] < t["engine_ms"] and t["floor_ddr_ms"] < t["engine_ms"]
    assert t["min_ddr_bytes"] <= t["ddr_bytes"]
    assert all(0 <= L.utilization <= 1 for L in est.layers)
    # the conv layers with many output tiles keep the MAC array busy: MAC-bound at > 80 % utilization
    assert est.layers[57].bound == "mac" and est.layers[57].utilization > 0.8
    r = est.resources
    assert r.dsp["conv MAC array (16 x 16 int8, two per DSP48E2)"] == 128 and r.fits
    text = format_estimate(est)
    assert "ms/image" in text and "DATAFLOW" in text and "DEPTHWISE_CONV_2D" in text and "fits ZCU104" in text


def test_resources_scale_with_the_config(effnet):
    small = estimate(effnet, CONFIGS["8x8"], "ZCU104").resources
    big = estimate(effnet, EngineConfig(pi=32, po=32), "ZCU104").resources
    assert small.dsp["conv MAC array (8 x 8 int8, two per DSP48E2)"] == 32
    assert big.dsp["conv MAC array (32 x 32 int8, two per DSP48E2)"] == 512
    assert bram18(256, 8) == 1 and bram18(2048, 32) == 4 and bram18(512, 72) == 2 and uram(4096, 128) == 2
    tflm = estimate(effnet, EngineConfig(), "ZCU104", flavor="tflm").resources
    assert tflm.totals["DSP"] < estimate(effnet, EngineConfig(), "ZCU104").resources.totals["DSP"]


def test_per_loop_table_lists_every_loop_with_its_ii():
    text = format_loops(EngineConfig())
    for loop in LOOPS:
        assert loop.labels[0] in text
    assert all(loop.ii == 1 for loop in LOOPS)  # every pipelined loop of the engine is meant to run at II 1
    measured = {"CONV_MAC": {"acc": [1, 1], "xbuf": [1, 0]}}
    assert "csim: acc 1R/1W, xbuf 1R/0W" in format_loops(EngineConfig(), measured)


def test_csynth_loops_replace_the_table_and_show_side_by_side(effnet):
    csynth = {"top": "engine_top", "latency_cycles": {"best": 10, "avg": None, "worst": 999},
              "clock": {"estimated_ns": 3.1, "estimated_fmax_mhz": 322.6},
              "resources": {"used": {"BRAM_18K": 300, "DSP": 900, "FF": 1, "LUT": 2, "URAM": 0}},
              "loops": [{"module": "engine_top_Pipeline_CONV_MAC", "name": "CONV_MAC", "path": "CONV_MAC",
                         "level": 0, "trip_count_min": 1, "trip_count_max": 256, "latency_min": 9,
                         "latency_max": 264, "iteration_latency": 9, "ii": 2, "pipeline_depth": 9}]}
    base = estimate(effnet, EngineConfig(), "ZCU104")
    est = estimate(effnet, EngineConfig(), "ZCU104", csynth={"stage": "csynth", "report": csynth})
    assert est.timing.source["CONV_MAC"] == "csynth" and est.timing.source["DW_STEP"] == "table"
    assert est.timing.ii["CONV_MAC"] == 2 and est.cycles > base.cycles
    text = format_estimate(est)
    assert "csynth vs the per-loop table" in text and "1~256" in text and "900" in text


def test_json_and_plot(effnet, tmp_path):
    est = estimate(effnet, EngineConfig(), "ZCU104")
    path = write_estimate_json(est, tmp_path / "reports" / "estimate.json")
    data = json.loads(path.read_text())
    assert data["totals"]["cycles"] == est.cycles and len(data["layers"]) == 60
    assert data["layers"][0]["iterations"]["CONV_GATHER"] == est.layers[0].iterations["CONV_GATHER"]
    assert {loop["id"] for loop in data["loops"]} == set(COUNTERS)
    assert json.loads(json.dumps(to_json(est))) == data
    png = plot_estimate(est, tmp_path / "estimate.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_a_flow_error(effnet, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    est = estimate(effnet, CONFIGS["8x8"], "KV260")
    with pytest.raises(FlowError, match="pip install matplotlib"):
        plot_estimate(est, tmp_path / "x.png")
    assert est.clock_mhz == est.board.clock_mhz  # the board's default clock


def test_what_if_design_space(effnet, tmp_path):
    rows = what_if(effnet, "ZCU104")
    by = {(r["config"], r["clock_mhz"]): r for r in rows}
    assert len(by) == len(rows) == 7 * 3 * 2 * 2  # arrays x memory profiles x fusion x clocks
    big, small = by[("32x32/128 fused big/lut", 250.0)], by[("16x16/128 fused big/lut", 250.0)]
    assert big["latency_ms"] < small["latency_ms"] and big["DSP"] > small["DSP"]
    assert by[("32x32/128 unfused big/lut", 250.0)]["latency_ms"] > big["latency_ms"]  # fusion pays
    assert by[("32x32/128 fused big/lut", 200.0)]["latency_ms"] > big["latency_ms"]  # the slower clock
    assert by[("32x32/128 fused big/dsp", 250.0)]["DSP"] > big["DSP"]  # depthwise taps in DSPs
    fit = [r for r in rows if r["fits"]]
    assert all(max(estimate(effnet, EngineConfig(pi=r["pi"], po=r["po"], axi_bits=r["axi_bits"], fuse=r["fuse"]),
                            "ZCU104", r["clock_mhz"]).resources.utilization.values()) <= 0.85
               for r in fit if r["config"].endswith("big/lut"))
    best = best_row(rows)
    assert best["fits"] and best["pareto"] and best["latency_ms"] == min(r["latency_ms"] for r in fit)
    front = [r for r in rows if r["pareto"]]
    for r in front:  # nothing that fits is faster with no more DSPs
        assert not any(o["latency_ms"] < r["latency_ms"] and o["DSP"] <= r["DSP"] for o in fit)
    assert f"best on ZCU104 (every resource within 85%): {best['config']}" in format_what_if(rows, "ZCU104")
    png = plot_what_if(rows, tmp_path / "what_if.png", "lite0 on ZCU104")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_what_if_on_small_boards_finds_what_fits(effnet):
    for board in ("KV260", "Ultra96-V2"):
        best = best_row(what_if(effnet, board))
        assert best is not None and best["fits"] and best["max_util"] <= 0.85, board


def test_estimate_errors(effnet):
    with pytest.raises(FlowError, match="unknown board"):
        estimate(effnet, EngineConfig(), "ZCU999")
    with pytest.raises(FlowError):
        estimate(effnet, EngineConfig(pi=3))
