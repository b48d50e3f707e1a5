"""Scale-out on Dask (pyflow.scaleout): byte-identical to the serial run, in input order, a worker killed mid-run
loses and duplicates nothing, a chunk that keeps failing is named."""
from __future__ import annotations

import os
import sys
from dataclasses import asdict
from pathlib import Path

import cloudpickle
import pytest

from conftest import EFFNET, GOLDEN_INPUTS as GOLDEN, MODELS, random_inputs
from pyflow.errors import FlowError
from pyflow.golden import write_golden
from pyflow.hls.config import EngineConfig
from pyflow.hls.csim import run_csim, run_csim_distributed
from pyflow.scaleout import Pool
from pyflow.tflite_reader import read_model

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the task functions below travel by value


@pytest.fixture(scope="module")
def pool():
    with Pool.open(workers=2) as p:
        yield p


def test_golden_on_two_workers_is_byte_identical(pool, effnet, golden_inputs, tmp_path):
    serial = write_golden(effnet, EFFNET, golden_inputs, tmp_path / "serial", "litert", log=lambda *_: None)
    spread = write_golden(effnet, EFFNET, golden_inputs, tmp_path / "spread", "litert", log=lambda *_: None,
                          pool=pool)
    assert serial == spread
    assert (tmp_path / "serial" / "manifest.json").read_bytes() == (tmp_path / "spread" / "manifest.json").read_bytes()
    for record in (r for item in serial["inputs"] for r in item["tensors"]):
        assert (tmp_path / "serial" / record["file"]).read_bytes() == (tmp_path / "spread" / record["file"]).read_bytes()


def _layers(result):
    return [(im.index, im.passed, [asdict(layer) for layer in im.layers]) for im in result.images]


def test_csim_on_two_workers_matches_the_serial_run(pool, tmp_path):
    path = MODELS / "mixed_small_net.tflite"
    x = random_inputs(read_model(path), 3, seed=9)  # 5 images: chunks of 2, 2, 1
    config = EngineConfig()
    serial = run_csim(path, tmp_path / "serial", x, config=config, log=lambda *_: None)
    spread = run_csim_distributed(pool, path, tmp_path / "spread", x, config=config, log=lambda *_: None)
    assert serial.passed and spread.passed
    assert _layers(spread) == _layers(serial) and [im.index for im in spread.images] == list(range(5))


def _value_or_die(shared, chunk):
    """Chunk 2 kills its worker process the first time it runs (a marker file remembers); every chunk returns
    its own number."""
    i, marker = chunk
    if i == 2 and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return shared * i


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(pool, tmp_path):
    marker = tmp_path / "killed"
    chunks = [(i, str(marker)) for i in range(6)]
    results = list(pool.map(_value_or_die, 10, chunks, [[f"input {i}"] for i in range(6)], desc="kill",
                            progress=False))
    assert marker.exists()  # a worker did die
    assert results == [0, 10, 20, 30, 40, 50]


def _always_fails(shared, chunk):
    raise ValueError(f"broken input {chunk}")


def test_a_chunk_that_fails_twice_is_named(pool):
    with pytest.raises(FlowError, match=r"inputs a, b failed \(after one retry\): ValueError: broken input 1"):
        list(pool.map(_always_fails, None, [1], [["a", "b"]], desc="fail", progress=False))


def test_no_pool_without_workers_or_scheduler_and_bad_values():
    assert Pool.open(None, None) is None and Pool.open(0, "") is None  # serial
    with pytest.raises(FlowError, match="at least 1"):
        Pool.open(-2, None)
    with pytest.raises(FlowError, match="cannot reach the Dask scheduler"):
        Pool.open(None, "tcp://127.0.0.1:1")


def test_verify_and_accuracy_on_two_workers_equal_the_serial_run(pool, effnet, golden_inputs, tmp_path):
    from pyflow.accuracy.backends import open_backend
    from pyflow.accuracy.dataset import Sample
    from pyflow.accuracy.run import run_accuracy
    from pyflow.scaleout import ModelBytes
    from pyflow.verify import verify

    serial = verify(effnet, EFFNET, golden_inputs, "litert", log=lambda *_: None)
    spread = verify(effnet, EFFNET, golden_inputs, "litert", log=lambda *_: None, pool=pool)
    assert spread == serial
    assert all(d.exact for d in spread)

    samples = [Sample(GOLDEN / f"{name}.png", label) for name, label in
               (("chelsea", 281), ("coffee", 967), ("rocket", 657), ("astronaut", 0))] * 3  # 12: chunks 8 + 4
    reference = open_backend("reference", EFFNET, effnet, "litert", tmp_path, EngineConfig())
    one = run_accuracy(effnet, samples, [reference], 127.0, 128.0, progress=False)
    shared = (ModelBytes(effnet.name, EFFNET.read_bytes()), ("reference",), "litert", EngineConfig())
    two = run_accuracy(effnet, samples, [], 127.0, 128.0, progress=False, pool=pool, shared=shared)
    assert one["samples"] == two["samples"] and one["backends"] == two["backends"]
