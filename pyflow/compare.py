"""Tensor-by-tensor comparison and its report (used by verify, compare and the golden check)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyflow.errors import FlowError
from pyflow.table import format_rows


@dataclass(frozen=True)
class TensorDiff:
    input_name: str
    op_index: int
    op_type: str
    tensor_name: str
    size: int
    mismatches: int  # -1: the tensor is missing or has the wrong shape
    max_abs_diff: int
    first_mismatch: tuple[int, ...] | None
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.mismatches == 0


def diff(input_name: str, op_index: int, op_type: str, tensor_name: str, expected: np.ndarray,
         got: np.ndarray | None, missing_note: str = "missing") -> TensorDiff:
    """Compare two tensors of one op output (batch dimension already removed)."""
    if got is None:
        return TensorDiff(input_name, op_index, op_type, tensor_name, expected.size, -1, 0, None, missing_note)
    if got.shape != expected.shape and got.size == expected.size:
        got = got.reshape(expected.shape)
    if got.shape != expected.shape:
        return TensorDiff(input_name, op_index, op_type, tensor_name, expected.size, -1, 0, None,
                          f"shape {got.shape}, expected {expected.shape}")
    delta = np.abs(expected.astype(np.float64) - got.astype(np.float64))
    bad = np.argwhere(delta != 0)
    first = tuple(int(i) for i in bad[0]) if len(bad) else None
    return TensorDiff(input_name, op_index, op_type, tensor_name, expected.size, int(len(bad)),
                      int(delta.max()) if delta.size else 0, first)


def format_table(diffs: list[TensorDiff], only_failures: bool = False) -> str:
    rows = [("input", "op", "type", "tensor", "values", "result", "mismatches", "max|diff|", "first mismatch")]
    for d in diffs:
        if only_failures and d.exact:
            continue
        result = "exact" if d.exact else ("MISSING" if d.mismatches < 0 else "DIFF")
        rows.append((d.input_name, str(d.op_index), d.op_type, _short(d.tensor_name), str(d.size), result,
                     "-" if d.mismatches < 0 else str(d.mismatches), str(d.max_abs_diff),
                     d.note or (str(d.first_mismatch) if d.first_mismatch is not None else "")))
    return format_rows(rows, right=(1, 4, 6, 7))


def summary(diffs: list[TensorDiff]) -> str:
    failed = [d for d in diffs if not d.exact]
    inputs = len({d.input_name for d in diffs})
    if not failed:
        return f"PASS: {len(diffs)} tensors over {inputs} input(s), all bit-exact"
    first = failed[0]
    return (f"FAIL: {len(failed)} of {len(diffs)} tensors differ; first: input '{first.input_name}', "
            f"op {first.op_index} {first.op_type} ('{first.tensor_name}')")


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def load_tensor(path: Path, shape: tuple[int, ...], dtype: str) -> np.ndarray | None:
    """A dumped tensor as .npy, or raw NHWC .bin of the golden layout; None when it is not there."""
    if path.suffix == ".npy" and path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise FlowError(f"cannot read {path}: {exc}") from None
    raw = path.with_suffix(".bin")
    if raw.exists():
        data = np.fromfile(raw, dtype=dtype)
        return data.reshape(shape) if data.size == int(np.prod(shape)) else data
    return None
