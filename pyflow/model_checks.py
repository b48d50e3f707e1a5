"""Checks a model must pass before anything computes on it: what TFLite's own Prepare functions check for each op
(kernels/conv.cc, depthwise_conv.cc, fully_connected.cc, pooling.cc, reduce.cc, concatenation.cc, pad.cc, ...),
plus sanity bounds that keep a mutated or hostile file from reaching numpy with absurd sizes.

The reader (pyflow/tflite_reader.py) calls these while it builds the IR; each failure is one FlowError naming the
op index and type, the tensor or option, the value and what it must be, e.g.
``op 12 DEPTHWISE_CONV_2D: dilation_h_factor = -3 (must be >= 1)``.
"""
from __future__ import annotations

import math

import numpy as np

from pyflow import quant
from pyflow.errors import FlowError

MAX_ELEMENTS = 1 << 28  # one tensor (or a padded conv / pool input): 256 M elements, 1 GiB of int32 at most
MAX_DIM = 1 << 20  # one dimension


def tensor(where: str, name: str, shape: tuple[int, ...], dtype: str, scale: float | None, zero_point: int,
           quantized: bool) -> None:
    """A graph tensor: positive dimensions, a bounded element count, a usable quantization."""
    for axis, dim in enumerate(shape):
        if not 1 <= dim <= MAX_DIM:
            raise FlowError(f"{where}: tensor '{name}' dimension {axis} = {dim} (must be in 1..{MAX_DIM})")
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise FlowError(f"{where}: tensor '{name}' has {count} elements (shape {shape}; at most {MAX_ELEMENTS})")
    if quantized and scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise FlowError(f"{where}: tensor '{name}' scale = {scale} (must be finite and > 0)")
        lo, hi = quant.DTYPE_RANGE.get(dtype, (None, None))
        if lo is not None and not lo <= zero_point <= hi:
            raise FlowError(f"{where}: tensor '{name}' zero_point = {zero_point} (must be in {lo}..{hi} for "
                            f"{dtype})")


def scales(where: str, name: str, values: np.ndarray) -> None:
    """Weight (filter) scales: finite and > 0 (TFLite's quantization parameters)."""
    values = np.asarray(values, dtype=np.float64)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise FlowError(f"{where}: tensor '{name}' scale = {values[bad][0]} (must be finite and > 0)")


def same_shape(where: str, a, b) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise FlowError(f"{where}: tensor '{b.name}' {tuple(b.shape)} must have the shape of '{a.name}' "
                        f"{tuple(a.shape)}")


def at_least(where: str, field: str, value: int, low: int = 1) -> None:
    if value < low:
        raise FlowError(f"{where}: {field} = {value} (must be >= {low})")


def rank(where: str, name: str, shape: tuple[int, ...], want: int | tuple[int, ...]) -> None:
    wanted = (want,) if isinstance(want, int) else want
    if len(shape) not in wanted:
        raise FlowError(f"{where}: tensor '{name}' has rank {len(shape)} (shape {shape}; must be "
                        f"{' or '.join(map(str, wanted))})")


def bias(where: str, values: np.ndarray | None, channels: int) -> None:
    """TFLite: the bias is 1-D with one value per output channel."""
    if values is not None and (values.ndim != 1 or values.shape[0] != channels):
        raise FlowError(f"{where}: bias shape {tuple(values.shape)} (must be ({channels},): one per output channel)")


def padded_input(where: str, shape: tuple[int, ...], pad_h: tuple[int, int], pad_w: tuple[int, int]) -> None:
    """The input with its SAME padding must stay within the element budget (a dilation of 2^31 - 1 would ask for
    hundreds of GiB)."""
    n, h, w, c = shape
    count = n * (h + sum(pad_h)) * (w + sum(pad_w)) * c
    if count > MAX_ELEMENTS:
        raise FlowError(f"{where}: the padded input would have {count} elements (padding {pad_h} rows, {pad_w} "
                        f"columns of {shape}; at most {MAX_ELEMENTS}): kernel, stride or dilation out of range")


def axis(where: str, field: str, value: int, ndim: int) -> int:
    """TFLite accepts axes in [-ndim, ndim); returns the non-negative axis."""
    if not -ndim <= value < ndim:
        raise FlowError(f"{where}: {field} = {value} (must be in {-ndim}..{ndim - 1} for rank {ndim})")
    return value % ndim


def graph_io(name: str, inputs: tuple[int, ...], outputs: tuple[int, ...], n_tensors: int) -> None:
    """At least one graph input and output, each an existing tensor (the engine's plan asks for exactly one input:
    pyflow/hls/codegen.py)."""
    if not inputs or not outputs:
        raise FlowError(f"{name}: the graph has {len(inputs)} inputs and {len(outputs)} outputs (must have at least "
                        "one of each)")
    for kind, group in (("input", inputs), ("output", outputs)):
        for index in group:
            if not 0 <= index < n_tensors:
                raise FlowError(f"{name}: graph {kind} tensor {index} does not exist ({n_tensors} tensors)")


def pool_windows(where: str, in_hw: tuple[int, int], out_hw: tuple[int, int], kernel: tuple[int, int],
                 stride: tuple[int, int], pad_before: tuple[int, int]) -> None:
    """Every average-pool window must hold at least one input pixel (TFLite would divide by a zero count)."""
    for size, out, k, s, p, axis_name in zip(in_hw, out_hw, kernel, stride, pad_before, ("rows", "columns")):
        for o in (0, out - 1):
            start = o * s - p
            if min(start + k, size) <= max(start, 0):
                raise FlowError(f"{where}: output {axis_name[:-1]} {o}'s window ({k} {axis_name} from {start}) "
                                f"lies wholly outside the {size} input {axis_name}")
