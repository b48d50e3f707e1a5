"""Report parsers on fixtures from three tool generations: Vivado HLS 2019, Vitis HLS 2022, unified Vitis 2024."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from pyflow.errors import FlowError
from pyflow.vitis import reports
from pyflow.vitis.boards import BOARDS, board_for_part, board_names, get_board

FIXTURES = Path(__file__).parent / "fixtures" / "vitis"
VIVADO_2019 = FIXTURES / "vivado_hls_2019/engine/solution1"  # classic layout: <project>/<solution>/...
VITIS_2022 = FIXTURES / "vitis_hls_2022/engine/solution1"
UNIFIED_2024 = FIXTURES / "unified_2024/engine/hls"  # unified layout: <component>/hls/...


def test_vivado_hls_2019_csynth_dsp48e_and_undef():
    report = reports.parse_csynth(VIVADO_2019 / "syn/report", "engine_top")
    assert report["tool_version"] == "2019.2"
    assert report["top"] == "engine_top" and report["part"] == "xczu7ev-ffvc1156-2-e"
    assert report["flow_target"] is None  # Vivado HLS has no flow target
    assert report["clock"] == {"target_ns": 5.0, "uncertainty_ns": 0.62, "estimated_ns": 4.375,
                               "estimated_fmax_mhz": 228.6}
    assert report["latency_cycles"] == {"best": 38, "avg": None, "worst": None}
    assert report["interval_cycles"] == {"min": 39, "max": None}
    assert report["resources"]["dsp_name"] == "DSP48E"
    assert report["resources"]["used"] == {"BRAM_18K": 132, "DSP": 258, "FF": 41876, "LUT": 52311, "URAM": 0}
    assert report["resources"]["available"] == get_board("ZCU104").available()

    loops = {loop["path"]: loop for loop in report["loops"]}
    assert list(loops) == ["TILE_LOOP", "TILE_LOOP/LOAD_WEIGHTS", "TILE_LOOP/MAC_LOOP", "STORE_LOOP"]
    assert loops["TILE_LOOP"]["trip_count_max"] is None and loops["TILE_LOOP"]["ii"] is None
    weights = loops["TILE_LOOP/LOAD_WEIGHTS"]
    assert (weights["level"], weights["trip_count_min"], weights["trip_count_max"]) == (1, 1, 288)
    assert (weights["latency_min"], weights["latency_max"], weights["ii"], weights["pipeline_depth"]) == (3, 290, 1, 3)
    assert loops["TILE_LOOP/MAC_LOOP"]["latency_max"] is None and loops["TILE_LOOP/MAC_LOOP"]["pipeline_depth"] == 7
    store = loops["STORE_LOOP"]
    assert (store["trip_count_min"], store["latency_max"], store["iteration_latency"], store["ii"]) == (64, 128, 2, None)
    json.dumps(report)  # plain data


def test_vitis_hls_2022_csynth_loops_from_every_module_top_first():
    report = reports.parse_csynth(VITIS_2022 / "syn/report", "engine_top")
    assert report["tool_version"] == "2022.2" and report["flow_target"] == "vivado"
    assert report["part"] == get_board("KV260").part
    assert report["latency_cycles"] == {"best": 41, "avg": 184523, "worst": 1204221}
    assert report["interval_cycles"] == {"min": 42, "max": 1204222}
    assert report["resources"]["dsp_name"] == "DSP"
    assert report["resources"]["used"]["DSP"] == 260 and report["resources"]["used"]["URAM"] == 16
    assert report["resources"]["available"] == get_board("KV260").available()
    assert [(loop["module"], loop["name"]) for loop in report["loops"]] == [
        ("engine_top", "TILE_LOOP"), ("engine_top_Pipeline_MAC_LOOP", "MAC_LOOP")]
    tile, mac = report["loops"]
    assert (tile["trip_count_min"], tile["trip_count_max"], tile["iteration_latency"]) == (1, 196, 6144)
    assert (mac["ii"], mac["pipeline_depth"], mac["trip_count_max"], mac["latency_max"]) == (1, 7, 6144, 6150)


def test_unified_2024_csynth_undef():
    report = reports.parse_csynth(UNIFIED_2024 / "syn/report", "engine_top")
    assert report["tool_version"] == "2024.1"
    assert report["clock"]["target_ns"] == 3.33 and report["clock"]["estimated_ns"] == 2.431
    assert report["latency_cycles"] == {"best": 44, "avg": None, "worst": None}
    assert report["interval_cycles"]["max"] is None
    (loop,) = report["loops"]
    assert loop["trip_count_min"] is None and loop["latency_max"] is None and loop["iteration_latency"] == 6158


def test_csynth_summary_falls_back_to_the_top_report(tmp_path):
    (tmp_path / "engine_top_csynth.xml").write_bytes((VITIS_2022 / "syn/report/engine_top_csynth.xml").read_bytes())
    report = reports.parse_csynth(tmp_path, "engine_top")
    assert report["latency_cycles"]["worst"] == 1204221 and report["loops"][0]["name"] == "TILE_LOOP"


def test_csynth_missing_and_truncated_reports(tmp_path):
    with pytest.raises(FlowError, match="no synthesis report"):
        reports.parse_csynth(tmp_path, "engine_top")
    (tmp_path / "csynth.xml").write_text((VITIS_2022 / "syn/report/csynth.xml").read_text()[:300])
    with pytest.raises(FlowError, match="not valid XML"):
        reports.parse_csynth(tmp_path, "engine_top")


def test_cosim_2019_pass_without_total_column():
    report = reports.parse_cosim(VIVADO_2019 / "sim/report/engine_top_cosim.rpt")
    assert report["status"] == "Pass" and report["rtl"] == "verilog" and report["tool"] == "xsim"
    assert report["latency_cycles"] == {"min": 20714, "avg": 151386, "max": 602113}
    assert report["interval_cycles"] == {"min": 20715, "avg": 151387, "max": 602114}
    assert report["total_cycles"] is None
    assert report["rows"]["vhdl"]["status"] is None


def test_cosim_2022_pass_with_total_execution_time():
    report = reports.parse_cosim(VITIS_2022 / "sim/report/engine_top_cosim.rpt")
    assert report["status"] == "Pass" and report["solution"] == "solution1"
    assert report["latency_cycles"]["max"] == 301876 and report["total_cycles"] == 291037


def test_cosim_2024_fail_with_na_values():
    report = reports.parse_cosim(UNIFIED_2024 / "sim/report/engine_top_cosim.rpt")
    assert report["status"] == "Fail" and report["solution"] == "hls"
    assert report["latency_cycles"] == {"min": None, "avg": None, "max": None}
    assert report["total_cycles"] is None
    assert "Fail" in reports.format_cosim(report)


def test_cosim_report_missing(tmp_path):
    with pytest.raises(FlowError, match="cosim report not found"):
        reports.parse_cosim(tmp_path / "engine_top_cosim.rpt")


def test_export_zip(tmp_path):
    good = tmp_path / "export.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("component.xml", "<spirit:component/>")
        archive.writestr("hdl/verilog/engine_top.v", "module engine_top(); endmodule")
    report = reports.parse_export(good)
    assert report["has_component_xml"] and report["files"] == ["component.xml", "hdl/verilog/engine_top.v"]
    assert report["size_bytes"] == good.stat().st_size

    bad = tmp_path / "rtl_only.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hdl/verilog/engine_top.v", "")
    assert not reports.parse_export(bad)["has_component_xml"]
    (tmp_path / "broken.zip").write_text("not a zip")
    with pytest.raises(FlowError, match="not a valid zip"):
        reports.parse_export(tmp_path / "broken.zip")


def test_text_tables_are_readable():
    text = reports.format_csynth(reports.parse_csynth(VIVADO_2019 / "syn/report", "engine_top"))
    assert "DSP" in text and "258" in text and "1728" in text and "14.9%" in text
    assert "  LOAD_WEIGHTS" in text and "1~288" in text  # nested loop indented, range shown
    assert "worst ?" in text  # undef shown as "?"
    cosim = reports.format_cosim(reports.parse_cosim(VITIS_2022 / "sim/report/engine_top_cosim.rpt"))
    assert "Pass" in cosim and "291037" in cosim


@pytest.mark.parametrize("text,value", [("12", 12), ("4.375", 4.375), ("undef", None), ("NA", None), ("-", None),
                                        ("", None), (None, None), (" 7 ", 7)])
def test_number(text, value):
    assert reports.number(text) == value


def test_board_table():
    assert board_names() == ["ZCU104", "ZCU102", "KV260", "Ultra96-V2", "PYNQ-Z2", "U250", "U280"]
    assert get_board("zcu104").part == "xczu7ev-ffvc1156-2-e" and get_board("ZCU104").ddr_gbps == 19.2
    assert get_board("Alveo U250").part == "xcu250-figd2104-2L-e"
    assert get_board("u280").part == "xcu280-fsvh2892-2L-e"
    assert get_board("ultra96-v2").part == "xczu3eg-sbva484-1-i"
    assert get_board("pynq-z2").available() == {"BRAM_18K": 280, "DSP": 220, "FF": 106400, "LUT": 53200, "URAM": 0}
    assert board_for_part("XCK26-SFVC784-2LV-C") is get_board("kv260")
    for board in BOARDS.values():
        assert board.clock_mhz > 0 and board.ddr_gbps > 0 and board.bram_18k % 2 == 0
    with pytest.raises(FlowError, match="valid boards: ZCU104, ZCU102, KV260"):
        get_board("zcu106")


def test_negative_bounds_are_unknown(tmp_path):
    """Vitis HLS 2020.x writes an unknown loop bound as <max>-1</max> (its .rpt prints '?'): unknown (None in the
    JSON, '?' in the table), never a latency of 2~-1."""
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    for src in (VITIS_2022 / "syn/report").iterdir():
        (report_dir / src.name).write_text(src.read_text())
    loop_file = report_dir / "engine_top_csynth.xml"
    text = loop_file.read_text()
    assert "<max>1204219</max>" in text  # TILE_LOOP's latency range, 39 .. 1204219
    loop_file.write_text(text.replace("<max>1204219</max>", "<max>-1</max>", 1))
    report = reports.parse_csynth(report_dir, "engine_top")
    bounds = [(loop["latency_min"], loop["latency_max"]) for loop in report["loops"]]
    assert (39, None) in bounds and all(v is None or v >= 0 for pair in bounds for v in pair)
    table = reports.format_csynth(report)
    assert "39~?" in table and "~-1" not in table


def test_unknown_values_are_the_text_unknown_in_json_and_come_back_as_none():
    report = reports.parse_csynth(VIVADO_2019 / "syn/report", "engine_top")
    assert report["latency_cycles"]["avg"] is None
    text = reports.unknown_as_text(report)
    assert text["latency_cycles"]["avg"] == "unknown" and "null" not in json.dumps(text)
    assert reports.unknown_as_none(text) == report
