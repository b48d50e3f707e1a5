"""The estimate of a whole model on the engine: per-layer cycles (pyflow.estimate.cycles), resources
(pyflow.estimate.resources), totals and floors, at a board's clock."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pyflow import layers as pyflow_layers
from pyflow.errors import FlowError
from pyflow.estimate.cycles import Assumptions, Timing, layer_cycles
from pyflow.estimate.resources import Resources, estimate_resources
from pyflow.hls.codegen import plan, tensor_words
from pyflow.hls.config import EngineConfig
from pyflow.ir import Graph
from pyflow.reference import check_flavor
from pyflow.vitis.boards import Board, get_board


@dataclass
class LayerEstimate:
    index: int
    op: str
    where: str  # engine | host
    shape: str  # output shape HxWxC
    macs: int
    iterations: dict[str, int]  # per pipelined loop: what csim counts
    stages: dict[str, int]  # per stage, cycles summed over the layer
    cycles: int  # the layer on the engine, with the DATAFLOW overlap
    bound: str  # the stage that sets its time
    ddr_bytes: dict[str, int]  # in / weights / tables / out as moved
    min_ddr_bytes: int  # every tensor, weight and table byte once
    mac_floor_cycles: int  # useful MACs on the full unit (MAC array or depthwise taps)
    utilization: float  # useful MACs / (unit MACs x cycles)
    time_us: float  # engine cycles at the clock + the host's time for this layer


@dataclass
class Estimate:
    model: str
    config: EngineConfig
    board: Board
    clock_mhz: float
    flavor: str
    assumptions: Assumptions
    timing: Timing
    layers: list[LayerEstimate]
    resources: Resources
    csynth: dict | None = None

    @property
    def engine_layers(self) -> list[LayerEstimate]:
        return [L for L in self.layers if L.where == "engine"]

    @property
    def cycles(self) -> int:
        return sum(L.cycles for L in self.layers)

    @property
    def steps(self) -> int:
        """Descriptors the host hands to the engine (or runs itself): ops fused into a step are not counted."""
        return sum(L.where != "fused" for L in self.layers)

    @property
    def host_ms(self) -> float:
        return self.assumptions.host_us_per_layer * self.steps / 1000.0

    @property
    def latency_ms(self) -> float:
        return self.cycles / (self.clock_mhz * 1e3) + self.host_ms

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
    def mac_array_efficiency(self) -> float:
        """Achieved GMAC/s over what the PI x PO array alone could do at this clock."""
        return self.gmacs_per_s / (self.config.pi * self.config.po * self.clock_mhz / 1e3)

    @property
    def dsp_efficiency(self) -> float:
        dsp = self.resources.totals["DSP"]
        return self.gmacs_per_s / (dsp * self.clock_mhz / 1e3) if dsp else 0.0

    def totals(self) -> dict:
        by_op: dict[str, int] = {}
        by_stage: dict[str, int] = {}
        bound: dict[str, int] = {}
        for L in self.layers:
            by_op[L.op] = by_op.get(L.op, 0) + L.cycles
            bound[L.bound] = bound.get(L.bound, 0) + L.cycles
            for k, v in L.stages.items():
                by_stage[k] = by_stage.get(k, 0) + v
        ddr = sum(sum(L.ddr_bytes.values()) for L in self.layers)
        mb = self.board.ddr_gbps * 1e3 * self.assumptions.ddr_efficiency / self.clock_mhz  # bytes per cycle
        return {
            "cycles": self.cycles, "engine_ms": self.cycles / (self.clock_mhz * 1e3), "host_ms": self.host_ms,
            "latency_ms": self.latency_ms, "images_per_s": self.images_per_s, "macs": self.macs,
            "gmacs_per_s": self.gmacs_per_s, "mac_array_efficiency": self.mac_array_efficiency,
            "dsp_efficiency": self.dsp_efficiency, "ddr_bytes": ddr,
            "min_ddr_bytes": sum(L.min_ddr_bytes for L in self.layers),
            "floor_mac_ms": sum(L.mac_floor_cycles for L in self.layers) / (self.clock_mhz * 1e3),
            "floor_ddr_ms": sum(L.min_ddr_bytes for L in self.layers) / mb / (self.clock_mhz * 1e3),
            "cycles_by_op": dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
            "cycles_by_bound": dict(sorted(bound.items(), key=lambda kv: -kv[1])),
            "stage_cycles": dict(sorted(by_stage.items(), key=lambda kv: -kv[1])),
        }


def _min_ddr_bytes(graph: Graph, layer, moved: dict[str, int], cfg: EngineConfig) -> int:
    """Every byte an engine step must move at least once: its input tensor(s) and output tensor (channels padded to
    bus words), its weights once, its tables."""
    if layer.where != "engine":
        return 0
    tensors = [layer.meta["in_tensor"], layer.meta["out_tensor"]]
    if layer.meta.get("in2_tensor", -1) >= 0:
        tensors.append(layer.meta["in2_tensor"])
    nbytes = sum(tensor_words(graph.tensor(t), cfg.bus_bytes) for t in tensors) * cfg.bus_bytes
    f = layer.fields
    if f.get("conv_on"):
        nbytes += f["tiles"] * f["slices"] * cfg.w_words * cfg.bus_bytes  # one block's weight stream
    if f.get("dw_on"):
        nbytes += f["dw_cw_out"] * f["blocks"] * cfg.dw_taps * cfg.bus_bytes
    return nbytes + moved["tables"]


def estimate(graph: Graph, config: EngineConfig = EngineConfig(), board: Board | str = "ZCU104",
             clock_mhz: float | None = None, flavor: str = "litert", assumptions: Assumptions = Assumptions(),
             csynth: dict | None = None) -> Estimate:
    """Per-layer cycles, DDR traffic, bound and utilization of the engine as written, plus resources.

    board: a preset name or a Board; clock_mhz defaults to the board's clock. csynth: a parsed csynth report kept
    for the side-by-side report; its per-loop II and depth replace the table's for the loops it names.
    Raises FlowError for layers the engine cannot run."""
    from pyflow.estimate.report import csynth_loops

    if isinstance(board, str):
        board = get_board(board)
    check_flavor(flavor)
    clock = float(board.clock_mhz if clock_mhz is None else clock_mhz)
    if not clock > 0:
        raise FlowError(f"clock {clock_mhz!r} MHz must be positive")
    pl = plan(graph, config, flavor)
    cfg = pl.config
    bpc = board.ddr_gbps * 1e3 * assumptions.ddr_efficiency / clock
    timing = Timing.of(cfg, csynth_loops(csynth))
    ops = {op.index: op for op in graph.ops}
    layers = []
    for layer in pl.layers:
        op = ops[layer.index]
        lc = layer_cycles(layer, cfg, timing, assumptions, bpc)
        macs = pyflow_layers.macs(graph, op)
        shape = "x".join(str(s) for s in graph.tensor(op.output).shape[1:])
        if layer.name in ("CONV_2D", "FULLY_CONNECTED"):
            unit = cfg.pi * cfg.po
        elif layer.name == "DEPTHWISE_CONV_2D":
            unit = cfg.bus_bytes * cfg.dw_taps
        else:
            unit = 0
        floor = -(-macs // unit) if unit else 0
        min_bytes = _min_ddr_bytes(graph, layer, lc.ddr_bytes, cfg)
        util = macs / (unit * lc.cycles) if unit and lc.cycles else 0.0
        time_us = lc.cycles / clock + (assumptions.host_us_per_layer if layer.where != "fused" else 0.0)
        layers.append(LayerEstimate(layer.index, layer.name, layer.where, shape, macs, lc.iterations, lc.stages,
                                    lc.cycles, lc.bound, lc.ddr_bytes, min_bytes, floor, util, time_us))
    resources = estimate_resources(cfg, board, flavor)
    return Estimate(graph.name, cfg, board, clock, flavor, assumptions, timing, layers, resources,
                    csynth.get("report", csynth) if csynth else None)


def with_assumptions(a: Assumptions, **changes) -> Assumptions:
    return replace(a, **changes)
