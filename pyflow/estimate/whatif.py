"""What-if: the same model over a grid of engine configurations and clocks on one board, with the configurations
that fit (every resource within UTIL_LIMIT), the Pareto front of latency against DSPs among them, and the best.

The grid: MAC-array size and bus width (ARRAYS), fusion on / off, three memory profiles (PROFILES: the default
buffers with the depthwise taps in LUTs or in DSPs, and small buffers with a 3x3-tap depthwise unit for parts with
little block RAM and few LUTs), the board's default clock and 20 % below it (in case timing does not close). Every point is the full estimate of the engine as written (pyflow.estimate.model), about 0.1 s each.
The m_axi ports are not a dimension: the engine has two x and two weight loaders on their own ports, always.
"""
from __future__ import annotations

from pathlib import Path

from pyflow.errors import FlowError
from pyflow.estimate.model import estimate
from pyflow.estimate.report import pyplot, save_png
from pyflow.hls.config import EngineConfig
from pyflow.ir import Graph
from pyflow.table import format_rows
from pyflow.vitis.boards import Board, get_board

ARRAYS = ((8, 8, 64), (16, 16, 128), (32, 16, 128), (32, 32, 128), (64, 32, 128), (32, 64, 128), (64, 64, 128))
_SMALL = {"xbuf_bytes": 16 * 1024, "obuf_bytes": 16 * 1024, "band_bytes": 16 * 1024, "blk_pixels": 256,
          "dw_lb_pairs": 512, "dw_wt_entries": 1024}
PROFILES = {
    "big/lut": {},  # the EngineConfig defaults
    "big/dsp": {"dw_mul": "dsp"},
    "small/3x3": {**_SMALL, "dw_tb": 3, "dw_rows": 5, "dw_kmax": 5, "dw_mul": "dsp", "dw_wt_ram": "uram"},
}
UTIL_LIMIT = 0.85  # a configuration "fits" when DSP, BRAM, URAM, LUT and FF all stay within this share


def _name(cfg: EngineConfig, profile: str) -> str:
    return f"{cfg.pi}x{cfg.po}/{cfg.axi_bits} {'fused' if cfg.fuse else 'unfused'} {profile}"


def design_space(board: Board) -> list[tuple[str, EngineConfig]]:
    big_ram = "uram" if board.uram else "bram"
    space = []
    for pi, po, bits in ARRAYS:
        for profile, settings in PROFILES.items():
            for fuse in (True, False):
                if not board.uram:  # parts without UltraRAM keep every buffer in block RAM
                    settings = {**settings, "dw_wt_ram": "bram"}
                cfg = EngineConfig(pi=pi, po=po, axi_bits=bits, fuse=fuse, big_ram=big_ram, **settings)
                space.append((_name(cfg, profile), cfg))
    return space


def what_if(graph: Graph, board: Board | str = "ZCU104", clock_mhz: float | None = None,
            flavor: str = "litert") -> list[dict]:
    """One row per (configuration, clock): latency, resources, utilization, fits; then `pareto` and `best` marks.
    clock_mhz: the clock to explore besides the board's default (default: 20 % below it)."""
    if isinstance(board, str):
        board = get_board(board)
    clocks = sorted({float(board.clock_mhz), float(clock_mhz or 0.8 * board.clock_mhz)}, reverse=True)
    rows = []
    space = design_space(board)
    for name, cfg in space:
        for clock in clocks:
            row = {"config": name, "clock_mhz": clock, **{f: getattr(cfg, f) for f in ("pi", "po", "axi_bits",
                                                                                         "fuse")}}
            try:
                est = estimate(graph, cfg, board, clock, flavor)
            except FlowError as exc:
                rows.append({**row, "error": str(exc)})
                continue
            util = est.resources.utilization
            rows.append({**row, "latency_ms": est.latency_ms, **est.resources.totals,
                         "max_util": max(util.values()), "fits": max(util.values()) <= UTIL_LIMIT})
    _mark_front(rows)
    return rows


def _mark_front(rows: list[dict]) -> None:
    """pareto: no other fitting row is at least as fast with no more DSPs (and better in one); best: the fastest
    fitting row (fewer DSPs on a tie)."""
    fit = [r for r in rows if r.get("fits")]
    for r in rows:
        r["pareto"] = r in fit and not any(
            o["latency_ms"] <= r["latency_ms"] and o["DSP"] <= r["DSP"]
            and (o["latency_ms"] < r["latency_ms"] or o["DSP"] < r["DSP"]) for o in fit)
        r["best"] = False
    if fit:
        min(fit, key=lambda r: (r["latency_ms"], r["DSP"]))["best"] = True


def best_row(rows: list[dict]) -> dict | None:
    return next((r for r in rows if r.get("best")), None)


def format_what_if(rows: list[dict], board: str = "") -> str:
    table = [("config", "MHz", "ms/image", "DSP", "BRAM_18K", "URAM", "LUT", "max util", "fits", "front")]
    ok = sorted((r for r in rows if "error" not in r), key=lambda r: (r["latency_ms"], r["DSP"]))
    for r in ok:
        table.append((r["config"], f"{r['clock_mhz']:g}", f"{r['latency_ms']:.3f}", str(r["DSP"]),
                      str(r["BRAM_18K"]), str(r["URAM"]), str(r["LUT"]), f"{100 * r['max_util']:.0f}%",
                      "yes" if r["fits"] else "no", "best" if r["best"] else ("*" if r["pareto"] else "")))
    text = format_rows(table, right=(1, 2, 3, 4, 5, 6, 7)) + "\n"
    for r in (r for r in rows if "error" in r):
        text += f"{r['config']} at {r['clock_mhz']:g} MHz: {r['error']}\n"
    best = best_row(rows)
    where = f" on {board}" if board else ""
    limit = f"{100 * UTIL_LIMIT:.0f}%"
    if best:
        text += (f"best{where} (every resource within {limit}): {best['config']} at {best['clock_mhz']:g} MHz, "
                 f"{best['latency_ms']:.3f} ms/image, {best['DSP']} DSP\n")
    else:
        text += f"no configuration of the grid fits{where} within {limit} of every resource\n"
    return text


def plot_what_if(rows: list[dict], path: Path, title: str) -> Path:
    """PNG: latency against DSPs for every configuration (fitting or not) and the Pareto front of the fitting ones."""
    plt = pyplot("what-if")
    ok = [r for r in rows if "error" not in r]
    fig, ax = plt.subplots(figsize=(8, 5))
    for fits, color, label in ((False, "tab:gray", "does not fit"), (True, "tab:blue", f"fits (<= {UTIL_LIMIT:.0%})")):
        pts = [r for r in ok if r["fits"] == fits]
        if pts:
            ax.scatter([r["DSP"] for r in pts], [r["latency_ms"] for r in pts], s=18, color=color, label=label)
    front = sorted((r for r in ok if r["pareto"]), key=lambda r: r["DSP"])
    if front:
        ax.step([r["DSP"] for r in front], [r["latency_ms"] for r in front], where="post", color="tab:red",
                label="Pareto front")
    best = best_row(rows)
    if best:
        ax.annotate(f"{best['config']} @ {best['clock_mhz']:g} MHz: {best['latency_ms']:.2f} ms",
                    (best["DSP"], best["latency_ms"]), textcoords="offset points", xytext=(6, 8), fontsize="small")
    ax.set_xlabel("DSP48E2")
    ax.set_ylabel("ms / image")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return save_png(fig, path)
