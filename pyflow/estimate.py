"""Performance / resource model of the HLS layer engine AS IT IS WRITTEN (hls/src), no Vitis needed.

    est = estimate(graph, EngineConfig(), "ZCU104", clock_mhz=300)
    print(format_estimate(est)); write_estimate_json(est, path); plot_estimate(est, png)

What is modelled (read hls/src/conv.h, depthwise_conv.h, add.h, pool.h, mem.h, engine.cpp):

* Every pipelined loop (labels as in the C++) costs ``trips x II + invocations x depth`` cycles, plus, when it
  touches an m_axi port, ``invocations x DDR latency`` (each call of the loop is a new burst whose first beat
  arrives ``AXI_READ_LATENCY`` cycles after the request; a loop that writes waits for the write responses
  before it returns) and the throughput limits of the port: one bus word per cycle (the AXI width x clock),
  the board's DDR bandwidth, and, for strided single-beat accesses that cannot form a burst,
  ``AXI_OUTSTANDING / latency`` words per cycle. The constants are in ``LOOPS`` and ``Assumptions``.
* Non-pipelined loops (CONV_BLOCK, CONV_OC_TILE, DW_ROW, DW_CH_TILE, POOL_ROW/COL/CH) cost ``Assumptions.control_cycles`` per iteration.
* conv/FC run in pixel blocks (descriptor field ``blk``, chosen by pyflow.hls.codegen.conv_block): one input
  burst per block, one weight burst per (block, output-channel tile), one flattened MAC+requant pipeline per
  (block, tile), one output burst per block -- the DDR latency is paid per block, not per pixel. Depthwise:
  all weights in one burst per layer, one input-row burst and one output-row burst per output row; its MAC
  pipeline computes ALL MAX_K x MAX_K taps of one pixel of one channel tile per cycle (the depth multiplier M in
  M passes), so DW_MAC runs pixels x channel words x M iterations.
* There is NO overlap: the engine has no DATAFLOW region, so weight load, window load, MAC and store of one
  block run one after the other; a layer's cycles are the SUM of its loops (``Assumptions.overlap=True`` gives
  the what-if max(compute, memory) of a DATAFLOW engine).
* "memory" cycles = load loops (QUANT_LOAD, WT_LOAD, WIN/PIXEL_LOAD, DW_ROW_LOAD) plus the DDR latency /
  throughput stalls of the loops that store; "compute" cycles = MAC, requantize/store issue and pipeline fill,
  ADD/POOL issue, loop control.

The per-layer iteration counts of the labelled pipelined loops are the same numbers the csim testbench counts
(``CsimResult.layers[i].iterations``, counter names of hls/src/engine_types.h); tests/test_estimate.py checks
them for equality against csim. Resources are a rough, documented model (``estimate_resources``); a parsed
csynth report (``pyflow.vitis.reports.parse_csynth``) can be passed to use the tool's II / depth per loop and to
show the tool's numbers next to the model's.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from pyflow import layers as pyflow_layers
from pyflow.errors import FlowError
from pyflow.reference import check_flavor
from pyflow.fileio import write_json
from pyflow.hls.codegen import Plan, _is_pointwise, plan
from pyflow.hls.config import EngineConfig
from pyflow.ir import Graph
from pyflow.vitis.boards import Board, get_board

# ------------------------------------------------------------------------------------------------ assumptions


@dataclass(frozen=True)
class LoopTiming:
    """One labelled pipelined loop of the engine: assumed II and pipeline depth (cycles of one iteration,
    excluding the DDR latency), which m_axi access it makes (read/write/None) and whether that access is a
    contiguous burst or strided single beats."""

    ii: int
    depth: int
    axi: str | None = None  # "read" | "write" | "read+write" | None
    burst: bool = True
    counter: str | None = None  # the csim counter (engine_types.h) that counts its iterations
    note: str = ""


# THE place for the assumed II / depth of every pipelined loop (labels as in hls/src). II=1 is what the pragmas
# ask for. Depths: int8 multiply in a DSP48E2 (3 stages) + log2(PI) adder tree + accumulate for CONV_MAC;
# MultiplyByQuantizedMultiplier (32x32 -> 64 bit in 4 DSPs, ~5 stages) + rounding shift + clamp + pack for the
# stores (the bias / mult / shift / scale tables are partitioned cyclic by TABLE_PARTITION = max(PO, BUS_BYTES x
# MAX_DEPTH_MULT) in engine.cpp, so the PO (or BUS x M) entries of one requant are read in the same cycle).
LOOPS: dict[str, LoopTiming] = {
    "QUANT_LOAD_I32": LoopTiming(1, 3, "read", True, "QUANT_LOAD", "bias / mult / shift tables (mem.h)"),
    "QUANT_LOAD_F64": LoopTiming(1, 3, "read", True, "QUANT_LOAD", "FC double scale, LiteRT flavor only"),
    "CONV_WT_LOAD": LoopTiming(1, 3, "read", True, "WT_LOAD", "PO weight rows, one burst per oc tile per block"),
    "CONV_PIXEL_LOAD": LoopTiming(1, 3, "read", True, "WIN_LOAD", "pointwise: one burst per pixel block"),
    "CONV_ROWS_LOAD": LoopTiming(1, 3, "read", True, "WIN_LOAD", "general window: input row band, one burst per "
                                 "block of output rows"),
    "CONV_WIN_GATHER": LoopTiming(1, 7, None, True, "WIN_GATHER", "general window: on-chip dense im2col (KH x KW x "
                                  "C bytes per window), one call per block (address multiply + byte rotation "
                                  "into the WIN_PARTITION banks in the pipeline)"),
    "CONV_MAC": LoopTiming(1, 0, None, True, "CONV_MAC", "flattened over (pixel, PI slice) per block and oc tile, "
                           "requantizes into obuf: depth = 4 + log2(PI) + 8 (+30 LiteRT FC)"),
    "CONV_STORE": LoopTiming(1, 2, "write", True, "CONV_STORE", "one burst per block (all output channels)"),
    "DW_WT_LOAD": LoopTiming(1, 3, "read", True, "WT_LOAD", "all channel tiles x M x MAX_K^2 tap slots, one burst "
                             "per layer"),
    "DW_ROW_LOAD": LoopTiming(1, 3, "read", True, "DW_ROW_LOAD", "new input rows (all channels), one burst per "
                              "output row that needs new rows (the others make a zero-length call: no request)"),
    "DW_MAC": LoopTiming(1, 6, None, True, "DW_MAC", "over (pixel, m) per output row and channel tile, all "
                         "MAX_K^2 taps x BUS_BYTES lanes per cycle (bank reads, tap routing, adder tree), "
                         "requant into orow: depth 3 + 3 + ceil(log2(MAX_K^2)) + 1 + 8"),
    "DW_STORE": LoopTiming(1, 2, "write", True, "DW_STORE", "one output row (all channels), one burst"),
    "ADD_LOOP": LoopTiming(1, 14, "read+write", True, "ADD", "two reads + one write per word, one call per layer"),
    "POOL_TAP": LoopTiming(1, 3, "read", False, "POOL", "one call per output pixel and channel word"),
}
# Work outside the pipelined loops, per output (pixel, channel word) of pool_layer: requant / divide and a
# single-word write (its DDR write latency is added separately).
POOL_FINISH_DEPTH = 40  # 32-bit divider of the average (~36 stages) or MEAN's requantization
CSIM_COUNTERS = ("QUANT_LOAD", "WT_LOAD", "WIN_LOAD", "WIN_GATHER", "CONV_MAC", "CONV_STORE", "DW_ROW_LOAD", "DW_MAC",
                 "DW_STORE", "ADD", "POOL")
MEMORY_LOOPS = ("QUANT_LOAD_I32", "QUANT_LOAD_F64", "CONV_WT_LOAD", "CONV_PIXEL_LOAD", "CONV_ROWS_LOAD",
                "DW_WT_LOAD", "DW_ROW_LOAD")


@dataclass(frozen=True)
class Assumptions:
    axi_read_latency: int = 64  # cycles from read request to first beat (Vitis HLS m_axi default latency; a
    #                             PS-DDR round trip from an HP port is ~150-250 ns = 45-75 cycles at 300 MHz)
    axi_write_latency: int = 64  # cycles until the write response of the last beat
    axi_outstanding: int = 16  # m_axi num_read/write_outstanding default: caps strided single-beat accesses
    control_cycles: int = 2  # per iteration of a non-pipelined loop / call of a stage function
    layer_overhead_cycles: int = 100  # ap_start / ap_done handshake and table-load set-up per engine layer
    host_overhead_us: float = 0.0  # driver time per layer (descriptor write, start, poll); 0 = engine only
    overlap: bool = False  # what-if: loads overlap compute (DATAFLOW) -> layer = max(compute, memory)
    macs_per_dsp: int = 1  # int8 MACs per DSP48E2 (2 needs hand-packed multiplies; HLS maps 1 per DSP)


def loop_timing(config: EngineConfig, flavor: str) -> dict[str, LoopTiming]:
    """LOOPS with the config-dependent depths filled in."""
    store = 8  # MultiplyByQuantizedMultiplier + rounding shift + clamp + pack (tables partitioned: no port stall)
    t = dict(LOOPS)
    t["CONV_MAC"] = replace(t["CONV_MAC"], depth=4 + max(1, math.ceil(math.log2(config.pi))) + store)
    # bank address select + read (2), routing muxes (1), multiply (3), adder tree over MAX_K^2 taps, + bias
    t["DW_MAC"] = replace(t["DW_MAC"], depth=3 + 3 + max(1, math.ceil(math.log2(config.dw_taps))) + 1 + store)
    return t


FC_DOUBLE_EXTRA_DEPTH = 30  # LiteRT FC: int->double, DMUL, round (double subtract) in CONV_MAC's requant


# ------------------------------------------------------------------------------------------------ results


@dataclass
class LoopCost:
    label: str
    invocations: int
    trips: int
    words: int  # bus words moved over m_axi
    issue: int  # trips x II
    fill: int  # invocations x depth
    ddr: int  # DDR latency + throughput stalls
    ii: int
    depth: int

    @property
    def cycles(self) -> int:
        return self.issue + self.fill + self.ddr


@dataclass
class LayerEstimate:
    index: int
    op: str
    where: str  # engine | host
    shape: str  # output shape HxWxC
    macs: int
    loops: dict[str, LoopCost]
    control: int
    iterations: dict[str, int]  # the csim counters
    bytes_in: int  # feature-map bytes read (incl. re-reads)
    bytes_weights: int
    bytes_tables: int
    bytes_out: int
    input_tensor_bytes: int  # the input tensor(s) as stored (channels padded to words)
    compute_cycles: int
    memory_cycles: int
    cycles: int
    bandwidth_cycles: int  # all bytes at min(DDR, AXI x clock): the transfer floor
    mac_bound_cycles: int  # useful MACs on the full MAC array: the compute floor
    bound: str
    utilization: float  # useful MACs / (PI x PO x cycles) for conv/FC, / (BUS x MAX_K^2 x cycles) for depthwise
    time_us: float

    @property
    def ddr_bytes(self) -> int:
        return self.bytes_in + self.bytes_weights + self.bytes_tables + self.bytes_out

    @property
    def min_ddr_bytes(self) -> int:
        """Every input, weight, table and output byte moved exactly once (no re-reads)."""
        return self.input_tensor_bytes + self.bytes_weights + self.bytes_tables + self.bytes_out

    @property
    def reread_factor(self) -> float:
        return self.bytes_in / self.input_tensor_bytes if self.input_tensor_bytes else 0.0


@dataclass
class Resources:
    dsp: dict[str, int]
    bram_18k: dict[str, int]
    lut: dict[str, int]
    ff: dict[str, int]
    uram: int
    available: dict[str, int]
    notes: list[str]

    @property
    def totals(self) -> dict[str, int]:
        return {"BRAM_18K": sum(self.bram_18k.values()), "DSP": sum(self.dsp.values()), "FF": sum(self.ff.values()),
                "LUT": sum(self.lut.values()), "URAM": self.uram}

    @property
    def utilization(self) -> dict[str, float]:
        return {k: (v / self.available[k] if self.available.get(k) else (0.0 if v == 0 else math.inf))
                for k, v in self.totals.items()}

    @property
    def fits(self) -> bool:
        return all(u <= 1.0 for u in self.utilization.values())


@dataclass
class Estimate:
    model: str
    config: EngineConfig
    board: Board
    clock_mhz: float
    flavor: str
    assumptions: Assumptions
    loop_timing: dict[str, LoopTiming]
    layers: list[LayerEstimate]
    resources: Resources
    csynth: dict | None = None
    loop_sources: dict[str, str] = field(default_factory=dict)  # label -> "assumed" | "csynth"

    @property
    def engine_layers(self) -> list[LayerEstimate]:
        return [L for L in self.layers if L.where == "engine"]

    @property
    def cycles(self) -> int:
        return sum(L.cycles for L in self.layers)

    @property
    def latency_ms(self) -> float:
        host = self.assumptions.host_overhead_us * len(self.layers) / 1000.0
        return self.cycles / (self.clock_mhz * 1e3) + host

    @property
    def images_per_s(self) -> float:
        return 1000.0 / self.latency_ms if self.latency_ms else math.inf

    @property
    def macs(self) -> int:
        return sum(L.macs for L in self.layers)

    @property
    def gmacs_per_s(self) -> float:
        return self.macs * self.images_per_s / 1e9

    @property
    def peak_gmacs_per_s(self) -> float:
        """What the DSPs could do: every DSP doing macs_per_dsp int8 MACs per cycle."""
        return self.resources.totals["DSP"] * self.assumptions.macs_per_dsp * self.clock_mhz / 1e3

    @property
    def dsp_efficiency(self) -> float:
        return self.gmacs_per_s / self.peak_gmacs_per_s if self.peak_gmacs_per_s else 0.0

    @property
    def mac_array_efficiency(self) -> float:
        """Achieved GMAC/s over the PI x PO array's peak (the DSPs of the MAC array alone)."""
        return self.gmacs_per_s / (self.config.pi * self.config.po * self.clock_mhz / 1e3)

    @property
    def ideal_cycles(self) -> int:
        """Per layer max(MAC-array floor, no-re-read DDR floor): a DATAFLOW engine of this config that hides
        the DDR latency and reads every byte once."""
        bpc = min(float(self.config.bus_bytes), self.board.ddr_gbps * 1e3 / self.clock_mhz)
        return sum(max(L.mac_bound_cycles, math.ceil(L.min_ddr_bytes / bpc)) for L in self.engine_layers)

    def totals(self) -> dict:
        sums = {k: sum(getattr(L, k) for L in self.layers)
                for k in ("compute_cycles", "memory_cycles", "bandwidth_cycles", "mac_bound_cycles")}
        ddr_latency = sum(c.ddr for L in self.layers for c in L.loops.values())
        by_loop: dict[str, int] = {}
        for L in self.layers:
            for c in L.loops.values():
                by_loop[c.label] = by_loop.get(c.label, 0) + c.cycles
        by_loop["control"] = sum(L.control for L in self.layers)
        by_op: dict[str, int] = {}
        for L in self.layers:
            by_op[L.op] = by_op.get(L.op, 0) + L.cycles
        return {
            "cycles": self.cycles, "latency_ms": self.latency_ms, "images_per_s": self.images_per_s,
            "macs": self.macs, "gmacs_per_s": self.gmacs_per_s, "peak_gmacs_per_s": self.peak_gmacs_per_s,
            "dsp_efficiency": self.dsp_efficiency, "mac_array_efficiency": self.mac_array_efficiency,
            "ddr_bytes": sum(L.ddr_bytes for L in self.layers), "ddr_latency_and_stall_cycles": ddr_latency,
            "min_ddr_bytes": sum(L.min_ddr_bytes for L in self.layers),
            "ideal_cycles": self.ideal_cycles,
            **sums, "cycles_by_loop": dict(sorted(by_loop.items(), key=lambda kv: -kv[1])),
            "cycles_by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
        }


# ------------------------------------------------------------------------------------------------ the model


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _inside(n_out: int, stride: int, pad: int, k: int, dil: int, n_in: int) -> int:
    """Number of (output position, tap) pairs whose input coordinate is inside [0, n_in)."""
    count = 0
    for o in range(n_out):
        base = o * stride - pad
        for t in range(k):
            if 0 <= base + t * dil < n_in:
                count += 1
    return count


def _dw_rows_loaded(d: dict) -> tuple[int, int]:
    """Input rows dwconv_layer loads (the next_row logic of depthwise_conv.h) and the output rows that load any."""
    next_row = total = loading = 0
    for oy in range(d["out_h"]):
        top = oy * d["stride_h"] - d["pad_top"]
        last = min(top + (d["k_h"] - 1) * d["dil_h"], d["in_h"] - 1)
        n = last - next_row + 1 if last >= next_row else 0
        total += n
        loading += n > 0
        next_row += n
    return total, loading


def _counts(layer, cfg: EngineConfig, flavor: str) -> tuple[dict[str, tuple[int, int, int]], int]:
    """label -> (invocations, trips, m_axi words) of every pipelined loop, and the non-pipelined iterations."""
    d = layer.fields
    bb = cfg.bus_bytes
    name = layer.name
    loops: dict[str, tuple[int, int, int]] = {}
    control = 0
    pixels = d["out_h"] * d["out_w"]
    cw_in, cw_out = _ceil_div(d["in_c"], bb), _ceil_div(d["out_c"], bb)
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        n = _ceil_div(d["out_c"], bb // 4)
        loops["QUANT_LOAD_I32"] = (3, 3 * n, 3 * n)
        if name == "FULLY_CONNECTED" and flavor != "tflm":
            n = _ceil_div(d["out_c"], bb // 8)
            loops["QUANT_LOAD_F64"] = (1, n, n)
    if name in ("CONV_2D", "FULLY_CONNECTED"):
        tiles = _ceil_div(d["out_c"], cfg.po)
        wpr = d["k_len"] // bb
        taps = d["k_h"] * d["k_w"]
        pointwise = _is_pointwise(d)
        blk_pix = d["blk"] if pointwise else d["blk"] * d["out_w"]
        blocks = _ceil_div(pixels, blk_pix)
        loops["CONV_WT_LOAD"] = (blocks * tiles, blocks * tiles * cfg.po * wpr, blocks * tiles * cfg.po * wpr)
        if pointwise:
            loops["CONV_PIXEL_LOAD"] = (blocks, pixels * cw_in, pixels * cw_in)
        else:
            band = 0
            for oy0 in range(0, d["out_h"], d["blk"]):
                rows = min(d["blk"], d["out_h"] - oy0)
                r0 = max(0, oy0 * d["stride_h"] - d["pad_top"])
                r1 = min(d["in_h"] - 1, (oy0 + rows - 1) * d["stride_h"] - d["pad_top"] + (d["k_h"] - 1) * d["dil_h"])
                band += max(0, r1 - r0 + 1) * d["in_w"] * cw_in
            loops["CONV_ROWS_LOAD"] = (blocks, band, band)
            loops["CONV_WIN_GATHER"] = (blocks, pixels * taps * cw_in, 0)
        loops["CONV_MAC"] = (blocks * tiles, tiles * pixels * (d["k_len"] // cfg.pi), 0)
        loops["CONV_STORE"] = (blocks, pixels * cw_out, pixels * cw_out)
        # CONV_BLOCK, CONV_OC_TILE (+ the calls made in their bodies)
        control += blocks * 4 + blocks * tiles * 2
    elif name == "DEPTHWISE_CONV_2D":
        m = d["depth_mult"]
        loops["DW_WT_LOAD"] = (1, cw_in * m * cfg.dw_taps, cw_in * m * cfg.dw_taps)
        rows, loading = _dw_rows_loaded(d)
        loops["DW_ROW_LOAD"] = (loading, rows * d["in_w"] * cw_in, rows * d["in_w"] * cw_in)
        loops["DW_MAC"] = (d["out_h"] * cw_in, cw_in * pixels * m, 0)  # all taps in one cycle
        loops["DW_STORE"] = (d["out_h"], pixels * cw_out, pixels * cw_out)
        # DW_ROW, DW_CH_TILE (+ calls)
        control += d["out_h"] * 3 + d["out_h"] * cw_in
    elif name == "ADD":
        n = pixels * cw_out
        loops["ADD_LOOP"] = (1, n, 3 * n)
    elif name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN"):
        taps = d["k_h"] * d["k_w"]
        inside = (_inside(d["out_h"], d["stride_h"], d["pad_top"], d["k_h"], 1, d["in_h"])
                  * _inside(d["out_w"], d["stride_w"], d["pad_left"], d["k_w"], 1, d["in_w"]))
        loops["POOL_TAP"] = (pixels * cw_out, pixels * cw_out * taps, inside * cw_out)
        control += d["out_h"] + pixels + pixels * cw_out
    return loops, control


def iteration_counts(layer, cfg: EngineConfig, flavor: str = "litert") -> dict[str, int]:
    """The csim testbench's per-layer counters (engine_types.h names) for one planned layer."""
    counts = dict.fromkeys(CSIM_COUNTERS, 0)
    if layer.where != "engine":
        return counts
    loops, _ = _counts(layer, cfg, flavor)
    for label, (_, trips, _) in loops.items():
        counter = LOOPS[label].counter
        if counter:
            counts[counter] += trips
    return counts


def _loop_cost(label: str, inv: int, trips: int, words: int, t: LoopTiming, a: Assumptions,
               bytes_per_cycle: float, bus_bytes: int) -> LoopCost:
    issue = trips * t.ii
    fill = inv * t.depth
    ddr = 0
    if t.axi:
        latency = {"read": a.axi_read_latency, "write": a.axi_write_latency,
                   "read+write": max(a.axi_read_latency, a.axi_write_latency)}[t.axi]
        ddr = inv * latency
        floor = math.ceil(words * bus_bytes / bytes_per_cycle) if bytes_per_cycle else 0
        if not t.burst and latency:
            floor = max(floor, math.ceil(words * latency / a.axi_outstanding))
        ddr += max(0, floor - issue)
    return LoopCost(label, inv, trips, words, issue, fill, ddr, t.ii, t.depth)


def _layer_estimate(layer, graph: Graph, cfg: EngineConfig, flavor: str, timing: dict[str, LoopTiming],
                    a: Assumptions, clock_mhz: float, ddr_bytes_per_cycle: float) -> LayerEstimate:
    d = layer.fields
    bb = cfg.bus_bytes
    op = next(o for o in graph.ops if o.index == layer.index)
    macs = pyflow_layers.macs(graph, op)
    out = graph.tensor(op.output)
    shape = "x".join(str(s) for s in out.shape[1:])
    bpc = min(float(bb), ddr_bytes_per_cycle)
    iterations = iteration_counts(layer, cfg, flavor)
    if layer.where != "engine":
        return LayerEstimate(layer.index, layer.name, "host", shape, macs, {}, 0, iterations, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 0, "host", 0.0, 0.0)
    counts, control_iters = _counts(layer, cfg, flavor)
    loops: dict[str, LoopCost] = {}
    for label, (inv, trips, words) in counts.items():
        t = timing[label]
        if label == "CONV_MAC" and layer.name == "FULLY_CONNECTED" and flavor != "tflm":
            t = replace(t, depth=t.depth + FC_DOUBLE_EXTRA_DEPTH)
        loops[label] = _loop_cost(label, inv, trips, words, t, a, bpc, bb)
    control = control_iters * a.control_cycles + a.layer_overhead_cycles
    if "POOL_TAP" in loops:  # finish + single-word store per (pixel, channel word), outside the pipeline
        n = loops["POOL_TAP"].invocations
        control += n * (POOL_FINISH_DEPTH + a.axi_write_latency)
    words_in = sum(c.words for k, c in loops.items() if k in ("CONV_PIXEL_LOAD", "CONV_ROWS_LOAD", "DW_ROW_LOAD",
                                                                "POOL_TAP"))
    words_wt = sum(c.words for k, c in loops.items() if k in ("CONV_WT_LOAD", "DW_WT_LOAD"))
    words_tab = sum(c.words for k, c in loops.items() if k.startswith("QUANT_LOAD"))
    words_out = sum(c.words for k, c in loops.items() if k in ("CONV_STORE", "DW_STORE"))
    pixels = d["out_h"] * d["out_w"]
    cw_in, cw_out = _ceil_div(d["in_c"], bb), _ceil_div(d["out_c"], bb)
    in_tensor = d["in_h"] * d["in_w"] * cw_in * bb
    if layer.name == "ADD":
        n = loops["ADD_LOOP"].trips
        words_in, words_out = 2 * n, n
        in_tensor *= 2
    if "POOL_TAP" in loops:
        words_out = pixels * cw_out
    memory = sum(c.cycles for k, c in loops.items() if k in MEMORY_LOOPS) + \
        sum(c.ddr for k, c in loops.items() if k not in MEMORY_LOOPS)
    compute = sum(c.issue + c.fill for k, c in loops.items() if k not in MEMORY_LOOPS) + control
    if "POOL_TAP" in loops:  # the pool's single-word stores are DDR latency
        memory += loops["POOL_TAP"].invocations * a.axi_write_latency
        compute -= loops["POOL_TAP"].invocations * a.axi_write_latency
    cycles = max(compute, memory) if a.overlap else compute + memory
    total_bytes = (words_in + words_wt + words_tab + words_out) * bb
    bandwidth = math.ceil(total_bytes / bpc)
    if layer.name in ("CONV_2D", "FULLY_CONNECTED"):
        lanes = cfg.pi * cfg.po
    elif layer.name == "DEPTHWISE_CONV_2D":
        lanes = bb * cfg.dw_taps
    else:
        lanes = 0
    mac_bound = _ceil_div(macs, lanes) if lanes else 0
    util = macs / (lanes * cycles) if lanes and cycles else 0.0
    return LayerEstimate(layer.index, layer.name, "engine", shape, macs, loops, control, iterations, words_in * bb,
                         words_wt * bb, words_tab * bb, words_out * bb, in_tensor, compute, memory, cycles,
                         bandwidth, mac_bound, "memory" if memory > compute else "compute", util,
                         cycles / clock_mhz)


# ------------------------------------------------------------------------------------------------ resources

BRAM18_BITS = 18 * 1024


def bram18_for(depth: int, width_bits: int) -> int:
    """BRAM_18K primitives for one memory bank of depth x width (widest aspect ratio that holds the depth)."""
    for max_depth, width in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)):
        if depth <= max_depth:
            return _ceil_div(width_bits, width)
    return _ceil_div(depth, 16384) * width_bits


def _lutram_luts(banks: int, depth: int, width_bits: int) -> int:
    """LUTs of the banks _bank_bram leaves to LUTRAM (RAM64X1D: 2 LUTs per 64 x 1 bit, dual port)."""
    if depth * width_bits <= 1024 or depth <= 64:
        return banks * width_bits * _ceil_div(depth, 64) * 2
    return 0


def _bank_bram(banks: int, depth: int, width_bits: int) -> int:
    """Banks of <= 1 Kbit or <= 64 deep go to LUTRAM/registers (Vitis HLS 'auto' storage); others to BRAM."""
    if depth * width_bits <= 1024 or depth <= 64:
        return 0
    return banks * bram18_for(depth, width_bits)


# DSP48E2 per operator, as Vitis HLS maps them (UltraScale+): an int32 x int32 -> int64 product takes 4 DSPs,
# an int32 x int32 -> int32 product 3, a double-precision multiply (full-DSP floating-point core) ~10, a double
# add/subtract 3.
DSP_MUL32x32_64 = 4
DSP_MUL32x32_32 = 3
DSP_DMUL = 10
DSP_DADD = 3
DSP_ADDRESS = 24  # runtime address arithmetic (iy * in_w + ix) * cw_in ... in the load / store loops
# Rough LUT / FF per unit (fabric around the DSPs): per MAC (adder tree, operand muxes, pipeline registers), per
# requantization lane, per m_axi port (adapter + FIFOs, scales with width), fixed control / s_axilite.
LUT_PER_MAC, FF_PER_MAC = 35, 60
LUT_PER_REQUANT_LANE, FF_PER_REQUANT_LANE = 350, 500
LUT_PER_AXI_BIT, FF_PER_AXI_BIT = 20, 30  # per port
LUT_DIVIDER_LANE, FF_DIVIDER_LANE = 1100, 1900  # average pool 32-bit divider per lane
LUT_DOUBLE_LANE, FF_DOUBLE_LANE = 1500, 2200  # LiteRT FC: sitofp + dmul + round per lane
LUT_CONTROL, FF_CONTROL = 6000, 8000
AXI_PORTS = 4  # gmem_fm_rd, gmem_fm_rd2, gmem_fm_wr, gmem_wt


def estimate_resources(config: EngineConfig, board: Board, flavor: str = "litert",
                       macs_per_dsp: int = 1) -> Resources:
    c = config
    bb = c.bus_bytes
    part = c.row_align  # WIN_PARTITION
    tp = c.table_partition  # TABLE_PARTITION
    double_fc = flavor != "tflm"
    dsp = {
        "conv MAC array (PI x PO)": _ceil_div(c.pi * c.po, macs_per_dsp),
        "depthwise MACs (BUS x MAX_K^2 taps; M in time)": _ceil_div(bb * c.dw_taps, macs_per_dsp),
        "conv requant (BUS lanes)": bb * DSP_MUL32x32_64,
        "depthwise requant (BUS lanes)": bb * DSP_MUL32x32_64,
        "ADD requant (3 + 2 left-shift multiplies per lane)": bb * (3 * DSP_MUL32x32_64 + 2 * DSP_MUL32x32_32),
        "MEAN requant (BUS lanes)": bb * DSP_MUL32x32_64,
        "address arithmetic": DSP_ADDRESS,
    }
    if double_fc:
        dsp["FC double requant (LiteRT: DMUL + DSUB per lane)"] = bb * (DSP_DMUL + DSP_DADD)
    bram = {
        f"wbuf[PO][WIN_BYTES] ({c.po}x{part} banks of {c.win_bytes // part} B)":
            _bank_bram(c.po * part, c.win_bytes // part, 8),
        f"xbuf[BLK_IN_BYTES] ({part} banks of {c.blk_in_bytes // part} B)":
            _bank_bram(part, c.blk_in_bytes // part, 8),
        f"obuf[BLK_OUT_WORDS] ({c.blk_out_bytes // bb} x {c.axi_bits} bit)":
            _bank_bram(1, c.blk_out_bytes // bb, c.axi_bits),
        f"band[BAND_WORDS] ({c.band_bytes // bb} x {c.axi_bits} bit)": _bank_bram(1, c.band_bytes // bb, c.axi_bits),
        f"lb[MAX_K][MAX_K][LB_COL_WORDS] ({c.dw_taps} banks of {c.dw_col_words} x {c.axi_bits} bit)":
            _bank_bram(c.dw_taps, c.dw_col_words, c.axi_bits),
        f"orow[LINE_WORDS] ({c.line_bytes // bb} x {c.axi_bits} bit)": _bank_bram(1, c.line_bytes // bb, c.axi_bits),
        f"wdw[DW_WT_ENTRIES][MAX_K^2] ({c.dw_taps} banks of {c.dw_wt_entries} x {c.axi_bits} bit)":
            _bank_bram(c.dw_taps, c.dw_wt_entries, c.axi_bits),
        f"bias/mult/shift[MAX_COUT] int32 ({tp} banks each)": 3 * _bank_bram(tp, c.max_cout // tp, 32),
        "m_axi adapters (read/write FIFOs)": AXI_PORTS * _ceil_div(c.axi_bits, 36),
    }
    if double_fc:
        bram[f"scale[MAX_COUT] double ({tp} banks)"] = _bank_bram(tp, c.max_cout // tp, 64)
    lut = {"MAC arrays": (c.pi * c.po + bb * c.dw_taps) * LUT_PER_MAC,
           "depthwise tap routing (2 MAX_K:1 muxes per tap and lane bit)": 2 * c.dw_taps * c.axi_bits,
           "LUTRAM buffers": (_lutram_luts(c.po * part, c.win_bytes // part, 8) + _lutram_luts(part, c.blk_in_bytes // part, 8)
                              + _lutram_luts(c.dw_taps, c.dw_wt_entries, c.axi_bits)
                              + (4 if double_fc else 3) * _lutram_luts(tp, c.max_cout // tp, 32)),
           "requant lanes": 4 * bb * LUT_PER_REQUANT_LANE, "m_axi ports": AXI_PORTS * c.axi_bits * LUT_PER_AXI_BIT,
           "pool dividers": bb * LUT_DIVIDER_LANE, "control / s_axilite": LUT_CONTROL}
    ff = {"MAC arrays": (c.pi * c.po + bb * c.dw_taps) * FF_PER_MAC,
          "requant lanes": 4 * bb * FF_PER_REQUANT_LANE, "m_axi ports": AXI_PORTS * c.axi_bits * FF_PER_AXI_BIT,
          "pool dividers": bb * FF_DIVIDER_LANE, "control / s_axilite": FF_CONTROL}
    if double_fc:
        lut["FC double requant"] = bb * LUT_DOUBLE_LANE
        ff["FC double requant"] = bb * FF_DOUBLE_LANE
    notes = [f"{macs_per_dsp} int8 MAC per DSP48E2 (HLS maps each int8 x int8 product to its own DSP; 2 per DSP "
             "needs hand-packed multiplies)",
             "memory banks of <= 1 Kbit or <= 64 words counted as LUTRAM/registers, larger ones as BRAM_18K; "
             "URAM is not used (no BIND_STORAGE pragma)",
             "LUT/FF are rough per-unit figures, to be replaced by csynth numbers"]
    return Resources(dsp, bram, lut, ff, 0, board.available(), notes)


# ------------------------------------------------------------------------------------------------ csynth


def csynth_loops(report: dict | None) -> dict[str, dict]:
    """Loop label -> csynth loop entry (II, depth, trip counts, latency) from a parse_csynth dict (or the
    runner's saved vitis_csynth.json, whose "report" holds it). Labels match by name or name suffix."""
    if not report:
        return {}
    report = report.get("report", report)
    found: dict[str, dict] = {}
    for loop in report.get("loops", []):
        name = str(loop.get("name", ""))
        for label in LOOPS:
            if name == label or name.endswith("_" + label) or name.endswith("/" + label):
                found.setdefault(label, loop)
    return found


# ------------------------------------------------------------------------------------------------ entry point


def estimate(graph: Graph, config: EngineConfig = EngineConfig(), board: Board | str = "ZCU104",
             clock_mhz: float | None = None, flavor: str = "litert", assumptions: Assumptions = Assumptions(),
             csynth: dict | None = None) -> Estimate:
    """Per-layer cycles, DDR traffic, bound and MAC utilization of the engine as written, plus resources.

    board: a preset name or a Board; clock_mhz defaults to the board's clock. csynth: a parsed csynth report
    (pyflow.vitis.reports.parse_csynth, or the saved vitis_csynth.json) -- its per-loop II / pipeline depth
    replace the assumed constants for the loops it names. Raises FlowError for layers the engine cannot run.
    """
    if isinstance(board, str):
        board = get_board(board)
    check_flavor(flavor)
    clock = float(board.clock_mhz if clock_mhz is None else clock_mhz)
    if not clock > 0:
        raise FlowError(f"clock {clock_mhz!r} MHz must be positive")
    pl: Plan = plan(graph, config, flavor)
    timing = loop_timing(pl.config, flavor)
    sources = dict.fromkeys(timing, "assumed")
    for label, loop in csynth_loops(csynth).items():
        ii, depth = loop.get("ii"), loop.get("pipeline_depth")
        if isinstance(ii, (int, float)) and isinstance(depth, (int, float)):
            timing[label] = replace(timing[label], ii=int(ii), depth=int(depth))
            sources[label] = "csynth"
    ddr_bytes_per_cycle = board.ddr_gbps * 1e9 / (clock * 1e6)
    layers = [_layer_estimate(L, graph, pl.config, flavor, timing, assumptions, clock, ddr_bytes_per_cycle)
              for L in pl.layers]
    resources = estimate_resources(pl.config, board, flavor, assumptions.macs_per_dsp)
    return Estimate(graph.name, pl.config, board, clock, flavor, assumptions, timing, layers, resources,
                    csynth.get("report", csynth) if csynth else None, sources)


# ------------------------------------------------------------------------------------------------ output


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def format_estimate(est: Estimate, top: int = 0) -> str:
    """The per-layer table, totals, resources and (when given) the csynth numbers next to the assumptions."""
    c, b = est.config, est.board
    a = est.assumptions
    lines = [f"estimate: {est.model} on {b.name} ({b.part}) at {est.clock_mhz:g} MHz, {c.pi}x{c.po} MAC array, "
             f"{c.axi_bits}-bit AXI, flavor {est.flavor}",
             f"model: pipelined loops trips x II + depth, DDR latency {a.axi_read_latency}/{a.axi_write_latency} "
             f"cycles (read/write) per loop call, DDR {b.ddr_gbps:g} GB/s, "
             + ("loads OVERLAP compute (what-if DATAFLOW)" if a.overlap else
                "NO overlap of load / MAC / store (no DATAFLOW in the engine): layer = compute + memory"), ""]
    header = ["layer", "op", "shape", "MACs", "compute cyc", "memory cyc", "bound", "MAC util", "DDR KB",
              "re-read", "time us"]
    rows = []
    layers = est.layers
    if top:
        layers = sorted(layers, key=lambda L: -L.cycles)[:top]
    for L in layers:
        rows.append([str(L.index), L.op, L.shape, _fmt_int(L.macs), _fmt_int(L.compute_cycles),
                     _fmt_int(L.memory_cycles), L.bound, f"{100 * L.utilization:.1f}%" if L.macs else "-",
                     f"{L.ddr_bytes / 1024:.0f}", f"{L.reread_factor:.1f}x" if L.input_tensor_bytes else "-",
                     f"{L.time_us:.1f}"])
    lines += _table(header, rows, text_columns=3)
    t = est.totals()
    r = est.resources
    lines += ["", f"total: {_fmt_int(t['cycles'])} cycles = {t['latency_ms']:.3f} ms/image, "
              f"{t['images_per_s']:.1f} images/s, {t['macs'] / 1e9:.3f} GMAC -> {t['gmacs_per_s']:.2f} GMAC/s",
              f"       compute {_fmt_int(t['compute_cycles'])} cycles, memory {_fmt_int(t['memory_cycles'])} cycles "
              f"(of which DDR latency/stalls {_fmt_int(t['ddr_latency_and_stall_cycles'])}); "
              f"DDR traffic {t['ddr_bytes'] / 1e6:.1f} MB",
              f"       floors: MAC array {t['mac_bound_cycles'] / est.clock_mhz / 1e3:.3f} ms, "
              f"DDR transfer {t['bandwidth_cycles'] / est.clock_mhz / 1e3:.3f} ms",
              f"       MAC-array efficiency {100 * t['mac_array_efficiency']:.2f}%, DSP efficiency "
              f"{100 * t['dsp_efficiency']:.2f}% ({r.totals['DSP']} DSPs x {a.macs_per_dsp} MAC x "
              f"{est.clock_mhz:g} MHz = {t['peak_gmacs_per_s']:.0f} GMAC/s peak)",
              "       cycles by loop: " + ", ".join(f"{k} {100 * v / max(1, t['cycles']):.1f}%"
                                                  for k, v in list(t["cycles_by_loop"].items())[:8]), ""]
    lines += format_resources(est).rstrip("\n").splitlines()
    if est.csynth:
        lines += [""] + format_csynth_comparison(est).rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def format_resources(est: Estimate) -> str:
    r = est.resources
    used, util = r.totals, r.utilization
    synth = (est.csynth or {}).get("resources", {}).get("used", {}) if est.csynth else {}
    header = ["resource", "estimate", "available", "util"] + (["csynth"] if synth else [])
    rows = []
    for key in ("BRAM_18K", "DSP", "FF", "LUT", "URAM"):
        row = [key, _fmt_int(used[key]), _fmt_int(r.available.get(key, 0)), f"{100 * util[key]:.1f}%"]
        if synth:
            row.append("-" if synth.get(key) is None else _fmt_int(int(synth[key])))
        rows.append(row)
    lines = [f"resources ({'fits' if r.fits else 'DOES NOT FIT'} {est.board.name}):"] + _table(header, rows)
    lines += ["  DSP: " + "; ".join(f"{k} {v}" for k, v in r.dsp.items() if v),
              "  BRAM_18K: " + "; ".join(f"{k} {v}" for k, v in r.bram_18k.items() if v)]
    lines += [f"  note: {n}" for n in r.notes]
    return "\n".join(lines) + "\n"


def format_csynth_comparison(est: Estimate) -> str:
    """Assumed II / depth per loop next to csynth's II / depth / trip counts / latency."""
    found = csynth_loops(est.csynth)
    assumed = loop_timing(est.config, est.flavor)
    header = ["loop", "assumed II", "assumed depth", "csynth II", "csynth depth", "csynth trips", "csynth latency",
              "used"]
    rows = []
    for label, t in assumed.items():
        s = found.get(label, {})
        trips = s.get("trip_count_min"), s.get("trip_count_max")
        lat = s.get("latency_min"), s.get("latency_max")
        rows.append([label, str(t.ii), str(t.depth), _cell(s.get("ii")), _cell(s.get("pipeline_depth")),
                     _span(*trips) if s else "-", _span(*lat) if s else "-", est.loop_sources.get(label, "assumed")])
    synth = est.csynth or {}
    lat = synth.get("latency_cycles", {})
    lines = ["csynth vs estimate (per pipelined loop):"] + _table(header, rows)
    clock = synth.get("clock", {})
    lines.append(f"csynth: worst-case latency of one engine_top call {_cell(lat.get('worst'))} cycles (depends on "
                 f"the descriptor's trip counts); estimated clock {_cell(clock.get('estimated_ns'))} ns "
                 f"({_cell(clock.get('estimated_fmax_mhz'))} MHz) vs {est.clock_mhz:g} MHz modelled")
    return "\n".join(lines) + "\n"


def _cell(v) -> str:
    return "-" if v is None else str(v)


def _span(lo, hi) -> str:
    return _cell(lo) if lo == hi else f"{_cell(lo)}~{_cell(hi)}"


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> list[str]:
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    out = ["  ".join(v.ljust(widths[i]) if i < text_columns else v.rjust(widths[i]) for i, v in enumerate(row))
           .rstrip() for row in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def to_json(est: Estimate) -> dict:
    """Everything in plain JSON types: config, board, assumptions, loop constants, per-layer rows, totals."""
    layers = []
    for L in est.layers:
        row = {k: getattr(L, k) for k in ("index", "op", "where", "shape", "macs", "control", "iterations",
                                           "bytes_in", "bytes_weights", "bytes_tables", "bytes_out",
                                           "compute_cycles", "memory_cycles", "cycles", "bandwidth_cycles",
                                           "mac_bound_cycles", "bound", "utilization", "time_us")}
        row["ddr_bytes"] = L.ddr_bytes
        row["reread_factor"] = L.reread_factor
        row["loops"] = {k: {**asdict(c), "cycles": c.cycles} for k, c in L.loops.items()}
        layers.append(row)
    r = est.resources
    return {
        "model": est.model, "board": asdict(est.board), "clock_mhz": est.clock_mhz, "flavor": est.flavor,
        "config": est.config.as_dict(), "assumptions": asdict(est.assumptions),
        "loop_timing": {k: {**asdict(t), "source": est.loop_sources.get(k, "assumed")}
                        for k, t in est.loop_timing.items()},
        "totals": est.totals(),
        "resources": {"estimate": r.totals, "available": r.available, "utilization": r.utilization,
                      "fits": r.fits, "dsp": r.dsp, "bram_18k": r.bram_18k, "lut": r.lut, "ff": r.ff,
                      "notes": r.notes,
                      "csynth": (est.csynth or {}).get("resources", {}).get("used") if est.csynth else None},
        "csynth_loops": csynth_loops(est.csynth),
        "layers": layers,
    }


def write_estimate_json(est: Estimate, path: Path) -> Path:
    path = Path(path)
    write_json(path, to_json(est))
    return path


def plot_estimate(est: Estimate, path: Path) -> Path:
    """PNG: per-layer cycles split compute / memory (stacked bars), layer index on x."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FlowError("the estimate plot needs matplotlib: pip install matplotlib") from None
    import io

    from pyflow.fileio import write_bytes

    engine = est.engine_layers
    x = [L.index for L in engine]
    compute = [L.compute_cycles for L in engine]
    memory = [L.memory_cycles for L in engine]
    fig, ax = plt.subplots(figsize=(max(8.0, 0.18 * len(x) + 3), 4.5))
    if est.assumptions.overlap:
        ax.bar(x, compute, color="tab:blue", label="compute")
        ax.bar(x, memory, color="tab:orange", alpha=0.6, label="memory (overlapped)")
    else:
        ax.bar(x, compute, color="tab:blue", label="compute (MAC, requant/store issue, control)")
        ax.bar(x, memory, bottom=compute, color="tab:orange", label="memory (loads, DDR latency, stalls)")
    ax.set_xlabel("layer")
    ax.set_ylabel(f"cycles at {est.clock_mhz:g} MHz")
    c = est.config
    ax.set_title(f"{est.model}: {c.pi}x{c.po}, {c.axi_bits}-bit AXI on {est.board.name} -- "
                 f"{est.latency_ms:.2f} ms/image")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    path = Path(path)
    write_bytes(path, buffer.getvalue())
    return path


WHAT_IF_CONFIGS = {"8x8/64": EngineConfig(pi=8, po=8, axi_bits=64), "16x16/128": EngineConfig(),
                   "32x32/256": EngineConfig(pi=32, po=32, axi_bits=256),
                   "64x64/512": EngineConfig(pi=64, po=64, axi_bits=512, win_bytes=4096)}


def what_if(graph: Graph, board: Board | str = "ZCU104", clock_mhz: float | None = None,
            flavor: str = "litert") -> list[dict]:
    """Latency of the engine as written and of hypothetical changes, from the same model:
    as written; DDR latency hidden (prefetch / long bursts); DATAFLOW overlap; both; and per MAC-array size the
    ideal (DATAFLOW, latency hidden, no re-reads) together with its resources."""
    rows = []
    base = Assumptions()
    variants = [("as written", base), ("DDR latency hidden", replace(base, axi_read_latency=0, axi_write_latency=0)),
                ("DATAFLOW overlap", replace(base, overlap=True)),
                ("DATAFLOW + latency hidden", replace(base, overlap=True, axi_read_latency=0, axi_write_latency=0))]
    for cname, cfg in WHAT_IF_CONFIGS.items():
        for vname, a in variants:
            try:
                est = estimate(graph, cfg, board, clock_mhz, flavor, a)
            except FlowError as exc:
                rows.append({"config": cname, "variant": vname, "error": str(exc)})
                break
            rows.append({"config": cname, "variant": vname, "latency_ms": est.latency_ms,
                         "ddr_mb": est.totals()["ddr_bytes"] / 1e6, "dsp": est.resources.totals["DSP"],
                         "bram_18k": est.resources.totals["BRAM_18K"], "fits": est.resources.fits})
        else:
            ideal_ms = est.ideal_cycles / (est.clock_mhz * 1e3)
            rows.append({"config": cname, "variant": "ideal: DATAFLOW, latency hidden, no re-reads",
                         "latency_ms": ideal_ms, "ddr_mb": est.totals()["min_ddr_bytes"] / 1e6,
                         "dsp": est.resources.totals["DSP"], "bram_18k": est.resources.totals["BRAM_18K"],
                         "fits": est.resources.fits})
    return rows


def format_what_if(rows: list[dict]) -> str:
    table = [[r["config"], r["variant"], "-" if "error" in r else f"{r['latency_ms']:.3f}",
              "-" if "error" in r else f"{r['ddr_mb']:.1f}", str(r.get("dsp", "-")), str(r.get("bram_18k", "-")),
              r.get("error", "yes" if r.get("fits") else "NO")] for r in rows]
    return "\n".join(_table(["config", "variant", "ms/image", "DDR MB", "DSP", "BRAM_18K", "fits"], table,
                             text_columns=2)) + "\n"


def run_estimate(graph: Graph, out_dir: Path, config: EngineConfig = EngineConfig(), board: Board | str = "ZCU104",
                 clock_mhz: float | None = None, flavor: str = "litert", csynth_json: Path | None = None,
                 plot: bool = True, top: int = 0) -> tuple[Estimate, str, Path, Path | None]:
    """The `invoke estimate` job: estimate, use <csynth_json> (the runner's vitis_csynth.json) when it exists,
    write <out_dir>/estimate.json and estimate.png; returns (estimate, text table, json path, png path)."""
    import json

    csynth = None
    if csynth_json is not None and Path(csynth_json).is_file():
        try:
            csynth = json.loads(Path(csynth_json).read_text())
        except ValueError as exc:
            raise FlowError(f"{csynth_json} is not valid JSON ({exc})") from None
    est = estimate(graph, config, board, clock_mhz, flavor, csynth=csynth)
    out_dir = Path(out_dir)
    json_path = write_estimate_json(est, out_dir / "estimate.json")
    png = plot_estimate(est, out_dir / "estimate.png") if plot else None
    return est, format_estimate(est, top=top), json_path, png
