// DEPTHWISE_CONV_2D, any feature-map size, any kernel whose span fits the DW_NRB line-buffer rows, any depth
// multiplier: the depthwise stage of the layer pipeline (pipeline.h). Its input words arrive from the conv stage
// (an expand conv fused in front: the whole map in raster order, one strip) or from the pipeline's reader, strip
// by strip: per strip (at most d.strip_w output columns, the line buffer holds one strip's input columns) rows
// 0 .. d.rows_read-1 of the strip's in-image columns. Two processes, connected by a FIFO:
//
// dw_expand   depth multiplier M: output channel c*M + m reads input channel c, so every input pixel becomes
//             dw_cw_out "virtual" words (lane l of virtual word v = input channel (v*BUS + l) / M), one per cycle;
//             M = 1 passes the pairs through.
// dw_step     line buffer of DW_NRB rows x DW_NCB column banks of pairs of words (row iy in row bank iy % DW_NRB,
//             strip column rel in column bank rel % DW_NCB at slot rel / DW_NCB, pair q of the pixel at
//             slot * cw2 + q, cw2 = ceil(cw / 2)).
//             Step k loads the rows output row k needs (one pair per cycle) and computes one output row: per
//             cycle one output word (pixel ox, channel word j) and one tap block of DW_TB x DW_TB taps (d.blocks
//             blocks per word, accumulated in registers). Every bank is read once per cycle at the address of
//             the window column it holds, the words are routed to the taps. When the window span plus the stride
//             fits the DW_NRB rows (d.dw_lag = 1), step k computes row k-1 WHILE it loads: the row being loaded
//             is never in the window, a bank sees at most one read and one write per cycle; otherwise
//             (d.dw_lag = 0) step k loads, then computes row k. Output words leave strip by strip, row by row.
// Weights (one DW_TB x DW_TB tap block of BUS_BYTES lanes per word) and the per-channel tables are loaded before
// the pipeline. The input offset is folded into the bias; padded taps read the input zero point.
#ifndef PYFLOW_DEPTHWISE_CONV_H
#define PYFLOW_DEPTHWISE_CONV_H

#include "engine_types.h"
#include "requant.h"

#define DW_TAPS (DW_TB * DW_TB)

// A tap product, int8 x int8 -> 16 bits: ap_int in synthesis, so that the BIND_OP of DW_STEP sees an 8 x 8
// multiply; plain integers in C simulation (same values, |product| <= 2^14, far faster).
#ifdef __SYNTHESIS__
typedef ap_int<8> dw_op_t;
typedef ap_int<16> dw_prod_t;
#else
typedef int16_t dw_op_t;
typedef int16_t dw_prod_t;
#endif

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
    s.n_out = d.dw_out_w - s.ox0 < d.strip_w ? d.dw_out_w - s.ox0 : d.strip_w;
    s.xs = s.ox0 * d.dw_stride_w - d.dw_pad_left;
    const int32_t xe = s.xs + (s.n_out - 1) * d.dw_stride_w + (d.dw_k_w - 1) * d.dw_dil_w;
    s.cx0 = s.xs > 0 ? s.xs : 0;
    s.ncols = (xe < d.dw_in_w - 1 ? xe : d.dw_in_w - 1) - s.cx0 + 1;
    return s;
}

// Last input row output row k needs (-1: none), within the image.
static inline int32_t dw_need(const layer_desc_t &d, int32_t k) {
#pragma HLS INLINE
    const int32_t last = k * d.dw_stride_h - d.dw_pad_top + (d.dw_k_h - 1) * d.dw_dil_h;
    return last < d.dw_in_h - 1 ? (last < -1 ? -1 : last) : d.dw_in_h - 1;
}

// All weights of the layer: d.dw_cw_out x d.blocks tap blocks of DW_TAPS words each, one burst.
static void dw_load_weights(const bus_t *wt, const layer_desc_t &d, dwblk_t wdw[DW_WT_ENTRIES]) {
    OC_DECLARE(wdw, 1, OC_S2P);
    int8_t e[DW_TAPS][BUS_BYTES];  // the entry under assembly, in registers
#pragma HLS ARRAY_PARTITION variable=e complete dim=0
    int32_t tap = 0, n = 0;
DW_W_LOAD:
    for (int32_t i = 0; i < d.dw_cw_out * d.blocks * DW_TAPS; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_WT_ENTRIES*DW_TAPS
        ENGINE_ITER(LOOP_DW_W_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(wt[d.dw_wt_addr + i], lanes);
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

// ------------------------------------------------------------------------------------------------ expand
// Depth multiplier M > 1: lane l of virtual word v takes input channel q + floor((r + l) / M), where
// v * BUS_BYTES = q * M + r; floor((r + l) / M) = #{k >= 1 : k * M <= r + l}. (w0 = q / BUS_BYTES, q % BUS_BYTES,
// r) of every virtual word come from a table built once per layer (DW_EXPAND_MAP, one divider), so the word loop
// carries nothing from one iteration to the next. One flattened loop over (pixel, virtual word) emits pixel px's
// words from one half of a ping-pong pixel buffer while pixel px + 1's input words fill the other half; each half
// keeps even / odd words in two banks, so the two words w0, w0 + 1 a virtual word needs are one read per bank.
struct dw_vmap_t {
    int32_t w0, qlo, r;
};

static void dw_expand(const layer_desc_t d, hls::stream<pair_t> &in, hls::stream<pair_t> &out) {
    const int32_t M = d.depth_mult;
    if (M == 1) {
    DW_PASS:
        for (int32_t i = 0; i < d.dw_in_pixels * pairs_of(d.dw_cw_in); ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
            ENGINE_ITER(LOOP_DW_PASS);
            out.write(in.read());
        }
        return;
    }
    static dw_vmap_t vmap[DW_PIX_WORDS];
#pragma HLS AGGREGATE variable=vmap
#pragma HLS BIND_STORAGE variable=vmap type=ram_s2p impl=lutram
    static lanes_t pbuf[4][DW_PIX_WORDS / 2 + 1];  // bank = half * 2 + word parity
#pragma HLS ARRAY_PARTITION variable=pbuf dim=1 complete
#pragma HLS AGGREGATE variable=pbuf
#pragma HLS BIND_STORAGE variable=pbuf type=ram_s2p impl=lutram
    OC_DECLARE(vmap, 1, OC_S2P);
    OC_DECLARE(pbuf, 4, OC_S2P);
    int32_t km[BUS_BYTES + 1];  // km[k] = k * M
#pragma HLS ARRAY_PARTITION variable=km complete
    for (int32_t k = 0; k <= BUS_BYTES; ++k) {
#pragma HLS UNROLL
        km[k] = k * M;
    }
DW_EXPAND_MAP:
    for (int32_t v = 0; v < d.dw_cw_out; ++v) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_PIX_WORDS
        ENGINE_ITER(LOOP_DW_EXPAND_MAP);
        const int32_t base = v * BUS_BYTES;
        const int32_t q = base / M;  // one pipelined divider
        const dw_vmap_t e = {q / BUS_BYTES, q % BUS_BYTES, base - q * M};
        OC_WR(vmap, v, e);
    }
    int32_t px = 0, v = 0, lw = 0;  // pixel and virtual word emitted, input word loaded (of pixel px + 1)
    pair_t got_in, pr;  // the input pair being unpacked (its high half is the next word), the output pair
DW_EXPAND:
    for (int32_t i = 0; i < d.dw_cw_in + d.dw_in_pixels * d.dw_cw_out; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
// the word loaded goes to the other half of pbuf than the four reads: no carried dependence through it
#pragma HLS DEPENDENCE variable=pbuf type=inter false
        ENGINE_ITER(LOOP_DW_EXPAND);
        const bool filling = i < d.dw_cw_in;  // pixel 0's words, before anything is emitted
        const int32_t half = px % 2;       // half of the pixel being emitted
        if (filling || (v < d.dw_cw_in && px + 1 < d.dw_in_pixels)) {
            const int32_t w = filling ? i : lw;
            if (w % 2 == 0) got_in = in.read();
            const lanes_t word = got_in.w[w % 2];
            const int32_t into = filling ? 0 : 1 - half;
            OC_WRB(pbuf, into * 2 + w % 2, w / 2, word);
            if (!filling) ++lw;
        }
        if (!filling) {
            const dw_vmap_t e = OC_RD(vmap, v);
            lanes_t got[4];
#pragma HLS ARRAY_PARTITION variable=got complete
            for (int32_t bank = 0; bank < 4; ++bank) {
#pragma HLS UNROLL
                got[bank] = OC_RDB(pbuf, bank, bank % 2 == 0 ? (e.w0 + 1) / 2 : e.w0 / 2);
            }
            const lanes_t &even = got[half * 2], &odd = got[half * 2 + 1];
            int8_t pair[2 * BUS_BYTES];  // input words w0, w0 + 1
#pragma HLS ARRAY_PARTITION variable=pair complete
            for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
                pair[j] = (e.w0 % 2) ? odd.b[j] : even.b[j];
                pair[BUS_BYTES + j] = (e.w0 % 2) ? even.b[j] : odd.b[j];
            }
            lanes_t o;
            for (int32_t l = 0; l < BUS_BYTES; ++l) {
#pragma HLS UNROLL
                int32_t off = 0;
                for (int32_t k = 1; k <= BUS_BYTES; ++k) {
#pragma HLS UNROLL
                    off += km[k] <= e.r + l ? 1 : 0;
                }
                o.b[l] = pair[e.qlo + off];
            }
            pair_put(pr, v % 2, o);
            if (v % 2 == 1 || v == d.dw_cw_out - 1) out.write(pr);
            if (++v == d.dw_cw_out) {
                v = 0;
                lw = 0;
                ++px;
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ step
// Which rows of the line buffer the tap rows of output row oy read: per tap block row br and tap row a, the row
// bank and whether the row is a kernel row inside the image. Once per step, outside the pipeline.
static void dw_row_taps(const layer_desc_t &d, int32_t oy, bool row_ok[DW_TB_ROWS][DW_TB],
                        int32_t rbank[DW_TB_ROWS][DW_TB]) {
    for (int32_t br = 0; br < DW_TB_ROWS; ++br) {
#pragma HLS UNROLL
        for (int32_t a = 0; a < DW_TB; ++a) {
#pragma HLS UNROLL
            const int32_t ky = br * DW_TB + a;
            const int32_t iy = oy * d.dw_stride_h - d.dw_pad_top + ky * d.dw_dil_h;
            row_ok[br][a] = ky < d.dw_k_h && iy >= 0 && iy < d.dw_in_h;
            rbank[br][a] = row_ok[br][a] ? iy % DW_NRB : 0;
        }
    }
}

static void dw_step(const layer_desc_t d, hls::stream<pair_t> &in, hls::stream<lanes_t> &out,
                    const dwblk_t wdw[DW_WT_ENTRIES], const tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                    const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
    static pair_t lb[DW_NRB * DW_NCB][DW_LB_DEPTH];  // bank = row bank * DW_NCB + column bank
#pragma HLS ARRAY_PARTITION variable=lb dim=1 complete
#pragma HLS AGGREGATE variable=lb
#pragma HLS BIND_STORAGE variable=lb type=ram_s2p impl=bram
    OC_DECLARE(lb, DW_NRB * DW_NCB, OC_S2P);
    const int8_t pad = (int8_t)(-d.dw_in_offset);
    const int32_t cw = d.dw_cw_out;  // virtual words per pixel
    const int32_t cw2 = pairs_of(cw);  // line-buffer words (pairs) per pixel
    // kernel column of tap e of tap block column bc, relative to the window's first column, as an offset of
    // column banks (obank < DW_NCB) and of line-buffer addresses (oaddr: whole slots x cw2), once per layer, so
    // that the step loop finds each tap's bank and address with adds and compares only (no divide, no multiply)
    int32_t coff[DW_TB_COLS][DW_TB];
    idx_t obank[DW_TB_COLS][DW_TB], oaddr[DW_TB_COLS][DW_TB];
    bool kx_ok[DW_TB_COLS][DW_TB];
#pragma HLS ARRAY_PARTITION variable=coff complete dim=0
#pragma HLS ARRAY_PARTITION variable=obank complete dim=0
#pragma HLS ARRAY_PARTITION variable=oaddr complete dim=0
#pragma HLS ARRAY_PARTITION variable=kx_ok complete dim=0
    for (int32_t bc = 0; bc < DW_TB_COLS; ++bc) {
#pragma HLS UNROLL
        for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
            coff[bc][e] = (bc * DW_TB + e) * d.dw_dil_w;
            obank[bc][e] = coff[bc][e] % DW_NCB;
            oaddr[bc][e] = (coff[bc][e] / DW_NCB) * cw2;
            kx_ok[bc][e] = bc * DW_TB + e < d.dw_k_w;
        }
    }
    // the window's first column steps by the stride: as banks and whole slots
    const idx_t sbank = d.dw_stride_w % DW_NCB, saddr = (d.dw_stride_w / DW_NCB) * cw2;
DW_STRIPS:
    for (int32_t st = 0; st < d.n_strips; ++st) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=8
        const dw_strip_t s = dw_strip_at(d, st);
        idx_t lx = 0, lv = 0;         // next pair to load: in-image column offset, pair
        idx_t lrb = 0;                 // row bank of the row being loaded
        idx_t lrel = s.cx0 - s.xs;     // strip column of lx
    DW_ROWS:
        for (int32_t k = 0; k < d.dw_out_h + d.dw_lag; ++k) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=257
            const int32_t rows = k < d.dw_out_h ? dw_need(d, k) - (k == 0 ? -1 : dw_need(d, k - 1)) : 0;
            const trip_t n_load = rows * s.ncols * cw2;
            const int32_t oy = k - d.dw_lag;  // the output row computed in this step
            const trip_t n_comp = oy >= 0 ? s.n_out * cw * d.blocks : 0;
            // overlapped (lag 1): load and compute side by side; serial (lag 0): load, DW_GAP idle cycles (so
            // that every word is written before a compute iteration can read it), then compute
            const trip_t c0 = d.dw_lag || n_load == 0 ? trip_t(0) : trip_t(n_load + DW_GAP);
            const trip_t n_iter = d.dw_lag ? (n_load > n_comp ? n_load : n_comp) : trip_t(c0 + n_comp);
            bool row_ok[DW_TB_ROWS][DW_TB];
            int32_t rbank[DW_TB_ROWS][DW_TB];
#pragma HLS ARRAY_PARTITION variable=row_ok complete dim=0
#pragma HLS ARRAY_PARTITION variable=rbank complete dim=0
            dw_row_taps(d, oy, row_ok, rbank);
            idx_t base_bank = 0, base_addr = 0;  // the window's first column: its bank, its slot x cw2
            idx_t ox_s = 0, j = 0, br = 0, bc = 0, blk = 0, wa = 0;  // ox * stride, channel word, tap block,
            int32_t acc[BUS_BYTES];                                       // its wdw entry (j * blocks + blk)
#pragma HLS ARRAY_PARTITION variable=acc complete
        DW_STEP:
            for (trip_t i = 0; i < n_iter; ++i) {
// flushable pipeline: an empty input FIFO or a full output FIFO does not stall the tap datapath through one
// clock-enable net
#pragma HLS PIPELINE II=1 style=frp
#pragma HLS LOOP_TRIPCOUNT min=1 max=DW_LB_DEPTH*DW_NCB*DW_NRB
// lag 1: the rows being loaded are never in the window; lag 0: a word is read >= DW_GAP iterations after its
// write (longer than the pipeline); a word read is never written again in the same step: no carried dependence
#pragma HLS DEPENDENCE variable=lb type=inter false
                ENGINE_ITER(LOOP_DW_STEP);
                // ---- load one pair of the rows for the next output row
                if (i < n_load) {
                    const pair_t v = in.read();
                    OC_WRB(lb, lrb * DW_NCB + lrel % DW_NCB, (lrel / DW_NCB) * cw2 + lv, v);
                    if (++lv == cw2) {
                        lv = 0;
                        ++lrel;
                        if (++lx == s.ncols) {
                            lx = 0;
                            lrel = s.cx0 - s.xs;
                            lrb = lrb == DW_NRB - 1 ? idx_t(0) : idx_t(lrb + 1);
                        }
                    }
                }
                // ---- one output word of row oy, one tap block
                if (i >= c0 && i < c0 + n_comp) {
                    bool col_ok[DW_TB];
                    idx_t cbank[DW_TB], caddr[DW_TB];
#pragma HLS ARRAY_PARTITION variable=col_ok complete
#pragma HLS ARRAY_PARTITION variable=cbank complete
#pragma HLS ARRAY_PARTITION variable=caddr complete
                    for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
                        const idx_t rel = ox_s + coff[bc][e];  // strip column of the tap (>= 0)
                        const int32_t ix = s.xs + rel;
                        col_ok[e] = kx_ok[bc][e] && ix >= 0 && ix < d.dw_in_w;
                        // bank rel % DW_NCB and slot rel / DW_NCB of the tap, from the window's and the offset's
                        const idx_t b = base_bank + obank[bc][e];
                        const bool wrap = b >= DW_NCB;
                        cbank[e] = wrap ? idx_t(b - DW_NCB) : b;
                        caddr[e] = base_addr + oaddr[bc][e] + (wrap ? cw2 : 0) + (j >> 1);  // the pair with word j
                    }
                    // each column bank is read at the address of the one block column it holds (the block's
                    // DW_TB columns fall in distinct banks: DW_NCB = DW_TB is prime and dil_w % DW_NCB != 0)
                    idx_t baddr[DW_NCB];
#pragma HLS ARRAY_PARTITION variable=baddr complete
                    for (int32_t c = 0; c < DW_NCB; ++c) {
#pragma HLS UNROLL
                        baddr[c] = 0;
                        for (int32_t e = 0; e < DW_TB; ++e) {
#pragma HLS UNROLL
                            if (cbank[e] == c) baddr[c] = caddr[e];
                        }
                    }
                    lanes_t v[DW_NRB][DW_NCB];  // per bank the half of the pair that holds word j
#pragma HLS ARRAY_PARTITION variable=v complete dim=0
                    for (int32_t rb = 0; rb < DW_NRB; ++rb) {
#pragma HLS UNROLL
                        for (int32_t c = 0; c < DW_NCB; ++c) {
#pragma HLS UNROLL
#ifndef PYFLOW_FAULT_RUNTIME_LANE
                            const int32_t bank = rb * DW_NCB + c;  // a static bank per read
#else  // test build only: banks that rotate with the pixel, what the access check must catch
                            const int32_t bank = (rb * DW_NCB + c + ox_s) % (DW_NRB * DW_NCB);
#endif
                            v[rb][c] = OC_RDB(lb, bank, baddr[c]).w[j & 1];
                        }
                    }
                    // routing in two stages: rows (DW_NRB:1 per tap row and column bank), then columns (DW_NCB:1)
                    lanes_t rowsel[DW_TB][DW_NCB];
#pragma HLS ARRAY_PARTITION variable=rowsel complete dim=0
                    for (int32_t a = 0; a < DW_TB; ++a) {
#pragma HLS UNROLL
                        for (int32_t c = 0; c < DW_NCB; ++c) {
#pragma HLS UNROLL
                            rowsel[a][c] = v[rbank[br][a]][c];
                        }
                    }
                    const dwblk_t wb = OC_RD(wdw, wa);
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
                            const bool inside = row_ok[br][a] && col_ok[e];
                            const lanes_t &src = rowsel[a][cbank[e]];
                            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                                const int8_t x = inside ? src.b[lane] : pad;
                                // BUS_BYTES x DW_TB^2 products, in LUTs (DW_MUL fabric, ~70 LUT each: the DSPs go
                                // to the MAC array) or one DSP each (DW_MUL dsp: parts short of LUTs)
                                const dw_prod_t prod = (dw_op_t)x * (dw_op_t)wb.w[a * DW_TB + e][lane];
#pragma HLS BIND_OP variable=prod op=mul impl=DW_MUL latency=2
                                partial[lane] += (int32_t)prod;
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
                        lanes_t o;
                        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                            const int32_t r = multiply_by_quantized_multiplier(acc[lane], mj.v[lane], sj.v[lane]);
                            const int8_t q = (int8_t)clamp_i32((int64_t)r + d.dw_out_offset, d.dw_act_min, d.dw_act_max);
                            o.b[lane] = j * BUS_BYTES + lane < d.dw_out_c ? q : (int8_t)0;
                        }
                        out.write(o);
                    }
                    // next (tap block, channel word, pixel)
                    ++wa;
                    if (++blk == d.blocks) {
                        blk = 0;
                        br = 0;
                        bc = 0;
                        if (++j == cw) {
                            j = 0;
                            wa = 0;
                            ox_s += d.dw_stride_w;
                            const idx_t nb = base_bank + sbank;
                            const bool nwrap = nb >= DW_NCB;
                            base_bank = nwrap ? idx_t(nb - DW_NCB) : nb;
                            base_addr += saddr + (nwrap ? cw2 : 0);
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

// ------------------------------------------------------------------------------------------------ stage
// The depthwise stage of the layer pipeline: expand (depth multiplier) and step, connected by a FIFO.
static void dw_core(const layer_desc_t &d, hls::stream<pair_t> &in, hls::stream<lanes_t> &out,
                    const dwblk_t wdw[DW_WT_ENTRIES], const tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                    const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
#pragma HLS DATAFLOW
    hls::stream<pair_t> words;
#pragma HLS STREAM variable=words depth=64
#pragma HLS BIND_STORAGE variable=words type=fifo impl=srl
    dw_expand(d, in, words);
    dw_step(d, words, out, wdw, bias, mult, shift);
}

#endif
