"""Resources of the engine as written: DSPs per arithmetic unit (one instance of each, as engine.cpp calls them),
BRAM_18K / URAM per on-chip array from its shape and the storage it is bound to (BIND_STORAGE in hls/src), and
rough LUT / FF figures per unit. A model to compare configurations and boards before csynth, not a substitute.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyflow.hls.config import MIN_PHASE, W_DEPTH, W_LOADERS, EngineConfig
from pyflow.vitis.boards import Board

# DSP48E2 per operator, as Vitis HLS maps them on UltraScale+: int8 x int8 one DSP; int32 x int32 -> int64
# (MultiplyByQuantizedMultiplier) 4; a double multiply (full-DSP core) 10 and the double add of the rounding 3.
LUT_MUL9, FF_MUL9 = 90, 50  # one 9 x 9-bit product in fabric (the writer's MUL, add.h)
LUT_SHIFT = 60  # the MUL product's variable left shift (18 -> 32 bits, 5-bit amount) per lane
LUT_MUL8, FF_MUL8 = 70, 40  # one int8 x int8 product in fabric (BIND_OP impl=fabric latency=2: partial-product
#                             adders and one register stage), the depthwise taps
DSP_MBQM = 4
DSP_DMUL, DSP_DADD = 10, 3
DSP_ADDRESS = 16  # runtime products: DW_STEP's write address (its taps step by adds), the expand map's divider
#                   and product, band / pool / strip addresses (iy * in_w ...) outside the loops
# Fabric per unit, rough: per int8 MAC (adder-tree share, operand registers), per requantization lane, per m_axi
# port per data bit (adapter FIFOs and control), control and s_axilite.
LUT_PER_MAC, FF_PER_MAC = 30, 50
LUT_PER_MBQM, FF_PER_MBQM = 300, 450
LUT_PER_AXI_BIT, FF_PER_AXI_BIT = 20, 30
LUT_DIVIDER, FF_DIVIDER = 1100, 1900  # one average-pool divider (32-bit, pipelined); pool.h has two
LUT_DOUBLE, FF_DOUBLE = 1500, 2200  # sitofp + dmul + round, one unit
LUT_CONTROL, FF_CONTROL = 8000, 10000
AXI_PORTS = 8  # gmem_fm_rd, gmem_fm_rd_b, gmem_fm_rd2, gmem_fm_wr, gmem_wt, gmem_wt_b, gmem_wt_c, gmem_wt_d (engine.cpp)
AXI_FIFO_BRAM = 4  # BRAM_18K per m_axi port: the data FIFO of 8 outstanding 64-beat bursts (8 x 64 x 128 bit)


def bram18(depth: int, width_bits: int) -> int:
    """BRAM_18K primitives for one bank of depth x width (the aspect ratio that fits the depth)."""
    for max_depth, width in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)):
        if depth <= max_depth:
            return math.ceil(width_bits / width)
    return math.ceil(depth / 16384) * width_bits


def uram(depth: int, width_bits: int) -> int:
    """URAM288 blocks (4096 x 72) for one bank."""
    return math.ceil(width_bits / 72) * math.ceil(depth / 4096)


def lutram_luts(depth: int, width_bits: int) -> int:
    """LUTs of a simple dual-port LUTRAM bank (RAM64X1D: 2 LUTs per 64 x 1 bit)."""
    return 2 * width_bits * math.ceil(depth / 64)


@dataclass
class Resources:
    dsp: dict[str, int]
    bram_18k: dict[str, int]
    uram: dict[str, int]
    lut: dict[str, int]
    ff: dict[str, int]
    available: dict[str, int]
    notes: list[str]

    @property
    def totals(self) -> dict[str, int]:
        return {"BRAM_18K": sum(self.bram_18k.values()), "DSP": sum(self.dsp.values()), "FF": sum(self.ff.values()),
                "LUT": sum(self.lut.values()), "URAM": sum(self.uram.values())}

    @property
    def utilization(self) -> dict[str, float]:
        return {k: (v / self.available[k] if self.available.get(k) else (0.0 if v == 0 else math.inf))
                for k, v in self.totals.items()}

    @property
    def fits(self) -> bool:
        return all(u <= 1.0 for u in self.utilization.values())


def estimate_resources(c: EngineConfig, board: Board, flavor: str = "litert") -> Resources:
    bb, bits = c.bus_bytes, c.axi_bits
    double_fc = flavor != "tflm"
    dsp = {
        f"conv MAC array ({c.pi} x {c.po} int8, two per DSP48E2)": c.pi * c.po // 2,
        f"conv requantization ({c.po} lanes)": c.po * DSP_MBQM,
        f"depthwise taps ({bb} lanes x {c.dw_taps}, dw_mul={c.dw_mul})": bb * c.dw_taps if c.dw_mul == "dsp" else 0,
        f"depthwise requantization ({bb} lanes)": bb * DSP_MBQM,
        f"ADD ({bb} lanes x 3 requantizations)": bb * 3 * DSP_MBQM,
        "pool / MEAN finishers (1 lane each: windows, global)": 2 * DSP_MBQM,
        "address arithmetic": DSP_ADDRESS,
    }
    if double_fc:
        dsp["FULLY_CONNECTED double requantization (1 unit, LiteRT)"] = DSP_DMUL + DSP_DADD
    band_depth = c.band_words // c.x_words
    lb_banks = c.dw_rows * c.dw_tb
    bram = {
        f"acc[{c.blk_pixels}] ({c.po} x int32)": bram18(c.blk_pixels, 32 * c.po),
        f"line buffer lb ({lb_banks} banks of {c.dw_lb_pairs} x {2 * bits} bit)":
            lb_banks * bram18(c.dw_lb_pairs, 2 * bits),
        f"scale ({bb // 8} banks of {c.max_cout // (bb // 8)} doubles)": (bb // 8) * bram18(c.max_cout // (bb // 8),
                                                                                           64) if double_fc else 0,
        f"m_axi adapters ({AXI_PORTS} ports)": AXI_PORTS * AXI_FIFO_BRAM,
        f"global pooling part[{c.max_cout // bb + MIN_PHASE}], fold[{c.max_cout // bb}] ({bb} x int32)":
            bram18(c.max_cout // bb + MIN_PHASE, 32 * bb) + bram18(c.max_cout // bb, 32 * bb),
    }
    big = {f"xbuf_a, xbuf_b ping-pongs (4 x {c.xbuf_half} x {8 * c.pi} bit)": (4, c.xbuf_half, 8 * c.pi),
           f"obuf ping-pong (2 x {c.obuf_words} x {8 * c.po} bit)": (2, c.obuf_words, 8 * c.po),
           f"two bands ({2 * c.x_words} banks of {band_depth} x {bits} bit)": (2 * c.x_words, band_depth, bits)}
    urams = {}
    wdw = f"depthwise weights wdw[{c.dw_wt_entries}] ({c.dw_taps} x {bits} bit)"
    if c.dw_wt_ram == "uram":
        urams[wdw] = uram(c.dw_wt_entries, c.dw_taps * bits)
    else:
        bram[wdw] = bram18(c.dw_wt_entries, c.dw_taps * bits)
    for name, (banks, depth, width) in big.items():
        if c.big_ram == "uram":
            urams[name] = banks * uram(depth, width)
        else:
            bram[name] = banks * bram18(depth, width)
    tbl_depth = c.max_cout // c.po
    lut = {
        "MAC arrays": (c.pi * c.po + bb * c.dw_taps) * LUT_PER_MAC,
        f"depthwise tap multipliers in fabric ({bb} lanes x {c.dw_taps})":
            bb * c.dw_taps * LUT_MUL8 if c.dw_mul == "fabric" else 0,
        "requantization lanes": (c.po + bb + 3 * bb + 1) * LUT_PER_MBQM,
        "depthwise routing (dw_rows:1 per tap row and column bank, then dw_tb:1 per tap; LUT6 = 4:1 mux)":
            c.dw_tb * c.dw_tb * bits * math.ceil(c.dw_rows / 4) + c.dw_tb * c.dw_tb * bits * math.ceil(c.dw_tb / 4),
        "per-channel tables (LUTRAM)": (c.o_words * 2 * lutram_luts(tbl_depth, 32 * bb)
                                        + c.o_words * lutram_luts(tbl_depth, 8 * bb)),
        f"fcacc[{c.max_cout // c.po}] ({c.po} x int32, LUTRAM), pbuf (4 x {c.max_cout // bb // 2 + 1} x {bits} bit, LUTRAM)":
            lutram_luts(c.max_cout // c.po, 32 * c.po) + 4 * lutram_luts(c.max_cout // bb // 2 + 1, bits),
        f"writer MUL products ({bb} lanes, 9 x 9 bit in fabric), its left shifter, bvec[{c.max_cout // bb}] "
        "(LUTRAM) and the input-2 FIFO (64 words, SRL32)":
            bb * LUT_MUL9 + bb * LUT_SHIFT + lutram_luts(c.max_cout // bb, bits) + 2 * bits,
        "stage FIFOs conv_out, words (64 pairs), dw_out (64 words), SRL32": 2 * (2 * 2 * bits + bits),
        "m_axi ports": AXI_PORTS * bits * LUT_PER_AXI_BIT,
        "pool dividers (2)": 2 * LUT_DIVIDER,
        f"weight FIFOs ws_0 .. ws_3 ({W_DEPTH * c.w_part} x {bits} bit, SRL32: one LUT per bit and 32 entries)":
            W_LOADERS * bits * -(-(W_DEPTH * c.w_part) // 32),
        "control / s_axilite": LUT_CONTROL,
    }
    ff = {
        "MAC arrays": (c.pi * c.po + bb * c.dw_taps) * FF_PER_MAC,
        f"depthwise tap multipliers in fabric ({bb} lanes x {c.dw_taps})":
            bb * c.dw_taps * FF_MUL8 if c.dw_mul == "fabric" else 0,
        "requantization lanes": (c.po + bb + 3 * bb + 1) * FF_PER_MBQM,
        "weight slice registers (the array's, 27-bit packed pairs, and the shadow shift registers)":
            27 * c.pi * c.po // 2 + 8 * c.pi * c.po,
        "m_axi ports": AXI_PORTS * bits * FF_PER_AXI_BIT,
        f"writer MUL products ({bb} lanes)": bb * FF_MUL9,
        "pool dividers (2)": 2 * FF_DIVIDER,
        "control / s_axilite": FF_CONTROL,
    }
    if double_fc:
        lut["FULLY_CONNECTED double unit"] = LUT_DOUBLE
        ff["FULLY_CONNECTED double unit"] = FF_DOUBLE
    notes = ["conv MAC array: two int8 MACs per DSP48E2 (hls/src/dsp_pack.h, groups of 4 per DSP cascade); "
             + ("depthwise taps: int8 products in LUTs (BIND_OP impl=fabric in depthwise_conv.h), no DSPs"
              if c.dw_mul == "fabric" else "depthwise taps: one int8 product per DSP (dw_mul=dsp)"),
             f"xbuf / obuf / band in {c.big_ram.upper()} (big_ram), wdw in {c.dw_wt_ram.upper()} (dw_wt_ram), the "
             "other RAMs in BRAM, the per-channel tables "
             "in LUTRAM, as the BIND_STORAGE pragmas in hls/src say",
             "LUT / FF are rough per-unit figures; csynth replaces them"]
    return Resources(dsp, {k: v for k, v in bram.items() if v}, urams, lut, ff, board.available(), notes)
