"""From the IR to what the layer engine and its testbench consume (all under <build>/hls, nothing in hls/):

- include/engine_config.h : compile-time configuration (pyflow.hls.config)
- include/engine_desc.h   : the layer descriptor struct and opcodes (pyflow.hls.descriptor)
- include/engine_loops.h  : the ids of the pipelined loops (pyflow.hls.loops, the per-loop II table)
- include/engine_depth.h  : the m_axi depths of this model (the words cosim copies per port)
- memory_map.h            : arena/image sizes, tensor addresses, descriptor table (for a driver)
- register_map.md         : the s_axilite register map (pyflow.hls.register_map): control, arguments, fields
- layers.txt              : the same descriptors, read by the testbench at run time
- ddr_image.bin           : parameter image: per layer weights, folded biases, multipliers, shifts
                            (and, for FULLY_CONNECTED, the double effective scales), each table word aligned
- vectors/<k>/            : input and every op output of image k (dense NHWC bytes) + manifest.json

Layouts (bus word = config.bus_bytes int8 lanes, little-endian):
- activations: NHWC, channels padded to whole words (every pixel starts on a word boundary), zero pad lanes;
  every tensor sits between GUARD_WORDS guard words that no layer may write (the testbench checks them);
  the graph input of a space-to-depth stem (pyflow.hls.stem) in 2x2 blocks, (H/2, W/2, 4C) NHWC;
- float32 tensors (a float model input before QUANTIZE, a DEQUANTIZE output; host ops only): dense NHWC
  little-endian float32, 4 bytes per element, no channel padding, from a word boundary;
- CONV_2D / FC weights: the MAC-array slices in the order conv.h streams them (pyflow.hls.conv_plan);
- DEPTHWISE weights: tap blocks per output channel word (pyflow.hls.dw_plan);
- per-channel tables: one set per layer: int32 folded bias, int32 multiplier, int8 shift per channel, each padded
  to whole words of bus-bytes channels;
- bias is folded: bias + input_offset * sum(weights) (FC also + weights_offset * I * input_offset), so the MAC
  array multiplies raw int8 values and spatial padding with the input zero point cancels exactly.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pyflow import model_checks, quant
from pyflow.fileio import write_bytes, write_text
from pyflow.errors import FlowError
from pyflow.hls.config import MIN_PHASE, EngineConfig, render_config_header, render_depth_header
from pyflow.hls.conv_plan import conv_fields, conv_weight_image
from pyflow.hls.descriptor import DESC_FIELDS, ENGINE_OPS, HOST_OPS, render_desc_header
from pyflow.hls.dw_plan import dw_fields, dw_weight_image
from pyflow.hls.loops import render_loops_header
from pyflow.hls.render import render
from pyflow.hls import register_map, stem
from pyflow.hls.steps import group_steps
from pyflow.ir import Graph, Op

# DEQUANTIZE has no opcode of its own: it runs as OP_QUANTIZE, the host's dtype conversion (int -> int, float -> int,
# int -> float), the direction given by the layer's in_float / out_float metadata. SQUEEZE is a RESHAPE; the
# two-input elementwise ops share OP_BINARY (meta "binary": the arithmetic), the RELU family OP_RELU.
HOST_ALIASES = {"DEQUANTIZE": "QUANTIZE", "SQUEEZE": "RESHAPE", "SUB": "BINARY", "MUL": "BINARY",
                "MAXIMUM": "BINARY", "MINIMUM": "BINARY", "RELU6": "RELU", "RELU_N1_TO_1": "RELU",
                "RESIZE_NEAREST_NEIGHBOR": "RESIZE", "RESIZE_BILINEAR": "RESIZE"}
BINARY_KINDS = {"ADD": 0, "SUB": 1, "MUL": 2, "MAXIMUM": 3, "MINIMUM": 4}


def engine_eltwise(graph: Graph, op: Op) -> dict | None:
    """How the engine's writer runs an ADD or MUL (pipeline.h pipe_write), or None when it cannot and the host does.

    The writer streams one input (the "full" one: the output's shape) and reads the other from DDR: the same shape
    (in2_bcast 0) or one pixel, a [1,1,1,C] (or [C]) vector (in2_bcast 1, squeeze-excite). Both must be int8 activations;
    a constant operand, other broadcasts and SUB run on the host."""
    if op.op_type not in ("ADD", "MUL") or getattr(op.params, "constant", None) is not None or len(op.inputs) != 2:
        return None
    out = graph.tensor(op.output)
    if any(graph.tensor(t).dtype != "int8" for t in (*op.inputs, op.output)) or len(out.shape) != 4:
        return None
    shapes = [tuple(graph.tensor(t).shape) for t in op.inputs]
    for full in (0, 1):
        other = shapes[1 - full]
        if shapes[full] != tuple(out.shape):
            continue
        if other == tuple(out.shape):
            return {"full": full, "bcast": 0}
        if other in ((1, 1, 1, out.shape[3]), (1, out.shape[3]), (out.shape[3],)):  # one pixel: its C channels
            return {"full": full, "bcast": 1}
    return None
FLOAT_BYTES = 4  # float32 tensors in the arena and in the vectors
GUARD_WORDS = 2  # arena words before and after every tensor that no layer writes
INT32 = (quant.INT32_MIN, quant.INT32_MAX)


def _ceil(a: int, b: int) -> int:
    return -(-a // b) * b


def hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A tensor shape as (H, W, C) of one batch element: channels last, 2-D (N, C) as 1x1xC; a shape without a
    leading batch of 1 (pyflow.ir.batched_shape) is all one element: [9, 5] is 1x9x5, [8] is 1x1x8."""
    shape = tuple(shape)
    if shape and shape[0] != 1 and len(shape) < 4:
        shape = (1,) + shape
    if len(shape) == 4:
        return int(shape[1]), int(shape[2]), int(shape[3])
    if len(shape) == 3:
        return 1, int(shape[1]), int(shape[2])
    if len(shape) == 2:
        return 1, 1, int(shape[1])
    if len(shape) == 1:
        return 1, 1, int(shape[0])
    raise FlowError(f"tensor shape {shape} has no NHWC mapping")


@dataclass
class Layer:
    index: int
    name: str
    where: str  # engine | host
    fields: dict = field(default_factory=dict)  # descriptor fields
    meta: dict = field(default_factory=dict)  # tensors, second-input shape, host-op parameters


@dataclass
class Plan:
    graph: Graph
    config: EngineConfig
    flavor: str
    tensor_addr: dict[int, int]
    arena_words: int
    image: bytes
    layers: list[Layer]
    input_layout: str = "nhwc"  # how the host writes the graph input into the arena: nhwc | space_to_depth

    def input_shape(self) -> tuple[int, ...]:
        """The graph input's shape as it sits in the arena."""
        shape = self.graph.input.shape
        return stem.block_shape(shape) if self.input_layout == "space_to_depth" else tuple(shape)

    def input_as_stored(self, x: np.ndarray) -> np.ndarray:
        """Graph-input values (NHWC, batch first) in the arena's layout."""
        return stem.to_input_layout(x) if self.input_layout == "space_to_depth" else x

    @property
    def image_words(self) -> int:
        return len(self.image) // self.config.bus_bytes


class _Image:
    """The parameter image under construction: word-aligned blobs, addresses in words."""

    def __init__(self, bus_bytes: int):
        self.bus_bytes = bus_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> int:
        addr = self.size // self.bus_bytes
        padded = data + bytes(_ceil(len(data), self.bus_bytes) - len(data))
        self.parts.append(padded)
        self.size += len(padded)
        return addr

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _per_channel(values: np.ndarray, channels: int) -> np.ndarray:
    values = np.asarray(values)
    return np.broadcast_to(values, (channels,)) if values.size == 1 else values


def _add_tables(image: "_Image", f: dict, bias: np.ndarray, requant, oc: int, bus_bytes: int, what: str):
    """The table set of a layer, one blob (hls/src/mem.h load_tables): folded bias and multiplier per output
    channel (int32), then the shift (int8), each padded to whole entries of bus-bytes channels."""
    entries = -(-oc // bus_bytes) * bus_bytes

    def padded(values, lo: int, hi: int, name: str) -> np.ndarray:
        values = np.asarray(values, np.int64)
        if values.size and (values.min() < lo or values.max() > hi):
            raise FlowError(f"{what}: {name} outside {lo} .. {hi}")
        out = np.zeros(entries, np.int64)
        out[:oc] = values
        return out
    f["tbl_addr"] = image.add(padded(bias, *INT32, "folded bias").astype("<i4").tobytes()
                              + padded(_per_channel(requant.multiplier, oc), *INT32, "multiplier").astype("<i4").tobytes()
                              + padded(_per_channel(requant.shift, oc), -31, 30, "shift").astype("i1").tobytes())


def tensor_words(tensor, bus_bytes: int) -> int:
    """Arena words of one tensor: int8/uint8 NHWC with channels padded per pixel, float32 dense."""
    h, w, c = hwc(tensor.shape)
    if tensor.dtype == "float32":
        return -(-h * w * c * FLOAT_BYTES // bus_bytes)
    return h * w * (-(-c // bus_bytes))


def _float32_bits(value: float, what: str) -> int:
    """The IEEE bits of a scale that is a float32 value (as stored in the file), for layers.txt."""
    f32 = np.float32(value)
    if not np.isfinite(f32) or float(f32) != float(value) or f32 <= 0:
        raise FlowError(f"{what}: scale {value!r} is not a positive finite float32")
    return int(np.array(f32, "<f4").view("<u4"))


def _check_int8(graph: Graph, op: Op):
    for t in list(op.inputs) + list(op.outputs):
        if graph.tensor(t).dtype != "int8":
            raise FlowError(f"op {op.index} {op.op_type}: tensor {t} is {graph.tensor(t).dtype}; "
                            "the engine runs int8 only")


def plan(graph: Graph, config: EngineConfig, flavor: str) -> Plan:
    cfg = config.validate()
    bb = cfg.bus_bytes
    if len(graph.inputs) != 1:
        raise FlowError(f"model '{graph.name}' has {len(graph.inputs)} inputs; the testbench supports one")

    s2d = bool(graph.ops) and stem.applies(graph, graph.ops[0], bb, cfg.stem_s2d)
    # ---- activation arena: the input, then every op output, each between guard words ----
    tensor_addr: dict[int, int] = {}
    arena = GUARD_WORDS
    for t in [graph.inputs[0]] + [op.output for op in graph.ops]:
        tensor = graph.tensor(t)
        if tensor.dtype not in ("int8", "uint8", "float32"):
            raise FlowError(f"tensor {t} '{tensor.name}' is {tensor.dtype}; only int8/uint8 tensors (and float32 "
                            "at a QUANTIZE input / DEQUANTIZE output) run in csim")
        if len(tensor.shape) == 4 and tensor.shape[0] != 1:  # lower ranks without a leading 1: one image's whole
            raise FlowError(f"tensor {t} has batch {tensor.shape[0]}; the engine runs batch 1")  # tensor (hwc)
        tensor_addr[t] = arena
        if s2d and t == graph.inputs[0]:  # the same bytes in 2x2 blocks: a quarter of the pixels, 4x the channels
            _, h, w, c = stem.block_shape(tensor.shape)
            arena += h * w * -(-c // bb) + GUARD_WORDS
        else:
            arena += tensor_words(tensor, bb) + GUARD_WORDS
    if arena * bb > cfg.fm_depth_bytes:
        raise FlowError(f"activation arena needs {arena * bb} bytes > fm_depth_bytes={cfg.fm_depth_bytes}")

    image = _Image(bb)
    records = [_layer(graph, op, cfg, flavor, image, tensor_addr, s2d and op is graph.ops[0]) for op in graph.ops]
    layers = [_as_descriptor(L) for L in group_steps(graph, records, cfg.fuse)]
    image_bytes = image.bytes() or bytes(bb)
    if len(image_bytes) > cfg.wt_depth_bytes:
        raise FlowError(f"parameter image needs {len(image_bytes)} bytes > wt_depth_bytes={cfg.wt_depth_bytes}")
    return Plan(graph, cfg, flavor, tensor_addr, arena, image_bytes, layers,
                "space_to_depth" if s2d else "nhwc")


# The fields of one op's record (op-local names; pyflow.hls.steps maps them into the step's descriptor).
RECORD_FIELDS = ("op", "in_addr", "in_h", "in_w", "in_c", "cw_in", "out_addr", "out_h", "out_w", "out_c", "cw_out",
                 "k_h", "k_w", "stride_h", "stride_w", "dil_h", "dil_w", "pad_top", "pad_left", "depth_mult",
                 "in2_addr", "wt_addr", "tbl_addr", "scale_addr", "in_offset",
                 "in2_offset", "out_offset", "weights_offset", "act_min", "act_max", "left_shift", "in1_mult",
                 "in1_shift", "in2_mult", "in2_shift", "out_mult", "out_shift", "fc_double", "elt_mul", "in2_bcast")


def _as_descriptor(L: Layer) -> Layer:
    """Pooling and host records become descriptors name for name (pipeline steps already are)."""
    if L.where == "fused" or set(L.fields) == set(DESC_FIELDS):
        return L
    fields = dict.fromkeys(DESC_FIELDS, 0)
    fields.update({k: v for k, v in L.fields.items() if k in fields})
    return Layer(L.index, L.name, L.where, fields, L.meta)


def _pool_global_fields(f: dict) -> dict:
    """pool.h's global path: a 1x1 output whose window is the whole unpadded map. Its partial sums per channel
    word (slots) make one sum come back only every slots x cw_out >= MIN_PHASE iterations of POOL_GSUM, or never
    when the map has fewer pixels than that (slots = pixels)."""
    glob = (f["out_h"], f["out_w"], f["k_h"], f["k_w"], f["pad_top"], f["pad_left"]) == (1, 1, f["in_h"], f["in_w"],
                                                                                         0, 0)
    if not glob:
        return {"pool_global": 0, "pool_slots": 0}
    return {"pool_global": 1, "pool_slots": min(-(-MIN_PHASE // f["cw_out"]), f["in_h"] * f["in_w"])}


def _layer(graph: Graph, op: Op, cfg: EngineConfig, flavor: str, image: _Image, addr: dict[int, int],
           s2d: bool = False) -> Layer:
    bb = cfg.bus_bytes
    kind = op.op_type
    p = op.params
    x = graph.tensor(op.inputs[0])
    y = graph.tensor(op.output)
    ih, iw, ic = hwc(x.shape)
    oh, ow, oc = hwc(y.shape)
    f = dict.fromkeys(RECORD_FIELDS, 0)
    f.update(in_h=ih, in_w=iw, in_c=ic, out_h=oh, out_w=ow, out_c=oc, cw_in=-(-ic // bb), cw_out=-(-oc // bb),
             in_addr=addr[op.inputs[0]], out_addr=addr[op.output], stride_h=1, stride_w=1, dil_h=1, dil_w=1, k_h=1,
             k_w=1, depth_mult=1, in2_addr=0, act_min=-128, act_max=127)
    meta = {"index": op.index, "in_tensor": op.inputs[0], "out_tensor": op.output, "in2_tensor": -1}
    where = "engine"
    what = f"op {op.index} {kind}"

    eltwise = engine_eltwise(graph, op)
    if kind == "FULLY_CONNECTED" and flavor == "litert" and ih * iw > 1:
        # several rows: the engine's LiteRT FULLY_CONNECTED (double requantization, conv.h CONV_FC_REQUANT) takes
        # one row, so the host runs it (the tflm flavor runs any number of rows on the MAC array)
        _check_int8(graph, op)
        f["op"] = HOST_OPS["FC_ROWS"]
        where = "host"
        w_image = np.ascontiguousarray(p.weights, dtype=np.int8)
        meta.update(w_addr=image.add(w_image.tobytes()),
                    bias_addr=image.add(np.ascontiguousarray(p.bias, dtype="<i4").tobytes()),
                    scale64_addr=image.add(np.ascontiguousarray(_per_channel(p.requant.effective_scale, oc),
                                                                dtype="<f8").tobytes()),
                    w_offset=p.weights_offset, rows=ih * iw)
        f.update(in_offset=p.input_offset, out_offset=p.output_offset, act_min=p.act_min, act_max=p.act_max)
    elif kind in ("ADD", "MUL") and eltwise is None:
        f["op"] = HOST_OPS["BINARY"]
        where = "host"
        _check_int8(graph, op)
    elif kind in ENGINE_OPS:
        _check_int8(graph, op)
        f["op"] = ENGINE_OPS[kind]
        if max(oc, ic) > cfg.max_cout:
            raise FlowError(f"{what}: {max(oc, ic)} channels > max_cout={cfg.max_cout}")
    elif kind in HOST_OPS or kind in HOST_ALIASES:
        f["op"] = HOST_OPS[HOST_ALIASES.get(kind, kind)]
        where = "host"
        float_ok = {"QUANTIZE": op.inputs[:1], "DEQUANTIZE": (op.output,)}.get(kind, ())
        for t in list(op.inputs) + list(op.outputs):
            dtype = graph.tensor(t).dtype
            if dtype not in ("int8", "uint8") and not (dtype == "float32" and t in float_ok):
                raise FlowError(f"op {op.index} {kind}: tensor {t} is {dtype}; the csim host runs it on "
                                "int8/uint8 only (float32 only into QUANTIZE / out of DEQUANTIZE)")
    else:
        raise FlowError(f"{what}: not supported by the engine or the csim host")

    if kind in ("CONV_2D", "FULLY_CONNECTED") and where == "engine":
        if kind == "CONV_2D":
            weights = p.weights.astype(np.int64)  # OHWI
            (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
            f.update(k_h=kh, k_w=kw, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw, pad_top=p.padding.top,
                     pad_left=p.padding.left)
            bias = p.bias.astype(np.int64) + p.input_offset * weights.sum(axis=(1, 2, 3))
            if s2d:  # the stem over the 2x2 blocks of the input (pyflow/hls/stem.py): stride 1, same bias
                weights = stem.weights(weights, p.padding.top, p.padding.left)
                _, ih, iw, ic = stem.block_shape(x.shape)
                f.update(in_h=ih, in_w=iw, in_c=ic, cw_in=-(-ic // bb), stride_h=1, stride_w=1,
                         **stem.conv_geometry(kh, kw, p.padding.top, p.padding.left))
                kh, kw = f["k_h"], f["k_w"]
        else:
            if ih * iw != oh * ow:  # rows x I -> rows x O: a 1x1 conv over the rows
                raise FlowError(f"{what}: input {x.shape} and output {y.shape} differ in rows")
            weights = p.weights.astype(np.int64)[:, None, None, :]
            kh = kw = 1
            bias = (p.bias.astype(np.int64) + p.input_offset * weights.sum(axis=(1, 2, 3))
                    + p.weights_offset * ic * p.input_offset)
            f["weights_offset"] = p.weights_offset
        f.update(conv_fields(cfg, what, ih, iw, ic, oh, ow, oc, kh, kw, f["stride_h"], f["stride_w"], f["dil_h"],
                             f["dil_w"], f["pad_top"], f["pad_left"]))
        f["fc_double"] = int(kind == "FULLY_CONNECTED" and flavor == "litert")
        f["wt_addr"] = image.add(conv_weight_image(cfg, f, weights.astype(np.int8)))
        _add_tables(image, f, bias, p.requant, oc, bb, what)
        if kind == "FULLY_CONNECTED":
            scale = np.ascontiguousarray(_per_channel(p.requant.effective_scale, oc), dtype="<f8")
            f["scale_addr"] = image.add(scale.tobytes())
        f.update(in_offset=p.input_offset, out_offset=p.output_offset, act_min=p.act_min, act_max=p.act_max)
    elif kind == "DEPTHWISE_CONV_2D":
        (kh, kw), (sh, sw), (dh, dw) = p.kernel, p.stride, p.dilation
        m = max(1, p.depth_multiplier)
        if oc != ic * m:
            raise FlowError(f"{what}: {oc} output channels != {ic} inputs x depth multiplier {m}")
        f.update(k_h=kh, k_w=kw, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw, pad_top=p.padding.top,
                 pad_left=p.padding.left, depth_mult=m, in_offset=p.input_offset, out_offset=p.output_offset,
                 act_min=p.act_min, act_max=p.act_max)
        f.update(dw_fields(cfg, what, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, p.padding.top,
                           p.padding.left))
        bias = p.bias.astype(np.int64) + p.input_offset * p.weights.reshape(-1, oc).sum(axis=0, dtype=np.int64)
        f["wt_addr"] = image.add(dw_weight_image(cfg, f, p.weights.reshape(1, kh, kw, oc)))
        _add_tables(image, f, bias, p.requant, oc, bb, what)
    elif kind in ("ADD", "MUL") and where == "engine":
        f.update(_engine_eltwise_fields(graph, op, eltwise, flavor, addr))
        f["cw_in"] = -(-f["in_c"] // bb)
        full, other = op.inputs[eltwise["full"]], op.inputs[1 - eltwise["full"]]
        h2, w2, c2 = hwc(graph.tensor(other).shape)
        meta.update(in_tensor=full, in2_tensor=other, in2_h=h2, in2_w=w2, in2_c=c2)
    elif kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        if oc != ic:
            raise FlowError(f"{what}: channel count changes")
        f.update(k_h=p.filter[0], k_w=p.filter[1], stride_h=p.stride[0], stride_w=p.stride[1],
                 pad_top=p.padding.top, pad_left=p.padding.left, act_min=p.act_min, act_max=p.act_max)
        if kind == "AVERAGE_POOL_2D":  # pool.h would divide by a zero count (the reader refuses such models)
            model_checks.pool_windows(what, (ih, iw), (oh, ow), (f["k_h"], f["k_w"]), (f["stride_h"], f["stride_w"]),
                                      (f["pad_top"], f["pad_left"]))
    elif kind == "MEAN":
        if len(x.shape) != 4 or tuple(sorted(p.axes)) != (1, 2):
            raise FlowError(f"{what}: only MEAN over the spatial axes (1, 2) of a 4-D tensor is supported")
        lo, hi = quant.DTYPE_RANGE[y.dtype]
        f.update(k_h=ih, k_w=iw, in_offset=p.input_offset, out_offset=p.output_offset, out_mult=p.multiplier,
                 out_shift=p.shift, act_min=lo, act_max=hi)
    if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"):
        f.update(_pool_global_fields(f))
    elif kind == "RESHAPE":
        if x.size != y.size:
            raise FlowError(f"{what}: sizes differ")
    elif kind == "PAD":
        pads = [tuple(map(int, pr)) for pr in p.paddings]
        if len(pads) != len(x.shape) or pads[0] != (0, 0):
            raise FlowError(f"{what}: only NHWC/NC padding without batch padding is supported")
        full = [(0, 0)] * (4 - len(pads)) + pads  # as (N, H, W, C)
        if len(pads) == 3:
            full = [(0, 0), (0, 0), pads[1], pads[2]]
        f.update(pad_top=full[1][0], pad_left=full[2][0])
        meta.update(pad_c0=full[3][0], pad_value=int(p.pad_value))
    elif kind == "CONCATENATION":
        if len(op.inputs) != 2:
            raise FlowError(f"{what}: only two-input concatenation is supported")
        x2 = graph.tensor(op.inputs[1])
        axis = p.axis
        meta.update(in2_tensor=op.inputs[1], outer=int(np.prod(x.shape[:axis])),
                    inner_a=int(np.prod(x.shape[axis:])), inner_b=int(np.prod(x2.shape[axis:])))
        h2, w2, c2 = hwc(x2.shape)
        meta.update(in2_h=h2, in2_w=w2, in2_c=c2)
        f.update(in2_addr=addr[op.inputs[1]], act_min=p.act_min, act_max=p.act_max)
    elif kind == "QUANTIZE" and p.requant is None:
        # float32 -> int: clamp(round_half_away(float32(x) / float32(scale)) + zero_point), pyflow.reference.quantize
        if p.input_dtype != "float32" or p.output_dtype not in ("int8", "uint8"):
            raise FlowError(f"{what}: only float32 -> int8/uint8 quantization runs in the csim host")
        lo, hi = quant.DTYPE_RANGE[p.output_dtype]
        f.update(out_offset=p.output_offset, act_min=lo, act_max=hi)
        meta.update(in_float=1, scale_bits=_float32_bits(p.output_scale, what))
    elif kind == "QUANTIZE":
        if p.input_dtype not in ("int8", "uint8") or p.output_dtype not in ("int8", "uint8"):
            raise FlowError(f"{what}: only int8/uint8 requantization runs in the csim host")
        lo, hi = quant.DTYPE_RANGE[p.output_dtype]
        f.update(in_offset=p.input_offset, out_offset=p.output_offset, out_mult=int(p.requant.multiplier[0]),
                 out_shift=int(p.requant.shift[0]), act_min=lo, act_max=hi)
        meta["in_unsigned"] = 1 if p.input_dtype == "uint8" else 0
    elif kind == "DEQUANTIZE":
        # int -> float32: float32(double(scale) * (x - zero_point)), pyflow.reference.quantize.dequantize
        if x.dtype not in ("int8", "uint8") or y.dtype != "float32":
            raise FlowError(f"{what}: only int8/uint8 -> float32 dequantization runs in the csim host")
        f.update(in_offset=-int(p.zero_point))
        meta.update(in_unsigned=1 if x.dtype == "uint8" else 0, out_float=1,
                    scale_bits=_float32_bits(p.scale, what))
    elif kind == "SOFTMAX":
        if x.dtype != "int8" or y.dtype != "int8" or p.output_offset != -128:
            raise FlowError(f"{what}: only int8 softmax with output zero point -128 is supported")
        f.update(out_mult=p.input_multiplier, out_shift=p.input_left_shift, out_offset=p.output_offset)
        meta["diff_min"] = int(p.diff_min)
    elif where == "host" and kind in BINARY_KINDS:
        meta.update(_binary_meta(graph, op, flavor, image, addr, what))
        if op.params.constant is None:
            f["in2_addr"] = addr[op.inputs[1]]
        f.update(act_min=getattr(p, "act_min", -128), act_max=getattr(p, "act_max", 127))
    elif kind in ("RELU", "RELU6", "RELU_N1_TO_1"):
        mult, shift = p.requant.pair(flavor)
        raw = p.tflm_raw_bounds if flavor == "tflm" else None
        meta.update(in_zp=p.input_zero_point, out_off=p.output_offset, mult=mult, shift=shift, raw=int(raw is not None),
                    raw_lo=raw[0] if raw else 0, raw_hi=raw[1] if raw else 0)
        f.update(act_min=p.act_min, act_max=p.act_max)
    elif kind == "LEAKY_RELU":
        (id_m, id_s), (al_m, al_s) = p.identity.pair(flavor), p.alpha.pair(flavor)
        meta.update(in_zp=p.input_zero_point, out_off=p.output_offset, id_m=id_m, id_s=id_s, al_m=al_m, al_s=al_s)
    elif kind == "HARD_SWISH":
        meta.update(in_zp=p.input_zero_point, out_zp=p.output_zero_point, relu_m=p.reluish_multiplier_int16,
                    relu_e=p.reluish_exponent, out_m=p.output_multiplier_int16, out_e=p.output_exponent)
    elif kind in ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"):
        meta.update(bilinear=int(p.bilinear), align=int(p.align_corners), half=int(p.half_pixel_centers))
    elif kind == "TRANSPOSE_CONV":  # weights (O, KH, KW, I), then int32 bias, multiplier, shift per channel
        f.update(k_h=p.weights.shape[1], k_w=p.weights.shape[2], stride_h=p.stride[0], stride_w=p.stride[1],
                 pad_top=p.padding.top, pad_left=p.padding.left, in_offset=p.input_offset,
                 out_offset=p.output_offset, act_min=p.act_min, act_max=p.act_max)
        per_channel = [np.ascontiguousarray(_per_channel(v, oc), dtype="<i4") for v in
                       (p.bias, p.requant.multiplier, p.requant.shift)]
        meta.update(w_addr=image.add(p.weights.tobytes()), bias_addr=image.add(per_channel[0].tobytes()),
                    mult_addr=image.add(per_channel[1].tobytes()), shift_addr=image.add(per_channel[2].tobytes()))
    elif kind == "LOGISTIC":  # LiteRT: the table (in the parameter image); TFLM: the fixed-point parameters
        meta.update(lut_addr=image.add(p.table.tobytes()), in_zp=p.input_zero_point, radius=p.input_range_radius,
                    mult=p.input_multiplier, shift=p.input_left_shift)
    for k, v in f.items():
        f[k] = int(v)
        if not INT32[0] <= f[k] <= INT32[1]:
            raise FlowError(f"{what}: descriptor field {k}={v} does not fit int32")
    return Layer(op.index, kind, where, f, meta)


def _engine_eltwise_fields(graph: Graph, op: Op, eltwise: dict, flavor: str, addr: dict[int, int]) -> dict:
    """The record of an ADD / MUL in the writer: input 1 is the streamed (full) input, input 2 the other; their
    offsets and (ADD) rescalings follow them."""
    p = op.params
    full, other = op.inputs[eltwise["full"]], op.inputs[1 - eltwise["full"]]
    h, w, c = hwc(graph.tensor(full).shape)
    offsets = (p.input1_offset, p.input2_offset)
    f = dict(in_addr=addr[full], in_h=h, in_w=w, in_c=c, in2_addr=addr[other],
             in_offset=offsets[eltwise["full"]], in2_offset=offsets[1 - eltwise["full"]],
             out_offset=p.output_offset, act_min=p.act_min, act_max=p.act_max, in2_bcast=eltwise["bcast"],
             elt_mul=int(op.op_type == "MUL"))
    if op.op_type == "ADD":
        scales = ((p.input1_multiplier, p.input1_shift), (p.input2_multiplier, p.input2_shift))
        (m1, s1), (m2, s2) = scales[eltwise["full"]], scales[1 - eltwise["full"]]
        f.update(left_shift=p.left_shift, in1_mult=m1, in1_shift=s1, in2_mult=m2, in2_shift=s2,
                 out_mult=p.output_multiplier, out_shift=p.output_shift)
    else:
        mult, shift = p.requant.pair(flavor)
        f.update(left_shift=0, in1_mult=0, in1_shift=0, in2_mult=0, in2_shift=0, out_mult=mult, out_shift=shift)
    return f


def _binary_meta(graph: Graph, op: Op, flavor: str, image: _Image, addr: dict[int, int], what: str) -> dict:
    """A two-input elementwise op on the host: which arithmetic, both operands' (H, W, C) -- each dimension equal
    to the output's or 1 (broadcast) -- a constant operand in the parameter image, and the requantization."""
    p = op.params
    out = hwc(graph.tensor(op.output).shape)
    shapes = [tuple(graph.tensor(t).shape) for t in op.inputs]
    meta = {"binary": BINARY_KINDS[op.op_type], "const_input": -1}
    if p.constant is not None:
        shapes.insert(p.constant_input, tuple(p.constant.shape))
        if p.constant.dtype not in (np.int8, np.uint8):
            raise FlowError(f"{what}: constant operand is {p.constant.dtype}; int8 expected")
        meta.update(const_input=p.constant_input, const_addr=image.add(p.constant.astype(np.int8).tobytes()))
    else:
        meta.update(in2_tensor=op.inputs[1])
    for name, shape in zip("ab", shapes):
        dims = hwc(shape) if len(shape) >= 2 and shape[0] == 1 else hwc((1,) + (1,) * (3 - len(shape)) + shape)
        if any(d not in (1, o) for d, o in zip(dims, out)):
            raise FlowError(f"{what}: operand {shape} does not broadcast to the output {out} on (H, W, C)")
        meta.update({f"{name}_h": dims[0], f"{name}_w": dims[1], f"{name}_c": dims[2]})
    if p.constant is None:
        meta.update(in2_h=meta["b_h"], in2_w=meta["b_w"], in2_c=meta["b_c"])
    if op.op_type in ("ADD", "SUB"):
        meta.update(off1=p.input1_offset, off2=p.input2_offset, off_out=p.output_offset, lshift=p.left_shift,
                    m1=p.input1_multiplier, s1=p.input1_shift, m2=p.input2_multiplier, s2=p.input2_shift,
                    mo=p.output_multiplier, so=p.output_shift)
    elif op.op_type == "MUL":
        mo, so = p.requant.pair(flavor)
        meta.update(off1=p.input1_offset, off2=p.input2_offset, off_out=p.output_offset, mo=mo, so=so)
    return meta


def layers_text(pl: Plan) -> str:
    lines = ["# pyflow layer engine descriptors: one 'layer' line per op, key=value (see hls/tb/tb_main.cpp); an op "
             "fused into the next step has where=fused and no descriptor",
             f"arena arena_words={pl.arena_words} image_words={pl.image_words} axi_bits={pl.config.axi_bits} "
             f"guard_words={GUARD_WORDS}"]
    for L in pl.layers:
        clash = sorted(set(L.meta) & set(DESC_FIELDS))
        if clash:  # the testbench would read them as descriptor fields
            raise FlowError(f"layer {L.index} {L.name}: metadata {clash} named like descriptor fields")
        kv = [f"name={L.name}", f"where={L.where}"] + [f"{k}={v}" for k, v in L.fields.items()] + \
             [f"{k}={v}" for k, v in L.meta.items()]
        lines.append("layer " + " ".join(kv))
    return "\n".join(lines) + "\n"


def memory_map_header(pl: Plan) -> str:
    tensors = []
    for t, a in pl.tensor_addr.items():
        tensor = pl.graph.tensor(t)
        stored = pl.input_shape() if t == pl.graph.inputs[0] else tensor.shape
        h, w, c = hwc(stored)
        name = tensor.name + (" [float32, dense, no channel padding]" if tensor.dtype == "float32" else "")
        if stored != tuple(tensor.shape):
            name += f" [2x2 space-to-depth of {'x'.join(map(str, tensor.shape[1:]))}: pyflow/hls/stem.py]"
        tensors.append({"index": t, "addr": a, "h": h, "w": w, "c": c, "name": name})
    layers = [{"index": L.index, "name": L.name, "where": L.where, "fields": list(L.fields.items())}
              for L in pl.layers]
    return render("memory_map.h.j2", model=pl.graph.name, sha256=pl.graph.source_sha256 or "-", flavor=pl.flavor,
                  arena_words=pl.arena_words, image_words=pl.image_words, tensors=tensors, layers=layers)


def generate(graph: Graph, out_dir: Path, config: EngineConfig, flavor: str) -> Plan:
    """Write config header, memory map, descriptors and parameter image into out_dir (deterministic)."""
    pl = plan(graph, config, flavor)
    out_dir = Path(out_dir)
    write_text(out_dir / "include" / "engine_config.h", render_config_header(pl.config))
    write_text(out_dir / "include" / "engine_depth.h", render_depth_header(pl.arena_words + 1, pl.image_words + 1))
    write_text(out_dir / "include" / "engine_desc.h", render_desc_header())
    write_text(out_dir / "include" / "engine_loops.h", render_loops_header())
    write_text(out_dir / "memory_map.h", memory_map_header(pl))
    write_text(out_dir / "register_map.md", register_map.markdown())
    write_text(out_dir / "layers.txt", layers_text(pl))
    write_bytes(out_dir / "ddr_image.bin", pl.image)
    return pl


def write_vectors(pl: Plan, values: dict[int, np.ndarray], image_index: int, out_dir: Path) -> Path:
    """Dense NHWC bytes of the input and of every op output for one batch element, plus a JSON manifest
    (int8/uint8: one byte per element; float32: 4 little-endian bytes per element)."""
    vdir = Path(out_dir) / "vectors" / str(image_index)
    manifest = {"model": pl.graph.name, "flavor": pl.flavor, "image": image_index, "tensors": []}
    for t in [pl.graph.inputs[0]] + [op.output for op in pl.graph.ops]:
        array = np.asarray(values[t][image_index])
        shape = list(pl.graph.tensor(t).shape)
        if t == pl.graph.inputs[0]:  # as the host writes it into the arena
            array = pl.input_as_stored(array[None])[0]
            shape = list(pl.input_shape())
        if array.dtype != np.dtype(pl.graph.tensor(t).dtype):
            raise FlowError(f"tensor {t}: reference value is {array.dtype}, the model says {pl.graph.tensor(t).dtype}")
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        name = f"tensor_{t}.bin"
        write_bytes(vdir / name, data)
        manifest["tensors"].append({"tensor": t, "file": name, "shape": shape,
                                    "dtype": pl.graph.tensor(t).dtype, "bytes": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest()})
    write_text(vdir / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return vdir
