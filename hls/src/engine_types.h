// Layer-engine types shared by the kernel and the host testbench.
// The compile-time parallelism (PI x PO MAC array, AXI width, buffer sizes) comes from the generated
// engine_config.h (pyflow/hls/config.py renders it from hls/templates/engine_config.h.j2).
#ifndef PYFLOW_ENGINE_TYPES_H
#define PYFLOW_ENGINE_TYPES_H

#include <stdint.h>
#include "ap_int.h"
#include "engine_config.h"

// One AXI data beat: BUS_BYTES int8 lanes, lane i in bits [8i+7 : 8i].
typedef ap_uint<AXI_BITS> bus_t;

// Engine opcodes (host-side ops have codes >= OP_HOST_FIRST; engine_top never sees them).
enum engine_op_t {
    OP_CONV = 1,      // CONV_2D, any kernel / stride / dilation (pointwise fast path when 1x1 s1)
    OP_DWCONV = 2,    // DEPTHWISE_CONV_2D, depth multiplier <= MAX_DEPTH_MULT
    OP_ADD = 3,       // ADD int8
    OP_AVG_POOL = 4,  // AVERAGE_POOL_2D (padding excluded from the count)
    OP_MAX_POOL = 5,  // MAX_POOL_2D
    OP_MEAN = 6,      // MEAN over H, W (QuantizedMeanOrSum)
    OP_FC = 7,        // FULLY_CONNECTED
    OP_HOST_FIRST = 100,
    OP_RESHAPE = 100,
    OP_PAD = 101,
    OP_CONCAT = 102,
    OP_QUANTIZE = 103,
    OP_SOFTMAX = 104
};

// Layer descriptor: written by the host over s_axilite. Addresses are bus-word offsets: feature maps into
// the activation arena (fm_* ports), weights / bias / requant tables into the parameter image (wt port).
// Feature maps are NHWC with channels padded to whole bus words (each pixel starts on a word boundary).
struct layer_desc_t {
    int32_t op;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
    int32_t depth_mult;
    int32_t k_len;            // conv/FC: bytes per output-channel weight row (multiple of max(PI, BUS_BYTES))
    int32_t blk;              // conv/FC block kept on chip: pixels (pointwise) or output rows (general window)
    int32_t in_addr, in2_addr, out_addr;
    int32_t wt_addr, bias_addr, mult_addr, shift_addr, scale_addr;
    int32_t in_offset, in2_offset, out_offset, weights_offset;
    int32_t act_min, act_max;
    int32_t left_shift, in1_mult, in1_shift, in2_mult, in2_shift, out_mult, out_shift;  // ADD / MEAN
};

// Pipelined-loop iteration counters (csim only): one slot per labelled pipelined loop.
enum engine_counter_t {
    CNT_QUANT_LOAD = 0,
    CNT_WT_LOAD,
    CNT_WIN_LOAD,
    CNT_WIN_GATHER,
    CNT_CONV_MAC,
    CNT_CONV_STORE,
    CNT_DW_ROW_LOAD,
    CNT_DW_MAC,
    CNT_DW_STORE,
    CNT_ADD,
    CNT_POOL,
    CNT_COUNT
};

#ifndef __SYNTHESIS__
extern uint64_t g_engine_counters[CNT_COUNT];
static const char *const ENGINE_COUNTER_NAMES[CNT_COUNT] = {
    "QUANT_LOAD", "WT_LOAD", "WIN_LOAD", "WIN_GATHER", "CONV_MAC", "CONV_STORE",
    "DW_ROW_LOAD", "DW_MAC", "DW_STORE", "ADD", "POOL"};
#define ENGINE_COUNT(id) (++g_engine_counters[(id)])
#else
#define ENGINE_COUNT(id) ((void)0)
#endif

static inline int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }
static inline int32_t words_for(int32_t channels) { return ceil_div(channels, BUS_BYTES); }

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
static inline int32_t word_i32(const bus_t &w, int idx) {
#pragma HLS INLINE
    return (int32_t)(uint32_t)w.range(32 * idx + 31, 32 * idx);
}

#endif
