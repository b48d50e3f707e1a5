"""Run one Vitis HLS stage (csim, csynth, cosim, export) and decide pass/fail from its log and reports.

The exit code alone is not trusted (Vitis returns 0 after many failures). Each stage must show:
- csim:   ``CSim done with 0 errors``, no error lines, and the testbench's last verdict ``TB RESULT: PASS``;
- csynth: no error lines and a fresh csynth report;
- cosim:  ``*** C/RTL co-simulation finished: PASS ***``, a fresh ``<top>_cosim.rpt`` whose status is Pass, and
  no ``TB RESULT: FAIL`` from the testbench;
- export: no error lines and a fresh IP zip that holds component.xml.
The log goes to ``<work_dir>/<stage>.log`` (and to the console). A failure raises FlowError naming the log.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from pyflow.errors import FlowError
from pyflow.vitis import reports
from pyflow.vitis.flow import (STAGES, HlsRun, Layout, atomic_write, classic_argv, layout, log_path,
                               unified_argv, validate, write_cfg, write_tcl)
from pyflow.vitis.tools import Tools, discover_tools

# The testbench ends with exactly one of these lines (hls/tb prints it; "FAIL" may be followed by a reason).
TB_RESULT = "TB RESULT:"
TB_PASS = "TB RESULT: PASS"
TB_FAIL = "TB RESULT: FAIL"
CSIM_DONE = "CSim done with 0 errors"
COSIM_PASS = "*** C/RTL co-simulation finished: PASS ***"
COSIM_FAIL = "*** C/RTL co-simulation finished: FAIL ***"
_ERROR_LINE = re.compile(r"^\s*(ERROR:|ERR:|@E )")  # Vitis HLS "ERROR: [HLS 200-...]", 2024+ "ERR:", Vivado HLS "@E "
_STALE_SLACK_S = 2.0  # file-system timestamp granularity


@dataclass(frozen=True)
class StageResult:
    """A stage that passed: what ran, where its log is, and the parsed report."""

    stage: str
    flow: str
    tool_version: str
    command: tuple[str, ...]
    log: Path
    returncode: int
    report: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The JSON record; in the report, an unknown value (None: ``undef``, ``?``, a negative bound) is the
        string "unknown"."""
        return {"stage": self.stage, "flow": self.flow, "tool_version": self.tool_version,
                "command": list(self.command), "log": str(self.log), "returncode": self.returncode,
                "report": reports.unknown_as_text(self.report)}

    def summary(self) -> str:
        """A readable table of the stage's report."""
        if self.stage == "csynth":
            return reports.format_csynth(self.report)
        if self.stage == "cosim":
            return reports.format_cosim(self.report)
        if self.stage == "export":
            return reports.format_export(self.report)
        return f"C simulation: {self.report.get('verdict', TB_PASS)}\n"


def run_stage(run: HlsRun, stage: str, *, flow: str = "auto", env: Mapping[str, str] | None = None,
              echo: bool = True, timeout_s: float | None = None, tools: Tools | None = None) -> StageResult:
    """Generate the stage's script/config, run the tool, check log and reports; FlowError on any failure.

    Nothing is written before the tools are found and ``run`` is valid. ``tools``: an earlier
    `discover_tools` result, so the executables are not looked up (and their versions asked) twice.
    """
    if stage not in STAGES:
        raise FlowError(f"unknown Vitis stage {stage!r}; valid: {', '.join(STAGES)}")
    tools = tools or discover_tools(flow, env)
    validate(run, stage)
    where = layout(run, tools.flow)
    if stage in ("cosim", "export"):
        _require_synthesis(run, where)

    run.work_dir.mkdir(parents=True, exist_ok=True)
    argv = stage_argv(run, stage, tools)
    log = log_path(run, stage)
    started = time.time()
    returncode = _run_logged(argv, cwd=run.work_dir, log=log, env=env, echo=echo, timeout_s=timeout_s)
    text = log.read_text(errors="replace")
    problems, report = CHECKS[stage](text, returncode, run, where, started)
    if problems:
        raise FlowError(f"Vitis HLS {stage} FAILED ({tools.flow} flow):\n  " + "\n  ".join(problems)
                        + f"\n  log: {log}")
    return StageResult(stage, tools.flow, tools.version_text, tuple(argv), log, returncode, report)


def stage_argv(run: HlsRun, stage: str, tools: Tools) -> list[str]:
    """Write the stage's script (classic) or config (unified) and return the command that runs it."""
    if tools.flow == "classic":
        return classic_argv(write_tcl(run, stage), tools.vitis_hls, tools.vitis_run)
    cfg = write_cfg(run)
    return unified_argv(stage, cfg, layout(run, "unified").project_dir, tools.vpp or "v++",
                        tools.vitis_run or "vitis-run")


def save_result(result: StageResult, reports_dir: Path) -> Path:
    """Write ``<reports_dir>/vitis_<stage>.json`` (atomically)."""
    path = Path(reports_dir) / f"vitis_{result.stage}.json"
    return atomic_write(path, json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------------- running

def _run_logged(argv: list[str], *, cwd: Path, log: Path, env: Mapping[str, str] | None, echo: bool,
                timeout_s: float | None) -> int:
    """Run ``argv`` with stdout+stderr tee'd to ``log`` (and the console when ``echo``)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8", errors="replace") as out:
        out.write(f"# pyflow: {' '.join(argv)}\n# cwd: {cwd}\n")
        out.flush()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=None if env is None else dict(env), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1)
        except OSError as exc:
            raise FlowError(f"cannot start {argv[0]}: {exc}") from None
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, _kill) if timeout_s else None
        if timer:
            timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                if echo:
                    sys.stdout.write(line)
            returncode = proc.wait()
        finally:
            if timer:
                timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if timed_out.is_set():
            out.write(f"# pyflow: killed after {timeout_s} s (timeout)\n")
    return returncode


def _require_synthesis(run: HlsRun, where: Layout) -> None:
    report_dir = where.syn_report_dir
    if not ((report_dir / "csynth.xml").is_file() or (report_dir / f"{run.top}_csynth.xml").is_file()):
        raise FlowError(f"no synthesis results in {report_dir}: run csynth before cosim/export")


# ---------------------------------------------------------------------------------------------------- checks

def error_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _ERROR_LINE.match(line)]


def tb_verdict(text: str) -> str | None:
    """The testbench's last ``TB RESULT: ...`` line, or None."""
    verdicts = [line.strip() for line in text.splitlines() if line.strip().startswith(TB_RESULT)]
    return verdicts[-1] if verdicts else None


def _common(text: str, returncode: int, check_errors: bool = True) -> list[str]:
    problems = []
    if returncode != 0:
        problems.append(f"the tool exited with code {returncode}")
    if check_errors:
        errors = error_lines(text)
        if errors:
            more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
            problems.append(f"{len(errors)} error line(s){more}:\n    " + "\n    ".join(errors[:3]))
    return problems


def _fresh(path: Path, started: float) -> str | None:
    """A problem if ``path`` is missing or older than this run."""
    if not path.is_file():
        return f"missing {path}"
    if path.stat().st_mtime < started - _STALE_SLACK_S:
        return f"{path} is older than this run (stale result from an earlier run)"
    return None


def check_csim(text: str, returncode: int, run: HlsRun, where: Layout, started: float) -> tuple[list[str], dict]:
    problems = _common(text, returncode)
    if CSIM_DONE not in text:
        problems.append(f"no '{CSIM_DONE}' line")
    verdict = tb_verdict(text)
    if verdict is None:
        problems.append(f"the testbench printed no '{TB_RESULT} PASS|FAIL' line")
    elif verdict != TB_PASS:
        problems.append(f"the testbench says: {verdict}")
    return problems, {"verdict": verdict}


def check_csynth(text: str, returncode: int, run: HlsRun, where: Layout,
                 started: float) -> tuple[list[str], dict]:
    problems = _common(text, returncode)
    report_dir = where.syn_report_dir
    summary = report_dir / "csynth.xml"
    top_report = report_dir / f"{run.top}_csynth.xml"
    if not (summary.is_file() or top_report.is_file()):
        return problems + [f"no synthesis report in {report_dir} (csynth.xml)"], {}
    stale = _fresh(summary if summary.is_file() else top_report, started)
    if stale:
        return problems + [stale], {}
    try:
        report = reports.parse_csynth(report_dir, run.top)
    except FlowError as exc:
        return problems + [str(exc)], {}
    return problems, report


def check_cosim(text: str, returncode: int, run: HlsRun, where: Layout, started: float) -> tuple[list[str], dict]:
    problems = _common(text, returncode, check_errors=False)
    if COSIM_PASS not in text:
        problems.append(f"no '{COSIM_PASS}' line" + (" (the log says FAIL)" if COSIM_FAIL in text else ""))
    verdict = tb_verdict(text)
    if verdict is not None and verdict != TB_PASS:
        problems.append(f"the testbench says: {verdict}")
    rpt = where.sim_report_dir / f"{run.top}_cosim.rpt"
    stale = _fresh(rpt, started)
    if stale:
        return problems + [stale], {}
    report = reports.parse_cosim(rpt)
    if report["status"] != "Pass":
        problems.append(f"cosim report status is {report['status'] or 'NA'} ({rpt})")
    return problems, report


def check_export(text: str, returncode: int, run: HlsRun, where: Layout,
                 started: float) -> tuple[list[str], dict]:
    problems = _common(text, returncode)
    candidates = [path for path in where.export_zip_candidates() if path.is_file()]
    fresh = [path for path in candidates if _fresh(path, started) is None]
    if not fresh:
        looked = ", ".join(str(p) for p in candidates) or str(where.impl_dir / "export.zip")
        return problems + [f"no IP zip written by this run (looked at {looked})"], {}
    report = reports.parse_export(fresh[0])
    if not report["has_component_xml"]:
        problems.append(f"{fresh[0]} has no component.xml: not a Vivado IP")
    problems += [f"register map of {report['driver_header']} disagrees with pyflow.hls.register_map: {p}"
                 for p in report["register_map_problems"]]
    return problems, report


CHECKS: dict[str, Callable[[str, int, HlsRun, Layout, float], tuple[list[str], dict]]] = {
    "csim": check_csim, "csynth": check_csynth, "cosim": check_cosim, "export": check_export,
}

__all__ = ["TB_RESULT", "TB_PASS", "TB_FAIL", "CSIM_DONE", "COSIM_PASS", "StageResult", "run_stage",
           "save_result", "stage_argv", "error_lines", "tb_verdict"]
