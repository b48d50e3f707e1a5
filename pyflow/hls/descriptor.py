"""The layer descriptor, defined once: its fields (in order, all int32), their meaning, and the opcodes.

Rendered into ``engine_desc.h`` (the C++ struct ``layer_desc_t`` the engine reads over s_axilite, the opcodes, and
for the testbench a by-name field setter) from hls/templates/engine_desc.h.j2; pyflow.hls.codegen fills the fields.
"""
from __future__ import annotations

from pyflow.hls.render import render

ENGINE_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "ADD": 3, "AVERAGE_POOL_2D": 4, "MAX_POOL_2D": 5, "MEAN": 6,
              "FULLY_CONNECTED": 7}
HOST_OPS = {"RESHAPE": 100, "PAD": 101, "CONCATENATION": 102, "QUANTIZE": 103, "SOFTMAX": 104}
# C++ enumerator of each opcode (engine ops run in engine_top, host ops in the testbench / driver).
OPCODE_NAMES = {"CONV_2D": "OP_CONV", "DEPTHWISE_CONV_2D": "OP_DWCONV", "ADD": "OP_ADD",
                "AVERAGE_POOL_2D": "OP_AVG_POOL", "MAX_POOL_2D": "OP_MAX_POOL", "MEAN": "OP_MEAN",
                "FULLY_CONNECTED": "OP_FC", "RESHAPE": "OP_RESHAPE", "PAD": "OP_PAD", "CONCATENATION": "OP_CONCAT",
                "QUANTIZE": "OP_QUANTIZE", "SOFTMAX": "OP_SOFTMAX"}

# (field, meaning). Addresses are bus-word offsets: feature maps into the activation arena (fm_* ports), weights
# and tables into the parameter image (wt port). Feature maps are NHWC with channels padded to whole bus words.
FIELDS: tuple[tuple[str, str], ...] = (
    ("op", "opcode (OP_*)"),
    ("in_h", "input height"), ("in_w", "input width"), ("in_c", "input channels"),
    ("out_h", "output height"), ("out_w", "output width"), ("out_c", "output channels"),
    ("cw_in", "bus words per input pixel"), ("cw_out", "bus words per output pixel"),
    ("k_h", "kernel / pool window height"), ("k_w", "kernel / pool window width"),
    ("stride_h", "stride, rows"), ("stride_w", "stride, columns"),
    ("dil_h", "dilation, rows"), ("dil_w", "dilation, columns"),
    ("pad_top", "padding above the first row"), ("pad_left", "padding left of the first column"),
    ("depth_mult", "depthwise depth multiplier"),
    ("in_addr", "input tensor (arena word)"), ("in2_addr", "second input (ADD)"), ("out_addr", "output tensor"),
    ("wt_addr", "weights (image word)"), ("bias_addr", "folded bias table"), ("mult_addr", "requant multipliers"),
    ("shift_addr", "requant shifts"), ("scale_addr", "FULLY_CONNECTED double scales (LiteRT)"),
    ("in_offset", "-input zero point"), ("in2_offset", "-second input zero point"),
    ("out_offset", "output zero point"), ("weights_offset", "-weights zero point (FULLY_CONNECTED)"),
    ("act_min", "clamp low"), ("act_max", "clamp high"),
    ("left_shift", "ADD left shift"), ("in1_mult", "ADD input 1 multiplier"), ("in1_shift", "ADD input 1 shift"),
    ("in2_mult", "ADD input 2 multiplier"), ("in2_shift", "ADD input 2 shift"),
    ("out_mult", "ADD / MEAN output multiplier"), ("out_shift", "ADD / MEAN output shift"),
    # conv / FULLY_CONNECTED blocking (pyflow.hls.codegen.conv_plan)
    ("pointwise", "1: blocks of consecutive pixels (1x1 stride 1), 0: row segments with a band"),
    ("fc_double", "1: FULLY_CONNECTED requantized in double (LiteRT flavor)"),
    ("blk", "output pixels per block (at most)"), ("n_blocks", "blocks in the layer"),
    ("segs", "blocks per output row (row segments)"), ("slices", "MAC-array slices per window (S)"),
    ("tiles", "output-channel tiles of PO (T)"), ("seg_words", "bus words per window segment"),
    ("chunks", "slices per window segment"), ("seg_cols", "window segments per kernel row"),
    ("band_row", "band words per kernel row"),
    # depthwise strips (pyflow.hls.codegen.dw_plan)
    ("strip_w", "output columns per strip (at most)"), ("n_strips", "strips"),
    ("blocks", "tap blocks per output word"), ("tb_cols", "tap blocks per kernel row"),
    ("rows_read", "input rows read per strip"), ("dw_in_pixels", "input pixels read over all strips"),
    ("dw_lag", "1: a step loads the next row while it computes the previous one, 0: load then compute"),
)
DESC_FIELDS = tuple(name for name, _ in FIELDS)


def render_desc_header() -> str:
    ops = [(OPCODE_NAMES[name], code, name) for name, code in {**ENGINE_OPS, **HOST_OPS}.items()]
    return render("engine_desc.h.j2", fields=FIELDS, ops=ops, host_first=min(HOST_OPS.values()))
