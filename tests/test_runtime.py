"""pyflow.runtime: the host runtime over the csim engine library and the board driver over the emulated board,
compared on every layer with the reference (itself bit-exact with LiteRT/TFLM, tests/test_*_reference.py)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import EFFNET, MODELS, random_inputs
from pyflow.errors import FlowError
from pyflow.hls.config import EngineConfig
from pyflow.hls import register_map as rm
from pyflow.labels import imagenet_labels, top_k
from pyflow.reference.runner import run as run_reference
from pyflow.runtime.board_emulator import EmulatedBoard, EmulatedBoardError
from pyflow.runtime.csim_backend import CsimBackend
from pyflow.runtime.program import load_program, read_tensor, write_tensor
from pyflow.runtime.pynq_backend import PynqBackend
from pyflow.runtime.sequencer import run_image
from pyflow.runtime.session import open_backend, run_inputs

CONFIG = EngineConfig(pi=64, po=32, axi_bits=128)  # invoke.yaml's engine


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return tmp_path_factory.mktemp("runtime_build")


@pytest.fixture(scope="module")
def lite0():
    return load_program(EFFNET, CONFIG, "litert")


@pytest.fixture(scope="module")
def photos(golden_inputs):
    by_name = {i.name: i.data for i in golden_inputs}
    return [by_name["chelsea"], by_name["coffee"]]


@pytest.fixture(scope="module")
def board(lite0, build):
    return EmulatedBoard(lite0, build, log=lambda _: None)


def _golden(program, x):
    return run_reference(program.graph, x[None], program.plan.flavor)


def test_csim_backend_whole_network_bit_exact_with_top5(lite0, build, photos):
    engine = CsimBackend(lite0, build, log=lambda _: None)
    report = run_inputs(lite0, engine, photos, compare=True, progress=False)
    assert report.passed, [(s.layer, s.first_mismatch) for im in report.images for s in im.failed]
    steps = report.images[0].steps
    assert sum(s.where == "engine" for s in steps) == 35 and sum(s.where == "fused" for s in steps) == 25
    assert all(s.result == "PASS" for s in steps if s.where != "fused")
    cats = {"tabby", "tiger cat", "Egyptian cat"}
    assert cats & {p.name for p in report.top5[0][:3]}, report.top5[0]
    assert report.top5[1][0].name == "espresso", report.top5[1]


def test_emulated_board_runs_the_driver_bit_exact(lite0, board, photos):
    """The PYNQ driver's register writes and start bit drive the csim engine: every layer bit-exact, in polling
    and in interrupt mode; after the first step only changed descriptor fields are written."""
    x = photos[0]
    golden = _golden(lite0, x)
    for interrupt in (False, True):
        before = board.steps_run
        with PynqBackend(lite0, "pyflow_engine.bit", pynq_module=board.pynq, interrupt=interrupt) as driver:
            writes = []
            original = board.write
            board.write = lambda offset, value: (writes.append(offset), original(offset, value))[1]
            try:
                run = run_image(lite0, driver, x, golden)
            finally:
                del board.write
        assert run.passed, [(s.layer, s.first_mismatch) for s in run.failed]
        assert board.steps_run - before == 35
        desc_writes = [o for o in writes if rm.DESC_BASE <= o < rm.DESC_BASE + 4 * board.library.desc_fields]
        assert len(desc_writes) < 35 * board.library.desc_fields  # only what changed after the first step
        assert writes.count(rm.CONTROL["AP_CTRL"]) == 35


@pytest.mark.parametrize("skip", ["to_device", "from_device"])
def test_emulated_caches_catch_a_missing_flush_or_invalidate(lite0, board, photos, skip, monkeypatch):
    """The emulated DDR sits behind the CPU's caches: a driver that skips a flush (or an invalidate) sees stale
    data, as it would on a board."""
    x = photos[1]
    with PynqBackend(lite0, "pyflow_engine.bit", pynq_module=board.pynq) as driver:
        monkeypatch.setattr(driver, skip, lambda: None)
        run = run_image(lite0, driver, x, _golden(lite0, x))
    assert not run.passed and run.failed[0].where == "engine"


def test_emulated_board_refuses_what_hardware_would(lite0, board):
    mmio = board.pynq.MMIO(0xA000_0000, 0x1_0000)
    with pytest.raises(EmulatedBoardError, match="32-bit unsigned"):
        mmio.write(rm.DESC_BASE, -1)
    with pytest.raises(EmulatedBoardError, match="not a 32-bit register"):
        mmio.write(rm.DESC_BASE + 2, 0)
    with pytest.raises(EmulatedBoardError, match="maps only the engine"):
        board.pynq.MMIO(0x4000_0000, 0x1000)
    arena = board.pynq.allocate(shape=(4096,), dtype=np.uint8)
    offsets = {reg.name: reg.offset for reg in rm.arguments()}
    for name in ("fm_in", "fm_in_b", "fm_in2", "fm_out", "wt", "wt_b", "wt_c", "wt_d"):
        mmio.write(offsets[name], arena.device_address)
        mmio.write(offsets[name] + 4, 0)
    mmio.write(offsets["fm_out"], arena.device_address + 16)
    with pytest.raises(EmulatedBoardError, match="must hold one address"):
        mmio.write(rm.CONTROL["AP_CTRL"], rm.AP_START)
    for name in ("fm_in", "fm_in_b", "fm_in2", "fm_out"):
        mmio.write(offsets[name], 0x10)
    with pytest.raises(EmulatedBoardError, match="points into no allocated buffer"):
        mmio.write(rm.CONTROL["AP_CTRL"], rm.AP_START)
    arena.freebuffer()


def test_ap_done_clears_on_read(lite0, board, photos):
    with PynqBackend(lite0, "pyflow_engine.bit", pynq_module=board.pynq) as driver:
        run_image(lite0, driver, photos[0])
        mmio = driver.mmio
        assert mmio.read(rm.CONTROL["AP_CTRL"]) & rm.AP_IDLE
        assert not mmio.read(rm.CONTROL["AP_CTRL"]) & rm.AP_DONE


def test_a_corrupted_weight_is_caught_at_its_layer(lite0, build, photos):
    engine = CsimBackend(lite0, build, log=lambda _: None)
    first_engine = next(s for s in lite0.steps if s.where == "engine")
    engine.image[first_engine.fields["wt_addr"] * lite0.bus_bytes] ^= 0x40
    run = run_image(lite0, engine, photos[0], _golden(lite0, photos[0]))
    assert run.failed and run.failed[0].layer == first_engine.index


@pytest.mark.parametrize("model", ["float_io.tflite", "softmax.tflite", "concat.tflite", "pad.tflite",
                                   "mixed_small_net.tflite", "breadth/mul_se.tflite", "breadth/add_broadcast.tflite",
                                   "breadth/hard_swish.tflite", "keras_apps/mobilenet_v3_small_128.tflite"])
def test_host_ops_by_the_reference_between_engine_steps(model, build):
    """Models with host ops (QUANTIZE / DEQUANTIZE with float32 tensors, SOFTMAX, CONCATENATION, PAD, RESHAPE,
    broadcasting MUL / ADD with constant operands, HARD_SWISH, LOGISTIC): bit-exact on every layer through the csim
    backend with a small engine."""
    program = load_program(MODELS / model, EngineConfig(pi=16, po=16, axi_bits=128), "litert")
    engine = CsimBackend(program, build, log=lambda _: None)
    xs = random_inputs(program.graph, 2, seed=5)
    for x in xs:
        run = run_image(program, engine, x, _golden(program, x))
        assert run.passed, (model, [(s.layer, s.op, s.first_mismatch) for s in run.failed])
    assert any(s.where == "host" for s in program.steps) or model == "mixed_small_net.tflite"


def test_arena_layout_round_trip_pads_lanes_with_zero(lite0):
    arena = np.full(lite0.arena_words * lite0.bus_bytes, 0xA5, np.uint8)
    t = lite0.graph.ops[3].output
    slot = lite0.slot(t)
    values = np.random.default_rng(1).integers(-128, 128, slot.shape[1:]).astype(np.int8)
    write_tensor(arena, slot, values, lite0.bus_bytes)
    assert np.array_equal(read_tensor(arena, slot, lite0.bus_bytes), values)
    c = slot.shape[-1]
    if c % lite0.bus_bytes:
        row = -(-c // lite0.bus_bytes) * lite0.bus_bytes
        assert not arena[slot.addr * lite0.bus_bytes:][:row][c:].any()
    with pytest.raises(FlowError, match="the arena holds"):
        write_tensor(arena, slot, values.astype(np.uint8), lite0.bus_bytes)


def test_imagenet_labels_and_top_k(effnet):
    names = imagenet_labels()
    assert len(names) == 1000 and names[0] == "tench" and names[281] == "tabby" and names[999] == "toilet tissue"
    out = np.full((1, 1000), -128, np.int8)
    out[0, [7, 3, 500]] = [10, 10, 11]
    preds = top_k(out, effnet.tensor(effnet.outputs[0]))
    assert [p.index for p in preds[:3]] == [500, 3, 7]  # ties to the lower index


def test_pynq_backend_without_pynq_is_one_clear_error(lite0, build, tmp_path):
    with pytest.raises(FlowError, match="needs the `pynq` package"):
        open_backend("pynq", lite0, build, bitfile=EFFNET)  # a file that exists: the import is what fails
    with pytest.raises(FlowError, match="no bitstream at"):
        open_backend("pynq", lite0, build, bitfile=tmp_path / "none.bit")
    with pytest.raises(FlowError, match="unknown backend"):
        open_backend("fpga", lite0, build)


def _invoke(*args: str):
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("backend", [["--backend", "csim"], ["--backend", "pynq", "--emulate", "--interrupt"]])
def test_invoke_run_cli(backend):
    from conftest import GOLDEN_INPUTS

    result = _invoke("run", *backend, "--compare", "--inputs", str(GOLDEN_INPUTS / "chelsea.png"))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "every layer bit-exact" in out and "images/s" in out
    assert sum(1 for line in out.splitlines() if " engine " in line and line.rstrip().endswith("PASS")) == 35
    assert any(line.startswith("chelsea: ") and "cat" in line for line in out.splitlines())


def test_invoke_run_pynq_off_board_is_one_clear_error():
    result = _invoke("run", "--backend", "pynq", "--bitfile", str(EFFNET))
    assert result.returncode == 1 and "needs the `pynq` package" in result.stderr and "--emulate" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_driver_refuses_an_overlay_built_for_another_engine(lite0, board, tmp_path):
    """`invoke bitstream` records the engine configuration beside the .bit; the driver compares it with the
    program's before it touches the board."""
    import json
    from dataclasses import asdict, replace

    from pyflow.runtime.pynq_backend import engine_info

    bit = tmp_path / "pyflow_engine.bit"
    bit.write_bytes(b"")
    other = replace(lite0.plan.config, pi=16)
    bit.with_suffix(".json").write_text(json.dumps({"engine": asdict(other), "flavor": "litert"}))
    with pytest.raises(FlowError, match="pi=16 in the overlay, 64 here"):
        PynqBackend(lite0, bit, pynq_module=board.pynq)
    bit.with_suffix(".json").write_text(json.dumps(engine_info(lite0)))
    PynqBackend(lite0, bit, pynq_module=board.pynq).close()


def test_invoke_bitstream_without_vivado_writes_nothing(tmp_path):
    import os
    import subprocess
    import sys
    import zipfile

    from conftest import ROOT

    ip = tmp_path / "ip.zip"
    with zipfile.ZipFile(ip, "w") as z:
        z.writestr("component.xml", "<component/>")
    before = sorted(p.name for p in (ROOT / "build").glob("*/bitstream*"))
    env = {"PATH": f"/usr/bin:/bin:{os.path.dirname(sys.executable)}", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), "bitstream", "--ip", str(ip),
                             "--board", "KV260"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1 and "Vivado not found" in result.stderr and "settings64.sh" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (ROOT / "build").glob("*/bitstream*")) == before
    result = subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), "bitstream", "--board", "PYNQ-Z2",
                             "--ip", str(ip)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1 and "ZCU104" in result.stderr and "Traceback" not in result.stderr


def test_backends_taking_turns_on_one_library_reload_their_own_image(build):
    """Programs of one configuration share one library (one image slot). A new backend must never take the image
    an earlier, freed backend left there for its own (object ids are reused after a free)."""
    import gc

    config = EngineConfig(pi=16, po=16, axi_bits=128)
    programs = [load_program(MODELS / m, config, "litert") for m in ("breadth/mul_se.tflite", "breadth/hard_swish.tflite")]
    inputs = [random_inputs(p.graph, 1, seed=1)[0] for p in programs]
    goldens = [_golden(p, x) for p, x in zip(programs, inputs)]
    for _ in range(3):
        for program, x, golden in zip(programs, inputs, goldens):
            engine = CsimBackend(program, build, log=lambda _: None)  # often where the freed one was
            assert run_image(program, engine, x, golden).passed, program.graph.name
            del engine
            gc.collect()


def test_image_keys_are_never_reused(build):
    """The key a backend gives its image must differ from every earlier backend's, freed or not (id() is not)."""
    program = load_program(MODELS / "breadth/hard_swish.tflite", EngineConfig(pi=16, po=16, axi_bits=128), "litert")
    keys = []
    for _ in range(30):
        engine = CsimBackend(program, build, log=lambda _: None)
        keys.append(engine._key)
        del engine
    assert len(set(keys)) == len(keys)
