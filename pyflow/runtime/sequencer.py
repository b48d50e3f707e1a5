"""One image through every step of a program on a backend: the host side of the layer engine.

Per step: an engine step writes its descriptor and runs (the backend: csim library or board); a host op runs the
numpy reference on tensors read from the arena; an op fused into the next step does nothing. Every step is timed
(wall clock around the backend call or the host op), and with golden values each output is compared with them.

The arena is shared between the CPU and the engine. A backend whose engine does not see the CPU's writes until they
are flushed (a board with caches) gets ``to_device`` after the CPU wrote and ``from_device`` before the CPU reads;
the sequencer tracks which side wrote last, so a run does only the syncs it needs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pyflow.errors import FlowError
from pyflow.runtime.host_ops import run_host_op
from pyflow.runtime.program import Program, read_tensor, write_tensor


class Engine(Protocol):
    """What the sequencer needs from a backend."""

    name: str
    arena: np.ndarray  # the CPU's view of the activation arena (uint8, program.arena_words words)

    def to_device(self) -> None: ...  # make the CPU's writes to the arena visible to the engine

    def from_device(self) -> None: ...  # make the engine's writes visible to the CPU

    def run_step(self, descriptor: np.ndarray) -> None: ...  # one engine step (int32 descriptor words); blocks


@dataclass
class StepRun:
    layer: int
    op: str
    where: str  # engine | host | fused
    seconds: float
    bytes: int  # output bytes (0 for a fused op)
    result: str  # PASS | FAIL | RAN (no compare) | FUSED
    mismatches: int = 0
    first_mismatch: str = ""


@dataclass
class ImageRun:
    steps: list[StepRun]
    output: np.ndarray  # the graph output, one batch element
    seconds: float  # the whole image, host ops and syncs included
    compared: bool = False
    failed: list[StepRun] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.compared and not self.failed


def _compare(got: np.ndarray, expected: np.ndarray) -> tuple[int, str]:
    """(mismatching elements, the first as text)."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return got.size, f"got {got.dtype}{list(got.shape)}, expected {expected.dtype}{list(expected.shape)}"
    same = (got.view(np.uint8) == expected.view(np.uint8)) if got.dtype.itemsize == 1 else \
        (got.view(np.uint32) == expected.view(np.uint32))  # float32: bit for bit
    bad = np.flatnonzero(~same.reshape(-1))
    if bad.size == 0:
        return 0, ""
    where = np.unravel_index(bad[0], got.shape)
    return int(bad.size), (f"at (0,{','.join(map(str, where))}): expected {expected.reshape(-1)[bad[0]]} "
                           f"got {got.reshape(-1)[bad[0]]}")


def run_image(program: Program, engine: Engine, x: np.ndarray, golden: dict | None = None, k: int = 0) -> ImageRun:
    """Run one input (the model input's shape without the batch, in its dtype) through every step.

    golden: {tensor index: batch array} (pyflow.reference.runner.run over a batch holding this input at ``k``):
    every step's output is compared with it byte for byte (float32: bit for bit).
    """
    graph, bb = program.graph, program.bus_bytes
    x = np.asarray(x)
    if tuple(x.shape) != tuple(graph.input.shape[1:]) or x.dtype != np.dtype(graph.input.dtype):
        raise FlowError(f"input is {x.dtype}{list(x.shape)}; model '{graph.name}' takes "
                        f"{graph.input.dtype}{list(graph.input.shape[1:])}")
    start = time.perf_counter()
    write_tensor(engine.arena, program.slot(graph.inputs[0]), program.plan.input_as_stored(x[None])[0], bb)
    cpu_wrote, engine_wrote = True, False
    steps: list[StepRun] = []
    for step in program.steps:
        if step.where == "fused":
            steps.append(StepRun(step.index, step.name, "fused", 0.0, 0, "FUSED"))
            continue
        t0 = time.perf_counter()
        if step.where == "engine":
            if cpu_wrote:
                engine.to_device()
                cpu_wrote = False
            engine.run_step(program.descriptor_words(step))
            engine_wrote = True
        else:
            if engine_wrote:
                engine.from_device()
                engine_wrote = False
            run_host_op(program, step, engine.arena)
            cpu_wrote = True
        seconds = time.perf_counter() - t0
        out = program.slot(int(step.meta["out_tensor"]))
        row = StepRun(step.index, step.name, step.where, seconds, int(np.prod(out.per_image)) *
                      np.dtype(out.dtype).itemsize, "RAN")
        if golden is not None:
            if engine_wrote:
                engine.from_device()
                engine_wrote = False
            row.mismatches, row.first_mismatch = _compare(read_tensor(engine.arena, out, bb),
                                                          np.asarray(golden[out.tensor][k]))
            row.result = "FAIL" if row.mismatches else "PASS"
        steps.append(row)
    if engine_wrote:
        engine.from_device()
    output = read_tensor(engine.arena, program.slot(graph.outputs[0]), bb)
    run = ImageRun(steps, output, time.perf_counter() - start, compared=golden is not None)
    run.failed = [s for s in steps if s.result == "FAIL"]
    return run
