"""Checks on csim results shared by the engine tests."""
from __future__ import annotations

from pyflow.hls.loops import BY_ID


def assert_within_loop_table(layers) -> int:
    """Every measured (loop, array): the array is one the table lists for the loop, and its most reads / writes
    of one bank in one iteration are within the table's (which are within the 1R + 1W of its storage at II 1).
    Returns how many (loop, array) pairs were checked."""
    checked = 0
    for row in layers:
        assert row.access_violations == [], (row.layer, row.op, row.access_violations)
        for loop, arrays in row.access.items():
            claim = BY_ID["LOOP_" + loop].arrays
            for array, (reads, writes) in arrays.items():
                assert array in claim, f"layer {row.layer} {row.op}: {loop} touches {array}, not in the table"
                assert reads <= claim[array][0] and writes <= claim[array][1], (row.layer, loop, array)
                checked += 1
    return checked
