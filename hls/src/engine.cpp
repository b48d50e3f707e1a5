// Top level of the layer engine: interface pragmas and dispatch to the stage functions.
//   fm_in / fm_in2 / fm_out : activation arena in DDR (NHWC, channels padded to bus words)
//   wt                      : parameter image in DDR (weights, folded biases, requant tables)
//   desc                    : layer descriptor (s_axilite), return on s_axilite
// One instance of every unit: conv_layer (the PI x PO MAC array, CONV_2D and FULLY_CONNECTED) and every other
// stage function has exactly one call site. The per-channel tables are shared by the conv and depthwise units.
#include "engine.h"
#include "engine_depth.h"  // m_axi depths of this model's run (g++ ignores the pragmas that use them)

#include "add.h"
#include "conv.h"
#include "depthwise_conv.h"
#include "mem.h"
#include "pool.h"

static void conv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                       tbl32_t bias[TBL_BANKS][TBL_DEPTH], tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                       tbl8_t shift[TBL_BANKS][TBL_DEPTH], double scale[F64_BANKS][MAX_COUT / F64_BANKS]) {
    conv_blocks(d, d.n_blocks, fm_in, fm_out, wt, bias, mult, shift, scale);
}

static void dwconv_layer(const layer_desc_t &d, const bus_t *fm_in, bus_t *fm_out, const bus_t *wt,
                         tbl32_t bias[TBL_BANKS][TBL_DEPTH], tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                         tbl8_t shift[TBL_BANKS][TBL_DEPTH]) {
    static dwblk_t wdw[DW_WT_ENTRIES];
#pragma HLS AGGREGATE variable=wdw
#pragma HLS BIND_STORAGE variable=wdw type=ram_s2p impl=bram
    dw_load_weights(wt, d, wdw);
    dw_stream(d, fm_in, fm_out, wdw, bias, mult, shift);
}

void engine_top(layer_desc_t desc, const bus_t *fm_in, const bus_t *fm_in2, bus_t *fm_out, const bus_t *wt) {
#pragma HLS INTERFACE m_axi port=fm_in offset=slave bundle=gmem_fm_rd depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=fm_in2 offset=slave bundle=gmem_fm_rd2 depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=fm_out offset=slave bundle=gmem_fm_wr depth=FM_DEPTH_WORDS max_write_burst_length=64 num_write_outstanding=16
#pragma HLS INTERFACE m_axi port=wt offset=slave bundle=gmem_wt depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
// the three feature-map ports address one activation arena in DDR (the host passes the same buffer)
#pragma HLS ALIAS ports=fm_in,fm_in2,fm_out distance=0
#pragma HLS INTERFACE s_axilite port=desc bundle=control
#pragma HLS INTERFACE s_axilite port=return bundle=control

    // Per-output-channel tables of the current layer: entry e (BUS_BYTES channels) in bank e % TBL_BANKS.
    static tbl32_t bias[TBL_BANKS][TBL_DEPTH];
    static tbl32_t mult[TBL_BANKS][TBL_DEPTH];
    static tbl8_t shift[TBL_BANKS][TBL_DEPTH];
    static double scale[F64_BANKS][MAX_COUT / F64_BANKS];  // LiteRT FULLY_CONNECTED only
#pragma HLS ARRAY_PARTITION variable=bias dim=1 complete
#pragma HLS ARRAY_PARTITION variable=mult dim=1 complete
#pragma HLS ARRAY_PARTITION variable=shift dim=1 complete
#pragma HLS ARRAY_PARTITION variable=scale dim=1 complete
#pragma HLS AGGREGATE variable=bias
#pragma HLS AGGREGATE variable=mult
#pragma HLS AGGREGATE variable=shift
#pragma HLS BIND_STORAGE variable=bias type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=mult type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=shift type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=scale type=ram_s2p impl=bram

    if (desc.op == OP_CONV || desc.op == OP_FC || desc.op == OP_DWCONV)
        load_tables(wt, desc, bias, mult, shift, scale);
    switch (desc.op) {
    case OP_CONV:
    case OP_FC:
        conv_layer(desc, fm_in, fm_out, wt, bias, mult, shift, scale);
        break;
    case OP_DWCONV:
        dwconv_layer(desc, fm_in, fm_out, wt, bias, mult, shift);
        break;
    case OP_ADD:
        add_layer(desc, fm_in, fm_in2, fm_out);
        break;
    case OP_AVG_POOL:
    case OP_MAX_POOL:
    case OP_MEAN:
        pool_layer(desc, fm_in, fm_out);
        break;
    default:
        break;
    }
}
