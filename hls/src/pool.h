// AVERAGE_POOL_2D / MAX_POOL_2D / MEAN(H, W), any feature-map and window size: one output pixel and one channel
// word at a time, the window's in-image taps read one word per cycle (POOL_TAP), then the BUS_BYTES lanes
// finished one per cycle by ONE shared unit (POOL_FINISH: the average's divider, MEAN's requantization).
// Only in-image taps count (TFLite excludes padding from the average's divisor).
// MEAN (QuantizedMeanOrSum): sum + input_offset * count, MultiplyByQuantizedMultiplier, + output offset.
#ifndef PYFLOW_POOL_H
#define PYFLOW_POOL_H

#include "engine_types.h"
#include "requant.h"

static void pool_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out) {
    const int32_t cw = d.cw_out;
    const bool is_max = d.op == OP_MAX_POOL;
    int32_t acc[BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=acc complete
POOL_ROW:
    for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    POOL_COL:
        for (int32_t ox = 0; ox < d.out_w; ++ox) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
        POOL_CH:
            for (int32_t c = 0; c < cw; ++c) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/BUS_BYTES
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    acc[lane] = is_max ? -128 : 0;
                }
                int32_t count = 0;
                int32_t ky = 0, kx = 0;
            POOL_TAP:  // k_h x k_w taps (MEAN: the whole map)
                for (int32_t t = 0; t < d.k_h * d.k_w; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=49
                    ENGINE_ITER(LOOP_POOL_TAP);
                    const int32_t iy = oy * d.stride_h - d.pad_top + ky;
                    const int32_t ix = ox * d.stride_w - d.pad_left + kx;
                    if (iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w) {
                        int8_t lanes[BUS_BYTES];
                        unpack_word(fm_in[d.in_addr + (iy * d.in_w + ix) * cw + c], lanes);
                        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                            const int32_t x = lanes[lane];
                            acc[lane] = is_max ? (x > acc[lane] ? x : acc[lane]) : acc[lane] + x;
                        }
                        ++count;
                    }
                    if (++kx == d.k_w) {
                        kx = 0;
                        ++ky;
                    }
                }
                int8_t out[BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=out complete
            POOL_FINISH:  // one lane per cycle through one divider / requantizer
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS PIPELINE II=1
                    ENGINE_ITER(LOOP_POOL_FINISH);
                    const int32_t s = acc[lane];
                    int64_t r;
                    if (d.op == OP_MEAN) {
                        r = (int64_t)multiply_by_quantized_multiplier(s + d.in_offset * count, d.out_mult,
                                                                      d.out_shift) + d.out_offset;
                    } else if (is_max) {
                        r = s;
                    } else {  // average, rounded half away from zero (the generator rejects windows with count 0):
                        // one unsigned divide of |s|, then the sign
                        const uint32_t q = ((uint32_t)(s >= 0 ? s : -s) + (uint32_t)(count / 2)) / (uint32_t)count;
                        r = s >= 0 ? (int64_t)q : -(int64_t)q;
                    }
                    out[lane] = c * BUS_BYTES + lane < d.out_c ? (int8_t)clamp_i32(r, d.act_min, d.act_max) : 0;
                }
                fm_out[d.out_addr + (oy * d.out_w + ox) * cw + c] = pack_word(out);
            }
        }
    }
#ifdef PYFLOW_FAULT_WRITE_PAST_END  // test build only: one word past the output tensor
    fm_out[d.out_addr + d.out_h * d.out_w * cw] = splat_word((int8_t)0x5a);
#endif
}

#endif
