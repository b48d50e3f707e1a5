// DEPTHWISE_CONV_2D, any feature-map size, any kernel whose span fits the DW_NRB line-buffer rows, any
// depth multiplier. One DATAFLOW region of four processes over the whole layer, connected by FIFOs:
//
//   dw_read -> dw_expand -> dw_step -> dw_write
//
// The output is cut into vertical strips of at most d.strip_w columns (the line buffer holds one strip's input
// columns); each strip streams top to bottom.
// dw_read     per strip, input rows 0 .. d.rows_read-1: one burst of the strip's in-image columns per row.
// dw_expand   depth multiplier M: output channel c*M + m reads input channel c, so every input pixel becomes
//             cw_out "virtual" words (lane l of virtual word v = input channel (v*BUS + l) / M); M = 1 passes
//             the words through.
// dw_step     line buffer of DW_NRB rows x DW_NCB column banks (row iy in row bank iy % DW_NRB, strip column
//             rel in column bank rel % DW_NCB at slot rel / DW_NCB, word v of the pixel at slot * cw_out + v).
//             Step k loads the rows output row k needs (one word per cycle) and computes one output row: per
//             cycle one output word (pixel ox, channel word j) and one tap block of DW_TB x DW_TB taps (d.blocks
//             blocks per word, accumulated in registers). Every bank is read once per cycle at the address of
//             the window column it holds, the words are routed to the taps. When the window span plus the stride
//             fits the DW_NRB rows (d.dw_lag = 1), step k computes row k-1 WHILE it loads: the row being loaded
//             is never in the window, a bank sees at most one read and one write per cycle; otherwise
//             (d.dw_lag = 0) step k loads, then computes row k.
// dw_write    per strip and output row: one burst.
// Weights (one DW_TB x DW_TB tap block of BUS_BYTES lanes per word) and the per-channel tables are loaded before
// the region. The input offset is folded into the bias; padded taps read the input zero point.
#ifndef PYFLOW_DEPTHWISE_CONV_H
#define PYFLOW_DEPTHWISE_CONV_H

#include "engine_types.h"
#include "requant.h"

#define DW_TAPS (DW_TB * DW_TB)

// One tap block of one output channel word: tap (a, e) = kernel (br * DW_TB + a, bc * DW_TB + e), lane = channel.
struct dwblk_t {
    int8_t w[DW_TAPS][BUS_BYTES];
};

// Geometry of strip st: first output column, its width, first window column (may be < 0), in-image columns.
struct dw_strip_t {
    int32_t ox0, n_out, xs, cx0, ncols;
};

static inline dw_strip_t dw_strip_at(const layer_desc_t &d, int32_t st) {
#pragma HLS INLINE
    dw_strip_t s;
    s.ox0 = st * d.strip_w;
    s.n_out = d.out_w - s.ox0 < d.strip_w ? d.out_w - s.ox0 : d.strip_w;
    s.xs = s.ox0 * d.stride_w - d.pad_left;
    const int32_t xe = s.xs + (s.n_out - 1) * d.stride_w + (d.k_w - 1) * d.dil_w;
    s.cx0 = s.xs > 0 ? s.xs : 0;
    s.ncols = (xe < d.in_w - 1 ? xe : d.in_w - 1) - s.cx0 + 1;
    return s;
}

// Last input row output row k needs (-1: none), within the image.
static inline int32_t dw_need(const layer_desc_t &d, int32_t k) {
#pragma HLS INLINE
    const int32_t last = k * d.stride_h - d.pad_top + (d.k_h - 1) * d.dil_h;
    return last < d.in_h - 1 ? (last < -1 ? -1 : last) : d.in_h - 1;
}

// All weights of the layer: d.cw_out x d.blocks tap blocks of DW_TAPS words each, one burst.
static void dw_load_weights(const bus_t *wt, const layer_desc_t &d, dwblk_t wdw[DW_WT_ENTRIES]) {
    OC_DECLARE(wdw, 1, OC_S2P);
    int8_t e[DW_TAPS][BUS_BYTES];  // the entry under assembly, in registers
#pragma HLS ARRAY_PARTITION variable=e complete dim=0
    int32_t tap = 0, n = 0;
DW_W_LOAD:
    for (int32_t i = 0; i < d.cw_out * d.blocks * DW_TAPS; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_WT_ENTRIES*DW_TAPS
        ENGINE_ITER(LOOP_DW_W_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(wt[d.wt_addr + i], lanes);
        for (int32_t t = 0; t < DW_TAPS; ++t) {
#pragma HLS UNROLL
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                if (tap == t) e[t][lane] = lanes[lane];
            }
        }
        if (++tap == DW_TAPS) {
            dwblk_t blk;
            for (int32_t t = 0; t < DW_TAPS; ++t) {
#pragma HLS UNROLL
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    blk.w[t][lane] = e[t][lane];
                }
            }
            OC_WR(wdw, n, blk);
            tap = 0;
            ++n;
        }
    }
}

// ------------------------------------------------------------------------------------------------ read
static void dw_read(const layer_desc_t &d, const bus_t *fm, hls::stream<bus_t> &out) {
DW_READ_STRIPS:
    for (int32_t st = 0; st < d.n_strips; ++st) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=8
        const dw_strip_t s = dw_strip_at(d, st);
    DW_READ_ROWS:
        for (int32_t iy = 0; iy < d.rows_read; ++iy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
            const int32_t addr = d.in_addr + (iy * d.in_w + s.cx0) * d.cw_in;
        DW_READ:
            for (int32_t i = 0; i < s.ncols * d.cw_in; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_LB_DEPTH*DW_NCB
                ENGINE_ITER(LOOP_DW_READ);
                out.write(fm[addr + i]);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ expand
// Channel offsets of one virtual word: lane l takes input channel q + floor((r + l) / M) for the virtual word's
// first channel v*BUS = q*M + r; floor((r + l) / M) = #{k >= 1 : k*M <= r + l} over the precomputed multiples.
static void dw_expand(const layer_desc_t &d, hls::stream<bus_t> &in, hls::stream<lanes_t> &out) {
    const int32_t M = d.depth_mult;
    const int32_t words_in = d.dw_in_pixels * d.cw_in;
    if (M == 1) {
    DW_PASS:
        for (int32_t i = 0; i < words_in; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
            ENGINE_ITER(LOOP_DW_PASS);
            lanes_t v;
            unpack_word(in.read(), v.b);
            out.write(v);
        }
        return;
    }
    static lanes_t pbuf[2][DW_PIX_WORDS / 2 + 1];  // the pixel's input words, even / odd words in banks 0 / 1
#pragma HLS ARRAY_PARTITION variable=pbuf dim=1 complete
#pragma HLS AGGREGATE variable=pbuf
    OC_DECLARE(pbuf, 2, OC_S2P);
    int32_t km[BUS_BYTES + 1];  // km[k] = k * M
#pragma HLS ARRAY_PARTITION variable=km complete
    for (int32_t k = 0; k <= BUS_BYTES; ++k) {
#pragma HLS UNROLL
        km[k] = k * M;
    }
DW_EXPAND_PIXELS:
    for (int32_t px = 0; px < d.dw_in_pixels; ++px) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
    DW_EXPAND_IN:
        for (int32_t w = 0; w < d.cw_in; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_PIX_WORDS
            ENGINE_ITER(LOOP_DW_EXPAND_IN);
            lanes_t v;
            unpack_word(in.read(), v.b);
            OC_WRB(pbuf, w % 2, w / 2, v);
        }
        int32_t q = 0, r = 0;  // first channel of the virtual word = q * M + r
    DW_EXPAND_OUT:
        for (int32_t v = 0; v < d.cw_out; ++v) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_PIX_WORDS
            ENGINE_ITER(LOOP_DW_EXPAND_OUT);
            const int32_t w0 = q / BUS_BYTES;
            const lanes_t even = OC_RDB(pbuf, 0, (w0 + 1) / 2), odd = OC_RDB(pbuf, 1, w0 / 2);
            int8_t pair[2 * BUS_BYTES];  // input words w0, w0 + 1
#pragma HLS ARRAY_PARTITION variable=pair complete
            for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                pair[j] = (w0 % 2) ? odd.b[j] : even.b[j];
                pair[BUS_BYTES + j] = (w0 % 2) ? even.b[j] : odd.b[j];
            }
            lanes_t o;
            for (int32_t l = 0; l <= BUS_BYTES; ++l) {
#pragma HLS UNROLL
                int32_t off = 0;
                for (int32_t k = 1; k <= BUS_BYTES; ++k) {
#pragma HLS UNROLL
                    off += km[k] <= r + l ? 1 : 0;
                }
                if (l < BUS_BYTES) {
                    o.b[l] = pair[q % BUS_BYTES + off];
                } else {  // the next virtual word starts BUS channels on
                    q += off;
                    r = r + BUS_BYTES - km[off];
                }
            }
            out.write(o);
        }
    }
}

// ------------------------------------------------------------------------------------------------ step
static void dw_step(const layer_desc_t &d, hls::stream<lanes_t> &in, hls::stream<bus_t> &out,
                    const dwblk_t wdw[DW_WT_ENTRIES], const tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                    const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
    static lanes_t lb[DW_NRB * DW_NCB][DW_LB_DEPTH];  // bank = row bank * DW_NCB + column bank
#pragma HLS ARRAY_PARTITION variable=lb dim=1 complete
#pragma HLS AGGREGATE variable=lb
#pragma HLS BIND_STORAGE variable=lb type=ram_s2p impl=bram
    OC_DECLARE(lb, DW_NRB * DW_NCB, OC_S2P);
    const int8_t pad = (int8_t)(-d.in_offset);
    const int32_t cw = d.cw_out;  // virtual words per pixel
DW_STRIPS:
    for (int32_t st = 0; st < d.n_strips; ++st) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=8
        const dw_strip_t s = dw_strip_at(d, st);
        int32_t ly = 0, lx = 0, lv = 0;  // next word to load: row, in-image column offset, word
        int32_t lrb = 0;                  // ly % DW_NRB
        int32_t lrel = s.cx0 - s.xs;      // strip column of lx
    DW_ROWS:
        for (int32_t k = 0; k < d.out_h + d.dw_lag; ++k) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=257
            const int32_t rows = k < d.out_h ? dw_need(d, k) - (k == 0 ? -1 : dw_need(d, k - 1)) : 0;
            const int32_t n_load = rows * s.ncols * cw;
            const int32_t oy = k - d.dw_lag;  // the output row computed in this step
            const int32_t n_comp = oy >= 0 ? s.n_out * cw * d.blocks : 0;
            // overlapped (lag 1): load and compute side by side; serial (lag 0): load, then compute
            const int32_t c0 = d.dw_lag ? 0 : n_load;  // first compute iteration
            const int32_t n_iter = d.dw_lag ? (n_load > n_comp ? n_load : n_comp) : n_load + n_comp;
            int32_t ox = 0, j = 0, br = 0, bc = 0, blk = 0;  // output pixel (strip), channel word, tap block
            int32_t acc[BUS_BYTES];
#pragma HLS ARRAY_PARTITION variable=acc complete
        DW_STEP:
            for (int32_t i = 0; i < n_iter; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_LB_DEPTH*DW_NCB*DW_NRB
                ENGINE_ITER(LOOP_DW_STEP);
                // ---- load one word of the rows for the next output row
                if (i < n_load) {
                    const lanes_t v = in.read();
                    OC_WRB(lb, lrb * DW_NCB + lrel % DW_NCB, (lrel / DW_NCB) * cw + lv, v);
                    if (++lv == cw) {
                        lv = 0;
                        ++lrel;
                        if (++lx == s.ncols) {
                            lx = 0;
                            lrel = s.cx0 - s.xs;
                            ++ly;
                            lrb = lrb == DW_NRB - 1 ? 0 : lrb + 1;
                        }
                    }
                }
                // ---- one output word of row oy, one tap block
                if (i >= c0 && i < c0 + n_comp) {
                    bool row_ok[DW_TB], col_ok[DW_TB];
                    int32_t rbank[DW_TB], cbank[DW_TB], caddr[DW_TB];
#pragma HLS ARRAY_PARTITION variable=row_ok complete
#pragma HLS ARRAY_PARTITION variable=col_ok complete
#pragma HLS ARRAY_PARTITION variable=rbank complete
#pragma HLS ARRAY_PARTITION variable=cbank complete
#pragma HLS ARRAY_PARTITION variable=caddr complete
                    for (int32_t a = 0; a < DW_TB; ++a) {
#pragma HLS UNROLL
                        const int32_t ky = br * DW_TB + a;
                        const int32_t iy = oy * d.stride_h - d.pad_top + ky * d.dil_h;
                        row_ok[a] = ky < d.k_h && iy >= 0 && iy < d.in_h;
                        rbank[a] = row_ok[a] ? iy % DW_NRB : 0;
                    }
                    const int32_t px = (s.ox0 + ox) * d.stride_w - d.pad_left;  // window column 0
                    for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
                        const int32_t kx = bc * DW_TB + e;
                        const int32_t ix = px + kx * d.dil_w;
                        const int32_t rel = ix - s.xs;
                        col_ok[e] = kx < d.k_w && ix >= 0 && ix < d.in_w;
                        cbank[e] = rel % DW_NCB;
                        caddr[e] = (rel / DW_NCB) * cw + j;
                    }
                    // each column bank is read at the address of the one block column it holds (the block's
                    // DW_TB columns fall in distinct banks: DW_NCB = DW_TB is prime and dil_w % DW_NCB != 0)
                    int32_t baddr[DW_NCB];
#pragma HLS ARRAY_PARTITION variable=baddr complete
                    for (int32_t c = 0; c < DW_NCB; ++c) {
#pragma HLS UNROLL
                        baddr[c] = 0;
                        for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
                            if (cbank[e] == c) baddr[c] = caddr[e];
                        }
                    }
                    lanes_t v[DW_NRB][DW_NCB];
#pragma HLS ARRAY_PARTITION variable=v complete dim=0
                    for (int32_t rb = 0; rb < DW_NRB; ++rb) {
#pragma HLS UNROLL
                        for (int32_t c = 0; c < DW_NCB; ++c) {
#pragma HLS UNROLL
#ifndef PYFLOW_FAULT_RUNTIME_LANE
                            const int32_t bank = rb * DW_NCB + c;  // a static bank per read
#else  // test build only: banks that rotate with the pixel, what the access check must catch
                            const int32_t bank = (rb * DW_NCB + c + ox) % (DW_NRB * DW_NCB);
#endif
                            v[rb][c] = OC_RDB(lb, bank, baddr[c]);
                        }
                    }
                    const dwblk_t wb = OC_RD(wdw, j * d.blocks + blk);
                    int32_t partial[BUS_BYTES];  // this tap block: an adder tree per lane
#pragma HLS ARRAY_PARTITION variable=partial complete
                    for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                        partial[lane] = 0;
                    }
                    for (int32_t a = 0; a < DW_TB; ++a) {
#pragma HLS UNROLL
                        for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
                            const bool inside = row_ok[a] && col_ok[e];
                            const lanes_t &src = v[rbank[a]][cbank[e]];
                            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                                const int8_t x = inside ? src.b[lane] : pad;
                                partial[lane] += (int32_t)x * (int32_t)wb.w[a * DW_TB + e][lane];
                            }
                        }
                    }
                    // the only loop-carried value: acc = (first block ? bias : acc) + partial, one add per cycle
                    if (blk == 0) {
                        const tbl32_t bj = OC_RDB(bias, j % TBL_BANKS, j / TBL_BANKS);
                        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                            acc[lane] = bj.v[lane] + partial[lane];
                        }
                    } else {
                        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                            acc[lane] += partial[lane];
                        }
                    }
                    if (blk == d.blocks - 1) {
                        const tbl32_t mj = OC_RDB(mult, j % TBL_BANKS, j / TBL_BANKS);
                        const tbl8_t sj = OC_RDB(shift, j % TBL_BANKS, j / TBL_BANKS);
                        int8_t o[BUS_BYTES];
                        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                            const int32_t r = multiply_by_quantized_multiplier(acc[lane], mj.v[lane], sj.v[lane]);
                            const int8_t q = (int8_t)clamp_i32((int64_t)r + d.out_offset, d.act_min, d.act_max);
                            o[lane] = j * BUS_BYTES + lane < d.out_c ? q : (int8_t)0;
                        }
                        out.write(pack_word(o));
                    }
                    // next (tap block, channel word, pixel)
                    if (++blk == d.blocks) {
                        blk = 0;
                        br = 0;
                        bc = 0;
                        if (++j == cw) {
                            j = 0;
                            ++ox;
                        }
                    } else if (++bc == d.tb_cols) {
                        bc = 0;
                        ++br;
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ write
static void dw_write(const layer_desc_t &d, hls::stream<bus_t> &in, bus_t *fm) {
DW_WRITE_STRIPS:
    for (int32_t st = 0; st < d.n_strips; ++st) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=8
        const dw_strip_t s = dw_strip_at(d, st);
    DW_WRITE_ROWS:
        for (int32_t oy = 0; oy < d.out_h; ++oy) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
            const int32_t addr = d.out_addr + (oy * d.out_w + s.ox0) * d.cw_out;
        DW_WRITE:
            for (int32_t i = 0; i < s.n_out * d.cw_out; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_LB_DEPTH*DW_NCB
                ENGINE_ITER(LOOP_DW_WRITE);
                fm[addr + i] = in.read();
            }
        }
    }
#ifdef PYFLOW_FAULT_WRITE_PAST_END  // test build only: one word past the output tensor
    fm[d.out_addr + d.out_h * d.out_w * d.cw_out] = splat_word((int8_t)0x5a);
#endif
}

static void dw_stream(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const dwblk_t wdw[DW_WT_ENTRIES],
                      const tbl32_t bias[TBL_BANKS][TBL_DEPTH], const tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                      const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
#pragma HLS DATAFLOW
    hls::stream<bus_t> raw;
#pragma HLS STREAM variable=raw depth=64
    hls::stream<lanes_t> words;
#pragma HLS STREAM variable=words depth=64
    hls::stream<bus_t> outs;
#pragma HLS STREAM variable=outs depth=64
    dw_read(d, fm_in, raw);
    dw_expand(d, raw, words);
    dw_step(d, words, outs, wdw, bias, mult, shift);
    dw_write(d, outs, fm_out);
}

#endif
