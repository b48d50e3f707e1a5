// CONV_2D (any kernel, stride, dilation, padding; pointwise fast path) and FULLY_CONNECTED on the
// PI x PO MAC array. Loop nest per layer (every feature-map byte crosses the bus once per block, in bursts):
//   pixel block (d.blk pixels, pointwise; d.blk whole output rows, general window):
//     pointwise: ONE burst loads the block's pixels (all channels) into xbuf (the windows, im2col);
//     general:   ONE burst loads the band of input rows the block reads into band, then the windows are
//                gathered on chip into xbuf, densely packed (KH x KW x in_c bytes, padding = input zero point);
//     output-channel tile (PO channels): ONE burst loads the tile's PO weight rows into wbuf;
//       MAC: one flattened pipeline over (pixel, PI-wide slice of the window), PI x PO MACs per cycle,
//       requantizing PO channels into obuf at the last slice of each pixel;
//     ONE burst stores the block's outputs (all channels, contiguous in NHWC) from obuf.
// The input is read once (general: plus the band overlap of kernel rows between blocks); the weights once per
// block (d.blk is chosen by pyflow.hls.codegen.conv_block so that the buffers fit).
// The input offset is folded into the bias by the generator (bias + input_offset * sum(w)), so the array
// multiplies raw int8 x int8 and padded taps (x = zero point) cancel exactly.
#ifndef PYFLOW_CONV_H
#define PYFLOW_CONV_H

#include "engine_types.h"
#include "requant.h"

// Weight rows of one output-channel tile: PO rows of k_len bytes, contiguous in the image: one burst.
static void conv_load_weights(const bus_t *wt, int32_t addr, int32_t words_per_row, int8_t wbuf[PO][WIN_BYTES]) {
    int32_t po = 0, w = 0;
CONV_WT_LOAD:
    for (int32_t i = 0; i < PO * words_per_row; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=PO*WIN_BYTES/BUS_BYTES
        ENGINE_COUNT(CNT_WT_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(wt[addr + i], lanes);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            wbuf[po][w * BUS_BYTES + lane] = lanes[lane];
        }
        if (++w == words_per_row) {
            w = 0;
            ++po;
        }
    }
}

// Pointwise: a block of n pixels is n * cw_in contiguous words; pixel p's window starts at xbuf[p * k_len].
static void conv_load_pixels(const bus_t *fm, int32_t addr, int32_t n_pix, int32_t cw_in, int32_t k_len,
                             int8_t xbuf[BLK_IN_BYTES]) {
    int32_t base = 0, w = 0;
CONV_PIXEL_LOAD:
    for (int32_t i = 0; i < n_pix * cw_in; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BLK_IN_BYTES/BUS_BYTES
        ENGINE_COUNT(CNT_WIN_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(fm[addr + i], lanes);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            xbuf[base + w * BUS_BYTES + lane] = lanes[lane];
        }
        if (++w == cw_in) {
            w = 0;
            base += k_len;
        }
    }
}

// General window: the band of input rows [row0, row0 + n_rows) (all channels), contiguous: one burst.
static void conv_load_band(const bus_t *fm, int32_t addr, int32_t n_words, bus_t band[BAND_WORDS]) {
CONV_ROWS_LOAD:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BAND_WORDS
        ENGINE_COUNT(CNT_WIN_LOAD);
        band[i] = fm[addr + i];
    }
}

// On-chip im2col of output rows [oy0, oy0 + n_rows), packed densely: pixel p's window is KH x KW taps of in_c
// bytes each, contiguous from xbuf[p * k_len] (k_len = KH * KW * in_c rounded up to max(PI, BUS_BYTES); the
// weight rows have the same layout, zero in the tail, so the tail's stale bytes multiply zero). Out-of-image taps
// hold the input zero point. One flattened pipeline over (pixel, tap, word): the word's valid bytes land at an
// unaligned offset, written as one rotation over the WIN_PARTITION banks (each bank written at most once).
static void conv_gather(const layer_desc_t &d, int32_t oy0, int32_t n_rows, int32_t row0, int32_t cw_in,
                        const bus_t band[BAND_WORDS], int8_t xbuf[BLK_IN_BYTES]) {
    const int8_t pad_value = (int8_t)(-d.in_offset);
    const int32_t n = n_rows * d.out_w * d.k_h * d.k_w * cw_in;
    int32_t oy = oy0, ox = 0, ky = 0, kx = 0, w = 0;
    int32_t base = 0, tap_off = 0;  // window of the current pixel in xbuf, byte offset of the current tap in it
    // n = pixels x KH x KW x cw_in words; each word brings >= 1 byte of a window (cw_in <= in_c) and the block's
    // windows fit xbuf (blk x out_w x k_len <= BLK_IN_BYTES, codegen conv_block), so n <= BLK_IN_BYTES
CONV_WIN_GATHER:
    for (int32_t i = 0; i < n; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BLK_IN_BYTES
        ENGINE_COUNT(CNT_WIN_GATHER);
        const int32_t iy = oy * d.stride_h - d.pad_top + ky * d.dil_h;
        const int32_t ix = ox * d.stride_w - d.pad_left + kx * d.dil_w;
        const bool inside = iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w;
        const int32_t addr = inside ? ((iy - row0) * d.in_w + ix) * cw_in + w : 0;
        int8_t lanes[BUS_BYTES];
        unpack_word(band[addr], lanes);
        const int32_t left = d.in_c - w * BUS_BYTES;
        const int32_t valid = left < BUS_BYTES ? left : BUS_BYTES;  // bytes of this word that belong to the tap
        const int32_t start = base + tap_off + w * BUS_BYTES;
        const int32_t rot = start % WIN_PARTITION;  // WIN_PARTITION is a power of two
        const int32_t line = start / WIN_PARTITION;
        for (int32_t b = 0; b < WIN_PARTITION; ++b) {
#pragma HLS UNROLL
            const int32_t j = (b - rot + WIN_PARTITION) % WIN_PARTITION;  // lane that lands in bank b
            const int32_t a = b < rot ? line + 1 : line;
            if (j < valid) xbuf[a * WIN_PARTITION + b] = inside ? lanes[j] : pad_value;
        }
        if (++w == cw_in) {
            w = 0;
            tap_off += d.in_c;
            if (++kx == d.k_w) {
                kx = 0;
                if (++ky == d.k_h) {
                    ky = 0;
                    tap_off = 0;
                    base += d.k_len;
                    if (++ox == d.out_w) {
                        ox = 0;
                        ++oy;
                    }
                }
            }
        }
    }
}

// The PI x PO MAC array over n_pix windows of one block against one output-channel tile, flattened over
// (pixel, slice): at a pixel's last slice its PO accumulators are requantized into obuf (PO / BUS_BYTES words).
// FULLY_CONNECTED with asymmetric weights adds weights_offset * sum(x) (the rest is folded in the bias).
static void conv_mac(const layer_desc_t &d, const int8_t xbuf[BLK_IN_BYTES], const int8_t wbuf[PO][WIN_BYTES],
                     int32_t n_pix, int32_t oc0, int32_t cw_out, bool is_fc, const int32_t bias[MAX_COUT],
                     const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT], const double scale[MAX_COUT],
                     bus_t obuf[BLK_OUT_WORDS]) {
    int32_t acc[PO];
#pragma HLS ARRAY_PARTITION variable=acc complete
    const int32_t n_chunks = d.k_len / PI;
    const bool sum_x = is_fc && d.weights_offset != 0;
    int32_t ch = 0, xoff = 0, ooff = oc0 / BUS_BYTES, x_sum = 0;
CONV_MAC:
    for (int32_t i = 0; i < n_pix * n_chunks; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BLK_IN_BYTES/PI
        ENGINE_COUNT(CNT_CONV_MAC);
        int32_t xs = 0;
        for (int32_t pi = 0; pi < PI; ++pi) {
#pragma HLS UNROLL
            xs += (ch * PI + pi < d.in_c) ? (int32_t)xbuf[xoff + pi] : 0;
        }
        x_sum = (ch == 0 ? 0 : x_sum) + xs;
        for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
            int32_t sum = 0;
            for (int32_t pi = 0; pi < PI; ++pi) {
#pragma HLS UNROLL
                sum += (int32_t)xbuf[xoff + pi] * (int32_t)wbuf[po][ch * PI + pi];
            }
            const int32_t init = oc0 + po < d.out_c ? bias[oc0 + po] : 0;
            acc[po] = (ch == 0 ? init : acc[po]) + sum;
        }
        if (ch == n_chunks - 1) {
        CONV_REQUANT:
            for (int32_t wd = 0; wd < PO / BUS_BYTES; ++wd) {
#pragma HLS UNROLL
                int8_t lanes[BUS_BYTES];
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    const int32_t po = wd * BUS_BYTES + lane;
                    const int32_t o = oc0 + po;
                    int8_t v = 0;
                    if (o < d.out_c) {
                        const int32_t a = acc[po] + (sum_x ? x_sum * d.weights_offset : 0);
                        const int64_t scaled = is_fc ? requantize_fc(a, mult[o], shift[o], scale[o])
                                                     : (int64_t)multiply_by_quantized_multiplier(a, mult[o], shift[o]);
                        v = (int8_t)clamp_i32(scaled + d.out_offset, d.act_min, d.act_max);
                    }
                    lanes[lane] = v;
                }
                if (oc0 / BUS_BYTES + wd < cw_out) obuf[ooff + wd] = pack_word(lanes);
            }
            ch = 0;
            ooff += cw_out;
        } else {
            ++ch;
        }
        xoff += PI;
    }
}

// The block's outputs: n_pix pixels x cw_out words, contiguous in NHWC: one burst.
static void conv_store(bus_t *fm, int32_t addr, int32_t n_words, const bus_t obuf[BLK_OUT_WORDS]) {
CONV_STORE:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BLK_OUT_WORDS
        ENGINE_COUNT(CNT_CONV_STORE);
        fm[addr + i] = obuf[i];
    }
}

static void conv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                       const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT],
                       const double scale[MAX_COUT], bool is_fc) {
    static int8_t wbuf[PO][WIN_BYTES];
#pragma HLS ARRAY_PARTITION variable=wbuf dim=1 complete
#pragma HLS ARRAY_PARTITION variable=wbuf dim=2 cyclic factor=WIN_PARTITION
    static int8_t xbuf[BLK_IN_BYTES];
#pragma HLS ARRAY_PARTITION variable=xbuf cyclic factor=WIN_PARTITION
    static bus_t band[BAND_WORDS];
    static bus_t obuf[BLK_OUT_WORDS];

    const int32_t cw_in = words_for(d.in_c);
    const int32_t cw_out = words_for(d.out_c);
    const int32_t words_per_row = d.k_len / BUS_BYTES;
    const bool pointwise = d.k_h == 1 && d.k_w == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
                           d.pad_left == 0 && d.in_h == d.out_h && d.in_w == d.out_w;
    const int32_t pixels = d.out_h * d.out_w;
    const int32_t blk_pix = pointwise ? d.blk : d.blk * d.out_w;
    const int32_t row_words = d.in_w * cw_in;
    int32_t oy0 = 0;

CONV_BLOCK:  // at most one block per output pixel; codegen bounds out_h, out_w <= MAX_WIDTH
    for (int32_t p0 = 0; p0 < pixels; p0 += blk_pix) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH*MAX_WIDTH
        const int32_t n_pix = pixels - p0 < blk_pix ? pixels - p0 : blk_pix;
        if (pointwise) {
            conv_load_pixels(fm_in, d.in_addr + p0 * cw_in, n_pix, cw_in, d.k_len, xbuf);
        } else {
            const int32_t n_rows = n_pix / d.out_w;
            int32_t row0 = oy0 * d.stride_h - d.pad_top;
            int32_t row1 = (oy0 + n_rows - 1) * d.stride_h - d.pad_top + (d.k_h - 1) * d.dil_h;
            if (row0 < 0) row0 = 0;
            if (row1 > d.in_h - 1) row1 = d.in_h - 1;
            const int32_t n_words = row1 >= row0 ? (row1 - row0 + 1) * row_words : 0;
            conv_load_band(fm_in, d.in_addr + row0 * row_words, n_words, band);
            conv_gather(d, oy0, n_rows, row0, cw_in, band, xbuf);
            oy0 += n_rows;
        }
    CONV_OC_TILE:
        for (int32_t oc0 = 0; oc0 < d.out_c; oc0 += PO) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/PO
            conv_load_weights(wt, d.wt_addr + oc0 * words_per_row, words_per_row, wbuf);
            conv_mac(d, xbuf, wbuf, n_pix, oc0, cw_out, is_fc, bias, mult, shift, scale, obuf);
        }
        conv_store(fm_out, d.out_addr + p0 * cw_out, n_pix * cw_out, obuf);
    }
}

#endif
