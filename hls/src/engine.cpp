// Top level of the layer engine: interface pragmas, the per-channel tables and weights of the step, dispatch.
//   fm_in / fm_in_b / fm_in2 / fm_out : activation arena in DDR (NHWC, channels padded to bus words)
//   wt / wt_b                         : parameter image in DDR (weights, folded biases, requant tables)
//   desc                              : the step's descriptor (s_axilite), return on s_axilite
// Six m_axi bundles, five PS-side ports on a Zynq UltraScale+ (one 128-bit HP port carries ~4 GB/s at 250 MHz):
//   gmem_wt      -> S_AXI_HP0_FPD   conv weights, first half of every slice; tables, depthwise weights
//   gmem_wt_b    -> S_AXI_HP1_FPD   conv weights, second half of every slice
//   gmem_fm_rd   -> S_AXI_HP2_FPD   conv input, first half of every block; pipeline reader; pooling
//   gmem_fm_wr   -> S_AXI_HP2_FPD   the writer (AXI reads and writes use separate channels: no contention)
//   gmem_fm_rd_b -> S_AXI_HP3_FPD   conv input, second half of every block
//   gmem_fm_rd2  -> S_AXI_HPC0_FPD  the ADD's second input in the writer
// One instance of every unit: the layer pipeline (pipeline.h: the PI x PO MAC array, the depthwise unit, the ADD
// in the writer) and the pooling unit each have one call site.
#include "engine.h"
#include "engine_depth.h"  // m_axi depths of this model's run (g++ ignores the pragmas that use them)

#include "mem.h"
#include "pipeline.h"
#include "pool.h"

void engine_top(layer_desc_t desc, const bus_t *fm_in, const bus_t *fm_in_b, const bus_t *fm_in2, bus_t *fm_out,
                const bus_t *wt, const bus_t *wt_b) {
#pragma HLS INTERFACE m_axi port=fm_in offset=slave bundle=gmem_fm_rd depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=fm_in_b offset=slave bundle=gmem_fm_rd_b depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=fm_in2 offset=slave bundle=gmem_fm_rd2 depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=fm_out offset=slave bundle=gmem_fm_wr depth=FM_DEPTH_WORDS max_write_burst_length=64 num_write_outstanding=16
#pragma HLS INTERFACE m_axi port=wt offset=slave bundle=gmem_wt depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=wt_b offset=slave bundle=gmem_wt_b depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=16
// the four feature-map ports address one activation arena in DDR, the two weight ports one parameter image (the
// host passes the same buffer to each group)
#pragma HLS ALIAS ports=fm_in,fm_in_b,fm_in2,fm_out distance=0
#pragma HLS ALIAS ports=wt,wt_b distance=0
#pragma HLS INTERFACE s_axilite port=desc bundle=control
#pragma HLS INTERFACE s_axilite port=return bundle=control

    // Per-output-channel tables of the conv and the depthwise stage: entry e (BUS_BYTES channels) in bank
    // e % TBL_BANKS. LUTRAM; the FC double scales in BRAM.
    static tbl32_t bias[TBL_BANKS][TBL_DEPTH], dw_bias[TBL_BANKS][TBL_DEPTH];
    static tbl32_t mult[TBL_BANKS][TBL_DEPTH], dw_mult[TBL_BANKS][TBL_DEPTH];
    static tbl8_t shift[TBL_BANKS][TBL_DEPTH], dw_shift[TBL_BANKS][TBL_DEPTH];
    static double scale[F64_BANKS][MAX_COUT / F64_BANKS];  // LiteRT FULLY_CONNECTED only
#pragma HLS ARRAY_PARTITION variable=bias dim=1 complete
#pragma HLS ARRAY_PARTITION variable=mult dim=1 complete
#pragma HLS ARRAY_PARTITION variable=shift dim=1 complete
#pragma HLS ARRAY_PARTITION variable=dw_bias dim=1 complete
#pragma HLS ARRAY_PARTITION variable=dw_mult dim=1 complete
#pragma HLS ARRAY_PARTITION variable=dw_shift dim=1 complete
#pragma HLS ARRAY_PARTITION variable=scale dim=1 complete
#pragma HLS AGGREGATE variable=bias
#pragma HLS AGGREGATE variable=mult
#pragma HLS AGGREGATE variable=shift
#pragma HLS AGGREGATE variable=dw_bias
#pragma HLS AGGREGATE variable=dw_mult
#pragma HLS AGGREGATE variable=dw_shift
#pragma HLS BIND_STORAGE variable=bias type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=mult type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=shift type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=dw_bias type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=dw_mult type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=dw_shift type=ram_s2p impl=lutram
#pragma HLS BIND_STORAGE variable=scale type=ram_s2p impl=bram
    // All depthwise weights of the step: one DW_TB x DW_TB tap block of BUS_BYTES channels per word.
    static dwblk_t wdw[DW_WT_ENTRIES];
#pragma HLS AGGREGATE variable=wdw
#pragma HLS BIND_STORAGE variable=wdw type=ram_s2p impl=bram

    const bool pooling = desc.op == OP_AVG_POOL || desc.op == OP_MAX_POOL || desc.op == OP_MEAN;
    if (pooling) {
        pool_layer(desc, fm_in, fm_out);
        return;
    }
    if (desc.conv_on) {
        load_tables(wt, desc.bias_addr, desc.mult_addr, desc.shift_addr, desc.c_out_c, bias, mult, shift);
#ifndef PYFLOW_FLAVOR_TFLM
        if (desc.fc_double) load_f64_table(wt, desc.scale_addr, desc.c_out_c, scale);
#endif
    }
    if (desc.dw_on) {
        load_tables(wt, desc.dw_bias_addr, desc.dw_mult_addr, desc.dw_shift_addr, desc.dw_out_c, dw_bias, dw_mult,
                    dw_shift);
        dw_load_weights(wt, desc, wdw);
    }
    layer_pipeline(desc, fm_in, fm_in_b, fm_in2, fm_out, wt, wt_b, bias, mult, shift, scale, wdw, dw_bias, dw_mult, dw_shift);
}
