"""Ops that move int8 values without arithmetic: RESHAPE, PAD, CONCATENATION (equal quantization in and out)."""
from __future__ import annotations

import numpy as np

from pyflow.ir import ConcatParams, PadParams, ReshapeParams, batched_shape


def reshape(x: np.ndarray, p: ReshapeParams) -> np.ndarray:
    return x.reshape(batched_shape(p.new_shape, x.shape[0]))


def pad(x: np.ndarray, p: PadParams) -> np.ndarray:
    return np.pad(x, p.paddings, constant_values=p.pad_value)


def concatenation(parts: list[np.ndarray], p: ConcatParams) -> np.ndarray:
    return np.clip(np.concatenate(parts, axis=p.axis), p.act_min, p.act_max).astype(parts[0].dtype)
