"""Board presets: the one table of parts, available resources, DDR bandwidth and default clocks.

Resources are the whole device as the data sheets count them (BRAM in 18 Kb blocks = 2 x the 36 Kb count),
the same numbers Vitis HLS prints as "available" in csynth.xml. DDR bandwidth is the theoretical peak of the
memory the programmable logic reaches (bus width x transfer rate); real kernels see less. ``vivado_board`` is the
Vivado board part (vendor:board:part0:file version) whose PS preset `invoke bitstream` applies; None where no
block design is generated for the board.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyflow.errors import FlowError


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    bram_18k: int
    dsp: int
    ff: int
    lut: int
    uram: int
    ddr_gbps: float  # peak bandwidth of the board memory, GB/s
    clock_mhz: float  # default kernel clock for this board
    vivado_board: str | None = None  # Vivado board part, e.g. xilinx.com:zcu104:part0:1.1

    def available(self) -> dict[str, int]:
        """Resources keyed like the csynth report (BRAM_18K, DSP, FF, LUT, URAM)."""
        return {"BRAM_18K": self.bram_18k, "DSP": self.dsp, "FF": self.ff, "LUT": self.lut, "URAM": self.uram}


_BOARDS = (
    # Board parts: the newest file version of each board's files we know of (Vivado's board store, or AMD's and
    # Avnet's board-file repositories); pyflow.vitis.bitstream falls back to another installed version of the same
    # board with a warning.
    # Zynq UltraScale+ MPSoC data sheet (DS891): ZU7EV 312 x 36Kb BRAM, 96 URAM, 1728 DSP, 230.4k LUT, 460.8k FF.
    # PS DDR4, 64-bit @ 2400 MT/s.
    Board("ZCU104", "xczu7ev-ffvc1156-2-e", 624, 1728, 460_800, 230_400, 96, 19.2, 250.0,
          "xilinx.com:zcu104:part0:1.1"),
    # DS891: ZU9EG 912 x 36Kb BRAM, no URAM, 2520 DSP, 274.08k LUT, 548.16k FF. PS DDR4, 64-bit @ 2400 MT/s.
    Board("ZCU102", "xczu9eg-ffvb1156-2-e", 1824, 2520, 548_160, 274_080, 0, 19.2, 250.0,
          "xilinx.com:zcu102:part0:3.4"),
    # Kria K26 SOM data sheet (DS987), a ZU5EV-class die: 144 x 36Kb BRAM, 64 URAM, 1248 DSP, 117.12k LUT,
    # 234.24k FF. 4 GB DDR4, 64-bit @ 2400 MT/s.
    # The K26 SOM's board part: the PS preset lives on the SOM, not on the KV260 carrier card.
    Board("KV260", "xck26-sfvc784-2LV-c", 288, 1248, 234_240, 117_120, 64, 19.2, 200.0,
          "xilinx.com:kv260_som:part0:1.4"),
    # DS891: ZU3EG 216 x 36Kb BRAM, no URAM, 360 DSP, 70.56k LUT, 141.12k FF. LPDDR4, 32-bit @ 2133 MT/s.
    # Avnet's board files (Vivado board store, or github.com/Avnet/bdf).
    Board("Ultra96-V2", "xczu3eg-sbva484-1-i", 432, 360, 141_120, 70_560, 0, 8.5, 150.0,
          "avnet.com:ultra96v2:part0:1.2"),
    # Zynq-7000 data sheet (DS190): Z-7020 140 x 36Kb BRAM, 220 DSP, 53.2k LUT, 106.4k FF.
    # PS DDR3, 16-bit @ 1050 MT/s.
    Board("PYNQ-Z2", "xc7z020clg400-1", 280, 220, 106_400, 53_200, 0, 2.1, 100.0),
    # Alveo U250 data sheet (DS962), a VU13P-class die: 2688 x 36Kb BRAM, 1280 URAM, 12288 DSP, 1728k LUT,
    # 3456k FF. 4 x DDR4-2400 72-bit channels (64 data bits) = 4 x 19.2 GB/s.
    Board("U250", "xcu250-figd2104-2L-e", 5376, 12_288, 3_456_000, 1_728_000, 1280, 76.8, 300.0),
    # Alveo U280 data sheet (DS963): 2016 x 36Kb BRAM, 960 URAM, 9024 DSP, 1303.68k LUT, 2607.36k FF.
    # 8 GB HBM2 at 460 GB/s (plus 2 x DDR4-2400 = 38.4 GB/s, not counted here).
    Board("U280", "xcu280-fsvh2892-2L-e", 4032, 9024, 2_607_360, 1_303_680, 960, 460.0, 300.0),
)

BOARDS: dict[str, Board] = {board.name.lower(): board for board in _BOARDS}
_ALIASES = {"alveo u250": "u250", "alveo-u250": "u250", "alveo u280": "u280", "alveo-u280": "u280",
            "ultra96": "ultra96-v2", "ultra96v2": "ultra96-v2", "pynq": "pynq-z2", "pynqz2": "pynq-z2"}


def board_names() -> list[str]:
    """The preset names as written in the table."""
    return [board.name for board in _BOARDS]


def get_board(name: str) -> Board:
    """Look a board up by name, case-insensitively (``zcu104``, ``KV260``, ``Alveo U250`` ...)."""
    key = " ".join(str(name).strip().lower().split())
    key = _ALIASES.get(key, key)
    if key not in BOARDS:
        raise FlowError(f"unknown board {name!r}; valid boards: {', '.join(board_names())}")
    return BOARDS[key]


def board_for_part(part: str) -> Board | None:
    """The preset whose part is ``part`` (case-insensitive), or None for a part not in the table."""
    for board in _BOARDS:
        if board.part.lower() == part.strip().lower():
            return board
    return None
