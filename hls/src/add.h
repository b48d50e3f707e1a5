// The writer's two-input arithmetic of one lane, as the layer pipeline applies it to the stream from the stages
// (input 1, a) and the tensor at in2_addr (input 2, b):
//   ADD (TFLite reference_integer_ops::Add): both inputs rescaled at left_shift extra bits, summed, requantized;
//   MUL (elt_mul, reference_integer_ops::MulElementwise): (a + offset 1) x (b + offset 2), requantized.
// One unit serves both: the final requantization is shared (the MUL's product shifted left first when its shift
// is positive), the MUL's product is 9 x 9 bits in LUTs. pipe_write has the one call site.
#ifndef PYFLOW_ADD_H
#define PYFLOW_ADD_H

#include "engine_types.h"
#include "requant.h"

typedef ap_int<9> eltin_t;  // int8 + a pre-negated zero point: [-255, 255]

static inline int8_t eltwise_lane(const layer_desc_t &d, int8_t a, int8_t b) {
#pragma HLS INLINE
    const int32_t x1 = ((int32_t)a + d.add_in1_offset) * (1 << d.left_shift);
    const int32_t x2 = ((int32_t)b + d.add_in2_offset) * (1 << d.left_shift);
    const int32_t s1 = multiply_by_quantized_multiplier_smaller_than_one(x1, d.in1_mult, d.in1_shift);
    const int32_t s2 = multiply_by_quantized_multiplier_smaller_than_one(x2, d.in2_mult, d.in2_shift);
    const eltin_t m1 = (eltin_t)((int32_t)a + d.add_in1_offset), m2 = (eltin_t)((int32_t)b + d.add_in2_offset);
    const ap_int<18> product = m1 * m2;
#pragma HLS BIND_OP variable=product op=mul impl=fabric latency=1
    // MultiplyByQuantizedMultiplier(x, m, shift) = SmallerThanOne(x << max(shift, 0), m, min(shift, 0)): only the
    // MUL's product is ever shifted left (the ADD's output shift is <= 0), so the shared requantization right-shifts
    const ap_uint<5> left = d.add_out_shift > 0 ? d.add_out_shift : 0;
    const int32_t pre = d.elt_mul ? (int32_t)product << left : s1 + s2;
    const int32_t r = multiply_by_quantized_multiplier_smaller_than_one(pre, d.add_out_mult,
                                                                        d.add_out_shift > 0 ? 0 : d.add_out_shift);
    return (int8_t)clamp_i32((int64_t)r + d.add_out_offset, d.add_act_min, d.add_act_max);
}

#endif
