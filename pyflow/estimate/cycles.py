"""Cycles of one layer on the engine as written: the loops' iterations (pyflow.estimate.iterations) at the IIs of
the per-loop table (pyflow.hls.loops), plus pipeline depths, DDR latency per burst, DDR bandwidth, and the
overlap the DATAFLOW regions give.

- conv / FULLY_CONNECTED (conv.h, dataflow in the block loop): per block the four processes run side by side on
  consecutive blocks (ping-pong buffers), so the layer takes the first block's input load, then per block the
  slowest of {next block's input load, this block's weight stream, this block's MAC phases, the previous block's
  store, this block's DDR bytes at the board's sustained bandwidth}, then the last block's store. Before the
  blocks: the step's parameters (engine.cpp load_params): the table sets (one burst each) on one weight port and
  the depthwise weights on the other, side by side.
- depthwise (depthwise_conv.h, dataflow of four FIFO-connected processes over the layer): the parameters as
  above, then the slowest process (or the DDR bytes) plus the fill of the pipeline.
- ADD: one loop with three streams; pooling: windows of single-beat reads (the m_axi adapter keeps
  ``axi_outstanding`` of them in flight), then one lane per cycle through the shared finisher.
Every engine layer also pays ``layer_overhead`` cycles (ap_start .. ap_done, descriptor fetch over s_axilite),
and every step (a descriptor: ops fused into a step have none) ``host_us_per_layer`` of driver time (descriptor
writes, start, wait for done).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyflow.estimate.iterations import (TBL_SET_WORDS, conv_blocks, conv_view, dw_strips, dw_view, iteration_counts,
                                        read_runs, write_runs, writer_loop)
from pyflow.hls.codegen import Layer
from pyflow.hls.config import MIN_PHASE, W_DEPTH, W_LOADERS, EngineConfig
from pyflow.hls.loops import BY_ID


@dataclass(frozen=True)
class Assumptions:
    """Every timing constant of the model, in one place."""

    axi_read_latency: int = 64  # cycles from a burst's read request to its first beat: a PS-DDR round trip from
    #                             an HP port is ~150-250 ns (38-63 cycles at 250 MHz), plus the adapter
    axi_write_latency: int = 64  # cycles from a burst's last beat to its write response
    axi_outstanding: int = 8  # m_axi num_read_outstanding: single-beat reads in flight (pooling)
    ddr_efficiency: float = 0.8  # sustained fraction of the board's peak DDR bandwidth (refresh, page misses,
    #                              read/write turnarounds of several streams)
    block_overhead: int = 6  # cycles a dataflow process spends per block / row outside its pipelined loops
    #                          (block geometry, loop entry and exit)
    layer_overhead: int = 60  # per engine layer: ap_start to ap_done, descriptor over s_axilite, dispatch
    host_us_per_layer: float = 2.0  # per step, driver time: the descriptor fields that differ from the previous
    #                                 step's (EfficientNet-lite0: 53 of 93 on average; a driver keeps the last
    #                                 values) as posted MMIO writes (~30 ns each from the A53), ap_start, waiting
    #                                 for ap_done (~0.3 us)


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


def _tables(channels: int, fc_double: bool, cfg: EngineConfig, t: Timing, a: Assumptions) -> int:
    cycles = loop_call("TBL_LOAD", -(-channels // cfg.bus_bytes) * TBL_SET_WORDS, t, a, a.axi_read_latency)
    if fc_double:
        cycles += loop_call("TBL_LOAD", -(-channels // (cfg.bus_bytes // 8)), t, a, a.axi_read_latency)
    return cycles


@dataclass
class Stage:
    cycles: int  # the stage alone, over the step
    first: int  # from its first input word to its first output word (what the next stage waits for)
    tail: int  # from its last input word to its last output word
    parts: dict[str, int]  # its processes' own totals
    ddr: dict[str, int]  # bytes it moves


def conv_stage(f: dict, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> Stage:
    """conv_blocks: per block the eight processes side by side (two x loaders and four weight loaders, each on its
    own port, the MAC array, the emitter); the first block's load, then per block the slowest
    of (next block's load, this block's weights and MAC, the previous block's emit, this block's DDR bytes), then
    the last block's emit."""
    bb = cfg.bus_bytes
    R = a.axi_read_latency
    blocks = conv_blocks(f, cfg)
    load, wload, mac, emit, ddr = [], [], [], [], []

    def x_loader(h) -> int:
        if f["pointwise"]:
            return loop_call("CONV_X_LOAD", h.x_load, t, a, R)
        return (sum(loop_call("CONV_BAND_PAD", n, t, a) for n in h.band_pad)
                + sum(loop_call("CONV_BAND_LOAD", n, t, a, R) for n in h.band_load)
                + loop_call("CONV_GATHER", h.gather, t, a))

    for k in blocks:
        load.append(max(x_loader(h) for h in k.halves))  # the two x loaders side by side, one port each
        wload.append(loop_call("CONV_W_LOAD", k.w_load // W_LOADERS, t, a, R))  # the weight loaders, likewise
        m = loop_call("CONV_MAC", k.mac, t, a)
        if k is not blocks[0]:  # the loaders of this block start W_DEPTH phases before the last one ends
            phase = max(k.n, cfg.w_part, MIN_PHASE)
            m += max(0, R + cfg.w_part - W_DEPTH * phase)
        if f["fc_double"]:
            m += loop_call("CONV_FC_REQUANT", f["out_c"], t, a)
        mac.append(m)
        emit.append(loop_call("CONV_EMIT", k.store, t, a))
        ddr.append(_ddr_cycles((k.x_words + k.w_load) * bb, ddr_bpc))
    n = len(blocks)
    steady = [max(load[b + 1] if b + 1 < n else 0, wload[b], mac[b], emit[b - 1] if b else 0, ddr[b])
              for b in range(n)]
    cycles = load[0] + sum(steady) + emit[-1]
    parts = {"load": sum(load), "weights": sum(wload), "mac": sum(mac), "emit": sum(emit)}
    first = load[0] + mac[0] + t.depth["CONV_EMIT"]
    return Stage(cycles, first, 0, parts, {"in": sum(k.x_words for k in blocks) * bb,
                                           "weights": sum(k.w_load for k in blocks) * bb})


def dw_stage(f: dict, cfg: EngineConfig, t: Timing, a: Assumptions) -> Stage:
    """dw_core: expand and step side by side (the step's loads are paced by its input)."""
    strips = dw_strips(f, cfg)
    if f["depth_mult"] == 1:
        expand = loop_call("DW_PASS", f["dw_in_pixels"] * -(-f["cw_in"] // 2), t, a)
    else:
        expand = (loop_call("DW_EXPAND_MAP", f["cw_out"], t, a)
                  + loop_call("DW_EXPAND", f["cw_in"] + f["dw_in_pixels"] * f["cw_out"], t, a))
    step = sum(loop_call("DW_STEP", n, t, a) for s in strips for n in s.steps)
    first = sum(loop_call("DW_STEP", n, t, a) for n in strips[0].steps[:1 + f["dw_lag"]])  # the first row out
    tail = loop_call("DW_STEP", strips[-1].steps[-1], t, a)  # the last row, after the last input word
    return Stage(max(expand, step), first, tail, {"expand": expand, "mac": step}, {})


def pipeline_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    """A layer-pipeline step: the tables and depthwise weights first (two loaders side by side), then the three stages side by side on the
    FIFOs (each starts with the first word of the stage in front of it and ends after that stage's last word plus
    its own tail), or the step's DDR bytes at the sustained bandwidth if that is longer."""
    f = layer.fields
    bb = cfg.bus_bytes
    R, W = a.axi_read_latency, a.axi_write_latency
    tables = dw_weights = 0  # the prologue (engine.cpp load_params): two loaders side by side, one port each
    stages: dict[str, int] = {}
    ddr_bytes = {"in": 0, "weights": 0, "tables": 0, "out": 0}
    if f["conv_on"]:
        c = conv_view(f)
        tables += _tables(c["out_c"], bool(f["fc_double"]), cfg, t, a)
        ddr_bytes["tables"] += (TBL_SET_WORDS * c["cw_out"]
                                + (-(-c["out_c"] // (bb // 8)) if f["fc_double"] else 0)) * bb
        first = conv_stage(c, cfg, t, a, ddr_bpc)
        stages.update({k: v for k, v in first.parts.items()})
        ddr_bytes["in"] += first.ddr["in"]
        ddr_bytes["weights"] += first.ddr["weights"]
    else:
        runs = read_runs(f, cfg)
        reader = sum(loop_call("PIPE_READ", n, t, a, R) for n in runs)
        first = Stage(reader, R + t.depth["PIPE_READ"], 0, {"load": reader}, {})
        stages["load"] = reader
        ddr_bytes["in"] += sum(runs) * bb
    if f["dw_on"]:
        d = dw_view(f)
        tables += _tables(d["out_c"], False, cfg, t, a)
        dw_weights = loop_call("DW_W_LOAD", d["cw_out"] * d["blocks"] * cfg.dw_taps, t, a, R)
        ddr_bytes["tables"] += TBL_SET_WORDS * d["cw_out"] * bb
        ddr_bytes["weights"] += d["cw_out"] * d["blocks"] * cfg.dw_taps * bb
        middle = dw_stage(d, cfg, t, a)
        stages["dw"] = middle.cycles
    else:
        words = f["out_h"] * f["out_w"] * f["cw_out"]
        copy = loop_call("PIPE_COPY", words, t, a)
        middle = Stage(copy, t.depth["PIPE_COPY"], t.depth["PIPE_COPY"], {}, {})
    prologue = max(tables, dw_weights)
    label = writer_loop(f)
    # input 2 comes word for word from pipe_in2: a DDR read per run (its latency per run), or (in2_bcast) one pixel
    # loaded once into bvec before the first word
    bcast = bool(f["add_on"] and f["in2_bcast"])
    runs = write_runs(f, cfg)
    vector = loop_call("PIPE_BCAST_LOAD", f["cw_out"], t, a, R) if bcast else 0
    writer = vector + sum(loop_call(label, n, t, a, R if f["add_on"] and not bcast else 0) + W for n in runs)
    stages["store"] = writer
    out_bytes = sum(runs) * bb
    ddr_bytes["out"] = out_bytes
    in2_bytes = (f["cw_out"] * bb if bcast else out_bytes) if f["add_on"] else 0
    ddr_bytes["in"] += in2_bytes
    stages["ddr"] = _ddr_cycles(sum(ddr_bytes.values()), ddr_bpc)
    # S_AXI_HPC0 carries two bundles (engine.cpp): weight part 3 and the ADD's second input, one word per cycle
    conv_weights = first.ddr["weights"] if f["conv_on"] else 0
    stages["hpc0"] = conv_weights // W_LOADERS // bb + in2_bytes // bb
    # the chain on its FIFOs: a stage starts with the first word of the one in front of it, cannot run faster than
    # itself, and ends no earlier than the stage in front of it plus its own tail
    start_mid = first.first
    end_mid = max(start_mid + middle.cycles, first.cycles + middle.tail)
    start_w = start_mid + middle.first
    end_w = max(start_w + writer, end_mid + t.depth[label] + W)
    cycles = prologue + max(end_w, stages["ddr"], stages["hpc0"])
    stages["tables"] = prologue
    bound = max((k for k in ("load", "weights", "mac", "emit", "dw", "store", "ddr", "hpc0") if k in stages),
                key=lambda k: stages[k])
    return LayerCycles(stages, cycles, bound, ddr_bytes)


def pool_cycles(layer: Layer, cfg: EngineConfig, t: Timing, a: Assumptions, ddr_bpc: float) -> LayerCycles:
    """Global pooling: one burst over the map, the fold, the finisher over every lane (three loops in sequence).
    Windows: per output pixel and channel word, the tap loop (single-beat reads, at most axi_outstanding in
    flight), the shared finisher, one single-word write."""
    f = layer.fields
    R, W = a.axi_read_latency, a.axi_write_latency
    if f["pool_global"]:
        words = f["in_h"] * f["in_w"] * f["cw_out"]
        total = (loop_call("POOL_GSUM", words, t, a, R) + loop_call("POOL_GFOLD", f["pool_slots"] * f["cw_out"], t, a)
                 + loop_call("POOL_GFINISH", f["cw_out"] * cfg.bus_bytes, t, a) + W)
        nb_in, nb_out = words * cfg.bus_bytes, f["cw_out"] * cfg.bus_bytes
        stages = {"mac": total, "ddr": _ddr_cycles(nb_in + nb_out, ddr_bpc)}
        return LayerCycles(stages, max(stages.values()), _bound(stages),
                           {"in": nb_in, "weights": 0, "tables": 0, "out": nb_out})
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
    if layer.where != "engine":  # host ops, and ops fused into a later step (their time is that step's)
        result = LayerCycles({}, 0, layer.where, {"in": 0, "weights": 0, "tables": 0, "out": 0})
    elif layer.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"):
        result = pool_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    else:
        result = pipeline_cycles(layer, cfg, t, a, ddr_bytes_per_cycle)
    if layer.where == "engine":
        result.cycles += a.layer_overhead
    result.iterations = iteration_counts(layer, cfg)
    return result
