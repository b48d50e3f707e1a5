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

// 64 raw bits -> IEEE double. No union (type punning through a union is undefined behavior in C++ and only
// partly supported by synthesis) and no memcpy: rawBitsToDouble() is the bit reinterpretation the ap_types
// headers (ap_common.h, included by ap_int.h) themselves use to convert doubles for ap_fixed, so csim (g++) and
// Vitis HLS synthesis both support it; in hardware it is wires.
static inline double bits_to_f64(uint64_t bits) {
#pragma HLS INLINE
    return rawBitsToDouble((ap_ulong)bits);
}

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
            const uint64_t bits = (uint64_t)word.range(64 * j + 63, 64 * j);
            if (idx < n) table[idx] = bits_to_f64(bits);
        }
    }
}

#endif
