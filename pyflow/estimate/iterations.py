"""The iteration counts of every pipelined loop of the engine for one planned layer: the loop nests of hls/src
written out in Python, block by block (conv.h), strip by strip and step by step (depthwise_conv.h). They are the
numbers the csim testbench counts (ENGINE_ITER); tests/test_estimate.py checks them for equality."""
from __future__ import annotations

from dataclasses import dataclass

from pyflow.hls.codegen import Layer
from pyflow.hls.config import DW_GAP, MIN_PHASE, EngineConfig
from pyflow.hls.dw_plan import dw_need, strip_columns
from pyflow.hls.loops import COUNTERS

TBL_SET_WORDS = 2 * 4 + 1  # bus words per entry of a table set: int32 bias, int32 multiplier, int8 shift (mem.h)


def writer_loop(f: dict) -> str:
    """The writer's pipelined loop for a step (pipeline.h pipe_write)."""
    return "PIPE_WRITE_ADD" if f["add_on"] else "PIPE_WRITE"


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class XLoad:
    """What one x loader (conv.h conv_load_x<H>) does for one block: the words / slices of each of its loops."""
    x_load: int  # CONV_X_LOAD (pointwise) words
    band_pad: list  # CONV_BAND_PAD calls: words each (a padding row: one call; in-image rows: non-empty sides)
    band_load: list  # CONV_BAND_LOAD calls: words each
    gather: int  # CONV_GATHER slices


@dataclass(frozen=True)
class ConvBlock:
    """One block of conv.h: its pixels and the words each of its loops moves / iterates."""
    n: int
    halves: tuple  # the two x loaders' XLoad (half 0: the first ceil(n/2) pixels, half 1: the rest)
    w_load: int  # CONV_W_LOAD words, all weight loaders (W_PART per slice each)
    mac: int  # CONV_MAC iterations
    store: int  # CONV_EMIT iterations (pairs of words, or words when EMIT_WORDS = 1)

    @property
    def x_words(self) -> int:
        """Feature-map words both x loaders read."""
        return sum(h.x_load + sum(h.band_load) for h in self.halves)


def _x_load(f: dict, oy: int, ox0: int, n: int, roll: bool) -> XLoad:
    """conv_load_x for n pixels from output column (pointwise: pixel) ox0 of output row oy (roll: the band keeps
    the previous block's rows, only the last stride_h kernel rows load)."""
    if f["pointwise"]:
        return XLoad(n * f["cw_in"], [], [], 0)
    if n == 0:
        return XLoad(0, [], [], 0)
    pads, loads = [], []
    xs = ox0 * f["stride_w"] - f["pad_left"]
    ncols = (n - 1) * f["stride_w"] + (f["k_w"] - 1) * f["dil_w"] + 1
    left = min(-xs, ncols) if xs < 0 else 0
    over = xs + ncols - f["in_w"]
    right = min(over, ncols - left) if over > 0 else 0
    mid = ncols - left - right
    for ky in range(f["k_h"] - f["stride_h"] if roll else 0, f["k_h"]):
        iy = oy * f["stride_h"] - f["pad_top"] + ky * f["dil_h"]
        if iy < 0 or iy >= f["in_h"]:
            pads.append(ncols * f["cw_in"])
        else:
            pads += [n * f["cw_in"] for n in (left, right) if n]  # conv_load_band calls only non-empty pads
            loads.append(mid * f["cw_in"])
    return XLoad(0, pads, loads, n * f["slices"])


def conv_blocks(f: dict, cfg: EngineConfig) -> list[ConvBlock]:
    """conv_block_next() and the loops of the six processes, for every block."""
    blocks = []
    for b in range(f["n_blocks"]):
        if f["pointwise"]:
            p0 = b * f["blk"]
            n = min(f["blk"], f["out_h"] * f["out_w"] - p0)
            oy, ox0 = 0, p0
        else:
            oy, seg = divmod(b, f["segs"])
            ox0 = seg * f["blk"]
            n = min(f["blk"], f["out_w"] - ox0)
        n0 = _cdiv(n, 2)
        roll = bool(f["band_roll"]) and b > 0
        halves = (_x_load(f, oy, ox0, n0, roll), _x_load(f, oy, ox0 + n0, n - n0, roll))
        phase = max(n, cfg.w_part, MIN_PHASE)
        per_pixel = _cdiv(f["cw_out"], 2) if cfg.emit_words == 2 else f["cw_out"]
        mac = cfg.w_part + f["tiles"] * f["slices"] * phase  # the first slice into the shadow registers, phases
        blocks.append(ConvBlock(n, halves, f["tiles"] * f["slices"] * cfg.w_words, mac, n * per_pixel))
    return blocks


@dataclass(frozen=True)
class DwStrip:
    n_out: int
    ncols: int
    rows: list  # rows loaded per step
    steps: list  # DW_STEP iterations per step


def dw_strips(f: dict, cfg: EngineConfig) -> list[DwStrip]:
    """dw_strip_at() and the step loop of dw_step(), for every strip."""
    strips = []
    lag = f["dw_lag"]
    need = [dw_need(k, f["stride_h"], f["pad_top"], f["k_h"], f["dil_h"], f["in_h"]) for k in range(f["out_h"])]
    for st in range(f["n_strips"]):
        ox0 = st * f["strip_w"]
        n_out = min(f["strip_w"], f["out_w"] - ox0)
        _, ncols = strip_columns(ox0, n_out, f["stride_w"], f["pad_left"], f["k_w"], f["dil_w"], f["in_w"])
        rows, steps = [], []
        for k in range(f["out_h"] + lag):
            r = need[k] - (need[k - 1] if k else -1) if k < f["out_h"] else 0
            n_load = r * ncols * _cdiv(f["cw_out"], 2)  # pairs
            n_comp = n_out * f["cw_out"] * f["blocks"] if k - lag >= 0 else 0
            rows.append(r)
            steps.append(max(n_load, n_comp) if lag else (n_load + DW_GAP if n_load else 0) + n_comp)
        strips.append(DwStrip(n_out, ncols, rows, steps))
    return strips


_CONV_VIEW = {"out_h": "c_out_h", "out_w": "c_out_w", "out_c": "c_out_c", "cw_out": "c_cw_out"}
_DW_VIEW = {"in_h": "dw_in_h", "in_w": "dw_in_w", "in_c": "dw_in_c", "cw_in": "dw_cw_in", "out_h": "dw_out_h",
            "out_w": "dw_out_w", "out_c": "dw_out_c", "cw_out": "dw_cw_out", "k_h": "dw_k_h", "k_w": "dw_k_w",
            "stride_h": "dw_stride_h", "stride_w": "dw_stride_w", "dil_h": "dw_dil_h", "dil_w": "dw_dil_w",
            "pad_top": "dw_pad_top", "pad_left": "dw_pad_left"}


def conv_view(f: dict) -> dict:
    """The step's fields as the conv stage reads them (its output is c_out_*)."""
    return {**f, **{k: f[v] for k, v in _CONV_VIEW.items()}}


def dw_view(f: dict) -> dict:
    """The step's fields as the depthwise stage reads them (dw_* as plain names)."""
    return {**f, **{k: f[v] for k, v in _DW_VIEW.items()}}


def read_runs(f: dict, cfg: EngineConfig) -> list[int]:
    """Words of each run pipe_read streams (conv stage off)."""
    if f["conv_on"]:
        return []
    if f["dw_on"]:
        strips = dw_strips(dw_view(f), cfg)
        if len(strips) == 1 and strips[0].ncols == f["in_w"]:  # whole rows: one run (pipeline.h dw_rows_whole)
            return [f["rows_read"] * f["in_w"] * f["cw_in"]]
        return [s.ncols * f["cw_in"] for s in strips for _ in range(f["rows_read"])]
    return [f["in_h"] * f["in_w"] * f["cw_in"]]


def write_runs(f: dict, cfg: EngineConfig) -> list[int]:
    """Words of each run pipe_write stores."""
    if f["dw_on"] and f["n_strips"] > 1:
        return [s.n_out * f["cw_out"] for s in dw_strips(dw_view(f), cfg) for _ in range(f["dw_out_h"])]
    return [f["out_h"] * f["out_w"] * f["cw_out"]]


def iteration_counts(layer: Layer, cfg: EngineConfig) -> dict[str, int]:
    """Loop name (engine_loops.h, without LOOP_) -> iterations of that loop for the step; host layers and ops fused
    into a later step: all 0."""
    counts = dict.fromkeys((c[5:] for c in COUNTERS), 0)
    if layer.where != "engine":
        return counts
    f = layer.fields
    bb = cfg.bus_bytes
    if layer.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"):
        outs = f["out_h"] * f["out_w"] * f["cw_out"]
        if f["pool_global"]:
            counts["POOL_GSUM"] = f["in_h"] * f["in_w"] * f["cw_out"]
            counts["POOL_GFOLD"] = f["pool_slots"] * f["cw_out"]
            counts["POOL_GFINISH"] = outs * bb
        else:
            counts["POOL_TAP"] = outs * f["k_h"] * f["k_w"]
            counts["POOL_FINISH"] = outs * bb
        return counts
    if f["conv_on"]:
        c = conv_view(f)
        counts["TBL_LOAD"] += TBL_SET_WORDS * c["cw_out"] + (_cdiv(c["out_c"], bb // 8) if f["fc_double"] else 0)
        for blk in conv_blocks(c, cfg):
            for h in blk.halves:
                counts["CONV_X_LOAD"] += h.x_load
                counts["CONV_BAND_PAD"] += sum(h.band_pad)
                counts["CONV_BAND_LOAD"] += sum(h.band_load)
                counts["CONV_GATHER"] += h.gather
            counts["CONV_W_LOAD"] += blk.w_load
            counts["CONV_MAC"] += blk.mac
            counts["CONV_EMIT"] += blk.store
        if f["fc_double"]:
            counts["CONV_FC_REQUANT"] = c["out_c"]
    else:
        counts["PIPE_READ"] = sum(read_runs(f, cfg))
    if f["dw_on"]:
        d = dw_view(f)
        counts["TBL_LOAD"] += TBL_SET_WORDS * d["cw_out"]
        counts["DW_W_LOAD"] = d["cw_out"] * d["blocks"] * cfg.dw_taps
        if d["depth_mult"] == 1:
            counts["DW_PASS"] = d["dw_in_pixels"] * _cdiv(d["cw_in"], 2)
        else:
            counts["DW_EXPAND_MAP"] = d["cw_out"]
            counts["DW_EXPAND"] = d["cw_in"] + d["dw_in_pixels"] * d["cw_out"]
        counts["DW_STEP"] = sum(sum(s.steps) for s in dw_strips(d, cfg))
    else:
        counts["PIPE_COPY"] = f["out_h"] * f["out_w"] * f["cw_out"]
    counts[writer_loop(f)] = sum(write_runs(f, cfg))
    if f["add_on"]:  # pipe_in2: input 2 word for word beside the writer
        counts["PIPE_IN2_BCAST" if f["in2_bcast"] else "PIPE_IN2"] = sum(write_runs(f, cfg))
        if f["in2_bcast"]:
            counts["PIPE_BCAST_LOAD"] = f["cw_out"]
    return counts
