"""The s_axilite register map, from the one descriptor definition: offsets by the Vitis control-bundle layout,
the Markdown table, and the check against the x<top>_hw.h of an exported IP."""
from __future__ import annotations

import zipfile
from pathlib import Path

from pyflow.hls import register_map as rm
from pyflow.hls.descriptor import DESC_FIELDS
from pyflow.vitis import reports

FIXTURE = Path(__file__).parent / "fixtures" / "vitis" / "driver" / "xsmall_top_hw.h"


def test_parse_a_vitis_driver_header():
    """A header in the format Vitis HLS 2022.2 writes (a small top: a 3-field struct and two pointers)."""
    found = rm.parse_hw_header(FIXTURE.read_text())
    assert found == {"desc": {"addr": 0x10, "bits": 96}, "fm_in": {"addr": 0x20, "bits": 64},
                     "wt": {"addr": 0x2C, "bits": 64}}
    # the same layout rule the register map uses: data words, then one reserved word
    assert found["fm_in"]["addr"] == 0x10 + 3 * 4 + 4 and found["wt"]["addr"] == found["fm_in"]["addr"] + 8 + 4


def test_every_descriptor_field_has_its_word():
    assert rm.DESC_BASE == 0x10
    assert [rm.field_offset(name) for name in DESC_FIELDS] == [0x10 + 4 * i for i in range(len(DESC_FIELDS))]
    regs = {r.name: r for r in rm.arguments()}
    assert regs["desc"].bits == 32 * len(DESC_FIELDS)
    assert regs["fm_in"].offset == 0x10 + 4 * len(DESC_FIELDS) + 4
    assert [r.name for r in rm.arguments()][1:] == list(rm.POINTERS)
    text = rm.markdown()
    assert "| 0x10 | desc |" in text and all(f"| {name} | 32 |" in text for name in DESC_FIELDS)


def _header(shift: str | None = None) -> str:
    """engine_top's header in the Vitis format, optionally with one argument 4 bytes off."""
    lines = []
    for reg in rm.arguments():
        offset = reg.offset + (4 if reg.name == shift else 0)
        lines.append(f"#define XENGINE_TOP_CONTROL_ADDR_{reg.name.upper()}_DATA 0x{offset:x}")
        lines.append(f"#define XENGINE_TOP_CONTROL_BITS_{reg.name.upper()}_DATA {reg.bits}")
    return "\n".join(lines) + "\n"


def test_compare_with_an_exported_header():
    assert rm.compare_hw_header(_header()) == []
    problems = rm.compare_hw_header(_header(shift="fm_out"))
    assert len(problems) == 1 and problems[0].startswith("fm_out: offset")
    assert rm.compare_hw_header(FIXTURE.read_text())  # another top's header disagrees


def test_parse_export_checks_the_driver_header(tmp_path):
    for name, text, bad in (("good.zip", _header(), False), ("bad.zip", _header(shift="wt_c"), True)):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("component.xml", "<spirit:component/>")
            archive.writestr("drivers/engine_top_v1_0/src/xengine_top_hw.h", text)
        report = reports.parse_export(path)
        assert report["driver_header"] == "drivers/engine_top_v1_0/src/xengine_top_hw.h"
        assert bool(report["register_map_problems"]) == bad
