// AVERAGE_POOL_2D / MAX_POOL_2D / MEAN(H, W), any feature-map and window size. ONE finishing unit serves every
// lane of every output (the average's divider, MEAN's requantization), one lane per cycle.
//   windows (pool_windows): one output pixel and one channel word at a time, the window's in-image taps read
//     one word per cycle (POOL_TAP, single beats), then the word's BUS_BYTES lanes finished (POOL_FINISH).
//   global (pool_global, d.pool_global: a 1x1 output whose window is the whole unpadded map, e.g. MEAN(H, W) or
//     the head's average pool): the map in ONE burst (POOL_GSUM), summed per channel word into pool_slots
//     partial sums each, so that one partial sum is updated only every pool_slots x cw_out >= MIN_PHASE cycles;
//     the partial sums folded (POOL_GFOLD), then every lane finished (POOL_GFINISH).
// Only in-image taps count (TFLite excludes padding from the average's divisor).
// MEAN (QuantizedMeanOrSum): sum + input_offset * count, MultiplyByQuantizedMultiplier, + output offset.
#ifndef PYFLOW_POOL_H
#define PYFLOW_POOL_H

#include "engine_types.h"
#include "requant.h"

// The finishing unit: one lane's window sum (or max) s over count in-image taps -> the output value.
static inline int8_t pool_finish(const layer_desc_t &d, int32_t s, int32_t count) {
#pragma HLS INLINE
    int64_t r;
    if (d.op == OP_MEAN) {
        r = (int64_t)multiply_by_quantized_multiplier(s + d.in_offset * count, d.out_mult, d.out_shift) + d.out_offset;
    } else if (d.op == OP_MAX_POOL) {
        r = s;
    } else {  // average, rounded half away from zero (the generator rejects windows with count 0):
        // one unsigned divide of |s|, then the sign
        const uint32_t q = ((uint32_t)(s >= 0 ? s : -s) + (uint32_t)(count / 2)) / (uint32_t)count;
        r = s >= 0 ? (int64_t)q : -(int64_t)q;
    }
    return (int8_t)clamp_i32(r, d.act_min, d.act_max);
}

static void pool_global(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out) {
    static lsum_t part[POOL_PARTS];  // partial sums: slot k, channel word c at k * cw + c (BUS_BYTES lanes used)
#pragma HLS AGGREGATE variable=part
#pragma HLS BIND_STORAGE variable=part type=ram_s2p impl=bram
    static lsum_t fold[MAX_COUT / BUS_BYTES];  // the sums of channel word c
#pragma HLS AGGREGATE variable=fold
#pragma HLS BIND_STORAGE variable=fold type=ram_s2p impl=bram
    OC_DECLARE(part, 1, OC_S2P);
    OC_DECLARE(fold, 1, OC_S2P);
    const int32_t cw = d.cw_out;
    const bool is_max = d.op == OP_MAX_POOL;
    const int32_t fresh = d.pool_slots * cw;  // the first pass over the slots writes, the others add
    idx_t c = 0, k = 0, a = 0;  // channel word, slot, part address (k * cw + c)
POOL_GSUM:  // the whole map, one burst
    for (int32_t i = 0; i < d.in_h * d.in_w * cw; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
// one part entry is read and written once every pool_slots x cw >= MIN_PHASE iterations (the generator's choice)
#pragma HLS DEPENDENCE variable=part type=inter direction=RAW distance=MIN_PHASE dependent=true
        ENGINE_ITER(LOOP_POOL_GSUM);
        int8_t lanes[BUS_BYTES];
        unpack_word(fm_in[d.in_addr + i], lanes);
        lsum_t v;
        if (i < fresh) {
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                v.v[lane] = lanes[lane];
            }
        } else {
            const lsum_t prev = OC_RD(part, a);
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                const int32_t x = lanes[lane];
                v.v[lane] = is_max ? (x > prev.v[lane] ? x : prev.v[lane]) : prev.v[lane] + x;
            }
        }
        OC_WR(part, a, v);
        ++a;
        if (++c == cw) {
            c = 0;
            if (++k == d.pool_slots) {
                k = 0;
                a = 0;
            }
        }
    }
    lsum_t sum = {};
    idx_t fc = 0, fk = 0, fa = 0;  // channel word, slot, part address (fk * cw + fc)
POOL_GFOLD:  // channel word by channel word, its pool_slots partial sums
    for (int32_t i = 0; i < d.pool_slots * cw; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=POOL_PARTS
        ENGINE_ITER(LOOP_POOL_GFOLD);
        const lsum_t v = OC_RD(part, fa);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            const int32_t s = fk == 0 ? v.v[lane] : sum.v[lane];
            sum.v[lane] = fk == 0 ? s : (is_max ? (v.v[lane] > s ? v.v[lane] : s) : s + v.v[lane]);
        }
        if (fk == d.pool_slots - 1) {
            OC_WR(fold, fc, sum);
            fk = 0;
            ++fc;
            fa = fc;
        } else {
            ++fk;
            fa += cw;
        }
    }
    const int32_t count = d.in_h * d.in_w;
    int8_t out[BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=out complete
    idx_t oc = 0, lane = 0;
POOL_GFINISH:  // every lane of every channel word through the one finishing unit; one output word per BUS_BYTES
    for (int32_t i = 0; i < cw * BUS_BYTES; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT
        ENGINE_ITER(LOOP_POOL_GFINISH);
        const lsum_t s = OC_RD(fold, oc);
        const int8_t r = pool_finish(d, s.v[lane], count);
        for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
            if (j == lane) out[j] = oc * BUS_BYTES + j < d.out_c ? r : (int8_t)0;
        }
        if (lane == BUS_BYTES - 1) {
            fm_out[d.out_addr + oc] = pack_word(out);
            lane = 0;
            ++oc;
        } else {
            ++lane;
        }
    }
}

static void pool_windows(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out) {
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
                    out[lane] = c * BUS_BYTES + lane < d.out_c ? pool_finish(d, acc[lane], count) : (int8_t)0;
                }
                fm_out[d.out_addr + (oy * d.out_w + ox) * cw + c] = pack_word(out);
            }
        }
    }
}

// One call site (engine.cpp): the global path or the window path, never both (one finishing unit each; HLS
// shares nothing between them, the two finishers are counted in the resource model).
static void pool_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out) {
    if (d.pool_global) {
        pool_global(d, fm_in, fm_out);
    } else {
        pool_windows(d, fm_in, fm_out);
    }
#ifdef PYFLOW_FAULT_WRITE_PAST_END  // test build only: one word past the output tensor
    fm_out[d.out_addr + d.out_h * d.out_w * d.cw_out] = splat_word((int8_t)0x5a);
#endif
}

#endif
