// ADD, int8 (TFLite reference_integer_ops::Add), same shapes, any size: both inputs and the output stream word by
// word (three m_axi ports, one burst each), BUS_BYTES lanes per cycle.
#ifndef PYFLOW_ADD_H
#define PYFLOW_ADD_H

#include "engine_types.h"
#include "requant.h"

static void add_layer(const layer_desc_t &d, const bus_t *fm_in, const bus_t *fm_in2, bus_t *fm_out) {
    const int32_t cw = d.cw_out;
    const int32_t n_words = d.out_h * d.out_w * cw;
    int32_t cword = 0;  // channel word of the current pixel
ADD:
    for (int32_t i = 0; i < n_words; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        ENGINE_ITER(LOOP_ADD);
        int8_t a[BUS_BYTES], b[BUS_BYTES], out[BUS_BYTES];
        unpack_word(fm_in[d.in_addr + i], a);
        unpack_word(fm_in2[d.in2_addr + i], b);
        for (int32_t lane = 0; lane < BUS_BYTES; ++lane) {
#pragma HLS UNROLL
            int8_t v = 0;
            if (cword * BUS_BYTES + lane < d.out_c) {
                const int32_t x1 = ((int32_t)a[lane] + d.in_offset) * (1 << d.left_shift);
                const int32_t x2 = ((int32_t)b[lane] + d.in2_offset) * (1 << d.left_shift);
                const int32_t s1 = multiply_by_quantized_multiplier_smaller_than_one(x1, d.in1_mult, d.in1_shift);
                const int32_t s2 = multiply_by_quantized_multiplier_smaller_than_one(x2, d.in2_mult, d.in2_shift);
                const int32_t r = multiply_by_quantized_multiplier_smaller_than_one(s1 + s2, d.out_mult, d.out_shift);
                v = (int8_t)clamp_i32((int64_t)r + d.out_offset, d.act_min, d.act_max);
            }
            out[lane] = v;
        }
        fm_out[d.out_addr + i] = pack_word(out);
        cword = (cword + 1 == cw) ? 0 : cword + 1;
    }
#ifdef PYFLOW_FAULT_WRITE_PAST_END  // test build only: one word past the output tensor
    fm_out[d.out_addr + n_words] = splat_word((int8_t)0x5a);
#endif
}

#endif
