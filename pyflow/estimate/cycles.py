"""Cycles of one layer on the engine as written: the loops' iterations (pyflow.estimate.iterations) at the IIs of
the per-loop table (pyflow.hls.loops), plus pipeline depths, DDR latency per burst, DDR bandwidth, and the
overlap the DATAFLOW regions give.

- conv / FULLY_CONNECTED (conv.h, dataflow in the block loop): per block the four processes run side by side on
  consecutive blocks (ping-pong buffers), so the layer takes the first block's input load, then per block the
  slowest of {next block's input load, this block's weight stream, this block's MAC phases, the previous block's
  store, this block's DDR bytes at the board's sustained bandwidth}, then the last block's store. Before the
  blocks: the per-channel table loads, in sequence.
- depthwise (depthwise_conv.h, dataflow of four FIFO-connected processes over the layer): the tables and weights
  in sequence, then the slowest process (or the DDR bytes) plus the fill of the pipeline.
- ADD: one loop with three streams; pooling: windows of single-beat reads (the m_axi adapter keeps
  ``axi_outstanding`` of them in flight), then one lane per cycle through the shared finisher.
Every engine layer also pays ``layer_overhead`` cycles (ap_start .. ap_done, descriptor fetch over s_axilite),
and every layer ``host_us_per_layer`` of driver time (descriptor writes, start, wait for done).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyflow.estimate.iterations import TBL_WORDS, conv_blocks, dw_strips, iteration_counts
from pyflow.hls.codegen import Layer
from pyflow.hls.config import MIN_PHASE, W_DEPTH, EngineConfig
from pyflow.hls.loops import BY_ID


@dataclass(frozen=True)
class Assumptions:
    """Every timing constant of the model, in one place."""

    axi_read_latency: int = 64  # cycles from a burst's read request to its first beat: a PS-DDR round trip from
    #                             an HP port is ~150-250 ns (38-63 cycles at 250 MHz), plus the adapter
    axi_write_latency: int = 64  # cycles from a burst's last beat to its write response
    axi_outstanding: int = 16  # m_axi num_read_outstanding: single-beat reads in flight (pooling)
    ddr_efficiency: float = 0.8  # sustained fraction of the board's peak DDR bandwidth (refresh, page misses,
    #                              read/write turnarounds of several streams)
    block_overhead: int = 6  # cycles a dataflow process spends per block / row outside its pipelined loops
    #                          (block geometry, loop entry and exit)
    layer_overhead: int = 60  # per engine layer: ap_start to ap_done, descriptor over s_axilite, dispatch
    host_us_per_layer: float = 2.0  # per layer, driver time: ~54 descriptor fields as posted MMIO writes
    #                                 (~30 ns each from the A53), ap_start, waiting for ap_done (~0.3 us)


@dataclass(frozen=True)
class Timing:
    """II and pipeline depth of every pipelined loop (name without LOOP_): the per-loop table's, or csynth's
    where a report names the loop."""

    ii: dict[str, int]
    depth: dict[str, int]
    source: dict[str, str]

    @staticmethod
    def of(cfg: EngineConfig, csynth_loops: dict[str, dict] | None = None) -> "Timing":
        ii = {k[5:]: loop.ii for k, loop in BY_ID.items()}
        depth = {k[5:]: loop.pipeline_depth(cfg) for k, loop in BY_ID.items()}
        source = dict.fromkeys(ii, "table")
        for name, entry in (csynth_loops or {}).items():
            if isinstance(entry.get("ii"), (int, float)) and isinstance(entry.get("pipeline_depth"), (int, float)):
                ii[name], depth[name], source[name] = int(entry["ii"]), int(entry["pipeline_depth"]), "csynth"
        return Timing(ii, depth, source)


def loop_call(label: str, trips: int, t: Timing, a: Assumptions, latency: int = 0) -> int:
    """One call of a pipelined loop: trips at its II, its pipeline depth, the burst latency when it moves data."""
    return trips * t.ii[label] + t.depth[label] + latency + a.block_overhead if trips else a.block_overhead


@dataclass
class LayerCycles:
    stages: dict[str, int]  # per stage, cycles summed over the layer (what each would take alone)
    cycles: int  # the layer, with the overlap
    bound: str  # the stage (or "ddr") that sets the layer's time
    ddr_bytes: dict[str, int]  # in / weights / tables / out, as moved
    iterations: dict[str, int] = field(default_factory=dict)


def _ddr_cycles(nbytes: float, bytes_per_cycle: float) -> int:
    return math.ceil(nbytes / bytes_per_cycle) if bytes_per_cycle else 0


def _tables(f: dict, cfg: EngineConfig, t: Timing, a: Assumptions) -> int:
    cycles = 3 * loop_call("TBL_LOAD", f["cw_out"] * TBL_WORDS, t, a, a.axi_read_latency)
    if f["fc_double"]:
        cycles += loop_call("TBL_LOAD", -(-f["out_c"] // (cfg.bus_bytes // 8)), t, a, a.axi_read_latency)
    return cycles


def conv_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    f = layer.fields
    bb = cfg.bus_bytes
    R, W = a.axi_read_latency, a.axi_write_latency
    blocks = conv_blocks(f, cfg)
    load, wload, mac, store, ddr = [], [], [], [], []
    for k in blocks:
        if f["pointwise"]:
            load.append(loop_call("CONV_X_LOAD", k.x_load, t, a, R))
        else:
            load.append(sum(loop_call("CONV_BAND_PAD", n, t, a) for n in k.band_pad)
                        + sum(loop_call("CONV_BAND_LOAD", n, t, a, R) for n in k.band_load)
                        + loop_call("CONV_GATHER", k.gather, t, a))
        wload.append(loop_call("CONV_W_LOAD", k.w_load, t, a, R))
        m = loop_call("CONV_MAC", k.mac, t, a)
        if blocks and k is not blocks[0]:  # the loader of this block starts W_DEPTH phases before the last ends
            phase = max(k.n, cfg.w_words, MIN_PHASE)
            m += max(0, R + cfg.w_words - W_DEPTH * phase)
        if f["fc_double"]:
            m += loop_call("CONV_FC_REQUANT", f["out_c"], t, a)
        mac.append(m)
        store.append(loop_call("CONV_STORE", k.store, t, a) + W)
        ddr.append(_ddr_cycles((k.x_load + sum(k.band_load) + k.w_load + k.store) * bb, ddr_bpc))
    n = len(blocks)
    steady = [max(load[b + 1] if b + 1 < n else 0, wload[b], mac[b], store[b - 1] if b else 0, ddr[b])
              for b in range(n)]
    tables = _tables(f, cfg, t, a)
    cycles = tables + load[0] + sum(steady) + store[-1]
    stages = {"tables": tables, "load": sum(load), "weights": sum(wload), "mac": sum(mac), "store": sum(store),
              "ddr": sum(ddr)}
    bytes_in = sum(k.x_load + sum(k.band_load) for k in blocks) * bb
    bytes_w = sum(k.w_load for k in blocks) * bb
    bytes_t = (3 * f["cw_out"] * TBL_WORDS + (-(-f["out_c"] // (bb // 8)) if f["fc_double"] else 0)) * bb
    return LayerCycles(stages, cycles, _bound(stages), {"in": bytes_in, "weights": bytes_w, "tables": bytes_t,
                                                         "out": sum(k.store for k in blocks) * bb})


def dw_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    f = layer.fields
    bb = cfg.bus_bytes
    R, W = a.axi_read_latency, a.axi_write_latency
    strips = dw_strips(f, cfg)
    tables = _tables(f, cfg, t, a)
    weights = loop_call("DW_W_LOAD", f["cw_out"] * f["blocks"] * cfg.dw_taps, t, a, R)
    reader = sum(loop_call("DW_READ", s.ncols * f["cw_in"], t, a, R) for s in strips for _ in range(f["rows_read"]))
    if f["depth_mult"] == 1:
        expand = loop_call("DW_PASS", f["dw_in_pixels"] * f["cw_in"], t, a)
    else:
        expand = (loop_call("DW_EXPAND_MAP", f["cw_out"], t, a)
                  + loop_call("DW_EXPAND", f["cw_in"] + f["dw_in_pixels"] * f["cw_out"], t, a))
    step = sum(loop_call("DW_STEP", n, t, a) for s in strips for n in s.steps)
    writer = sum(loop_call("DW_WRITE", s.n_out * f["cw_out"], t, a) + W for s in strips for _ in range(f["out_h"]))
    bytes_in = f["dw_in_pixels"] * f["cw_in"] * bb
    bytes_out = f["out_h"] * f["out_w"] * f["cw_out"] * bb
    ddr = _ddr_cycles(bytes_in + bytes_out, ddr_bpc)
    stages = {"tables": tables, "weights": weights, "load": reader, "expand": expand, "mac": step, "store": writer,
              "ddr": ddr}
    fill = R + t.depth["DW_STEP"] + W
    cycles = tables + weights + max(reader, expand, step, writer, ddr) + fill
    bytes_w = f["cw_out"] * f["blocks"] * cfg.dw_taps * bb
    bytes_t = 3 * f["cw_out"] * TBL_WORDS * bb
    return LayerCycles(stages, cycles, _bound({k: v for k, v in stages.items() if k not in ("tables", "weights")}),
                       {"in": bytes_in, "weights": bytes_w, "tables": bytes_t, "out": bytes_out})


def add_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    f = layer.fields
    n = f["out_h"] * f["out_w"] * f["cw_out"]
    loop = loop_call("ADD", n, t, a, a.axi_read_latency) + a.axi_write_latency
    ddr = _ddr_cycles(3 * n * cfg.bus_bytes, ddr_bpc)
    stages = {"mac": loop, "ddr": ddr}
    nb = n * cfg.bus_bytes
    return LayerCycles(stages, max(loop, ddr), _bound(stages), {"in": 2 * nb, "weights": 0, "tables": 0, "out": nb})


def pool_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    """Per output pixel and channel word: the tap loop (single-beat reads, at most axi_outstanding in flight), the
    shared finisher, one single-word write."""
    f = layer.fields
    R, W = a.axi_read_latency, a.axi_write_latency
    issue = max(1.0, R / a.axi_outstanding)  # cycles per in-image read once the pipe is full
    taps = f["k_h"] * f["k_w"]
    total = reads = 0
    for oy in range(f["out_h"]):
        rows = sum(0 <= oy * f["stride_h"] - f["pad_top"] + ky < f["in_h"] for ky in range(f["k_h"]))
        for ox in range(f["out_w"]):
            cols = sum(0 <= ox * f["stride_w"] - f["pad_left"] + kx < f["in_w"] for kx in range(f["k_w"]))
            inside = rows * cols
            tap = max(taps * t.ii["POOL_TAP"], math.ceil(inside * issue)) + t.depth["POOL_TAP"] + R + a.block_overhead
            finish = loop_call("POOL_FINISH", cfg.bus_bytes, t, a) + W
            total += (tap + finish) * f["cw_out"]
            reads += inside * f["cw_out"]
    nb_out = f["out_h"] * f["out_w"] * f["cw_out"] * cfg.bus_bytes
    stages = {"mac": total, "ddr": _ddr_cycles(reads * cfg.bus_bytes + nb_out, ddr_bpc)}
    return LayerCycles(stages, max(stages.values()), _bound(stages),
                       {"in": reads * cfg.bus_bytes, "weights": 0, "tables": 0, "out": nb_out})


def _bound(stages: dict[str, int]) -> str:
    return max(stages, key=stages.get)


def layer_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bytes_per_cycle: float) -> LayerCycles:
    """The layer on the engine (host layers: 0 engine cycles), with its loop iteration counts."""
    if layer.where != "engine":
        result = LayerCycles({}, 0, "host", {"in": 0, "weights": 0, "tables": 0, "out": 0})
    elif layer.name in ("CONV_2D", "FULLY_CONNECTED"):
        result = conv_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    elif layer.name == "DEPTHWISE_CONV_2D":
        result = dw_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    elif layer.name == "ADD":
        result = add_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    else:
        result = pool_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    if layer.where == "engine":
        result.cycles += a.layer_overhead
    result.iterations = iteration_counts(layer, cfg)
    return result
