"""Compile-time engine configuration: validated here, rendered into engine_config.h (hls/templates).

No field limits the feature-map size: the generator cuts every layer into blocks / strips that fit the buffers
(pyflow.hls.codegen). Channel counts are bounded by max_cout (per-channel tables) and a conv window by xbuf_bytes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from pyflow.errors import FlowError
from pyflow.hls.render import render

AXI_WIDTHS = (64, 128, 256, 512)
MIN_PHASE = 16  # conv: iterations between two read-modify-writes of one accumulator entry; more than the path
#               from the acc read through the add to the acc write (the HLS DEPENDENCE distance in conv.h)
W_DEPTH = 4  # conv: weight slices the weight loader may run ahead of the MAC array (FIFO depth)
DW_GAP = 32  # depthwise, load-then-compute steps: idle iterations between the last write and the first read of
#              the line buffer, more than the DW_STEP pipeline depth
BIG_RAMS = ("uram", "bram")  # where the deep conv buffers (xbuf, obuf, band) go
DW_MULS = ("fabric", "dsp")  # where the depthwise tap products go (BIND_OP impl in depthwise_conv.h)
# On-chip storage budget the buffers must fit (bytes): a ZCU104/KV260-class device has ~4.5 MB BRAM+URAM.
ONCHIP_BUDGET_BYTES = 2 * 1024 * 1024


W_LOADERS = 4  # conv weight loaders, each on its own m_axi port (conv.h conv_load_w<H>, engine_types.h)

def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@dataclass(frozen=True)
class EngineConfig:
    pi: int = 16  # MAC array input channels (a multiple of the bus word)
    po: int = 16  # MAC array output channels (a multiple of the bus word)
    axi_bits: int = 128  # m_axi data width
    max_cout: int = 2048  # per-channel table depth
    blk_pixels: int = 512  # conv: pixels per block at most (accumulator RAM depth)
    xbuf_bytes: int = 64 * 1024  # conv: the input windows of one block, two halves (ping-pong: twice on chip)
    obuf_bytes: int = 64 * 1024  # conv: the outputs of one block, all channels (ping-pong: twice on chip)
    band_bytes: int = 64 * 1024  # conv with a window: the kernel rows of half a row segment (one per x loader)
    dw_tb: int = 5  # depthwise: taps per cycle DW_TB x DW_TB (a prime: DW_TB column banks)
    dw_kmax: int = 7  # depthwise: largest kernel side (tap blocks per side: ceil(dw_kmax / dw_tb))
    dw_rows: int = 7  # depthwise: line-buffer rows (window span, plus the stride to load while computing)
    dw_lb_pairs: int = 512  # depthwise: depth of each of the dw_rows x dw_tb line-buffer banks, in pairs of bus words
    dw_wt_entries: int = 512  # depthwise: on-chip tap-block weight words (channel words x tap blocks)
    fm_depth_bytes: int = 32 * 1024 * 1024  # largest activation arena a model may need (DDR region on a board)
    wt_depth_bytes: int = 8 * 1024 * 1024  # largest parameter image
    big_ram: str = "uram"  # xbuf / obuf / band: "uram" (ZCU104, KV260, Alveo) or "bram" (parts without URAM)
    dw_wt_ram: str = "bram"  # depthwise weights wdw: "bram", or "uram" where block RAM is the scarce one (KV260)
    fuse: bool = True  # expand conv + depthwise, conv + residual ADD as one step (pyflow/hls/steps.py)
    stem_s2d: bool = True  # a stride-2 conv on an image input runs over its 2x2 space-to-depth (pyflow/hls/stem.py)
    dw_mul: str = "fabric"  # depthwise tap products: "fabric" (LUTs, leaves the DSPs to the MAC array) or "dsp"

    @property
    def bus_bytes(self) -> int:
        return self.axi_bits // 8

    @property
    def x_words(self) -> int:
        """Bus words per MAC-array input slice (PI bytes)."""
        return self.pi // self.bus_bytes

    @property
    def o_words(self) -> int:
        """Bus words per output-channel tile (PO bytes); also the banks of the per-channel tables."""
        return self.po // self.bus_bytes

    @property
    def emit_words(self) -> int:
        """Bus words the conv emitter hands on per iteration: a pair when an output tile holds whole pairs."""
        return 2 if self.o_words % 2 == 0 else 1

    @property
    def w_words(self) -> int:
        """Bus words per PI x PO weight slice: the cycles the weight loader needs per MAC phase."""
        return self.pi * self.po // self.bus_bytes

    @property
    def w_part(self) -> int:
        """Bus words per part weight slice (PO / W_LOADERS output channels): what each of the weight loaders
        moves per MAC phase."""
        return self.w_words // W_LOADERS

    @property
    def xbuf_slices(self) -> int:
        return self.xbuf_bytes // self.pi

    @property
    def xbuf_half(self) -> int:
        """Input slices of one half of a block (each of the two x loaders has its own xbuf)."""
        return self.xbuf_slices // 2

    @property
    def obuf_words(self) -> int:
        return self.obuf_bytes // self.po

    @property
    def band_words(self) -> int:
        return self.band_bytes // self.bus_bytes

    @property
    def dw_taps(self) -> int:
        return self.dw_tb * self.dw_tb

    @property
    def dw_tb_side(self) -> int:
        """Tap blocks per kernel side at most (rows and columns)."""
        return -(-self.dw_kmax // self.dw_tb)

    @property
    def onchip_bytes(self) -> int:
        """Bytes of the engine's RAMs (ping-pong buffers twice, one band per x loader)."""
        bb = self.bus_bytes
        return (2 * self.xbuf_bytes + 2 * self.obuf_bytes + 2 * self.band_bytes + self.blk_pixels * self.po * 4
                + self.dw_rows * self.dw_tb * self.dw_lb_pairs * 2 * bb + self.dw_wt_entries * self.dw_taps * bb
                + self.max_cout * 17)

    def validate(self) -> "EngineConfig":
        problems = []
        if self.axi_bits not in AXI_WIDTHS:
            problems.append(f"axi_bits={self.axi_bits} must be one of {AXI_WIDTHS}")
        for name in ("pi", "po"):
            value = getattr(self, name)
            if not (_pow2(value) and value <= 128):
                problems.append(f"{name}={value} must be a power of two up to 128")
            elif self.axi_bits in AXI_WIDTHS and value < self.bus_bytes:
                problems.append(f"{name}={value} must be a multiple of the bus word ({self.bus_bytes} bytes at "
                                f"axi_bits={self.axi_bits})")
        if problems:
            raise FlowError("invalid engine configuration: " + "; ".join(problems))
        if self.max_cout <= 0 or self.max_cout % self.po:
            problems.append(f"max_cout={self.max_cout} must be a positive multiple of po={self.po}")
        if not 1 <= self.blk_pixels <= 4096:
            problems.append(f"blk_pixels={self.blk_pixels} must be in 1..4096")
        for name, unit in (("xbuf_bytes", 2 * self.pi), ("obuf_bytes", self.po), ("band_bytes", self.pi)):
            value = getattr(self, name)
            if value <= 0 or value % unit:
                problems.append(f"{name}={value} must be a positive multiple of {unit}")
        if self.xbuf_slices >= 1 << 16 or self.obuf_words >= 1 << 16 or self.band_words >= 1 << 16:
            problems.append("xbuf_bytes / pi, obuf_bytes / po and band_bytes / bus bytes must stay below 65536 "
                            "(16-bit addresses)")
        if self.obuf_bytes < self.max_cout:
            problems.append(f"obuf_bytes={self.obuf_bytes} must hold one pixel of max_cout={self.max_cout} outputs")
        if self.dw_tb not in (1, 2, 3, 5, 7, 11):
            problems.append(f"dw_tb={self.dw_tb} must be 1 or a prime up to 11 (its column banks must separate "
                            "dilated taps)")
        if not self.dw_tb <= self.dw_rows <= 32:
            problems.append(f"dw_rows={self.dw_rows} must be in dw_tb..32")
        if not 1 <= self.dw_kmax <= self.dw_rows:
            problems.append(f"dw_kmax={self.dw_kmax} must be in 1..dw_rows={self.dw_rows} (a kernel's rows must fit)")
        for name in ("big_ram", "dw_wt_ram"):
            if getattr(self, name) not in BIG_RAMS:
                problems.append(f"{name}={getattr(self, name)!r} must be one of {', '.join(BIG_RAMS)}")
        if self.dw_mul not in DW_MULS:
            problems.append(f"dw_mul={self.dw_mul!r} must be one of {', '.join(DW_MULS)}")
        if not 1 <= self.dw_lb_pairs <= 1 << 16:
            problems.append(f"dw_lb_pairs={self.dw_lb_pairs} must be in 1..65536")
        if self.dw_lb_pairs < -(-self.max_cout // (2 * self.bus_bytes)):
            problems.append(f"dw_lb_pairs={self.dw_lb_pairs} must hold one pixel of max_cout={self.max_cout} "
                            f"channels ({self.max_cout // self.bus_bytes} words)")
        if not 1 <= self.dw_wt_entries <= 1 << 16:
            problems.append(f"dw_wt_entries={self.dw_wt_entries} must be in 1..65536")
        if self.dw_wt_entries < self.max_cout // self.bus_bytes:
            problems.append(f"dw_wt_entries={self.dw_wt_entries} must hold max_cout={self.max_cout} channels "
                            f"({self.max_cout // self.bus_bytes} words)")
        for name in ("fm_depth_bytes", "wt_depth_bytes"):
            if getattr(self, name) <= 0 or getattr(self, name) % self.bus_bytes:
                problems.append(f"{name} must be a positive multiple of {self.bus_bytes}")
        if not problems and self.onchip_bytes > ONCHIP_BUDGET_BYTES:
            problems.append(f"on-chip buffers need {self.onchip_bytes} bytes, over the {ONCHIP_BUDGET_BYTES} budget")
        if problems:
            raise FlowError("invalid engine configuration: " + "; ".join(problems))
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def render_config_header(config: EngineConfig) -> str:
    c = config.validate()
    return render("engine_config.h.j2", c=c, min_phase=MIN_PHASE, w_depth=W_DEPTH, dw_gap=DW_GAP,
                  big_ram=c.big_ram.upper(), dw_wt_ram=c.dw_wt_ram.upper(), dw_mul=c.dw_mul)


def render_depth_header(fm_words: int, wt_words: int) -> str:
    """engine_depth.h: the m_axi depths of one model's run (cosim copies that many words per port)."""
    return render("engine_depth.h.j2", fm_words=fm_words, wt_words=wt_words)
