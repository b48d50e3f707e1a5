// Layer-engine types shared by the kernel and the host testbench.
// Generated next to this file's includes (pyflow.hls.codegen, under <build>/hls/include):
//   engine_config.h  compile-time parallelism and buffer sizes (pyflow/hls/config.py)
//   engine_desc.h    the layer descriptor layer_desc_t and the opcodes (pyflow/hls/descriptor.py)
//   engine_loops.h   one id per labelled pipelined loop (pyflow/hls/loops.py, the per-loop II table)
#ifndef PYFLOW_ENGINE_TYPES_H
#define PYFLOW_ENGINE_TYPES_H

#include <stdint.h>
#include "ap_int.h"
#include "hls_stream.h"
#include "engine_config.h"
#include "engine_desc.h"
#include "onchip.h"

// One AXI data beat: BUS_BYTES int8 lanes, lane i in bits [8i+7 : 8i]. The only ap_uint of the kernel: on-chip
// words are structs of lanes, one wide word each (#pragma HLS AGGREGATE on every array of them), which is the
// same hardware and plain C++ arrays (fast) in C simulation.
typedef ap_uint<AXI_BITS> bus_t;

// One bus word on chip (band, streams into the writer).
struct lanes_t {
    int8_t b[BUS_BYTES];
};
// Two bus words: what the FIFOs into the depthwise stage and its line buffer carry per cycle (so that a stride-2
// depthwise layer, four input words per output word, takes its input at two words per cycle). A pixel of cw words
// is ceil(cw / 2) pairs, words 2q and 2q + 1 in pair q; an odd pixel's last pair has a zero high half.
struct pair_t {
    lanes_t w[2];
};
static inline int32_t pairs_of(int32_t words) { return (words + 1) >> 1; }
// Puts word k (0 or 1) of a pair under assembly; word 0 also clears word 1 (an odd pixel's last pair keeps it 0).
static inline void pair_put(pair_t &p, int32_t k, const lanes_t &v) {
#pragma HLS INLINE
    if (k == 0) {
        p.w[0] = v;
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            p.w[1].b[lane] = 0;
        }
    } else {
        p.w[1] = v;
    }
}
// One MAC-array input slice: PI int8 lanes (X_WORDS bus words of one window segment).
struct xslice_t {
    int8_t b[PI];
};
// One output-channel tile of one pixel after requantization: PO int8 lanes.
struct oword_t {
    int8_t b[PO];
};
// PO int32 accumulators of one pixel.
struct accw_t {
    int32_t v[PO];
};
// BUS_BYTES int32 lane sums (global pooling's partial sums).
struct lsum_t {
    int32_t v[BUS_BYTES];
};
// Per-channel tables: one entry = BUS_BYTES channels (bias / multiplier: int32, shift: int8 per lane).
struct tbl32_t {
    int32_t v[BUS_BYTES];
};
struct tbl8_t {
    int8_t v[BUS_BYTES];
};
// The conv weight loaders (conv.h conv_load_w<H>): each streams PO / W_LOADERS output channels of every slice.
#define W_LOADERS 4
#define W_FIFO (W_DEPTH * W_PART)  // words each weight FIFO holds: W_DEPTH slices

// Counters of the hottest pipelined loops (CONV_MAC per block, DW_STEP per step), narrowed to what their trip
// counts need, so that their increment / compare carry chains stay short; the generator checks that every layer
// fits (pyflow/hls/conv_plan.py, dw_plan.py: TRIP_BITS, INDEX_BITS).
#define TRIP_BITS 24
#define INDEX_BITS 16
typedef ap_uint<TRIP_BITS> trip_t;  // iterations of one loop call
typedef ap_uint<INDEX_BITS> idx_t;  // pixel, slice, tile, channel word, tap block, RAM address within a call

static inline int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

// Lane access on a bus word (the only place that knows the packing).
static inline int8_t lane_get(const bus_t &w, int lane) {
#pragma HLS INLINE
    return (int8_t)(ap_uint<8>)w.range(8 * lane + 7, 8 * lane);
}
static inline void lane_set(bus_t &w, int lane, int8_t v) {
#pragma HLS INLINE
    w.range(8 * lane + 7, 8 * lane) = (ap_uint<8>)(uint8_t)v;
}
// Whole-word unpack / pack in 64-bit slices (same hardware as per-lane slicing, far faster as C++ in csim).
static inline void unpack_word(const bus_t &w, int8_t lanes[BUS_BYTES]) {
#pragma HLS INLINE
    for (int j = 0; j < BUS_BYTES / 8; ++j) {
#pragma HLS UNROLL
        const uint64_t chunk = (uint64_t)w.range(64 * j + 63, 64 * j);
        for (int b = 0; b < 8; ++b) {
#pragma HLS UNROLL
            lanes[8 * j + b] = (int8_t)(uint8_t)(chunk >> (8 * b));
        }
    }
}
static inline bus_t pack_word(const int8_t lanes[BUS_BYTES]) {
#pragma HLS INLINE
    bus_t w = 0;
    for (int j = 0; j < BUS_BYTES / 8; ++j) {
#pragma HLS UNROLL
        uint64_t chunk = 0;
        for (int b = 0; b < 8; ++b) {
#pragma HLS UNROLL
            chunk |= (uint64_t)(uint8_t)lanes[8 * j + b] << (8 * b);
        }
        w.range(64 * j + 63, 64 * j) = chunk;
    }
    return w;
}
// A word whose every lane holds v (the input zero point of padded taps).
static inline bus_t splat_word(int8_t v) {
#pragma HLS INLINE
    int8_t lanes[BUS_BYTES];
    for (int j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
        lanes[j] = v;
    }
    return pack_word(lanes);
}
static inline int32_t word_i32(const bus_t &w, int idx) {
#pragma HLS INLINE
    return (int32_t)(uint32_t)w.range(32 * idx + 31, 32 * idx);
}

#endif
