// DEPTHWISE_CONV_2D on a BUS_BYTES-lane array (one bus word of input channels per channel tile),
// depth multiplier M <= MAX_DEPTH_MULT: output channel (c * M + m) reads input channel c.
// Loop nest (every byte crosses the bus once, in bursts):
//   all weights: ONE burst into wdw (channel tiles x taps, on chip for the whole layer);
//   output row: ONE burst loads the new input rows (all channels) into a MAX_K-row circular line buffer ->
//     channel tile -> one flattened pipeline over (output pixel, kernel tap), BUS_BYTES x M MACs per cycle,
//     requantizing M words into the output row buffer at the last tap ->
//   ONE burst stores the output row (all channels, contiguous in NHWC).
// Buffer limits (row of in_w x cw_in words <= LINE_WORDS, cw_in x taps <= DW_WT_ENTRIES) are checked by
// pyflow.hls.codegen. The input offset is folded into the bias; padded taps read the input zero point.
#ifndef PYFLOW_DEPTHWISE_CONV_H
#define PYFLOW_DEPTHWISE_CONV_H

#include "engine_types.h"
#include "requant.h"

// Weights of every channel tile: entry (tile * taps + t) holds BUS_BYTES lanes x M; image words are
// (tile, tap, lane, m) lane-major, M words per entry, contiguous: one burst.
static void dw_load_weights(const bus_t *wt, int32_t addr, int32_t entries, int32_t mult_m,
                            int8_t wdw[DW_WT_ENTRIES][BUS_BYTES][MAX_DEPTH_MULT]) {
    int32_t e = 0, wd = 0;
DW_WT_LOAD:
    for (int32_t i = 0; i < entries * mult_m; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_WT_ENTRIES*MAX_DEPTH_MULT
        ENGINE_COUNT(CNT_WT_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(wt[addr + i], lanes);
        for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
            const int32_t q = wd * BUS_BYTES + j;  // q = lane * M + m
            wdw[e][q / mult_m][q % mult_m] = lanes[j];
        }
        if (++wd == mult_m) {
            wd = 0;
            ++e;
        }
    }
}

// Input rows [first_row, first_row + n_rows), all channels, contiguous: one burst into the circular line buffer.
static void dw_load_rows(const bus_t *fm, const layer_desc_t &d, int32_t row_words, int32_t first_row,
                         int32_t n_rows, int8_t lb[MAX_K][LINE_WORDS][BUS_BYTES]) {
    int32_t y = first_row, x = 0;
DW_ROW_LOAD:
    for (int32_t i = 0; i < n_rows * row_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=MAX_K*LINE_WORDS
        ENGINE_COUNT(CNT_DW_ROW_LOAD);
        unpack_word(fm[d.in_addr + first_row * row_words + i], lb[y % MAX_K][x]);
        if (++x == row_words) {
            x = 0;
            ++y;
        }
    }
}

// One output row of one channel tile, flattened over (output pixel, tap); requantized into orow.
static void dw_mac_row(const layer_desc_t &d, const int8_t lb[MAX_K][LINE_WORDS][BUS_BYTES],
                       const int8_t wdw[DW_WT_ENTRIES][BUS_BYTES][MAX_DEPTH_MULT], int32_t oy, int32_t tile,
                       int32_t cw_in, int32_t cw_out, const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT],
                       const int32_t shift[MAX_COUT], bus_t orow[LINE_WORDS]) {
    int32_t acc[BUS_BYTES][MAX_DEPTH_MULT];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
    const int32_t m_mult = d.depth_mult;
    const int32_t taps = d.k_h * d.k_w;
    const int8_t pad_value = (int8_t)(-d.in_offset);
    const int32_t top = oy * d.stride_h - d.pad_top;
    int32_t ox = 0, t = 0, ky = 0, kx = 0;
    int32_t ooff = tile * m_mult;  // word of the current pixel's channel tile in orow
DW_MAC:
    for (int32_t i = 0; i < d.out_w * taps; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH*MAX_K*MAX_K
        ENGINE_COUNT(CNT_DW_MAC);
        const int32_t iy = top + ky * d.dil_h;
        const int32_t ix = ox * d.stride_w - d.pad_left + kx * d.dil_w;
        const bool inside = iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w;
        const int32_t row = inside ? iy % MAX_K : 0;
        const int32_t col = inside ? ix * cw_in + tile : 0;
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            const int32_t x = inside ? (int32_t)lb[row][col][lane] : (int32_t)pad_value;
            for (int32_t m = 0; m < MAX_DEPTH_MULT; ++m) {
#pragma HLS UNROLL
                const int32_t o = (tile * BUS_BYTES + lane) * m_mult + m;
                const int32_t init = (m < m_mult && o < d.out_c) ? bias[o] : 0;
                acc[lane][m] = (t == 0 ? init : acc[lane][m]) + x * (int32_t)wdw[tile * taps + t][lane][m];
            }
        }
        if (t == taps - 1) {
        DW_REQUANT:
            for (int32_t wd = 0; wd < MAX_DEPTH_MULT; ++wd) {
#pragma HLS UNROLL
                int8_t lanes[BUS_BYTES];
                for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                    const int32_t q = wd * BUS_BYTES + j;
                    const int32_t o = tile * BUS_BYTES * m_mult + q;
                    int8_t v = 0;
                    if (wd < m_mult && o < d.out_c) {
                        const int32_t scaled =
                            multiply_by_quantized_multiplier(acc[q / m_mult][q % m_mult], mult[o], shift[o]);
                        v = (int8_t)clamp_i32((int64_t)scaled + d.out_offset, d.act_min, d.act_max);
                    }
                    lanes[j] = v;
                }
                if (wd < m_mult && tile * m_mult + wd < cw_out) orow[ooff + wd] = pack_word(lanes);
            }
            t = 0;
            ky = 0;
            kx = 0;
            ++ox;
            ooff += cw_out;
        } else {
            ++t;
            if (++kx == d.k_w) {
                kx = 0;
                ++ky;
            }
        }
    }
}

// One output row, all channels: contiguous in NHWC, one burst.
static void dw_store_row(bus_t *fm, int32_t addr, int32_t n_words, const bus_t orow[LINE_WORDS]) {
DW_STORE:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=LINE_WORDS
        ENGINE_COUNT(CNT_DW_STORE);
        fm[addr + i] = orow[i];
    }
}

static void dwconv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                         const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT]) {
    static int8_t lb[MAX_K][LINE_WORDS][BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=lb dim=3 complete
    static int8_t wdw[DW_WT_ENTRIES][BUS_BYTES][MAX_DEPTH_MULT];
#pragma HLS ARRAY_PARTITION variable=wdw dim=2 complete
#pragma HLS ARRAY_PARTITION variable=wdw dim=3 complete
    static bus_t orow[LINE_WORDS];
#pragma HLS ARRAY_PARTITION variable=orow cyclic factor=MAX_DEPTH_MULT

    const int32_t cw_in = words_for(d.in_c);
    const int32_t cw_out = words_for(d.out_c);
    const int32_t row_words = d.in_w * cw_in;

    dw_load_weights(wt, d.wt_addr, cw_in * d.k_h * d.k_w, d.depth_mult, wdw);
    int32_t next_row = 0;
DW_ROW:
    for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
        const int32_t top = oy * d.stride_h - d.pad_top;
        int32_t last = top + (d.k_h - 1) * d.dil_h;
        if (last > d.in_h - 1) last = d.in_h - 1;
        const int32_t n_rows = last >= next_row ? last - next_row + 1 : 0;
        dw_load_rows(fm_in, d, row_words, next_row, n_rows, lb);
        next_row += n_rows;
    DW_CH_TILE:
        for (int32_t tile = 0; tile < cw_in; ++tile) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/BUS_BYTES
            dw_mac_row(d, lb, wdw, oy, tile, cw_in, cw_out, bias, mult, shift, orow);
        }
        dw_store_row(fm_out, d.out_addr + oy * d.out_w * cw_out, d.out_w * cw_out, orow);
    }
}

#endif
