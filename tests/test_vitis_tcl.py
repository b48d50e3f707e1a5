"""Classic-flow Tcl scripts: render each stage and run it under tclsh with stub Vitis commands."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from vitis_project import fake_engine_run
from pyflow.errors import FlowError
from pyflow.vitis.flow import (STAGES, ExportVlnv, HlsRun, make_cflags, render_tcl, validate,
                               write_tcl)

# Every Vitis HLS command a generated script may call is a stub that records "name<TAB>arg<TAB>..." in $REC_FILE;
# add_files also records MISSING for any file that does not exist; exit closes the record and exits for real.
PRELUDE = r"""
set ::rec [open $::env(REC_FILE) w]
proc record {name argv} { puts $::rec [join [concat [list $name] $argv] "\t"] }
foreach cmd {open_project set_top open_solution set_part create_clock csim_design csynth_design cosim_design
             export_design close_project close_solution config_compile config_interface config_export config_rtl
             config_csim config_cosim config_dataflow config_array_partition set_directive_pipeline} {
    proc $cmd {args} "record $cmd \$args"
}
proc add_files {args} {
    record add_files $args
    for {set i 0} {$i < [llength $args]} {incr i} {
        set word [lindex $args $i]
        if {$word in {-cflags -csimflags -blackbox}} { incr i; continue }
        if {$word eq "-tb"} { continue }
        foreach file $word { if {![file exists $file]} { puts $::rec "MISSING\t$file" } }
    }
}
rename exit __tcl_exit
proc exit {args} { record exit $args; close $::rec; __tcl_exit 0 }
source [lindex $argv 0]
puts $::rec "NO_EXIT"
close $::rec
"""

needs_tclsh = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh is not installed")


def make_project(tmp_path: Path, **changes) -> HlsRun:
    run = fake_engine_run(tmp_path, part="xczu7ev-ffvc1156-2-e", clock_mhz=200.0, version="1.2",
                          defines=["FLAVOR_ZCU104"])
    return replace(run, **changes)


def run_under_tclsh(script: Path, tmp_path: Path) -> list[list[str]]:
    prelude = tmp_path / "prelude.tcl"
    prelude.write_text(PRELUDE)
    record = tmp_path / f"{script.stem}.calls"
    proc = subprocess.run([shutil.which("tclsh"), str(prelude), str(script)], cwd=script.parent, capture_output=True, text=True,
                          env={"REC_FILE": str(record)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line.split("\t") for line in record.read_text().splitlines()]


def names(calls: list[list[str]]) -> list[str]:
    return [call[0] for call in calls]


def option_value(call: list[str], flag: str) -> str:
    return call[call.index(flag) + 1]


SETUP = ["open_project", "set_top", "add_files", "add_files", "add_files", "open_solution", "set_part",
         "create_clock"]


@needs_tclsh
@pytest.mark.parametrize("stage,command", [("csim", "csim_design"), ("csynth", "csynth_design"),
                                           ("cosim", "cosim_design"), ("export", "export_design")])
def test_stage_script_runs_under_tclsh(tmp_path, stage, command):
    run = make_project(tmp_path)
    script = write_tcl(run, stage)
    assert script == run.work_dir / f"run_{stage}.tcl"
    calls = run_under_tclsh(script, tmp_path)

    assert names(calls) == SETUP + [command, "exit"], calls  # exit last: the tool never waits at a prompt
    assert "MISSING" not in names(calls) and "NO_EXIT" not in names(calls)
    by_name = {}
    for call in calls:
        by_name.setdefault(call[0], []).append(call)

    open_project = by_name["open_project"][0]
    assert open_project[-1] == "engine"
    assert ("-reset" in open_project) == (stage in ("csim", "csynth"))
    assert by_name["set_top"][0][1:] == ["engine_top"]

    sources, testbench = by_name["add_files"][:2], by_name["add_files"][2:]
    assert [Path(c[-1]).name for c in sources] == ["engine.cpp", "requant.cpp"]
    for call in sources:
        assert "-tb" not in call
        flags = option_value(call, "-cflags")
        assert "-std=c++14" in flags and "-DFLAVOR_ZCU104" in flags
        assert f"-I{tmp_path / 'hls/src'}" in flags and f"-I{tmp_path / 'build/m/hls/include'}" in flags
    assert len(testbench) == 1 and "-tb" in testbench[0] and testbench[0][-1].endswith("hls/tb/tb_main.cpp")
    assert f"-I{tmp_path / 'hls/tb'}" in option_value(testbench[0], "-cflags")

    open_solution = by_name["open_solution"][0]
    assert open_solution[-1] == "solution1" and option_value(open_solution, "-flow_target") == "vivado"
    assert ("-reset" in open_solution) == (stage == "csynth")  # cosim/export continue the synthesized solution
    assert by_name["set_part"][0][1:] == ["xczu7ev-ffvc1156-2-e"]
    assert option_value(by_name["create_clock"][0], "-period") == "5"

    action = by_name[command][0]
    if stage in ("csim", "cosim"):
        assert option_value(action, "-argv") == "--layers 0:3"
    if stage == "cosim":
        assert option_value(action, "-rtl") == "verilog"
        assert option_value(action, "-tool") == "xsim"
        assert option_value(action, "-trace_level") == "none"
    if stage == "export":
        assert option_value(action, "-format") == "ip_catalog"
        assert option_value(action, "-vendor") == "user.org"
        assert option_value(action, "-library") == "hls"
        assert option_value(action, "-version") == "1.2"
        assert option_value(action, "-ipname") == "engine_top"


@needs_tclsh
def test_stub_notices_a_missing_file(tmp_path):
    run = make_project(tmp_path)
    script = write_tcl(run, "csim")
    (tmp_path / "hls/src/requant.cpp").unlink()  # deleted after generation
    calls = run_under_tclsh(script, tmp_path)
    assert ["MISSING", str(tmp_path / "hls/src/requant.cpp")] in calls


def test_clock_period_comes_from_mhz(tmp_path):
    run = make_project(tmp_path)
    assert replace(run, clock_mhz=300.0).clock_period_ns == "3.333"
    assert replace(run, clock_mhz=100.0).clock_period_ns == "10"
    assert "create_clock -period 6.667 -name default" in render_tcl(replace(run, clock_mhz=150.0), "csynth")


def test_special_characters_stay_literal_in_tcl(tmp_path):
    run = make_project(tmp_path, tb_argv="--data $HOME/[x] --layers 2:5")
    text = render_tcl(run, "csim")
    assert "csim_design -argv {--data $HOME/[x] --layers 2:5}" in text


def test_empty_argv_omits_the_option(tmp_path):
    assert "csim_design\n" in render_tcl(make_project(tmp_path, tb_argv=""), "csim")


@pytest.mark.parametrize("changes,message", [
    ({"clock_mhz": 0.0}, "positive"),
    ({"clock_mhz": -5.0}, "positive"),
    ({"part": ""}, "part"),
    ({"top": "engine top"}, "C identifier"),
    ({"flow_target": "fpga"}, "flow target"),
    ({"vlnv": ExportVlnv(version="1")}, "digits.digits"),
    ({"vlnv": ExportVlnv(version="v1.0")}, "digits.digits"),
    ({"vlnv": ExportVlnv(ipname="my-ip")}, "identifier"),
    ({"tb_argv": "--layers {0:3}"}, "braces"),
    ({"sources": (Path("/nonexistent/engine.cpp"),)}, "missing file"),
    ({"sources": ()}, "no source files"),
    ({"testbench": ()}, "no testbench files"),
    ({"cflags": "-std=c++14 -I/nonexistent/gen"}, "does not exist"),
])
def test_invalid_runs_are_rejected_before_rendering(tmp_path, changes, message):
    run = make_project(tmp_path, **changes)
    with pytest.raises(FlowError, match=message):
        render_tcl(run, "csim")
    assert not run.work_dir.exists()


def test_csynth_needs_no_testbench(tmp_path):
    run = make_project(tmp_path, testbench=())
    validate(run, "csynth")
    assert "add_files -tb" not in render_tcl(run, "csynth")


def test_paths_with_spaces_are_rejected(tmp_path):
    spaced = tmp_path / "my dir"
    spaced.mkdir()
    (spaced / "a.cpp").write_text("")
    run = make_project(tmp_path, sources=(spaced / "a.cpp",))
    with pytest.raises(FlowError, match="spaces"):
        validate(run, "csynth")


def test_unknown_stage(tmp_path):
    with pytest.raises(FlowError, match="unknown stage"):
        render_tcl(make_project(tmp_path), "impl")


def test_make_cflags(tmp_path):
    assert make_cflags([tmp_path], ["A=1", "-DB"]) == f"-std=c++14 -I{tmp_path} -DA=1 -DB"


def test_every_stage_has_a_script(tmp_path):
    run = make_project(tmp_path)
    for stage in STAGES:
        text = render_tcl(run, stage)
        assert text.rstrip().endswith("exit") and text.endswith("\n")
