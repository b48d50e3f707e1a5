"""The whole EfficientNet-lite0 on the layer engine in csim, bit-exact on every layer; fault injection;
two engine configurations giving identical outputs; the on-chip access check on every layer.

The expensive part (reference + csim of the full network) runs once per configuration per session.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import run_csim, run_testbench

from csim_checks import assert_within_loop_table

ROOT = Path(__file__).resolve().parents[1]
EFFNET = ROOT / "models" / "efficientnet-lite0-int8.tflite"
CONFIG_16 = EngineConfig()  # 16x16 MAC array, 128-bit AXI
CONFIG_8 = EngineConfig(pi=8, po=8, axi_bits=64)


def _photo() -> np.ndarray:
    """A real photo (skimage's chelsea, center-cropped to 224x224) quantized to the model's int8 input the one way
    the flow does it (pyflow.inputs.quantize_photo, mean 127 / std 128)."""
    try:
        from skimage import data
    except ImportError:  # pragma: no cover - random int8 fallback keeps the test TensorFlow/skimage free
        return np.random.default_rng(0).integers(-128, 128, (224, 224, 3)).astype(np.int8)
    from pyflow.images import center_crop_resize
    from pyflow.inputs import quantize_photo
    from pyflow.tflite_reader import read_model
    return quantize_photo(center_crop_resize(data.chelsea(), 224, 224), read_model(EFFNET).input, 127.0, 128.0)


@pytest.fixture(scope="module")
def photo():
    return _photo()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("effnet_csim_cache")


@pytest.fixture(scope="module")
def net16(tmp_path_factory, photo, cache_dir):
    build = tmp_path_factory.mktemp("effnet16")
    return run_csim(EFFNET, build, photo, config=CONFIG_16, log=lambda *_: None, cache_dir=cache_dir, dump=True)


@pytest.fixture(scope="module")
def net8(tmp_path_factory, photo, cache_dir):
    build = tmp_path_factory.mktemp("effnet8")
    return run_csim(EFFNET, build, photo, config=CONFIG_8, flavor="tflm", log=lambda *_: None, cache_dir=cache_dir,
                    dump=True)


def _layers_txt(result):
    rows = []
    for line in (result.build_dir / "layers.txt").read_text().splitlines():
        if line.startswith("layer "):
            rows.append({k: v for k, v in (tok.split("=", 1) for tok in line.split()[1:])})
    return rows


def test_whole_network_bit_exact_on_every_layer(net16):
    assert net16.passed, net16.images[0].stdout
    layers = net16.layers
    assert len(layers) == 60
    # everything in EfficientNet-lite0 runs on the engine: 35 steps, into which 25 ops are fused (the stem and 15
    # expand convs into their depthwise conv, 9 project convs into their residual ADD)
    assert all(r.result == "PASS" and r.mismatches == 0 for r in layers if r.where == "engine")
    assert [r.where for r in layers].count("engine") == 35
    assert all(r.result == "FUSED" for r in layers if r.where == "fused") and len(layers) - 35 == 25
    ops = [r.op for r in layers]
    assert ops.count("CONV_2D") == 33 and ops.count("DEPTHWISE_CONV_2D") == 16 and ops.count("ADD") == 9
    assert net16.images[0].stdout.strip().splitlines()[-1] == "TB RESULT: PASS"
    assert net16.run_seconds[0] < 20  # ~1.4 s on the reference machine


def test_two_configurations_give_identical_outputs(net16, net8):
    # net8 also uses the tflm flavor: identical everywhere except possibly the final FULLY_CONNECTED.
    assert net8.passed, net8.images[0].stdout
    out16 = net16.build_dir / "vectors" / "0" / "csim_out"
    out8 = net8.build_dir / "vectors" / "0" / "csim_out"
    files = sorted(p.name for p in out16.glob("tensor_*.bin"))
    assert len(files) == 35  # one output per step (fused ops have none)
    final = f"tensor_{[r for r in _layers_txt(net16)][-1]['out_tensor']}.bin"
    for name in files:
        if name != final:
            assert (out16 / name).read_bytes() == (out8 / name).read_bytes(), name


def test_every_layer_stays_within_the_loop_table(net16, net8):
    assert assert_within_loop_table(net16.layers) > 100
    assert assert_within_loop_table(net8.layers) > 100


@pytest.fixture
def scratch(net16, tmp_path):
    """A private copy of the generated build (descriptors, image, vectors) to corrupt."""
    copy = tmp_path / "hls"
    shutil.copytree(net16.build_dir, copy, ignore=shutil.ignore_patterns("csim_out", "csim"))
    return copy


def test_flipped_bit_in_an_expected_vector_fails_naming_the_layer(net16, scratch):
    layer = 18  # a step: the expand conv 17 is fused into this depthwise conv
    tensor = _layers_txt(net16)[layer]["out_tensor"]
    path = scratch / "vectors" / "0" / f"tensor_{tensor}.bin"
    data = bytearray(path.read_bytes())
    data[1234] ^= 0x10
    path.write_bytes(bytes(data))
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", "15:20")
    assert not im.passed and im.returncode != 0
    last = im.stdout.strip().splitlines()[-1]
    assert last.startswith("TB RESULT: FAIL") and f"layer {layer} DEPTHWISE_CONV_2D" in last
    assert f"MISMATCH layer {layer} DEPTHWISE_CONV_2D at NHWC" in im.stdout
    assert [r.layer for r in im.layers if r.result not in ("PASS", "FUSED")] == [layer]
    assert [r.layer for r in im.layers] == list(range(15, 20))


def test_uint8_photo_for_an_int8_model_is_rejected(tmp_path):
    from pyflow.errors import FlowError
    with pytest.raises(FlowError, match="does not match the model input int8"):
        run_csim(EFFNET, tmp_path, np.zeros((224, 224, 3), np.uint8), log=lambda *_: None)


def test_stale_report_is_not_read_back(net16, scratch):
    vec = scratch / "vectors" / "0"
    (vec / "csim_layers.jsonl").write_text('{"layer": 0, "op": "CONV_2D", "where": "engine", "bytes": 1, '
                                           '"mismatches": 0, "result": "PASS", "iterations": {}}\n')
    (scratch / "layers.txt").unlink()  # the testbench fails before it writes a report
    im = run_testbench(net16.binary, scratch, vec)
    assert not im.passed and im.layers == []
    assert not (vec / "csim_layers.jsonl").exists()


@pytest.mark.parametrize("bad", ["abc", "7", "5:5", "9:3", "0:61", "-1:4", "1:2:3", "x:4", "4:y", "3:-"])
def test_malformed_layer_range_fails_in_the_testbench(net16, scratch, bad):
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", bad)
    assert not im.passed and im.returncode != 0
    assert im.stdout.strip().splitlines()[-1].startswith("TB RESULT: FAIL bad --layers"), im.stdout


@pytest.mark.parametrize("good, expected", [("58:", [58, 59]), (":2", [0, 1]), (":", list(range(60)))])
def test_open_layer_ranges(net16, scratch, good, expected):
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", good)
    assert im.passed, im.stdout
    assert [r.layer for r in im.layers] == expected


def test_corrupted_requant_shift_in_the_ddr_image_fails(net16, scratch):
    layer = 12  # a project conv that runs as a step of its own
    desc = _layers_txt(net16)[layer]
    bus = CONFIG_16.bus_bytes
    image = bytearray((scratch / "ddr_image.bin").read_bytes())
    entries = -(-int(desc["out_c"]) // bus)  # the table set: bias, multiplier (int32), then shift (int8) entries
    offset = (int(desc["tbl_addr"]) + 2 * 4 * entries) * bus + 5  # the shift of output channel 5
    image[offset] = (image[offset] + 1) % 256
    (scratch / "ddr_image.bin").write_bytes(bytes(image))
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", f"{layer}:{layer + 1}")
    assert not im.passed
    assert "TB RESULT: FAIL" in im.stdout and f"layer {layer} CONV_2D" in im.stdout
    assert im.layers[0].mismatches > 0


def test_missing_vector_file_fails(net16, scratch):
    tensor = _layers_txt(net16)[5]["out_tensor"]
    (scratch / "vectors" / "0" / f"tensor_{tensor}.bin").unlink()
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", "5:6")
    assert not im.passed
    assert im.stdout.strip().splitlines()[-1].startswith("TB RESULT: FAIL")
    assert "missing vector file" in im.stdout


def test_short_vector_file_fails(net16, scratch):
    tensor = _layers_txt(net16)[58]["out_tensor"]
    path = scratch / "vectors" / "0" / f"tensor_{tensor}.bin"
    path.write_bytes(path.read_bytes()[:-1])
    im = run_testbench(net16.binary, scratch, scratch / "vectors" / "0", "58:60")
    assert not im.passed and "short vector file" in im.stdout
