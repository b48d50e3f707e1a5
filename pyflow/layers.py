"""Per-layer summary of a graph (`invoke layers`): shapes, MACs, parameters, quantization."""
from __future__ import annotations

from pyflow.ir import ConvParams, FullyConnectedParams, Graph, Op, Requant
from pyflow.table import format_rows


def macs(graph: Graph, op: Op) -> int:
    out = graph.tensor(op.output)
    p = op.params
    if isinstance(p, ConvParams):
        kh, kw = p.kernel
        per_output = kh * kw * (1 if p.depth_multiplier else p.weights.shape[3])
        return out.size * per_output
    if isinstance(p, FullyConnectedParams):
        return int(p.weights.size) * (out.size // p.weights.shape[0])
    return 0


def params(op: Op) -> int:
    p = op.params
    if isinstance(p, (ConvParams, FullyConnectedParams)):
        return int(p.weights.size + p.bias.size)
    return 0


def quant_summary(graph: Graph, op: Op) -> str:
    out = graph.tensor(op.output)
    text = f"out s={out.scale:.4g} zp={out.zero_point}" if out.scale is not None else f"out {out.dtype}"
    p = op.params
    requant = getattr(p, "requant", None)
    if isinstance(requant, Requant):
        kind = "per-channel" if requant.channels > 1 else "per-tensor"
        text += f"; {kind} shift {int(requant.shift.min())}..{int(requant.shift.max())}"
    if hasattr(p, "act_min") and (p.act_min, p.act_max) != (-128, 127):
        text += f"; clamp [{p.act_min}, {p.act_max}]"
    return text


def layer_table(graph: Graph) -> str:
    rows = [("#", "op", "output shape", "MACs", "params", "quantization")]
    total_macs = total_params = 0
    for op in graph.ops:
        m, n = macs(graph, op), params(op)
        total_macs += m
        total_params += n
        index = str(op.index) if op.source_index in (-1, op.index) else f"{op.index} (file {op.source_index})"
        rows.append((index, op.op_type, "x".join(map(str, graph.tensor(op.output).shape)), f"{m:,}",
                     f"{n:,}", quant_summary(graph, op)))
    rows.append(("", "total", "", f"{total_macs:,}", f"{total_params:,}", f"{len(graph.ops)} ops"))
    return format_rows(rows, right=(3, 4)) + folded_text(graph)


def folded_text(graph: Graph) -> str:
    """The shape arithmetic the reader evaluated and left out of the graph (a free-batch export), or ""."""
    if not graph.folded:
        return ""
    lines = [f"\nfolded at read time (batch fixed to 1): {len(graph.folded)} ops of shape arithmetic"]
    for f in graph.folded:
        lines.append(f"  file op {f.source_index} {f.op_type} -> tensor {f.output} = {list(f.value)}")
    return "\n".join(lines)


def op_histogram(graph: Graph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for op in graph.ops:
        counts[op.op_type] = counts.get(op.op_type, 0) + 1
    return counts



