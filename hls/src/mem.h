// Burst loads of per-output-channel tables (bias, requant multiplier/shift, FC double scale) from the
// parameter image into on-chip arrays. Tables are packed little-endian, BUS_BYTES/4 int32 (or BUS_BYTES/8
// doubles) per bus word, each table starting on a word boundary.
#ifndef PYFLOW_MEM_H
#define PYFLOW_MEM_H

#include "engine_types.h"

static void load_i32_table(const bus_t *wt, int32_t addr, int32_t n, int32_t table[MAX_COUT]) {
    const int32_t per_word = BUS_BYTES / 4;
    const int32_t n_words = ceil_div(n, per_word);
QUANT_LOAD_I32:
    for (int32_t w = 0; w < n_words; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/(BUS_BYTES/4)
        ENGINE_COUNT(CNT_QUANT_LOAD);
        const bus_t word = wt[addr + w];
        for (int32_t j = 0; j < BUS_BYTES / 4; ++j) {
#pragma HLS UNROLL
            const int32_t idx = w * per_word + j;
            if (idx < n) table[idx] = word_i32(word, j);
        }
    }
}

union f64_bits_t {
    uint64_t u;
    double d;
};

static void load_f64_table(const bus_t *wt, int32_t addr, int32_t n, double table[MAX_COUT]) {
    const int32_t per_word = BUS_BYTES / 8;
    const int32_t n_words = ceil_div(n, per_word);
QUANT_LOAD_F64:
    for (int32_t w = 0; w < n_words; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/(BUS_BYTES/8)
        ENGINE_COUNT(CNT_QUANT_LOAD);
        const bus_t word = wt[addr + w];
        for (int32_t j = 0; j < BUS_BYTES / 8; ++j) {
#pragma HLS UNROLL
            const int32_t idx = w * per_word + j;
            f64_bits_t bits;
            bits.u = (uint64_t)word.range(64 * j + 63, 64 * j);
            if (idx < n) table[idx] = bits.d;
        }
    }
}

#endif
