// int8 ADD (TFLite reference_integer_ops::Add): the arithmetic of one lane, as the layer pipeline's writer applies it
// to the stream from the stages (input 1) and the tensor at in2_addr (input 2).
#ifndef PYFLOW_ADD_H
#define PYFLOW_ADD_H

#include "engine_types.h"
#include "requant.h"

static inline int8_t add_lane(const layer_desc_t &d, int8_t a, int8_t b) {
#pragma HLS INLINE
    const int32_t x1 = ((int32_t)a + d.add_in1_offset) * (1 << d.left_shift);
    const int32_t x2 = ((int32_t)b + d.add_in2_offset) * (1 << d.left_shift);
    const int32_t s1 = multiply_by_quantized_multiplier_smaller_than_one(x1, d.in1_mult, d.in1_shift);
    const int32_t s2 = multiply_by_quantized_multiplier_smaller_than_one(x2, d.in2_mult, d.in2_shift);
    const int32_t r = multiply_by_quantized_multiplier_smaller_than_one(s1 + s2, d.add_out_mult, d.add_out_shift);
    return (int8_t)clamp_i32((int64_t)r + d.add_out_offset, d.add_act_min, d.add_act_max);
}

#endif
