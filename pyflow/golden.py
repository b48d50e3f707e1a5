"""Golden vectors: every op output of the reference, per input, with a manifest of sha256 hashes.

Layout of a golden directory::

    DIR/manifest.json
    DIR/<input name>/input.npy                       the quantized model input
    DIR/<input name>/<op index>_<op type>.npy        one file per op output (+ .bin raw NHWC, + .hex $readmemh)

Each file is written atomically and the manifest last, so an interrupted run never leaves a directory that
looks complete. A committed manifest (golden/<model>/manifest.json) pins every hash: `check_manifest`
recomputes the tensors and names every layer whose bits changed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from pyflow import fileio
from pyflow.compare import TensorDiff
from pyflow.errors import FlowError
from pyflow.inputs import ModelInput
from pyflow.ir import Graph, batched_shape
from pyflow.reference.runner import run

MANIFEST = "manifest.json"
FORMATS = ("npy", "bin", "hex")
BATCH = 8


def tensor_file(op_index: int, op_type: str) -> str:
    return f"{op_index:03d}_{op_type.lower()}"


def hex_lines(array: np.ndarray) -> bytes:
    """One value per line in two's-complement hex ($readmemh), NHWC order."""
    width = array.dtype.itemsize * 2
    unsigned = np.ascontiguousarray(array).reshape(-1).view(f"u{array.dtype.itemsize}")
    return "".join(f"{v:0{width}x}\n" for v in unsigned.tolist()).encode()


def reference_chunk(shared, x: np.ndarray) -> dict[int, np.ndarray]:
    """A Dask task (pyflow.scaleout): the reference on one batch, the model shipped once per worker."""
    from pyflow.scaleout import shared_graph

    model, flavor = shared
    return run(shared_graph(model), x, flavor)


def reference_tensors(graph: Graph, inputs: list[ModelInput], flavor: str,
                      log: Callable[[str], None] = lambda s: None, pool=None, model_path: Path | None = None):
    """Yield (input, {tensor index: array without batch dim}) for every input, running batches of `BATCH` (on the
    workers of ``pool``, a pyflow.scaleout.Pool, in input order, when given)."""
    chunks = [inputs[start:start + BATCH] for start in range(0, len(inputs), BATCH)]
    if pool is not None:
        from pyflow.scaleout import ModelBytes

        shared = (ModelBytes(graph.name, Path(model_path).read_bytes()), flavor)
        results = pool.map(reference_chunk, shared, [np.stack([i.data for i in c]) for c in chunks],
                           [[i.name for i in c] for c in chunks], desc=f"reference ({flavor})")
    else:
        results = (run(graph, np.stack([i.data for i in c]), flavor) for c in chunks)
    for start, (chunk, values) in enumerate(zip(chunks, results)):
        if pool is None:
            log(f"reference ({flavor}): inputs {start * BATCH + 1}-{start * BATCH + len(chunk)} of {len(inputs)}")
        for k, item in enumerate(chunk):
            yield item, {index: array[k] for index, array in values.items()}


def entries(graph: Graph, values: dict[int, np.ndarray]):
    """(op index, op type, tensor, array) for the model input (op index -1) and every op output."""
    yield -1, "INPUT", graph.input, values[graph.inputs[0]]
    for op in graph.ops:
        yield op.index, op.op_type, graph.tensor(op.output), values[op.output]


def write_golden(graph: Graph, model_path: Path, inputs: list[ModelInput], out_dir: Path, flavor: str,
                 formats: tuple[str, ...] = ("npy",), log: Callable[[str], None] = print, pool=None) -> dict:
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise FlowError(f"unknown golden format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    # An older manifest would vouch for tensors this run is about to overwrite: it goes first, the new one last.
    (out_dir / MANIFEST).unlink(missing_ok=True)
    manifest_inputs = []
    for item, values in reference_tensors(graph, inputs, flavor, log, pool, model_path):
        records = []
        for op_index, op_type, tensor, array in entries(graph, values):
            base = "input" if op_index < 0 else tensor_file(op_index, op_type)
            array = array.reshape(batched_shape(tensor.shape, 1)[1:]) if tensor.shape else array
            if "npy" in formats:
                fileio.write_bytes(out_dir / item.name / f"{base}.npy", fileio.npy_bytes(array))
            if "bin" in formats:
                fileio.write_bytes(out_dir / item.name / f"{base}.bin", np.ascontiguousarray(array).tobytes())
            if "hex" in formats:
                fileio.write_bytes(out_dir / item.name / f"{base}.hex", hex_lines(array))
            records.append({
                "op_index": op_index, "op_type": op_type, "tensor": tensor.name, "tensor_index": tensor.index,
                "shape": list(tensor.shape), "dtype": tensor.dtype, "scale": tensor.scale,
                "zero_point": tensor.zero_point, "file": f"{item.name}/{base}.npy",
                "sha256": fileio.tensor_sha256(array),
            })
        manifest_inputs.append({"name": item.name, "source": item.source, "tensors": records})
    manifest = {
        "format": 1,
        "model": {"name": graph.name, "file": Path(model_path).name, "sha256": graph.source_sha256},
        "flavor": flavor,
        "hash": "sha256 of the raw tensor bytes (C order, NHWC, batch dimension of 1 dropped)",
        "inputs": manifest_inputs,
    }
    fileio.write_json(out_dir / MANIFEST, manifest)
    return manifest


def read_manifest(path: Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise FlowError(f"no golden manifest at {path}; run `invoke golden` first") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise FlowError(f"cannot read golden manifest {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != 1 or "inputs" not in manifest:
        raise FlowError(f"{path} is not a pyflow golden manifest (format 1)")
    _check_manifest_schema(path, manifest)
    return manifest


_DTYPES = ("int8", "uint8", "int16", "int32", "float32")


def _check_manifest_schema(path: Path, manifest: dict) -> None:
    """Every field the compare reads, with its type and range, before anything is compared."""
    def bad(where: str, what: str) -> FlowError:
        return FlowError(f"{path}: {where}: {what}")
    if not isinstance(manifest["inputs"], list):
        raise bad("inputs", f"must be a list, got {type(manifest['inputs']).__name__}")
    for i, item in enumerate(manifest["inputs"]):
        where = f"inputs[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(
                item.get("tensors"), list):
            raise bad(where, "must be an object with a string 'name' and a list 'tensors'")
        for j, record in enumerate(item["tensors"]):
            at = f"{where}.tensors[{j}]"
            if not isinstance(record, dict):
                raise bad(at, "must be an object")
            for key, kind in (("op_index", int), ("op_type", str), ("tensor", str), ("file", str),
                              ("shape", list), ("dtype", str), ("sha256", str)):
                if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
                    raise bad(at, f"'{key}' must be {kind.__name__}, got {record.get(key)!r}")
            if not record["shape"] or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 1 << 20
                                              for d in record["shape"]):
                raise bad(at, f"'shape' must be a list of positive sizes, got {record['shape']!r}")
            if record["dtype"] not in _DTYPES:
                raise bad(at, f"'dtype' {record['dtype']!r} is not one of {', '.join(_DTYPES)}")
            if Path(record["file"]).is_absolute() or ".." in Path(record["file"]).parts:
                raise bad(at, f"'file' {record['file']!r} must be a path inside the golden directory")


def check_manifest(graph: Graph, manifest: dict, inputs: list[ModelInput],
                   log: Callable[[str], None] = lambda s: None) -> list[TensorDiff]:
    """Recompute the reference for ``inputs`` and compare every tensor hash with the manifest."""
    if manifest["model"]["sha256"] != graph.source_sha256:
        raise FlowError(f"the manifest is for model sha256 {manifest['model']['sha256'][:12]}…, "
                        f"this model is {graph.source_sha256[:12]}…")
    by_name = {item["name"]: item for item in manifest["inputs"]}
    missing = [i.name for i in inputs if i.name not in by_name]
    if missing:
        raise FlowError(f"inputs not in the manifest: {', '.join(missing)}")
    diffs = []
    for item, values in reference_tensors(graph, inputs, manifest["flavor"], log):
        recorded = {r["op_index"]: r for r in by_name[item.name]["tensors"]}
        for op_index, op_type, tensor, array in entries(graph, values):
            record = recorded.get(op_index)
            same = record is not None and record["sha256"] == fileio.tensor_sha256(array)
            diffs.append(TensorDiff(item.name, op_index, op_type, tensor.name, array.size,
                                    0 if same else -1, 0, None,
                                    "" if same else ("not in manifest" if record is None else "sha256 differs")))
    return diffs
