// The layer pipeline: one DATAFLOW region that runs a CONV_2D / FULLY_CONNECTED, a DEPTHWISE_CONV_2D, an ADD, or
// several of them fused (an expand conv and its depthwise conv; a conv or depthwise conv and the residual ADD of
// its output), without the tensors between them in DDR:
//
//   conv stage  --words-->  depthwise stage  --words-->  writer
//   (MAC array, or          (line buffer, or             (one burst per run, + ADD or MUL of the tensor at
//    the reader)             a copy)                      in2_addr, or of a broadcast [1,1,1,C] vector, when add_on)
//   fm_in, fm_in_b,                                       fm_out, fm_in2
//   wt .. wt_d
//
// Every stage runs for the whole step; the FIFOs between them carry the words in the order the writer stores them:
// NHWC raster order, or strip by strip and row by row when the depthwise stage runs in strips. Into the depthwise
// stage: pairs of bus words (pair_t, a pixel in ceil(cw / 2) pairs), so that the MAC array's output tile (two words
// at PO = 2 x BUS_BYTES) and the line buffer move two words per cycle; out of it: one word (lanes_t) per cycle, the
// writer's port.
#ifndef PYFLOW_PIPELINE_H
#define PYFLOW_PIPELINE_H

#include "add.h"
#include "conv.h"
#include "depthwise_conv.h"
#include "engine_types.h"

// A run: `len` consecutive words of the arena from `addr`.
struct run_t {
    int32_t addr, len;
};

// Every burst costs a DDR round trip (and a write its response), so a run is as long as the layout allows.
// Runs of the pipeline's input the reader streams when the conv stage is off: the depthwise input strip by strip
// and row by row (in-image columns); the rows_read rows in one run when a single strip reads whole rows; the
// whole input tensor (ADD).
static inline bool dw_rows_whole(const layer_desc_t &d) {
#pragma HLS INLINE
    return d.n_strips == 1 && dw_strip_at(d, 0).ncols == d.in_w;
}

static inline int32_t read_runs(const layer_desc_t &d) {
#pragma HLS INLINE
    return d.dw_on && !dw_rows_whole(d) ? d.n_strips * d.rows_read : 1;
}

static inline run_t read_run(const layer_desc_t &d, int32_t st, int32_t iy) {
#pragma HLS INLINE
    run_t r;
    if (d.dw_on && dw_rows_whole(d)) {
        r.addr = d.in_addr;
        r.len = d.rows_read * d.in_w * d.cw_in;
    } else if (d.dw_on) {
        const dw_strip_t s = dw_strip_at(d, st);
        r.addr = d.in_addr + (iy * d.in_w + s.cx0) * d.cw_in;
        r.len = s.ncols * d.cw_in;
    } else {
        r.addr = d.in_addr;
        r.len = d.in_h * d.in_w * d.cw_in;
    }
    return r;
}

// Runs of the output the writer stores: strip by strip and row by row after a depthwise stage of several strips,
// else the whole output tensor.
static inline int32_t write_runs(const layer_desc_t &d) {
#pragma HLS INLINE
    return d.dw_on && d.n_strips > 1 ? d.n_strips * d.dw_out_h : 1;
}

static inline run_t write_run(const layer_desc_t &d, int32_t st, int32_t oy) {
#pragma HLS INLINE
    run_t r;
    if (d.dw_on && d.n_strips > 1) {
        const dw_strip_t s = dw_strip_at(d, st);
        r.addr = (oy * d.out_w + s.ox0) * d.cw_out;  // relative: the output and in2 share the layout
        r.len = s.n_out * d.cw_out;
    } else {
        r.addr = 0;
        r.len = d.out_h * d.out_w * d.cw_out;
    }
    return r;
}

// ------------------------------------------------------------------------------------------------ stages
// One word per cycle from the port, a pair out every second word of a pixel and at its end (runs hold whole
// pixels).
static void pipe_read(const layer_desc_t &d, const bus_t *fm, hls::stream<pair_t> &out) {
    int32_t st = 0, row = 0;  // strip, row of the run
PIPE_READ_RUNS:
    for (int32_t k = 0; k < read_runs(d); ++k) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=2048
        const run_t r = read_run(d, st, row);
        int32_t w = 0;  // word in the pixel
        pair_t pr;
    PIPE_READ:
        for (int32_t i = 0; i < r.len; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
            ENGINE_ITER(LOOP_PIPE_READ);
            lanes_t v;
            unpack_word(fm[r.addr + i], v.b);
            pair_put(pr, w % 2, v);
            if (w % 2 == 1 || w == d.cw_in - 1) out.write(pr);
            w = w == d.cw_in - 1 ? 0 : w + 1;
        }
        if (++row == d.rows_read) {
            row = 0;
            ++st;
        }
    }
}

// The conv stage: the MAC array, or (conv_on = 0) the reader.
static void conv_stage(const layer_desc_t d, const bus_t *fm_in, const bus_t *fm_in_b, const bus_t *wt,
                       const bus_t *wt_b, const bus_t *wt_c, const bus_t *wt_d,
                       const tbl32_t bias[TBL_BANKS][TBL_DEPTH], const tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                       const tbl8_t shift[TBL_BANKS][TBL_DEPTH], const double scale[F64_BANKS][MAX_COUT / F64_BANKS],
                       hls::stream<pair_t> &out) {
    if (d.conv_on) {
        conv_blocks(d, d.n_blocks, fm_in, fm_in_b, wt, wt_b, wt_c, wt_d, bias, mult, shift, scale, out);
    } else {
        pipe_read(d, fm_in, out);
    }
}

// The depthwise stage: the line buffer, or (dw_on = 0) the pairs as words.
static void dw_stage(const layer_desc_t d, hls::stream<pair_t> &in, hls::stream<lanes_t> &out,
                     const dwblk_t wdw[DW_WT_ENTRIES], const tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                     const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
    if (d.dw_on) {
        dw_core(d, in, out, wdw, bias, mult, shift);
    } else {
        const int32_t words = d.out_h * d.out_w * d.cw_out;
        int32_t w = 0;  // word in the pixel
        pair_t pr;
    PIPE_COPY:
        for (int32_t i = 0; i < words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
            ENGINE_ITER(LOOP_PIPE_COPY);
            if (w % 2 == 0) pr = in.read();
            out.write(pr.w[w % 2]);
            w = w == d.cw_out - 1 ? 0 : w + 1;
        }
    }
}

// Input 2 of the writer's two-input unit, as words in the order the writer stores them (a DATAFLOW process of its
// own, so that the writer has one loop and the unit one call site): the tensor at in2_addr, one burst per run on
// its own port, or (in2_bcast) its one pixel -- a [1,1,1,C] vector of cw_out words loaded once into bvec -- sent
// for every pixel. Nothing when add_on is 0.
#define BVEC_WORDS (MAX_COUT / BUS_BYTES)
static void pipe_in2(const layer_desc_t d, const bus_t *fm_in2, hls::stream<lanes_t> &out) {
    // static only for a stable address in csim (onchip.h keys its access check by address); every broadcast step
    // loads it before reading it, nothing carries from one call to the next
    static bus_t bvec[BVEC_WORDS];
#pragma HLS BIND_STORAGE variable=bvec type=ram_s2p impl=lutram
    OC_DECLARE(bvec, 1, OC_S2P);
    if (!d.add_on) return;
    if (d.in2_bcast) {
    PIPE_BCAST_LOAD:
        for (int32_t i = 0; i < d.cw_out; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=BVEC_WORDS
            ENGINE_ITER(LOOP_PIPE_BCAST_LOAD);
            OC_WR(bvec, i, fm_in2[d.in2_addr + i]);
        }
    }
    int32_t st = 0, row = 0;
PIPE_IN2_RUNS:
    for (int32_t k = 0; k < write_runs(d); ++k) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=2048
        const run_t r = write_run(d, st, row);
        if (d.in2_bcast) {
            ap_uint<8> cword = 0;  // channel word of the pixel (runs start on a pixel; cw_out <= BVEC_WORDS)
        PIPE_IN2_BCAST:
            for (int32_t i = 0; i < r.len; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
                ENGINE_ITER(LOOP_PIPE_IN2_BCAST);
                lanes_t v;
                unpack_word(OC_RD(bvec, cword), v.b);
                out.write(v);
                cword = cword + 1 == d.cw_out ? ap_uint<8>(0) : ap_uint<8>(cword + 1);
            }
        } else {
        PIPE_IN2:
            for (int32_t i = 0; i < r.len; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
                ENGINE_ITER(LOOP_PIPE_IN2);
                lanes_t v;
                unpack_word(fm_in2[d.in2_addr + r.addr + i], v.b);
                out.write(v);
            }
        }
        if (++row == d.dw_out_h) {
            row = 0;
            ++st;
        }
    }
}

// The writer: each run is one burst; with add_on, the one two-input unit (add.h: 16 lanes, ADD or MUL) combines
// the stream from the stages (input 1) with the words of pipe_in2 (input 2).
static void pipe_write(const layer_desc_t d, hls::stream<lanes_t> &in, hls::stream<lanes_t> &in2, bus_t *fm_out) {
    int32_t st = 0, row = 0;
PIPE_WRITE_RUNS:
    for (int32_t k = 0; k < write_runs(d); ++k) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=2048
        const run_t r = write_run(d, st, row);
        if (d.add_on) {
            ap_uint<8> cword = 0;  // channel word of the pixel (runs start on a pixel)
        PIPE_WRITE_ADD:
            for (int32_t i = 0; i < r.len; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
                ENGINE_ITER(LOOP_PIPE_WRITE_ADD);
                const lanes_t a = in.read();
                const lanes_t b = in2.read();
                int8_t o[BUS_BYTES];
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    o[lane] = cword * BUS_BYTES + lane < d.out_c ? eltwise_lane(d, a.b[lane], b.b[lane]) : (int8_t)0;
                }
                fm_out[d.out_addr + r.addr + i] = pack_word(o);
                cword = cword + 1 == d.cw_out ? ap_uint<8>(0) : ap_uint<8>(cword + 1);
            }
        } else {
        PIPE_WRITE:
            for (int32_t i = 0; i < r.len; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
                ENGINE_ITER(LOOP_PIPE_WRITE);
                fm_out[d.out_addr + r.addr + i] = pack_word(in.read().b);
            }
        }
        if (++row == d.dw_out_h) {
            row = 0;
            ++st;
        }
    }
#ifdef PYFLOW_FAULT_WRITE_PAST_END  // test build only: one word past the output tensor
    fm_out[d.out_addr + d.out_h * d.out_w * d.cw_out] = splat_word((int8_t)0x5a);
#endif
}

static void layer_pipeline(const layer_desc_t &d, const bus_t *fm_in, const bus_t *fm_in_b, const bus_t *fm_in2,
                           bus_t *fm_out, const bus_t *wt, const bus_t *wt_b, const bus_t *wt_c, const bus_t *wt_d,
                           const tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                           const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH],
                           const double scale[F64_BANKS][MAX_COUT / F64_BANKS], const dwblk_t wdw[DW_WT_ENTRIES],
                           const tbl32_t dw_bias[TBL_BANKS][TBL_DEPTH], const tbl32_t dw_mult[TBL_BANKS][TBL_DEPTH],
                           const tbl8_t dw_shift[TBL_BANKS][TBL_DEPTH]) {
#pragma HLS DATAFLOW
    hls::stream<pair_t> conv_out;
#pragma HLS STREAM variable=conv_out depth=64
#pragma HLS BIND_STORAGE variable=conv_out type=fifo impl=srl
    hls::stream<lanes_t> dw_out;
#pragma HLS STREAM variable=dw_out depth=64
#pragma HLS BIND_STORAGE variable=dw_out type=fifo impl=srl
    hls::stream<lanes_t> in2_words;
#pragma HLS STREAM variable=in2_words depth=64
#pragma HLS BIND_STORAGE variable=in2_words type=fifo impl=srl
    conv_stage(d, fm_in, fm_in_b, wt, wt_b, wt_c, wt_d, bias, mult, shift, scale, conv_out);
    dw_stage(d, conv_out, dw_out, wdw, dw_bias, dw_mult, dw_shift);
    pipe_in2(d, fm_in2, in2_words);
    pipe_write(d, dw_out, in2_words, fm_out);
}

#endif
