"""A fuzz campaign over the model path: mutated .tflite files through the reader, the reference and the engine
plan, each case in a forked child with a time and a memory limit. A case either runs or ends in a FlowError; any
other outcome (another exception, a hang, a crash, a memory blow-up) is a bug, written out as a reproducer.

Mutations of a committed seed model (seeded, deterministic):
- structured: one scalar field of one op's options, one dimension of a tensor's shape, one zero point or scale
  of a tensor's quantization, one value of a constant tensor, set to an interesting value;
- bytes: 1..8 bytes overwritten, or the file truncated.
"""
from __future__ import annotations

import os
import resource
import signal
import struct
import traceback
import warnings
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import numpy as np

OUTCOMES = ("runs", "clean error", "exception", "hang", "crash", "memory")
BUGS = ("exception", "hang", "crash", "memory")
INTERESTING_INTS = (-(2 ** 31), -65536, -129, -128, -3, -1, 0, 1, 2, 3, 7, 127, 128, 255, 256, 65535,
                    2 ** 24, 2 ** 31 - 1)
INTERESTING_FLOATS = (0.0, -1.0, 1e-30, 1e30, float("inf"), float("nan"), 1.0, 3.0e-45)


@dataclass(frozen=True)
class Case:
    index: int
    seed_model: str
    mutation: str  # what was changed, for the table and the reproducer
    data: bytes


@dataclass(frozen=True)
class Result:
    case: Case
    outcome: str
    detail: str  # the error message or the exception's last lines


# --------------------------------------------------------------------------------------------- mutations
def _vector_fields(data: bytes):
    """(description, absolute offset, struct format) of every editable scalar: op option fields, tensor shape
    dims, quantization zero points / scales, the first values of constant buffers."""
    import tflite
    from flatbuffers.table import Table

    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    fields = []
    for i in range(sg.OperatorsLength()):
        options = sg.Operators(i).BuiltinOptions()
        if options is None:
            continue
        tab = Table(options.Bytes, options.Pos)
        for slot in range(4, 24, 2):
            offset = tab.Offset(slot)
            if offset:
                fields.append((f"op {i} option slot {slot}", tab.Pos + offset, "<i"))
    for t in range(sg.TensorsLength()):
        tensor = sg.Tensors(t)
        tab = tensor._tab
        if tab.Offset(4):
            start = tab.Vector(tab.Offset(4))
            for axis in range(tensor.ShapeLength()):
                fields.append((f"tensor {t} shape[{axis}]", start + 4 * axis, "<i"))
        q = tensor.Quantization()
        if q is not None:
            qt = q._tab
            if qt.Offset(8) and q.ScaleLength():
                fields.append((f"tensor {t} scale[0]", qt.Vector(qt.Offset(8)), "<f"))
            if qt.Offset(10) and q.ZeroPointLength():
                fields.append((f"tensor {t} zero_point[0]", qt.Vector(qt.Offset(10)), "<q"))
        buf = model.Buffers(tensor.Buffer())
        if buf is not None and buf.DataLength() >= 4:
            fields.append((f"tensor {t} constant[0]", buf._tab.Vector(buf._tab.Offset(4)), "<i"))
    return fields


def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    out = bytearray(data)
    if rng.random() < 0.7:
        fields = _vector_fields(data)
        if fields:
            name, offset, fmt = fields[int(rng.integers(len(fields)))]
            if fmt == "<f":
                value = INTERESTING_FLOATS[int(rng.integers(len(INTERESTING_FLOATS)))]
            else:
                value = int(INTERESTING_INTS[int(rng.integers(len(INTERESTING_INTS)))])
            struct.pack_into(fmt, out, offset, value)
            return f"{name} = {value}", bytes(out)
    if rng.random() < 0.15:
        keep = int(rng.integers(8, len(data)))
        return f"truncated to {keep} bytes", bytes(data[:keep])
    changes = []
    for _ in range(int(rng.integers(1, 9))):
        at = int(rng.integers(len(out)))
        value = int(rng.choice([0x00, 0xFF, 0x7F, 0x80, int(rng.integers(256))]))
        out[at] = value
        changes.append(f"{at}:{value:02x}")
    return "bytes " + " ".join(changes), bytes(out)


def cases(seed_models: list[Path], count: int, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    seeds = [(p.name, p.read_bytes()) for p in seed_models]
    out = []
    for i in range(count):
        name, data = seeds[int(rng.integers(len(seeds)))]
        mutation, mutated = mutate(data, rng)
        out.append(Case(i, name, mutation, mutated))
    return out


# --------------------------------------------------------------------------------------------- one case
def run_model(data: bytes) -> None:
    """What a user's model goes through: the reader (and its validator), the reference on one deterministic input,
    the engine plan (codegen without files)."""
    from pyflow.errors import FlowError
    from pyflow.hls.codegen import plan
    from pyflow.hls.config import EngineConfig
    from pyflow.reference.runner import run
    from pyflow.tflite_reader import parse_model

    graph = parse_model(data, "fuzz")
    t = graph.input
    shape = (1, *t.shape[1:])  # one image, as the flow runs them (the file's batch size is not the input's)
    rng = np.random.default_rng(0)
    if t.dtype == "float32":
        x = rng.standard_normal(shape).astype(np.float32)
    elif t.dtype in ("int8", "uint8", "int16"):
        info = np.iinfo(t.dtype)
        x = rng.integers(info.min, info.max + 1, shape).astype(t.dtype)
    else:
        raise FlowError(f"input dtype {t.dtype}")
    run(graph, x)
    try:
        plan(graph, EngineConfig(), "litert")
    except FlowError:
        pass  # the reference ran; the engine may refuse what it does not support


def _child(data: bytes, conn, memory_bytes: int) -> None:
    from pyflow.errors import FlowError

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    warnings.simplefilter("ignore")  # float overflow of absurd (but valid) scales is an outcome, not noise to print
    try:
        run_model(data)
        conn.send(("runs", ""))
    except FlowError as exc:
        conn.send(("clean error", str(exc)[:300]))
    except MemoryError as exc:
        conn.send(("memory", f"MemoryError: {exc}"[:300]))
    except BaseException as exc:  # noqa: BLE001 -- everything else is what the campaign looks for
        tail = traceback.format_exception(type(exc), exc, exc.__traceback__)[-2:]
        conn.send(("exception", "".join(tail).strip()[-600:]))
    finally:
        conn.close()


def run_case(case: Case, timeout_s: float = 10.0, memory_bytes: int = 3 << 30) -> Result:
    ctx = get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case.data, child, memory_bytes))
    proc.start()
    child.close()
    outcome, detail = None, ""
    if parent.poll(timeout_s):
        try:
            outcome, detail = parent.recv()
        except EOFError:
            pass
    proc.join(1.0)
    if proc.is_alive():
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        if outcome is None:
            outcome, detail = "hang", f"no result within {timeout_s} s"
    if outcome is None:
        code = proc.exitcode
        outcome, detail = "crash", f"exit code {code}" + (f" (signal {-code})" if code and code < 0 else "")
    parent.close()
    return Result(case, outcome, detail)


# --------------------------------------------------------------------------------------------- campaign
def _preload() -> None:
    """Import everything a case runs in the parent, so that each forked child starts warm."""
    import pyflow.hls.codegen  # noqa: F401
    import pyflow.reference.runner  # noqa: F401
    import pyflow.tflite_reader  # noqa: F401


def campaign(seed_models: list[Path], count: int, seed: int, timeout_s: float = 10.0,
             progress: Callable[[int, int], None] | None = None) -> list[Result]:
    _preload()
    results = []
    for case in cases(seed_models, count, seed):
        results.append(run_case(case, timeout_s))
        if progress:
            progress(len(results), count)
    return results


def summary_table(results: list[Result]) -> str:
    from pyflow.table import format_rows

    rows = [("outcome", "cases", "share")]
    for outcome in OUTCOMES:
        n = sum(r.outcome == outcome for r in results)
        rows.append((outcome, str(n), f"{100 * n / max(1, len(results)):.1f}%"))
    return format_rows(rows, right=(1, 2))


def write_reproducers(results: list[Result], out_dir: Path) -> list[Path]:
    """Every bug as <index>.tflite plus <index>.txt (seed model, mutation, outcome, detail)."""
    from pyflow.fileio import write_bytes, write_text

    paths = []
    for r in results:
        if r.outcome not in BUGS:
            continue
        stem = out_dir / f"case_{r.case.index:06d}"
        write_bytes(stem.with_suffix(".tflite"), r.case.data)
        write_text(stem.with_suffix(".txt"), f"seed model: {r.case.seed_model}\nmutation: {r.case.mutation}\n"
                                             f"outcome: {r.outcome}\n{r.detail}\n")
        paths.append(stem.with_suffix(".tflite"))
    return paths


def bug_count(results: list[Result]) -> int:
    return sum(r.outcome in BUGS for r in results)


def seeds_default(models_dir: Path) -> list[Path]:
    """The committed single-op models that read cleanly (not the deliberately broken ones)."""
    skip = {"not_a_model.tflite", "truncated.tflite", "unsupported_op.tflite", "float_model.tflite"}
    return sorted(p for p in models_dir.glob("*.tflite") if p.name not in skip)
