"""Run a whole graph through the reference, keeping every intermediate tensor."""
from __future__ import annotations

from typing import Callable

import numpy as np

from pyflow.errors import FlowError
from pyflow.ir import Graph, Op, batched_shape
from pyflow.reference import check_flavor, parallel, workers
from pyflow.reference.activations import hard_swish, leaky_relu, logistic, relu
from pyflow.reference.add import add
from pyflow.reference.conv import conv
from pyflow.reference.depthwise_conv import depthwise_conv
from pyflow.reference.elementwise import min_max, mul, sub
from pyflow.reference.fully_connected import fully_connected
from pyflow.reference.mean import mean
from pyflow.reference.pooling import average_pool, max_pool
from pyflow.reference.quantize import dequantize, quantize
from pyflow.reference.resize import resize
from pyflow.reference.shape_ops import concatenation, pad, reshape
from pyflow.reference.softmax import softmax
from pyflow.reference.transpose_conv import transpose_conv


# Two-input ops that broadcast: their inputs are aligned on the file's shapes (batch axis in front)
BROADCASTING = ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM")


def _aligned(value: np.ndarray, shape: tuple[int, ...], rank: int) -> np.ndarray:
    """A batch of one input of a broadcasting op as (N, 1.., *file shape), ``rank`` dimensions after N."""
    shape = tuple(shape)
    return value.reshape((value.shape[0],) + (1,) * (rank - len(shape)) + shape)


def run_op(op: Op, args: list[np.ndarray], out_shape: tuple[int, ...], out_dtype: str, flavor: str,
           in_shapes: list[tuple[int, ...]] | None = None) -> np.ndarray:
    """One op on a batch. ``in_shapes``: the file shapes of the inputs (needed when a broadcasting op's inputs
    differ in shape)."""
    constant = getattr(op.params, "constant", None)
    if constant is not None:  # a constant operand of the file: the same values for every input of the batch
        n = args[0].shape[0]
        value = np.broadcast_to(constant.reshape((1,) + constant.shape), (n,) + constant.shape)
        args = list(args)
        args.insert(op.params.constant_input, value)
        in_shapes = list(in_shapes or [args[1 - op.params.constant_input].shape])
        in_shapes.insert(op.params.constant_input, constant.shape)
    if op.op_type in BROADCASTING and in_shapes is not None and args[0].shape != args[1].shape:
        n = args[0].shape[0]
        aligned = [_aligned(a, s, len(out_shape)) for a, s in zip(args, in_shapes)]
        return _run_op(op, aligned, out_shape, out_dtype, flavor).reshape(batched_shape(out_shape, n))
    return _run_op(op, args, out_shape, out_dtype, flavor)


def _run_op(op: Op, args: list[np.ndarray], out_shape: tuple[int, ...], out_dtype: str, flavor: str) -> np.ndarray:
    p = op.params
    kind = op.op_type
    if kind == "CONV_2D":
        return conv(args[0], p, out_shape, out_dtype)
    if kind == "DEPTHWISE_CONV_2D":
        return depthwise_conv(args[0], p, out_shape, out_dtype)
    if kind == "FULLY_CONNECTED":
        return fully_connected(args[0], p, out_shape, flavor, out_dtype)
    if kind == "ADD":
        return add(args[0], args[1], p, out_dtype)
    if kind == "AVERAGE_POOL_2D":
        return average_pool(args[0], p, out_shape)
    if kind == "MAX_POOL_2D":
        return max_pool(args[0], p, out_shape)
    if kind == "MEAN":
        return mean(args[0], p, out_shape)
    if kind == "SOFTMAX":
        return softmax(args[0], p)
    if kind == "QUANTIZE":
        return quantize(args[0], p)
    if kind == "DEQUANTIZE":
        return dequantize(args[0], p)
    if kind == "SUB":
        return sub(args[0], args[1], p, out_dtype)
    if kind == "MUL":
        return mul(args[0], args[1], p, flavor, out_dtype)
    if kind in ("MAXIMUM", "MINIMUM"):
        return min_max(args[0], args[1], p)
    if kind in ("RELU", "RELU6", "RELU_N1_TO_1"):
        return relu(args[0], p, flavor)
    if kind == "LEAKY_RELU":
        return leaky_relu(args[0], p, flavor)
    if kind == "HARD_SWISH":
        return hard_swish(args[0], p)
    if kind == "LOGISTIC":
        return logistic(args[0], p, flavor)
    if kind in ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"):
        return resize(args[0], p, out_shape)
    if kind == "TRANSPOSE_CONV":
        return transpose_conv(args[0], p, out_shape, out_dtype)
    if kind in ("RESHAPE", "SQUEEZE"):
        return reshape(args[0], p)
    if kind == "PAD":
        return pad(args[0], p)
    if kind == "CONCATENATION":
        return concatenation(args, p)
    raise FlowError(f"op {op.index} {kind} has no reference implementation")


def check_input(graph: Graph, x: np.ndarray) -> np.ndarray:
    """A batch for the graph's first input: (N, *shape[1:]) in the input dtype."""
    t = graph.input
    want = tuple(t.shape[1:])
    if x.ndim == len(t.shape) - 1:
        x = x[None]
    if tuple(x.shape[1:]) != want:
        raise FlowError(f"input has shape {x.shape}; model '{graph.name}' expects (N, {', '.join(map(str, want))})")
    if x.dtype != np.dtype(t.dtype):
        raise FlowError(f"input dtype is {x.dtype}; model '{graph.name}' expects {t.dtype}")
    return x


def run(graph: Graph, x: np.ndarray, flavor: str = "litert",
        on_op: Callable[[Op, np.ndarray], None] | None = None) -> dict[int, np.ndarray]:
    """Run the batch ``x`` through every op; return {tensor index: batch array} for the input and every op output.

    A batch of several inputs is split into shares, one per thread of `pyflow.reference.parallel`: the first runs
    here, the others in worker processes (`pyflow.reference.workers`; on threads where those are not available),
    each running the whole network on its inputs. A single input runs each op's chunks on the threads.
    ``on_op(op, output batch)`` is called for every op in order."""
    check_flavor(flavor)
    if len(graph.inputs) != 1:
        raise FlowError(f"model '{graph.name}' has {len(graph.inputs)} inputs; only single-input models are supported")
    x = check_input(graph, x)
    with parallel.network():
        shares = parallel.batch_shares(len(x))
        if len(shares) == 1:
            return run_ops(graph, x, flavor, on_op)
        # Each share's rows of every output end up in the batch arrays (see share_rows and workers.run_shares).
        values = {graph.inputs[0]: x}
        for op in graph.ops:
            out = graph.tensor(op.output)
            values[op.output] = np.empty(batched_shape(out.shape, len(x)), out.dtype)

        def share_rows(share: tuple[int, int]) -> None:
            start, stop = share

            def keep(op: Op, result: np.ndarray) -> np.ndarray:
                rows = values[op.output][start:stop]
                rows[...] = result
                return rows

            with parallel.one_share():
                run_ops(graph, x[start:stop], flavor, None, keep)

        if not workers.run_shares(graph, x, flavor, values, shares, share_rows):
            parallel.map_shares(share_rows, shares)
    if on_op is not None:
        for op in graph.ops:
            on_op(op, values[op.output])
    return values


def run_ops(graph: Graph, x: np.ndarray, flavor: str, on_op: Callable[[Op, np.ndarray], None] | None,
            keep: Callable[[Op, np.ndarray], np.ndarray] | None = None) -> dict[int, np.ndarray]:
    """Every op on the batch ``x``; ``keep(op, result)`` may store a result elsewhere and return where it is."""
    values = {graph.inputs[0]: x}
    for op in graph.ops:
        out = graph.tensor(op.output)
        result = run_op(op, [values[i] for i in op.inputs], out.shape, out.dtype, flavor,
                        [graph.tensor(i).shape for i in op.inputs])
        values[op.output] = result if keep is None else keep(op, result)
        if on_op is not None:
            on_op(op, result)
    return values
