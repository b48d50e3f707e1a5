"""The descriptor layout, the opcodes and the pipelined-loop ids are defined once in Python (pyflow.hls.descriptor,
pyflow.hls.loops) and generated into the C++ headers: the rendered headers say exactly what the tables say, and
nothing in hls/ defines them a second time."""
from __future__ import annotations

import re
from pathlib import Path

from pyflow.hls.descriptor import DESC_FIELDS, ENGINE_OPS, HOST_OPS, OPCODE_NAMES, render_desc_header
from pyflow.hls.loops import COUNTERS, LOOPS, render_loops_header

HLS = Path(__file__).resolve().parents[1] / "hls"


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def _block(text: str, head: str) -> str:
    start = text.index(head)
    return text[text.index("{", start) + 1:text.index("};", start)]


def test_generated_struct_is_the_field_table():
    body = _block(_strip_comments(render_desc_header()), "struct layer_desc_t")
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if decl:
            assert decl.startswith("int32_t "), decl  # every field is an int32 (s_axilite register)
            fields.append(decl[len("int32_t "):].strip())
    assert tuple(fields) == DESC_FIELDS and len(set(fields)) == len(fields)


def test_generated_opcodes_are_the_op_tables():
    body = _block(_strip_comments(render_desc_header()), "enum engine_op_t")
    enum = {name: int(value) for name, value in re.findall(r"(\w+)\s*=\s*(\d+)", body)}
    host_first = enum.pop("OP_HOST_FIRST")
    ops = {**ENGINE_OPS, **HOST_OPS}
    assert {OPCODE_NAMES[k]: v for k, v in ops.items()} == enum
    assert all(code < host_first for code in ENGINE_OPS.values()) and min(HOST_OPS.values()) == host_first


def test_the_testbench_sets_fields_by_the_generated_setter():
    header = render_desc_header()
    for name in DESC_FIELDS:
        assert f'std::strcmp(name, "{name}") == 0) {{ d.{name} = value;' in header


def test_nothing_in_hls_defines_the_descriptor_or_the_loop_ids_again():
    for path in list((HLS / "src").glob("*")) + list((HLS / "tb").glob("*")):
        text = _strip_comments(path.read_text())
        assert "struct layer_desc_t" not in text, path
        assert "enum engine_op_t" not in text and "enum engine_loop_t" not in text, path


def test_every_engine_iter_has_a_row_in_the_loop_table_and_every_row_is_used():
    code = "".join(_strip_comments(p.read_text()) for p in sorted((HLS / "src").glob("*.h")))
    assert set(re.findall(r"ENGINE_ITER\((LOOP_\w+)\)", code)) == set(COUNTERS)
    assert re.findall(r"^    (LOOP_\w+),", render_loops_header(), re.M) == list(COUNTERS)
    labels = set(re.findall(r"^\s*([A-Z][A-Z0-9_]+):", code, re.M))
    for loop in LOOPS:  # every label the table names is a label in the C++
        assert set(loop.labels) <= labels, loop.labels
