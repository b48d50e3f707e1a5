"""The layer descriptor, defined once: its fields (in order, all int32), their meaning, and the opcodes.

Rendered into ``engine_desc.h`` (the C++ struct ``layer_desc_t`` the engine reads over s_axilite, the opcodes, and
for the testbench a by-name field setter) from hls/templates/engine_desc.h.j2; pyflow.hls.codegen fills the fields.

One descriptor runs one *step* of the engine: either a pooling layer, or the layer pipeline (hls/src/pipeline.h)
with any of its three stages on -- a conv / FULLY_CONNECTED (``conv_on``), a depthwise conv (``dw_on``) and an ADD
of a second tensor in the writer (``add_on``) -- so that an expand conv and the depthwise conv after it, or a
project conv and the residual ADD after it, run as one step without their intermediate tensor in DDR.
"""
from __future__ import annotations

from pyflow.hls.render import render

ENGINE_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "ADD": 3, "AVERAGE_POOL_2D": 4, "MAX_POOL_2D": 5, "MEAN": 6,
              "FULLY_CONNECTED": 7, "MUL": 8}
HOST_OPS = {"RESHAPE": 100, "PAD": 101, "CONCATENATION": 102, "QUANTIZE": 103, "SOFTMAX": 104, "BINARY": 105,
            "RELU": 106, "LEAKY_RELU": 107, "HARD_SWISH": 108, "LOGISTIC": 109, "RESIZE": 110, "TRANSPOSE_CONV": 111,
            "FC_ROWS": 112}
# C++ enumerator of each opcode (engine ops run in engine_top, host ops in the testbench / driver).
OPCODE_NAMES = {"CONV_2D": "OP_CONV", "DEPTHWISE_CONV_2D": "OP_DWCONV", "ADD": "OP_ADD",
                "AVERAGE_POOL_2D": "OP_AVG_POOL", "MAX_POOL_2D": "OP_MAX_POOL", "MEAN": "OP_MEAN",
                "FULLY_CONNECTED": "OP_FC", "MUL": "OP_MUL", "RESHAPE": "OP_RESHAPE", "PAD": "OP_PAD", "CONCATENATION": "OP_CONCAT",
                "QUANTIZE": "OP_QUANTIZE", "SOFTMAX": "OP_SOFTMAX", "BINARY": "OP_BINARY", "RELU": "OP_RELU",
                "LEAKY_RELU": "OP_LEAKY_RELU", "HARD_SWISH": "OP_HARD_SWISH", "LOGISTIC": "OP_LOGISTIC",
                "RESIZE": "OP_RESIZE", "TRANSPOSE_CONV": "OP_TRANSPOSE_CONV", "FC_ROWS": "OP_FC_ROWS"}

# (field, meaning). Addresses are bus-word offsets: feature maps into the activation arena (fm_* ports), weights
# and tables into the parameter image (wt port). Feature maps are NHWC with channels padded to whole bus words.
FIELDS: tuple[tuple[str, str], ...] = (
    ("op", "opcode of the step's first op (OP_*): pooling ops run pool_layer, the others the layer pipeline"),
    ("conv_on", "pipeline: 1 = the conv stage runs the MAC array, 0 = it passes the input through"),
    ("dw_on", "pipeline: 1 = the depthwise stage runs, 0 = it passes its input through"),
    ("add_on", "pipeline: 1 = the writer adds the tensor at in2_addr (ADD), 0 = it stores"),
    # the step's input and output tensors
    ("in_addr", "input tensor (arena word)"), ("in_h", "input height"), ("in_w", "input width"),
    ("in_c", "input channels"), ("cw_in", "bus words per input pixel"),
    ("out_addr", "output tensor"), ("out_h", "output height"), ("out_w", "output width"),
    ("out_c", "output channels"), ("cw_out", "bus words per output pixel"),
    # conv / FULLY_CONNECTED (and the pooling window: k_*, stride_*, pad_*)
    ("c_out_h", "conv output height"), ("c_out_w", "conv output width"), ("c_out_c", "conv output channels"),
    ("c_cw_out", "bus words per conv output pixel"),
    ("k_h", "kernel / pool window height"), ("k_w", "kernel / pool window width"),
    ("stride_h", "stride, rows"), ("stride_w", "stride, columns"), ("dil_h", "dilation, rows"),
    ("dil_w", "dilation, columns"), ("pad_top", "padding above the first row"),
    ("pad_left", "padding left of the first column"),
    ("wt_addr", "conv weights: the four parts (output channels h*PO/4.. of every slice), one after another"),
    ("tbl_addr", "conv tables: folded biases, multipliers (int32), shifts (int8), one burst (mem.h)"),
    ("scale_addr", "FULLY_CONNECTED double scales (LiteRT)"),
    ("in_offset", "-input zero point (conv, MEAN)"), ("out_offset", "output zero point (conv, pooling)"),
    ("weights_offset", "-weights zero point (FULLY_CONNECTED)"),
    ("act_min", "clamp low (conv, pooling)"), ("act_max", "clamp high (conv, pooling)"),
    ("fc_double", "1: FULLY_CONNECTED requantized in double (LiteRT flavor)"),
    ("pointwise", "1: blocks of consecutive pixels (1x1 stride 1), 0: row segments with a band"),
    ("blk", "output pixels per block (at most)"), ("n_blocks", "blocks in the layer"),
    ("segs", "blocks per output row (row segments)"), ("slices", "MAC-array slices per window (S)"),
    ("tiles", "output-channel tiles of PO (T)"), ("seg_words", "bus words per window segment"),
    ("chunks", "slices per window segment"), ("seg_cols", "window segments per kernel row"),
    ("band_row", "band words per kernel row"),
    ("band_roll", "1: blocks are whole consecutive rows; the band keeps its rows, only stride_h new ones load"),
    # pooling
    ("pool_global", "1: global pooling (1x1 output, the whole unpadded map): one burst, partial sums"),
    ("pool_slots", "global pooling: partial sums per channel word (slots x cw_out >= MIN_PHASE, slots <= pixels)"),
    # depthwise (pyflow.hls.dw_plan)
    ("dw_in_h", "depthwise input height"), ("dw_in_w", "depthwise input width"),
    ("dw_in_c", "depthwise input channels"), ("dw_cw_in", "bus words per depthwise input pixel"),
    ("dw_out_h", "depthwise output height"), ("dw_out_w", "depthwise output width"),
    ("dw_out_c", "depthwise output channels"), ("dw_cw_out", "bus words per depthwise output pixel"),
    ("dw_k_h", "depthwise kernel height"), ("dw_k_w", "depthwise kernel width"),
    ("dw_stride_h", "depthwise stride, rows"), ("dw_stride_w", "depthwise stride, columns"),
    ("dw_dil_h", "depthwise dilation, rows"), ("dw_dil_w", "depthwise dilation, columns"),
    ("dw_pad_top", "depthwise padding above"), ("dw_pad_left", "depthwise padding left"),
    ("depth_mult", "depthwise depth multiplier"), ("dw_wt_addr", "depthwise weights"),
    ("dw_tbl_addr", "depthwise tables, as tbl_addr"), ("dw_in_offset", "-depthwise input zero point"),
    ("dw_out_offset", "depthwise output zero point"), ("dw_act_min", "depthwise clamp low"),
    ("dw_act_max", "depthwise clamp high"),
    ("strip_w", "output columns per strip (at most)"), ("n_strips", "strips"),
    ("blocks", "tap blocks per output word"), ("tb_cols", "tap blocks per kernel row"),
    ("rows_read", "input rows read per strip"), ("dw_in_pixels", "input pixels read over all strips"),
    ("dw_lag", "1: a step loads the next row while it computes the previous one, 0: load then compute"),
    # ADD in the writer: input 1 is the stream from the stages, input 2 the tensor at in2_addr
    ("in2_addr", "ADD: second input (arena word), laid out like the output"),
    ("add_in1_offset", "ADD: -zero point of input 1"), ("add_in2_offset", "ADD: -zero point of input 2"),
    ("left_shift", "ADD left shift"), ("in1_mult", "ADD input 1 multiplier"), ("in1_shift", "ADD input 1 shift"),
    ("in2_mult", "ADD input 2 multiplier"), ("in2_shift", "ADD input 2 shift"),
    ("add_out_mult", "ADD output multiplier"), ("add_out_shift", "ADD output shift"),
    ("add_out_offset", "ADD output zero point"), ("add_act_min", "ADD clamp low"), ("add_act_max", "ADD clamp high"),
    ("elt_mul", "writer: 1 = MUL, (a + add_in1_offset) x (b + add_in2_offset) requantized by add_out_*; 0 = ADD"),
    ("in2_bcast", "writer: 1 = input 2 is one pixel (a [1,1,1,C] vector of cw_out words) for every pixel; "
                  "0 = input 2 has the output's layout"),
    # MEAN, and the host's QUANTIZE / SOFTMAX
    ("out_mult", "MEAN / host requant multiplier"), ("out_shift", "MEAN / host requant shift"),
)
DESC_FIELDS = tuple(name for name, _ in FIELDS)


def render_desc_header() -> str:
    ops = [(OPCODE_NAMES[name], code, name) for name, code in {**ENGINE_OPS, **HOST_OPS}.items()]
    return render("engine_desc.h.j2", fields=FIELDS, ops=ops, host_first=min(HOST_OPS.values()))
