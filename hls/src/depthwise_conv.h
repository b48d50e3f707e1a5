// DEPTHWISE_CONV_2D on a BUS_BYTES-lane x MAX_K*MAX_K-tap array: every cycle one output pixel of one channel
// tile (one bus word of input channels) and one depth-multiplier pass m, ALL kernel taps at once
// (BUS_BYTES x MAX_K x MAX_K products, adder tree). Depth multiplier M <= MAX_DEPTH_MULT is taken in time
// (M passes per pixel, the same multipliers); output channel (c * M + m) reads input channel c.
// Loop nest (every byte crosses the bus once, in bursts):
//   all weights: ONE burst into wdw (entry = channel tile x M + m, MAX_K x MAX_K tap slots, on chip);
//   output row: ONE burst loads the new input rows (all channels) into the line buffer ->
//     channel tile -> one pipeline over (output pixel, m): MAX_K x MAX_K bank reads, routed to the taps,
//     BUS_BYTES x MAX_K x MAX_K MACs, requantize BUS_BYTES lanes, M output words into the row buffer ->
//   ONE burst stores the output row (all channels, contiguous in NHWC).
// Line buffer: MAX_K x MAX_K banks, row bank iy % MAX_K, column bank ix % MAX_K, word (ix / MAX_K) * cw_in + w
// in its bank. A window (dilated span <= MAX_K rows and columns, checked by pyflow.hls.codegen) touches every
// bank at most once, so each bank is read once per cycle at its own address and the words are then routed to
// the kernel taps (two MAX_K:1 multiplexers per tap). Tap slots outside the kernel hold zero weights.
// Buffer limits (row of in_w x cw_in words <= LINE_WORDS, ceil(in_w / MAX_K) x cw_in <= LB_COL_WORDS,
// cw_in x M <= DW_WT_ENTRIES) are checked by pyflow.hls.codegen. The input offset is folded into the bias;
// padded taps read the input zero point.
#ifndef PYFLOW_DEPTHWISE_CONV_H
#define PYFLOW_DEPTHWISE_CONV_H

#include "engine_types.h"
#include "requant.h"

#define DW_TAPS (MAX_K * MAX_K)

// Weights: entries (tile * M + m) of DW_TAPS words (slot ky * MAX_K + kx, BUS_BYTES lanes), one burst.
static void dw_load_weights(const bus_t *wt, int32_t addr, int32_t entries,
                            int8_t wdw[DW_WT_ENTRIES][DW_TAPS][BUS_BYTES]) {
    int32_t e = 0, s = 0;
DW_WT_LOAD:
    for (int32_t i = 0; i < entries * DW_TAPS; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_WT_ENTRIES*DW_TAPS
        ENGINE_COUNT(CNT_WT_LOAD);
        unpack_word(wt[addr + i], wdw[e][s]);
        if (++s == DW_TAPS) {
            s = 0;
            ++e;
        }
    }
}

// Input rows [first_row, first_row + n_rows), all channels, contiguous: one burst into the line buffer banks.
static void dw_load_rows(const bus_t *fm, const layer_desc_t &d, int32_t cw_in, int32_t first_row, int32_t n_rows,
                         int8_t lb[MAX_K][MAX_K][LB_COL_WORDS][BUS_BYTES]) {
    const int32_t row_words = d.in_w * cw_in;
    // row bank, column bank, first word of the pixel in its bank, pixel in the row, word in the pixel
    int32_t rb = first_row % MAX_K, cb = 0, col = 0, x = 0, w = 0;
DW_ROW_LOAD:
    for (int32_t i = 0; i < n_rows * row_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=MAX_K*LINE_WORDS
        ENGINE_COUNT(CNT_DW_ROW_LOAD);
        unpack_word(fm[d.in_addr + first_row * row_words + i], lb[rb][cb][col + w]);
        if (++w == cw_in) {
            w = 0;
            if (++x == d.in_w) {  // next input row
                x = 0;
                cb = 0;
                col = 0;
                rb = rb == MAX_K - 1 ? 0 : rb + 1;
            } else if (++cb == MAX_K) {
                cb = 0;
                col += cw_in;
            }
        }
    }
}

// One output row of one channel tile, pipelined over (output pixel, m); requantized into orow.
static void dw_mac_row(const layer_desc_t &d, const int8_t lb[MAX_K][MAX_K][LB_COL_WORDS][BUS_BYTES],
                       const int8_t wdw[DW_WT_ENTRIES][DW_TAPS][BUS_BYTES], int32_t oy, int32_t tile, int32_t cw_in,
                       int32_t cw_out, const int32_t bias[MAX_COUT], const int32_t mult[MAX_COUT],
                       const int32_t shift[MAX_COUT], bus_t orow[LINE_WORDS]) {
    int8_t stage[MAX_DEPTH_MULT * BUS_BYTES];  // the M output words of the current pixel
#pragma HLS ARRAY_PARTITION variable=stage complete
    const int32_t m_mult = d.depth_mult;
    const int8_t pad_value = (int8_t)(-d.in_offset);
    // kernel rows: constant over the output row
    const int32_t top = oy * d.stride_h - d.pad_top;
    bool row_in[MAX_K];
    int32_t rbank[MAX_K];
#pragma HLS ARRAY_PARTITION variable=row_in complete
#pragma HLS ARRAY_PARTITION variable=rbank complete
    for (int32_t ky = 0; ky < MAX_K; ++ky) {
#pragma HLS UNROLL
        const int32_t iy = top + ky * d.dil_h;
        row_in[ky] = ky < d.k_h && iy >= 0 && iy < d.in_h;
        rbank[ky] = row_in[ky] ? iy % MAX_K : 0;
    }
    // column of the window's first tap, kept as (quotient, remainder) of ix + MAX_K by MAX_K (ix >= -pad_left)
    const int32_t step_q = d.stride_w / MAX_K, step_r = d.stride_w % MAX_K;
    int32_t ix0 = -d.pad_left;
    int32_t q0 = (ix0 + MAX_K) / MAX_K, r0 = (ix0 + MAX_K) % MAX_K;
    int32_t ox = 0, m = 0, ooff = tile * m_mult;  // ooff: word of the current pixel's channel tile in orow
    const int32_t e0 = tile * m_mult;
DW_MAC:
    for (int32_t i = 0; i < d.out_w * m_mult; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH*MAX_DEPTH_MULT
        ENGINE_COUNT(CNT_DW_MAC);
        // kernel columns: bank, address in the bank, inside the image
        bool col_in[MAX_K];
        int32_t cbank[MAX_K], caddr[MAX_K];
        for (int32_t kx = 0; kx < MAX_K; ++kx) {
#pragma HLS UNROLL
            const int32_t ix = ix0 + kx * d.dil_w;
            int32_t r = r0 + kx * d.dil_w, q = q0;
            if (r >= MAX_K) {
                r -= MAX_K;
                ++q;
            }
            col_in[kx] = kx < d.k_w && ix >= 0 && ix < d.in_w && r < MAX_K;
            cbank[kx] = col_in[kx] ? r : 0;
            caddr[kx] = col_in[kx] ? (q - 1) * cw_in + tile : 0;
        }
        // each column bank is read at the address of the (at most one) window column in it
        int32_t baddr[MAX_K];
        for (int32_t cb = 0; cb < MAX_K; ++cb) {
#pragma HLS UNROLL
            baddr[cb] = 0;
            for (int32_t kx = 0; kx < MAX_K; ++kx) {
#pragma HLS UNROLL
                if (col_in[kx] && cbank[kx] == cb) baddr[cb] = caddr[kx];
            }
        }
        // each bank read once (static bank index), then routed to the taps
        int8_t v[MAX_K][MAX_K][BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=v complete dim=0
        for (int32_t rb = 0; rb < MAX_K; ++rb) {
#pragma HLS UNROLL
            for (int32_t cb = 0; cb < MAX_K; ++cb) {
#pragma HLS UNROLL
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    v[rb][cb][lane] = lb[rb][cb][baddr[cb]][lane];
                }
            }
        }
        int32_t acc[BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=acc complete
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            acc[lane] = 0;
        }
    DW_TAP:
        for (int32_t ky = 0; ky < MAX_K; ++ky) {
#pragma HLS UNROLL
            for (int32_t kx = 0; kx < MAX_K; ++kx) {
#pragma HLS UNROLL
                const bool inside = row_in[ky] && col_in[kx];
                const int32_t rb = rbank[ky], cb = cbank[kx];
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    const int8_t x = inside ? v[rb][cb][lane] : pad_value;
                    acc[lane] += (int32_t)x * (int32_t)wdw[e0 + m][ky * MAX_K + kx][lane];
                }
            }
        }
        // requantize the BUS_BYTES lanes of pass m: output channel (tile * BUS_BYTES + lane) * M + m
        int8_t r8[BUS_BYTES];
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            const int32_t o = (tile * BUS_BYTES + lane) * m_mult + m;
            int8_t v = 0;
            if (o < d.out_c) {
                const int32_t scaled = multiply_by_quantized_multiplier(acc[lane] + bias[o], mult[o], shift[o]);
                v = (int8_t)clamp_i32((int64_t)scaled + d.out_offset, d.act_min, d.act_max);
            }
            r8[lane] = v;
        }
        // byte q = lane * M + m of the pixel's M output words (static routing per candidate M)
        for (int32_t q = 0; q < MAX_DEPTH_MULT * BUS_BYTES; ++q) {
#pragma HLS UNROLL
            for (int32_t c = 1; c <= MAX_DEPTH_MULT; ++c) {
#pragma HLS UNROLL
                if (m_mult == c && q % c == m && q / c < BUS_BYTES) stage[q] = r8[q / c];
            }
        }
        if (m == m_mult - 1) {
        DW_STORE_WORDS:
            for (int32_t wd = 0; wd < MAX_DEPTH_MULT; ++wd) {
#pragma HLS UNROLL
                int8_t lanes[BUS_BYTES];
                for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                    lanes[j] = stage[wd * BUS_BYTES + j];
                }
                if (wd < m_mult && tile * m_mult + wd < cw_out) orow[ooff + wd] = pack_word(lanes);
            }
            m = 0;
            ++ox;
            ooff += cw_out;
            ix0 += d.stride_w;
            q0 += step_q;
            r0 += step_r;
            if (r0 >= MAX_K) {
                r0 -= MAX_K;
                ++q0;
            }
        } else {
            ++m;
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
    static int8_t lb[MAX_K][MAX_K][LB_COL_WORDS][BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=lb dim=1 complete
#pragma HLS ARRAY_PARTITION variable=lb dim=2 complete
#pragma HLS ARRAY_RESHAPE variable=lb dim=4 complete
    static int8_t wdw[DW_WT_ENTRIES][DW_TAPS][BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=wdw dim=2 complete
#pragma HLS ARRAY_RESHAPE variable=wdw dim=3 complete
    static bus_t orow[LINE_WORDS];
#pragma HLS ARRAY_PARTITION variable=orow cyclic factor=MAX_DEPTH_MULT

    const int32_t cw_in = words_for(d.in_c);
    const int32_t cw_out = words_for(d.out_c);

    dw_load_weights(wt, d.wt_addr, cw_in * d.depth_mult, wdw);
    int32_t next_row = 0;
DW_ROW:
    for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WIDTH
        const int32_t top = oy * d.stride_h - d.pad_top;
        int32_t last = top + (d.k_h - 1) * d.dil_h;
        if (last > d.in_h - 1) last = d.in_h - 1;
        const int32_t n_rows = last >= next_row ? last - next_row + 1 : 0;
        dw_load_rows(fm_in, d, cw_in, next_row, n_rows, lb);
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
