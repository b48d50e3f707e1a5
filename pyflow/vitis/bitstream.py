"""`invoke bitstream`: a Vivado block design around the exported engine IP, built into a PYNQ overlay.

    result = build_bitstream(Path("build/m/vitis/.../export.zip"), "ZCU104", None, Path("build/m/bitstream"),
                             Path("build/m/reports"))
    print(result.summary())

One ``BlockDesign`` (board, IP zip and VLNV, PL clock, output directory) is validated in Python and rendered into
``bitstream.tcl`` (vitis/templates/bitstream.tcl.j2): the Zynq UltraScale+ PS with the board preset, the engine
cell ``engine`` (PYNQ's ``overlay.engine``), its eight m_axi masters on the PS's HP ports as ``ENGINE_MASTERS``
says, its registers and an AXI interrupt controller ``axi_intc`` (which PYNQ's Interrupt class needs) behind
M_AXI_HPM0_FPD, one PL clock and its reset; then synthesis, implementation, the bitstream, the reports of the
routed design, ``<name>.bit`` + ``<name>.hwh`` side by side (PYNQ loads the .hwh with the same basename) and
``<name>.xsa``.

Vivado runs in a staging directory next to the output directory, which replaces the output directory only when the
run passed: the exit code, no ERROR line in the log, the script's last line, and every output file present. A
failed run stays in the staging directory for inspection and nothing is moved into place. The utilization and
timing reports are parsed (pyflow.vitis.vivado_reports) into ``<reports_dir>/bitstream.json``.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pyflow.errors import FlowError
from pyflow.hls.config import AXI_WIDTHS
from pyflow.table import format_rows
from pyflow.vitis import vivado_reports
from pyflow.vitis.boards import Board, board_names, get_board
from pyflow.vitis.flow import TEMPLATE_DIR, ExportVlnv, _environment, atomic_write
from pyflow.vitis.reports import cell, unknown_as_text
from pyflow.vitis.runner import _run_logged, error_lines
from pyflow.vitis.tools import parse_version

# ---------------------------------------------------------------------------------------------------- the design

# The engine's eight m_axi masters (interface names as Vitis HLS generates them: m_axi_<bundle>) and the PS slave
# port each one uses. Fixed by the engine: hls/src/engine.cpp's header comment gives the reasons (two weight loaders
# and two input loaders on ports of their own, the writer beside an input loader because AXI reads and writes use
# separate channels, the ADD's second input beside the fourth weight loader). Masters that share a port meet in one
# AXI SmartConnect.
ENGINE_MASTERS: tuple[tuple[str, str], ...] = (
    ("m_axi_gmem_wt", "S_AXI_HP0_FPD"),
    ("m_axi_gmem_wt_b", "S_AXI_HP1_FPD"),
    ("m_axi_gmem_wt_c", "S_AXI_HPC1_FPD"),
    ("m_axi_gmem_wt_d", "S_AXI_HPC0_FPD"),
    ("m_axi_gmem_fm_rd", "S_AXI_HP2_FPD"),
    ("m_axi_gmem_fm_rd_b", "S_AXI_HP3_FPD"),
    ("m_axi_gmem_fm_rd2", "S_AXI_HPC0_FPD"),
    ("m_axi_gmem_fm_wr", "S_AXI_HP2_FPD"),
)


@dataclass(frozen=True)
class PsSlavePort:
    """One PS-side slave port of zynq_ultra_ps_e: the Vivado configuration names it as S_AXI_GP<gp>
    (PSU__USE__S_AXI_GP<gp>, PSU__SAXIGP<gp>__DATA_WIDTH) and its address segments sit under SAXIGP<gp>/."""

    intf: str
    gp: int
    clock_pin: str


PS_SLAVE_PORTS: dict[str, PsSlavePort] = {port.intf: port for port in (
    PsSlavePort("S_AXI_HPC0_FPD", 0, "saxihpc0_fpd_aclk"),
    PsSlavePort("S_AXI_HPC1_FPD", 1, "saxihpc1_fpd_aclk"),
    PsSlavePort("S_AXI_HP0_FPD", 2, "saxihp0_fpd_aclk"),
    PsSlavePort("S_AXI_HP1_FPD", 3, "saxihp1_fpd_aclk"),
    PsSlavePort("S_AXI_HP2_FPD", 4, "saxihp2_fpd_aclk"),
    PsSlavePort("S_AXI_HP3_FPD", 5, "saxihp3_fpd_aclk"),
)}
HP_DATA_WIDTH = 128  # every HP/HPC port at its widest; an engine bus of another width meets it in a SmartConnect

# Cell names: PYNQ names the IPs of an overlay after their cells (overlay.engine, the interrupt controller it
# looks for by type). The engine's and the interrupt controller's register windows in M_AXI_HPM0_FPD's range;
# pyflow.runtime.board_emulator emulates the same engine address.
PS, ENGINE, INTC, RESET, CONTROL_SC = "zynq_ultra_ps_e_0", "engine", "axi_intc", "rst_pl0", "ctrl_sc"
CONTROL_ADDRESSES = ((f"{ENGINE}/s_axi_control/Reg", 0xA000_0000, "64K"), (f"{INTC}/S_AXI/Reg", 0xA001_0000, "64K"))
_MPSOC_PART = re.compile(r"xc(zu\d+|k2\d)", re.I)  # Zynq UltraScale+ MPSoC parts, Kria K26 included

DEFAULT_NAME = "pyflow_engine"  # <name>.bit / .hwh / .xsa; pyflow.runtime opens build/<model>/bitstream/<this>.bit
TCL_NAME, LOG_NAME, JOURNAL_NAME, CONSOLE_NAME = "bitstream.tcl", "vivado.log", "vivado.jou", "vivado_console.log"
IP_REPO, PROJECT_DIR = "ip_repo", "project"
UTILIZATION_REPORT, TIMING_REPORT = "utilization.rpt", "timing_summary.rpt"
JSON_NAME = "bitstream.json"
DONE_MARKER = "PYFLOW: bitstream done:"  # the script's last line: it ran to the end
PL_CLOCK = "clk_pl_0"  # the timing reports' name of the PS's PL clock 0

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BOARD_PART_LINE = re.compile(r"^pyflow: board part (\S+)", re.M)


def supported_boards() -> list[str]:
    """The presets a block design can be generated for: a Zynq UltraScale+ MPSoC with Vivado board files."""
    return [name for name in board_names() if _supported(get_board(name))]


def _supported(board: Board) -> bool:
    return bool(board.vivado_board) and bool(_MPSOC_PART.match(board.part))


@dataclass(frozen=True)
class BlockDesign:
    """Everything the Vivado script needs; ``for_board`` builds and validates one."""

    board: Board
    ip_zip: Path
    out_dir: Path  # bitstream.tcl, the overlay files, the reports, the Vivado project and log
    clock_mhz: float
    vlnv: ExportVlnv = field(default_factory=ExportVlnv)
    name: str = DEFAULT_NAME
    jobs: int = 2
    axi_bits: int = HP_DATA_WIDTH  # the engine's m_axi data width (EngineConfig.axi_bits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ip_zip", Path(self.ip_zip).absolute())
        object.__setattr__(self, "out_dir", Path(self.out_dir).absolute())

    @classmethod
    def for_board(cls, board: str, ip_zip: Path, out_dir: Path, clock_mhz: float | None = None, *,
                  vlnv: ExportVlnv | None = None, name: str = DEFAULT_NAME, jobs: int = 2,
                  axi_bits: int = HP_DATA_WIDTH) -> BlockDesign:
        """The design for a board preset (``ZCU104``, ``kv260`` ...); clock None: the board's default clock."""
        preset = get_board(board)
        if not _supported(preset):
            raise FlowError(f"no Vivado block design for {preset.name} ({preset.part}): the engine's eight HP-port "
                            f"masters need a Zynq UltraScale+ MPSoC; supported boards: {', '.join(supported_boards())}")
        design = cls(preset, Path(ip_zip), Path(out_dir), preset.clock_mhz if clock_mhz is None else clock_mhz,
                     vlnv or ExportVlnv(), name, jobs, axi_bits)
        validate(design)
        return design

    @property
    def engine_vlnv(self) -> str:
        v = self.vlnv
        return f"{v.vendor}:{v.library}:{v.ipname}:{v.version}"

    @property
    def bd_name(self) -> str:
        return f"{self.name}_bd"

    @property
    def outputs(self) -> dict[str, str]:
        """The files a passing run leaves in out_dir (relative names)."""
        return {"bit": f"{self.name}.bit", "hwh": f"{self.name}.hwh", "xsa": f"{self.name}.xsa",
                "utilization_report": UTILIZATION_REPORT, "timing_report": TIMING_REPORT}


def validate(design: BlockDesign) -> None:
    """Raise one FlowError listing every problem with ``design``."""
    problems = []
    clock = design.clock_mhz
    if isinstance(clock, bool) or not isinstance(clock, (int, float)) or not math.isfinite(clock) or clock <= 0:
        problems.append(f"clock {clock!r} MHz must be a positive number")
    elif clock > 1000:
        problems.append(f"clock {clock} MHz is above 1 GHz; give the clock in MHz")
    if not _NAME.match(design.name or ""):
        problems.append(f"overlay name {design.name!r} must be an identifier (it names the .bit, .hwh and .xsa)")
    if isinstance(design.jobs, bool) or not isinstance(design.jobs, int) or design.jobs < 1:
        problems.append(f"jobs {design.jobs!r} must be a positive integer")
    if design.axi_bits not in AXI_WIDTHS:
        problems.append(f"engine bus width {design.axi_bits!r} must be one of {AXI_WIDTHS} bits")
    if any(ch.isspace() for ch in str(design.out_dir)):
        problems.append(f"output directory {str(design.out_dir)!r} must not contain spaces (Vivado projects "
                        "break on them)")
    if design.out_dir.exists() and not design.out_dir.is_dir():
        problems.append(f"output directory {design.out_dir} exists and is not a directory")
    if not _supported(design.board):
        problems.append(f"board {design.board.name} has no Vivado block design (supported: "
                        f"{', '.join(supported_boards())})")
    if problems:
        raise FlowError("invalid Vivado block design:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------------------------------- rendering

def _clock_text(mhz: float) -> str:
    return f"{mhz:g}"


def port_groups() -> dict[str, list[str]]:
    """PS slave port -> the engine masters on it, in ENGINE_MASTERS order; ports in PS_SLAVE_PORTS order."""
    groups = {intf: [master for master, port in ENGINE_MASTERS if port == intf] for intf in PS_SLAVE_PORTS}
    return {intf: masters for intf, masters in groups.items() if masters}


def _smartconnect_name(intf: str) -> str:
    return "sc_" + intf.removeprefix("S_AXI_").removesuffix("_FPD").lower()  # S_AXI_HP2_FPD -> sc_hp2


def _ps_properties(design: BlockDesign) -> list[tuple[str, str]]:
    """The PS settings on top of the board preset: PL0 at the requested clock, HPM0_FPD and pl_ps_irq0 on, every
    slave port the engine uses on and 128 bits wide."""
    properties = [("PSU__FPGA_PL0_ENABLE", "1"),
                  ("PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ", _clock_text(design.clock_mhz)),
                  ("PSU__USE__M_AXI_GP0", "1"),  # M_AXI_HPM0_FPD: the registers
                  ("PSU__USE__M_AXI_GP1", "0"),  # HPM1_FPD and HPM0_LPD off: a board preset may enable them,
                  ("PSU__USE__M_AXI_GP2", "0"),  # and an enabled master port needs a clock
                  ("PSU__USE__IRQ0", "1")]  # pl_ps_irq0
    for intf in port_groups():
        gp = PS_SLAVE_PORTS[intf].gp
        properties += [(f"PSU__USE__S_AXI_GP{gp}", "1"), (f"PSU__SAXIGP{gp}__DATA_WIDTH", str(HP_DATA_WIDTH))]
    return properties


def _axi(design: BlockDesign) -> tuple[list[dict], list[tuple[str, str]]]:
    """(SmartConnects, interface connections): the registers behind HPM0_FPD, every master on its HP port, through
    a SmartConnect where masters share a port or the engine's bus width is not the port's."""
    smartconnects = [{"name": CONTROL_SC, "num_si": 1, "num_mi": len(CONTROL_ADDRESSES)}]
    connections = [(f"{PS}/M_AXI_HPM0_FPD", f"{CONTROL_SC}/S00_AXI"),
                   (f"{CONTROL_SC}/M00_AXI", f"{ENGINE}/s_axi_control"),
                   (f"{CONTROL_SC}/M01_AXI", f"{INTC}/s_axi")]
    for intf, masters in port_groups().items():
        if len(masters) == 1 and design.axi_bits == HP_DATA_WIDTH:
            connections.append((f"{ENGINE}/{masters[0]}", f"{PS}/{intf}"))
            continue
        sc = _smartconnect_name(intf)
        smartconnects.append({"name": sc, "num_si": len(masters), "num_mi": 1})
        connections += [(f"{ENGINE}/{master}", f"{sc}/S{i:02d}_AXI") for i, master in enumerate(masters)]
        connections.append((f"{sc}/M00_AXI", f"{PS}/{intf}"))
    return smartconnects, connections


def tcl_context(design: BlockDesign) -> dict:
    """The template's values: every name, property and connection spelled out (the template only places them)."""
    board = design.board
    smartconnects, intf_connections = _axi(design)
    clock_pins = [f"{PS}/maxihpm0_fpd_aclk", *(f"{PS}/{PS_SLAVE_PORTS[intf].clock_pin}" for intf in port_groups()),
                  f"{ENGINE}/ap_clk", f"{INTC}/s_axi_aclk", f"{RESET}/slowest_sync_clk",
                  *(f"{sc['name']}/aclk" for sc in smartconnects)]
    nets = [(f"{PS}/pl_resetn0", [f"{RESET}/ext_reset_in"]),
            (f"{RESET}/peripheral_aresetn", [f"{ENGINE}/ap_rst_n", f"{INTC}/s_axi_aresetn"]),
            (f"{RESET}/interconnect_aresetn", [f"{sc['name']}/aresetn" for sc in smartconnects]),
            (f"{ENGINE}/interrupt", [f"{INTC}/intr"]),
            (f"{INTC}/irq", [f"{PS}/pl_ps_irq0"])]
    ddr_maps = [(f"{ENGINE}/Data_{master}", f"{PS}/SAXIGP{PS_SLAVE_PORTS[port].gp}") for master, port in ENGINE_MASTERS]
    outputs = design.outputs
    return {
        "board": board.name, "part": board.part, "vivado_board": board.vivado_board, "name": design.name,
        "bd_name": design.bd_name, "engine_vlnv": design.engine_vlnv, "clock_mhz": _clock_text(design.clock_mhz),
        "jobs": design.jobs, "ps": PS, "engine": ENGINE, "intc": INTC, "reset": RESET,
        "ps_properties": _ps_properties(design), "smartconnects": smartconnects, "intf_connections": intf_connections,
        "clock_source": f"{PS}/pl_clk0", "clock_pins": clock_pins, "nets": nets,
        "control_addresses": [(seg, f"0x{offset:08X}", size) for seg, offset, size in CONTROL_ADDRESSES],
        "ddr_maps": ddr_maps, "bit": outputs["bit"], "hwh": outputs["hwh"], "xsa": outputs["xsa"],
        "utilization_report": UTILIZATION_REPORT, "timing_report": TIMING_REPORT, "done_marker": DONE_MARKER,
    }


def render_tcl(design: BlockDesign, template_dir: Path = TEMPLATE_DIR) -> str:
    """The Vivado batch script for ``design``."""
    validate(design)
    return _environment(template_dir).get_template("bitstream.tcl.j2").render(tcl_context(design))


def write_tcl(design: BlockDesign, directory: Path, template_dir: Path = TEMPLATE_DIR) -> Path:
    """Write ``<directory>/bitstream.tcl`` (atomically); the script finds everything relative to itself."""
    return atomic_write(Path(directory) / TCL_NAME, render_tcl(design, template_dir))


# ---------------------------------------------------------------------------------------------------- inputs

VIVADO = "vivado"
SETUP_HINT = ("set up Vivado in this shell first:  source <Vivado install>/settings64.sh  "
              "(e.g. /tools/Xilinx/Vivado/2024.1/settings64.sh), or put Vivado's bin directory on PATH, "
              "or set XILINX_VIVADO")


def find_vivado(env: Mapping[str, str] | None = None) -> str | None:
    """Absolute path of ``vivado`` on PATH or under $XILINX_VIVADO/bin; None if absent."""
    env = os.environ if env is None else env
    found = shutil.which(VIVADO, path=env.get("PATH", ""))
    if found:
        return str(Path(found).absolute())
    root = env.get("XILINX_VIVADO")
    if root:
        candidate = Path(root) / "bin" / VIVADO
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate.absolute())
    return None


def missing_vivado_message(env: Mapping[str, str] | None = None) -> str:
    """The one message for 'no Vivado here': what was looked for, where, and how to set it up."""
    env = os.environ if env is None else env
    where = f"$XILINX_VIVADO/bin ({'=' + env['XILINX_VIVADO'] if env.get('XILINX_VIVADO') else 'not set'})"
    return f"Vivado not found: looked for {VIVADO} on PATH and in {where}.\nTo fix: {SETUP_HINT}."


def check_ip_zip(path: Path, vlnv: ExportVlnv) -> list[str]:
    """The zip's member names, after checking it is the engine IP: a zip, with component.xml, safe paths, and (when
    component.xml names one) the expected VLNV. FlowError otherwise; reads only."""
    path = Path(path)
    rerun = "run `invoke export-ip` first (Vitis HLS packages the engine as an IP zip)"
    if not path.is_file():
        raise FlowError(f"engine IP not found: {path}; {rerun}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            components = [n for n in names if Path(n).name == "component.xml"]
            xml = archive.read(components[0]) if components else b""
    except (zipfile.BadZipFile, OSError) as exc:
        raise FlowError(f"engine IP {path} is not a valid zip ({exc}); {rerun}") from None
    if not components:
        raise FlowError(f"engine IP {path} has no component.xml: not a Vivado IP; {rerun}")
    unsafe = [n for n in names if n.startswith(("/", "\\")) or ".." in Path(n).parts]
    if unsafe:
        raise FlowError(f"engine IP {path} holds paths outside its directory: {', '.join(unsafe[:3])}")
    found = _component_vlnv(xml)
    expected = f"{vlnv.vendor}:{vlnv.library}:{vlnv.ipname}:{vlnv.version}"
    if found and found != expected:
        raise FlowError(f"engine IP {path} is {found}, expected {expected}: pass the vendor/library/name/version "
                        "the IP was exported with")
    return names


def _component_vlnv(xml: bytes) -> str | None:
    """vendor:library:name:version from an IP-XACT component.xml, or None when it cannot be read."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in root}
    parts = [fields.get(key) for key in ("vendor", "library", "name", "version")]
    return ":".join(parts) if all(parts) else None


# ---------------------------------------------------------------------------------------------------- the result

@dataclass(frozen=True)
class BitstreamResult:
    """A passing build: where everything is, and the parsed reports."""

    design: BlockDesign
    vivado: str
    vivado_version: str
    board_part: str | None  # the board part Vivado used (the table's, or an installed fallback)
    files: dict[str, Path]
    timing: dict
    utilization: dict
    json_path: Path

    @property
    def timing_met(self) -> bool | None:
        return self.timing.get("met")

    @property
    def pl_clock_mhz(self) -> float | None:
        """The PL clock the routed design runs at (the PS rounds the requested one to its dividers)."""
        return next((c["frequency_mhz"] for c in self.timing.get("clocks", []) if c["name"] == PL_CLOCK), None)

    def to_json(self) -> dict:
        """The bitstream.json record; unknown values are the string "unknown" (like the other report files)."""
        d = self.design
        timing = {key: self.timing.get(key) for key in ("wns_ns", "tns_ns", "tns_failing_endpoints", "whs_ns",
                                                        "ths_ns", "ths_failing_endpoints", "wpws_ns", "tpws_ns")}
        return unknown_as_text({
            "board": d.board.name, "part": d.board.part, "board_part": self.board_part,
            "clock_mhz": float(d.clock_mhz), "pl_clock_mhz": self.pl_clock_mhz,
            "ip": {"zip": str(d.ip_zip), "vlnv": d.engine_vlnv}, "vivado": self.vivado,
            "vivado_version": self.vivado_version, "timing_met": self.timing_met, "timing": timing,
            "clocks": self.timing.get("clocks", []), "utilization": self.utilization["resources"],
            "files": {key: str(path) for key, path in self.files.items()},
        })

    def summary(self) -> str:
        d = self.design
        met = {True: "MET", False: "NOT MET (the design may fail on the board: build it at a lower clock)",
               None: "unknown"}
        t = self.timing
        lines = [f"Bitstream for {d.board.name} ({d.board.part}, board part {cell(self.board_part)}, "
                 f"Vivado {self.vivado_version})",
                 f"PL clock {_clock_text(d.clock_mhz)} MHz requested, {cell(self.pl_clock_mhz)} MHz generated",
                 f"timing {met[self.timing_met]}: WNS {cell(t.get('wns_ns'))} ns, TNS {cell(t.get('tns_ns'))} ns, "
                 f"WHS {cell(t.get('whs_ns'))} ns, THS {cell(t.get('ths_ns'))} ns", ""]
        rows = [["resource", "used", "available", "util%"]]
        for key, values in self.utilization["resources"].items():
            rows.append([key, cell(values["used"]), cell(values["available"]), cell(values["percent"])])
        lines += [format_rows(rows, right=(1, 2, 3)), ""]
        lines.append(f"overlay: {self.files['bit']} with {self.files['hwh'].name} beside it (copy both to the board)")
        lines.append(f"xsa:     {self.files['xsa']}")
        lines.append(f"report:  {self.json_path}")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------- running

def build_bitstream(ip_zip: Path, board: str, clock_mhz: float | None, out_dir: Path, reports_dir: Path, *,
                    jobs: int = 2, env: Mapping[str, str] | None = None, echo: bool = True,
                    vlnv: ExportVlnv | None = None, name: str = DEFAULT_NAME, axi_bits: int = HP_DATA_WIDTH,
                    timeout_s: float | None = None, engine_info: Mapping | None = None) -> BitstreamResult:
    """Generate the block design, run Vivado, check and parse its results, move them into ``out_dir`` and write
    ``<reports_dir>/bitstream.json``. FlowError when the design, the IP or Vivado is missing or wrong (nothing
    written), or when the run fails (nothing moved into place; the failed run is kept for inspection).
    ``engine_info``: written as ``<name>.json`` beside the .bit (the engine configuration the board driver checks
    its program against: pyflow.runtime.pynq_backend)."""
    design = BlockDesign.for_board(board, ip_zip, out_dir, clock_mhz, vlnv=vlnv, name=name, jobs=jobs,
                                   axi_bits=axi_bits)
    members = check_ip_zip(design.ip_zip, design.vlnv)
    vivado = find_vivado(env)
    if vivado is None:
        raise FlowError(missing_vivado_message(env))

    staging = staging_dir(design.out_dir)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    _unpack_ip(design, members, staging / IP_REPO)
    tcl = write_tcl(design, staging)
    argv = [vivado, "-mode", "batch", "-notrace", "-source", str(tcl), "-log", str(staging / LOG_NAME),
            "-journal", str(staging / JOURNAL_NAME)]
    returncode = _run_logged(argv, cwd=staging, log=staging / CONSOLE_NAME, env=env, echo=echo, timeout_s=timeout_s)
    text = _log_text(staging)
    problems, timing, utilization = check_run(design, staging, text, returncode)
    if problems:
        raise FlowError(f"Vivado bitstream build FAILED for {design.board.name}:\n  " + "\n  ".join(problems)
                        + f"\n  the failed run is kept in {staging} (log: {staging / LOG_NAME}); "
                        f"{design.out_dir} is unchanged")

    if engine_info is not None:
        atomic_write(staging / f"{name}.json", json.dumps(dict(engine_info), indent=2, sort_keys=True) + "\n")
    _move_into_place(staging, design.out_dir)
    files = {key: design.out_dir / rel for key, rel in design.outputs.items()}
    files |= {"tcl": design.out_dir / TCL_NAME, "log": design.out_dir / LOG_NAME,
              "project": design.out_dir / PROJECT_DIR}
    timing["file"], utilization["file"] = str(files["timing_report"]), str(files["utilization_report"])
    version = parse_version(text)
    match = _BOARD_PART_LINE.search(text)
    result = BitstreamResult(design, vivado, f"{version[0]}.{version[1]}" if version else "unknown",
                             match.group(1) if match else None, files, timing, utilization,
                             Path(reports_dir).absolute() / JSON_NAME)
    atomic_write(result.json_path, json.dumps(result.to_json(), indent=2) + "\n")
    return result


def staging_dir(out_dir: Path) -> Path:
    """Where Vivado runs: next to ``out_dir`` (one file system, so the final move is a rename)."""
    out_dir = Path(out_dir).absolute()
    return out_dir.parent / f".{out_dir.name}.staging"


def _unpack_ip(design: BlockDesign, members: list[str], repo: Path) -> None:
    """The IP zip into ``ip_repo/<vendor>_<library>_<name>_<version>/`` (Vivado scans ip_repo_paths recursively)."""
    v = design.vlnv
    target = repo / "_".join(part.replace(".", "_") for part in (v.vendor, v.library, v.ipname, v.version))
    with zipfile.ZipFile(design.ip_zip) as archive:
        archive.extractall(target, members)


def _log_text(staging: Path) -> str:
    """Vivado's log (-log) and what it printed, once each."""
    texts = [(staging / name).read_text(errors="replace") for name in (LOG_NAME, CONSOLE_NAME)
             if (staging / name).is_file()]
    return "\n".join(texts)


def check_run(design: BlockDesign, staging: Path, text: str, returncode: int) -> tuple[list[str], dict, dict]:
    """(problems, timing, utilization) of a finished Vivado run in ``staging``."""
    problems = []
    if returncode != 0:
        problems.append(f"vivado exited with code {returncode}")
    errors = list(dict.fromkeys(error_lines(text)))
    if errors:
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        problems.append(f"{len(errors)} error line(s){more}:\n    " + "\n    ".join(errors[:3]))
    if DONE_MARKER not in text:
        problems.append(f"the script did not run to its end (no '{DONE_MARKER}' line)")
    for rel in design.outputs.values():
        path = staging / rel
        if not path.is_file() or path.stat().st_size == 0:
            problems.append(f"missing {path}")
    timing = utilization = {}
    if not problems:
        try:
            timing = vivado_reports.parse_timing_summary(staging / TIMING_REPORT)
            utilization = vivado_reports.parse_utilization(staging / UTILIZATION_REPORT)
        except FlowError as exc:
            problems.append(str(exc))
    return problems, timing, utilization


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with renames: out_dir is the old complete result or the new one, never a
    mix."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, old / out_dir.name)
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["ENGINE_MASTERS", "PS_SLAVE_PORTS", "CONTROL_ADDRESSES", "DEFAULT_NAME", "BlockDesign",
           "BitstreamResult", "supported_boards", "validate", "port_groups", "tcl_context", "render_tcl", "write_tcl",
           "find_vivado", "missing_vivado_message", "check_ip_zip", "build_bitstream", "staging_dir", "check_run"]
