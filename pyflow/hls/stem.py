"""The stem conv over a space-to-depth input: a stride-2 CONV_2D that reads the graph input (an image of few
channels) runs as a stride-1 conv over the input rearranged in 2x2 blocks.

Why: an RGB image fills 3 of the 16 lanes of a bus word, so a 3x3 stride-2 stem conv moves 224 x 224 words
through the band and gathers 3 slices (of 3 words each) per window. Rearranged by the host into 2x2 blocks
(TFLite's SPACE_TO_DEPTH order: block pixel (y, x) holds channel (dy * 2 + dx) * C + c of input pixel
(2y + dy, 2x + dx)), the same image is 112 x 112 words of 12 channels, and the stem is a 2x2 stride-1 conv
with the taps the original kernel does not have set to zero: a quarter of the words, 2 slices per window.

The arithmetic is the original conv's, term for term: every product of the original window appears once, the
added taps have weight 0, and a padded position (outside the image) reads the input zero point in either form,
whose folded-bias term cancels it (pyflow.hls.codegen). Applies when the conv is the only reader of the graph
input (int8, even height and width, 4 x C channels within one bus word), stride 2 x 2, no dilation; the host
writes the input in this layout (``input_layout`` of the plan, ``to_input_layout``).

With padding p = 2q + s (s = p % 2) on a side, input row 2 * oy - p + ky is block row oy - (q + s) + (ky + s) // 2,
sub-row (ky + s) % 2: the new kernel has ceil((k + s) / 2) taps on that side and padding q + s.
"""
from __future__ import annotations

import numpy as np

BLOCK = 2  # space-to-depth block side


def applies(graph, op, bus_bytes: int, enabled: bool) -> bool:
    """True when op (a CONV_2D) runs as the space-to-depth stem."""
    if not enabled or op.op_type != "CONV_2D" or len(graph.inputs) != 1 or op.inputs[0] != graph.inputs[0]:
        return False
    x = graph.tensor(op.inputs[0])
    if x.dtype != "int8" or len(x.shape) != 4:
        return False
    readers = sum(t == x.index for o in graph.ops for t in o.inputs) + sum(t == x.index for t in graph.outputs)
    _, h, w, c = (int(v) for v in x.shape)
    p = op.params
    return (readers == 1 and tuple(p.stride) == (2, 2) and tuple(p.dilation) == (1, 1) and h % 2 == 0
            and w % 2 == 0 and BLOCK * BLOCK * c <= bus_bytes)


def _side(k: int, pad: int) -> tuple[int, int, int]:
    """(new kernel taps, new padding, shift s) on one side."""
    q, s = divmod(pad, 2)
    return -(-(k + s) // 2), q + s, s


def conv_geometry(kh: int, kw: int, pad_top: int, pad_left: int) -> dict:
    """The stride-1 conv over the block input: kernel and padding."""
    kh2, top, _ = _side(kh, pad_top)
    kw2, left, _ = _side(kw, pad_left)
    return {"k_h": kh2, "k_w": kw2, "pad_top": top, "pad_left": left}


def weights(w: np.ndarray, pad_top: int, pad_left: int) -> np.ndarray:
    """OHWI weights of the original conv -> OHWI weights of the conv over the block input (C -> 4C channels,
    zeros at the taps the original kernel does not have)."""
    o, kh, kw, c = w.shape
    kh2, _, sy = _side(kh, pad_top)
    kw2, _, sx = _side(kw, pad_left)
    out = np.zeros((o, kh2, kw2, BLOCK * BLOCK * c), dtype=w.dtype)
    for ky2 in range(kh2):
        for dy in range(BLOCK):
            ky = BLOCK * ky2 + dy - sy
            if not 0 <= ky < kh:
                continue
            for kx2 in range(kw2):
                for dx in range(BLOCK):
                    kx = BLOCK * kx2 + dx - sx
                    if 0 <= kx < kw:
                        ch = (dy * BLOCK + dx) * c
                        out[:, ky2, kx2, ch:ch + c] = w[:, ky, kx, :]
    return out


def block_shape(shape) -> tuple[int, int, int, int]:
    n, h, w, c = (int(v) for v in shape)
    return n, h // BLOCK, w // BLOCK, BLOCK * BLOCK * c


def to_input_layout(x: np.ndarray) -> np.ndarray:
    """NHWC -> the block layout (N, H/2, W/2, 4C), SPACE_TO_DEPTH channel order."""
    n, h, w, c = x.shape
    return x.reshape(n, h // BLOCK, BLOCK, w // BLOCK, BLOCK, c).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, h // BLOCK, w // BLOCK, BLOCK * BLOCK * c)
