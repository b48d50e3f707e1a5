"""Compile-time engine configuration: validated here, rendered into engine_config.h (hls/templates)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from pyflow.errors import FlowError
from pyflow.hls.render import render

AXI_WIDTHS = (64, 128, 256, 512)
# On-chip storage budget the buffers must fit (bytes): a ZCU104/KV260-class device has ~4.5 MB BRAM+URAM.
ONCHIP_BUDGET_BYTES = 2 * 1024 * 1024


def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@dataclass(frozen=True)
class EngineConfig:
    pi: int = 16  # MAC array input channels
    po: int = 16  # MAC array output channels
    axi_bits: int = 128  # m_axi data width
    win_bytes: int = 4096  # conv/FC window (= weight row) buffer, bytes
    max_cout: int = 2048  # per-channel table depth
    max_k: int = 5  # depthwise line-buffer rows
    max_width: int = 256  # depthwise line-buffer width, pixels
    max_depth_mult: int = 2
    blk_in_bytes: int = 64 * 1024  # conv/FC block of input windows (im2col of up to blk pixels), bytes
    blk_out_bytes: int = 64 * 1024  # conv/FC block of output pixels (all output channels), bytes
    band_bytes: int = 64 * 1024  # general conv: band of input rows (all channels) for one block of output rows
    line_bytes: int = 16 * 1024  # depthwise: one input row / one output row, all channels, bytes
    dw_wt_bytes: int = 64 * 1024  # depthwise: on-chip weights of the whole layer (channel tiles x taps x M words)
    fm_depth_bytes: int = 32 * 1024 * 1024  # m_axi depth for cosim (activation arena)
    wt_depth_bytes: int = 8 * 1024 * 1024  # m_axi depth for cosim (parameter image)

    @property
    def bus_bytes(self) -> int:
        return self.axi_bits // 8

    @property
    def dw_taps(self) -> int:
        """Depthwise tap slots computed per cycle and lane: the whole MAX_K x MAX_K window."""
        return self.max_k * self.max_k

    @property
    def dw_wt_entries(self) -> int:
        """Depthwise weight entries (channel tile x depth-multiplier pass), each MAX_K x MAX_K words."""
        return self.dw_wt_bytes // (self.bus_bytes * self.dw_taps)

    @property
    def dw_col_words(self) -> int:
        """Depth of one of the MAX_K x MAX_K line-buffer banks (column bank = ix % MAX_K), bus words."""
        return -(-(self.line_bytes // self.bus_bytes) // self.max_k) + self.max_cout // self.bus_bytes

    @property
    def table_partition(self) -> int:
        """Cyclic partition of the per-channel tables: one requant reads PO (conv) or BUS x M (depthwise) entries."""
        return max(self.po, self.bus_bytes * self.max_depth_mult)

    @property
    def row_align(self) -> int:
        """Conv/FC weight rows are padded to whole MAC-array slices and whole bus words."""
        return max(self.pi, self.bus_bytes)

    @property
    def onchip_bytes(self) -> int:
        return (self.po * self.win_bytes + self.blk_in_bytes + self.blk_out_bytes + self.band_bytes + self.dw_taps * self.dw_col_words * self.bus_bytes
                + self.line_bytes
                + self.dw_wt_bytes + self.max_cout * 20)

    def validate(self) -> "EngineConfig":
        problems = []
        for name in ("pi", "po"):
            value = getattr(self, name)
            if not (_pow2(value) and value <= 64):
                problems.append(f"{name}={value} must be a power of two in 1..64")
        if self.axi_bits not in AXI_WIDTHS:
            problems.append(f"axi_bits={self.axi_bits} must be one of {AXI_WIDTHS}")
        elif self.po % self.bus_bytes:
            problems.append(f"po={self.po} must be a multiple of the bus word ({self.bus_bytes} bytes at "
                            f"axi_bits={self.axi_bits}): output tiles are stored as whole words")
        if self.axi_bits in AXI_WIDTHS and _pow2(self.pi):
            if self.win_bytes <= 0 or self.win_bytes % self.row_align:
                problems.append(f"win_bytes={self.win_bytes} must be a positive multiple of {self.row_align}")
            if self.max_cout <= 0 or self.max_cout % self.bus_bytes:
                problems.append(f"max_cout={self.max_cout} must be a positive multiple of {self.bus_bytes}")
            elif _pow2(self.po) and 1 <= self.max_depth_mult <= 8 and self.max_cout % self.table_partition:
                problems.append(f"max_cout={self.max_cout} must be a multiple of max(po, bus bytes x "
                                f"max_depth_mult) = {self.table_partition}")
            if self.blk_in_bytes < self.win_bytes or self.blk_in_bytes % self.row_align:
                problems.append(f"blk_in_bytes={self.blk_in_bytes} must be a multiple of {self.row_align} and "
                                f">= win_bytes={self.win_bytes} (one window)")
            if self.blk_out_bytes < self.max_cout or self.blk_out_bytes % self.bus_bytes:
                problems.append(f"blk_out_bytes={self.blk_out_bytes} must be a multiple of {self.bus_bytes} and "
                                f">= max_cout={self.max_cout} (one output pixel)")
            if self.line_bytes < self.max_cout * self.max_depth_mult or self.line_bytes % self.bus_bytes:
                problems.append(f"line_bytes={self.line_bytes} must be a multiple of {self.bus_bytes} and "
                                f">= max_cout x max_depth_mult (one pixel)")
            if self.band_bytes <= 0 or self.band_bytes % self.bus_bytes:
                problems.append(f"band_bytes={self.band_bytes} must be a positive multiple of {self.bus_bytes}")
            for name in ("fm_depth_bytes", "wt_depth_bytes"):
                if getattr(self, name) <= 0 or getattr(self, name) % self.bus_bytes:
                    problems.append(f"{name} must be a positive multiple of {self.bus_bytes}")
        if not 1 <= self.max_k <= 15:
            problems.append(f"max_k={self.max_k} must be in 1..15")
        if not 1 <= self.max_width <= 4096:
            problems.append(f"max_width={self.max_width} must be in 1..4096")
        if 1 <= self.max_k <= 15 and self.axi_bits in AXI_WIDTHS and self.dw_wt_entries < 1:
            problems.append(f"dw_wt_bytes={self.dw_wt_bytes} holds no depthwise weight entry "
                            f"(max_k^2 x bus bytes = {self.dw_taps * self.bus_bytes})")
        if not 1 <= self.dw_wt_bytes <= 1 << 22:
            problems.append(f"dw_wt_bytes={self.dw_wt_bytes} must be in 1..4 MB")
        if not 1 <= self.max_depth_mult <= 8:
            problems.append(f"max_depth_mult={self.max_depth_mult} must be in 1..8")
        if not problems and self.onchip_bytes > ONCHIP_BUDGET_BYTES:
            problems.append(f"on-chip buffers need {self.onchip_bytes} bytes, over the {ONCHIP_BUDGET_BYTES} budget")
        if problems:
            raise FlowError("invalid engine configuration: " + "; ".join(problems))
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def render_config_header(config: EngineConfig) -> str:
    c = config.validate()
    return render("engine_config.h.j2", pi=c.pi, po=c.po, axi_bits=c.axi_bits, bus_bytes=c.bus_bytes,
                  win_bytes=c.win_bytes, win_partition=c.row_align, table_partition=c.table_partition,
                  max_cout=c.max_cout, max_k=c.max_k, max_width=c.max_width, max_depth_mult=c.max_depth_mult,
                  blk_in_bytes=c.blk_in_bytes,
                  blk_out_words=c.blk_out_bytes // c.bus_bytes, band_words=c.band_bytes // c.bus_bytes,
                  line_words=c.line_bytes // c.bus_bytes, lb_col_words=c.dw_col_words,
                  dw_wt_entries=c.dw_wt_entries,
                  fm_depth_words=c.fm_depth_bytes // c.bus_bytes, wt_depth_words=c.wt_depth_bytes // c.bus_bytes)
