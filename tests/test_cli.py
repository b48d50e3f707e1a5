"""The invoke CLI: bad input gives one clear message and a non-zero exit, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import MODELS, ROOT


def invoke(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("args, message", [
    (["layers", "--model", str(MODELS / "float_model.tflite")], "float (unquantized) model"),
    (["layers", "--model", str(MODELS / "unsupported_op.tflite")], "unsupported op TANH at index 1"),
    (["layers", "--model", str(MODELS / "not_a_model.tflite")], "not a TensorFlow Lite flatbuffer"),
    (["layers", "--model", str(MODELS / "truncated.tflite")], "corrupt or truncated"),
    (["layers", "--model", "no/such/model.tflite"], "model file not found"),
    (["golden", "--inputs", "no/such/dir/*.png"], "no such file"),
    (["verify", "--oracle", "xnnpack"], "unknown oracle 'xnnpack'"),
    (["compare", "--golden", "no/such/golden", "--dump", "x"], "no golden manifest"),
    (["compare", "--golden", "golden/efficientnet-lite0-int8", "--dump", "no/such/dump"], "dump directory not found"),
    (["bench", "--repeats", "x"], "--repeats must be an integer"),
    (["estimate", "--top", "x"], "--top must be an integer"),
    (["estimate", "--clock", "0"], "must be positive"),
    (["estimate", "--flavor", "bogus"], "unknown flavor 'bogus'"),
    (["estimate", "--top", "-1"], "--top must be a positive number"),
    (["resize", "--size", "3x4x5"], "is not N or HxW"),
    (["resize", "--size", "9", "--model", str(MODELS / "reshape.tflite")], "only models whose RESHAPE"),
])
def test_bad_input_is_one_clear_error(args, message):
    result = invoke(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("name, content, message", [
    ("x.npy", "uint8", "dtype uint8; the model input is int8"),
    ("x.npy", "shape", "shape (7, 7, 3); the model input is (1, 224, 224, 3)"),
    ("x.npy", "npz", "not a single-array .npy file"),
    ("x.png", "text", "cannot read image"),
])
def test_bad_input_files(tmp_path, name, content, message):
    import numpy as np

    path = tmp_path / name
    if content == "uint8":
        np.save(path, np.zeros((224, 224, 3), np.uint8))
    elif content == "shape":
        np.save(path, np.zeros((7, 7, 3), np.int8))
    elif content == "npz":
        with open(path, "wb") as handle:
            np.savez(handle, a=np.zeros(3))
    else:
        path.write_text("not an image")
    result = invoke("golden", "--inputs", str(path), "--out", str(tmp_path / "g"))
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g").exists()


def test_grayscale_photo_is_accepted(tmp_path):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (300, 2))).save(tmp_path / "gray.png")
    result = invoke("golden", "--inputs", str(tmp_path / "gray.png"), "--out", str(tmp_path / "g"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g" / "manifest.json").exists()


def test_layers_table():
    result = invoke("layers")
    assert result.returncode == 0, result.stderr
    assert "385,187,552" in result.stdout and result.stdout.count("CONV_2D") >= 33


def test_golden_check_fails_loudly_on_a_changed_bit(tmp_path):
    import json

    committed = ROOT / "golden" / "efficientnet-lite0-int8" / "manifest.json"
    manifest = json.loads(committed.read_text())
    manifest["inputs"] = manifest["inputs"][:1]
    item = manifest["inputs"][0]
    item["source"] = str((committed.parent / item["source"]).resolve())  # sources are relative to the manifest
    manifest["inputs"][0]["tensors"][17]["sha256"] = "f" * 64  # op 16
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    result = invoke("golden-check", "--manifest", str(path))
    assert result.returncode == 1
    assert "FAIL: 1 of 61 tensors differ" in result.stdout and "op 16 ADD" in result.stdout


def test_csim_whole_network_cli(tmp_path):
    """`invoke csim` on one committed photo: every layer of EfficientNet-lite0 bit-exact, table on stdout."""
    result = invoke("csim", "--inputs", str(ROOT / "golden" / "inputs" / "rocket.png"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "csim: PASS (every step bit-exact)"
    assert sum(1 for line in lines if line.rstrip().endswith("PASS") and "engine" in line) == 35
    assert sum(1 for line in lines if line.rstrip().endswith("runs in the next step")) == 25


@pytest.mark.parametrize("task", ["csynth", "cosim", "export-ip"])
def test_vitis_tasks_without_vitis_fail_cleanly(task, tmp_path, monkeypatch):
    env_path = "/usr/bin:/bin"
    result = subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), task], cwd=ROOT, capture_output=True,
                            text=True, timeout=600,
                            env={"PATH": env_path, "HOME": str(tmp_path), "PYTHONPATH": ""})
    assert result.returncode == 1
    assert "Vitis HLS not found" in result.stderr and "settings64.sh" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["csim", "--pi", "abc"], "--pi must be an integer"),
    (["csim", "--pi", "12"], "pi=12 must be a power of two"),
    (["csim", "--layers", "5:2"], "layer range '5:2' is not A:B"),
    (["csim", "--flavor", "foo"], "unknown flavor 'foo'"),
    (["estimate", "--board", "ZCU999"], "unknown board 'ZCU999'"),
    (["golden", "--formats", "xml"], "unknown golden format(s) xml"),
])
def test_bad_flags_are_one_clear_error(args, message):
    result = invoke(*args)
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_resize_and_loop_table(tmp_path):
    out = tmp_path / "lite0-240.tflite"
    result = invoke("resize", "--size", "240", "--out", str(out))
    assert result.returncode == 0 and out.is_file(), result.stderr
    result = invoke("layers", "--model", str(out))
    assert result.returncode == 0 and "1x120x120x32" in result.stdout
    result = invoke("estimate", "--loops")
    assert result.returncode == 0 and "CONV_MAC" in result.stdout and "DW_STEP" in result.stdout


def test_engine_settings_are_read_by_their_field_type():
    sys.path.insert(0, str(ROOT))
    import tasks
    from pyflow.errors import FlowError
    from pyflow.hls.config import EngineConfig

    fields = EngineConfig.__dataclass_fields__
    assert tasks._setting(fields["fuse"].type, "false", "fuse") is False
    assert tasks._setting(fields["fuse"].type, True, "fuse") is True
    assert tasks._setting(fields["big_ram"].type, "bram", "big_ram") == "bram"
    assert tasks._setting(fields["pi"].type, "32", "pi") == 32
    with pytest.raises(FlowError, match="must be true or false"):
        tasks._setting(fields["fuse"].type, "maybe", "fuse")
    with pytest.raises(FlowError, match="--pi must be an integer"):
        tasks._setting(fields["pi"].type, "many", "pi")
