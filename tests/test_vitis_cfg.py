"""Unified-flow hls_config.cfg: parse the generated file and check keys and values."""
from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from vitis_project import fake_engine_run
from pyflow.errors import FlowError
from pyflow.vitis.flow import CFG_NAME, layout, render_cfg, unified_argv, write_cfg


def parse_cfg(text: str) -> dict[str, dict[str, list[str]]]:
    """key=value lines grouped by [section] ("" before the first); repeated keys keep every value in order."""
    sections: dict[str, dict[str, list[str]]] = {"": {}}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not key=value: {raw!r}"
        sections[current].setdefault(key.strip(), []).append(value.strip())
    return sections


def make_run(tmp_path: Path, **changes):
    run = fake_engine_run(tmp_path, part="xck26-sfvc784-2LV-c", clock_mhz=250.0, version="2.1",
                          defines=["FLAVOR_KV260"])
    return replace(run, **changes)


def test_cfg_keys_and_values(tmp_path):
    run = make_run(tmp_path)
    path = write_cfg(run)
    assert path == run.work_dir / CFG_NAME
    cfg = parse_cfg(path.read_text())

    assert cfg[""] == {"part": ["xck26-sfvc784-2LV-c"]}  # part= comes before [hls]
    hls = cfg["hls"]
    single = {key: values[0] for key, values in hls.items() if len(values) == 1}
    assert single["flow_target"] == "vivado"
    assert single["clock"] == "4ns"
    assert single["syn.top"] == "engine_top"
    assert hls["syn.file"] == [str(tmp_path / "hls/src/engine.cpp"), str(tmp_path / "hls/src/requant.cpp")]
    assert hls["tb.file"] == [str(tmp_path / "hls/tb/tb_main.cpp")]
    assert single["syn.cflags"].split() == ["-std=c++14", f"-I{tmp_path / 'hls/src'}",
                                            f"-I{tmp_path / 'build/m/hls/include'}", "-DFLAVOR_KV260"]
    assert f"-I{tmp_path / 'hls/tb'}" in single["tb.cflags"].split()
    assert single["csim.argv"] == "--layers 0:3"
    assert single["cosim.argv"] == "--layers 0:3"
    assert single["cosim.tool"] == "xsim"
    assert single["cosim.rtl"] == "verilog"
    assert single["cosim.trace_level"] == "none"
    assert single["package.output.format"] == "ip_catalog"
    assert single["package.ip.vendor"] == "user.org"
    assert single["package.ip.library"] == "hls"
    assert single["package.ip.name"] == "engine_top"
    assert single["package.ip.version"] == "2.1"
    assert "syn.csimflags" not in hls  # only written when given
    for file in hls["syn.file"] + hls["tb.file"]:
        assert Path(file).is_absolute() and Path(file).is_file()


def test_cfg_names_the_commands_that_use_it(tmp_path):
    run = make_run(tmp_path)
    text = render_cfg(run)
    cfg_path = run.work_dir / CFG_NAME
    component = layout(run, "unified").project_dir
    assert component == run.work_dir / "engine"
    for stage, action in (("csynth", "-c"), ("csim", "--csim"), ("cosim", "--cosim"), ("export", "--package")):
        argv = unified_argv(stage, cfg_path, component)
        assert action in argv and argv[argv.index("--config") + 1] == str(cfg_path)
        assert argv[argv.index("--work_dir") + 1] == str(component)
        assert shlex.join(argv) in text
    assert unified_argv("csynth", cfg_path, component)[:4] == ["v++", "-c", "--mode", "hls"]
    assert unified_argv("export", cfg_path, component)[:4] == ["vitis-run", "--mode", "hls", "--package"]


def test_cfg_optional_keys(tmp_path):
    run = make_run(tmp_path, tb_argv="", csim_cflags="-DTB_VERBOSE=1", flow_target="vitis")
    hls = parse_cfg(render_cfg(run))["hls"]
    assert "csim.argv" not in hls and "cosim.argv" not in hls
    assert hls["syn.csimflags"] == ["-DTB_VERBOSE=1"]
    assert hls["flow_target"] == ["vitis"]


def test_cfg_rejects_invalid_runs_without_writing(tmp_path):
    run = make_run(tmp_path, clock_mhz=float("nan"))
    with pytest.raises(FlowError, match="positive"):
        write_cfg(run)
    assert not (run.work_dir / CFG_NAME).exists()


def test_cfg_rewrite_is_atomic_and_leaves_no_temp_files(tmp_path):
    run = make_run(tmp_path)
    write_cfg(run)
    write_cfg(replace(run, clock_mhz=200.0))
    assert parse_cfg((run.work_dir / CFG_NAME).read_text())["hls"]["clock"] == ["5ns"]
    assert sorted(p.name for p in run.work_dir.iterdir()) == [CFG_NAME]
