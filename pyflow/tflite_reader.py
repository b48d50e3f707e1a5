"""Read an int8 `.tflite` file (the `tflite` flatbuffer package) into the graph IR of `pyflow.ir`.

Every op's integer-kernel parameters are derived here, once, exactly as TensorFlow Lite's kernels derive them in
their Prepare step (the scale arithmetic in double precision from the file's float32 scales, see `pyflow.quant`).
Anything the flow cannot handle raises `FlowError` naming the op type, its index and the nearest supported op.

Static shapes: the batch dimension is fixed to 1 (a model exported with a free batch stores 1 in its shapes and
-1 in the shape signature). The shape arithmetic such a model carries (SHAPE -> STRIDED_SLICE / GATHER /
REDUCE_PROD -> PACK / CONCATENATION -> the shape input of RESHAPE) is then constant: it is evaluated here and
left out of ``Graph.ops`` (listed in ``Graph.folded``); a RESHAPE keeps the static output shape of the file,
checked against the computed one.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import tflite

from pyflow import ir, model_checks, quant
from pyflow.errors import FlowError

SUPPORTED_OPS = (
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN",
    "SOFTMAX", "QUANTIZE", "DEQUANTIZE", "RESHAPE", "PAD", "CONCATENATION", "SUB", "MUL", "MAXIMUM", "MINIMUM",
    "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "LOGISTIC", "SQUEEZE", "RESIZE_NEAREST_NEIGHBOR",
    "RESIZE_BILINEAR", "TRANSPOSE_CONV",
)
# Evaluated at read time when every input is a constant (shape arithmetic); never on activations.
FOLDED_OPS = ("SHAPE", "STRIDED_SLICE", "PACK", "GATHER", "REDUCE_PROD", "CONCATENATION")
# What to use instead of an unsupported op (the error message names it).
NEAREST_SUPPORTED = {
    "TANH": "LOGISTIC (tanh(x) = 2 * sigmoid(2x) - 1 in the float model)", "PRELU": "LEAKY_RELU",
    "ELU": "LEAKY_RELU", "GELU": "HARD_SWISH", "DIV": "MUL by the reciprocal", "SQUARED_DIFFERENCE": "SUB and MUL",
    "SUM": "MEAN", "REDUCE_MAX": "MAX_POOL_2D over the whole map", "BATCH_MATMUL": "FULLY_CONNECTED",
    "TRANSPOSE": "RESHAPE", "SPLIT": "separate convs", "SPLIT_V": "separate convs", "ABS": "RELU",
    "CONV_3D": "CONV_2D", "DEPTH_TO_SPACE": "RESIZE_NEAREST_NEIGHBOR then CONV_2D",
    "SPACE_TO_DEPTH": "a stride-2 CONV_2D",
}

_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_ACTIVATIONS = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_NUMPY_DTYPES = {"INT8": "int8", "UINT8": "uint8", "INT16": "int16", "INT32": "int32", "INT64": "int64",
                 "FLOAT32": "float32", "BOOL": "bool"}


def read_model(path: str | Path) -> ir.Graph:
    """Parse a `.tflite` file into a `Graph`; raise `FlowError` with a clear message on any problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FlowError(f"model file not found: {path}") from None
    except OSError as exc:
        raise FlowError(f"cannot read model {path}: {exc}") from None
    return parse_model(data, name=path.stem)


def parse_model(data: bytes, name: str = "model") -> ir.Graph:
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise FlowError(f"{name}: not a TensorFlow Lite flatbuffer (missing the 'TFL3' identifier)")
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        if model.SubgraphsLength() < 1:
            raise FlowError(f"{name}: the model has no subgraph")
        reader = _Reader(model, data, name)
        return reader.graph()
    except FlowError:
        raise
    except Exception as exc:  # a truncated or corrupt flatbuffer surfaces as index/struct errors
        raise FlowError(f"{name}: corrupt or truncated .tflite file ({type(exc).__name__}: {exc})") from None


class _Reader:
    def __init__(self, model, data: bytes, name: str):
        self.model = model
        self.data = data
        self.name = name
        self.subgraph = model.Subgraphs(0)

    # --- tensors -------------------------------------------------------------------------------------------
    def tensor_type(self, index: int) -> str:
        type_name = _TYPE_NAMES.get(self.subgraph.Tensors(index).Type(), "UNKNOWN")
        if type_name not in _NUMPY_DTYPES:
            raise FlowError(f"{self.name}: tensor {index} has unsupported type {type_name}")
        return _NUMPY_DTYPES[type_name]

    def quantization(self, index: int) -> tuple[np.ndarray, np.ndarray, int]:
        q = self.subgraph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        return (q.ScaleAsNumpy().astype(np.float32), q.ZeroPointAsNumpy().astype(np.int64),
                int(q.QuantizedDimension()))

    def constant(self, index: int) -> np.ndarray | None:
        tensor = self.subgraph.Tensors(index)
        buffer = self.model.Buffers(tensor.Buffer())
        shape = tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
        dtype = np.dtype(self.tensor_type(index))
        if buffer.DataLength() > 0:
            raw = buffer.DataAsNumpy().tobytes()
        elif buffer.Offset() > 1:  # large models keep buffers after the flatbuffer
            raw = self.data[buffer.Offset():buffer.Offset() + buffer.Size()]
        else:
            return None
        array = np.frombuffer(raw, dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise FlowError(f"{self.name}: constant tensor {index} has {array.size} values for shape {shape}")
        return array.reshape(shape).copy()

    def dynamic(self, index: int) -> bool:
        """A dimension other than the first is only known at run time (shape signature -1)."""
        tensor = self.subgraph.Tensors(index)
        return bool(tensor.ShapeSignatureLength()) and any(int(d) < 0 for d in tensor.ShapeSignatureAsNumpy()[1:])

    def activation(self, index: int, shape: tuple[int, ...] | None = None, where: str = "") -> ir.Tensor:
        """A tensor's shape, dtype and quantization; ``shape`` replaces a dynamic shape the reader inferred."""
        tensor = self.subgraph.Tensors(index)
        scales, zero_points, _ = self.quantization(index)
        if shape is None:
            shape = tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
            if self.dynamic(index):
                signature = [int(d) for d in tensor.ShapeSignatureAsNumpy()]
                raise FlowError(f"{where or self.name}: tensor {index} has the dynamic shape {signature} (a "
                                "dimension other than the batch is only known at run time, and the reader cannot "
                                "infer it here); fix all sizes before conversion")
        return ir.Tensor(
            index=index,
            name=tensor.Name().decode("utf-8", "replace"),
            shape=shape,
            dtype=self.tensor_type(index),
            scale=float(scales[0]) if scales.size else None,
            zero_point=int(zero_points[0]) if zero_points.size else 0,
        )

    # --- graph ---------------------------------------------------------------------------------------------
    def graph(self) -> ir.Graph:
        sg = self.subgraph
        graph_inputs = tuple(int(i) for i in sg.InputsAsNumpy()) if sg.InputsLength() else ()
        graph_outputs = tuple(int(i) for i in sg.OutputsAsNumpy()) if sg.OutputsLength() else ()
        model_checks.graph_io(self.name, graph_inputs, graph_outputs, sg.TensorsLength())
        ops: list[ir.Op] = []
        folded: list[ir.FoldedOp] = []
        tensors: dict[int, ir.Tensor] = {}
        self.computed: dict[int, np.ndarray] = {}  # tensor -> value of the folded shape arithmetic
        for index in graph_inputs:
            tensors[index] = self.activation(index)
            self.check_tensor(f"{self.name}: graph input", tensors[index])
        for op_index in range(sg.OperatorsLength()):
            fold = self.fold(op_index, tensors)
            if fold is not None:
                folded.append(fold)
                continue
            ops.append(self.op(op_index, len(ops), tensors))
        for index in graph_outputs:
            if index in self.computed:
                raise FlowError(f"{self.name}: graph output {index} is a computed shape, not an activation")
        return ir.Graph(
            name=self.name,
            tensors=tensors,
            ops=tuple(ops),
            inputs=graph_inputs,
            outputs=graph_outputs,
            source_sha256=hashlib.sha256(self.data).hexdigest(),
            folded=tuple(folded),
        )

    def known(self, index: int) -> np.ndarray | None:
        """The value of a constant tensor: computed by a folded op, or stored in the file; None otherwise."""
        if index < 0:
            return None
        if index in self.computed:
            return self.computed[index]
        return self.constant(index)

    def inferred_shape(self, op_type: str, op, inputs: list[int], output: int,
                       tensors: dict[int, ir.Tensor]) -> tuple[int, ...] | None:
        """The static shape (batch 1) of an output whose shape signature has a -1, where the op decides it:
        RESHAPE with a constant or computed shape input; FULLY_CONNECTED (rows x units). None: not dynamic, or
        not inferable (activation() then names the tensor)."""
        signature = self.subgraph.Tensors(output).ShapeSignatureAsNumpy() if \
            self.subgraph.Tensors(output).ShapeSignatureLength() else []
        if not any(int(d) < 0 for d in signature) or not inputs or inputs[0] not in tensors:
            return None  # static: the file's shape holds (a free batch included: its rows follow the input)
        size = tensors[inputs[0]].size
        if op_type == "RESHAPE" and len(inputs) > 1:
            shape = self.known(inputs[1])
            if shape is None:
                return None
            want = [int(d) for d in np.atleast_1d(shape)]
            if want.count(-1) == 1:
                rest = int(np.prod([d for d in want if d != -1]))
                want[want.index(-1)] = size // rest if rest else 0
            return tuple(want) if int(np.prod(want)) == size else None
        if op_type == "FULLY_CONNECTED" and len(inputs) > 1:
            weights = self.known(inputs[1])
            options = _options(op, tflite.FullyConnectedOptions)
            if weights is None or weights.ndim != 2 or (options is not None and options.KeepNumDims()):
                return None
            return (size // weights.shape[1], weights.shape[0]) if size % weights.shape[1] == 0 else None
        return None

    def fold(self, op_index: int, tensors: dict[int, ir.Tensor]) -> ir.FoldedOp | None:
        """Evaluate a shape-arithmetic op whose inputs are all constant (SHAPE: of an activation, whose shape is
        static); None for any other op."""
        op = self.subgraph.Operators(op_index)
        op_type = self.op_type(op)
        if op_type not in FOLDED_OPS:
            return None
        ins = [int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else []
        outs = [int(i) for i in op.OutputsAsNumpy()] if op.OutputsLength() else []
        where = f"{self.name}: op {op_index} {op_type}"
        if op_type == "SHAPE":
            if len(ins) != 1 or ins[0] not in tensors:
                raise FlowError(f"{where}: takes the shape of tensor {ins[:1]}, which is not an activation")
            dtype = _NUMPY_DTYPES.get(_TYPE_NAMES.get(self.subgraph.Tensors(outs[0]).Type(), ""), "int32")
            value = np.array(tensors[ins[0]].shape, dtype=dtype)
        else:
            values = [self.known(i) for i in ins]
            if any(v is None for v in values):
                if op_type == "CONCATENATION":
                    return None  # a concatenation of activations: an op of the graph
                raise FlowError(f"{where}: runs on activations; only shape arithmetic (constant inputs) is "
                                "supported for this op, and it is folded away")
            value = _fold_value(op_type, op, values, where)
        if len(outs) != 1:
            raise FlowError(f"{where}: has {len(outs)} outputs")
        self.computed[outs[0]] = np.asarray(value)
        return ir.FoldedOp(op_index, op_type, outs[0], tuple(int(v) for v in np.asarray(value).reshape(-1)))

    def check_tensor(self, where: str, t: ir.Tensor) -> None:
        model_checks.tensor(where, t.name, t.shape, t.dtype, t.scale, t.zero_point, t.dtype != "float32")

    def op_type(self, op) -> str:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        return _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")

    def op(self, op_index: int, position: int, tensors: dict[int, ir.Tensor]) -> ir.Op:
        op = self.subgraph.Operators(op_index)
        op_type = self.op_type(op)
        if op_type == "CUSTOM":
            custom = self.model.OperatorCodes(op.OpcodeIndex()).CustomCode()
            op_type = f"CUSTOM({(custom or b'').decode()})"
        if op_type not in SUPPORTED_OPS:
            nearest = NEAREST_SUPPORTED.get(op_type)
            raise FlowError(f"{self.name}: unsupported op {op_type} at index {op_index}; "
                            + (f"nearest supported: {nearest}; " if nearest else "")
                            + f"supported: {', '.join(SUPPORTED_OPS)}")
        in_idx = [int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else []
        out_idx = [int(i) for i in op.OutputsAsNumpy()]
        if op_type not in ("QUANTIZE", "DEQUANTIZE") and any(
                self.tensor_type(i) == "float32" for i in in_idx + out_idx if i >= 0):
            raise FlowError(
                f"{self.name}: this is a float (unquantized) model: op {op_index} {op_type} computes in float32. "
                "Convert it with full-integer post-training quantization (int8) first.")
        for index in in_idx + out_idx:
            if not -1 <= index < self.subgraph.TensorsLength():
                raise FlowError(f"{self.name}: op {op_index} {op_type} names tensor {index}, which does not exist")
        for index in out_idx:
            where = f"{self.name}: op {op_index} {op_type}"
            tensors[index] = self.activation(index, self.inferred_shape(op_type, op, in_idx, index, tensors), where)
            self.check_tensor(where, tensors[index])
        ctx = _OpContext(self, op, op_type, op_index, in_idx, out_idx, tensors)
        try:
            params, activation_inputs = _BUILDERS[op_type](ctx)
        except (OverflowError, ZeroDivisionError) as exc:  # e.g. a denormal output scale: in / out is infinite
            raise ctx.fail(f"quantization parameters out of range ({type(exc).__name__}: {exc}); check the "
                           "scales of its tensors") from None
        for index in activation_inputs:
            if index not in tensors:
                raise FlowError(f"{self.name}: op {op_index} {op_type} reads tensor {index} before it is produced")
        return ir.Op(index=position, op_type=op_type, inputs=tuple(activation_inputs), outputs=tuple(out_idx),
                     params=params, source_index=op_index)


class _OpContext:
    """What one op's parameter builder needs: its tensors, options and error context."""

    def __init__(self, reader: _Reader, op, op_type, op_index, inputs, outputs, tensors):
        self.reader, self.op, self.op_type, self.index = reader, op, op_type, op_index
        self.inputs, self.outputs, self.tensors = inputs, outputs, tensors

    @property
    def where(self) -> str:
        """The error prefix of this op: model, op index and type."""
        return f"{self.reader.name}: op {self.index} {self.op_type}"

    def fail(self, message: str) -> FlowError:
        return FlowError(f"{self.where}: {message}")

    def options(self, cls, required: bool = True):
        table = self.op.BuiltinOptions()
        if table is None:
            if required:
                raise self.fail(f"has no {cls.__name__} (a corrupt or hand-edited file)")
            return None
        options = cls()
        options.Init(table.Bytes, table.Pos)
        return options

    def act(self, i: int = 0) -> ir.Tensor:
        index = self.inputs[i]
        if index in self.reader.computed:
            raise self.fail(f"input {i} (tensor {index}) is a computed shape, not an activation")
        if index not in self.tensors:
            raise self.fail(f"input {i} (tensor {index}) is a constant or not produced by an earlier op")
        return self.tensors[index]

    @property
    def out(self) -> ir.Tensor:
        return self.tensors[self.outputs[0]]

    def quantized(self, tensor: ir.Tensor, dtypes=("int8",)) -> ir.Tensor:
        if tensor.dtype not in dtypes:
            raise self.fail(f"tensor '{tensor.name}' is {tensor.dtype}; expected {' or '.join(dtypes)}")
        if tensor.scale is None:
            raise self.fail(f"tensor '{tensor.name}' has no quantization parameters")
        return tensor

    def operands(self, dtypes=("int8",)) -> tuple[ir.Tensor, ir.Tensor, dict, list[int]]:
        """The two inputs of a binary elementwise op, either of which may be a constant tensor of the file:
        (input 1, input 2, the params fields that carry a constant, the activation inputs)."""
        tensors, constant, activations = [], {}, []
        for i in (0, 1):
            index = self.inputs[i]
            if index in self.tensors:
                tensors.append(self.quantized(self.act(i), dtypes))
                activations.append(index)
                continue
            value = self.reader.known(index)
            if value is None or index in self.reader.computed:
                raise self.fail(f"input {i} (tensor {index}) is neither an activation nor a constant")
            if constant:
                raise self.fail("both inputs are constant")
            tensors.append(self.quantized(self.reader.activation(index), dtypes))
            constant = {"constant": value, "constant_input": i}
        return tensors[0], tensors[1], constant, activations

    def const(self, i: int) -> np.ndarray | None:
        if i >= len(self.inputs) or self.inputs[i] < 0:
            return None
        value = self.reader.constant(self.inputs[i])
        if value is None:
            raise self.fail(f"input {i} must be a constant tensor")
        return value

    def activation_range(self, fused: int, tensor: ir.Tensor) -> tuple[int, int]:
        name = _ACTIVATIONS.get(fused, str(fused))
        try:
            return quant.activation_range(name, tensor.scale, tensor.zero_point, tensor.dtype)
        except ValueError:
            raise self.fail(f"unsupported fused activation {name}") from None


def _options(op, cls):
    table = op.BuiltinOptions()
    if table is None:
        return None
    options = cls()
    options.Init(table.Bytes, table.Pos)
    return options


def _fold_value(op_type: str, op, values: list[np.ndarray], where: str) -> np.ndarray:
    """The constant result of one folded shape op (TFLite semantics on small integer arrays)."""
    if op_type == "PACK":
        options = _options(op, tflite.PackOptions)
        axis = options.Axis() if options else 0
        return np.stack([np.asarray(v) for v in values], axis=axis)
    if op_type == "CONCATENATION":
        options = _options(op, tflite.ConcatenationOptions)
        return np.concatenate([np.atleast_1d(v) for v in values], axis=options.Axis() if options else 0)
    if op_type == "GATHER":
        options = _options(op, tflite.GatherOptions)
        if options is not None and options.BatchDims():
            raise FlowError(f"{where}: batch_dims = {options.BatchDims()} is not supported")
        params, indices = values
        axis = options.Axis() if options else 0
        if np.any(indices < 0) or np.any(indices >= np.asarray(params).shape[axis]):
            raise FlowError(f"{where}: index out of range")
        return np.take(params, indices, axis=axis)
    if op_type == "REDUCE_PROD":
        options = _options(op, tflite.ReducerOptions)
        x, axes = np.asarray(values[0]), np.atleast_1d(values[1])
        keep = bool(options.KeepDims()) if options else False
        return np.prod(x, axis=tuple(int(a) % max(x.ndim, 1) for a in axes), keepdims=keep).astype(x.dtype)
    if op_type == "STRIDED_SLICE":
        options = _options(op, tflite.StridedSliceOptions)
        x, begin, end, strides = (np.asarray(v) for v in values)
        if options is not None and (options.EllipsisMask() or options.NewAxisMask()):
            raise FlowError(f"{where}: ellipsis and new-axis masks are not supported")
        begin_mask = options.BeginMask() if options else 0
        end_mask = options.EndMask() if options else 0
        shrink = options.ShrinkAxisMask() if options else 0
        index = []
        for axis in range(begin.size):
            if shrink >> axis & 1:
                index.append(int(begin[axis]))
                continue
            b = None if begin_mask >> axis & 1 else int(begin[axis])
            e = None if end_mask >> axis & 1 else int(end[axis])
            if int(strides[axis]) == 0:
                raise FlowError(f"{where}: stride 0")
            index.append(slice(b, e, int(strides[axis])))
        return x[tuple(index)]
    raise FlowError(f"{where}: cannot be folded")


def _requant(scales: np.ndarray) -> ir.Requant:
    """Effective scales (double) -> per-channel (multiplier, shift)."""
    pairs = [quant.quantize_multiplier(float(s)) for s in scales]
    return ir.Requant(multiplier=np.array([p[0] for p in pairs], dtype=np.int32),
                      shift=np.array([p[1] for p in pairs], dtype=np.int32),
                      effective_scale=np.asarray(scales, dtype=np.float64))


def _padding(mode: str, in_hw, out_hw, kernel_hw, stride, dilation) -> ir.Padding:
    """TFLite ``ComputePaddingHeightWidth``: SAME puts the odd pixel at the bottom/right."""
    pads = []
    for size, out, k, s, d in zip(in_hw, out_hw, kernel_hw, stride, dilation):
        effective = (k - 1) * d + 1
        total = max((out - 1) * s + effective - size, 0) if mode == "SAME" else 0
        pads.append((total // 2, total - total // 2))
    return ir.Padding(top=pads[0][0], bottom=pads[0][1], left=pads[1][0], right=pads[1][1])


def _expected_out(mode: str, size: int, k: int, s: int, d: int) -> int:
    effective = (k - 1) * d + 1
    return (size + s - 1) // s if mode == "SAME" else (size - effective + s) // s


_PADDING = {tflite.Padding.SAME: "SAME", tflite.Padding.VALID: "VALID"}


def _window_padding(ctx: "_OpContext", mode: str, x: ir.Tensor, y: ir.Tensor, kernel, stride, dilation) -> ir.Padding:
    """A windowed op (conv, depthwise, pool): the output size its padding mode gives, its padding, and the padded
    input within the element budget."""
    for axis, name in ((0, "height"), (1, "width")):
        want = _expected_out(mode, x.shape[1 + axis], kernel[axis], stride[axis], dilation[axis])
        if y.shape[1 + axis] != want:
            raise ctx.fail(f"output {name} {y.shape[1 + axis]} does not match {mode} padding (expected {want})")
    padding = _padding(mode, x.shape[1:3], y.shape[1:3], kernel, stride, dilation)
    model_checks.padded_input(ctx.where, x.shape, (padding.top, padding.bottom), (padding.left, padding.right))
    return padding


def _padding_mode(ctx: "_OpContext", value: int) -> str:
    if value not in _PADDING:
        raise ctx.fail(f"padding = {value} (must be SAME ({tflite.Padding.SAME}) or VALID ({tflite.Padding.VALID}))")
    return _PADDING[value]


def _conv(ctx: _OpContext):
    depthwise = ctx.op_type == "DEPTHWISE_CONV_2D"
    options = ctx.options(tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    where = ctx.where
    model_checks.rank(where, x.name, x.shape, 4)
    model_checks.rank(where, y.name, y.shape, 4)
    weights = ctx.const(1)
    if weights is None or weights.dtype != np.int8 or weights.ndim != 4 or min(weights.shape) < 1:
        raise ctx.fail("weights must be a constant int8 4-D tensor")
    w_scales, w_zps, w_axis = ctx.reader.quantization(ctx.inputs[1])
    model_checks.scales(where, "weights", w_scales)
    if w_scales.size > 1 and w_axis != (3 if depthwise else 0):  # conv.cc / depthwise_conv.cc Prepare
        raise ctx.fail(f"weights quantized_dimension = {w_axis} (per-channel scales must run along axis "
                       f"{3 if depthwise else 0})")
    if np.any(w_zps != 0):
        raise ctx.fail("weights must be symmetric (zero point 0)")
    out_channels = y.shape[3]
    if w_scales.size not in (1, out_channels):
        raise ctx.fail(f"{w_scales.size} weight scales for {out_channels} output channels")
    bias = ctx.const(2)
    model_checks.bias(where, bias, out_channels)
    bias = np.zeros(out_channels, np.int32) if bias is None else bias.astype(np.int32)
    stride = (options.StrideH(), options.StrideW())
    dilation = (options.DilationHFactor(), options.DilationWFactor())
    for field, value in zip(("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor"), stride + dilation):
        model_checks.at_least(where, field, value)
    mode = _padding_mode(ctx, options.Padding())
    kernel = (weights.shape[1], weights.shape[2])
    padding = _window_padding(ctx, mode, x, y, kernel, stride, dilation)
    multiplier = 0
    if depthwise:
        model_checks.at_least(where, "depth_multiplier", options.DepthMultiplier(), 0)
        multiplier = options.DepthMultiplier() or out_channels // x.shape[3]
        if x.shape[3] * multiplier != out_channels:
            raise ctx.fail(f"{x.shape[3]} input channels x depth multiplier {multiplier} != {out_channels} outputs")
    elif weights.shape[3] != x.shape[3]:
        raise ctx.fail(f"weights have {weights.shape[3]} input channels, input has {x.shape[3]}")
    if weights.shape[0 if not depthwise else 3] != out_channels:
        raise ctx.fail(f"weights shape {weights.shape} does not give the {out_channels} output channels")
    scales = np.broadcast_to(w_scales, (out_channels,)).astype(np.float64)
    effective = float(np.float64(np.float32(x.scale))) * scales / float(np.float32(y.scale))
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction(), y)
    params = ir.ConvParams(
        stride=stride, dilation=dilation, padding=padding, padding_mode=mode,
        weights=weights, bias=bias, input_offset=-x.zero_point, output_offset=y.zero_point,
        requant=_requant(effective), act_min=act_min, act_max=act_max, depth_multiplier=multiplier)
    return params, [ctx.inputs[0]]


def _fully_connected(ctx: _OpContext):
    options = ctx.options(tflite.FullyConnectedOptions)
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    weights = ctx.const(1)
    if weights is None or weights.dtype != np.int8 or weights.ndim != 2:
        raise ctx.fail("weights must be a constant int8 2-D tensor")
    w_scales, w_zps, w_axis = ctx.reader.quantization(ctx.inputs[1])
    model_checks.scales(ctx.where, "weights", w_scales)
    if w_scales.size > 1 and w_axis != 0:
        raise ctx.fail(f"weights quantized_dimension = {w_axis} (per-channel scales must run along axis 0)")
    out_features, in_features = weights.shape
    if in_features < 1 or out_features < 1:
        raise ctx.fail(f"weights shape {weights.shape} (both dimensions must be >= 1)")
    if x.size % in_features:
        raise ctx.fail(f"input of {x.size} values is not a multiple of {in_features} features")
    if len(y.shape) < 1 or y.shape[-1] != out_features or y.size != x.size // in_features * out_features:
        raise ctx.fail(f"output shape {y.shape} does not hold {x.size // in_features} x {out_features} outputs")
    bias = ctx.const(2)
    model_checks.bias(ctx.where, bias, out_features)
    bias = np.zeros(out_features, np.int32) if bias is None else bias.astype(np.int32)
    if w_scales.size == out_features and out_features > 1:
        if np.any(w_zps != 0):
            raise ctx.fail("per-channel weights must be symmetric")
        weights_offset = 0
    elif w_scales.size == 1:
        weights_offset = -int(w_zps[0])
    else:
        raise ctx.fail(f"{w_scales.size} weight scales for {out_features} outputs")
    # LiteRT's reference kernel requantizes with double(input_scale) * double(filter_scale) / double(output_scale);
    # the (multiplier, shift) pairs come from the same double expression per channel, but per-tensor from
    # GetQuantizedConvolutionMultipler, which takes the scale product in float32.
    effective = float(x.scale) * w_scales.astype(np.float64) / float(y.scale)
    requant = _requant(effective)
    if w_scales.size == 1:
        pair = _requant(np.array([float(np.float32(x.scale) * w_scales[0]) / float(y.scale)]))
        requant = ir.Requant(multiplier=pair.multiplier, shift=pair.shift, effective_scale=effective)
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction(), y)
    params = ir.FullyConnectedParams(
        weights=weights, bias=bias, input_offset=-x.zero_point, weights_offset=weights_offset,
        output_offset=y.zero_point, requant=requant, act_min=act_min, act_max=act_max)
    return params, [ctx.inputs[0]]


def _broadcast(ctx: _OpContext, a: ir.Tensor, b: ir.Tensor, y: ir.Tensor) -> None:
    """Two inputs of an elementwise op: numpy broadcasting (TFLite's, up to rank 4) must give the output."""
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ctx.fail(f"inputs {a.shape} and {b.shape} do not broadcast") from None
    if len(shape) > 4 or tuple(shape) != tuple(y.shape):
        raise ctx.fail(f"inputs {a.shape} and {b.shape} broadcast to {tuple(shape)}, the output is {y.shape} "
                       "(at most 4 dimensions)")


def _flavored(numerator: float, denominator: float) -> ir.Flavored:
    """QuantizeMultiplier(numerator / denominator) of two float32 values: LiteRT's Prepare divides in float32,
    TFLM's in double."""
    litert = float(np.float32(numerator) / np.float32(denominator))
    return ir.Flavored(quant.quantize_multiplier(litert),
                       quant.quantize_multiplier(float(np.float32(numerator)) / float(np.float32(denominator))))


def _add_sub_scales(a: ir.Tensor, b: ir.Tensor, y: ir.Tensor) -> dict:
    """The ADD / SUB rescaling (TFLite's add.cc / sub.cc Prepare): both inputs to twice the larger input scale
    at left_shift = 20 extra bits; 2 * max(scale) in float32 (exact), the quotients in double."""
    left_shift = 20
    twice_max = float(2 * max(np.float32(a.scale), np.float32(b.scale)))
    m1, s1 = quant.quantize_multiplier_smaller_than_one(float(a.scale) / twice_max)
    m2, s2 = quant.quantize_multiplier_smaller_than_one(float(b.scale) / twice_max)
    mo, so = quant.quantize_multiplier_smaller_than_one(
        twice_max / float(np.float32(1 << left_shift) * np.float32(y.scale)))
    return dict(input1_offset=-a.zero_point, input2_offset=-b.zero_point, output_offset=y.zero_point,
                left_shift=left_shift, input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2,
                input2_shift=s2, output_multiplier=mo, output_shift=so)


def _add(ctx: _OpContext):
    options = ctx.options(tflite.AddOptions if ctx.op_type == "ADD" else tflite.SubOptions, required=False)
    a, b, constant, inputs = ctx.operands()
    y = ctx.quantized(ctx.out)
    _broadcast(ctx, a, b, y)
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction() if options else 0, y)
    cls = ir.AddParams if ctx.op_type == "ADD" else ir.SubParams
    return cls(**_add_sub_scales(a, b, y), act_min=act_min, act_max=act_max, **constant), inputs


def _mul(ctx: _OpContext):
    options = ctx.options(tflite.MulOptions, required=False)
    a, b, constant, inputs = ctx.operands()
    y = ctx.quantized(ctx.out)
    _broadcast(ctx, a, b, y)
    # mul.cc: input1 scale x input2 scale / output scale -- LiteRT in float32, TFLM in double
    litert = float(np.float32(np.float32(a.scale) * np.float32(b.scale)) / np.float32(y.scale))
    micro = float(np.float32(a.scale)) * float(np.float32(b.scale)) / float(np.float32(y.scale))
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction() if options else 0, y)
    params = ir.MulParams(input1_offset=-a.zero_point, input2_offset=-b.zero_point, output_offset=y.zero_point,
                          requant=ir.Flavored(quant.quantize_multiplier(litert), quant.quantize_multiplier(micro)),
                          act_min=act_min, act_max=act_max, **constant)
    return params, inputs


def _min_max(ctx: _OpContext):
    a, b, constant, inputs = ctx.operands(("int8", "uint8"))
    y = ctx.quantized(ctx.out, ("int8", "uint8"))
    if not a.dtype == b.dtype == y.dtype:
        raise ctx.fail("inputs and output must have one dtype")
    _broadcast(ctx, a, b, y)
    return ir.MinMaxParams(maximum=ctx.op_type == "MAXIMUM", **constant), inputs


# RELU family: the activation's real range (activations.cc QuantizedReluX)
_RELU_RANGES = {"RELU": (0.0, math.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def _relu(ctx: _OpContext):
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    model_checks.same_shape(ctx.where, x, y)
    low, high = _RELU_RANGES[ctx.op_type]
    act_min = max(-128, quant.quantize_value(low, y.scale, y.zero_point))
    act_max = 127 if math.isinf(high) else min(127, quant.quantize_value(high, y.scale, y.zero_point))
    raw = None
    if ctx.op_type == "RELU6":  # TFLM Relu6Prepare: FloatToQuantizedType<int8_t>(6.0f, input scale, zero point)
        six = int(quant.round_half_away(float(np.float32(6.0) / np.float32(x.scale)))) + x.zero_point
        raw = (x.zero_point, int(np.clip(six, -128, 127)))
    return ir.ReluParams(input_zero_point=x.zero_point, output_offset=y.zero_point,
                         requant=_flavored(x.scale, y.scale), act_min=act_min, act_max=act_max,
                         tflm_raw_bounds=raw), [ctx.inputs[0]]


def _leaky_relu(ctx: _OpContext):
    options = ctx.options(tflite.LeakyReluOptions)
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    model_checks.same_shape(ctx.where, x, y)
    alpha = np.float32(options.Alpha())
    if not np.isfinite(alpha):
        raise ctx.fail(f"alpha = {alpha} (must be finite)")
    # input scale x alpha / output scale: float32 products in LiteRT, double in TFLM (as _flavored)
    alpha_pair = _flavored(float(np.float32(np.float32(x.scale) * alpha)), y.scale)
    micro = float(np.float32(x.scale)) * float(alpha) / float(np.float32(y.scale))
    alpha_pair = ir.Flavored(alpha_pair.litert, quant.quantize_multiplier(micro))
    return ir.LeakyReluParams(input_zero_point=x.zero_point, output_offset=y.zero_point,
                              identity=_flavored(x.scale, y.scale), alpha=alpha_pair), [ctx.inputs[0]]


def _int16_multiplier(real: float) -> tuple[int, int]:
    """QuantizeMultiplier, then the Q31 multiplier rounded to Q15 (activations.cc
    DownScaleInt32ToInt16Multiplier: + 2^15, >> 16, saturating at INT16_MAX)."""
    m, e = quant.quantize_multiplier(real)
    return (32767 if m >= quant.INT32_MAX - (1 << 15) else (m + (1 << 15)) >> 16), e


def _hard_swish(ctx: _OpContext):
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    model_checks.same_shape(ctx.where, x, y)
    # HardSwishPrepare, all in float32: the input on a 2^-7 finer scale, "reluish" 3.0 at int16 32768
    hires = np.float32(np.float32(1.0 / 128.0) * np.float32(x.scale))
    out_m, out_e = _int16_multiplier(float(np.float32(hires / np.float32(y.scale))))
    relu_m, relu_e = _int16_multiplier(float(np.float32(hires / np.float32(np.float32(3.0) / np.float32(32768.0)))))
    if out_e > 0:
        raise ctx.fail("output scale below input scale / 128 (TFLite requires output_multiplier_exponent <= 0)")
    return ir.HardSwishParams(input_zero_point=x.zero_point, output_zero_point=y.zero_point,
                              reluish_multiplier_int16=relu_m, reluish_exponent=relu_e,
                              output_multiplier_int16=out_m, output_exponent=out_e), [ctx.inputs[0]]


def logistic_params(input_scale: float, input_zero_point: int) -> ir.LogisticParams:
    """LOGISTIC int8 parameters of both runtimes for an input quantization (output: 1/256, -128)."""
    x = ir.Tensor(-1, "", (1,), "int8", input_scale, input_zero_point)
    y = ir.Tensor(-1, "", (1,), "int8", 1.0 / 256, -128)
    # LiteRT (kReference): PopulateLookupTable<int8_t> with 1 / (1 + exp(-x)), all float32 (expf taken as the
    # correctly rounded float32 of exp).
    values = np.arange(-128, 128, dtype=np.int32)
    dequantized = np.float32(x.scale) * (values - x.zero_point).astype(np.float32)
    exp = np.exp(-dequantized.astype(np.float64)).astype(np.float32)
    transformed = np.float32(1.0) / (np.float32(1.0) + exp)
    rescaled = quant.round_half_away(transformed * (np.float32(1.0) / np.float32(y.scale))).astype(np.float32)
    quantized = (rescaled + np.float32(y.zero_point)).astype(np.int32)
    table = np.clip(quantized, -128, 127).astype(np.int8)
    table = np.concatenate([table[128:], table[:128]])  # indexed by the input byte (uint8)
    # TFLM (logistic_common.cc): input rescaled to Q4.27 by frexp of double(scale) x 2^27
    fraction, left_shift = math.frexp(float(np.float32(x.scale)) * float(1 << 27))
    multiplier = int(quant.round_half_away(fraction * (1 << 31)))
    if multiplier > quant.INT32_MAX:
        raise ValueError("input scale gives a Q31 multiplier of 2^31 (TFLM's frexp rounding overflows)")
    radius = math.floor(15 * (1 << 27) / (1 << left_shift)) if left_shift >= 0 else quant.INT32_MAX
    return ir.LogisticParams(table=table, input_zero_point=x.zero_point, input_range_radius=radius,
                             input_multiplier=multiplier, input_left_shift=left_shift)


def _logistic(ctx: _OpContext):
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    model_checks.same_shape(ctx.where, x, y)
    if y.zero_point != -128 or np.float32(y.scale) != np.float32(1.0 / 256):
        raise ctx.fail("int8 LOGISTIC output must have scale 1/256 and zero point -128")
    try:
        return logistic_params(x.scale, x.zero_point), [ctx.inputs[0]]
    except ValueError as err:
        raise ctx.fail(str(err)) from None


def _resize(ctx: _OpContext):
    bilinear = ctx.op_type == "RESIZE_BILINEAR"
    options = ctx.options(tflite.ResizeBilinearOptions if bilinear else tflite.ResizeNearestNeighborOptions,
                          required=False)
    x, y = ctx.quantized(ctx.act(0), ("int8", "uint8")), ctx.quantized(ctx.out, ("int8", "uint8"))
    model_checks.rank(ctx.where, x.name, x.shape, 4)
    model_checks.rank(ctx.where, y.name, y.shape, 4)
    size = ctx.reader.known(ctx.inputs[1])
    if size is None or np.asarray(size).size != 2 or tuple(int(v) for v in np.asarray(size)) != tuple(y.shape[1:3]):
        raise ctx.fail(f"size input {None if size is None else list(np.asarray(size))} must be the constant output "
                       f"size {list(y.shape[1:3])}")
    if x.shape[0] != y.shape[0] or x.shape[3] != y.shape[3] or x.dtype != y.dtype:
        raise ctx.fail(f"input {x.shape} and output {y.shape} differ in batch, channels or dtype")
    align = bool(options.AlignCorners()) if options else False
    half = bool(options.HalfPixelCenters()) if options else False
    if align and half:
        raise ctx.fail("align_corners and half_pixel_centers are both set (TFLite requires at most one)")
    return ir.ResizeParams(bilinear=bilinear, align_corners=align, half_pixel_centers=half), [ctx.inputs[0]]


def _transpose_conv(ctx: _OpContext):
    options = ctx.options(tflite.TransposeConvOptions)
    x, y = ctx.quantized(ctx.act(2)), ctx.quantized(ctx.out)
    model_checks.rank(ctx.where, x.name, x.shape, 4)
    model_checks.rank(ctx.where, y.name, y.shape, 4)
    shape = ctx.reader.known(ctx.inputs[0])
    if shape is None or tuple(int(v) for v in np.asarray(shape).reshape(-1)) != tuple(y.shape):
        raise ctx.fail(f"output_shape input must be the constant output shape {list(y.shape)}")
    weights = ctx.const(1)
    if weights is None or weights.dtype != np.int8 or weights.ndim != 4 or weights.shape[3] != x.shape[3] \
            or weights.shape[0] != y.shape[3]:
        raise ctx.fail(f"weights must be a constant int8 (O={y.shape[3]}, KH, KW, I={x.shape[3]}) tensor")
    w_scales, w_zps, w_axis = ctx.reader.quantization(ctx.inputs[1])
    model_checks.scales(ctx.where, "weights", w_scales)
    if np.any(w_zps != 0) or w_scales.size not in (1, y.shape[3]) or (w_scales.size > 1 and w_axis != 0):
        raise ctx.fail("weights must be symmetric, per-tensor or per output channel (axis 0)")
    bias = ctx.const(3) if len(ctx.inputs) > 3 else None
    model_checks.bias(ctx.where, bias, y.shape[3])
    bias = np.zeros(y.shape[3], np.int32) if bias is None else bias.astype(np.int32)
    stride = (options.StrideH(), options.StrideW())
    for field, value in zip(("stride_h", "stride_w"), stride):
        model_checks.at_least(ctx.where, field, value)
    mode = _padding_mode(ctx, options.Padding())
    # transpose_conv.cc: the padding of the forward conv from the output to the input (ComputePaddingHeightWidth
    # with the transpose's output as the conv's input)
    kernel = (weights.shape[1], weights.shape[2])
    pads = []
    for axis in (0, 1):
        conv_out = _expected_out(mode, y.shape[1 + axis], kernel[axis], stride[axis], 1)
        if conv_out != x.shape[1 + axis]:
            raise ctx.fail(f"input {x.shape} is not the {mode} conv of the output {y.shape} (stride {stride})")
        total = max((conv_out - 1) * stride[axis] + kernel[axis] - y.shape[1 + axis], 0)
        pads.append((total // 2, total - total // 2))
    padding = ir.Padding(top=pads[0][0], bottom=pads[0][1], left=pads[1][0], right=pads[1][1])
    scales = np.broadcast_to(w_scales, (y.shape[3],)).astype(np.float64)
    effective = float(np.float64(np.float32(x.scale))) * scales / float(np.float32(y.scale))
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction(), y)
    params = ir.TransposeConvParams(stride=stride, padding=padding, padding_mode=mode, weights=weights, bias=bias,
                                    input_offset=-x.zero_point, output_offset=y.zero_point,
                                    requant=_requant(effective), act_min=act_min, act_max=act_max)
    return params, [ctx.inputs[2]]


def _pool(ctx: _OpContext):
    options = ctx.options(tflite.Pool2DOptions)
    x, y = ctx.quantized(ctx.act(0), ("int8", "uint8")), ctx.quantized(ctx.out, ("int8", "uint8"))
    if not math.isclose(x.scale, y.scale, rel_tol=0, abs_tol=0) or x.zero_point != y.zero_point:
        raise ctx.fail("input and output quantization differ (TFLite's int8 pooling requires them equal)")
    where = ctx.where
    model_checks.rank(where, x.name, x.shape, 4)
    model_checks.rank(where, y.name, y.shape, 4)
    if x.shape[0] != y.shape[0] or x.shape[3] != y.shape[3]:
        raise ctx.fail(f"input {x.shape} and output {y.shape} differ in batch or channels")
    kernel = (options.FilterHeight(), options.FilterWidth())
    stride = (options.StrideH(), options.StrideW())
    for field, value in zip(("filter_height", "filter_width", "stride_h", "stride_w"), kernel + stride):
        model_checks.at_least(where, field, value)
    mode = _padding_mode(ctx, options.Padding())
    padding = _window_padding(ctx, mode, x, y, kernel, stride, (1, 1))
    if ctx.op_type == "AVERAGE_POOL_2D":
        model_checks.pool_windows(where, x.shape[1:3], y.shape[1:3], kernel, stride, (padding.top, padding.left))
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction(), y)
    params = ir.PoolParams(filter=kernel, stride=stride, padding=padding,
                           padding_mode=mode, act_min=act_min, act_max=act_max)
    return params, [ctx.inputs[0]]


def _mean(ctx: _OpContext):
    options = ctx.options(tflite.ReducerOptions, required=False)
    x, y = ctx.quantized(ctx.act(0), ("int8", "uint8")), ctx.quantized(ctx.out, ("int8", "uint8"))
    axes = ctx.const(1)
    if axes is None or axes.size < 1 or not np.issubdtype(axes.dtype, np.integer):
        raise ctx.fail("axes must be a constant, non-empty integer tensor")
    axes = tuple(sorted({model_checks.axis(ctx.where, "axis", int(a), len(x.shape)) for a in np.atleast_1d(axes)}))
    keep = bool(options.KeepDims()) if options else False
    want = tuple(1 if a in axes else d for a, d in enumerate(x.shape)) if keep else tuple(
        d for a, d in enumerate(x.shape) if a not in axes)
    if tuple(y.shape) != want:
        raise ctx.fail(f"output shape {y.shape}; MEAN over axes {axes} of {x.shape} gives {want}")
    count = int(np.prod([x.shape[a] for a in axes]))
    # reduce.cc Prepare: QuantizeMultiplier(double(in_scale) / double(out_scale)); QuantizedMeanOrSum then
    # folds 1/count into the multiplier with an integer division.
    multiplier, shift = quant.quantize_multiplier(float(x.scale) / float(y.scale))
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    multiplier = (multiplier << extra) // count
    shift -= extra
    params = ir.MeanParams(axes=axes, keep_dims=bool(options.KeepDims()) if options else False,
                           input_offset=-x.zero_point, output_offset=y.zero_point,
                           multiplier=multiplier, shift=shift)
    return params, [ctx.inputs[0]]


def _softmax(ctx: _OpContext):
    options = ctx.options(tflite.SoftmaxOptions)
    x, y = ctx.quantized(ctx.act(0)), ctx.quantized(ctx.out)
    if x.shape != y.shape:
        raise ctx.fail(f"input {x.shape} and output {y.shape} differ")
    if not (math.isfinite(options.Beta()) and options.Beta() > 0):
        raise ctx.fail(f"beta = {options.Beta()} (must be finite and > 0)")
    if y.zero_point != -128 or not math.isclose(y.scale, 1 / 256, rel_tol=1e-6):
        raise ctx.fail("int8 softmax output must have scale 1/256 and zero point -128")
    beta = float(np.float32(options.Beta()))
    scaled_diff_integer_bits = 5
    real = min(beta * float(x.scale) * (1 << (31 - scaled_diff_integer_bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quant.quantize_multiplier(real)
    if left_shift < 0:
        raise ctx.fail("softmax input multiplier must be >= 1")
    radius = math.floor(((1 << scaled_diff_integer_bits) - 1) * (1 << (31 - scaled_diff_integer_bits))
                        / (1 << left_shift))
    params = ir.SoftmaxParams(beta=beta, input_multiplier=multiplier, input_left_shift=left_shift,
                              diff_min=-radius, output_offset=y.zero_point)
    return params, [ctx.inputs[0]]


def _quantize(ctx: _OpContext):
    x = ctx.act(0)
    y = ctx.quantized(ctx.out, ("int8", "uint8", "int16"))
    model_checks.same_shape(ctx.where, x, y)
    if x.dtype == "float32":
        params = ir.QuantizeParams(input_dtype="float32", output_dtype=y.dtype, input_offset=0,
                                   output_offset=y.zero_point, output_scale=y.scale, requant=None)
    else:
        ctx.quantized(x, ("int8", "uint8", "int16"))
        requant = _requant(np.array([float(x.scale) / float(y.scale)]))
        params = ir.QuantizeParams(input_dtype=x.dtype, output_dtype=y.dtype, input_offset=-x.zero_point,
                                   output_offset=y.zero_point, output_scale=y.scale, requant=requant)
    return params, [ctx.inputs[0]]


def _dequantize(ctx: _OpContext):
    x = ctx.quantized(ctx.act(0), ("int8", "uint8", "int16"))
    if ctx.out.dtype != "float32":
        raise ctx.fail("DEQUANTIZE must produce float32")
    model_checks.same_shape(ctx.where, x, ctx.out)
    return ir.DequantizeParams(scale=x.scale, zero_point=x.zero_point), [ctx.inputs[0]]


def _reshape(ctx: _OpContext):
    x = ctx.act(0)
    if x.size != ctx.out.size:
        raise ctx.fail(f"cannot reshape {x.shape} to {ctx.out.shape}")
    shape = ctx.reader.known(ctx.inputs[1]) if ctx.op_type == "RESHAPE" and len(ctx.inputs) > 1 else None
    if shape is not None:  # a constant or computed new shape: it must give the file's static output shape
        want = [int(d) for d in np.atleast_1d(shape)]
        if want.count(-1) == 1 and all(d != 0 for d in want):
            known_part = int(np.prod([d for d in want if d != -1]))
            want[want.index(-1)] = x.size // known_part if known_part else 0
        if tuple(want) != tuple(ctx.out.shape):
            raise ctx.fail(f"the shape input gives {tuple(want)} (batch 1), the output is {ctx.out.shape}")
    if x.scale != ctx.out.scale or x.zero_point != ctx.out.zero_point or x.dtype != ctx.out.dtype:
        raise ctx.fail("RESHAPE changes the quantization")
    return ir.ReshapeParams(new_shape=ctx.out.shape), [ctx.inputs[0]]


def _pad(ctx: _OpContext):
    x, y = ctx.quantized(ctx.act(0), ("int8", "uint8")), ctx.quantized(ctx.out, ("int8", "uint8"))
    paddings = ctx.const(1)
    if paddings is None or paddings.shape != (len(x.shape), 2):
        raise ctx.fail("paddings must be a constant [rank, 2] tensor")
    for dim, (before, after) in enumerate(paddings.tolist()):
        if before < 0 or after < 0:
            raise ctx.fail(f"paddings[{dim}] = ({before}, {after}) (must be >= 0)")
        if len(y.shape) != len(x.shape) or y.shape[dim] != x.shape[dim] + before + after:
            raise ctx.fail(f"output shape {y.shape} is not the input {x.shape} padded by {paddings.tolist()}")
    value = ctx.const(2) if len(ctx.inputs) > 2 else None
    pad_value = int(value.reshape(-1)[0]) if value is not None else y.zero_point
    if x.scale != y.scale or x.zero_point != y.zero_point:
        raise ctx.fail("PAD changes the quantization")
    params = ir.PadParams(paddings=tuple((int(a), int(b)) for a, b in paddings), pad_value=pad_value)
    return params, [ctx.inputs[0]]


def _concatenation(ctx: _OpContext):
    options = ctx.options(tflite.ConcatenationOptions)
    y = ctx.quantized(ctx.out, ("int8", "uint8"))
    parts = [ctx.quantized(ctx.act(i), ("int8", "uint8")) for i in range(len(ctx.inputs))]
    for part in parts:
        if part.scale != y.scale or part.zero_point != y.zero_point:
            raise ctx.fail("int8 CONCATENATION needs every input quantized like the output "
                           f"('{part.name}' differs)")
    axis = model_checks.axis(ctx.where, "axis", options.Axis(), len(y.shape))
    for part in parts:
        if len(part.shape) != len(y.shape) or any(a != b for d, (a, b) in enumerate(zip(part.shape, y.shape))
                                                  if d != axis):
            raise ctx.fail(f"input '{part.name}' {part.shape} does not match the output {y.shape} off axis {axis}")
    if sum(part.shape[axis] for part in parts) != y.shape[axis]:
        raise ctx.fail(f"the inputs' sizes along axis {axis} do not add up to the output's {y.shape[axis]}")
    act_min, act_max = ctx.activation_range(options.FusedActivationFunction(), y)
    return ir.ConcatParams(axis=axis, act_min=act_min, act_max=act_max), list(ctx.inputs)


_BUILDERS = {
    "CONV_2D": _conv, "DEPTHWISE_CONV_2D": _conv, "FULLY_CONNECTED": _fully_connected, "ADD": _add,
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool, "MEAN": _mean, "SOFTMAX": _softmax,
    "QUANTIZE": _quantize, "DEQUANTIZE": _dequantize, "RESHAPE": _reshape, "PAD": _pad,
    "CONCATENATION": _concatenation, "SUB": _add, "MUL": _mul, "MAXIMUM": _min_max, "MINIMUM": _min_max,
    "RELU": _relu, "RELU6": _relu, "RELU_N1_TO_1": _relu, "LEAKY_RELU": _leaky_relu, "HARD_SWISH": _hard_swish,
    "LOGISTIC": _logistic, "SQUEEZE": _reshape, "RESIZE_NEAREST_NEIGHBOR": _resize, "RESIZE_BILINEAR": _resize,
    "TRANSPOSE_CONV": _transpose_conv,
}
