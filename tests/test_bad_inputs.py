"""Bad inputs on the command line end in one `error:` line and exit code 1, never a traceback, and are never
silently accepted (issue: robustness): malformed .npy files, an --out that is a file, a mutated model through
`golden`, 16-bit photos (scaled, not clipped)."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

import model_patch as mp
from conftest import EFFNET
from pyflow.images import load_photo
from test_cli import invoke


def _one_error(result, fragment: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0], result.stderr


def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = f"{{'descr': '|i1', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def test_empty_npy(tmp_path):
    path = tmp_path / "empty.npy"
    path.write_bytes(b"")
    _one_error(invoke("golden", "--inputs", str(path), "--out", str(tmp_path / "out")), "not a readable .npy file")


def test_npy_header_declaring_terabytes_is_not_allocated(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((3_000_000, 3_000_000, 1)))
    _one_error(invoke("golden", "--inputs", str(path), "--out", str(tmp_path / "out")),
               "shape (3000000, 3000000, 1); the model input is (1, 224, 224, 3)")


def test_truncated_npy(tmp_path):
    path = tmp_path / "short.npy"
    path.write_bytes(_npy_header((224, 224, 3)) + bytes(100))
    _one_error(invoke("golden", "--inputs", str(path), "--out", str(tmp_path / "out")), "cannot read")


@pytest.mark.parametrize("under", ["", "sub"])
def test_out_is_a_file_or_under_a_file(tmp_path, under):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / under if under else blocker
    photo = str(EFFNET.parent.parent / "golden" / "inputs" / "rocket.png")
    _one_error(invoke("golden", "--inputs", photo, "--out", str(out)), "Not a directory")


def test_mutated_model_through_golden(tmp_path):
    path = tmp_path / "bad.tflite"
    path.write_bytes(bytes(mp.set_option(mp.load("conv_3x3_dilated.tflite"), 0, 14, -3)))
    _one_error(invoke("golden", "--model", str(path), "--inputs", str(tmp_path / "none.npy")),
               "op 0 CONV_2D: dilation_h_factor = -3 (must be >= 1)")


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    gray = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    path = tmp_path / "gray16.png"
    Image.fromarray(gray).save(path)
    assert Image.open(path).mode.startswith("I;16")
    rgb = load_photo(path, 64, 64)
    assert rgb.shape == (64, 64, 3) and np.array_equal(rgb[..., 0], (gray >> 8).astype(np.uint8))
    assert (rgb == 255).mean() < 0.01  # clipping would put ~99.6 % of the pixels at 255


@pytest.fixture(scope="module")
def golden_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    photo = str(EFFNET.parent.parent / "golden" / "inputs" / "rocket.png")
    result = invoke("golden", "--inputs", photo, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _mutated_manifest(golden_dir, tmp_path, mutate):
    import json
    import shutil
    copy = tmp_path / "golden"
    shutil.copytree(golden_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    mutate(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.parametrize("mutate, fragment", [
    (lambda m: m["inputs"][0]["tensors"][3].pop("shape"), "'shape' must be list, got None"),
    (lambda m: m["inputs"][0]["tensors"][3].update(shape="abc"), "'shape' must be list, got 'abc'"),
    (lambda m: m["inputs"][0]["tensors"][3].update(dtype="int9"), "'dtype' 'int9' is not one of"),
    (lambda m: m.update(inputs=5), "inputs: must be a list, got int"),
    (lambda m: m["inputs"][0]["tensors"][3].update(shape=[1, 7, 7, 7]), "does not match its manifest record"),
    (lambda m: [r.update(shape=[1, 2, 2, 2]) for r in m["inputs"][0]["tensors"]], "does not match its manifest"),
    (lambda m: m["inputs"][0]["tensors"][3].update(file="../../etc/passwd"), "must be a path inside"),
])
def test_compare_validates_the_manifest(golden_dir, tmp_path, mutate, fragment):
    bad = _mutated_manifest(golden_dir, tmp_path, mutate)
    _one_error(invoke("compare", "--golden", str(bad), "--dump", str(golden_dir)), fragment)


def test_compare_of_a_golden_directory_with_itself_passes(golden_dir):
    result = invoke("compare", "--golden", str(golden_dir), "--dump", str(golden_dir))
    assert result.returncode == 0, result.stdout + result.stderr


def test_staged_dir_is_all_or_nothing(tmp_path):
    from pyflow.fileio import staged_dir, write_text

    final = tmp_path / "hls"
    write_text(final / "keep" / "cache.bin", "compiled")
    write_text(final / "vectors" / "0" / "old.bin", "old")
    with pytest.raises(RuntimeError):
        with staged_dir(final) as stage:
            write_text(stage / "layers.txt", "new")
            raise RuntimeError("codegen failed half way")
    assert sorted(p.name for p in final.iterdir()) == ["keep", "vectors"]  # untouched, no stage left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hls.stage-")]
    with staged_dir(final) as stage:
        write_text(stage / "layers.txt", "new")
        write_text(stage / "vectors" / "0" / "tensor_0.bin", "new")
    assert (final / "layers.txt").read_text() == "new" and (final / "keep" / "cache.bin").exists()
    assert sorted(p.name for p in (final / "vectors" / "0").iterdir()) == ["tensor_0.bin"]  # replaced as a whole


def test_failed_csim_preparation_leaves_no_half_generated_build(tmp_path, monkeypatch):
    import numpy as np

    from pyflow.errors import FlowError
    from pyflow.hls import csim

    calls = []

    def fail(*args, **kwargs):  # after the headers, the layer table and the image were generated
        calls.append(1)
        raise FlowError("vectors could not be written")

    monkeypatch.setattr(csim, "write_vectors", fail)
    with pytest.raises(FlowError, match="vectors could not be written"):
        csim.prepare(mp.MODELS / "conv_1x1.tflite", tmp_path, np.zeros((1, 9, 9, 20), np.int8))
    assert calls and not (tmp_path / "hls").exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("error, message", [
    (PermissionError(13, "Permission denied", "/data/build"), "error: Permission denied: /data/build"),
    (OSError(28, "No space left on device", "/data/build/hls/ddr_image.bin"),
     "error: No space left on device: /data/build/hls/ddr_image.bin"),
    (MemoryError("Unable to allocate 8 TiB"), "error: not enough memory (Unable to allocate 8 TiB)")])
def test_os_and_memory_errors_become_one_error_line(error, message):
    """Read-only directories cannot be made here (the tests run as root), so the CLI's wrapper is driven directly."""
    import importlib.util

    from invoke import Context, Exit

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("pyflow_tasks_under_test", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)

    @tasks.flow_task()
    def failing(c):
        raise error

    with pytest.raises(Exit) as info:
        failing(Context())
    assert info.value.code == 1 and info.value.message == message


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK"])
def test_photo_modes_convert_to_rgb(tmp_path, mode):
    """Grayscale, alpha and palette images convert exactly (gray replicated, alpha dropped, palette looked up);
    CMYK (JPEG only) converts with PIL's formula R = (255 - C) * (255 - K) / 255."""
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    if mode == "L":
        image, want = Image.fromarray(rgb[..., 0], "L"), np.repeat(rgb[..., :1], 3, axis=2)
    elif mode == "LA":
        la = np.stack([rgb[..., 0], rgb[..., 1]], axis=2)
        image, want = Image.fromarray(la, "LA"), np.repeat(rgb[..., :1], 3, axis=2)
    elif mode == "RGBA":
        image, want = Image.fromarray(np.dstack([rgb, rgb[..., :1]]), "RGBA"), rgb
    elif mode == "P":
        palette = rng.integers(0, 256, (256, 3)).astype(np.uint8)
        index = rgb[..., 0]
        image = Image.fromarray(index, "P")
        image.putpalette(palette.reshape(-1).tolist())
        want = palette[index]
    else:
        cmyk = rng.integers(0, 256, (32, 32, 4)).astype(np.uint8)
        image = Image.fromarray(cmyk, "CMYK")
        c, k = cmyk[..., :3].astype(np.int64), cmyk[..., 3:].astype(np.int64)
        want = ((255 - c) * (255 - k) // 255).astype(np.uint8)
    path = tmp_path / ("photo.png" if mode != "CMYK" else "photo.tif")
    image.save(path)
    got = load_photo(path, 32, 32)
    if mode == "CMYK":  # PIL rounds its integer formula its own way: within one step
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    else:
        assert np.array_equal(got, want)
