"""Performance / resource model of the HLS layer engine AS IT IS WRITTEN (hls/src), no Vitis needed.

    est = estimate(graph, EngineConfig(), "ZCU104")          # the board's default clock
    print(format_estimate(est)); write_estimate_json(est, path); plot_estimate(est, png)
    print(format_loops(EngineConfig()))                       # the per-loop II table

- iterations.py  the loop nests of hls/src in Python: per layer and pipelined loop, what csim counts
- cycles.py      the timing model (IIs from pyflow.hls.loops, DDR latency and bandwidth, DATAFLOW overlap)
- resources.py   DSP / BRAM / URAM / LUT / FF per unit and array
- model.py       the whole model: per-layer estimates, totals, floors
- report.py      text tables, the per-loop table, JSON, plot
- whatif.py      other configurations
"""
from __future__ import annotations

import json
from pathlib import Path

from pyflow.errors import FlowError
from pyflow.estimate.cycles import Assumptions
from pyflow.estimate.iterations import iteration_counts
from pyflow.estimate.model import Estimate, LayerEstimate, estimate
from pyflow.estimate.report import (csynth_loops, format_estimate, format_loops, format_resources, plot_estimate,
                                    to_json, write_estimate_json)
from pyflow.estimate.resources import Resources, estimate_resources
from pyflow.estimate.whatif import best_row, format_what_if, plot_what_if, what_if
from pyflow.fileio import write_json
from pyflow.hls.config import EngineConfig
from pyflow.ir import Graph
from pyflow.vitis.boards import Board
from pyflow.vitis.reports import unknown_as_none

__all__ = ["Assumptions", "Estimate", "LayerEstimate", "Resources", "csynth_loops", "estimate", "estimate_resources",
           "format_estimate", "format_loops", "format_resources", "format_what_if", "iteration_counts",
           "plot_estimate", "plot_what_if", "run_estimate", "run_what_if", "to_json", "what_if",
           "write_estimate_json"]


def run_estimate(graph: Graph, out_dir: Path, config: EngineConfig = EngineConfig(), board: Board | str = "ZCU104",
                 clock_mhz: float | None = None, flavor: str = "litert", csynth_json: Path | None = None,
                 plot: bool = True, top: int = 0) -> tuple[Estimate, str, Path, Path | None]:
    """The `invoke estimate` job: estimate (with <csynth_json>, the runner's vitis_csynth.json, when it exists),
    write <out_dir>/estimate.json and estimate.png; returns (estimate, text, json path, png path)."""
    csynth = None
    if csynth_json is not None and Path(csynth_json).is_file():
        try:
            csynth = unknown_as_none(json.loads(Path(csynth_json).read_text()))
        except ValueError as exc:
            raise FlowError(f"{csynth_json} is not valid JSON ({exc})") from None
    est = estimate(graph, config, board, clock_mhz, flavor, csynth=csynth)
    out_dir = Path(out_dir)
    json_path = write_estimate_json(est, out_dir / "estimate.json")
    png = plot_estimate(est, out_dir / "estimate.png") if plot else None
    return est, format_estimate(est, top=top), json_path, png


def run_what_if(graph: Graph, out_dir: Path, board: Board | str = "ZCU104", clock_mhz: float | None = None,
                flavor: str = "litert", plot: bool = True) -> tuple[list[dict], str, Path, Path | None]:
    """The `invoke estimate --what-if` job: the design space on one board, <out_dir>/what_if.json and
    what_if.png (latency against DSPs, the Pareto front); returns (rows, text, json path, png path)."""
    from pyflow.vitis.boards import get_board

    board = get_board(board) if isinstance(board, str) else board
    rows = what_if(graph, board, clock_mhz, flavor)
    out_dir = Path(out_dir)
    json_path = out_dir / "what_if.json"
    write_json(json_path, {"model": graph.name, "board": board.name, "flavor": flavor, "rows": rows,
                           "best": best_row(rows)})
    png = plot_what_if(rows, out_dir / "what_if.png", f"{graph.name} on {board.name}: latency vs DSP") if plot else None
    return rows, format_what_if(rows, board.name), json_path, png
