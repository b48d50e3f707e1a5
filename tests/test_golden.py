"""Golden vectors: the committed manifests (the CI golden compare), their independence from the reference
(LiteRT computes the same hashes), fault detection, file formats, atomic writes, and the dump compare."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from conftest import EFFNET, ROOT
from pyflow import fileio
from pyflow.golden import check_manifest, hex_lines, read_manifest, write_golden
from pyflow.oracle import run_oracle
from pyflow.verify import compare_dirs

MANIFESTS = {"litert": ROOT / "golden" / "efficientnet-lite0-int8" / "manifest.json",
             "tflm": ROOT / "golden" / "efficientnet-lite0-int8" / "manifest-tflm.json"}


@pytest.mark.parametrize("flavor", ["litert", "tflm"])
def test_ci_golden_compare(effnet, golden_inputs, flavor):
    manifest = read_manifest(MANIFESTS[flavor])
    assert manifest["flavor"] == flavor and len(manifest["inputs"]) >= 6
    diffs = check_manifest(effnet, manifest, golden_inputs)
    assert len(diffs) == 61 * len(golden_inputs)
    assert [d for d in diffs if not d.exact] == []


@pytest.mark.parametrize("flavor", ["litert", "tflm"])
def test_committed_hashes_come_from_the_oracle(golden_inputs, flavor):
    """Independent of the reference: the oracle's own tensors hash to the committed values."""
    manifest = read_manifest(MANIFESTS[flavor])
    records = {item["name"]: item["tensors"] for item in manifest["inputs"]}
    indices = [r["tensor_index"] for r in records[golden_inputs[0].name] if r["op_index"] >= 0]
    tensors = run_oracle(EFFNET, np.stack([i.data for i in golden_inputs]), flavor, indices)
    for k, item in enumerate(golden_inputs):
        for record in records[item.name]:
            if record["op_index"] >= 0:
                got = tensors[record["tensor_index"]][k]
            else:
                got = item.data
            assert fileio.tensor_sha256(got) == record["sha256"], (item.name, record["op_index"])


def test_a_changed_golden_bit_fails_naming_the_layer(effnet, golden_inputs):
    manifest = copy.deepcopy(read_manifest(MANIFESTS["litert"]))
    record = manifest["inputs"][1]["tensors"][31]  # op 30
    record["sha256"] = "0" * 64
    failed = [d for d in check_manifest(effnet, manifest, golden_inputs) if not d.exact]
    assert len(failed) == 1
    assert (failed[0].input_name, failed[0].op_index, failed[0].op_type) == (
        manifest["inputs"][1]["name"], 30, "CONV_2D")


def test_write_golden_layout_and_formats(tmp_path, effnet, golden_inputs):
    inputs = golden_inputs[:2]
    manifest = write_golden(effnet, EFFNET, inputs, tmp_path, "litert", ("npy", "bin", "hex"), log=lambda s: None)
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    assert not list(tmp_path.rglob("*.tmp"))
    first = manifest["inputs"][0]
    assert first["tensors"][0]["op_type"] == "INPUT"
    for record in first["tensors"]:
        npy = np.load(tmp_path / record["file"])
        assert list(npy.shape) == record["shape"][1:] and str(npy.dtype) == record["dtype"]
        assert fileio.tensor_sha256(npy) == record["sha256"]
        raw = (tmp_path / record["file"]).with_suffix(".bin").read_bytes()
        assert raw == npy.tobytes()
    fc = first["tensors"][-1]
    lines = (tmp_path / fc["file"]).with_suffix(".hex").read_text().split()
    values = np.load(tmp_path / fc["file"]).reshape(-1)
    assert len(lines) == values.size and int(lines[0], 16) == int(values[0]) & 0xFF
    assert hex_lines(np.array([-1, 0, 127, -128], np.int8)) == b"ff\n00\n7f\n80\n"


def _interrupt_after(monkeypatch, writes: int) -> None:
    """Make the golden writer stop with KeyboardInterrupt on its ``writes``-th file, like a Ctrl-C."""
    import pyflow.golden as golden

    calls = {"n": 0}
    real = fileio.write_bytes

    def failing(path, data):
        calls["n"] += 1
        if calls["n"] == writes:
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(golden.fileio, "write_bytes", failing)


def test_interrupted_run_leaves_no_manifest(tmp_path, effnet, golden_inputs, monkeypatch):
    _interrupt_after(monkeypatch, 40)
    with pytest.raises(KeyboardInterrupt):
        write_golden(effnet, EFFNET, golden_inputs[:1], tmp_path, "litert", log=lambda s: None)
    assert not (tmp_path / "manifest.json").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_compare_dirs_finds_flipped_bit_and_missing_file(tmp_path, effnet, golden_inputs):
    golden_dir, dump = tmp_path / "golden", tmp_path / "dump"
    manifest = write_golden(effnet, EFFNET, golden_inputs[:1], golden_dir, "litert", ("npy", "bin"),
                            log=lambda s: None)
    assert all(d.exact for d in compare_dirs(golden_dir, golden_dir))
    name = manifest["inputs"][0]["name"]
    # A dump as a board would write it: raw .bin files only, one bit flipped, one layer missing.
    for record in manifest["inputs"][0]["tensors"]:
        src = (golden_dir / record["file"]).with_suffix(".bin")
        data = bytearray(src.read_bytes())
        if record["op_index"] == 12:
            data[1234] ^= 0x04
        if record["op_index"] != 40:
            fileio.write_bytes((dump / record["file"]).with_suffix(".bin"), bytes(data))
    failed = {d.op_index: d for d in compare_dirs(golden_dir, dump) if not d.exact}
    assert set(failed) == {12, 40}
    shape = manifest["inputs"][0]["tensors"][13]["shape"][1:]
    assert failed[12].mismatches == 1 and failed[12].max_abs_diff == 4
    assert failed[12].first_mismatch == tuple(int(i) for i in np.unravel_index(1234, shape))
    assert failed[40].mismatches == -1 and failed[12].input_name == name


def test_rerun_into_an_existing_directory_removes_the_old_manifest_first(tmp_path, effnet, golden_inputs,
                                                                        monkeypatch):
    write_golden(effnet, EFFNET, golden_inputs[:1], tmp_path, "litert", log=lambda s: None)
    assert (tmp_path / "manifest.json").exists()
    _interrupt_after(monkeypatch, 10)
    with pytest.raises(KeyboardInterrupt):
        write_golden(effnet, EFFNET, golden_inputs[:1], tmp_path, "tflm", log=lambda s: None)
    assert not (tmp_path / "manifest.json").exists()
