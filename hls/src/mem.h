// Per-channel tables of the current layer, loaded from the parameter image once per layer: folded bias and
// requant multiplier (int32 little-endian in DDR), shift (int8), channel order, padded to whole entries of
// BUS_BYTES channels, and for the LiteRT FULLY_CONNECTED the double effective scales (F64_BANKS = BUS_BYTES / 8
// per bus word).
// On chip: entry e (channels e*BUS_BYTES ..) in bank e % TBL_BANKS at e / TBL_BANKS, TBL_BANKS = PO / BUS_BYTES
// banks: an output-channel tile t of the MAC array reads entry t*TBL_BANKS + k from bank k (static) at t; the
// depthwise unit reads one entry per cycle (one read, any bank).
#ifndef PYFLOW_MEM_H
#define PYFLOW_MEM_H

#include "engine_types.h"

// A set of tables is one burst from the image: `entries` folded-bias entries, `entries` multiplier entries
// (TBL_WORDS bus words of int32 each: BUS_BYTES / 4 channels per word), then `entries` shift entries (one bus
// word each: int8 per channel, -31 .. 30).
#define TBL_WORDS 4
#define TBL_SET_WORDS (2 * TBL_WORDS + 1)  // bus words per entry of a set

// bias / multiplier / shift of `channels` channels (ceil(channels / BUS_BYTES) entries) from the image at addr,
// entry n into bank n % TBL_BANKS. One pipelined loop: each iteration writes at most one of the three tables.
static void load_tables(const bus_t *wt, int32_t addr, int32_t channels, tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                        tbl32_t mult[TBL_BANKS][TBL_DEPTH], tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
    OC_DECLARE(bias, TBL_BANKS, OC_S2P);
    OC_DECLARE(mult, TBL_BANKS, OC_S2P);
    OC_DECLARE(shift, TBL_BANKS, OC_S2P);
    const int32_t entries = ceil_div(channels, BUS_BYTES);
    tbl32_t e;  // the int32 entry under assembly
    ap_uint<2> part = 0;  // table: 0 bias, 1 multiplier, 2 shift
    ap_uint<3> k = 0;     // word in the entry (0 .. TBL_WORDS)
    idx_t n = 0;          // entry
TBL_LOAD:
    for (int32_t i = 0; i < entries * TBL_SET_WORDS; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/BUS_BYTES*TBL_SET_WORDS
        ENGINE_ITER(LOOP_TBL_LOAD);
        const bus_t word = wt[addr + i];
        if (part == 2) {
            tbl8_t sh;
            unpack_word(word, sh.v);
            OC_WRB(shift, n % TBL_BANKS, n / TBL_BANKS, sh);
            ++n;
        } else {
            for (int32_t j = 0; j < BUS_BYTES / 4; ++j) {
#pragma HLS UNROLL
                for (int32_t q = 0; q < TBL_WORDS; ++q) {
#pragma HLS UNROLL
                    if (k == q) e.v[q * (BUS_BYTES / 4) + j] = word_i32(word, j);
                }
            }
            if (++k == TBL_WORDS) {
                if (part == 0) {
                    OC_WRB(bias, n % TBL_BANKS, n / TBL_BANKS, e);
                } else {
                    OC_WRB(mult, n % TBL_BANKS, n / TBL_BANKS, e);
                }
                k = 0;
                ++n;
            }
        }
        if (n == entries) {
            n = 0;
            ++part;
        }
    }
}

// 64 raw bits -> IEEE double: rawBitsToDouble() of ap_common.h (included by ap_int.h), the helper the ap_types
// headers use themselves to convert doubles for ap_fixed, in csim (g++) and in Vitis HLS alike; in hardware it is
// wires. (It is an internal helper of the headers, implemented there with a union.)
static inline double bits_to_f64(uint64_t bits) {
#pragma HLS INLINE
    return rawBitsToDouble((ap_ulong)bits);
}

#ifndef PYFLOW_FLAVOR_TFLM
// Channel c in bank c % F64_BANKS at c / F64_BANKS: the F64_BANKS doubles of a bus word are written in one cycle.
static void load_f64_table(const bus_t *wt, int32_t addr, int32_t n, double scale[F64_BANKS][MAX_COUT / F64_BANKS]) {
    OC_DECLARE(scale, F64_BANKS, OC_S2P);
TBL_LOAD_F64:
    for (int32_t w = 0; w < ceil_div(n, F64_BANKS); ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/F64_BANKS
        ENGINE_ITER(LOOP_TBL_LOAD);
        const bus_t word = wt[addr + w];
        for (int32_t j = 0; j < F64_BANKS; ++j) {
#pragma HLS UNROLL
            OC_WRB(scale, j, w, bits_to_f64((uint64_t)word.range(64 * j + 63, 64 * j)));
        }
    }
}
#endif

#endif
