"""The estimate as text (per-layer table, totals, resources, the per-loop II table, csynth side by side), JSON and
a plot."""
from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

from pyflow.errors import FlowError
from pyflow.estimate.cycles import Timing
from pyflow.estimate.model import Estimate
from pyflow.fileio import write_bytes, write_json
from pyflow.hls.config import EngineConfig
from pyflow.hls.loops import LOOPS
from pyflow.table import format_rows
from pyflow.vitis.reports import cell, span


def _n(v: int) -> str:
    return f"{v:,}"


def format_layers(est: Estimate, top: int = 0) -> str:
    rows = [("layer", "op", "shape", "MACs", "cycles", "bound", "MAC util", "DDR KB", "time us")]
    layers = sorted(est.layers, key=lambda L: -L.cycles)[:top] if top else est.layers
    for L in layers:
        rows.append((str(L.index), L.op, L.shape, _n(L.macs), _n(L.cycles), L.bound,
                     f"{100 * L.utilization:.1f}%" if L.macs else "-", f"{sum(L.ddr_bytes.values()) / 1024:.0f}",
                     f"{L.time_us:.1f}"))
    return format_rows(rows, right=(0, 3, 4, 6, 7, 8))


def format_estimate(est: Estimate, top: int = 0) -> str:
    c, b, a = est.config, est.board, est.assumptions
    t = est.totals()
    r = est.resources
    head = [f"estimate: {est.model} on {b.name} ({b.part}) at {est.clock_mhz:g} MHz, {c.pi}x{c.po} MAC array, "
            f"{c.axi_bits}-bit AXI, flavor {est.flavor}",
            f"model: every pipelined loop at the II of the per-loop table (invoke estimate --loops), DATAFLOW "
            f"overlap as the slowest stage per block plus fill and drain; DDR {b.ddr_gbps:g} GB/s x "
            f"{a.ddr_efficiency:.0%} sustained, {a.axi_read_latency}/{a.axi_write_latency} cycles read/write "
            f"latency per burst; host {a.host_us_per_layer:g} us per layer", ""]
    tail = ["", f"total: {t['latency_ms']:.3f} ms/image = engine {t['engine_ms']:.3f} ms ({_n(t['cycles'])} cycles) "
            f"+ host {t['host_ms']:.3f} ms; {t['images_per_s']:.1f} images/s, {t['macs'] / 1e9:.3f} GMAC -> "
            f"{t['gmacs_per_s']:.2f} GMAC/s",
            f"       floors: MAC units {t['floor_mac_ms']:.3f} ms, DDR (every byte once at the sustained rate) "
            f"{t['floor_ddr_ms']:.3f} ms; DDR traffic {t['ddr_bytes'] / 1e6:.1f} MB (minimum "
            f"{t['min_ddr_bytes'] / 1e6:.1f} MB)",
            f"       MAC-array efficiency {100 * t['mac_array_efficiency']:.1f}%, DSP efficiency "
            f"{100 * t['dsp_efficiency']:.1f}% ({r.totals['DSP']} DSPs)",
            "       time by op: " + ", ".join(f"{k} {100 * v / max(1, t['cycles']):.0f}%"
                                              for k, v in t["cycles_by_op"].items()),
            "       layers bound by: " + ", ".join(f"{k} {100 * v / max(1, t['cycles']):.0f}%"
                                                   for k, v in t["cycles_by_bound"].items()),
            _host_ops_line(est), ""]
    text = "\n".join(head) + format_layers(est, top) + "\n" + "\n".join(tail) + format_resources(est)
    if est.csynth:
        text += "\n" + format_csynth_comparison(est)
    return text


def _host_ops_line(est: Estimate) -> str:
    """The ops the host runs (no engine cycles): counted apart, at the model's host time per layer."""
    counts: dict[str, int] = {}
    for layer in est.layers:
        if layer.where == "host":
            counts[layer.op] = counts.get(layer.op, 0) + 1
    if not counts:
        return "       host ops: none (every op runs on the engine)"
    listed = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))
    return (f"       host ops: {sum(counts.values())} layers on the host ({listed}), "
            f"{est.assumptions.host_us_per_layer:g} us each in this model; their arithmetic on the board's CPU is "
            "not modelled")


def format_resources(est: Estimate) -> str:
    r = est.resources
    used, util = r.totals, r.utilization
    synth = (est.csynth or {}).get("resources", {}).get("used", {}) if est.csynth else {}
    rows = [("resource", "estimate", "available", "util") + (("csynth",) if synth else ())]
    for key in ("BRAM_18K", "DSP", "FF", "LUT", "URAM"):
        row = (key, _n(used[key]), _n(r.available.get(key, 0)), f"{100 * util[key]:.1f}%")
        if synth:
            row += ("-" if synth.get(key) is None else _n(int(synth[key])),)
        rows.append(row)
    lines = [f"resources ({'fits' if r.fits else 'DOES NOT FIT'} {est.board.name}):",
             format_rows(rows, right=(1, 2, 3, 4)),
             "  DSP: " + "; ".join(f"{k} {v}" for k, v in r.dsp.items() if v),
             "  BRAM_18K: " + "; ".join(f"{k} {v}" for k, v in r.bram_18k.items() if v),
             "  URAM: " + "; ".join(f"{k} {v}" for k, v in r.uram.items() if v)]
    lines += [f"  note: {n}" for n in r.notes]
    return "\n".join(lines) + "\n"


def format_loops(config: EngineConfig, measured: dict | None = None, timing: Timing | None = None) -> str:
    """The per-loop II table: loop, unit, trip-count source, on-chip arrays per iteration (most reads / writes of
    one bank), ports, II, depth and why; ``measured``: loop -> array -> [reads, writes] from csim."""
    timing = timing or Timing.of(config)
    rows = [("loop", "unit", "trips", "arrays (reads/writes per bank per iteration)", "ports", "II", "depth",
             "m_axi", "why")]
    for loop in LOOPS:
        arrays = ", ".join(f"{k} {r}R/{w}W" for k, (r, w) in loop.arrays.items()) or "registers, FIFOs"
        if measured is not None:
            seen = measured.get(loop.id[5:], {})
            arrays += " | csim: " + (", ".join(f"{k} {v[0]}R/{v[1]}W" for k, v in seen.items()) or "-")
        axi = "-" if not loop.axi else loop.axi + ("" if loop.burst else " (single beats)")
        rows.append((loop.label.replace("/", " "), loop.unit, loop.trips, arrays, "1R+1W" if loop.arrays else "-",
                     str(timing.ii[loop.id[5:]]), str(timing.depth[loop.id[5:]]), axi, loop.reason))
    return format_rows(rows, right=(5, 6)) + "\n"


def csynth_loops(report: dict | None) -> dict[str, dict]:
    """Loop id (without LOOP_) -> csynth loop entry (II, depth, trips, latency) from a parse_csynth dict (or the
    runner's saved vitis_csynth.json, whose "report" holds it); C++ labels match by name or name suffix."""
    if not report:
        return {}
    report = report.get("report", report)
    found: dict[str, dict] = {}
    for entry in report.get("loops", []):
        name = str(entry.get("name", ""))
        for loop in LOOPS:
            if any(name == lab or name.endswith("_" + lab) or name.endswith("/" + lab) for lab in loop.labels):
                found.setdefault(loop.id[5:], entry)
    return found


def format_csynth_comparison(est: Estimate) -> str:
    found = csynth_loops(est.csynth)
    table = Timing.of(est.config)
    rows = [("loop", "table II", "table depth", "csynth II", "csynth depth", "csynth trips", "csynth latency",
             "used")]
    for loop in LOOPS:
        name = loop.id[5:]
        s = found.get(name, {})
        trips = (s.get("trip_count_min"), s.get("trip_count_max"))
        lat = (s.get("latency_min"), s.get("latency_max"))
        rows.append((name, str(table.ii[name]), str(table.depth[name]), cell(s.get("ii")),
                     cell(s.get("pipeline_depth")), span(*trips) if s else "-", span(*lat) if s else "-",
                     est.timing.source[name]))
    synth = est.csynth or {}
    clock = synth.get("clock", {})
    return ("csynth vs the per-loop table:\n" + format_rows(rows) + "\n"
            f"csynth: estimated clock {cell(clock.get('estimated_ns'))} ns "
            f"({cell(clock.get('estimated_fmax_mhz'))} MHz) vs {est.clock_mhz:g} MHz modelled\n")


def to_json(est: Estimate) -> dict:
    r = est.resources
    return {
        "model": est.model, "board": asdict(est.board), "clock_mhz": est.clock_mhz, "flavor": est.flavor,
        "config": est.config.as_dict(), "assumptions": asdict(est.assumptions),
        "loops": [{"id": loop.id, "labels": list(loop.labels), "unit": loop.unit, "trips": loop.trips,
                   "arrays": {k: list(v) for k, v in loop.arrays.items()}, "ii": est.timing.ii[loop.id[5:]],
                   "depth": est.timing.depth[loop.id[5:]], "source": est.timing.source[loop.id[5:]],
                   "axi": loop.axi, "burst": loop.burst, "why": loop.reason} for loop in LOOPS],
        "totals": est.totals(),
        "resources": {"estimate": r.totals, "available": r.available, "utilization": r.utilization, "fits": r.fits,
                      "dsp": r.dsp, "bram_18k": r.bram_18k, "uram": r.uram, "lut": r.lut, "ff": r.ff,
                      "notes": r.notes},
        "csynth_loops": csynth_loops(est.csynth),
        "layers": [asdict(L) for L in est.layers],
    }


def write_estimate_json(est: Estimate, path: Path) -> Path:
    write_json(Path(path), to_json(est))
    return Path(path)


def pyplot(what: str):
    """matplotlib.pyplot on the Agg backend, or one clear FlowError naming the plot that needs it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FlowError(f"the {what} plot needs matplotlib: pip install matplotlib") from None
    return plt


def save_png(fig, path: Path) -> Path:
    """The figure as a PNG at path (atomic write); the figure is closed."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def plot_estimate(est: Estimate, path: Path) -> Path:
    """PNG: per engine layer its time and the stage that sets it (bars), with the MAC-unit floor (dots)."""
    plt = pyplot("estimate")
    engine = est.engine_layers
    colors = {"mac": "tab:blue", "load": "tab:orange", "weights": "tab:red", "store": "tab:green",
              "ddr": "tab:purple", "expand": "tab:brown", "tables": "tab:gray", "dw": "tab:cyan",
              "emit": "tab:olive"}
    fig, ax = plt.subplots(figsize=(max(8.0, 0.18 * len(engine) + 3), 4.5))
    for bound, color in colors.items():
        xs = [L.index for L in engine if L.bound == bound]
        if xs:
            ax.bar(xs, [L.cycles for L in engine if L.bound == bound], color=color, label=f"bound: {bound}")
    ax.plot([L.index for L in engine], [L.mac_floor_cycles for L in engine], "k.", label="MAC-unit floor")
    ax.set_xlabel("layer")
    ax.set_ylabel(f"cycles at {est.clock_mhz:g} MHz")
    c = est.config
    ax.set_title(f"{est.model}: {c.pi}x{c.po}, {c.axi_bits}-bit AXI on {est.board.name} -- "
                 f"{est.latency_ms:.2f} ms/image")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return save_png(fig, path)
