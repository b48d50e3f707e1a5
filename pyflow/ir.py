"""Graph IR: what the reference, the oracle compare and the HLS code generator all read.

Frozen dataclasses, one fact in one place:
- A `Tensor` is an activation (or graph input/output) with its shape, dtype and quantization as stored in the
  `.tflite` file. Constant tensors (weights, biases) are not graph tensors: they live in the op parameters that
  use them, already converted to the arrays the integer kernels consume.
- An `Op` is one TFLite operator with its activation inputs/outputs (tensor indices, as in the file) and a
  typed parameter record that holds everything its integer kernel needs: offsets (zero points pre-negated the
  way TFLite does: ``input_offset = -input_zero_point``, ``output_offset = +output_zero_point``), fused
  activation as quantized clamp bounds, and the fixed-point requantization (multiplier, shift) derived once by
  `pyflow.quant` from the file's float32 scales.

Layouts: activations NHWC; CONV_2D weights OHWI; DEPTHWISE_CONV_2D weights (1, KH, KW, C*M); FULLY_CONNECTED
weights (O, I). Shift convention is TFLite's: a positive shift is a left shift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np


def batched_shape(shape: tuple[int, ...], n: int) -> tuple[int, ...]:
    """The shape of a tensor's values for a batch of ``n`` inputs, as the reference, the oracle runner and the
    golden vectors hold them: the file's leading batch dimension (1) becomes n; a tensor without one (a rank-1
    [C] a RESHAPE made) gets n in front of its whole shape."""
    shape = tuple(shape)
    return (n,) + (shape[1:] if shape and shape[0] == 1 else shape)


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    """Make a constant array read-only so nothing downstream can change the IR by accident."""
    if array is not None:
        array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: int8, uint8, int16, int32, float32
    scale: float | None = None  # per-tensor activation scale (float32 value as stored in the file)
    zero_point: int = 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class Requant:
    """Fixed-point requantization, one (multiplier, shift) per output channel (length 1 = per-tensor).

    ``effective_scale`` keeps the double-precision real multiplier the pair was derived from: LiteRT's
    reference FULLY_CONNECTED requantizes with it directly (``round(acc * effective_scale)``).
    """

    multiplier: np.ndarray  # int32, Q31 significand in [2^30, 2^31) (or 0)
    shift: np.ndarray  # int32, TFLite convention (positive = left)
    effective_scale: np.ndarray  # float64

    def __post_init__(self):
        for array in (self.multiplier, self.shift, self.effective_scale):
            _frozen(array)

    @property
    def channels(self) -> int:
        return len(self.multiplier)


@dataclass(frozen=True)
class Padding:
    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True, eq=False)
class ConvParams:
    """CONV_2D (depth_multiplier == 0 marks a regular conv) and DEPTHWISE_CONV_2D."""

    stride: tuple[int, int]  # (h, w)
    dilation: tuple[int, int]
    padding: Padding
    padding_mode: str  # SAME or VALID, as in the file
    weights: np.ndarray  # int8, OHWI (conv) or (1, KH, KW, C*M) (depthwise)
    bias: np.ndarray  # int32 (C_out,), zeros when the file has none
    input_offset: int
    output_offset: int
    requant: Requant
    act_min: int
    act_max: int
    depth_multiplier: int = 0

    def __post_init__(self):
        _frozen(self.weights)
        _frozen(self.bias)

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weights.shape[1]), int(self.weights.shape[2])


@dataclass(frozen=True, eq=False)
class FullyConnectedParams:
    weights: np.ndarray  # int8 (O, I)
    bias: np.ndarray  # int32 (O,)
    input_offset: int
    weights_offset: int  # -weight zero point (0 for symmetric int8 weights)
    output_offset: int
    requant: Requant  # per-channel (O entries) or per-tensor (1 entry)
    act_min: int
    act_max: int

    def __post_init__(self):
        _frozen(self.weights)
        _frozen(self.bias)


@dataclass(frozen=True, eq=False)
class AddParams:
    """TFLite int8 ADD: both inputs rescaled to a common scale at ``left_shift`` extra bits, summed, rescaled."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int  # <= 0
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int
    constant: np.ndarray | None = None  # one input may be a constant tensor of the file (its values)
    constant_input: int = 1  # which input the constant is (0 or 1)


@dataclass(frozen=True)
class PoolParams:
    """AVERAGE_POOL_2D and MAX_POOL_2D (int8: same scale and zero point in and out)."""

    filter: tuple[int, int]
    stride: tuple[int, int]
    padding: Padding
    padding_mode: str
    act_min: int
    act_max: int


@dataclass(frozen=True)
class MeanParams:
    """MEAN over spatial axes. ``multiplier``/``shift`` rescale the input scale to the output scale, with the
    division by the element count folded in as TFLite's reference does (see reference/mean.py)."""

    axes: tuple[int, ...]
    keep_dims: bool
    input_offset: int  # -input zero point
    output_offset: int
    multiplier: int
    shift: int


@dataclass(frozen=True)
class SoftmaxParams:
    beta: float
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    output_offset: int


@dataclass(frozen=True)
class QuantizeParams:
    """QUANTIZE: float -> int (``requant`` is None) or int -> int requantization."""

    input_dtype: str
    output_dtype: str
    input_offset: int  # -input zero point (int input only)
    output_offset: int
    output_scale: float | None
    requant: Requant | None


@dataclass(frozen=True)
class DequantizeParams:
    scale: float
    zero_point: int


@dataclass(frozen=True)
class ReshapeParams:
    new_shape: tuple[int, ...]


@dataclass(frozen=True)
class PadParams:
    paddings: tuple[tuple[int, int], ...]  # (before, after) per dimension
    pad_value: int  # the output zero point, or the given constant


@dataclass(frozen=True)
class ConcatParams:
    axis: int  # non-negative
    act_min: int
    act_max: int


@dataclass(frozen=True)
class Flavored:
    """A (multiplier, shift) pair whose derivation differs between the runtimes: LiteRT takes the scale quotient
    in float32, TFLM in double (each builder says which). ``pair(flavor)`` picks one."""

    litert: tuple[int, int]
    tflm: tuple[int, int]

    def pair(self, flavor: str) -> tuple[int, int]:
        return self.litert if flavor == "litert" else self.tflm


@dataclass(frozen=True, eq=False)
class SubParams(AddParams):
    """SUB, int8: ADD's fields and rescaling, the rescaled second input subtracted instead of added."""


@dataclass(frozen=True, eq=False)
class MulParams:
    """MUL, int8: (a + input1_offset) * (b + input2_offset) requantized by the scale product over the output
    scale (broadcasting numpy-style)."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    requant: Flavored
    act_min: int
    act_max: int
    constant: np.ndarray | None = None  # one input may be a constant tensor of the file (its values)
    constant_input: int = 1  # which input the constant is (0 or 1)


@dataclass(frozen=True)
class ReluParams:
    """RELU / RELU6 / RELU_N1_TO_1, int8: requantize input to output scale, clamp to the activation's range."""

    input_zero_point: int
    output_offset: int
    requant: Flavored
    act_min: int
    act_max: int
    tflm_raw_bounds: tuple[int, int] | None = None  # TFLM's RELU6: clamp of the raw input (input scale), no
    #                                                 requantization


@dataclass(frozen=True)
class LeakyReluParams:
    """LEAKY_RELU, int8: x >= 0 rescaled by in/out scale (identity), x < 0 by alpha x in/out scale."""

    input_zero_point: int
    output_offset: int
    identity: Flavored
    alpha: Flavored


@dataclass(frozen=True)
class HardSwishParams:
    """HARD_SWISH, int8 (TFLite reference_ops::HardSwish, int16 fixed point)."""

    input_zero_point: int
    output_zero_point: int
    reluish_multiplier_int16: int
    reluish_exponent: int
    output_multiplier_int16: int
    output_exponent: int  # <= 0


@dataclass(frozen=True, eq=False)
class LogisticParams:
    """LOGISTIC, int8 -> int8 (output scale 1/256, zero point -128). The runtimes differ: LiteRT's reference
    looks up ``table`` (256 entries, indexed by the input byte, built in float32); TFLM computes gemmlowp's
    fixed-point logistic from the input rescaled to Q4.27."""

    table: np.ndarray  # int8 (256,), LiteRT
    input_zero_point: int
    input_range_radius: int
    input_multiplier: int
    input_left_shift: int

    def __post_init__(self):
        _frozen(self.table)


@dataclass(frozen=True, eq=False)
class MinMaxParams:
    """MAXIMUM / MINIMUM, int8: elementwise on the raw values (TFLite does not requantize)."""

    maximum: bool
    constant: np.ndarray | None = None  # one input may be a constant tensor of the file (its values)
    constant_input: int = 1  # which input the constant is (0 or 1)


@dataclass(frozen=True)
class ResizeParams:
    """RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR, int8 (no requantization: TFLite resizes the raw values)."""

    bilinear: bool
    align_corners: bool
    half_pixel_centers: bool


@dataclass(frozen=True, eq=False)
class TransposeConvParams:
    """TRANSPOSE_CONV, int8 (reference_integer_ops::TransposeConv): every input pixel scatters weights x (x + input
    offset) into a stride-spaced window of an int32 accumulator; + bias, per-channel requantization, clamp."""

    stride: tuple[int, int]
    padding: Padding  # top / left of the output window (bottom / right as TFLite computes them, for reference)
    padding_mode: str
    weights: np.ndarray  # int8 (O, KH, KW, I)
    bias: np.ndarray  # int32 (O,), zeros when the file has none
    input_offset: int
    output_offset: int
    requant: Requant
    act_min: int
    act_max: int

    def __post_init__(self):
        _frozen(self.weights)
        _frozen(self.bias)


OpParams = Union[ConvParams, FullyConnectedParams, AddParams, PoolParams, MeanParams, SoftmaxParams,
                 QuantizeParams, DequantizeParams, ReshapeParams, PadParams, ConcatParams, SubParams, MulParams,
                 ReluParams, LeakyReluParams, HardSwishParams, LogisticParams, MinMaxParams, ResizeParams,
                 TransposeConvParams]


@dataclass(frozen=True, eq=False)
class Op:
    index: int  # position in ``Graph.ops`` (the file's operator list without the folded shape ops)
    op_type: str  # TFLite builtin name, e.g. CONV_2D
    inputs: tuple[int, ...]  # activation tensor indices (constants are in params)
    outputs: tuple[int, ...]
    params: OpParams
    source_index: int = -1  # position in the file's operator list (equal to ``index`` when nothing was folded)

    @property
    def output(self) -> int:
        return self.outputs[0]


@dataclass(frozen=True)
class FoldedOp:
    """An op of the file that computed a constant (a shape, with the batch fixed to 1) and is not in ``ops``."""

    source_index: int  # position in the file's operator list
    op_type: str
    output: int  # the tensor it computed
    value: tuple[int, ...]  # what it computed, flattened


@dataclass(frozen=True, eq=False)
class Graph:
    name: str
    tensors: dict[int, Tensor]
    ops: tuple[Op, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    source_sha256: str = ""
    folded: tuple[FoldedOp, ...] = ()  # constant-folded shape arithmetic, in file order

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    @property
    def input(self) -> Tensor:
        return self.tensors[self.inputs[0]]

    @property
    def output(self) -> Tensor:
        return self.tensors[self.outputs[0]]
