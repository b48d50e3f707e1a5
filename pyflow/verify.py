"""Reference vs oracle on every tensor (`invoke verify`), and golden directory vs dump directory (`invoke compare`)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from pyflow import fileio
from pyflow.compare import TensorDiff, diff, load_tensor
from pyflow.golden import entries, read_manifest, reference_tensors, write_golden
from pyflow.inputs import ModelInput
from pyflow.ir import Graph
from pyflow.errors import FlowError
from pyflow.oracle import run_oracle
from pyflow.reference import check_flavor


def verify(graph: Graph, model_path: Path, inputs: list[ModelInput], oracle: str,
           log: Callable[[str], None] = print, pool=None) -> list[TensorDiff]:
    """Run the reference (flavor = oracle) and the oracle on ``inputs``; compare every op output. With ``pool``
    (pyflow.scaleout.Pool) chunks of inputs run on the workers, the diffs in input order."""
    check_flavor(oracle, "oracle")
    if pool is not None:
        from pyflow.golden import BATCH
        from pyflow.scaleout import ModelBytes, chunked

        chunks = chunked(inputs, BATCH)
        shared = (ModelBytes(graph.name, Path(model_path).read_bytes()), oracle)
        return [d for part in pool.map(verify_chunk, shared, chunks, [[i.name for i in c] for c in chunks],
                                       desc=f"verify ({oracle})") for d in part]
    return _verify(graph, model_path, inputs, oracle, log)


def verify_chunk(shared, inputs: list[ModelInput]) -> list[TensorDiff]:
    """A Dask task: verify on one chunk of inputs on a worker (the model written once per worker process)."""
    from pyflow.scaleout import shared_graph, shared_model_file

    model, oracle = shared
    return _verify(shared_graph(model), shared_model_file(model), inputs, oracle, lambda *_: None)


def _verify(graph: Graph, model_path: Path, inputs: list[ModelInput], oracle: str,
            log: Callable[[str], None]) -> list[TensorDiff]:
    tensors = [op.output for op in graph.ops]
    log(f"oracle {oracle}: running {len(inputs)} input(s)")
    expected = run_oracle(model_path, np.stack([i.data for i in inputs]), oracle, tensors)
    diffs = []
    for k, (item, values) in enumerate(reference_tensors(graph, inputs, oracle, log)):
        for op_index, op_type, tensor, array in entries(graph, values):
            if op_index < 0:
                continue
            got = expected.get(tensor.index)
            diffs.append(diff(item.name, op_index, op_type, tensor.name, got[k] if got is not None else array,
                              array if got is not None else None, f"{oracle} does not expose this tensor"))
    return diffs


def compare_dirs(golden_dir: Path, dump_dir: Path) -> list[TensorDiff]:
    """Every tensor of a golden manifest against the same relative file (.npy or raw .bin) under ``dump_dir``."""
    manifest = read_manifest(golden_dir)
    golden_dir, dump_dir = Path(golden_dir), Path(dump_dir)
    if not dump_dir.is_dir():
        raise FlowError(f"dump directory not found: {dump_dir}")
    diffs = []
    for item in manifest["inputs"]:
        for record in item["tensors"]:
            shape = tuple(record["shape"][1:])
            expected = load_tensor(golden_dir / record["file"], shape, record["dtype"])
            if expected is not None and (expected.shape != shape or str(expected.dtype) != record["dtype"]
                                         or fileio.tensor_sha256(expected) != record["sha256"]):
                raise FlowError(f"golden file {golden_dir / record['file']} ({expected.dtype} {expected.shape}) does "
                                f"not match its manifest record ({record['dtype']} {shape}, sha256 "
                                f"{record['sha256'][:12]}…): the golden directory is inconsistent")
            if expected is None:
                expected = np.zeros(shape, record["dtype"])
                note = "golden file missing"
                got = None
            else:
                got = load_tensor(dump_dir / record["file"], shape, record["dtype"])
                note = "not in dump"
            diffs.append(diff(item["name"], record["op_index"], record["op_type"], record["tensor"], expected, got,
                              note))
    return diffs


def pin_manifest(graph: Graph, model_path: Path, inputs: list[ModelInput], flavor: str, manifest_path: Path,
                 log: Callable[[str], None] = print) -> list[TensorDiff]:
    """(Re)write a committed manifest, but only after the reference matched the oracle on every tensor.
    Returns the verify diffs; the manifest is written only when they are all exact. Input sources are recorded
    relative to the manifest's directory."""
    diffs = verify(graph, model_path, inputs, flavor, log)
    if all(d.exact for d in diffs):
        with tempfile.TemporaryDirectory(prefix="pyflow-golden-") as tmp:
            manifest = write_golden(graph, model_path, inputs, Path(tmp), flavor, log=log)
        for item in manifest["inputs"]:  # recorded relative to the manifest, so the repository can move
            item["source"] = os.path.relpath(Path(item["source"]).absolute(), Path(manifest_path).absolute().parent)
        fileio.write_json(manifest_path, manifest)
    return diffs
