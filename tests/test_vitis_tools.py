"""Tool discovery and the stage runner, end to end with fake vitis_hls / v++ / vitis-run executables."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from vitis_project import SOURCES, fake_engine_run
from pyflow.errors import FlowError
from pyflow.vitis import runner
from pyflow.vitis.flow import engine_run, layout
from pyflow.vitis.tools import discover_tools, find_tool, parse_version

FIXTURES = Path(__file__).parent / "fixtures" / "vitis"
FAKE = FIXTURES / "fake_vitis.py"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Vitis anywhere: an empty PATH and no XILINX_* variables."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    for var in ("XILINX_HLS", "XILINX_VITIS", "FAKE_VITIS_MODE", "FAKE_VITIS_VERSION", "FAKE_VITIS_CALLS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAKE_VITIS_FIXTURES", str(FIXTURES))
    return monkeypatch


def install_fake(directory: Path, *names: str) -> Path:
    """Copy the fake tool into ``directory`` under each name, runnable with this Python."""
    directory.mkdir(parents=True, exist_ok=True)
    body = FAKE.read_text()
    for name in names:
        exe = directory / name
        exe.write_text(f"#!{sys.executable}\n{body}")
        exe.chmod(0o755)
    return directory


def make_run(tmp_path: Path, **changes):
    sources = {k: v for k, v in SOURCES.items() if "requant" not in k}
    run = fake_engine_run(tmp_path / "repo", part="xczu7ev-ffvc1156-2-e", clock_mhz=200.0, version="1.0",
                          sources=sources)
    return replace(run, **changes)


# ---------------------------------------------------------------------------------------------------- discovery

def test_missing_tools_give_one_clear_message_and_write_nothing(clean_env, tmp_path):
    run = make_run(tmp_path)
    for stage in ("csim", "csynth", "cosim", "export"):
        with pytest.raises(FlowError) as info:
            runner.run_stage(run, stage, echo=False)
        message = str(info.value)
        for word in ("vitis_hls", "v++", "vitis-run", "PATH", "XILINX_HLS", "XILINX_VITIS", "not set",
                     "settings64.sh"):
            assert word in message, (word, message)
    assert not run.work_dir.exists()


def test_missing_tool_message_shows_the_variables_that_are_set(clean_env, tmp_path):
    clean_env.setenv("XILINX_HLS", str(tmp_path / "Vitis_HLS/2023.2"))
    with pytest.raises(FlowError, match=r"\$XILINX_HLS/bin \(=.*2023.2\)"):
        discover_tools()


def test_unknown_flow_name(clean_env):
    with pytest.raises(FlowError, match="unknown Vitis flow"):
        discover_tools("hybrid")


def test_found_on_path_classic(clean_env, tmp_path):
    bin_dir = install_fake(tmp_path / "bin", "vitis_hls")
    clean_env.setenv("PATH", str(bin_dir))
    clean_env.setenv("FAKE_VITIS_VERSION", "2023.2")
    tools = discover_tools()
    assert tools.flow == "classic" and tools.vitis_hls == str(bin_dir / "vitis_hls")
    assert tools.version == (2023, 2) and tools.version_text == "2023.2"
    assert find_tool("vitis_hls") == str(bin_dir / "vitis_hls")


def test_found_under_xilinx_vitis_auto_picks_unified_from_2024_1(clean_env, tmp_path):
    install_fake(tmp_path / "Vitis/2024.1/bin", "v++", "vitis-run", "vitis_hls")
    clean_env.setenv("XILINX_VITIS", str(tmp_path / "Vitis/2024.1"))
    clean_env.setenv("FAKE_VITIS_VERSION", "2024.1")
    tools = discover_tools("auto")
    assert tools.flow == "unified" and tools.version == (2024, 1)
    assert tools.vpp == str(tmp_path / "Vitis/2024.1/bin/v++")
    assert discover_tools("classic").flow == "classic"


def test_auto_stays_classic_before_2024_1(clean_env, tmp_path):
    install_fake(tmp_path / "Vitis_HLS/2023.2/bin", "vitis_hls", "v++", "vitis-run")
    clean_env.setenv("XILINX_HLS", str(tmp_path / "Vitis_HLS/2023.2"))
    clean_env.setenv("FAKE_VITIS_VERSION", "2023.2")
    assert discover_tools("auto").flow == "classic"
    assert discover_tools("unified").flow == "unified"  # asked for explicitly


def test_unified_needs_vpp_and_vitis_run(clean_env, tmp_path):
    clean_env.setenv("PATH", str(install_fake(tmp_path / "bin", "vitis_hls")))
    with pytest.raises(FlowError, match="needs v\\+\\+ and vitis-run"):
        discover_tools("unified")


def test_classic_runs_through_vitis_run_without_vitis_hls(clean_env, tmp_path):
    clean_env.setenv("PATH", str(install_fake(tmp_path / "bin", "vitis-run")))
    tools = discover_tools("classic")
    assert tools.flow == "classic" and tools.vitis_hls is None
    run = make_run(tmp_path)
    assert runner.stage_argv(run, "csim", tools)[1:4] == ["--mode", "hls", "--tcl"]


@pytest.mark.parametrize("text,version", [
    ("****** Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2023.2 (64-bit)\n"
     "  **** SW Build 4023990 on Oct 11 2023\n    ** Copyright 1986-2022 Xilinx, Inc.", (2023, 2)),
    ("****** v++ v2024.1 (64-bit)\n  **** SW Build 5069499 on May 21 2024", (2024, 1)),
    ("Vitis v2025.2 (64-bit)", (2025, 2)),
    ("command not found", None),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


# ---------------------------------------------------------------------------------------------------- runner

@pytest.fixture
def classic(clean_env, tmp_path):
    clean_env.setenv("PATH", str(install_fake(tmp_path / "bin", "vitis_hls")))
    clean_env.setenv("FAKE_VITIS_VERSION", "2023.2")
    return clean_env


@pytest.fixture
def unified(clean_env, tmp_path):
    clean_env.setenv("PATH", str(install_fake(tmp_path / "bin", "v++", "vitis-run")))
    clean_env.setenv("FAKE_VITIS_VERSION", "2024.1")
    return clean_env


def test_classic_flow_end_to_end(classic, tmp_path, capsys):
    run = make_run(tmp_path)
    calls = tmp_path / "calls.txt"
    classic.setenv("FAKE_VITIS_CALLS", str(calls))

    csim = runner.run_stage(run, "csim")
    assert csim.flow == "classic" and csim.tool_version == "2023.2" and csim.report["verdict"] == runner.TB_PASS
    assert csim.log == run.work_dir / "csim.log" and runner.TB_PASS in csim.log.read_text()
    assert runner.TB_PASS in capsys.readouterr().out  # tee'd to the console

    csynth = runner.run_stage(run, "csynth", echo=False)
    assert csynth.report["latency_cycles"]["worst"] == 1204221 and csynth.report["loops"][1]["ii"] == 1
    assert "C synthesis: engine_top" in csynth.summary()

    cosim = runner.run_stage(run, "cosim", echo=False)
    assert cosim.report["status"] == "Pass" and cosim.report["total_cycles"] == 291037

    export = runner.run_stage(run, "export", echo=False)
    assert export.report["file"] == str(layout(run, "classic").impl_dir / "export.zip")
    assert export.report["has_component_xml"]

    invoked = calls.read_text().splitlines()
    assert [line.split()[-1] for line in invoked if " -f " in line] == [
        str(run.work_dir / f"run_{stage}.tcl") for stage in ("csim", "csynth", "cosim", "export")]
    saved = runner.save_result(cosim, tmp_path / "reports")
    assert json.loads(saved.read_text())["report"]["status"] == "Pass"


def test_unified_flow_end_to_end(unified, tmp_path):
    run = make_run(tmp_path)
    for stage in ("csim", "csynth", "cosim", "export"):
        result = runner.run_stage(run, stage, echo=False)
        assert result.flow == "unified" and result.tool_version == "2024.1"
    assert result.command[:4] == (str(tmp_path / "bin/vitis-run"), "--mode", "hls", "--package")
    assert (run.work_dir / "hls_config.cfg").is_file()
    assert Path(result.report["file"]).parent == run.work_dir / "engine/hls/impl/ip"
    assert (run.work_dir / "engine/hls/syn/report/csynth.xml").is_file()


@pytest.mark.parametrize("mode,stage,expected", [
    ("fail", "csim", "nonzero return value"),
    ("fail_rc0", "csim", "TB RESULT: FAIL 1 of 3 layers differ"),  # exit code 0 is not trusted
    ("tb_fail_rc0", "csim", "the testbench says: TB RESULT: FAIL"),  # CSim "0 errors" but the TB disagrees
    ("no_tb_line", "csim", "printed no 'TB RESULT: PASS|FAIL' line"),
    ("no_output", "csim", "no 'CSim done with 0 errors' line"),
    ("fail", "csynth", "exited with code 1"),
    ("no_output", "csynth", "no synthesis report in"),
    ("fail", "cosim", "status is Fail"),
    ("fail_rc0", "cosim", "the log says FAIL"),
    ("no_output", "cosim", "no '*** C/RTL co-simulation finished: PASS ***' line"),
    ("fail", "export", "no IP zip written by this run"),
    ("no_output", "export", "no IP zip written by this run"),
])
def test_failures_are_caught_from_logs_and_reports(classic, tmp_path, mode, stage, expected):
    run = make_run(tmp_path)
    if stage in ("cosim", "export"):
        runner.run_stage(run, "csynth", echo=False)
    classic.setenv("FAKE_VITIS_MODE", mode)
    with pytest.raises(FlowError) as info:
        runner.run_stage(run, stage, echo=False)
    message = str(info.value)
    assert expected in message, message
    assert f"log: {run.work_dir / (stage + '.log')}" in message


def test_stale_reports_from_an_earlier_run_do_not_pass(classic, tmp_path):
    run = make_run(tmp_path)
    runner.run_stage(run, "csynth", echo=False)
    runner.run_stage(run, "cosim", echo=False)
    report = layout(run, "classic").sim_report_dir / "engine_top_cosim.rpt"
    old = report.stat().st_mtime - 3600
    os.utime(report, (old, old))
    classic.setenv("FAKE_VITIS_MODE", "no_output")
    with pytest.raises(FlowError, match="older than this run"):
        runner.run_stage(run, "cosim", echo=False)


def test_cosim_and_export_need_synthesis_first(classic, tmp_path):
    run = make_run(tmp_path)
    for stage in ("cosim", "export"):
        with pytest.raises(FlowError, match="run csynth before cosim/export"):
            runner.run_stage(run, stage, echo=False)


def test_invalid_run_is_rejected_before_the_tool_starts(classic, tmp_path):
    run = make_run(tmp_path, clock_mhz=0.0)
    with pytest.raises(FlowError, match="positive"):
        runner.run_stage(run, "csim", echo=False)
    assert not run.work_dir.exists()


def test_unknown_stage(classic, tmp_path):
    with pytest.raises(FlowError, match="unknown Vitis stage"):
        runner.run_stage(make_run(tmp_path), "impl", echo=False)


def test_log_markers_from_recorded_logs():
    logs = FIXTURES / "logs"
    assert runner.tb_verdict((logs / "csim_pass.log").read_text()) == runner.TB_PASS
    assert runner.tb_verdict((logs / "csim_fail.log").read_text()).startswith(runner.TB_FAIL)
    errors = runner.error_lines((logs / "csim_fail.log").read_text())
    assert errors[0].startswith("@E ") and errors[1].startswith("ERROR: [SIM 211-100]")
    assert runner.error_lines((logs / "csim_pass.log").read_text()) == []
    assert runner.COSIM_PASS in (logs / "cosim_pass.log").read_text()
    assert runner.COSIM_PASS not in (logs / "cosim_fail.log").read_text()


# ---------------------------------------------------------------------------------------------------- real Vitis

KERNEL = """
#include "ap_int.h"
void engine_top(const ap_int<8> in[16], ap_int<8> out[16], int n) {
#pragma HLS INTERFACE mode=m_axi port=in offset=slave depth=16
#pragma HLS INTERFACE mode=m_axi port=out offset=slave depth=16
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=return
COPY_LOOP:
    for (int i = 0; i < n; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max=16
        out[i] = in[i] > 6 ? ap_int<8>(6) : (in[i] < 0 ? ap_int<8>(0) : in[i]);
    }
}
"""
TESTBENCH = """
#include <cstdio>
#include "ap_int.h"
void engine_top(const ap_int<8> in[16], ap_int<8> out[16], int n);
int main() {
    ap_int<8> in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = i - 4;
    engine_top(in, out, 16);
    int bad = 0;
    for (int i = 0; i < 16; ++i) {
        int want = in[i] > 6 ? 6 : (in[i] < 0 ? 0 : int(in[i]));
        if (out[i] != want) ++bad;
    }
    if (bad) { std::printf("TB RESULT: FAIL %d mismatches\\n", bad); return 1; }
    std::printf("TB RESULT: PASS\\n");
    return 0;
}
"""


@pytest.mark.vitis
@pytest.mark.slow
@pytest.mark.skipif(not any(find_tool(name) for name in ("vitis_hls", "v++", "vitis-run")),
                    reason="needs AMD Vitis HLS (source <Vitis install>/settings64.sh)")
def test_real_vitis_all_stages_on_a_tiny_kernel(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "tb").mkdir()
    (tmp_path / "src/engine.cpp").write_text(KERNEL)
    (tmp_path / "tb/tb_main.cpp").write_text(TESTBENCH)
    run = engine_run(tmp_path / "build", part="xczu7ev-ffvc1156-2-e", clock_mhz=200.0, repo_root=tmp_path,
                     sources=[tmp_path / "src/engine.cpp"], testbench=[tmp_path / "tb/tb_main.cpp"],
                     include_dirs=[tmp_path / "src"], project="smoke")
    results = {stage: runner.run_stage(run, stage, echo=False) for stage in ("csim", "csynth", "cosim", "export")}
    assert results["csynth"].report["loops"][0]["name"] == "COPY_LOOP"
    assert results["cosim"].report["status"] == "Pass"
    assert results["export"].report["has_component_xml"]
