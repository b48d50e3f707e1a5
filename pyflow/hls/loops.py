"""The per-loop II table of the layer engine: every labelled pipelined loop of hls/src, with what one iteration
touches, the II that follows from it, the pipeline depth, and why.

This table is the claim; three things hold it to the code:
- ``engine_loops.h`` (rendered from it) gives each loop the id its ``ENGINE_ITER(LOOP_x)`` uses, so a loop without
  a row does not compile;
- the csim access check (hls/src/onchip.h) measures, per loop, the most reads and writes any bank of any on-chip
  array gets in one iteration: tests/test_hls_access.py requires them within ``arrays`` (and within the ports of
  the array's storage at this II) on every layer of every csim run;
- pyflow.estimate computes every loop's iterations from the descriptors and checks them against the csim counts.

Ports: every on-chip array is bound to a simple dual-port RAM (``ram_s2p``: one read and one write per cycle per
bank); registers (fully partitioned arrays) and FIFOs are not listed. ``axi``: the m_axi access an iteration makes
(one bus word), ``burst`` whether consecutive iterations form one burst.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyflow.hls.config import EngineConfig
from pyflow.hls.render import render


@dataclass(frozen=True)
class Loop:
    label: str  # the C++ label (or labels, sharing one id)
    unit: str  # the stage function
    trips: str  # where the iteration count comes from
    arrays: dict[str, tuple[int, int]]  # array -> (reads, writes) per bank per iteration, at most
    ii: int
    reason: str
    axi: str | None = None  # None | "read" | "write" | "read+write"
    burst: bool = True
    depth: str = "3"  # pipeline depth, a Python expression over cfg (EngineConfig) and log2

    @property
    def id(self) -> str:
        return "LOOP_" + self.labels[0]

    @property
    def labels(self) -> tuple[str, ...]:
        """The C++ labels of the loops counted under this id."""
        return tuple(self.label.split("/"))

    def pipeline_depth(self, cfg: EngineConfig) -> int:
        return int(eval(self.depth, {"cfg": cfg, "log2": lambda n: max(1, math.ceil(math.log2(n)))}))


REQUANT_DEPTH = "8"  # MultiplyByQuantizedMultiplier: 32x32 multiply (4 DSP stages), rounding shift, clamp

LOOPS: tuple[Loop, ...] = (
    Loop("TBL_LOAD/TBL_LOAD_F64", "load_tables, load_f64_table (mem.h)",
         "per table set: cw_out x (4 + 4 + 1) words (FC double scales: out_c / (BUS/8))",
         {"bias": (0, 1), "mult": (0, 1), "shift": (0, 1), "scale": (0, 1)}, 1,
         "one word in; a bias / multiplier entry written every 4th cycle, a shift entry every cycle, into its bank "
         "(scales: one double per bank)",
         axi="read"),
    Loop("CONV_X_LOAD", "conv_load_pointwise (conv.h; in conv_load_x<0> and <1>, one xbuf each)",
         "blocks x pixels x cw_in (both halves)", {"xbuf": (0, 1)}, 1,
         "one word in, assembled in a register slice, one slice written per X_WORDS words", axi="read"),
    Loop("CONV_BAND_PAD", "conv_band_pad (conv.h; two instances, one band each)", "padding words of each band row", {"band": (0, 1)}, 1,
         "one band word written (bank = address % X_WORDS, one candidate write per bank)"),
    Loop("CONV_BAND_LOAD", "conv_band_burst (conv.h; two instances)", "in-image words of each band row", {"band": (0, 1)}, 1,
         "one word in, one band word written", axi="read"),
    Loop("CONV_GATHER", "conv_gather (conv.h; two instances)", "blocks x pixels x slices (both halves)", {"band": (1, 0), "xbuf": (0, 1)}, 1,
         "each of the X_WORDS band banks read once at its own address, rotated into one slice", depth="4"),
    Loop("CONV_W_LOAD", "conv_load_w<0> .. <3> (conv.h, one m_axi port each)",
         "blocks x tiles x slices x W_WORDS (W_PART per instance)", {}, 1,
         "one word in, into the FIFO", axi="read"),
    Loop("CONV_MAC", "conv_mac (conv.h)", "blocks x (W_PART + tiles x slices x max(pixels, W_PART, MIN_PHASE))",
         {"xbuf": (1, 0), "acc": (1, 1), "xsum": (1, 1), "bias": (1, 0), "mult": (1, 0), "shift": (1, 0),
          "obuf": (0, 1), "fcacc": (0, 1)}, 1,
         "weights in registers for a whole phase (the shadow registers copied at its start; the next slice "
         "shifts in one word per FIFO per cycle in its first W_PART cycles); one slice "
         "of xbuf_a or xbuf_b, one acc word read and written (a pixel's entry "
         "again only L >= MIN_PHASE cycles later), one table entry per bank",
         depth="2 + 3 + log2(cfg.pi) + 1 + " + REQUANT_DEPTH + " + 1"),
    Loop("CONV_FC_REQUANT", "conv_mac (conv.h)", "out_c (FULLY_CONNECTED, LiteRT flavor)",
         {"fcacc": (1, 0), "scale": (1, 0), "obuf": (0, 1)}, 1,
         "one channel per cycle through one double multiplier; one output tile word written every PO channels",
         depth="30"),
    Loop("CONV_EMIT", "conv_emit (conv.h)",
         "blocks x pixels x ceil(c_cw_out / 2) (EMIT_WORDS 2: PO a multiple of 2 x BUS; else x c_cw_out)",
         {"obuf": (1, 0)}, 1,
         "one obuf word read; a pair of bus words into the next stage's FIFO (EMIT_WORDS 1: one word, a pair every "
         "second word)", depth="2"),
    Loop("DW_W_LOAD", "dw_load_weights (depthwise_conv.h)", "cw_out x blocks x DW_TB^2", {"wdw": (0, 1)}, 1,
         "one word in, one tap-block entry written every DW_TB^2 words", axi="read"),
    Loop("DW_PASS", "dw_expand (depthwise_conv.h)", "dw_in_pixels x ceil(cw_in / 2) (depth multiplier 1)", {}, 1,
         "a pair FIFO to FIFO", depth="1"),
    Loop("DW_EXPAND_MAP", "dw_expand (depthwise_conv.h)", "cw_out, once per layer (depth multiplier > 1)",
         {"vmap": (0, 1)}, 1, "one virtual word's input word and lane offsets: one pipelined divider, no carried "
         "value", depth="36"),
    Loop("DW_EXPAND", "dw_expand (depthwise_conv.h)", "cw_in + dw_in_pixels x cw_out (depth multiplier > 1)",
         {"vmap": (1, 0), "pbuf": (1, 1)}, 1,
         "one virtual word out of one pixel-buffer half (all four banks read once, the half selected), the next "
         "pixel's input word (half of a pair read every second word) into the other half; lane offsets by "
         "comparisons, no carried value; a pair out every second virtual word", depth="5"),
    Loop("DW_STEP", "dw_step (depthwise_conv.h)",
         "strips x (out_h + lag) steps x (lag 1: max(pairs loaded, out words x blocks); lag 0: pairs loaded + "
         "DW_GAP + out words x blocks)",
         {"lb": (1, 1), "wdw": (1, 0), "bias": (1, 0), "mult": (1, 0), "shift": (1, 0)}, 1,
         "every line-buffer bank read once at its own address and routed to the taps; the row being loaded is "
         "outside the window (one write); one tap-block word; one table entry",
         depth="2 + 2 + 1 + 3 + log2(cfg.dw_taps) + 1 + " + REQUANT_DEPTH),
    Loop("PIPE_READ", "pipe_read (pipeline.h)", "conv stage off: the input's runs (depthwise: strips x rows_read x "
         "strip columns x cw_in; ADD: the whole tensor)", {}, 1,
         "one word in, a pair into the FIFO every second word of a pixel; one burst per run",
         axi="read", depth="2"),
    Loop("PIPE_COPY", "dw_stage (pipeline.h)", "depthwise stage off: out_h x out_w x cw_out", {}, 1,
         "one word out, a pair read every second word of a pixel", depth="1"),
    Loop("PIPE_WRITE", "pipe_write (pipeline.h)", "the output's runs (after a depthwise stage: strips x out_h x "
         "strip columns x cw_out; else the whole tensor)", {}, 1, "FIFO to one bus word out; one burst per run",
         axi="write", depth="2"),
    Loop("PIPE_WRITE_ADD", "pipe_write (pipeline.h)", "as PIPE_WRITE, with the ADD / MUL of input 2 (add_on)", {}, 1,
         "FIFO word of input 1 + FIFO word of input 2 (pipe_in2), 16 lanes through the two-input unit (ADD: three "
         "requantizations, two of them side by side; MUL: a 9 x 9-bit product and the shared last one), one word out",
         axi="write", depth="2 * " + REQUANT_DEPTH + " + 5"),
    Loop("PIPE_BCAST_LOAD", "pipe_in2 (pipeline.h)", "cw_out (in2_bcast: input 2's one pixel, once per step)",
         {"bvec": (0, 1)}, 1, "one word of input 2 in (one burst), one bvec word written", axi="read", depth="2"),
    Loop("PIPE_IN2", "pipe_in2 (pipeline.h)", "as PIPE_WRITE (add_on, input 2 a tensor)", {}, 1,
         "one word of input 2 in (one burst per run, its own port), one FIFO word out", axi="read", depth="2"),
    Loop("PIPE_IN2_BCAST", "pipe_in2 (pipeline.h)", "as PIPE_WRITE (add_on, in2_bcast)", {"bvec": (1, 0)}, 1,
         "the pixel's channel word of bvec (one read), one FIFO word out", depth="2"),
    Loop("POOL_TAP", "pool_windows (pool.h)", "out_h x out_w x cw_out x k_h x k_w", {}, 1,
         "one word in (single beats, strided), max / add into registers", axi="read", burst=False),
    Loop("POOL_FINISH", "pool_windows (pool.h)", "out_h x out_w x cw_out x BUS_BYTES", {}, 1,
         "one lane per cycle through the one divider / requantizer", depth="36"),
    Loop("POOL_GSUM", "pool_global (pool.h)", "in_h x in_w x cw_out (global pooling)", {"part": (1, 1)}, 1,
         "one word in (one burst over the map), one partial-sum word read and written (the same word again only "
         "pool_slots x cw_out >= MIN_PHASE iterations later)", axi="read", depth="4"),
    Loop("POOL_GFOLD", "pool_global (pool.h)", "pool_slots x cw_out", {"part": (1, 0), "fold": (0, 1)}, 1,
         "one partial-sum word read and added into registers; one folded word written per channel word",
         depth="3"),
    Loop("POOL_GFINISH", "pool_global (pool.h)", "cw_out x BUS_BYTES", {"fold": (1, 0)}, 1,
         "one lane per cycle through the global path's divider / requantizer; one word out per BUS_BYTES lanes",
         axi="write", depth="36"),
)
BY_ID = {loop.id: loop for loop in LOOPS}
COUNTERS = tuple(loop.id for loop in LOOPS)  # order of the ids in engine_loops.h and the csim report


def render_loops_header() -> str:
    return render("engine_loops.h.j2", loops=[(loop.id, loop.label, loop.unit) for loop in LOOPS])
