// CONV_2D (any kernel, stride, dilation, padding; pointwise fast path) and FULLY_CONNECTED on the
// PI x PO MAC array. Loop nest per layer:
//   output-channel tile (PO channels): burst the tile's weight rows into wbuf
//     output pixel: gather the input window into win (padding = input zero point), PI x PO MACs per cycle
//     over the window, requantize PO channels, store PO/BUS_BYTES words.
// The input offset is folded into the bias by the generator (bias + input_offset * sum(w)), so the array
// multiplies raw int8 x int8 and padded taps (x = zero point) cancel exactly.
#ifndef PYFLOW_CONV_H
#define PYFLOW_CONV_H

#include "engine_types.h"
#include "requant.h"

// Weight rows of one output-channel tile: PO rows of k_len bytes.
static void conv_load_weights(const bus_t *wt, int32_t addr, int32_t words_per_row, int8_t wbuf[PO][WIN_BYTES]) {
CONV_WT_LOAD_ROW:
    for (int32_t po = 0; po < PO; ++po) {
    CONV_WT_LOAD:
        for (int32_t w = 0; w < words_per_row; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=WIN_BYTES/BUS_BYTES
            ENGINE_COUNT(CNT_WT_LOAD);
            int8_t lanes[BUS_BYTES];
            unpack_word(wt[addr + po * words_per_row + w], lanes);
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                wbuf[po][w * BUS_BYTES + lane] = lanes[lane];
            }
        }
    }
}

// Pointwise fast path: the window is one pixel's channel words, one contiguous burst.
static void conv_load_pixel(const bus_t *fm, int32_t addr, int32_t cw_in, int8_t win[WIN_BYTES]) {
CONV_PIXEL_LOAD:
    for (int32_t w = 0; w < cw_in; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=WIN_BYTES/BUS_BYTES
        ENGINE_COUNT(CNT_WIN_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(fm[addr + w], lanes);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            win[w * BUS_BYTES + lane] = lanes[lane];
        }
    }
}

// General window gather: KH x KW taps of cw_in words; out-of-image taps hold the input zero point.
static void conv_load_window(const bus_t *fm, const layer_desc_t &d, int32_t oy, int32_t ox, int32_t cw_in,
                             int8_t win[WIN_BYTES]) {
    const int8_t pad_value = (int8_t)(-d.in_offset);
    int32_t base = 0;
CONV_WIN_KY:
    for (int32_t ky = 0; ky < d.k_h; ++ky) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
    CONV_WIN_KX:
        for (int32_t kx = 0; kx < d.k_w; ++kx) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
            const int32_t iy = oy * d.stride_h - d.pad_top + ky * d.dil_h;
            const int32_t ix = ox * d.stride_w - d.pad_left + kx * d.dil_w;
            const bool inside = iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w;
            const int32_t addr = d.in_addr + (iy * d.in_w + ix) * cw_in;
        CONV_WIN_LOAD:
            for (int32_t w = 0; w < cw_in; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=WIN_BYTES/BUS_BYTES
                ENGINE_COUNT(CNT_WIN_LOAD);
                int8_t lanes[BUS_BYTES];
                unpack_word(inside ? fm[addr + w] : bus_t(0), lanes);
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    win[base + w * BUS_BYTES + lane] = inside ? lanes[lane] : pad_value;
                }
            }
            base += cw_in * BUS_BYTES;
        }
    }
}

// The PI x PO MAC array: one PI-wide slice of the window against PO weight rows per cycle.
static void conv_mac(const int8_t win[WIN_BYTES], const int8_t wbuf[PO][WIN_BYTES], int32_t n_chunks,
                     int32_t acc[PO]) {
CONV_MAC:
    for (int32_t ch = 0; ch < n_chunks; ++ch) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=WIN_BYTES/PI
        ENGINE_COUNT(CNT_CONV_MAC);
        for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
            int32_t sum = 0;
            for (int32_t pi = 0; pi < PI; ++pi) {
#pragma HLS UNROLL
                sum += (int32_t)win[ch * PI + pi] * (int32_t)wbuf[po][ch * PI + pi];
            }
            acc[po] += sum;
        }
    }
}

// Requantize PO accumulators (per-channel) and store them as PO / BUS_BYTES words.
static void conv_store(bus_t *fm, int32_t addr, int32_t oc0, int32_t cw_out, const layer_desc_t &d, bool is_fc,
                       const int32_t acc[PO], const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT],
                       const double scale[MAX_COUT]) {
CONV_STORE:
    for (int32_t wd = 0; wd < PO / BUS_BYTES; ++wd) {
#pragma HLS PIPELINE II=1
        ENGINE_COUNT(CNT_CONV_STORE);
        int8_t lanes[BUS_BYTES];
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            const int32_t po = wd * BUS_BYTES + lane;
            const int32_t o = oc0 + po;
            int8_t v = 0;
            if (o < d.out_c) {
                const int64_t scaled = is_fc ? requantize_fc(acc[po], mult[o], shift[o], scale[o])
                                             : (int64_t)multiply_by_quantized_multiplier(acc[po], mult[o], shift[o]);
                v = (int8_t)clamp_i32(scaled + d.out_offset, d.act_min, d.act_max);
            }
            lanes[lane] = v;
        }
        if (oc0 / BUS_BYTES + wd < cw_out) fm[addr + wd] = pack_word(lanes);
    }
}

static void conv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                       const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT],
                       const double scale[MAX_COUT], bool is_fc) {
    static int8_t wbuf[PO][WIN_BYTES];
#pragma HLS ARRAY_PARTITION variable=wbuf dim=1 complete
#pragma HLS ARRAY_PARTITION variable=wbuf dim=2 cyclic factor=WIN_PARTITION
    static int8_t win[WIN_BYTES];
#pragma HLS ARRAY_PARTITION variable=win cyclic factor=WIN_PARTITION
    int32_t acc[PO];
#pragma HLS ARRAY_PARTITION variable=acc complete

    const int32_t cw_in = words_for(d.in_c);
    const int32_t cw_out = words_for(d.out_c);
    const int32_t words_per_row = d.k_len / BUS_BYTES;
    const int32_t n_chunks = d.k_len / PI;
    const bool pointwise = d.k_h == 1 && d.k_w == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
                           d.pad_left == 0 && d.in_h == d.out_h && d.in_w == d.out_w;

CONV_OC_TILE:
    for (int32_t oc0 = 0; oc0 < d.out_c; oc0 += PO) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/PO
        conv_load_weights(wt, d.wt_addr + oc0 * words_per_row, words_per_row, wbuf);
    CONV_ROW:
        for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
        CONV_COL:
            for (int32_t ox = 0; ox < d.out_w; ++ox) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
                const int32_t pixel = oy * d.out_w + ox;
                if (pointwise) {
                    conv_load_pixel(fm_in, d.in_addr + pixel * cw_in, cw_in, win);
                } else {
                    conv_load_window(fm_in, d, oy, ox, cw_in, win);
                }
                // FULLY_CONNECTED with asymmetric weights: + weights_offset * sum(x) (rest folded in the bias).
                int32_t x_term = 0;
                if (is_fc && d.weights_offset != 0) {
                FC_SUM_X:
                    for (int32_t i = 0; i < d.in_c; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=WIN_BYTES
                        x_term += win[i];
                    }
                    x_term *= d.weights_offset;
                }
            CONV_ACC_INIT:
                for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
                    acc[po] = (oc0 + po < d.out_c ? bias[oc0 + po] : 0) + x_term;
                }
                conv_mac(win, wbuf, n_chunks, acc);
                conv_store(fm_out, d.out_addr + pixel * cw_out + oc0 / BUS_BYTES, oc0, cw_out, d, is_fc, acc, mult,
                           shift, scale);
            }
        }
    }
}

#endif
