"""The descriptor layout and the opcodes exist in Python (pyflow.hls.codegen) and in C++ (engine_types.h,
tb_main.cpp): they must agree field for field, in order, and code for code."""
from __future__ import annotations

import re
from pathlib import Path

from pyflow.hls.codegen import DESC_FIELDS, ENGINE_OPS, HOST_OPS

HLS = Path(__file__).resolve().parents[1] / "hls"


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def _block(text: str, head: str) -> str:
    start = text.index(head)
    return text[text.index("{", start) + 1:text.index("};", start)]


def test_layer_desc_struct_matches_desc_fields():
    body = _block(_strip_comments((HLS / "src" / "engine_types.h").read_text()), "struct layer_desc_t")
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        assert decl.startswith("int32_t "), decl  # every field is an int32 (s_axilite register)
        fields += [name.strip() for name in decl[len("int32_t "):].split(",")]
    assert tuple(fields) == DESC_FIELDS


def test_testbench_field_list_matches_desc_fields():
    text = (HLS / "tb" / "tb_main.cpp").read_text()
    body = text[text.index("bool set_desc_field"):text.index("#undef FIELD")]
    body = body[body.index("#define FIELD"):]
    uses = re.findall(r"\bFIELD\((\w+)\)", body)
    assert uses[0] == "f"  # the macro's own parameter
    assert tuple(uses[1:]) == DESC_FIELDS


def test_opcode_enum_matches_engine_and_host_ops():
    body = _block(_strip_comments((HLS / "src" / "engine_types.h").read_text()), "enum engine_op_t")
    enum = {name: int(value) for name, value in re.findall(r"(\w+)\s*=\s*(\d+)", body)}
    host_first = enum.pop("OP_HOST_FIRST")
    assert sorted(enum.values()) == sorted({**ENGINE_OPS, **HOST_OPS}.values())
    assert all(code < host_first for code in ENGINE_OPS.values())
    assert all(code >= host_first for code in HOST_OPS.values()) and min(HOST_OPS.values()) == host_first
    # names: OP_<something the TFLite name starts with>, one to one
    expected = {"CONV_2D": "OP_CONV", "DEPTHWISE_CONV_2D": "OP_DWCONV", "ADD": "OP_ADD",
                "AVERAGE_POOL_2D": "OP_AVG_POOL", "MAX_POOL_2D": "OP_MAX_POOL", "MEAN": "OP_MEAN",
                "FULLY_CONNECTED": "OP_FC", "RESHAPE": "OP_RESHAPE", "PAD": "OP_PAD",
                "CONCATENATION": "OP_CONCAT", "QUANTIZE": "OP_QUANTIZE", "SOFTMAX": "OP_SOFTMAX"}
    assert set(expected) == set(ENGINE_OPS) | set(HOST_OPS)
    for tflite, cname in expected.items():
        assert enum[cname] == {**ENGINE_OPS, **HOST_OPS}[tflite], tflite
