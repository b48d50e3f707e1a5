"""DEPTHWISE_CONV_2D on the depthwise unit: how hls/src/depthwise_conv.h cuts a layer into strips, and its weight
image (tap blocks).

The kernel is covered by blocks of DW_TB x DW_TB taps (tb_rows x tb_cols of them), one block per cycle. The line
buffer holds DW_NRB rows of one strip's input columns in DW_NCB = DW_TB column banks of dw_lb_pairs pairs of bus
words (a pixel of cw words takes ceil(cw / 2) pairs).
"""
from __future__ import annotations

import numpy as np

from pyflow.errors import FlowError
from pyflow.hls.config import DW_GAP, EngineConfig
from pyflow.hls.conv_plan import INDEX_BITS, TRIP_BITS


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def dw_need(k: int, sh: int, pad_top: int, kh: int, dh: int, ih: int) -> int:
    """Last input row output row k reads, within the image (-1: none) -- dw_need() of depthwise_conv.h."""
    return max(-1, min(ih - 1, k * sh - pad_top + (kh - 1) * dh))


def strip_columns(ox0: int, n_out: int, sw: int, pad_left: int, kw: int, dw: int, iw: int) -> tuple[int, int]:
    """(first window column xs, in-image columns read) of a strip -- dw_strip_at() of depthwise_conv.h."""
    xs = ox0 * sw - pad_left
    xe = xs + (n_out - 1) * sw + (kw - 1) * dw
    cx0 = max(xs, 0)
    return xs, min(xe, iw - 1) - cx0 + 1


def dw_fields(cfg: EngineConfig, what: str, ih: int, iw: int, ic: int, oh: int, ow: int, oc: int, kh: int, kw: int,
              sh: int, sw: int, dh: int, dw: int, pad_top: int, pad_left: int) -> dict:
    tb, bb = cfg.dw_tb, cfg.bus_bytes
    cw_out = _cdiv(oc, bb)
    pairs = _cdiv(cw_out, 2)  # line-buffer words (pairs of bus words) per pixel
    if max(kh, kw) > cfg.dw_kmax:
        raise FlowError(f"{what}: a {kh}x{kw} kernel is larger than dw_kmax={cfg.dw_kmax}")
    span = (kh - 1) * dh + 1
    if span > cfg.dw_rows:
        raise FlowError(f"{what}: the kernel spans {span} rows ({kh} taps, dilation {dh}); the line buffer holds "
                        f"dw_rows={cfg.dw_rows}")
    if tb > 1 and kw > 1 and dw % tb == 0:
        raise FlowError(f"{what}: column dilation {dw} is a multiple of dw_tb={tb}: the taps of a block would share "
                        "a line-buffer bank")
    tb_rows, tb_cols = _cdiv(kh, tb), _cdiv(kw, tb)
    if cw_out * tb_rows * tb_cols > cfg.dw_wt_entries:
        raise FlowError(f"{what}: {cw_out} channel words x {tb_rows * tb_cols} tap blocks > dw_wt_entries="
                        f"{cfg.dw_wt_entries}")
    fit = 0
    for width in range(1, ow + 1):  # strip width: its window columns in the line-buffer banks
        cols = (width - 1) * sw + (kw - 1) * dw + 1
        if _cdiv(cols, tb) * pairs > cfg.dw_lb_pairs:
            break
        fit = width
    if fit < 1:
        raise FlowError(f"{what}: one output column ({(kw - 1) * dw + 1} input columns x {pairs} pairs of words) "
                        f"does not fit the line-buffer banks (dw_lb_pairs={cfg.dw_lb_pairs})")
    n_strips = _cdiv(ow, fit)
    strip_w = _cdiv(ow, n_strips)
    cols = (strip_w - 1) * sw + (kw - 1) * dw + 1
    step = cols * (span + sh) * pairs + DW_GAP + strip_w * cw_out * tb_rows * tb_cols  # a step's iterations, at most
    if cols >= 1 << INDEX_BITS or cw_out * tb_rows * tb_cols >= 1 << INDEX_BITS or step >= 1 << TRIP_BITS:
        raise FlowError(f"{what}: a strip of {cols} columns x {cw_out} words overflows the step loop's counters")
    rows_read = dw_need(oh - 1, sh, pad_top, kh, dh, ih) + 1
    pixels = 0
    for st in range(n_strips):
        ox0 = st * strip_w
        _, ncols = strip_columns(ox0, min(strip_w, ow - ox0), sw, pad_left, kw, dw, iw)
        if ncols < 1:
            raise FlowError(f"{what}: output columns {ox0}.. read no input column (padding only)")
        pixels += ncols * rows_read
    return {"strip_w": strip_w, "n_strips": n_strips, "blocks": tb_rows * tb_cols, "tb_cols": tb_cols,
            "rows_read": rows_read, "dw_in_pixels": pixels, "dw_lag": int(span + sh <= cfg.dw_rows)}


def dw_weight_image(cfg: EngineConfig, f: dict, weights: np.ndarray) -> bytes:
    """weights (1, KH, KW, C*M) int8 -> per output channel word j and tap block (br, bc): DW_TB^2 words, word
    a * DW_TB + e = kernel tap (br * DW_TB + a, bc * DW_TB + e), lane = channel (zero outside the kernel)."""
    _, kh, kw, oc = weights.shape
    tb, bb = cfg.dw_tb, cfg.bus_bytes
    cw_out = _cdiv(oc, bb)
    tb_rows, tb_cols = _cdiv(kh, tb), f["tb_cols"]
    w = np.zeros((tb_rows * tb, tb_cols * tb, cw_out * bb), np.int8)
    w[:kh, :kw, :oc] = weights[0]
    # (br, a, bc, e, j, lane) -> (j, br, bc, a, e, lane)
    w = w.reshape(tb_rows, tb, tb_cols, tb, cw_out, bb).transpose(4, 0, 2, 1, 3, 5)
    return np.ascontiguousarray(w).tobytes()
