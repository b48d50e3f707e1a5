// Top level of the layer engine: interface pragmas and dispatch to the stage functions.
//   fm_in / fm_in2 / fm_out : activation arena in DDR (NHWC, channels padded to bus words)
//   wt                      : parameter image in DDR (weights, folded biases, requant tables)
//   desc                    : layer descriptor (s_axilite), return on s_axilite
#include "engine.h"

#include "add.h"
#include "conv.h"
#include "depthwise_conv.h"
#include "mem.h"
#include "pool.h"

#ifndef __SYNTHESIS__
uint64_t g_engine_counters[CNT_COUNT];
#endif

void engine_top(layer_desc_t desc, const bus_t *fm_in, const bus_t *fm_in2, bus_t *fm_out, const bus_t *wt) {
#pragma HLS INTERFACE m_axi port=fm_in offset=slave bundle=gmem_fm_rd depth=FM_DEPTH_WORDS max_read_burst_length=64
#pragma HLS INTERFACE m_axi port=fm_in2 offset=slave bundle=gmem_fm_rd2 depth=FM_DEPTH_WORDS max_read_burst_length=64
#pragma HLS INTERFACE m_axi port=fm_out offset=slave bundle=gmem_fm_wr depth=FM_DEPTH_WORDS max_write_burst_length=64
#pragma HLS INTERFACE m_axi port=wt offset=slave bundle=gmem_wt depth=WT_DEPTH_WORDS max_read_burst_length=64
#pragma HLS INTERFACE s_axilite port=desc bundle=control
#pragma HLS INTERFACE s_axilite port=return bundle=control

    // Per-output-channel tables of the current layer (folded bias, requant multiplier/shift, FC double scale).
    static int32_t bias[MAX_COUT];
    static int32_t mult[MAX_COUT];
    static int32_t shift[MAX_COUT];
    static double scale[MAX_COUT];
#pragma HLS ARRAY_PARTITION variable=bias cyclic factor=TABLE_PARTITION
#pragma HLS ARRAY_PARTITION variable=mult cyclic factor=TABLE_PARTITION
#pragma HLS ARRAY_PARTITION variable=shift cyclic factor=TABLE_PARTITION
#pragma HLS ARRAY_PARTITION variable=scale cyclic factor=TABLE_PARTITION

    const bool has_tables = desc.op == OP_CONV || desc.op == OP_DWCONV || desc.op == OP_FC;
    if (has_tables) {
        load_i32_table(wt, desc.bias_addr, desc.out_c, bias);
        load_i32_table(wt, desc.mult_addr, desc.out_c, mult);
        load_i32_table(wt, desc.shift_addr, desc.out_c, shift);
#ifndef PYFLOW_FLAVOR_TFLM
        if (desc.op == OP_FC) load_f64_table(wt, desc.scale_addr, desc.out_c, scale);
#endif
    }

    switch (desc.op) {
    case OP_CONV:
        conv_layer(desc, fm_in, fm_out, wt, bias, mult, shift, scale, false);
        break;
    case OP_FC:
        conv_layer(desc, fm_in, fm_out, wt, bias, mult, shift, scale, true);
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
