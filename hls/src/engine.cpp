// Top level of the layer engine: interface pragmas, the per-channel tables and weights of the step, dispatch.
//   fm_in / fm_in_b / fm_in2 / fm_out : activation arena in DDR (NHWC, channels padded to bus words)
//   wt / wt_b / wt_c / wt_d           : parameter image in DDR (weights, folded biases, requant tables)
//   desc                              : the step's descriptor (s_axilite), return on s_axilite
// Eight m_axi bundles on the six PS-side HP ports of a Zynq UltraScale+ (one 128-bit port carries ~4 GB/s at
// 250 MHz in each direction):
//   gmem_wt      -> S_AXI_HP0_FPD   conv weights, part 0 of every slice; the per-channel tables
//   gmem_wt_b    -> S_AXI_HP1_FPD   conv weights, part 1 of every slice; depthwise weights (side by side)
//   gmem_wt_c    -> S_AXI_HPC1_FPD  conv weights, part 2 of every slice
//   gmem_wt_d    -> S_AXI_HPC0_FPD  conv weights, part 3 of every slice (shares the port with gmem_fm_rd2 through
//                                   an AXI SmartConnect: the ADD input moves at most one word per cycle, only in
//                                   ADD steps; the estimate charges both to the port)
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

// The step's parameters before its pipeline, on both weight ports side by side: the per-channel tables (conv,
// then depthwise: one burst per set) on gmem_wt, the depthwise weights (one burst) on gmem_wt_b.
static void load_step_tables(const layer_desc_t d, const bus_t *wt, tbl32_t bias[TBL_BANKS][TBL_DEPTH],
                             tbl32_t mult[TBL_BANKS][TBL_DEPTH], tbl8_t shift[TBL_BANKS][TBL_DEPTH],
                             double scale[F64_BANKS][MAX_COUT / F64_BANKS], tbl32_t dw_bias[TBL_BANKS][TBL_DEPTH],
                             tbl32_t dw_mult[TBL_BANKS][TBL_DEPTH], tbl8_t dw_shift[TBL_BANKS][TBL_DEPTH]) {
    if (d.conv_on) {
        load_tables(wt, d.tbl_addr, d.c_out_c, bias, mult, shift);
#ifndef PYFLOW_FLAVOR_TFLM
        if (d.fc_double) load_f64_table(wt, d.scale_addr, d.c_out_c, scale);
#else
        (void)scale;
#endif
    }
    if (d.dw_on) load_tables(wt, d.dw_tbl_addr, d.dw_out_c, dw_bias, dw_mult, dw_shift);
}

static void load_step_dw_weights(const layer_desc_t d, const bus_t *wt_b, dwblk_t wdw[DW_WT_ENTRIES]) {
    if (d.dw_on) dw_load_weights(wt_b, d, wdw);
}

static void load_params(const layer_desc_t &d, const bus_t *wt, const bus_t *wt_b,
                        tbl32_t bias[TBL_BANKS][TBL_DEPTH], tbl32_t mult[TBL_BANKS][TBL_DEPTH],
                        tbl8_t shift[TBL_BANKS][TBL_DEPTH], double scale[F64_BANKS][MAX_COUT / F64_BANKS],
                        tbl32_t dw_bias[TBL_BANKS][TBL_DEPTH], tbl32_t dw_mult[TBL_BANKS][TBL_DEPTH],
                        tbl8_t dw_shift[TBL_BANKS][TBL_DEPTH], dwblk_t wdw[DW_WT_ENTRIES]) {
#pragma HLS DATAFLOW
    load_step_tables(d, wt, bias, mult, shift, scale, dw_bias, dw_mult, dw_shift);
    load_step_dw_weights(d, wt_b, wdw);
}

void engine_top(layer_desc_t desc, const bus_t *fm_in, const bus_t *fm_in_b, const bus_t *fm_in2, bus_t *fm_out,
                const bus_t *wt, const bus_t *wt_b, const bus_t *wt_c, const bus_t *wt_d) {
#pragma HLS INTERFACE m_axi port=fm_in offset=slave bundle=gmem_fm_rd depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=fm_in_b offset=slave bundle=gmem_fm_rd_b depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=fm_in2 offset=slave bundle=gmem_fm_rd2 depth=FM_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=fm_out offset=slave bundle=gmem_fm_wr depth=FM_DEPTH_WORDS max_write_burst_length=64 num_write_outstanding=8
#pragma HLS INTERFACE m_axi port=wt offset=slave bundle=gmem_wt depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=wt_b offset=slave bundle=gmem_wt_b depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=wt_c offset=slave bundle=gmem_wt_c depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
#pragma HLS INTERFACE m_axi port=wt_d offset=slave bundle=gmem_wt_d depth=WT_DEPTH_WORDS max_read_burst_length=64 num_read_outstanding=8
// the four feature-map ports address one activation arena in DDR, the four weight ports one parameter image (the
// host passes the same buffer to each group)
#pragma HLS ALIAS ports=fm_in,fm_in_b,fm_in2,fm_out distance=0
#pragma HLS ALIAS ports=wt,wt_b,wt_c,wt_d distance=0
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
#pragma HLS BIND_STORAGE variable=wdw type=ram_s2p impl=DW_WT_RAM

    const bool pooling = desc.op == OP_AVG_POOL || desc.op == OP_MAX_POOL || desc.op == OP_MEAN;
    if (pooling) {
        pool_layer(desc, fm_in, fm_out);
        return;
    }
    load_params(desc, wt, wt_b, bias, mult, shift, scale, dw_bias, dw_mult, dw_shift, wdw);
    layer_pipeline(desc, fm_in, fm_in_b, fm_in2, fm_out, wt, wt_b, wt_c, wt_d, bias, mult, shift, scale, wdw, dw_bias, dw_mult, dw_shift);
}
