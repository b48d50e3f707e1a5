"""Vivado implementation reports (text) -> plain, JSON-serializable dicts.

- ``report_utilization``: one ``| Site Type | Used | Fixed | Prohibited | Available | Util% |`` table per section
  (``1. CLB Logic``, ``3. BLOCKRAM``, ``4. ARITHMETIC`` ...). Older Vivado releases print the tables without the
  Prohibited column, so columns are found by their header names, never by position. Util% can read ``<0.01``.
- ``report_timing_summary``: the ``Design Timing Summary`` table (WNS, TNS, failing and total endpoints, WHS, THS,
  WPWS, TPWS), the verdict line below it and the ``Clock Summary`` table (the clocks' real periods: the PS rounds a
  requested PL clock to what its dividers make).

Unknown values (``NA``, ``inf`` of an unconstrained design, an empty cell) are None. A file that is not such a
report raises FlowError, so a truncated or wrong file never reads as "0 LUTs" or "timing met".
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from pyflow.errors import FlowError
from pyflow.vitis.reports import number

# The utilization rows the flow reports (UltraScale+ names), and the 7-series names of the same rows.
UTILIZATION_KEYS = ("CLB LUTs", "CLB Registers", "Block RAM Tile", "URAM", "DSPs")
SITE_ALIASES = {"Slice LUTs": "CLB LUTs", "Slice Registers": "CLB Registers"}
_COLUMNS = {"Used": "used", "Fixed": "fixed", "Prohibited": "prohibited", "Available": "available",
            "Util%": "percent"}
TIMING_MET = "All user specified timing constraints are met."
TIMING_NOT_MET = "Timing constraints are not met."
NO_CONSTRAINTS = "There are no user specified timing constraints."

_HEADER_FIELD = re.compile(r"^\|\s*(Tool Version|Date|Command|Design|Device|Speed File|Design State)\s*:\s*(.*?)\s*$")
_SECTION = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*?)\s*$")  # "1. CLB Logic", "1.1 Summary of Registers by Type"
_RULE = re.compile(r"^[-=]{3,}\s*$")
_CLOCK_ROW = re.compile(r"^\s*(\S+)\s+\{([^}]*)\}\s+(\S+)\s+(\S+)")  # name  {rise fall}  period  frequency


def _read(path: Path, what: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        raise FlowError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise FlowError(f"cannot read {what} {path}: {exc}") from None


def _value(text: str | None) -> int | float | None:
    """A report number; NA, inf (unconstrained), '' -> None."""
    value = number(text)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def header_fields(text: str) -> dict[str, str]:
    """The ``| Tool Version : ...`` block every Vivado report starts with, keyed in snake case."""
    fields = {}
    for line in text.splitlines()[:40]:
        match = _HEADER_FIELD.match(line)
        if match:
            fields.setdefault(match.group(1).lower().replace(" ", "_"), match.group(2))
    return fields


# ---------------------------------------------------------------------------------------------------- utilization

def _cells(line: str) -> list[str]:
    """``| a | b |`` -> ['a', 'b'] with the leading spaces of the first cell kept (they show the nesting)."""
    parts = line.rstrip().split("|")
    return [parts[1].rstrip()] + [p.strip() for p in parts[2:-1]] if len(parts) > 2 else []


def _percent(text: str, used, available) -> float | None:
    """Util% as a number; ``<0.01`` (too small to print) from used / available instead."""
    text = text.strip()
    if text.startswith("<"):
        return round(100.0 * used / available, 4) if used is not None and available else None
    value = _value(text)
    return None if value is None else float(value)


def _tables(text: str) -> list[tuple[str, list[dict]]]:
    """Every ``Site Type`` table as (section title, rows); a row: site_type, level (nesting), and the columns."""
    lines = text.splitlines()
    tables, section, i = [], "", 0
    while i < len(lines):
        line = lines[i]
        match = _SECTION.match(line)
        if match and i + 1 < len(lines) and _RULE.match(lines[i + 1]):
            section = match.group(2)
        if line.startswith("|") and "Site Type" in line:
            header = [cell.strip() for cell in _cells(line)]
            columns = {index: _COLUMNS[name] for index, name in enumerate(header) if name in _COLUMNS}
            rows, i = [], i + 1
            while i < len(lines) and (lines[i].startswith("|") or (lines[i].startswith("+") and not rows)):
                if lines[i].startswith("|"):
                    cells = _cells(lines[i])
                    if len(cells) == len(header):
                        rows.append(_row(cells, columns))
                i += 1
            tables.append((section, rows))
            continue
        i += 1
    return tables


def _row(cells: list[str], columns: dict[int, str]) -> dict:
    name = cells[0]
    site = name.strip().rstrip("*").strip()
    row: dict = {"site_type": SITE_ALIASES.get(site, site), "level": (len(name) - len(name.lstrip())) // 2}
    for index, key in columns.items():
        if key != "percent":
            row[key] = _value(cells[index])
    if "percent" in columns.values():
        index = next(i for i, key in columns.items() if key == "percent")
        row["percent"] = _percent(cells[index], row.get("used"), row.get("available"))
    return row


def parse_utilization_text(text: str, source: str = "report") -> dict:
    """A report_utilization text -> header fields, every table by section, and the summary rows
    (``resources[key] = {used, available, percent}`` for UTILIZATION_KEYS; a row the report lacks is all None)."""
    tables = _tables(text)
    if not tables or not any(rows for _, rows in tables):
        raise FlowError(f"{source} is not a Vivado utilization report (report_utilization): no "
                        "'| Site Type | Used | ... | Available | Util% |' table")
    resources = {}
    for key in UTILIZATION_KEYS:
        # the first table that has the row: 1. CLB Logic before 2. CLB Logic Distribution
        found = next((row for _, rows in tables for row in rows if row["site_type"] == key), None)
        resources[key] = {field: (found or {}).get(field) for field in ("used", "available", "percent")}
    return {**header_fields(text), "file": source, "sections": {section: rows for section, rows in tables},
            "resources": resources}


def parse_utilization(path: Path) -> dict:
    return parse_utilization_text(_read(path, "utilization report"), str(path))


# ---------------------------------------------------------------------------------------------------- timing

def _key(column: str) -> str:
    """'WNS(ns)' -> 'wns_ns', 'TNS Failing Endpoints' -> 'tns_failing_endpoints'."""
    return column.replace("(ns)", "_ns").strip().lower().replace(" ", "_")


def _design_summary(lines: list[str], source: str) -> dict:
    start = next((i for i, line in enumerate(lines) if "Design Timing Summary" in line), None)
    if start is None:
        raise FlowError(f"{source} is not a Vivado timing summary (report_timing_summary): no 'Design Timing "
                        "Summary' section")
    head = next((i for i in range(start, len(lines)) if lines[i].strip().startswith("WNS(ns)")), None)
    if head is None:
        raise FlowError(f"{source}: the Design Timing Summary has no 'WNS(ns) TNS(ns) ...' header")
    columns = re.split(r"\s{2,}", lines[head].strip())
    values = next((lines[i].split() for i in range(head + 1, len(lines))
                   if lines[i].strip() and not set(lines[i].strip()) <= set("- ")), None)
    if values is None or len(values) != len(columns):
        raise FlowError(f"{source}: cannot read the Design Timing Summary values under {' | '.join(columns)}")
    return {_key(column): _value(value) for column, value in zip(columns, values)}


def _clocks(lines: list[str]) -> list[dict]:
    """The Clock Summary rows: name, period_ns, frequency_mhz (generated clocks included)."""
    start = next((i for i, line in enumerate(lines) if line.strip() == "| Clock Summary"), None)
    if start is None:
        return []
    head = next((i for i in range(start, len(lines)) if lines[i].startswith("Clock") and "Period(ns)" in lines[i]),
                None)
    clocks = []
    for line in lines[head + 2:] if head is not None else []:
        match = _CLOCK_ROW.match(line)
        if not match:
            break
        clocks.append({"name": match.group(1), "period_ns": _value(match.group(3)),
                       "frequency_mhz": _value(match.group(4))})
    return clocks


def _verdict(text: str, summary: dict) -> tuple[bool | None, bool]:
    """(met, constrained): the report's verdict line; without one, met from the slacks when all are known."""
    if NO_CONSTRAINTS in text:
        return None, False
    if TIMING_NOT_MET in text:
        return False, True
    if TIMING_MET in text:
        return True, True
    slacks = [summary.get(key) for key in ("wns_ns", "whs_ns", "wpws_ns")]
    return (None if any(s is None for s in slacks) else all(s >= 0 for s in slacks)), True


def parse_timing_summary_text(text: str, source: str = "report") -> dict:
    """A report_timing_summary text -> header fields, wns_ns/tns_ns/whs_ns/ths_ns/wpws_ns/tpws_ns and the endpoint
    counts (None where the report says NA or inf), met (True / False / None) and the clocks."""
    lines = text.splitlines()
    summary = _design_summary(lines, source)
    met, constrained = _verdict(text, summary)
    return {**header_fields(text), "file": source, **summary, "met": met, "constrained": constrained,
            "clocks": _clocks(lines)}


def parse_timing_summary(path: Path) -> dict:
    return parse_timing_summary_text(_read(path, "timing summary"), str(path))


__all__ = ["UTILIZATION_KEYS", "TIMING_MET", "TIMING_NOT_MET", "parse_utilization", "parse_utilization_text",
           "parse_timing_summary", "parse_timing_summary_text", "header_fields"]
