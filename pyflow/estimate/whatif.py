"""What-if: the same model over other engine configurations (MAC-array size, bus width) and clocks."""
from __future__ import annotations

from pyflow.errors import FlowError
from pyflow.estimate.model import estimate
from pyflow.hls.config import EngineConfig
from pyflow.ir import Graph
from pyflow.table import format_rows
from pyflow.vitis.boards import Board

WHAT_IF_CONFIGS = {"8x8/64": EngineConfig(pi=8, po=8, axi_bits=64), "16x16/128": EngineConfig(),
                   "32x32/128": EngineConfig(pi=32, po=32), "64x32/128": EngineConfig(pi=64, po=32),
                   "32x64/128": EngineConfig(pi=32, po=64)}


def what_if(graph: Graph, board: Board | str = "ZCU104", clock_mhz: float | None = None,
            flavor: str = "litert") -> list[dict]:
    rows = []
    for name, cfg in WHAT_IF_CONFIGS.items():
        try:
            est = estimate(graph, cfg, board, clock_mhz, flavor)
        except FlowError as exc:
            rows.append({"config": name, "error": str(exc)})
            continue
        t = est.resources.totals
        rows.append({"config": name, "clock_mhz": est.clock_mhz, "latency_ms": est.latency_ms, "dsp": t["DSP"],
                     "bram_18k": t["BRAM_18K"], "uram": t["URAM"], "fits": est.resources.fits})
    return rows


def format_what_if(rows: list[dict]) -> str:
    table = [("config", "MHz", "ms/image", "DSP", "BRAM_18K", "URAM", "fits")]
    for r in rows:
        if "error" in r:
            table.append((r["config"], "-", "-", "-", "-", "-", r["error"]))
        else:
            table.append((r["config"], f"{r['clock_mhz']:g}", f"{r['latency_ms']:.3f}", str(r["dsp"]),
                          str(r["bram_18k"]), str(r["uram"]), "yes" if r["fits"] else "NO"))
    return format_rows(table, right=(1, 2, 3, 4, 5)) + "\n"
