"""In-place edits of a .tflite flatbuffer for the validator's regression tests: a scalar field of an op's options,
a value of a tensor's quantization or shape vector, a vector's length, a vtable entry. Only fields the file stores
can be edited this way (the tests pick models that store them)."""
from __future__ import annotations

import struct
from pathlib import Path

import tflite
from flatbuffers.table import Table

MODELS = Path(__file__).parent / "models"


def load(name: str) -> bytearray:
    return bytearray((MODELS / name).read_bytes())


def _model(data: bytearray):
    return tflite.Model.GetRootAsModel(bytes(data), 0)


def _field(table: Table, slot: int) -> int:
    offset = table.Offset(slot)
    assert offset, f"the field at vtable slot {slot} is not stored in this file"
    return table.Pos + offset


def set_option(data: bytearray, op: int, slot: int, value: int, fmt: str = "<i") -> bytearray:
    """Scalar field at vtable slot `slot` (4 + 2 x field id) of op `op`'s builtin options."""
    options = _model(data).Subgraphs(0).Operators(op).BuiltinOptions()
    struct.pack_into(fmt, data, _field(Table(options.Bytes, options.Pos), slot), value)
    return data


def drop_options(data: bytearray, op: int) -> bytearray:
    """Clears op `op`'s builtin_options entry in its vtable (the op then has no options)."""
    operator = _model(data).Subgraphs(0).Operators(op)
    tab = operator._tab
    vtable = tab.Pos - struct.unpack_from("<i", data, tab.Pos)[0]
    struct.pack_into("<H", data, vtable + 12, 0)  # Operator field 4: builtin_options
    return data


def _tensor_vector(data: bytearray, tensor: int, owner: str, slot: int) -> int:
    t = _model(data).Subgraphs(0).Tensors(tensor)
    tab = t.Quantization()._tab if owner == "quantization" else t._tab
    return tab.Vector(tab.Offset(slot))


def set_zero_point(data: bytearray, tensor: int, value: int) -> bytearray:
    struct.pack_into("<q", data, _tensor_vector(data, tensor, "quantization", 10), value)
    return data


def set_scale(data: bytearray, tensor: int, value: float) -> bytearray:
    struct.pack_into("<f", data, _tensor_vector(data, tensor, "quantization", 8), value)
    return data


def set_dim(data: bytearray, tensor: int, axis: int, value: int) -> bytearray:
    struct.pack_into("<i", data, _tensor_vector(data, tensor, "tensor", 4) + 4 * axis, value)
    return data


def set_constant(data: bytearray, tensor: int, index: int, value: int, fmt: str = "<i") -> bytearray:
    """Element `index` of a constant tensor's buffer."""
    model = _model(data)
    buf = model.Buffers(model.Subgraphs(0).Tensors(tensor).Buffer())
    start = buf._tab.Vector(buf._tab.Offset(4))
    struct.pack_into(fmt, data, start + struct.calcsize(fmt) * index, value)
    return data


def clear_graph_inputs(data: bytearray) -> bytearray:
    sg = _model(data).Subgraphs(0)._tab
    struct.pack_into("<I", data, sg.Vector(sg.Offset(6)) - 4, 0)  # SubGraph field 1: inputs (length prefix)
    return data


def op_tensors(data: bytearray, op: int) -> tuple[list[int], list[int]]:
    o = _model(data).Subgraphs(0).Operators(op)
    return [int(i) for i in o.InputsAsNumpy()], [int(i) for i in o.OutputsAsNumpy()]
