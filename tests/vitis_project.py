"""A fake repository for the Vitis tests: tiny hls/src and hls/tb sources and a build dir, described by
`pyflow.vitis.flow.engine_run` exactly as the real engine is."""
from __future__ import annotations

from pathlib import Path

from pyflow.vitis.flow import ExportVlnv, HlsRun, engine_run

SOURCES = {"hls/src/engine.cpp": "void engine_top() {}\n", "hls/src/requant.cpp": "int requant() { return 0; }\n",
           "hls/tb/tb_main.cpp": "int main() { return 0; }\n"}


def fake_engine_run(root: Path, *, part: str, clock_mhz: float, version: str, defines=(),
                    sources=SOURCES) -> HlsRun:
    (root / "build/m/hls/include").mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return engine_run(root / "build/m", part=part, clock_mhz=clock_mhz, repo_root=root, defines=list(defines),
                      tb_argv="--layers 0:3", vlnv=ExportVlnv("user.org", "hls", version, "engine_top"))
