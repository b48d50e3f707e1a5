"""Steps: the graph's ops grouped into what one descriptor runs, and the descriptor of each step.

Every op has a record of its own (pyflow.hls.codegen: its tensors, geometry, weights and tables in the image, in
op-local names). An engine step is a pooling op, or the layer pipeline (hls/src/pipeline.h) with up to three of
its stages on, in this order:

    conv stage  CONV_2D / FULLY_CONNECTED on the MAC array     (or the input passed through)
    dw stage    DEPTHWISE_CONV_2D on the line buffer           (or passed through)
    writer      ADD of a second tensor from DDR                (or a plain store)

Fusion (``fuse=True``) puts consecutive ops into one step when the tensor between them has no other consumer:
a conv followed by the depthwise conv that reads it (the expanded tensor of an MBConv block, the stem's output:
never in DDR) when the depthwise layer runs in one strip over all input rows (the conv's blocks, whole pixels or
row segments, leave in raster order), and any conv / depthwise step followed by an
ADD of its output and an earlier tensor (the residual of a project conv). Each fused op keeps a record in the plan
(``where="fused"``, before its step) so that every op still has a row in the csim table and in the estimate.
"""
from __future__ import annotations

from pyflow.errors import FlowError
from pyflow.hls.descriptor import DESC_FIELDS, ENGINE_OPS

PIPELINE_OPS = ("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D", "ADD", "MUL")
WRITER_OPS = ("ADD", "MUL")  # the writer's two-input unit (add.h)
POOL_OPS = ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN")

# op-record name -> descriptor name, per role in the pipeline
_DW_NAMES = {"in_h": "dw_in_h", "in_w": "dw_in_w", "in_c": "dw_in_c", "cw_in": "dw_cw_in", "out_h": "dw_out_h",
             "out_w": "dw_out_w", "out_c": "dw_out_c", "cw_out": "dw_cw_out", "k_h": "dw_k_h", "k_w": "dw_k_w",
             "stride_h": "dw_stride_h", "stride_w": "dw_stride_w", "dil_h": "dw_dil_h", "dil_w": "dw_dil_w",
             "pad_top": "dw_pad_top", "pad_left": "dw_pad_left", "depth_mult": "depth_mult", "wt_addr": "dw_wt_addr",
             "tbl_addr": "dw_tbl_addr",
             "in_offset": "dw_in_offset", "out_offset": "dw_out_offset", "act_min": "dw_act_min",
             "act_max": "dw_act_max", "strip_w": "strip_w", "n_strips": "n_strips", "blocks": "blocks",
             "tb_cols": "tb_cols", "rows_read": "rows_read", "dw_in_pixels": "dw_in_pixels", "dw_lag": "dw_lag"}
_CONV_NAMES = {name: name for name in ("k_h", "k_w", "stride_h", "stride_w", "dil_h", "dil_w", "pad_top",
                                       "pad_left", "wt_addr", "tbl_addr", "scale_addr",
                                       "in_offset", "out_offset", "weights_offset", "act_min", "act_max",
                                       "fc_double", "pointwise", "blk", "n_blocks", "segs", "slices", "tiles",
                                       "seg_words", "chunks", "seg_cols", "band_row", "band_roll")}
_CONV_NAMES.update(out_h="c_out_h", out_w="c_out_w", out_c="c_out_c", cw_out="c_cw_out")
_TENSOR_IN = ("in_addr", "in_h", "in_w", "in_c", "cw_in")
_TENSOR_OUT = ("out_addr", "out_h", "out_w", "out_c", "cw_out")


def _consumers(graph) -> dict[int, int]:
    count: dict[int, int] = {}
    for op in graph.ops:
        for t in op.inputs:
            count[t] = count.get(t, 0) + 1
    for t in graph.outputs:
        count[t] = count.get(t, 0) + 1
    return count


def _fuses_into_dw(conv, dw) -> bool:
    """A conv (an expand conv, the stem) whose output only the next depthwise conv reads, which runs in one strip over every row
    and column of it (the conv stage streams the whole tensor in raster order)."""
    c, d = conv.fields, dw.fields
    return (dw.meta["in_tensor"] == conv.meta["out_tensor"] and d["n_strips"] == 1
            and d["rows_read"] == d["in_h"] and d["dw_in_pixels"] == d["in_h"] * d["in_w"])


def group_steps(graph, records: list, fuse: bool):
    """records (one per op, in order) -> the plan's layers: steps and fused-op placeholders, in op order."""
    from pyflow.hls.codegen import Layer

    consumers = _consumers(graph)
    out: list = []
    i = 0
    while i < len(records):
        r = records[i]
        if r.where != "engine" or r.name in POOL_OPS:
            out.append(r)
            i += 1
            continue
        group = [r]
        single = lambda rec: consumers.get(rec.meta["out_tensor"], 0) == 1  # noqa: E731
        if (fuse and r.name == "CONV_2D" and i + 1 < len(records) and records[i + 1].name == "DEPTHWISE_CONV_2D"
                and single(r) and _fuses_into_dw(r, records[i + 1])):
            group.append(records[i + 1])
        last = group[-1]
        nxt = records[i + len(group)] if i + len(group) < len(records) else None
        if (fuse and last.name not in WRITER_OPS and nxt is not None and nxt.name in WRITER_OPS
                and nxt.where == "engine" and single(last)
                and last.meta["out_tensor"] in (nxt.meta["in_tensor"], nxt.meta["in2_tensor"])
                and nxt.meta["in_tensor"] != nxt.meta["in2_tensor"]
                and (not nxt.fields["in2_bcast"] or last.meta["out_tensor"] == nxt.meta["in_tensor"])):
            group.append(nxt)
        for fused in group[:-1]:
            out.append(Layer(fused.index, fused.name, "fused", {}, {"index": fused.index,
                                                                     "out_tensor": fused.meta["out_tensor"],
                                                                     "into": group[-1].index}))
        out.append(_pipeline_step(group, Layer))
        i += len(group)
    return out


def _pipeline_step(group: list, Layer):
    f = dict.fromkeys(DESC_FIELDS, 0)
    first, last = group[0], group[-1]
    f["op"] = ENGINE_OPS[first.name]
    for key in _TENSOR_IN:
        f[key] = first.fields[key]
    meta = {"index": last.index, "in_tensor": first.meta["in_tensor"], "out_tensor": last.meta["out_tensor"],
            "in2_tensor": -1, "ops": len(group)}
    stream = first  # the record whose output the next stage receives
    for rec in group:
        if rec.name in ("CONV_2D", "FULLY_CONNECTED"):
            f["conv_on"] = 1
            for src, dst in _CONV_NAMES.items():
                f[dst] = rec.fields[src]
        elif rec.name == "DEPTHWISE_CONV_2D":
            f["dw_on"] = 1
            for src, dst in _DW_NAMES.items():
                f[dst] = rec.fields[src]
        else:  # ADD / MUL: input 1 of the writer is the stream, input 2 the other tensor (or a broadcast vector)
            f["add_on"] = 1
            a = rec.fields
            ins = (rec.meta["in_tensor"], rec.meta["in2_tensor"])
            streamed = stream.meta["out_tensor"] if len(group) > 1 else ins[0]
            if streamed == ins[0]:
                one, two = ("in_offset", "in1_mult", "in1_shift"), ("in2_offset", "in2_mult", "in2_shift")
                other, other_addr = ins[1], a["in2_addr"]
            else:
                one, two = ("in2_offset", "in2_mult", "in2_shift"), ("in_offset", "in1_mult", "in1_shift")
                other, other_addr = ins[0], a["in_addr"]
            f.update(add_in1_offset=a[one[0]], in1_mult=a[one[1]], in1_shift=a[one[2]],
                     add_in2_offset=a[two[0]], in2_mult=a[two[1]], in2_shift=a[two[2]],
                     left_shift=a["left_shift"], add_out_mult=a["out_mult"], add_out_shift=a["out_shift"],
                     add_out_offset=a["out_offset"], add_act_min=a["act_min"], add_act_max=a["act_max"],
                     in2_addr=other_addr, elt_mul=a["elt_mul"], in2_bcast=a["in2_bcast"])
            meta.update(in2_tensor=other, in2_h=rec.meta["in2_h"], in2_w=rec.meta["in2_w"], in2_c=rec.meta["in2_c"])
            if streamed != ins[0]:  # a same-shape input 2 streamed instead: its shape is the output's
                meta.update(in2_h=a["out_h"], in2_w=a["out_w"], in2_c=a["out_c"])
            if len(group) == 1:  # a plain ADD: the pipeline reads input 1 itself
                f["in_addr"] = a["in_addr"] if streamed == ins[0] else a["in2_addr"]
                meta["in_tensor"] = streamed
        stream = rec
    for key in _TENSOR_OUT:
        f[key] = last.fields[key]
    for key, value in f.items():
        if not -2 ** 31 <= int(value) < 2 ** 31:
            raise FlowError(f"op {last.index} {last.name}: descriptor field {key}={value} does not fit int32")
        f[key] = int(value)
    return Layer(last.index, last.name, "engine", f, meta)
