"""A model at another input size, without TensorFlow: the same weights and quantization, every activation shape
recomputed for the new input height and width, and a global pooling (a window as large as its input, a 1x1
output) kept global. This is how the EfficientNet-lite family is used at 240..300 px with lite0's weights, and how
a camera frame or a strip of any size is tried on the engine.

The flatbuffer is patched in place: a shape is an int32 vector whose length does not change, a pool's window
size an int32 field, so the file keeps its layout and every other byte. The result is read back by the reader
(which checks every op's shapes against its padding mode) before it is returned.
"""
from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import tflite

from pyflow.errors import FlowError
from pyflow.fileio import write_bytes
from pyflow.tflite_reader import parse_model

_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_PADDING = {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")}
_ELEMENTWISE = ("QUANTIZE", "DEQUANTIZE", "SOFTMAX", "RELU", "RELU6", "LOGISTIC", "HARD_SWISH")


def _out_size(mode: str, size: int, k: int, stride: int, dilation: int) -> int:
    if mode == "SAME":
        return math.ceil(size / stride)
    return math.ceil((size - (k - 1) * dilation) / stride)


def _int32_field_pos(table, vtable_offset: int) -> int | None:
    o = table._tab.Offset(vtable_offset)
    return table._tab.Pos + o if o else None


def _options(op, cls):
    table = op.BuiltinOptions()
    if table is None:
        raise FlowError(f"{cls.__name__} missing")
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def resize_input(data: bytes, height: int, width: int, name: str = "model") -> bytes:
    """The model in ``data`` with its (1, H, W, C) input resized to (1, height, width, C)."""
    if height < 1 or width < 1:
        raise FlowError(f"input size {height}x{width} must be positive")
    graph = parse_model(data, name)  # a model the flow reads at its own size
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    shape = {t: [int(v) for v in sg.Tensors(t).ShapeAsNumpy()] if sg.Tensors(t).ShapeLength() else []
             for t in range(sg.TensorsLength())}
    if len(graph.inputs) != 1 or len(shape[graph.inputs[0]]) != 4:
        raise FlowError(f"{name}: resizing needs one (1, H, W, C) input")
    new = {t: list(s) for t, s in shape.items()}
    inp = graph.inputs[0]
    new[inp] = [1, height, width, shape[inp][3]]
    buf = bytearray(data)
    for k in range(sg.OperatorsLength()):
        op = sg.Operators(k)
        code = codes[op.OpcodeIndex()]
        kind = _OP_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
        ins = [int(i) for i in op.InputsAsNumpy()]
        out = int(op.OutputsAsNumpy()[0])
        x = new[ins[0]]
        what = f"{name}: op {k} {kind}"
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            cls = tflite.Conv2DOptions if kind == "CONV_2D" else tflite.DepthwiseConv2DOptions
            o = _options(op, cls)
            mode = _PADDING[o.Padding()]
            w = shape[ins[1]]
            kh, kw = w[1], w[2]
            channels = w[0] if kind == "CONV_2D" else w[3]
            oh = _out_size(mode, x[1], kh, o.StrideH(), o.DilationHFactor())
            ow = _out_size(mode, x[2], kw, o.StrideW(), o.DilationWFactor())
            new[out] = [1, oh, ow, channels]
        elif kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            o = _options(op, tflite.Pool2DOptions)
            mode = _PADDING[o.Padding()]
            fh, fw = o.FilterHeight(), o.FilterWidth()
            if (fh, fw) == tuple(shape[ins[0]][1:3]) and shape[out][1:3] == [1, 1]:  # global: follows the map
                for offset, value in ((12, x[1]), (10, x[2])):  # filter_height, filter_width
                    pos = _int32_field_pos(o, offset)
                    if pos is None:
                        raise FlowError(f"{what}: the window size is not stored in the file; cannot resize it")
                    struct.pack_into("<i", buf, pos, value)
                fh, fw = x[1], x[2]
            new[out] = [1, _out_size(mode, x[1], fh, o.StrideH(), 1), _out_size(mode, x[2], fw, o.StrideW(), 1), x[3]]
        elif kind == "ADD":
            if new[ins[1]] != x:
                raise FlowError(f"{what}: inputs {x} and {new[ins[1]]} differ after resizing")
            new[out] = list(x)
        elif kind == "MEAN":
            axes = {int(a) % 4 for a in np.atleast_1d(graph.ops[k].params.axes)}
            keep = len(shape[out]) == 4
            new[out] = [1 if i in axes else v for i, v in enumerate(x)] if keep else \
                [v for i, v in enumerate(x) if i not in axes]
        elif kind in _ELEMENTWISE:
            new[out] = list(x)
        elif kind in ("RESHAPE", "FULLY_CONNECTED"):
            if math.prod(x) != math.prod(shape[ins[0]]):
                raise FlowError(f"{what}: its input changes size with the input ({shape[ins[0]]} -> {x}); only "
                                "models whose RESHAPE / FULLY_CONNECTED follow a global pooling can be resized")
            new[out] = list(shape[out])
        else:
            raise FlowError(f"{what}: resizing does not know this op")
    for t, s in new.items():
        if s == shape[t]:
            continue
        tensor = sg.Tensors(t)
        for vtable in (4, 18):  # shape, shape_signature
            o = tensor._tab.Offset(vtable)
            if not o:
                continue
            a = tensor._tab.Vector(o)
            if tensor._tab.VectorLen(o) != len(s):
                raise FlowError(f"{name}: tensor {t} changes rank when resized")
            for j, v in enumerate(s):
                struct.pack_into("<i", buf, a + 4 * j, v)
    resized = bytes(buf)
    parse_model(resized, f"{name} at {height}x{width}")  # every op's shapes consistent again
    return resized


def parse_size(text) -> tuple[int, int]:
    """'300' -> (300, 300), '160x288' -> (160, 288); anything else is a FlowError."""
    parts = str(text).lower().replace("*", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values, default=0) < 1:
        raise FlowError(f"size '{text}' is not N or HxW with positive integers (e.g. 300 or 160x288)")
    return (values[0], values[-1])


def resize_model(path: Path, height: int, width: int, out: Path) -> Path:
    """Write ``path`` resized to height x width as ``out`` (atomically)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FlowError(f"cannot read model {path}: {exc}") from None
    write_bytes(Path(out), resize_input(data, height, width, path.stem))
    return Path(out)
