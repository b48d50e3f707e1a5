"""Photo preprocessing shared by calibration (model build) and golden inputs.

One rule everywhere: resize so the shorter side is ``size / CROP_FRACTION`` (bilinear, Pillow), then center-crop
to the model's input height x width. The result is uint8 RGB (H, W, 3); the model's own input quantization
(``pyflow.reference.quantize``) turns it into the model's input dtype.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pyflow.errors import FlowError

CROP_FRACTION = 0.875  # the usual ImageNet eval crop: 224 out of 256
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def center_crop_resize(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 (h, w, 3) -> uint8 (height, width, 3): resize the shorter side, then center crop."""
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise FlowError(f"expected an RGB image, got an array of shape {rgb.shape}")
    image = Image.fromarray(np.ascontiguousarray(rgb[..., :3]).astype(np.uint8), "RGB")
    scale = max(height, width) / CROP_FRACTION / min(image.width, image.height)
    new_w = max(width, round(image.width * scale))
    new_h = max(height, round(image.height * scale))
    image = image.resize((new_w, new_h), Image.BILINEAR)
    left = (new_w - width) // 2
    top = (new_h - height) // 2
    return np.asarray(image.crop((left, top, left + width, top + height)), dtype=np.uint8)


def _as_rgb8(image: Image.Image, path: Path) -> np.ndarray:
    """8-bit RGB from any PIL mode: 16-bit grayscale is scaled (>> 8), never clipped (PIL opens a 16-bit PNG as
    I;16 or, in some versions, as I); palette, CMYK, grayscale and alpha images convert as PIL defines (alpha
    dropped); integer images beyond 16 bits and float images are refused."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(image).astype(np.int64)
        if values.size and 0 <= values.min() and values.max() <= 0xFFFF:
            gray = (values >> 8).astype(np.uint8)
            return np.repeat(gray[..., None], 3, axis=2)
    if image.mode in ("I", "F"):
        raise FlowError(f"{path}: a {'32-bit integer' if image.mode == 'I' else 'floating-point'} image (PIL mode "
                        f"{image.mode}); give an 8- or 16-bit photo, or the quantized input as .npy")
    return np.asarray(image.convert("RGB"))


def load_photo(path: Path, height: int, width: int) -> np.ndarray:
    """Read a jpg/png from disk and preprocess it to uint8 (height, width, 3)."""
    try:
        with Image.open(path) as image:
            rgb = _as_rgb8(image, path)
    except FileNotFoundError:
        raise FlowError(f"input image not found: {path}") from None
    except (OSError, Image.DecompressionBombError) as exc:
        raise FlowError(f"cannot read image {path}: {exc}") from None
    if rgb.shape[:2] == (height, width):
        return rgb.astype(np.uint8)
    return center_crop_resize(rgb, height, width)
