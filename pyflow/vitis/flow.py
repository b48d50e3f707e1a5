"""One HLS run description (``HlsRun``) and the files generated from it.

Both Vitis flows come from the same description:
- classic: ``run_<stage>.tcl`` for ``vitis_hls -f`` (or ``vitis-run --mode hls --tcl``), one self-contained script per
  stage (csim, csynth, cosim, export);
- unified (Vitis 2024.1+): ``hls_config.cfg`` for ``v++ -c --mode hls`` and ``vitis-run --mode hls --csim|--cosim|
  --package``.

Python validates and formats every value; the jinja2 templates (``vitis/templates``) only place them. All paths
written into scripts are absolute, so the scripts do not depend on the directory the tool is started from.
"""
from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import jinja2

from pyflow import fileio
from pyflow.errors import FlowError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "vitis" / "templates"  # templates live in the repository, next to hls/ (not installed)

STAGES = ("csim", "csynth", "cosim", "export")
FLOWS = ("classic", "unified")
FLOW_TARGETS = ("vivado", "vitis")
CFG_NAME = "hls_config.cfg"

# (open_project -reset, open_solution -reset) per stage. Synthesis starts from a clean solution; csim refreshes the
# project's file list but keeps synthesis results; cosim and export continue the synthesized solution.
RESETS = {"csim": (True, False), "csynth": (True, True), "cosim": (False, False), "export": (False, False)}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # project / solution / top / IP names (C and Tcl identifiers)
_VLNV_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")  # vendor, library (e.g. user.org, hls)
_VERSION = re.compile(r"\d+\.\d+\Z")  # IP version, e.g. 1.0
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*\Z")  # e.g. xczu7ev-ffvc1156-2-e
_UNSAFE = re.compile(r"[{}\\\n\r]")  # breaks Tcl brace quoting or a cfg line


@dataclass(frozen=True)
class ExportVlnv:
    """Vendor:Library:Name:Version of the exported Vivado IP."""

    vendor: str = "user.org"
    library: str = "hls"
    version: str = "1.0"
    ipname: str = "pyflow_engine"


@dataclass(frozen=True)
class HlsRun:
    """Everything one Vitis HLS run needs; ``validate`` checks it before anything is rendered."""

    project: str
    top: str
    sources: tuple[Path, ...]
    testbench: tuple[Path, ...]
    part: str
    clock_mhz: float
    work_dir: Path  # e.g. build/<model>/vitis: scripts, logs and the project live here
    cflags: str = "-std=c++14"  # synthesis (and simulation) flags for the sources
    tb_cflags: str = "-std=c++14"  # flags for the testbench files
    csim_cflags: str = ""  # extra flags for the sources in csim/cosim only (add_files -csimflags)
    tb_argv: str = ""  # testbench arguments, e.g. "--layers 0:3" (use absolute paths for any data files)
    flow_target: str = "vivado"
    solution: str = "solution1"
    vlnv: ExportVlnv = field(default_factory=ExportVlnv)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(Path(p).absolute() for p in self.sources))
        object.__setattr__(self, "testbench", tuple(Path(p).absolute() for p in self.testbench))
        object.__setattr__(self, "work_dir", Path(self.work_dir).absolute())

    @property
    def clock_period_ns(self) -> str:
        """The clock period as written into the scripts: 200 MHz -> "5", 300 MHz -> "3.333"."""
        return f"{round(1000.0 / self.clock_mhz, 3):g}"


@dataclass(frozen=True)
class Layout:
    """Where a flow puts its outputs under ``HlsRun.work_dir``."""

    flow: str
    project_dir: Path  # classic: the vitis_hls project; unified: the component (--work_dir)
    solution_dir: Path  # classic: <project>/<solution>; unified: <component>/hls

    @property
    def syn_report_dir(self) -> Path:
        return self.solution_dir / "syn" / "report"

    @property
    def sim_report_dir(self) -> Path:
        return self.solution_dir / "sim" / "report"

    @property
    def impl_dir(self) -> Path:
        return self.solution_dir / "impl"

    def export_zip_candidates(self) -> list[Path]:
        """Where the packaged IP zip can be, most specific first (newest tools write the first that exists)."""
        impl = self.impl_dir
        if self.flow == "classic":
            # Vitis HLS: impl/export.zip; Vivado HLS: impl/ip/<vendor>_<library>_<name>_<version>.zip
            return [impl / "export.zip", *sorted(impl.glob("ip/*.zip"))]
        # unified: <component>.zip in impl, the VLNV-named zip in impl/ip, or next to the component
        return [*sorted(impl.glob("*.zip")), *sorted(impl.glob("ip/*.zip")), *sorted(self.project_dir.glob("*.zip"))]


def layout(run: HlsRun, flow: str) -> Layout:
    if flow not in FLOWS:
        raise FlowError(f"unknown Vitis flow {flow!r}; valid: {', '.join(FLOWS)}")
    project_dir = run.work_dir / run.project
    solution_dir = project_dir / (run.solution if flow == "classic" else "hls")
    return Layout(flow, project_dir, solution_dir)


def log_path(run: HlsRun, stage: str) -> Path:
    return run.work_dir / f"{stage}.log"


def make_cflags(include_dirs: Iterable[Path] = (), defines: Iterable[str] = (), std: str = "c++14",
                extra: str = "") -> str:
    """``-std=c++14 -I<abs dir>... -D<define>...`` (+ extra), the form both flows take."""
    words = [f"-std={std}"] if std else []
    words += [f"-I{Path(d).absolute()}" for d in include_dirs]
    words += [d if d.startswith("-D") else f"-D{d}" for d in defines]
    if extra:
        words.append(extra)
    return " ".join(words)


def engine_run(build_dir: Path, *, part: str, clock_mhz: float, project: str = "engine",
               top: str = "engine_top", sources: Sequence[Path] | None = None,
               testbench: Sequence[Path] | None = None, include_dirs: Sequence[Path] | None = None,
               defines: Sequence[str] = (), tb_argv: str = "", flow_target: str = "vivado",
               vlnv: ExportVlnv | None = None, solution: str = "solution1", repo_root: Path = REPO_ROOT) -> HlsRun:
    """The layer engine's run with the repository defaults.

    Defaults: sources ``hls/src/*.cpp``, testbench ``hls/tb/*.cpp``, include dirs ``hls/src`` and the generated
    ``<build_dir>/hls/include`` (where pyflow.hls.codegen writes engine_config.h); scripts, logs and the project
    go to ``<build_dir>/vitis``.
    """
    build_dir = Path(build_dir).absolute()
    hls = Path(repo_root) / "hls"
    if sources is None:
        sources = sorted((hls / "src").glob("*.cpp"))
    if testbench is None:
        testbench = sorted((hls / "tb").glob("*.cpp"))
    if include_dirs is None:
        include_dirs = [hls / "src", build_dir / "hls" / "include"]
    cflags = make_cflags(include_dirs, defines)
    tb_includes = [*include_dirs, hls / "tb"] if (hls / "tb").is_dir() else list(include_dirs)
    return HlsRun(project=project, top=top, sources=tuple(sources), testbench=tuple(testbench), part=part,
                  clock_mhz=clock_mhz, work_dir=build_dir / "vitis", cflags=cflags,
                  tb_cflags=make_cflags(tb_includes, defines), tb_argv=tb_argv, flow_target=flow_target,
                  solution=solution, vlnv=vlnv or ExportVlnv(ipname=top))


# ---------------------------------------------------------------------------------------------------- validation

def validate(run: HlsRun, stage: str | None = None) -> None:
    """Raise one FlowError listing every problem with ``run`` (for ``stage``, if given)."""
    problems: list[str] = []
    if stage is not None and stage not in STAGES:
        problems.append(f"unknown stage {stage!r} (valid: {', '.join(STAGES)})")
    for label, value in (("project", run.project), ("top function", run.top), ("solution", run.solution)):
        if not _NAME.match(value or ""):
            problems.append(f"{label} {value!r} must be a C identifier")
    if not _PART.match(run.part or ""):
        problems.append(f"part {run.part!r} must be a non-empty Xilinx part name like xczu7ev-ffvc1156-2-e")
    if not isinstance(run.clock_mhz, (int, float)) or not math.isfinite(run.clock_mhz) or run.clock_mhz <= 0:
        problems.append(f"clock {run.clock_mhz!r} MHz must be a positive number")
    elif run.clock_mhz > 1000:
        problems.append(f"clock {run.clock_mhz} MHz is above 1 GHz; give the clock in MHz")
    if run.flow_target not in FLOW_TARGETS:
        problems.append(f"flow target {run.flow_target!r} must be one of {', '.join(FLOW_TARGETS)}")
    if not run.sources:
        problems.append("no source files (expected e.g. hls/src/engine.cpp)")
    needs_tb = stage in (None, "csim", "cosim")
    if needs_tb and not run.testbench:
        problems.append("no testbench files (expected e.g. hls/tb/tb_main.cpp)")
    for path in (*run.sources, *run.testbench):
        if not path.is_file():
            problems.append(f"missing file {path}")
        problems += _path_problems(path)
    problems += _path_problems(run.work_dir)
    for label, text in (("cflags", run.cflags), ("tb_cflags", run.tb_cflags), ("csim_cflags", run.csim_cflags),
                        ("tb_argv", run.tb_argv)):
        if _UNSAFE.search(text):
            problems.append(f"{label} {text!r} must not contain braces, backslashes or line breaks")
    for flags in (run.cflags, run.tb_cflags, run.csim_cflags):
        for word in flags.split():
            if word.startswith("-I") and len(word) > 2 and not Path(word[2:]).is_dir():
                problems.append(f"include directory {word[2:]} does not exist (run the code generator first?)")
    vlnv = run.vlnv
    for label, value in (("vendor", vlnv.vendor), ("library", vlnv.library)):
        if not _VLNV_PART.match(value or ""):
            problems.append(f"IP {label} {value!r} may hold only letters, digits, '_', '.', '-'")
    if not _VERSION.match(vlnv.version or ""):
        problems.append(f"IP version {vlnv.version!r} must look like 1.0 (digits.digits)")
    if not _NAME.match(vlnv.ipname or ""):
        problems.append(f"IP name {vlnv.ipname!r} must be an identifier")
    if problems:
        unique = list(dict.fromkeys(problems))
        raise FlowError("invalid Vitis HLS run:\n  " + "\n  ".join(unique))


def _path_problems(path: Path) -> list[str]:
    text = str(path)
    if any(ch.isspace() for ch in text) or _UNSAFE.search(text):
        return [f"path {text!r} must not contain spaces, braces or backslashes (Vitis splits file lists on them)"]
    return []


# ---------------------------------------------------------------------------------------------------- rendering

def _tcl_word(value: object) -> str:
    """Brace-quote one Tcl word ({...} keeps $, [ ] and spaces literal); validate() keeps braces out."""
    text = str(value)
    if _UNSAFE.search(text):
        raise FlowError(f"cannot quote {text!r} for Tcl")
    return "{" + text + "}"


def _environment(template_dir: Path) -> jinja2.Environment:
    if not (Path(template_dir) / "run_hls.tcl.j2").is_file():
        raise FlowError(f"Vitis templates not found in {template_dir}: run from a checkout of the repository "
                        "(pip install -e .) or pass template_dir")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["tcl"] = _tcl_word
    return env


def _context(run: HlsRun) -> dict:
    return {
        "project": run.project, "top": run.top, "solution": run.solution, "part": run.part,
        "clock_period_ns": run.clock_period_ns, "clock_mhz": f"{run.clock_mhz:g}", "flow_target": run.flow_target,
        "sources": [str(p) for p in run.sources], "testbench": [str(p) for p in run.testbench],
        "cflags": run.cflags, "tb_cflags": run.tb_cflags, "csim_cflags": run.csim_cflags, "tb_argv": run.tb_argv,
        "vendor": run.vlnv.vendor, "library": run.vlnv.library, "version": run.vlnv.version,
        "ipname": run.vlnv.ipname, "work_dir": str(run.work_dir),
    }


def render_tcl(run: HlsRun, stage: str, template_dir: Path = TEMPLATE_DIR) -> str:
    """The classic-flow script for one stage (csim, csynth, cosim or export)."""
    validate(run, stage)
    reset_project, reset_solution = RESETS[stage]
    script = f"run_{stage}.tcl"
    context = _context(run) | {
        "stage": stage, "reset_project": reset_project, "reset_solution": reset_solution,
        "command_line": f"cd {shlex.quote(str(run.work_dir))} && vitis_hls -f {script}",
        "command_line_alt": f"vitis-run --mode hls --tcl {script}",
    }
    return _environment(template_dir).get_template("run_hls.tcl.j2").render(context)


def render_cfg(run: HlsRun, template_dir: Path = TEMPLATE_DIR) -> str:
    """The unified-flow config (one file serves synthesis, csim, cosim and package)."""
    validate(run)
    cfg = run.work_dir / CFG_NAME
    component = layout(run, "unified").project_dir
    commands = {stage: shlex.join(unified_argv(stage, cfg, component)) for stage in STAGES}
    context = _context(run) | {"commands": commands}
    return _environment(template_dir).get_template("hls_config.cfg.j2").render(context)


def unified_argv(stage: str, cfg: Path, component_dir: Path, vpp: str = "v++",
                 vitis_run: str = "vitis-run") -> list[str]:
    """The unified-flow command for one stage."""
    common = ["--mode", "hls", "--config", str(cfg), "--work_dir", str(component_dir)]
    if stage == "csynth":
        return [vpp, "-c", *common]
    actions = {"csim": "--csim", "cosim": "--cosim", "export": "--package"}
    if stage not in actions:
        raise FlowError(f"unknown stage {stage!r} (valid: {', '.join(STAGES)})")
    return [vitis_run, "--mode", "hls", actions[stage], *common[2:]]


def classic_argv(script: Path, vitis_hls: str | None = "vitis_hls", vitis_run: str | None = None) -> list[str]:
    """``vitis_hls -f script``, or ``vitis-run --mode hls --tcl script`` where vitis_hls is gone (2024.2+)."""
    if vitis_hls:
        return [vitis_hls, "-f", str(script)]
    if vitis_run:
        return [vitis_run, "--mode", "hls", "--tcl", str(script)]
    raise FlowError("classic flow needs vitis_hls or vitis-run")


# ---------------------------------------------------------------------------------------------------- writing

def atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` atomically (pyflow.fileio) and return the path."""
    fileio.write_text(path, text)
    return Path(path)


def write_tcl(run: HlsRun, stage: str, template_dir: Path = TEMPLATE_DIR) -> Path:
    """Render and write ``<work_dir>/run_<stage>.tcl``."""
    text = render_tcl(run, stage, template_dir)
    return atomic_write(run.work_dir / f"run_{stage}.tcl", text)


def write_cfg(run: HlsRun, template_dir: Path = TEMPLATE_DIR) -> Path:
    """Render and write ``<work_dir>/hls_config.cfg``."""
    text = render_cfg(run, template_dir)
    return atomic_write(run.work_dir / CFG_NAME, text)
