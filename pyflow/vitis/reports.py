"""Vitis HLS reports -> plain, JSON-serializable dicts, and readable text tables.

- csynth: ``syn/report/csynth.xml`` (the design summary) and ``syn/report/<module>_csynth.xml`` (per module, with
  the loop table). Vivado HLS (2019 and older) names DSPs ``DSP48E``; unknown values read ``undef`` -> None.
  Ranges (``<range><min>..</min><max>..</max></range>``) give a min and a max.
- cosim: ``sim/report/<top>_cosim.rpt``, the ``| Verilog| Pass| min| avg| max| ...`` table (``NA`` -> None).
- export: the packaged IP zip (size, file list, whether component.xml is in it).

Classic flow reports live under ``<project>/<solution>/``, unified-flow (2024.1+) reports under
``<component>/hls/``; the formats are the same.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from pyflow.errors import FlowError

RESOURCES = ("BRAM_18K", "DSP", "FF", "LUT", "URAM")
RESOURCE_ALIASES = {"DSP48E": "DSP", "DSP48": "DSP", "DSP48E1": "DSP", "DSP48E2": "DSP"}
UNKNOWN = {"", "undef", "-", "na", "n/a", "?"}
_LOOP_MARKERS = ("TripCount", "Latency", "IterationLatency", "PipelineII", "PipelineDepth")
_RANGE_TEXT = re.compile(r"^\s*(\S+)\s*~\s*(\S+)\s*$")  # "30 ~ 541"


# ---------------------------------------------------------------------------------------------------- values

def number(text: str | None) -> int | float | None:
    """'123' -> 123, '4.56' -> 4.56, 'undef' / 'NA' / '-' / '' -> None."""
    if text is None:
        return None
    text = text.strip()
    if text.lower() in UNKNOWN:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _count(text: str | None) -> int | float | None:
    """A cycle or trip count: a negative value is how Vitis HLS 2020.x writes an unknown bound (``<max>-1</max>``,
    where its .rpt prints ``?``): None, like ``undef``."""
    value = number(text)
    return None if value is not None and value < 0 else value


def _min_max(elem: ET.Element | None) -> tuple[int | float | None, int | float | None]:
    """A count or a range element -> (min, max); unknown bounds are None."""
    if elem is None:
        return None, None
    rng = elem.find("range")
    if rng is not None:
        return _count(rng.findtext("min")), _count(rng.findtext("max"))
    text = elem.text or ""
    match = _RANGE_TEXT.match(text)
    if match:
        return _count(match.group(1)), _count(match.group(2))
    value = _count(text)
    return value, value


def _worst(elem: ET.Element | None) -> int | float | None:
    """A single value; for a range, its max (the conservative end)."""
    return _min_max(elem)[1]


def _load_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise FlowError(f"report not found: {path}") from None
    except ET.ParseError as exc:
        raise FlowError(f"report {path} is not valid XML ({exc}); was the run interrupted?") from None


# ---------------------------------------------------------------------------------------------------- csynth

def _resources(elem: ET.Element | None) -> dict[str, int | float | None]:
    values: dict[str, int | float | None] = {key: None for key in RESOURCES}
    if elem is None:
        return values
    for child in elem:
        key = RESOURCE_ALIASES.get(child.tag, child.tag)
        if key in values:
            values[key] = number(child.text)
    return values


def parse_csynth_xml(path: Path) -> dict:
    """Summary of one csynth.xml / <module>_csynth.xml: clock, latency, interval, resources."""
    root = _load_xml(Path(path))
    user = root.find("UserAssignments")
    perf = root.find("PerformanceEstimates")
    overall = perf.find("SummaryOfOverallLatency") if perf is not None else None
    area = root.find("AreaEstimates")

    def user_text(tag: str) -> str | None:
        return user.findtext(tag) if user is not None else None

    def overall_value(tag: str) -> int | float | None:
        return _worst(overall.find(tag)) if overall is not None else None

    estimated = number(perf.findtext("SummaryOfTimingAnalysis/EstimatedClockPeriod")) if perf is not None else None
    dsp_tags = {child.tag for child in area.iter()} if area is not None else set()
    return {
        "file": str(path),
        "tool_version": root.findtext("ReportVersion/Version"),
        "top": user_text("TopModelName"),
        "part": user_text("Part"),
        "flow_target": user_text("FlowTarget"),
        "clock": {
            "target_ns": number(user_text("TargetClockPeriod")),
            "uncertainty_ns": number(user_text("ClockUncertainty")),
            "estimated_ns": estimated,
            "estimated_fmax_mhz": round(1000.0 / estimated, 1) if estimated else None,
        },
        "latency_cycles": {"best": overall_value("Best-caseLatency"), "avg": overall_value("Average-caseLatency"),
                           "worst": overall_value("Worst-caseLatency")},
        "interval_cycles": {"min": overall_value("Interval-min"), "max": overall_value("Interval-max")},
        "resources": {
            "used": _resources(area.find("Resources") if area is not None else None),
            "available": _resources(area.find("AvailableResources") if area is not None else None),
            "dsp_name": "DSP48E" if "DSP48E" in dsp_tags else "DSP",
        },
    }


def _is_loop(elem: ET.Element) -> bool:
    return any(elem.find(tag) is not None for tag in _LOOP_MARKERS)


def _walk_loops(parent: ET.Element, module: str, path: list[str]) -> list[dict]:
    loops = []
    for elem in parent:
        if not _is_loop(elem):
            continue
        name = (elem.findtext("Name") or elem.tag).strip()
        trip_min, trip_max = _min_max(elem.find("TripCount"))
        lat_min, lat_max = _min_max(elem.find("Latency"))
        loops.append({
            "module": module, "name": name, "path": "/".join([*path, name]), "level": len(path),
            "trip_count_min": trip_min, "trip_count_max": trip_max,
            "latency_min": lat_min, "latency_max": lat_max,
            "iteration_latency": _worst(elem.find("IterationLatency")),
            "ii": _worst(elem.find("PipelineII")), "pipeline_depth": _worst(elem.find("PipelineDepth")),
        })
        loops += _walk_loops(elem, module, [*path, name])
    return loops


def parse_loops(path: Path) -> list[dict]:
    """The loop table (SummaryOfLoopLatency) of one csynth xml, nested loops flattened with a path."""
    root = _load_xml(Path(path))
    section = root.find("PerformanceEstimates/SummaryOfLoopLatency")
    module = root.findtext("UserAssignments/TopModelName") or Path(path).name.removesuffix("_csynth.xml")
    return _walk_loops(section, module.strip(), []) if section is not None else []


def parse_csynth(report_dir: Path, top: str) -> dict:
    """The synthesis summary (csynth.xml, else <top>_csynth.xml) plus the loops of every module, top first."""
    report_dir = Path(report_dir)
    summary_file = report_dir / "csynth.xml"
    top_file = report_dir / f"{top}_csynth.xml"
    if not summary_file.is_file():
        summary_file = top_file
    if not summary_file.is_file():
        raise FlowError(f"no synthesis report in {report_dir} (expected csynth.xml or {top}_csynth.xml)")
    report = parse_csynth_xml(summary_file)
    modules = sorted(report_dir.glob("*_csynth.xml"), key=lambda p: (p != top_file, p.name))
    loops: list[dict] = []
    for module_file in modules:
        loops += parse_loops(module_file)
    if not loops and summary_file != top_file:
        loops = parse_loops(summary_file)  # Vitis HLS 2020.x also lists the top's loops in csynth.xml
    report["loops"] = loops
    return report


# ---------------------------------------------------------------------------------------------------- cosim

_COSIM_COLUMNS = ("latency_min", "latency_avg", "latency_max", "interval_min", "interval_avg", "interval_max",
                  "total_cycles")


def parse_cosim(path: Path) -> dict:
    """``<top>_cosim.rpt`` -> {"status": "Pass"|"Fail"|None, "rtl": ..., "rows": {...}, latency/interval}."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        raise FlowError(f"cosim report not found: {path}") from None
    meta = {}
    rows: dict[str, dict] = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith(("|", "+")):
            key, _, value = line.partition(":")
            meta[key.strip().lower().replace(" ", "_")] = value.strip().rstrip(".")
            continue
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 8 or cells[0].lower() not in ("verilog", "vhdl", "systemc"):
            continue
        row = {"status": None if cells[1].upper() == "NA" else cells[1]}
        row |= {name: number(cell) for name, cell in zip(_COSIM_COLUMNS, cells[2:])}
        rows[cells[0].lower()] = row
    run = rows.get("verilog") if rows.get("verilog", {}).get("status") else None
    rtl = "verilog" if run else next((name for name, row in rows.items() if row["status"]), None)
    chosen = rows.get(rtl, {}) if rtl else {}
    return {
        "file": str(path), "tool": meta.get("simulation_tool"), "solution": meta.get("solution"),
        "status": chosen.get("status"), "rtl": rtl, "rows": rows,
        "latency_cycles": {k: chosen.get(f"latency_{k}") for k in ("min", "avg", "max")},
        "interval_cycles": {k: chosen.get(f"interval_{k}") for k in ("min", "avg", "max")},
        "total_cycles": chosen.get("total_cycles"),
    }


# ---------------------------------------------------------------------------------------------------- export

def parse_export(zip_path: Path) -> dict:
    """The exported IP zip: path, size, file list, whether component.xml (the IP-XACT description) is there."""
    zip_path = Path(zip_path)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = sorted(archive.namelist())
            headers = [n for n in names if re.fullmatch(r"x\w+_hw\.h", Path(n).name)]
            hw_header = (headers[0], archive.read(headers[0]).decode("utf-8", "replace")) if headers else None
    except FileNotFoundError:
        raise FlowError(f"exported IP not found: {zip_path}") from None
    except zipfile.BadZipFile:
        raise FlowError(f"exported IP {zip_path} is not a valid zip") from None
    report = {"file": str(zip_path), "size_bytes": zip_path.stat().st_size, "files": names,
              "has_component_xml": any(Path(name).name == "component.xml" for name in names),
              "driver_header": hw_header[0] if hw_header else None, "register_map_problems": []}
    if hw_header:  # the tool's s_axilite layout against the register map the driver uses
        from pyflow.hls.register_map import compare_hw_header
        report["register_map_problems"] = compare_hw_header(hw_header[1])
    return report


# ---------------------------------------------------------------------------------------------------- text

UNKNOWN_TEXT = "unknown"


def unknown_as_text(value):
    """A parsed report with every unknown value (None) as "unknown", for the JSON files."""
    if isinstance(value, dict):
        return {k: unknown_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unknown_as_text(v) for v in value]
    return UNKNOWN_TEXT if value is None else value


def unknown_as_none(value):
    """The inverse of unknown_as_text: a report read back from its JSON file, unknown values as None."""
    if isinstance(value, dict):
        return {k: unknown_as_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknown_as_none(v) for v in value]
    return None if value == UNKNOWN_TEXT else value


def cell(value: object) -> str:
    """A report value for a table; unknown values (None, or "unknown" in a report read back from JSON) as ``?``."""
    return "?" if value is None or value == UNKNOWN_TEXT else str(value)


def span(low: object, high: object) -> str:
    """A min / max pair for a table: one value when they agree, else low~high."""
    return cell(low) if low == high else f"{cell(low)}~{cell(high)}"


def _table(header: list[str], rows: list[list[object]], text_columns: int = 1) -> list[str]:
    """Plain-text table: the first ``text_columns`` columns left-aligned, numbers right-aligned."""
    cells = [header] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(text.ljust(widths[i]) if i < text_columns else text.rjust(widths[i])
                       for i, text in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def format_csynth(report: dict) -> str:
    clock, lat, ii = report["clock"], report["latency_cycles"], report["interval_cycles"]
    lines = [f"C synthesis: {cell(report['top'])} on {cell(report['part'])} "
             f"(tool {cell(report['tool_version'])}, target {cell(report['flow_target'])})",
             f"clock    target {cell(clock['target_ns'])} ns, estimated {cell(clock['estimated_ns'])} ns "
             f"({cell(clock['estimated_fmax_mhz'])} MHz), uncertainty {cell(clock['uncertainty_ns'])} ns",
             f"latency  best {cell(lat['best'])}, avg {cell(lat['avg'])}, worst {cell(lat['worst'])} cycles; "
             f"interval {cell(ii['min'])} .. {cell(ii['max'])} cycles", ""]
    used, available = report["resources"]["used"], report["resources"]["available"]
    rows = []
    for key in RESOURCES:
        u, a = used.get(key), available.get(key)
        share = f"{100.0 * u / a:.1f}%" if u is not None and a else None
        rows.append([key, u, a, share])
    lines += _table(["resource", "used", "available", "util"], rows)
    if report.get("loops"):
        lines.append("")
        rows = [["  " * loop["level"] + loop["name"], loop["module"],
                 span(loop["trip_count_min"], loop["trip_count_max"]), loop["ii"], loop["pipeline_depth"],
                 span(loop["latency_min"], loop["latency_max"])] for loop in report["loops"]]
        lines += _table(["loop", "module", "trips", "II", "depth", "latency"], rows, text_columns=2)
    return "\n".join(lines) + "\n"


def format_cosim(report: dict) -> str:
    lat, ii = report["latency_cycles"], report["interval_cycles"]
    lines = [f"C/RTL co-simulation ({cell(report['rtl'])}, {cell(report['tool'])}): {cell(report['status'])}"]
    lines += _table(["", "min", "avg", "max"], [["latency", lat["min"], lat["avg"], lat["max"]],
                                                 ["interval", ii["min"], ii["avg"], ii["max"]]])
    if report.get("total_cycles") is not None:
        lines.append(f"total execution: {report['total_cycles']} cycles")
    return "\n".join(lines) + "\n"


def format_export(report: dict) -> str:
    return (f"IP: {report['file']} ({report['size_bytes']} bytes, {len(report['files'])} files, "
            f"component.xml {'present' if report['has_component_xml'] else 'MISSING'})\n")
