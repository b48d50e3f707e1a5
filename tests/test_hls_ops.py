"""Layer engine csim, op by op, on the small single-op models (bit-exact against the numpy reference).

One compiled testbench per (flavor, config) serves every model (descriptors, parameter image and vectors are
read at run time), so the whole module compiles at most three binaries.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyflow.errors import FlowError
from pyflow.hls.codegen import generate
from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import hls_include_dir, run_csim
from pyflow.tflite_reader import read_model

MODELS = Path(__file__).resolve().parent / "models"
SMALL = EngineConfig(pi=8, po=8, axi_bits=64)

# model, what it covers on the engine (channels not multiples of 16, odd sizes, stride 2, SAME/VALID, ...)
ENGINE_CASES = [
    "conv_1x1",                  # pointwise fast path, 20 -> 37 channels
    "conv_3x3_s1_same_odd",      # 13x15 odd map, non-zero input zero point (padding = zero point)
    "conv_3x3_s2_same",          # stem-like 3x3 s2 SAME, 3 input channels
    "conv_5x5_s2_valid",         # 5x5 s2 VALID
    "conv_3x3_dilated",          # dilation 2
    "conv_7x7_s2_same",          # 7x7 window: 7 kernel rows of 7 taps in the band
    "wide_strip",                # 5x700: conv in 4 row segments per row, depthwise in 2 strips
    "dwconv_3x3_s1_same",
    "dwconv_3x3_s2_same",
    "dwconv_5x5_s1_same",
    "dwconv_5x5_s2_same",
    "dwconv_5x5_valid_mult2",    # depth multiplier 2, VALID
    "dwconv_7x7_s2_same",        # 7x7: 4 tap blocks per word, load-then-compute steps (span + stride > rows)
    "dwconv_3x3_mult3",          # depth multiplier 3
    "dwconv_3x3_dilated",        # dilation 2
    "fc_per_channel",
    "fc_per_tensor",
    "add_relu6",                 # conv, conv, ADD with different input scales
    "avgpool_3x3_s2_same",
    "avgpool_2x2_valid",
    "avgpool_global",
    "maxpool_3x3_s2_same",
    "maxpool_2x2_valid",
    "maxpool_global",            # global path: one burst, partial sums per channel word
    "mean_spatial",
    "mean_spatial_nokeepdims",
]
HOST_CASES = {  # model -> op types that must have run on the host
    "pad": {"PAD"},
    "reshape": {"RESHAPE"},
    "concat": {"CONCATENATION"},
    "uint8_io": {"QUANTIZE"},
    "softmax": {"SOFTMAX"},
    "mixed_small_net": {"SOFTMAX"},  # stem s2, expand/dw/project + residual, mean, dense on the engine
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("csim_cache")


def _inputs(name: str, seed: int = 7, count: int = 2) -> np.ndarray:
    graph = read_model(MODELS / f"{name}.tflite")
    info = np.iinfo(graph.input.dtype)
    rng = np.random.default_rng(seed)
    body = rng.integers(info.min, info.max + 1, (count,) + tuple(graph.input.shape[1:]))
    return body.astype(graph.input.dtype)


def _run(name, tmp_path, cache_dir, flavor="litert", config=EngineConfig()):
    return run_csim(MODELS / f"{name}.tflite", tmp_path / name, _inputs(name), flavor=flavor, config=config,
                    log=lambda *_: None, cache_dir=cache_dir)


@pytest.mark.parametrize("name", ENGINE_CASES)
def test_engine_op_bit_exact(name, tmp_path, cache_dir):
    result = _run(name, tmp_path, cache_dir)
    assert result.passed, "\n".join(im.stdout for im in result.images)
    assert len(result.images) == 2
    for im in result.images:
        assert im.layers and all((r.where, r.result) in (("engine", "PASS"), ("fused", "FUSED")) for r in im.layers)
        assert im.stdout.strip().splitlines()[-1] == "TB RESULT: PASS"


@pytest.mark.parametrize("name", ["fc_per_channel", "fc_per_tensor", "conv_3x3_s2_same", "dwconv_5x5_s2_same",
                                  "add_relu6", "mean_spatial", "mixed_small_net"])
def test_engine_op_bit_exact_tflm(name, tmp_path, cache_dir):
    result = _run(name, tmp_path, cache_dir, flavor="tflm")
    assert result.passed, "\n".join(im.stdout for im in result.images)


@pytest.mark.parametrize("name", ["conv_1x1", "conv_3x3_s1_same_odd", "dwconv_5x5_valid_mult2", "fc_per_channel",
                                  "add_relu6", "avgpool_3x3_s2_same", "dwconv_7x7_s2_same", "dwconv_3x3_mult3",
                                  "wide_strip"])
def test_engine_op_bit_exact_8x8(name, tmp_path, cache_dir):
    result = _run(name, tmp_path, cache_dir, config=SMALL)
    assert result.passed, "\n".join(im.stdout for im in result.images)


@pytest.mark.parametrize("name", sorted(HOST_CASES))
def test_host_ops(name, tmp_path, cache_dir):
    result = _run(name, tmp_path, cache_dir)
    assert result.passed, "\n".join(im.stdout for im in result.images)
    on_host = {r.op for r in result.layers if r.where == "host"}
    assert on_host == HOST_CASES[name]


@pytest.mark.parametrize("name, match", [("add_two_inputs", "2 inputs")])
def test_unsupported_models_are_flow_errors(name, match, tmp_path):
    with pytest.raises(FlowError, match=match):
        generate(read_model(MODELS / f"{name}.tflite"), tmp_path, EngineConfig(), "litert")


def _float_inputs(graph) -> np.ndarray:
    """float32 images for float_io: uniform in [-1.5, 1.5], exact .5 ties of the input scale, edge values."""
    shape = tuple(graph.input.shape[1:])
    scale = np.float32(graph.ops[0].params.output_scale)
    rng = np.random.default_rng(11)
    uniform = rng.uniform(-1.5, 1.5, (2,) + shape).astype(np.float32)
    k = rng.integers(-200, 200, shape)  # beyond the int8 range too (clamped ties)
    ties = ((k + 0.5).astype(np.float32) * scale).astype(np.float32)
    edges = rng.choice(np.array([0.0, -0.0, 1.5, -1.5, 0.5 * scale, -0.5 * scale, 1.5 * scale, -1.5 * scale,
                                 127.5 * scale, -128.5 * scale, 1.0e30, -1.0e30], np.float32), shape)
    return np.concatenate([uniform, ties[None], edges[None]]).astype(np.float32)


@pytest.mark.parametrize("flavor", ["litert", "tflm"])
def test_float_io_quantize_dequantize_on_host(flavor, tmp_path, cache_dir):
    """QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 run on the csim host, bit-exact."""
    graph = read_model(MODELS / "float_io.tflite")
    x = _float_inputs(graph)
    scale = np.float32(graph.ops[0].params.output_scale)
    quotient = x[2] / scale  # float32 division, as QUANTIZE computes it
    assert np.count_nonzero(np.abs(quotient - np.trunc(quotient)) == 0.5) > 100  # exact ties are exercised
    result = run_csim(MODELS / "float_io.tflite", tmp_path / "float_io", x, flavor=flavor, log=lambda *_: None,
                      cache_dir=cache_dir, dump=True)
    assert result.passed, "\n".join(im.stdout for im in result.images)
    assert len(result.images) == len(x)
    for im in result.images:
        assert [(r.op, r.where, r.result) for r in im.layers] == [
            ("QUANTIZE", "host", "PASS"), ("CONV_2D", "engine", "PASS"), ("DEQUANTIZE", "host", "PASS")]
        assert [r.bytes for r in im.layers] == [9 * 7 * 5, 9 * 7 * 7, 9 * 7 * 7 * 4]  # float32: 4 bytes/element
    # the testbench's own float32 output equals the reference's, bit for bit
    from pyflow.reference.runner import run as run_reference
    out = graph.ops[-1].output
    expected = run_reference(graph, x, flavor)[out]
    for k in range(len(x)):
        got = np.fromfile(tmp_path / "float_io" / "hls" / "vectors" / str(k) / "csim_out" / f"tensor_{out}.bin",
                          "<f4").reshape(expected.shape[1:])
        assert got.tobytes() == np.ascontiguousarray(expected[k], "<f4").tobytes()


def test_float_model_input_must_be_float32(tmp_path):
    x = _float_inputs(read_model(MODELS / "float_io.tflite"))
    with pytest.raises(FlowError, match="float32"):
        run_csim(MODELS / "float_io.tflite", tmp_path, x.astype(np.float64), log=lambda *_: None)


def test_float_tensors_are_dense_in_layers_and_arena(tmp_path):
    graph = read_model(MODELS / "float_io.tflite")
    pl = generate(graph, tmp_path, EngineConfig(), "litert")
    bb = pl.config.bus_bytes
    lines = [line.split() for line in (tmp_path / "layers.txt").read_text().splitlines() if line.startswith("layer")]
    quant, deq = (dict(kv.split("=", 1) for kv in line[1:]) for line in (lines[0], lines[2]))
    assert quant["name"] == "QUANTIZE" and quant["where"] == "host" and quant["in_float"] == "1"
    assert deq["name"] == "DEQUANTIZE" and deq["where"] == "host" and deq["out_float"] == "1"
    assert np.array(int(quant["scale_bits"]), "<u4").view("<f4") == np.float32(graph.ops[0].params.output_scale)
    assert np.array(int(deq["scale_bits"]), "<u4").view("<f4") == np.float32(graph.ops[2].params.scale)
    # float32 input: 9*7*5*4 bytes dense, then int8 maps with channels padded per pixel; guard words around each
    from pyflow.hls.codegen import GUARD_WORDS
    assert pl.tensor_addr[graph.inputs[0]] == GUARD_WORDS
    assert pl.tensor_addr[graph.ops[0].output] == GUARD_WORDS + -(-9 * 7 * 5 * 4 // bb) + GUARD_WORDS


def test_generation_is_deterministic(tmp_path):
    graph = read_model(MODELS / "add_relu6.tflite")
    outputs = []
    for k in range(2):
        generate(graph, tmp_path / str(k), EngineConfig(), "litert")
        outputs.append({p.relative_to(tmp_path / str(k)): p.read_bytes()
                        for p in sorted((tmp_path / str(k)).rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]
    assert {str(p) for p in outputs[0]} == {"include/engine_config.h", "include/engine_desc.h", "include/engine_depth.h",
                                            "include/engine_loops.h", "memory_map.h", "layers.txt", "ddr_image.bin",
                                            "register_map.md"}


@pytest.mark.parametrize("kwargs", [dict(pi=12), dict(po=8, axi_bits=256), dict(axi_bits=96), dict(xbuf_bytes=100),
                                    dict(dw_tb=4), dict(dw_rows=3), dict(max_cout=100),
                                    dict(pi=64, po=64, xbuf_bytes=1 << 20)])
def test_invalid_config_is_rejected(kwargs):
    with pytest.raises(FlowError):
        EngineConfig(**kwargs).validate()


def test_layer_that_does_not_fit_the_buffers_is_rejected(tmp_path):
    graph = read_model(MODELS / "conv_1x1.tflite")
    with pytest.raises(FlowError, match="max_cout"):
        generate(graph, tmp_path, EngineConfig(max_cout=16), "litert")


def test_include_dir_has_ap_types():
    path, source = hls_include_dir()
    assert (path / "ap_int.h").is_file() and source in ("XILINX_HLS", "hls4ml")


def test_compiler_errors_are_flow_errors(tmp_path, monkeypatch):
    fake = tmp_path / "fake-gxx"
    fake.write_text("#!/bin/sh\necho 'engine.cpp:1:1: error: something is wrong' >&2\nexit 1\n")
    fake.chmod(0o755)
    graph = read_model(MODELS / "conv_1x1.tflite")
    generate(graph, tmp_path / "hls", EngineConfig(), "litert")
    from pyflow.hls.csim import compile_testbench
    monkeypatch.setenv("CXX", str(fake))
    with pytest.raises(FlowError, match="something is wrong"):
        compile_testbench(tmp_path / "hls", "litert", log=lambda *_: None)
    assert list((tmp_path / "hls" / "csim").iterdir()) == []  # no object file left behind
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    with pytest.raises(FlowError, match="not found"):
        compile_testbench(tmp_path / "hls", "litert", log=lambda *_: None)


def test_memory_map_header_compiles(tmp_path):
    import subprocess
    generate(read_model(MODELS / "add_relu6.tflite"), tmp_path / "hls", EngineConfig(), "litert")
    src = tmp_path / "mm.cpp"
    src.write_text('#include "memory_map.h"\nint main() { layer_desc_t d; pyflow_layer_desc(2, d);\n'
                   '  return d.conv_on && d.add_on && pyflow_layer_on_engine(2) && MM_NUM_LAYERS == 3 ? 0 : 1; }\n')
    include, _ = hls_include_dir()
    root = Path(__file__).resolve().parents[1]
    subprocess.run(["g++", "-std=c++14", "-w", "-I", str(root / "hls" / "src"), "-I", str(tmp_path / "hls"),
                    "-I", str(tmp_path / "hls" / "include"), "-I", str(include), str(src), "-o",
                    str(tmp_path / "mm")], check=True)
    assert subprocess.run([str(tmp_path / "mm")]).returncode == 0


@pytest.mark.parametrize("flavor", ["litert", "tflm"])
def test_host_softmax_many_rows(flavor, tmp_path, cache_dir):
    name = "softmax"
    result = run_csim(MODELS / f"{name}.tflite", tmp_path / name, _inputs(name, seed=3, count=12), flavor=flavor,
                      log=lambda *_: None, cache_dir=cache_dir)
    assert result.passed and len(result.images) == 12


def test_pool_window_entirely_in_padding_is_rejected():
    from pyflow.model_checks import pool_windows
    with pytest.raises(FlowError, match="lies wholly outside"):  # 1x1 window at (0, 0) sits in the padding only
        pool_windows("op 0 AVERAGE_POOL_2D", (2, 2), (3, 3), (1, 1), (1, 1), (1, 1))
    pool_windows("op 0 AVERAGE_POOL_2D", (2, 2), (2, 2), (3, 3), (1, 1), (1, 1))  # 3x3 SAME: every window has a tap


def test_window_that_fits_no_buffer_is_rejected_naming_it(tmp_path):
    graph = read_model(MODELS / "conv_5x5_s2_valid.tflite")
    with pytest.raises(FlowError, match="xbuf_bytes"):
        generate(graph, tmp_path, EngineConfig(xbuf_bytes=16), "litert")


def test_layers_text_has_no_unused_input_line(tmp_path):
    generate(read_model(MODELS / "add_relu6.tflite"), tmp_path, EngineConfig(), "litert")
    kinds = {line.split()[0] for line in (tmp_path / "layers.txt").read_text().splitlines() if line.strip()}
    assert kinds == {"#", "arena", "layer"}


@pytest.mark.parametrize("flavor", ["litert", "tflm"])
def test_the_engine_compiles_without_warnings(flavor, tmp_path):
    """-Wall -Wextra (only the Xilinx headers' own noise and HLS loop labels / pragmas are off: csim.CXX_QUIET)."""
    from pyflow.hls.csim import compile_testbench
    generate(read_model(MODELS / "mixed_small_net.tflite"), tmp_path, EngineConfig(), flavor)
    messages = []
    compile_testbench(tmp_path, flavor, log=messages.append, cache_dir=tmp_path / "c")
    assert not [m for m in messages if "warning" in m], messages


def test_compile_leaves_no_object_files(tmp_path):
    from pyflow.hls.csim import compile_testbench
    generate(read_model(MODELS / "add_relu6.tflite"), tmp_path, EngineConfig(), "litert")
    binary, compiled, _ = compile_testbench(tmp_path, "litert", log=lambda *_: None, cache_dir=tmp_path / "c")
    assert compiled and [p.name for p in (tmp_path / "c").iterdir()] == [binary.name]
    assert compile_testbench(tmp_path, "litert", log=lambda *_: None, cache_dir=tmp_path / "c")[1] is False
