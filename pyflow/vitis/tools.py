"""Find the AMD Vitis HLS executables and choose the classic (Tcl) or unified (v++ / vitis-run) flow.

Search order for each executable: PATH, then ``$XILINX_HLS/bin``, then ``$XILINX_VITIS/bin`` (the variables the
``settings64.sh`` scripts set). ``auto`` picks the unified flow when v++ and vitis-run exist and report version
2024.1 or newer, else the classic flow (``vitis_hls -f``, or ``vitis-run --mode hls --tcl`` without vitis_hls).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pyflow.errors import FlowError
from pyflow.vitis.flow import FLOWS

EXECUTABLES = ("vitis_hls", "v++", "vitis-run")
ENV_VARS = ("XILINX_HLS", "XILINX_VITIS")
FLOW_CHOICES = ("auto",) + FLOWS
UNIFIED_MIN_VERSION = (2024, 1)
VERSION_FLAGS = {"vitis_hls": "-version", "v++": "--version", "vitis-run": "--version"}
SETUP_HINT = ("set up the AMD tools in this shell first:  source <Vitis install>/settings64.sh  "
              "(e.g. /tools/Xilinx/Vitis/2024.1/settings64.sh; Vitis HLS 2023.2 and older also ship "
              "<install>/Vitis_HLS/<version>/settings64.sh), or put the tools' bin directory on PATH, "
              "or set XILINX_HLS / XILINX_VITIS")

_VERSION = re.compile(r"\bv(20\d\d)\.(\d+)")  # "... OpenCL v2023.2 (64-bit)", "v++ v2024.1"
_VERSION_LOOSE = re.compile(r"\b(20\d\d)\.(\d+)\b")


@dataclass(frozen=True)
class Tools:
    """The executables found and the flow chosen (``classic`` or ``unified``)."""

    flow: str
    vitis_hls: str | None
    vpp: str | None
    vitis_run: str | None
    version: tuple[int, int] | None

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}" if self.version else "unknown"


def find_tool(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Absolute path of ``name`` on PATH or under $XILINX_HLS/bin, $XILINX_VITIS/bin; None if absent."""
    env = os.environ if env is None else env
    found = shutil.which(name, path=env.get("PATH", ""))
    if found:
        return str(Path(found).absolute())
    for var in ENV_VARS:
        root = env.get(var)
        if root:
            candidate = Path(root) / "bin" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate.absolute())
    return None


def parse_version(text: str) -> tuple[int, int] | None:
    """``(2024, 1)`` from a tool's version banner, or None."""
    match = _VERSION.search(text) or _VERSION_LOOSE.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def tool_version(executable: str, env: Mapping[str, str] | None = None, timeout: float = 120.0) -> tuple[int, int] | None:
    """Run ``<tool> -version`` / ``--version`` and parse the release; None when it cannot be read."""
    flag = VERSION_FLAGS.get(Path(executable).name, "--version")
    try:
        proc = subprocess.run([executable, flag], capture_output=True, text=True, errors="replace",
                              timeout=timeout, env=None if env is None else dict(env))
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_version(proc.stdout + "\n" + proc.stderr)


def missing_tools_message(env: Mapping[str, str] | None = None, wanted: tuple[str, ...] = EXECUTABLES) -> str:
    """The one message for 'no Vitis here': what was looked for, where, and how to set it up."""
    env = os.environ if env is None else env
    where = ", ".join(f"${var}/bin ({'=' + env[var] if env.get(var) else 'not set'})" for var in ENV_VARS)
    return (f"Vitis HLS not found: looked for {', '.join(wanted)} on PATH and in {where}.\n"
            f"To fix: {SETUP_HINT}.")


def discover_tools(flow: str = "auto", env: Mapping[str, str] | None = None) -> Tools:
    """Find the executables and choose the flow; FlowError (writing nothing) when the flow cannot run."""
    if flow not in FLOW_CHOICES:
        raise FlowError(f"unknown Vitis flow {flow!r}; valid: {', '.join(FLOW_CHOICES)}")
    vitis_hls, vpp, vitis_run = (find_tool(name, env) for name in EXECUTABLES)
    if not (vitis_hls or vpp or vitis_run):
        raise FlowError(missing_tools_message(env))

    if flow in ("auto", "unified") and vpp and vitis_run:
        version = tool_version(vpp, env) or tool_version(vitis_run, env)
        if flow == "unified" or (version is not None and version >= UNIFIED_MIN_VERSION):
            return Tools("unified", vitis_hls, vpp, vitis_run, version)
    if flow == "unified":
        missing = [name for name, path in (("v++", vpp), ("vitis-run", vitis_run)) if not path]
        raise FlowError(f"the unified Vitis flow needs {' and '.join(missing)}, not found.\n"
                        + missing_tools_message(env, ("v++", "vitis-run")))
    if vitis_hls or vitis_run:
        version = tool_version(vitis_hls, env) if vitis_hls else tool_version(vitis_run, env)
        return Tools("classic", vitis_hls, vpp, vitis_run, version)
    raise FlowError("found v++ but neither vitis_hls nor vitis-run, which the classic flow needs.\n"
                    + missing_tools_message(env, ("vitis_hls", "vitis-run")))
