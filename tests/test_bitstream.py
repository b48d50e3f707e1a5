"""`invoke bitstream` without Vivado: the block-design script under tclsh with stub Vivado commands, the build
end to end with a fake `vivado`, the missing-tool and bad-input errors, and the report parsers on fixtures."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pyflow.errors import FlowError
from pyflow.vitis import bitstream, vivado_reports
from pyflow.vitis.bitstream import BlockDesign, build_bitstream, render_tcl, write_tcl
from pyflow.vitis.boards import board_names, get_board
from pyflow.vitis.flow import ExportVlnv

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "vivado"
STUBS = FIXTURES / "stubs.tcl"
TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh is not installed")

# The engine's port map, written out here independently of bitstream.ENGINE_MASTERS (hls/src/engine.cpp's comment).
EXPECTED_PORTS = {
    "m_axi_gmem_wt": "S_AXI_HP0_FPD", "m_axi_gmem_wt_b": "S_AXI_HP1_FPD", "m_axi_gmem_wt_c": "S_AXI_HPC1_FPD",
    "m_axi_gmem_wt_d": "S_AXI_HPC0_FPD", "m_axi_gmem_fm_rd": "S_AXI_HP2_FPD", "m_axi_gmem_fm_rd_b": "S_AXI_HP3_FPD",
    "m_axi_gmem_fm_rd2": "S_AXI_HPC0_FPD", "m_axi_gmem_fm_wr": "S_AXI_HP2_FPD",
}
SAXIGP = {"S_AXI_HPC0_FPD": ("SAXIGP0", "HPC0"), "S_AXI_HPC1_FPD": ("SAXIGP1", "HPC1"),
          "S_AXI_HP0_FPD": ("SAXIGP2", "HP0"), "S_AXI_HP1_FPD": ("SAXIGP3", "HP1"),
          "S_AXI_HP2_FPD": ("SAXIGP4", "HP2"), "S_AXI_HP3_FPD": ("SAXIGP5", "HP3")}
PS = "zynq_ultra_ps_e_0"
BOARD_PARTS = {"ZCU104": "xilinx.com:zcu104:part0:1.1", "KV260": "xilinx.com:kv260_som:part0:1.4",
               "Ultra96-V2": "avnet.com:ultra96v2:part0:1.2", "ZCU102": "xilinx.com:zcu102:part0:3.4"}


def make_ip_zip(path: Path, vlnv: ExportVlnv = ExportVlnv(), component: bool = True) -> Path:
    """A small stand-in for `invoke export-ip`'s zip: an IP-XACT component.xml naming the VLNV, and an HDL file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<spirit:component xmlns:spirit="http://www.spiritconsortium.org/XMLSchema/SPIRIT/1685-2009">\n'
           f"  <spirit:vendor>{vlnv.vendor}</spirit:vendor>\n  <spirit:library>{vlnv.library}</spirit:library>\n"
           f"  <spirit:name>{vlnv.ipname}</spirit:name>\n  <spirit:version>{vlnv.version}</spirit:version>\n"
           "</spirit:component>\n")
    with zipfile.ZipFile(path, "w") as archive:
        if component:
            archive.writestr("component.xml", xml)
        archive.writestr("hdl/verilog/engine_top.v", "module engine_top(); endmodule\n")
    return path


def add_to_zip(path: Path, name: str) -> None:
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(name, "")


def run_stubbed(script: Path, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    record = tmp_path / f"{script.stem}.calls"
    proc = subprocess.run([TCLSH, str(STUBS), str(script)], capture_output=True, text=True, timeout=60,
                          env={"REC_FILE": str(record), **env})
    return proc, [line.split("\t") for line in record.read_text().splitlines()]


def calls_named(calls, name):
    return [call for call in calls if call[0] == name]


def option_value(call, flag):
    return call[call.index(flag) + 1]


def ps_config(calls) -> dict[str, str]:
    """Every CONFIG.* value set on the PS, the last one winning."""
    config = {}
    for call in calls_named(calls, "set_property"):
        if call[1] == "-dict" and call[-1] == PS:
            words = call[2].split()
            config.update(zip(words[::2], words[1::2]))
    return config


def intf_edges(calls) -> dict[str, str]:
    """connect_bd_intf_net a b -> {a: b}."""
    return {call[1]: call[2] for call in calls_named(calls, "connect_bd_intf_net")}


def follow(edges: dict[str, str], start: str, leaves: str = "M") -> str:
    """The PS interface an interface reaches through any SmartConnect: from <sc>/Sxx_AXI on at <sc>/M00_AXI
    (``leaves="M"``, masters to the PS), or from <sc>/Mxx_AXI back at <sc>/S00_AXI (``leaves="S"``, with the edges
    reversed: a slave back to the PS master that reaches it)."""
    target = edges[start]
    while not target.startswith(PS + "/"):
        cell = target.split("/")[0]
        outs = [key for key in edges if key.startswith(f"{cell}/{leaves}")]
        assert len(outs) == 1, (target, outs)
        target = edges[outs[0]]
    return target.split("/", 1)[1]


def nets(calls) -> list[list[str]]:
    return [call[1:] for call in calls_named(calls, "connect_bd_net")]


# ---------------------------------------------------------------------------------------------------- the Tcl

@needs_tclsh
@pytest.mark.parametrize("board,clock", [("ZCU104", 187.5), ("KV260", 200.0), ("Ultra96-V2", 150.0)])
def test_block_design_script_under_tclsh(tmp_path, board, clock):
    design = BlockDesign.for_board(board, tmp_path / "export.zip", tmp_path / "out", clock, jobs=6)
    script = write_tcl(design, design.out_dir)
    proc, calls = run_stubbed(script, tmp_path, FAKE_BOARD_PARTS=f"{BOARD_PARTS[board]} xilinx.com:zcu102:part0:3.4")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls[-1] == ["END"] and not [c for c in calls if c[0] == "MISSING"], calls

    create = calls_named(calls, "create_project")[0]
    assert option_value(create, "-part") == get_board(board).part
    assert ["set_property", "board_part", BOARD_PARTS[board], "project_1"] in calls
    assert calls_named(calls, "apply_bd_automation")[0][1:] == [
        "-rule", "xilinx.com:bd_rule:zynq_ultra_ps_e", "-config", 'apply_board_preset "1"', PS]
    cells = {call[-1]: option_value(call, "-vlnv") for call in calls_named(calls, "create_bd_cell")}
    assert cells["engine"] == "user.org:hls:pyflow_engine:1.0" and cells["axi_intc"] == "xilinx.com:ip:axi_intc"

    config = ps_config(calls)
    assert config["CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == f"{clock:g}"
    assert config["CONFIG.PSU__USE__M_AXI_GP0"] == "1" and config["CONFIG.PSU__USE__IRQ0"] == "1"
    for port in set(EXPECTED_PORTS.values()):
        gp = SAXIGP[port][0][-1]
        assert config[f"CONFIG.PSU__USE__S_AXI_GP{gp}"] == "1"
        assert config[f"CONFIG.PSU__SAXIGP{gp}__DATA_WIDTH"] == "128"
    preset_applied = calls.index(calls_named(calls, "apply_bd_automation")[0])
    assert all(calls.index(c) > preset_applied for c in calls_named(calls, "set_property") if c[-1] == PS)

    edges = intf_edges(calls)
    for master, port in EXPECTED_PORTS.items():
        assert follow(edges, f"engine/{master}") == port, master
    backwards = {v: k for k, v in edges.items()}
    assert follow(backwards, "engine/s_axi_control", "S") == "M_AXI_HPM0_FPD"
    assert follow(backwards, "axi_intc/s_axi", "S") == "M_AXI_HPM0_FPD"

    all_nets = nets(calls)
    assert ["engine/interrupt", "axi_intc/intr"] in all_nets
    assert ["axi_intc/irq", f"{PS}/pl_ps_irq0"] in all_nets
    clock_net = next(n for n in all_nets if n[0] == f"{PS}/pl_clk0")
    for pin in ["engine/ap_clk", f"{PS}/maxihpm0_fpd_aclk", "axi_intc/s_axi_aclk",
                *{f"{PS}/saxi{SAXIGP[p][1].lower()}_fpd_aclk" for p in EXPECTED_PORTS.values()}]:
        assert pin in clock_net, pin
    reset = next(n for n in all_nets if n[0] == "rst_pl0/peripheral_aresetn")
    assert "engine/ap_rst_n" in reset

    assigned = [(option_value(c, "-target_address_space"), c[-1]) for c in calls_named(calls, "assign_bd_address")]
    control = {c[-1]: option_value(c, "-offset") for c in calls_named(calls, "assign_bd_address") if "-offset" in c}
    assert control == {"engine/s_axi_control/Reg": "0xA0000000", "axi_intc/S_AXI/Reg": "0xA0010000"}
    for master, port in EXPECTED_PORTS.items():
        gp, name = SAXIGP[port]
        mapped = {seg for space, seg in assigned if space == f"engine/Data_{master}"}
        assert mapped == {f"{PS}/{gp}/{name}_DDR_LOW", f"{PS}/{gp}/{name}_DDR_HIGH"}, master
    excluded = {(option_value(c, "-target_address_space"), c[-1]) for c in calls_named(calls, "exclude_bd_addr_seg")}
    assert ("engine/Data_m_axi_gmem_wt", f"{PS}/SAXIGP2/HP0_LPS_OCM") in excluded

    order = [c[0] for c in calls]
    assert order.index("validate_bd_design") < order.index("make_wrapper") < order.index("launch_runs")
    impl = [c for c in calls_named(calls, "launch_runs") if c[1] == "impl_1"][0]
    assert option_value(impl, "-to_step") == "write_bitstream" and option_value(impl, "-jobs") == "6"
    assert order.index("open_run") < order.index("report_utilization")
    utilization = calls_named(calls, "report_utilization")[0]
    assert Path(option_value(utilization, "-file")) == design.out_dir / "utilization.rpt"

    xsa = calls_named(calls, "write_hw_platform")[0]
    assert "-fixed" in xsa and "-include_bit" in xsa
    assert Path(option_value(xsa, "-file")) == design.out_dir / "pyflow_engine.xsa"
    for suffix in (".bit", ".hwh", ".xsa"):  # one basename: PYNQ opens <name>.hwh next to <name>.bit
        assert (design.out_dir / f"pyflow_engine{suffix}").is_file()


@needs_tclsh
def test_missing_board_files_stop_the_script_with_a_message(tmp_path):
    design = BlockDesign.for_board("KV260", tmp_path / "export.zip", tmp_path / "out")
    proc, calls = run_stubbed(write_tcl(design, design.out_dir), tmp_path,
                              FAKE_BOARD_PARTS="xilinx.com:zcu104:part0:1.1")
    assert proc.returncode != 0
    assert "ERROR: [pyflow] the KV260 board files (xilinx.com:kv260_som:part0:1.4) are not installed" in proc.stdout
    assert "xhub::install" in proc.stdout and "board.repoPaths" in proc.stdout
    assert not calls_named(calls, "create_bd_design") and calls[-1] != ["END"]


@needs_tclsh
def test_an_installed_older_board_version_is_used_with_a_warning(tmp_path):
    design = BlockDesign.for_board("KV260", tmp_path / "export.zip", tmp_path / "out")
    proc, calls = run_stubbed(write_tcl(design, design.out_dir), tmp_path,
                              FAKE_BOARD_PARTS="xilinx.com:kv260_som:part0:1.2 xilinx.com:kv260_som:part0:1.3")
    assert proc.returncode == 0, proc.stderr
    assert ("board part xilinx.com:kv260_som:part0:1.4 is not installed; using xilinx.com:kv260_som:part0:1.3"
            in proc.stdout)
    assert ["set_property", "board_part", "xilinx.com:kv260_som:part0:1.3", "project_1"] in calls


@needs_tclsh
@pytest.mark.parametrize("env,message", [
    ({"FAKE_NO_ENGINE_IP": "1"}, "the engine IP user.org:hls:pyflow_engine:1.0 is not in"),
    ({"FAKE_RUN_STATUS": "synth_design ERROR", "FAKE_RUN_PROGRESS": "0%"}, "run synth_1 did not complete"),
    ({"FAKE_NO_BIT": "1"}, "implementation finished without a bitstream"),
])
def test_script_failures_name_their_cause(tmp_path, env, message):
    design = BlockDesign.for_board("ZCU104", tmp_path / "export.zip", tmp_path / "out")
    proc, calls = run_stubbed(write_tcl(design, design.out_dir), tmp_path,
                              FAKE_BOARD_PARTS=BOARD_PARTS["ZCU104"], **env)
    assert proc.returncode != 0 and f"ERROR: [pyflow] {message}" in proc.stdout
    assert not calls_named(calls, "write_hw_platform")


@needs_tclsh
def test_a_ps_without_high_ddr_maps_low_ddr_only(tmp_path):
    design = BlockDesign.for_board("Ultra96-V2", tmp_path / "export.zip", tmp_path / "out")
    proc, calls = run_stubbed(write_tcl(design, design.out_dir), tmp_path,
                              FAKE_BOARD_PARTS=BOARD_PARTS["Ultra96-V2"], FAKE_NO_DDR_HIGH="1")
    assert proc.returncode == 0, proc.stderr
    segs = [c[-1] for c in calls_named(calls, "assign_bd_address") if "-offset" not in c]
    assert len(segs) == 8 and all(seg.endswith("_DDR_LOW") for seg in segs)


@needs_tclsh
def test_an_engine_bus_of_another_width_meets_every_port_in_a_smartconnect(tmp_path):
    design = BlockDesign.for_board("ZCU104", tmp_path / "export.zip", tmp_path / "out", axi_bits=256)
    proc, calls = run_stubbed(write_tcl(design, design.out_dir), tmp_path, FAKE_BOARD_PARTS=BOARD_PARTS["ZCU104"])
    assert proc.returncode == 0, proc.stderr
    edges = intf_edges(calls)
    for master, port in EXPECTED_PORTS.items():
        assert edges[f"engine/{master}"].startswith("sc_") and follow(edges, f"engine/{master}") == port
    assert len(calls_named(calls, "create_bd_cell")) == 4 + 1 + 6  # PS, engine, intc, reset; ctrl_sc; one per port


def test_ports_agree_with_the_engine_source():
    """bitstream.ENGINE_MASTERS, this test's table and hls/src/engine.cpp's bundles and port comment agree."""
    source = (REPO / "hls/src/engine.cpp").read_text()
    bundles = set(re.findall(r"INTERFACE m_axi .*?bundle=(\w+)", source))
    documented = dict(re.findall(r"^//\s+(gmem_\w+)\s+->\s+(S_AXI_\w+)", source, re.M))
    assert {f"m_axi_{b}" for b in bundles} == set(EXPECTED_PORTS)
    assert {f"m_axi_{b}": port for b, port in documented.items()} == EXPECTED_PORTS
    assert dict(bitstream.ENGINE_MASTERS) == EXPECTED_PORTS


def test_the_clock_and_names_are_rendered_as_given(tmp_path):
    design = BlockDesign.for_board("zcu104", tmp_path / "x.zip", tmp_path / "out", 300,
                                   vlnv=ExportVlnv("acme.com", "nn", "1.3", "eng"), name="lite0")
    text = render_tcl(design)
    assert "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {300}" in text
    assert "set engine_vlnv {acme.com:nn:eng:1.3}" in text
    assert "lite0.bit" in text and "lite0.hwh" in text and "lite0.xsa" in text
    assert str(tmp_path) not in text  # every path is relative to the script: the directory can move


@pytest.mark.parametrize("board", ["PYNQ-Z2", "U250", "U280"])
def test_only_mpsoc_boards_are_supported(tmp_path, board):
    with pytest.raises(FlowError, match=r"supported boards: ZCU104, ZCU102, KV260, Ultra96-V2"):
        BlockDesign.for_board(board, tmp_path / "x.zip", tmp_path / "out")
    assert bitstream.supported_boards() == ["ZCU104", "ZCU102", "KV260", "Ultra96-V2"]
    assert all(get_board(name).vivado_board is None for name in board_names()
               if name not in bitstream.supported_boards())


@pytest.mark.parametrize("changes,message", [
    ({"clock_mhz": 0}, "positive"), ({"clock_mhz": float("nan")}, "positive"), ({"clock_mhz": 2500}, "in MHz"),
    ({"name": "my overlay"}, "identifier"), ({"jobs": 0}, "jobs"), ({"axi_bits": 96}, "bus width"),
])
def test_invalid_designs_are_rejected(tmp_path, changes, message):
    args = {"clock_mhz": 200.0, "name": "pyflow_engine", "jobs": 2, "axi_bits": 128} | changes
    with pytest.raises(FlowError, match=message):
        BlockDesign.for_board("ZCU104", tmp_path / "x.zip", tmp_path / "out", args.pop("clock_mhz"), **args)


def test_an_output_path_with_spaces_is_rejected(tmp_path):
    with pytest.raises(FlowError, match="spaces"):
        BlockDesign.for_board("ZCU104", tmp_path / "x.zip", tmp_path / "my out")


# ---------------------------------------------------------------------------------------------------- running

@pytest.fixture
def clean_env(tmp_path):
    """No Vivado anywhere: a PATH with one empty directory and no XILINX_VIVADO."""
    (tmp_path / "empty-bin").mkdir()
    return {"PATH": str(tmp_path / "empty-bin")}


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_without_vivado_one_clear_message_and_nothing_written(tmp_path, clean_env):
    ip = make_ip_zip(tmp_path / "ip" / "export.zip")
    before = tree(tmp_path)
    with pytest.raises(FlowError) as info:
        build_bitstream(ip, "ZCU104", None, tmp_path / "build" / "bitstream", tmp_path / "build" / "reports",
                        env=clean_env, echo=False)
    message = str(info.value)
    for word in ("Vivado not found", "vivado", "PATH", "$XILINX_VIVADO/bin (not set)", "settings64.sh"):
        assert word in message, (word, message)
    assert tree(tmp_path) == before


def test_xilinx_vivado_is_searched_and_shown(tmp_path, clean_env):
    env = clean_env | {"XILINX_VIVADO": str(tmp_path / "Vivado/2024.1")}
    assert bitstream.find_vivado(env) is None
    assert "$XILINX_VIVADO/bin (=" in bitstream.missing_vivado_message(env)
    install_fake_vivado(tmp_path / "Vivado/2024.1/bin")
    assert bitstream.find_vivado(env) == str(tmp_path / "Vivado/2024.1/bin/vivado")


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "run `invoke export-ip` first"),
    (lambda p: p.write_text("not a zip"), "not a valid zip"),
    (lambda p: make_ip_zip(p, component=False), "no component.xml"),
    (lambda p: make_ip_zip(p, ExportVlnv(ipname="engine_top")), "is user.org:hls:engine_top:1.0, expected "
                                                                 "user.org:hls:pyflow_engine:1.0"),
    (lambda p: add_to_zip(make_ip_zip(p), "../../escape.v"), "outside its directory"),
])
def test_a_missing_or_wrong_ip_zip_is_refused_before_anything_is_written(tmp_path, clean_env, make, message):
    ip = tmp_path / "ip" / "export.zip"
    ip.parent.mkdir()
    make(ip)
    before = tree(tmp_path)
    with pytest.raises(FlowError, match=re.escape(message)):
        build_bitstream(ip, "ZCU104", None, tmp_path / "out", tmp_path / "reports", env=clean_env, echo=False)
    assert tree(tmp_path) == before


def install_fake_vivado(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    exe = directory / "vivado"
    exe.write_text(f"#!{sys.executable}\n" + (FIXTURES / "fake_vivado.py").read_text())
    exe.chmod(0o755)
    return directory


@pytest.fixture
def fake_env(tmp_path):
    """A PATH with only the fake vivado, which runs the script under tclsh with the stubs and the fixture reports."""
    if TCLSH is None:
        pytest.skip("tclsh is not installed")
    bin_dir = install_fake_vivado(tmp_path / "bin")
    return {"PATH": str(bin_dir), "FAKE_VIVADO_TCLSH": TCLSH, "FAKE_VIVADO_STUBS": str(STUBS),
            "FAKE_BOARD_PARTS": " ".join(BOARD_PARTS.values()),
            "FAKE_UTIL_REPORT": str(FIXTURES / "utilization_zcu104_2024.rpt"),
            "FAKE_TIMING_REPORT": str(FIXTURES / "timing_met_zcu104.rpt")}


def test_build_end_to_end_with_a_fake_vivado(tmp_path, fake_env):
    ip = make_ip_zip(tmp_path / "ip" / "export.zip")
    out, reports = tmp_path / "build" / "bitstream", tmp_path / "build" / "reports"
    result = build_bitstream(ip, "ZCU104", 200, out, reports, jobs=3, env=fake_env, echo=False)

    for name in ("pyflow_engine.bit", "pyflow_engine.hwh", "pyflow_engine.xsa", "bitstream.tcl", "vivado.log",
                 "vivado.jou", "utilization.rpt", "timing_summary.rpt"):
        assert (out / name).is_file(), name
    assert (out / "ip_repo/user_org_hls_pyflow_engine_1_0/component.xml").is_file()
    assert not bitstream.staging_dir(out).exists()
    calls = (out / "stub_calls.txt").read_text()
    assert "launch_runs\timpl_1\t-to_step\twrite_bitstream\t-jobs\t3" in calls

    record = json.loads((reports / "bitstream.json").read_text())
    assert result.json_path == reports / "bitstream.json"
    assert record["board"] == "ZCU104" and record["part"] == "xczu7ev-ffvc1156-2-e"
    assert record["board_part"] == "xilinx.com:zcu104:part0:1.1" and record["vivado_version"] == "2024.1"
    assert record["clock_mhz"] == 200.0 and record["pl_clock_mhz"] == 200.0
    assert record["timing_met"] is True
    assert record["timing"] == {"wns_ns": 0.154, "tns_ns": 0.0, "tns_failing_endpoints": 0, "whs_ns": 0.01,
                                "ths_ns": 0.0, "ths_failing_endpoints": 0, "wpws_ns": 1.458, "tpws_ns": 0.0}
    assert record["utilization"] == {
        "CLB LUTs": {"used": 98765, "available": 230400, "percent": 42.87},
        "CLB Registers": {"used": 123456, "available": 460800, "percent": 26.79},
        "Block RAM Tile": {"used": 210.5, "available": 312, "percent": 67.47},
        "URAM": {"used": 48, "available": 96, "percent": 50.0},
        "DSPs": {"used": 1100, "available": 1728, "percent": 63.66}}
    assert record["files"]["bit"] == str(out / "pyflow_engine.bit")
    assert record["files"]["hwh"] == str(out / "pyflow_engine.hwh")
    assert record["files"]["xsa"] == str(out / "pyflow_engine.xsa")
    text = result.summary()
    assert "timing MET" in text and "WNS 0.154 ns" in text and "98765" in text and "pyflow_engine.hwh" in text


def test_timing_failure_is_reported_not_hidden(tmp_path, fake_env):
    ip = make_ip_zip(tmp_path / "ip" / "export.zip")
    env = fake_env | {"FAKE_TIMING_REPORT": str(FIXTURES / "timing_failed_kv260.rpt")}
    result = build_bitstream(ip, "KV260", 300, tmp_path / "out", tmp_path / "reports", env=env, echo=False)
    record = json.loads((tmp_path / "reports" / "bitstream.json").read_text())
    assert record["timing_met"] is False and record["timing"]["wns_ns"] == -0.412
    assert record["pl_clock_mhz"] == 299.94
    assert "NOT MET" in result.summary()


@pytest.mark.parametrize("mode,env,message", [
    ("error_line", {}, "ERROR: [Route 35-9] Router failed"),
    ("no_bit", {}, "missing"),
    ("stopped", {}, "the script did not run to its end"),
    ("crash", {}, "vivado exited with code 1"),
    ("pass", {"FAKE_NO_ENGINE_IP": "1"}, "the engine IP user.org:hls:pyflow_engine:1.0 is not in"),
    ("pass", {"FAKE_UTIL_REPORT": str(FIXTURES / "timing_met_zcu104.rpt")}, "is not a Vivado utilization report"),
])
def test_a_failed_run_moves_nothing_into_place(tmp_path, fake_env, mode, env, message):
    ip = make_ip_zip(tmp_path / "ip" / "export.zip")
    out, reports = tmp_path / "out", tmp_path / "reports"
    out.mkdir()
    (out / "pyflow_engine.bit").write_text("the previous, working bitstream")
    with pytest.raises(FlowError) as info:
        build_bitstream(ip, "ZCU104", None, out, reports, env=fake_env | env | {"FAKE_VIVADO_MODE": mode},
                        echo=False)
    assert message in str(info.value)
    assert "the failed run is kept in" in str(info.value)
    assert tree(out) == ["pyflow_engine.bit"] and (out / "pyflow_engine.bit").read_text().startswith("the previous")
    assert not reports.exists()
    assert (bitstream.staging_dir(out) / "vivado.log").is_file()  # kept for inspection


def test_a_passing_run_replaces_the_previous_output_whole(tmp_path, fake_env):
    ip = make_ip_zip(tmp_path / "ip" / "export.zip")
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier build")
    build_bitstream(ip, "ZCU104", None, out, tmp_path / "reports", env=fake_env, echo=False)
    assert not (out / "stale.txt").exists() and (out / "pyflow_engine.bit").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging or old copy left


# ---------------------------------------------------------------------------------------------------- the parsers

def test_utilization_with_the_prohibited_column():
    report = vivado_reports.parse_utilization(FIXTURES / "utilization_zcu104_2024.rpt")
    assert report["resources"] == {
        "CLB LUTs": {"used": 98765, "available": 230400, "percent": 42.87},
        "CLB Registers": {"used": 123456, "available": 460800, "percent": 26.79},
        "Block RAM Tile": {"used": 210.5, "available": 312, "percent": 67.47},
        "URAM": {"used": 48, "available": 96, "percent": 50.0},
        "DSPs": {"used": 1100, "available": 1728, "percent": 63.66}}
    assert report["device"] == "xczu7ev-ffvc1156-2-e" and report["design_state"] == "Routed"
    logic = {row["site_type"]: row for row in report["sections"]["CLB Logic"]}
    assert logic["Register as Latch"]["percent"] == round(100 / 460800, 4)  # printed as <0.01
    assert logic["LUT as Distributed RAM"] == {"site_type": "LUT as Distributed RAM", "level": 2, "used": 6000,
                                               "fixed": 0, "prohibited": None, "available": None, "percent": None}
    assert {row["site_type"] for row in report["sections"]["BLOCKRAM"]} >= {"RAMB36/FIFO", "RAMB18"}


def test_utilization_without_the_prohibited_column():
    report = vivado_reports.parse_utilization(FIXTURES / "utilization_zcu102_2019.rpt")
    assert report["resources"] == {
        "CLB LUTs": {"used": 61234, "available": 274080, "percent": 22.34},
        "CLB Registers": {"used": 80012, "available": 548160, "percent": 14.6},
        "Block RAM Tile": {"used": 412, "available": 912, "percent": 45.18},
        "URAM": {"used": 0, "available": 0, "percent": 0.0},
        "DSPs": {"used": 576, "available": 2520, "percent": 22.86}}
    assert "prohibited" not in report["sections"]["ARITHMETIC"][0]
    assert report["tool_version"].startswith("Vivado v.2019.2")


def test_timing_summary_met():
    report = vivado_reports.parse_timing_summary(FIXTURES / "timing_met_zcu104.rpt")
    assert (report["wns_ns"], report["tns_ns"], report["tns_failing_endpoints"], report["tns_total_endpoints"]) == \
        (0.154, 0.0, 0, 301234)
    assert (report["whs_ns"], report["ths_ns"], report["ths_failing_endpoints"]) == (0.01, 0.0, 0)
    assert (report["wpws_ns"], report["tpws_total_endpoints"]) == (1.458, 134567)
    assert report["met"] is True and report["constrained"] is True
    assert report["clocks"] == [{"name": "clk_pl_0", "period_ns": 5.0, "frequency_mhz": 200.0}]


def test_timing_summary_not_met():
    report = vivado_reports.parse_timing_summary(FIXTURES / "timing_failed_kv260.rpt")
    assert (report["wns_ns"], report["tns_ns"], report["tns_failing_endpoints"]) == (-0.412, -873.219, 4521)
    assert (report["whs_ns"], report["ths_ns"], report["ths_failing_endpoints"]) == (-0.021, -0.063, 3)
    assert report["met"] is False
    assert report["clocks"] == [{"name": "clk_pl_0", "period_ns": 3.334, "frequency_mhz": 299.94}]


def test_unconstrained_values_are_unknown():
    text = (FIXTURES / "timing_met_zcu104.rpt").read_text()
    values = "      0.154        0.000                      0               301234        0.010"
    text = text.replace(values, "        inf        0.000                      0                    0          inf")
    text = text.replace(vivado_reports.TIMING_MET, vivado_reports.NO_CONSTRAINTS)
    report = vivado_reports.parse_timing_summary_text(text)
    assert report["wns_ns"] is None and report["whs_ns"] is None and report["met"] is None
    assert report["constrained"] is False


def test_the_verdict_line_wins_over_the_slacks():
    text = (FIXTURES / "timing_met_zcu104.rpt").read_text()
    assert vivado_reports.parse_timing_summary_text(text.replace(vivado_reports.TIMING_MET,
                                                                 vivado_reports.TIMING_NOT_MET))["met"] is False


def test_without_a_verdict_line_the_slacks_decide():
    text = (FIXTURES / "timing_failed_kv260.rpt").read_text().replace(vivado_reports.TIMING_NOT_MET, "")
    assert vivado_reports.parse_timing_summary_text(text)["met"] is False


@pytest.mark.parametrize("parser,path,message", [
    (vivado_reports.parse_utilization, FIXTURES / "timing_met_zcu104.rpt", "not a Vivado utilization report"),
    (vivado_reports.parse_timing_summary, FIXTURES / "utilization_zcu104_2024.rpt", "not a Vivado timing summary"),
    (vivado_reports.parse_timing_summary, FIXTURES / "stubs.tcl", "not a Vivado timing summary"),
    (vivado_reports.parse_utilization, FIXTURES / "no-such.rpt", "not found"),
])
def test_a_file_that_is_not_the_report_is_refused(parser, path, message):
    with pytest.raises(FlowError, match=message):
        parser(path)


def test_a_truncated_timing_summary_is_refused():
    text = (FIXTURES / "timing_met_zcu104.rpt").read_text()
    cut = text[:text.index("      0.154")]
    with pytest.raises(FlowError, match="cannot read the Design Timing Summary values"):
        vivado_reports.parse_timing_summary_text(cut + "\n      0.154        0.000\n")
