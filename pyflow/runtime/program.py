"""What the host needs to run a model on the layer engine, and the arena layout of its tensors.

A Program is the code generator's plan (pyflow.hls.codegen.plan: the steps with their descriptors, the address of
every tensor, the parameter image) plus how each tensor sits in the activation arena:
- int8 / uint8: NHWC, channels padded to whole bus words (every pixel starts on a word), zero pad lanes;
- float32 (a float model's input before QUANTIZE, a DEQUANTIZE output): dense little-endian float32 from a word;
- the graph input of a space-to-depth stem: in 2x2 blocks (pyflow.hls.stem).
The arena is a flat uint8 buffer of ``arena_bytes`` (the plan's words + 1, the depth the m_axi ports declare).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls.codegen import Layer, Plan, hwc, plan
from pyflow.hls.config import EngineConfig
from pyflow.hls.descriptor import DESC_FIELDS
from pyflow.ir import Graph, batched_shape
from pyflow.reference import check_flavor
from pyflow.tflite_reader import read_model


@dataclass(frozen=True)
class TensorSlot:
    """Where one tensor lives in the arena and how it is laid out."""

    tensor: int
    addr: int  # bus word
    shape: tuple[int, ...]  # as stored (the graph input of a space-to-depth stem: in 2x2 blocks)
    dtype: str  # int8 | uint8 | float32

    @property
    def per_image(self) -> tuple[int, ...]:
        """One input's values (pyflow.ir.batched_shape without the batch)."""
        return batched_shape(self.shape, 1)[1:]


@dataclass
class Program:
    plan: Plan
    model_path: Path

    @property
    def graph(self) -> Graph:
        return self.plan.graph

    @property
    def bus_bytes(self) -> int:
        return self.plan.config.bus_bytes

    @property
    def arena_words(self) -> int:
        return self.plan.arena_words + 1  # the m_axi depth (engine_depth.h): one word past the last guard

    @property
    def image_words(self) -> int:
        return self.plan.image_words + 1

    @property
    def steps(self) -> list[Layer]:
        return self.plan.layers

    def image(self) -> np.ndarray:
        """The parameter image as it goes into DDR (uint8, image_words words)."""
        out = np.zeros(self.image_words * self.bus_bytes, np.uint8)
        out[:len(self.plan.image)] = np.frombuffer(self.plan.image, np.uint8)
        return out

    def slot(self, tensor: int) -> TensorSlot:
        if tensor not in self.plan.tensor_addr:
            raise FlowError(f"tensor {tensor} has no place in the activation arena")
        graph_tensor = self.graph.tensor(tensor)
        shape = self.plan.input_shape() if tensor == self.graph.inputs[0] else tuple(graph_tensor.shape)
        return TensorSlot(tensor, self.plan.tensor_addr[tensor], tuple(shape), graph_tensor.dtype)

    def descriptor_words(self, step: Layer) -> np.ndarray:
        """The step's descriptor as the register file holds it: field i (pyflow.hls.descriptor.FIELDS) in int32
        word i."""
        if step.where != "engine":
            raise FlowError(f"layer {step.index} {step.name} runs on the {step.where}, not on the engine")
        return np.array([step.fields[name] for name in DESC_FIELDS], dtype="<i4")


def load_program(model_path, config: EngineConfig = EngineConfig(), flavor: str = "litert") -> Program:
    """Read the model and plan it for this engine configuration and flavor (nothing is written)."""
    check_flavor(flavor)
    graph = read_model(Path(model_path))
    return Program(plan(graph, config, flavor), Path(model_path))


def _pixels(arena: np.ndarray, slot: TensorSlot, bus_bytes: int) -> np.ndarray:
    """The int8/uint8 tensor's words as a (pixels, words x bus_bytes) view of the arena."""
    h, w, c = hwc(slot.shape)
    row = -(-c // bus_bytes) * bus_bytes
    start = slot.addr * bus_bytes
    return arena[start:start + h * w * row].reshape(h * w, row)


def write_tensor(arena: np.ndarray, slot: TensorSlot, values: np.ndarray, bus_bytes: int) -> None:
    """Write one batch element (shape ``slot.per_image``) into the arena, pad lanes zero."""
    values = np.asarray(values)
    if values.dtype != np.dtype(slot.dtype) or tuple(values.shape) != slot.per_image:
        raise FlowError(f"tensor {slot.tensor}: got {values.dtype}{list(values.shape)}, the arena holds "
                        f"{slot.dtype}{list(slot.per_image)}")
    if slot.dtype == "float32":
        data = np.ascontiguousarray(values, dtype="<f4").view(np.uint8).reshape(-1)
        arena[slot.addr * bus_bytes:slot.addr * bus_bytes + data.size] = data
        return
    view = _pixels(arena, slot, bus_bytes)
    c = hwc(slot.shape)[2]
    view[:, :c] = values.reshape(-1, c).view(np.uint8)
    view[:, c:] = 0


def read_tensor(arena: np.ndarray, slot: TensorSlot, bus_bytes: int) -> np.ndarray:
    """One batch element of the tensor, as a fresh array of shape ``slot.per_image``."""
    if slot.dtype == "float32":
        n = int(np.prod(slot.per_image)) * 4
        data = arena[slot.addr * bus_bytes:slot.addr * bus_bytes + n].copy()
        return data.view("<f4").astype(np.float32).reshape(slot.per_image)
    c = hwc(slot.shape)[2]
    return _pixels(arena, slot, bus_bytes)[:, :c].copy().view(slot.dtype).reshape(slot.per_image)
