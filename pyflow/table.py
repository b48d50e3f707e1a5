"""Plain-text tables for the CLI reports (one header row, a rule, aligned columns)."""
from __future__ import annotations

from typing import Sequence


def format_rows(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """``rows[0]`` is the header; columns listed in ``right`` are right-aligned (numbers)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
