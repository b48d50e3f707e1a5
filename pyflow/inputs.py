"""Turn ``--inputs`` arguments (files, directories, globs; repeatable) into named input tensors for a model.

- Photos (jpg/png/bmp) are resized and center-cropped to the model's input (`pyflow.images`), normalized as
  ``(pixel - mean) / std`` (EfficientNet-lite: mean 127, std 128) and quantized with the model's input scale and
  zero point, exactly like TFLite's QUANTIZE would (``round_half_away(x / scale) + zero_point``, clamped).
- ``.npy`` files must already hold the model's input dtype and shape (with or without the batch dimension of 1).
"""
from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyflow import quant
from pyflow.errors import FlowError
from pyflow.images import PHOTO_SUFFIXES, load_photo
from pyflow.ir import Tensor

INPUT_SUFFIXES = PHOTO_SUFFIXES + (".npy",)


@dataclass(frozen=True)
class ModelInput:
    name: str  # file stem, unique within one run
    source: str  # the path it came from
    data: np.ndarray  # the model's input shape without the batch dimension, in its dtype


def expand_paths(patterns: list[str]) -> list[Path]:
    """Files named by each pattern (a file, a directory's input files, or a glob), in a stable order."""
    if not patterns:
        raise FlowError("no inputs given: pass --inputs with a file, a directory or a glob")
    paths: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in INPUT_SUFFIXES)
        elif path.is_file():
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(pattern) if Path(p).suffix.lower() in INPUT_SUFFIXES)
        if not found:
            raise FlowError(f"--inputs {pattern}: no such file, or no .jpg/.png/.npy files match")
        paths.extend(found)
    return paths


def quantize_photo(rgb: np.ndarray, tensor: Tensor, mean: float, std: float) -> np.ndarray:
    """uint8 (H, W, 3) -> the model's input dtype, via the float value (pixel - mean) / std."""
    if tensor.dtype == "float32":
        return ((rgb.astype(np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32)
    real = (rgb.astype(np.float32) - np.float32(mean)) / np.float32(std)
    q = quant.round_half_away((real / np.float32(tensor.scale)).astype(np.float64)) + tensor.zero_point
    lo, hi = quant.DTYPE_RANGE[tensor.dtype]
    return np.clip(q, lo, hi).astype(tensor.dtype)


def load_inputs(patterns: list[str], tensor: Tensor, mean: float = 127.0, std: float = 128.0) -> list[ModelInput]:
    shape = tuple(tensor.shape[1:])
    photo_ok = len(shape) == 3 and shape[2] == 3
    result: list[ModelInput] = []
    seen: set[str] = set()
    for path in expand_paths(patterns):
        if path.suffix.lower() == ".npy":
            data = _load_npy(path, tensor)
        elif photo_ok:
            data = quantize_photo(load_photo(path, shape[0], shape[1]), tensor, mean, std)
        else:
            raise FlowError(f"{path}: photos need a model with an (N, H, W, 3) input; this one is {tensor.shape}")
        name = path.stem
        if name in seen:
            raise FlowError(f"two inputs are named '{name}' ({path}); input file names must be unique")
        seen.add(name)
        result.append(ModelInput(name=name, source=str(path), data=data))
    return result


def _load_npy(path: Path, tensor: Tensor) -> np.ndarray:
    """A .npy of the model input's shape (with or without the batch axis) and dtype; the header is checked before
    any data is read, so a header that declares terabytes is refused, not allocated."""
    shape = tuple(tensor.shape[1:])
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)(f)
    except FileNotFoundError:
        raise FlowError(f"input not found: {path}") from None
    except (OSError, ValueError, EOFError) as exc:
        with open(path, "rb") as f:
            if f.read(2) == b"PK":
                raise FlowError(f"{path}: not a single-array .npy file (an .npz archive)") from None
        raise FlowError(f"{path}: not a readable .npy file ({exc or 'empty file'})") from None
    declared = tuple(header[0])
    if declared not in (shape, tuple(tensor.shape)):
        raise FlowError(f"{path}: shape {declared}; the model input is {tensor.shape}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise FlowError(f"cannot read {path}: {exc or 'truncated file'}") from None
    if not isinstance(data, np.ndarray):
        raise FlowError(f"{path}: not a single-array .npy file")
    if data.shape == tuple(tensor.shape):
        data = data[0]
    if data.shape != shape:
        raise FlowError(f"{path}: shape {data.shape}; the model input is {tensor.shape}")
    if data.dtype != np.dtype(tensor.dtype):
        raise FlowError(f"{path}: dtype {data.dtype}; the model input is {tensor.dtype}")
    return data
