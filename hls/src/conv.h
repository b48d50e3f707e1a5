// CONV_2D (any kernel, stride, dilation, padding, any feature-map size) and FULLY_CONNECTED on ONE PI x PO
// MAC array (conv_blocks has one call site, pipeline.h).
//
// A layer is cut into blocks of at most d.blk output pixels (pointwise 1x1 / FC: consecutive pixels of the NHWC
// map; any other window: a segment of one output row, d.segs segments per row). Per block, a DATAFLOW region of
// eight processes (canonical dataflow-in-a-loop: the block loop's iterations overlap, the arrays between the
// processes are ping-pong buffers):
//
//   conv_load_x<0>  (fm_in)   -- xbuf_a -->  conv_mac  -- obuf -->  conv_emit  --> the pipeline's next stage
//   conv_load_x<1>  (fm_in_b) -- xbuf_b --^   ^ ^ ^ ^
//   conv_load_w<0>  (wt)      -- ws_0 (FIFO) -' | | |
//   conv_load_w<1>  (wt_b)    -- ws_1 (FIFO) ---' | |
//   conv_load_w<2>  (wt_c)    -- ws_2 (FIFO) -----' |
//   conv_load_w<3>  (wt_d)    -- ws_3 (FIFO) -------'
//
// Two input loaders and W_LOADERS = 4 weight loaders, each on its own m_axi port (one 128-bit HP port moves
// 4 GB/s at 250 MHz; the weights of a 7x7 layer or the FULLY_CONNECTED need four of them to keep the array busy):
// conv_load_x<H> the input windows of half H of the block's pixels (half 0: the first ceil(n/2), half 1: the
//               rest) as MAC-array slices of PI bytes (X_WORDS bus words) in its own xbuf, pixel by pixel:
//               S = d.slices slices per window. Pointwise: one burst of the half's pixels. Otherwise: the band of
//               kernel rows the half's pixels read (one burst per row, padding filled on chip; each loader has
//               its own band) and a gather of the windows: a window is d.n_seg segments of d.seg_words
//               contiguous band words (a kernel row, or one tap when dilated), each cut into d.chunks slices.
// conv_load_w<H> output channels [H * PO/4, (H+1) * PO/4) of every weight slice of the layer (W_PART bus words a
//               slice), one burst per block, one bus word per cycle into its FIFO: the parameter image holds the
//               layer's four parts one after another from d.wt_addr (part H at d.wt_addr + H * tiles * slices *
//               W_PART).
// conv_mac      T = d.tiles output-channel tiles of PO x S slices; one phase per (tile, slice): the PI x PO
//               weight slice is held in registers while the block's pixels stream past (one pixel per cycle,
//               PI x PO MACs in PI x PO / 2 DSP48E2s: two output channels per multiplier, dsp_pack.h), partial
//               sums in the acc RAM; the last slice requantizes PO channels into obuf. The next slice shifts into
//               shadow registers one word per loader per cycle during a phase's first W_PART cycles (the first
//               slice in W_PART cycles before phase 0), so the FIFOs from the loaders are one bus word wide.
//               Every phase lasts L = max(pixels, W_PART, MIN_PHASE) cycles: W_PART is what each weight loader
//               needs per slice, MIN_PHASE keeps a pixel's acc read-modify-write MIN_PHASE cycles apart.
// conv_emit     the block's outputs, pixel by pixel (all channels, NHWC raster order), into the next stage.
//
// The input offset is folded into the bias by the generator (bias + input_offset * sum(w)), so the array
// multiplies raw int8 x int8 and padded taps (x = zero point) cancel exactly. FULLY_CONNECTED with asymmetric
// weights adds weights_offset * sum(x). The LiteRT flavor requantizes FULLY_CONNECTED in double precision: the
// accumulators go to fcacc and one shared double unit requantizes them, one channel per cycle (CONV_FC_REQUANT).
#ifndef PYFLOW_CONV_H
#define PYFLOW_CONV_H

#include "dsp_pack.h"
#include "engine_types.h"
#include "requant.h"

// Band of kernel rows (general window): X_WORDS banks, word a in bank a % X_WORDS at a / X_WORDS, so that any
// X_WORDS consecutive words are read in one cycle (one read per bank). The generator leaves X_WORDS words after
// the last kernel row for the reads of the last chunk (k_h * band_row + X_WORDS <= BAND_WORDS).
#define BAND_DEPTH (BAND_WORDS / X_WORDS)

// Position of a block: first output pixel (row oy, column ox0) and its pixel count. Every process walks the
// blocks in order itself (static state, restarted at block 0): no division by the runtime segment count.
struct conv_block_t {
    int32_t oy, ox0, n;
};

static inline conv_block_t conv_block_next(const layer_desc_t &d, int32_t b, conv_block_t &walk) {
#pragma HLS INLINE
    if (b == 0) {
        walk.oy = 0;
        walk.ox0 = 0;
    }
    conv_block_t k = walk;
    const int32_t left = d.pointwise ? d.c_out_h * d.c_out_w - k.ox0 : d.c_out_w - k.ox0;  // pixels of the row / map
    k.n = left < d.blk ? left : d.blk;
    walk.ox0 += d.blk;
    if (!d.pointwise && walk.ox0 >= d.c_out_w) {  // next output row (pointwise blocks run over the whole map)
        walk.ox0 = 0;
        ++walk.oy;
    }
    return k;
}

// ------------------------------------------------------------------------------------------------ input
// Appends bus word k (0 <= k < X_WORDS) of a slice: static lane positions, enabled by k.
static inline void slice_put(xslice_t &x, int32_t k, const int8_t lanes[BUS_BYTES]) {
#pragma HLS INLINE
    for (int32_t j = 0; j < X_WORDS; ++j) {
#pragma HLS UNROLL
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            if (k == j) x.b[j * BUS_BYTES + lane] = lanes[lane];
        }
    }
}

static inline void slice_clear(xslice_t &x) {
#pragma HLS INLINE
    for (int32_t j = 0; j < PI; ++j) {
#pragma HLS UNROLL
        x.b[j] = 0;
    }
}

// Pointwise: the block's n pixels are n * cw_in consecutive words; pixel p's words fill slices p*S .. p*S+S-1
// (the last one zero-padded). One burst.
static void conv_load_pointwise(const layer_desc_t &d, int32_t p0, int32_t n, const bus_t *fm,
                                xslice_t xbuf[XBUF_HALF]) {
    xslice_t x;
    slice_clear(x);
    int32_t w = 0, k = 0, a = 0;  // word in the pixel, word in the slice, slice address
CONV_X_LOAD:
    for (int32_t i = 0; i < n * d.cw_in; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=XBUF_HALF*X_WORDS
        ENGINE_ITER(LOOP_CONV_X_LOAD);
        int8_t lanes[BUS_BYTES];
        unpack_word(fm[d.in_addr + p0 * d.cw_in + i], lanes);
        slice_put(x, k, lanes);
        ++w;
        if (k == X_WORDS - 1 || w == d.cw_in) {
            OC_WR(xbuf, a, x);
            ++a;
            slice_clear(x);
            k = 0;
        } else {
            ++k;
        }
        if (w == d.cw_in) w = 0;
    }
}

// n_words band words from band word a0 on hold the input zero point (padding rows / columns).
static void conv_band_pad(int32_t a0, int32_t n_words, const lanes_t &pad, lanes_t band[X_WORDS][BAND_DEPTH]) {
CONV_BAND_PAD:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=BAND_WORDS
        ENGINE_ITER(LOOP_CONV_BAND_PAD);
        const int32_t a = a0 + i;
        OC_WRB(band, a % X_WORDS, a / X_WORDS, pad);
    }
}

// n_words consecutive feature-map words from fm[addr] into the band from band word a0 on: one burst.
static void conv_band_burst(const bus_t *fm, int32_t addr, int32_t a0, int32_t n_words,
                            lanes_t band[X_WORDS][BAND_DEPTH]) {
CONV_BAND_LOAD:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=BAND_WORDS
        ENGINE_ITER(LOOP_CONV_BAND_LOAD);
        lanes_t v;
        unpack_word(fm[addr + i], v.b);
        const int32_t a = a0 + i;
        OC_WRB(band, a % X_WORDS, a / X_WORDS, v);
    }
}

// The band of a row segment: kernel row ky in band slot (slot0 + ky) mod k_h (d.band_row words each, a multiple
// of X_WORDS), columns xs .. xs + ncols - 1 of input row iy (padding outside the image). Rows from ky = first on:
// 0 for a new band; k_h - stride_h when the band rolls (d.band_roll: the block is the next whole output row, the
// band already holds its other kernel rows).
static void conv_load_band(const layer_desc_t &d, const conv_block_t &k, int32_t first, int32_t slot0,
                           const bus_t *fm, lanes_t band[X_WORDS][BAND_DEPTH]) {
    lanes_t pad;
    for (int32_t j = 0; j < BUS_BYTES; ++j) {
#pragma HLS UNROLL
        pad.b[j] = (int8_t)(-d.in_offset);
    }
    const int32_t xs = k.ox0 * d.stride_w - d.pad_left;
    const int32_t ncols = (k.n - 1) * d.stride_w + (d.k_w - 1) * d.dil_w + 1;
    const int32_t left = xs < 0 ? (-xs < ncols ? -xs : ncols) : 0;
    const int32_t over = xs + ncols - d.in_w;
    const int32_t right = over > 0 ? (over < ncols - left ? over : ncols - left) : 0;
    const int32_t mid = ncols - left - right;
CONV_BAND_ROWS:
    for (int32_t ky = first; ky < d.k_h; ++ky) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=7
        const int32_t iy = k.oy * d.stride_h - d.pad_top + ky * d.dil_h;
        const int32_t slot = slot0 + ky < d.k_h ? slot0 + ky : slot0 + ky - d.k_h;
        const int32_t a0 = slot * d.band_row;
        if (iy < 0 || iy >= d.in_h) {
            conv_band_pad(a0, ncols * d.cw_in, pad, band);
        } else {
            if (left > 0) conv_band_pad(a0, left * d.cw_in, pad, band);
            conv_band_burst(fm, d.in_addr + (iy * d.in_w + xs + left) * d.cw_in, a0 + left * d.cw_in,
                            mid * d.cw_in, band);
            if (right > 0) conv_band_pad(a0 + (left + mid) * d.cw_in, right * d.cw_in, pad, band);
        }
    }
}

// Windows of the segment's n pixels: per pixel d.n_seg segments (kernel row ky, and tap kx when dilated) of
// d.seg_words consecutive band words, each cut into d.chunks slices of up to X_WORDS words. One slice per cycle:
// every band bank is read once, at its own address, and the X_WORDS words are rotated into place. Kernel row ky
// is in band slot (slot0 + ky) mod k_h: from kernel row wrap_ky = k_h - slot0 on, the slots start over at 0.
static void conv_gather(const layer_desc_t &d, int32_t n, int32_t slot0, const lanes_t band[X_WORDS][BAND_DEPTH],
                        xslice_t xbuf[XBUF_HALF]) {
    const idx_t pix_step = d.stride_w * d.cw_in;  // band words between neighbouring windows
    const idx_t col_step = d.dil_w * d.cw_in;     // between the taps of a kernel row (dilated)
    const idx_t band_row = d.band_row;            // between the kernel rows of a window
    const idx_t wrap_step = band_row - d.k_h * d.band_row;  // into slot 0 from slot k_h - 1 (mod 2^16)
    const idx_t wrap_ky = d.k_h - slot0;
    const idx_t first_row = slot0 * d.band_row;                            // kernel row 0 of window 0
    const idx_t step0 = wrap_ky == 1 ? wrap_step : band_row;               // kernel row 0 -> 1
    idx_t ky = 0, kx = 0, c = 0;                  // segment (kernel row ky, tap kx when dilated), chunk
    // band words: of the segment; of the window's next kernel row; of the next window's kernel row 0. The next
    // values are registers one step ahead, so the walk only selects among adds of registers (no add after a
    // select).
    idx_t seg_base = first_row, next_row = first_row + step0, next_pix = first_row + pix_step;
CONV_GATHER:
    for (int32_t i = 0; i < n * d.slices; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=XBUF_HALF
        ENGINE_ITER(LOOP_CONV_GATHER);
        const int32_t a = seg_base + c * X_WORDS;
        const int32_t left = d.seg_words - c * X_WORDS;
        const int32_t m = left < X_WORDS ? left : X_WORDS;  // words of this chunk
        const int32_t rot = a % X_WORDS;
        lanes_t v[X_WORDS];
#pragma HLS ARRAY_PARTITION variable=v complete
        for (int32_t bank = 0; bank < X_WORDS; ++bank) {
#pragma HLS UNROLL
            const int32_t j = (bank - rot + X_WORDS) % X_WORDS;  // word of the chunk held by this bank
            v[bank] = OC_RDB(band, bank, (a + j) / X_WORDS);
        }
        xslice_t x;
        for (int32_t j = 0; j < X_WORDS; ++j) {
#pragma HLS UNROLL
            const lanes_t &src = v[(rot + j) % X_WORDS];
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                x.b[j * BUS_BYTES + lane] = j < m ? src.b[lane] : (int8_t)0;
            }
        }
        OC_WR(xbuf, i, x);
        if (++c == d.chunks) {
            c = 0;
            if (++kx < d.seg_cols) {
                seg_base += col_step;
            } else {
                kx = 0;
                const idx_t via_wrap = next_row + wrap_step, straight = next_row + band_row;
                const bool wraps = ky + 2 == wrap_ky;  // kernel row ky + 1 -> ky + 2 crosses into slot 0
                if (++ky < d.k_h) {
                    seg_base = next_row;
                    next_row = wraps ? via_wrap : straight;
                } else {
                    ky = 0;
                    seg_base = next_pix;
                    next_row = next_pix + step0;
                    next_pix += pix_step;
                }
            }
        }
    }
}

// Half H of block b's pixels: half 0 the first ceil(n/2), half 1 the rest (a template: each loader has its own
// band and its own block walk).
template <int H>
static void conv_load_x(const layer_desc_t d, int32_t b, const bus_t *fm, xslice_t xbuf[XBUF_HALF]) {
    static lanes_t band[X_WORDS][BAND_DEPTH];
#pragma HLS ARRAY_PARTITION variable=band dim=1 complete
#pragma HLS AGGREGATE variable=band
#pragma HLS BIND_STORAGE variable=band type=ram_s2p impl=BIG_RAM
    OC_DECLARE(band, X_WORDS, OC_S2P);
    OC_DECLARE(xbuf, 1, OC_S2P);
    static conv_block_t walk;
    static int32_t slot0;  // band slot of kernel row 0 (rolling band)
    conv_block_t k = conv_block_next(d, b, walk);
    const bool roll = d.band_roll && b > 0;
    slot0 = !roll ? 0 : slot0 + d.stride_h < d.k_h ? slot0 + d.stride_h : slot0 + d.stride_h - d.k_h;
    const int32_t n0 = (k.n + 1) >> 1;  // pixels of half 0
    if (H == 0) {
        k.n = n0;
    } else {
        k.ox0 += n0;
        k.n -= n0;
    }
    if (d.pointwise) {
        conv_load_pointwise(d, k.ox0, k.n, fm, xbuf);
    } else if (k.n > 0) {
        conv_load_band(d, k, roll ? d.k_h - d.stride_h : 0, slot0, fm, band);
        conv_gather(d, k.n, slot0, band, xbuf);
    }
}

// ------------------------------------------------------------------------------------------------ weights
// Output channels [H * PO/4, (H+1) * PO/4) of all T x S slices of the layer (one burst of part H), each
// PO/4 x PI bytes = W_PART bus words (byte po * PI + pi of a part slice: output channel po, input pi), one word
// per cycle into the FIFO.
template <int H>
static void conv_load_w(const layer_desc_t d, const bus_t *wt, hls::stream<lanes_t> &ws) {
    const int32_t words = d.tiles * d.slices * W_PART;
    const int32_t base = d.wt_addr + H * words;
CONV_W_LOAD:
    for (int32_t i = 0; i < words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/PO*XBUF_SLICES*W_PART
        ENGINE_ITER(LOOP_CONV_W_LOAD);
        lanes_t v;
        unpack_word(wt[base + i], v.b);
        ws.write(v);
    }
}

// ------------------------------------------------------------------------------------------------ MAC array
// Requantizes the PO accumulators of tile t into PO int8 lanes (channels beyond out_c are 0).
static inline oword_t conv_requant(const layer_desc_t &d, int32_t t, const int32_t sum[PO],
                                   const tbl32_t mult[TBL_BANKS][TBL_DEPTH], const tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
#pragma HLS INLINE
    oword_t o;
    for (int32_t k = 0; k < TBL_BANKS; ++k) {
#pragma HLS UNROLL
        const tbl32_t m = OC_RDB(mult, k, t);
        const tbl8_t s = OC_RDB(shift, k, t);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            const int32_t po = k * BUS_BYTES + lane;
            const int32_t r = multiply_by_quantized_multiplier(sum[po], m.v[lane], s.v[lane]);
            const int8_t v = (int8_t)clamp_i32((int64_t)r + d.out_offset, d.act_min, d.act_max);
#ifndef PYFLOW_FAULT_PAD_LANE
            o.b[po] = t * PO + po < d.c_out_c ? v : (int8_t)0;
#else  // test build only: garbage in the channel padding, what the testbench must catch
            o.b[po] = t * PO + po < d.c_out_c ? v : (int8_t)1;
#endif
        }
    }
    return o;
}

static void conv_mac(const layer_desc_t d, int32_t b, const xslice_t xbuf_a[XBUF_HALF],
                     const xslice_t xbuf_b[XBUF_HALF], hls::stream<lanes_t> &ws_0, hls::stream<lanes_t> &ws_1,
                     hls::stream<lanes_t> &ws_2, hls::stream<lanes_t> &ws_3,
                     const tbl32_t bias[TBL_BANKS][TBL_DEPTH], const tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                     const tbl8_t shift[TBL_BANKS][TBL_DEPTH], const double scale[F64_BANKS][MAX_COUT / F64_BANKS], oword_t obuf[OBUF_WORDS]) {
    static accw_t acc[P_MAX];  // partial sums of the block's pixels for the current tile
#pragma HLS AGGREGATE variable=acc
#pragma HLS BIND_STORAGE variable=acc type=ram_s2p impl=bram
    static int32_t xsum[P_MAX];  // sum of each window's inputs (weights_offset != 0 only)
#pragma HLS BIND_STORAGE variable=xsum type=ram_s2p impl=lutram
    static accw_t fcacc[MAX_COUT / PO];  // LiteRT FULLY_CONNECTED: raw accumulators per tile (one pixel)
#pragma HLS AGGREGATE variable=fcacc
#pragma HLS BIND_STORAGE variable=fcacc type=ram_s2p impl=lutram
    OC_DECLARE(acc, 1, OC_S2P);
    OC_DECLARE(xsum, 1, OC_S2P);
    OC_DECLARE(fcacc, 1, OC_S2P);
    OC_DECLARE(obuf, 1, OC_S2P);
    OC_DECLARE(bias, TBL_BANKS, OC_S2P);
    OC_DECLARE(mult, TBL_BANKS, OC_S2P);
    OC_DECLARE(shift, TBL_BANKS, OC_S2P);

    wpack_t wp[PO / 2][PI];  // the current weight slice in registers, output channels 2k+1 / 2k packed (dsp_pack.h)
#pragma HLS ARRAY_PARTITION variable=wp complete dim=0
    lanes_t shadow[W_LOADERS][W_PART];  // the next slice: per loader a shift register, word W_PART-1 the newest
#pragma HLS ARRAY_PARTITION variable=shadow complete dim=0
    static conv_block_t walk;
    const int32_t n = conv_block_next(d, b, walk).n;
    const int32_t n0 = (n + 1) >> 1;  // pixels in xbuf_a; the rest in xbuf_b
    const int32_t L0 = n > W_PART ? n : W_PART;
    const int32_t L = L0 > MIN_PHASE ? L0 : MIN_PHASE;
    const int32_t S = d.slices;
    const bool sum_x = d.weights_offset != 0;
#ifdef PYFLOW_FLAVOR_TFLM
    const bool fc_double = false;
#else
    const bool fc_double = d.fc_double != 0;
#endif
    const trip_t trips = W_PART + d.tiles * S * L;  // the first slice's words, then the phases
    const bool one_phase = d.tiles * S == 1;
    idx_t p = 0, s = 0, t = 0, xa = 0, oa = 0;  // pixel (phase cycle), slice, tile, xbuf_a|b / obuf address
    idx_t fill = 0;                             // words of the first slice shifted in
    // the enables of the ~44k weight registers, as registers computed one iteration ahead (not a compare chain
    // on the counters in the same cycle): the shadow slice becomes the array's; a word of the next slice shifts in
    bool start = false, take = true, last_phase = one_phase;
CONV_MAC:
    for (trip_t i = 0; i < trips; ++i) {
// flushable pipeline: an empty weight FIFO or full obuf does not stall every stage of the array through one
// clock-enable net
#pragma HLS PIPELINE II=1 style=frp
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT/PO*XBUF_SLICES*MIN_PHASE
// a pixel's acc / xsum entry is read and written once per phase, so the same entry comes back L >= MIN_PHASE
// iterations later: a true dependence at that distance (HLS keeps the read after the write, or reports II > 1)
#pragma HLS DEPENDENCE variable=acc type=inter direction=RAW distance=MIN_PHASE dependent=true
#pragma HLS DEPENDENCE variable=xsum type=inter direction=RAW distance=MIN_PHASE dependent=true
        ENGINE_ITER(LOOP_CONV_MAC);
        const bool filling = fill < W_PART;
        // a phase starts: the slice in the shadow registers becomes the array's (part h: output channels
        // h * PO/4 .., byte po * PI + pi at word byte / BUS_BYTES, lane byte % BUS_BYTES: static positions)
        if (start) {
            for (int32_t h = 0; h < W_LOADERS; ++h) {
#pragma HLS UNROLL
                for (int32_t k = 0; k < PO / W_LOADERS / 2; ++k) {
#pragma HLS UNROLL
                    for (int32_t pi = 0; pi < PI; ++pi) {
#pragma HLS UNROLL
                        const int32_t lo = (2 * k) * PI + pi, hi = (2 * k + 1) * PI + pi;
                        wp[h * (PO / W_LOADERS / 2) + k][pi] =
                            pack_weights(shadow[h][hi / BUS_BYTES].b[hi % BUS_BYTES],
                                         shadow[h][lo / BUS_BYTES].b[lo % BUS_BYTES]);
                    }
                }
            }
        }
        // the next slice's words (none after the last phase), one per loader
        if (take) {
            lanes_t w[W_LOADERS];
#pragma HLS ARRAY_PARTITION variable=w complete
            w[0] = ws_0.read();
            w[1] = ws_1.read();
            w[2] = ws_2.read();
            w[3] = ws_3.read();
            for (int32_t h = 0; h < W_LOADERS; ++h) {
#pragma HLS UNROLL
                for (int32_t j = 0; j < W_PART - 1; ++j) {
#pragma HLS UNROLL
                    shadow[h][j] = shadow[h][j + 1];
                }
                shadow[h][W_PART - 1] = w[h];
            }
        }
        if (filling) {
            ++fill;
            start = fill == W_PART;  // phase 0 next
            take = !start || !one_phase;
            continue;
        }
        if (p < n) {
            const xslice_t x = p < n0 ? OC_RD(xbuf_a, xa) : OC_RD(xbuf_b, xa);
            int32_t sum[PO];
#pragma HLS ARRAY_PARTITION variable=sum complete
            accw_t prev;
            if (s == 0) {
                for (int32_t k = 0; k < TBL_BANKS; ++k) {
#pragma HLS UNROLL
                    const tbl32_t bk = OC_RDB(bias, k, t);
                    for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                        prev.v[k * BUS_BYTES + lane] = bk.v[lane];
                    }
                }
            } else {
                prev = OC_RD(acc, p);
            }
            for (int32_t k = 0; k < PO / 2; ++k) {  // PI x PO MACs in PI x PO / 2 DSP48E2s
#pragma HLS UNROLL
                int32_t hi, lo;
                dot_packed<PI>(wp[k], x.b, hi, lo);
                sum[2 * k] = prev.v[2 * k] + lo;
                sum[2 * k + 1] = prev.v[2 * k + 1] + hi;
            }
            // weights_offset * sum(x): the window's input sum, built during tile 0
            int32_t total_x = 0;
            if (sum_x) {
                int32_t xs = 0;
                for (int32_t pi = 0; pi < PI; ++pi) {
#pragma HLS UNROLL
                    xs += x.b[pi];
                }
                if (t == 0) {
                    total_x = (s == 0 ? 0 : OC_RD(xsum, p)) + xs;
                    OC_WR(xsum, p, total_x);
                } else if (s == S - 1) {
                    total_x = OC_RD(xsum, p);
                }
            }
            if (s < S - 1) {
                accw_t next;
                for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
                    next.v[po] = sum[po];
                }
                OC_WR(acc, p, next);
            } else {
                for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
                    sum[po] += sum_x ? d.weights_offset * total_x : 0;
                }
                if (fc_double) {  // one pixel: requantized after the loop, one channel per cycle
                    accw_t raw;
                    for (int32_t po = 0; po < PO; ++po) {
#pragma HLS UNROLL
                        raw.v[po] = sum[po];
                    }
                    OC_WR(fcacc, t, raw);
                } else {
                    OC_WR(obuf, oa, conv_requant(d, t, sum, mult, shift));
                }
            }
        }
        xa += S;
        oa += d.tiles;
        if (p + 1 == n0) xa = s;  // half 1's windows start over in xbuf_b
        if (++p == L) {
            p = 0;
            if (++s == S) {
                s = 0;
                ++t;
            }
            xa = s;
            oa = t;
            last_phase = t == d.tiles - 1 && s == S - 1;
            start = true;
            take = !last_phase;
        } else {
            start = false;
            take = p < W_PART && !last_phase;
        }
    }
#ifndef PYFLOW_FLAVOR_TFLM
    if (fc_double) {
        oword_t o;
        for (int32_t j = 0; j < PO; ++j) {
#pragma HLS UNROLL
            o.b[j] = 0;
        }
        int32_t ft = 0, lane = 0;
    CONV_FC_REQUANT:  // LiteRT FULLY_CONNECTED: (int) round(double(acc) * scale), one shared double unit
        for (int32_t c = 0; c < d.c_out_c; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_COUT
            ENGINE_ITER(LOOP_CONV_FC_REQUANT);
            const accw_t a = OC_RD(fcacc, ft);
            const int64_t r = requantize_double(a.v[lane], OC_RDB(scale, c % F64_BANKS, c / F64_BANKS));
            o.b[lane] = (int8_t)clamp_i32(r + d.out_offset, d.act_min, d.act_max);
            if (lane == PO - 1 || c == d.c_out_c - 1) {
                OC_WR(obuf, ft, o);
                for (int32_t j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                    o.b[j] = 0;
                }
                lane = 0;
                ++ft;
            } else {
                ++lane;
            }
        }
    }
#else
    (void)scale;
#endif
}

// ------------------------------------------------------------------------------------------------ emit
// The block's outputs, pixel by pixel (all channels), into the pipeline's next stage as pairs of bus words: n
// pixels x ceil(c_cw_out / 2) pairs, in the NHWC raster order of the conv output (blocks run in raster order).
// EMIT_WORDS = 2 (an output tile holds whole pairs: O_WORDS even): one pair per iteration, straight from one obuf
// word. EMIT_WORDS = 1 (O_WORDS odd): one word per iteration, a pair leaves every second word and at the end of a
// pixel.
static void conv_emit(const layer_desc_t d, int32_t b, const oword_t obuf[OBUF_WORDS], hls::stream<pair_t> &out) {
    static conv_block_t walk;
    const conv_block_t k = conv_block_next(d, b, walk);
    const int32_t per_pixel = EMIT_WORDS == 2 ? pairs_of(d.c_cw_out) : d.c_cw_out;  // iterations
    int32_t oa = 0, part = 0, w = 0, pix = 0;  // obuf word (pixel * tiles + tile), bus word in it, iteration in the
    pair_t pr;                                 // pixel; the pair under assembly (EMIT_WORDS = 1)
CONV_EMIT:
    for (int32_t i = 0; i < k.n * per_pixel; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=OBUF_WORDS*O_WORDS
        ENGINE_ITER(LOOP_CONV_EMIT);
        const oword_t o = OC_RD(obuf, oa);
        if (EMIT_WORDS == 2) {
            const int32_t at = O_WORDS == 2 ? 0 : part;  // O_WORDS = 2: one pair per obuf word, static lanes
            for (int32_t k = 0; k < 2; ++k) {  // part is even: both words in this obuf word
#pragma HLS UNROLL
                for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                    pr.w[k].b[lane] = o.b[(at + k) * BUS_BYTES + lane];
                }
            }
            out.write(pr);
            part += 2;
        } else {
            lanes_t v;
            for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
                v.b[lane] = o.b[part * BUS_BYTES + lane];
            }
            pair_put(pr, w % 2, v);
            if (w % 2 == 1 || w == d.c_cw_out - 1) out.write(pr);
            part += 1;
        }
        if (++w == per_pixel) {
            w = 0;
            part = 0;
            pix += d.tiles;
            oa = pix;
        } else if (part == O_WORDS) {
            part = 0;
            ++oa;
        }
    }
}

// ------------------------------------------------------------------------------------------------ layer
// The conv stage of the layer pipeline: every block through load / weights / MAC / emit.
static void conv_blocks(const layer_desc_t &d, int32_t n_blocks, const bus_t *fm_in, const bus_t *fm_in_b,
                        const bus_t *wt, const bus_t *wt_b, const bus_t *wt_c, const bus_t *wt_d,
                        const tbl32_t bias[TBL_BANKS][TBL_DEPTH], const tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                        const tbl8_t shift[TBL_BANKS][TBL_DEPTH], const double scale[F64_BANKS][MAX_COUT / F64_BANKS],
                        hls::stream<pair_t> &out) {
CONV_BLOCK:
    for (int32_t b = 0; b < n_blocks; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=4096
#pragma HLS DATAFLOW
        xslice_t xbuf_a[XBUF_HALF], xbuf_b[XBUF_HALF];  // ping-pongs (PIPO) between conv_load_x<H> and conv_mac
#pragma HLS AGGREGATE variable=xbuf_a
#pragma HLS AGGREGATE variable=xbuf_b
#pragma HLS BIND_STORAGE variable=xbuf_a type=ram_s2p impl=BIG_RAM
#pragma HLS BIND_STORAGE variable=xbuf_b type=ram_s2p impl=BIG_RAM
        oword_t obuf[OBUF_WORDS];  // ping-pong (PIPO) between conv_mac and conv_emit
#pragma HLS AGGREGATE variable=obuf
#pragma HLS BIND_STORAGE variable=obuf type=ram_s2p impl=BIG_RAM
        hls::stream<lanes_t> ws_0, ws_1, ws_2, ws_3;  // weight words: the loaders run W_DEPTH slices ahead
#pragma HLS STREAM variable=ws_0 depth=W_FIFO
#pragma HLS STREAM variable=ws_1 depth=W_FIFO
#pragma HLS STREAM variable=ws_2 depth=W_FIFO
#pragma HLS STREAM variable=ws_3 depth=W_FIFO
// one bus word wide, W_DEPTH x W_PART deep: shift-register FIFOs (one SRL32 per bit and 32 entries)
#pragma HLS BIND_STORAGE variable=ws_0 type=fifo impl=srl
#pragma HLS BIND_STORAGE variable=ws_1 type=fifo impl=srl
#pragma HLS BIND_STORAGE variable=ws_2 type=fifo impl=srl
#pragma HLS BIND_STORAGE variable=ws_3 type=fifo impl=srl
        conv_load_x<0>(d, b, fm_in, xbuf_a);
        conv_load_x<1>(d, b, fm_in_b, xbuf_b);
        conv_load_w<0>(d, wt, ws_0);
        conv_load_w<1>(d, wt_b, ws_1);
        conv_load_w<2>(d, wt_c, ws_2);
        conv_load_w<3>(d, wt_d, ws_3);
        conv_mac(d, b, xbuf_a, xbuf_b, ws_0, ws_1, ws_2, ws_3, bias, mult, shift, scale, obuf);
        conv_emit(d, b, obuf, out);
    }
}

#endif
