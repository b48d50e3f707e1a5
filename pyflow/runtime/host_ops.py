"""The ops the engine does not run, done on the host by the numpy reference (the same code that writes the golden
vectors): RESHAPE, PAD, CONCATENATION, QUANTIZE / DEQUANTIZE, SOFTMAX."""
from __future__ import annotations

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls.codegen import Layer
from pyflow.reference.runner import run_op
from pyflow.runtime.program import Program, read_tensor, write_tensor


def run_host_op(program: Program, step: Layer, arena: np.ndarray) -> None:
    """Read the op's inputs from the arena, run the reference op on them (batch of one), write its output."""
    graph = program.graph
    if not 0 <= step.index < len(graph.ops) or graph.ops[step.index].index != step.index:
        raise FlowError(f"layer {step.index} {step.name}: no such op in model '{graph.name}'")
    op = graph.ops[step.index]
    if step.where != "host":
        raise FlowError(f"layer {step.index} {step.name} runs on the {step.where}, not on the host")
    stored_input = graph.inputs[0] if program.plan.input_layout != "nhwc" else None
    if stored_input in op.inputs:
        raise FlowError(f"layer {step.index} {step.name} reads the graph input, which the arena holds in the stem's "
                        "2x2 blocks: the host cannot run it")
    bb = program.bus_bytes
    args = [read_tensor(arena, program.slot(t), bb)[None] for t in op.inputs]
    out = graph.tensor(op.output)
    result = run_op(op, args, out.shape, out.dtype, program.plan.flavor, [graph.tensor(t).shape for t in op.inputs])
    write_tensor(arena, program.slot(op.output), np.asarray(result)[0], bb)
