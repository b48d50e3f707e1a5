"""CONV_2D / FULLY_CONNECTED on the MAC array: how hls/src/conv.h cuts a layer into blocks, and the weight image in
the order it streams it.

A window (the K inputs of one output pixel) is a sequence of *segments* of contiguous words of the band of kernel
rows: a whole kernel row (KW x cw_in words) when the columns are not dilated, one tap (cw_in words) otherwise;
pointwise (1x1 stride 1) windows are one segment of cw_in words read straight from the feature map. Each segment is
cut into ``chunks`` slices of X_WORDS bus words (PI bytes, the last one zero-padded): S = n_seg x chunks slices.
The weights are the same slices, PO output channels at a time: tile t, slice s = PI x PO bytes, byte po * PI + pi,
stored as four parts for the four weight loaders: output channels [0, PO/4) of every slice, then [PO/4, PO/2), ...
"""
from __future__ import annotations

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls.config import MIN_PHASE, W_LOADERS, EngineConfig

TRIP_BITS, INDEX_BITS = 24, 16  # the narrow counters of CONV_MAC and DW_STEP (hls/src/engine_types.h)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _balanced(total: int, most: int) -> tuple[int, int]:
    """(per block, blocks): the fewest blocks of at most `most`, as even as possible."""
    blocks = _cdiv(total, most)
    return _cdiv(total, blocks), blocks


def is_pointwise(kh: int, kw: int, sh: int, sw: int, pad_top: int, pad_left: int, ih: int, iw: int, oh: int,
                 ow: int) -> bool:
    """conv.h's pointwise blocks: 1x1, stride 1, no padding, same size (FULLY_CONNECTED included)."""
    return kh == kw == sh == sw == 1 and pad_top == pad_left == 0 and (ih, iw) == (oh, ow)


def conv_fields(cfg: EngineConfig, what: str, ih: int, iw: int, ic: int, oh: int, ow: int, oc: int, kh: int,
                kw: int, sh: int, sw: int, dh: int, dw: int, pad_top: int, pad_left: int) -> dict:
    """The blocking descriptor fields of one conv / FC layer (conv.h), or a FlowError naming the buffer that a
    single window or pixel does not fit."""
    bb, xw = cfg.bus_bytes, cfg.x_words
    cw_in = _cdiv(ic, bb)
    pointwise = is_pointwise(kh, kw, sh, sw, pad_top, pad_left, ih, iw, oh, ow)
    seg_cols = 1 if dw == 1 or pointwise else kw  # segments per kernel row
    seg_words = cw_in * (kw if seg_cols == 1 and not pointwise else 1)
    chunks = _cdiv(seg_words, xw)
    n_seg = 1 if pointwise else kh * seg_cols
    slices = n_seg * chunks
    tiles = _cdiv(oc, cfg.po)
    # a block's pixels are loaded in two halves (conv.h conv_load_x<0|1>): the first ceil(n/2) into one half of
    # xbuf and through one band, the rest into the other
    limits = {"blk_pixels": cfg.blk_pixels, "xbuf_bytes": 2 * (cfg.xbuf_half // slices),
              "obuf_bytes": cfg.obuf_words // tiles}
    band_row = 0
    if pointwise:
        most = min(oh * ow, *limits.values())
        segs = 1
    else:
        def band_row_words(p: int) -> int:
            ncols = (p - 1) * sw + (kw - 1) * dw + 1
            return _cdiv(ncols * cw_in, xw) * xw
        fit = 0
        for p in range(1, min(ow, *limits.values()) + 1):
            if kh * band_row_words(_cdiv(p, 2)) + xw > cfg.band_words:  # + the last chunk's reads (conv.h BAND_DEPTH)
                break
            fit = p
        limits["band_bytes"] = fit
        most = min(ow, *limits.values())
    if most < 1:
        tight = [f"{k}={getattr(cfg, k)}" for k, v in limits.items() if v < 1]
        raise FlowError(f"{what}: one output pixel (window of {kh}x{kw}x{ic}: {slices} slices of {cfg.pi} B, "
                        f"{oc} outputs) does not fit the conv buffers ({', '.join(tight)})")
    if pointwise:
        blk, n_blocks = _balanced(oh * ow, most)
    else:
        blk, segs = _balanced(ow, most)
        n_blocks = oh * segs
        band_row = band_row_words(_cdiv(blk, 2))
    if tiles * slices * max(blk, cfg.w_words, MIN_PHASE) >= 1 << TRIP_BITS or max(tiles, slices) >= 1 << INDEX_BITS:
        raise FlowError(f"{what}: {tiles} tiles x {slices} slices per block overflow the MAC loop's counters")
    # whole output rows as blocks, consecutive rows overlapping: each x loader keeps its band from block to block
    # and loads only the stride_h new kernel rows (conv.h conv_load_band)
    band_roll = int(not pointwise and segs == 1 and dh == 1 and sh < kh)
    return {"pointwise": int(pointwise), "blk": blk, "n_blocks": n_blocks, "segs": segs, "slices": slices,
            "tiles": tiles, "seg_words": seg_words, "chunks": chunks, "seg_cols": seg_cols, "band_row": band_row,
            "band_roll": band_roll}


def window_positions(cfg: EngineConfig, f: dict, kh: int, kw: int, ic: int) -> np.ndarray:
    """For each of the S x PI window bytes conv.h builds, the (ky, kx, channel) it holds as a flat index
    (ky * kw + kx) * ic + channel into a (kh, kw, ic) window, or -1 for padding bytes."""
    bb, xw = cfg.bus_bytes, cfg.x_words
    cw_in = _cdiv(ic, bb)
    chunk, word, lane = np.meshgrid(np.arange(f["chunks"]), np.arange(xw), np.arange(bb), indexing="ij")
    q = chunk * xw + word  # word in the segment
    valid_word = q < f["seg_words"]
    out = []
    n_seg = kh * f["seg_cols"] if not f["pointwise"] else 1
    for g in range(n_seg):
        if f["pointwise"]:
            ky = kx = np.zeros_like(q)
            w = q
        elif f["seg_cols"] == 1:  # a whole kernel row: words (kx, w)
            ky = np.full_like(q, g)
            kx, w = np.divmod(q, cw_in)
        else:  # one dilated tap
            ky = np.full_like(q, g // kw)
            kx = np.full_like(q, g % kw)
            w = q
        ch = w * bb + lane
        ok = valid_word & (ch < ic)
        out.append(np.where(ok, (ky * kw + kx) * ic + ch, -1).reshape(-1))
    return np.concatenate(out)


def conv_weight_image(cfg: EngineConfig, f: dict, weights: np.ndarray) -> bytes:
    """weights (O, KH, KW, I) int8 -> the W_LOADERS parts the weight loaders stream (conv.h conv_load_w<H>), one
    after another: part h is T x S part slices of PO/4 x PI bytes, output channel t*PO + h*PO/4 + po and window
    byte s*PI + pi at byte po * PI + pi of part slice (t, s); zero where the window byte is padding or the channel
    does not exist."""
    oc, kh, kw, ic = weights.shape
    pos = window_positions(cfg, f, kh, kw, ic)  # (S * PI,)
    flat = np.concatenate([weights.reshape(oc, -1), np.zeros((oc, 1), weights.dtype)], axis=1)
    rows = flat[:, np.where(pos >= 0, pos, flat.shape[1] - 1)]  # (oc, S*PI)
    t, s = f["tiles"], f["slices"]
    full = np.zeros((t * cfg.po, s * cfg.pi), np.int8)
    full[:oc] = rows
    # (T, [W_LOADERS, PO/4], S, PI) -> (W_LOADERS, T, S, PO/4, PI)
    parts = full.reshape(t, W_LOADERS, cfg.po // W_LOADERS, s, cfg.pi).transpose(1, 0, 3, 2, 4)
    return np.ascontiguousarray(parts).tobytes()
