// DEPTHWISE_CONV_2D on a BUS_BYTES-lane array (one bus word of input channels per channel tile),
// depth multiplier M <= MAX_DEPTH_MULT: output channel (c * M + m) reads input channel c.
// Loop nest: channel tile -> output row (refill a MAX_K-row circular line buffer, each input row is read once
// per tile) -> output pixel -> kernel taps (pipelined, BUS_BYTES x M MACs per cycle) -> requantize, store M words.
// The input offset is folded into the bias; padded taps read the input zero point.
#ifndef PYFLOW_DEPTHWISE_CONV_H
#define PYFLOW_DEPTHWISE_CONV_H

#include "engine_types.h"
#include "requant.h"

static void dw_load_weights(const bus_t *wt, int32_t addr, int32_t taps, int32_t mult_m,
                            int8_t wdw[MAX_K * MAX_K][BUS_BYTES][MAX_DEPTH_MULT]) {
DW_WT_TAP:
    for (int32_t t = 0; t < taps; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K*MAX_K
    DW_WT_LOAD:
        for (int32_t wd = 0; wd < mult_m; ++wd) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_DEPTH_MULT
            ENGINE_COUNT(CNT_WT_LOAD);
            int8_t lanes[BUS_BYTES];
            unpack_word(wt[addr + t * mult_m + wd], lanes);
            for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                const int32_t q = wd * BUS_BYTES + j;  // q = lane * M + m
                wdw[t][q / mult_m][q % mult_m] = lanes[j];
            }
        }
    }
}

static void dw_load_rows(const bus_t *fm, const layer_desc_t &d, int32_t tile, int32_t cw_in, int32_t first_row,
                         int32_t n_rows, int8_t lb[MAX_K][MAX_WIDTH][BUS_BYTES]) {
DW_ROW_LOAD_Y:
    for (int32_t r = 0; r < n_rows; ++r) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=MAX_K
        const int32_t y = first_row + r;
    DW_ROW_LOAD:
        for (int32_t x = 0; x < d.in_w; ++x) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
            ENGINE_COUNT(CNT_DW_ROW_LOAD);
            unpack_word(fm[d.in_addr + (y * d.in_w + x) * cw_in + tile], lb[y % MAX_K][x]);
        }
    }
}

static void dwconv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                         const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT], const int32_t shift[MAX_COUT]) {
    static int8_t lb[MAX_K][MAX_WIDTH][BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=lb dim=3 complete
    static int8_t wdw[MAX_K * MAX_K][BUS_BYTES][MAX_DEPTH_MULT];
#pragma HLS ARRAY_PARTITION variable=wdw dim=2 complete
#pragma HLS ARRAY_PARTITION variable=wdw dim=3 complete
    int32_t acc[BUS_BYTES][MAX_DEPTH_MULT];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0

    const int32_t cw_in = words_for(d.in_c);
    const int32_t cw_out = words_for(d.out_c);
    const int32_t m_mult = d.depth_mult;
    const int32_t taps = d.k_h * d.k_w;
    const int8_t pad_value = (int8_t)(-d.in_offset);

DW_CH_TILE:
    for (int32_t tile = 0; tile < cw_in; ++tile) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/BUS_BYTES
        dw_load_weights(wt, d.wt_addr + tile * taps * m_mult, taps, m_mult, wdw);
        int32_t next_row = 0;
    DW_ROW:
        for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
            const int32_t top = oy * d.stride_h - d.pad_top;
            int32_t last = top + (d.k_h - 1) * d.dil_h;
            if (last > d.in_h - 1) last = d.in_h - 1;
            const int32_t n_rows = last >= next_row ? last - next_row + 1 : 0;
            dw_load_rows(fm_in, d, tile, cw_in, next_row, n_rows, lb);
            next_row += n_rows;
        DW_COL:
            for (int32_t ox = 0; ox < d.out_w; ++ox) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
            DW_ACC_INIT:
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    for (int32_t m = 0; m < MAX_DEPTH_MULT; ++m) {
#pragma HLS UNROLL
                        const int32_t o = (tile * BUS_BYTES + lane) * m_mult + m;
                        acc[lane][m] = (m < m_mult && o < d.out_c) ? bias[o] : 0;
                    }
                }
                const int32_t left = ox * d.stride_w - d.pad_left;
                int32_t ky = 0, kx = 0;
            DW_MAC:
                for (int32_t t = 0; t < taps; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K*MAX_K
                    ENGINE_COUNT(CNT_DW_MAC);
                    const int32_t iy = top + ky * d.dil_h;
                    const int32_t ix = left + kx * d.dil_w;
                    const bool inside = iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w;
                    const int32_t row = inside ? iy % MAX_K : 0;
                    const int32_t col = inside ? ix : 0;
                    for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                        const int32_t x = inside ? (int32_t)lb[row][col][lane] : (int32_t)pad_value;
                        for (int32_t m = 0; m < MAX_DEPTH_MULT; ++m) {
#pragma HLS UNROLL
                            acc[lane][m] += x * (int32_t)wdw[t][lane][m];
                        }
                    }
                    if (++kx == d.k_w) {
                        kx = 0;
                        ++ky;
                    }
                }
                const int32_t out_base = d.out_addr + (oy * d.out_w + ox) * cw_out + tile * m_mult;
            DW_STORE:
                for (int32_t wd = 0; wd < m_mult; ++wd) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_DEPTH_MULT
                    ENGINE_COUNT(CNT_DW_STORE);
                    int8_t lanes[BUS_BYTES];
                    for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                        const int32_t q = wd * BUS_BYTES + j;
                        const int32_t o = tile * BUS_BYTES * m_mult + q;
                        int8_t v = 0;
                        if (o < d.out_c) {
                            const int32_t scaled =
                                multiply_by_quantized_multiplier(acc[q / m_mult][q % m_mult], mult[o], shift[o]);
                            v = (int8_t)clamp_i32((int64_t)scaled + d.out_offset, d.act_min, d.act_max);
                        }
                        lanes[j] = v;
                    }
                    if (tile * m_mult + wd < cw_out) fm_out[out_base + wd] = pack_word(lanes);
                }
            }
        }
    }
}

#endif
