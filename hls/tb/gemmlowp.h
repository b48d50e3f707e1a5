// gemmlowp's fixed-point functions on int32 values, as TFLite's SOFTMAX and TFLM's LOGISTIC call them: the C++
// twin of pyflow/reference/gemmlowp.py (same names, same arithmetic). Testbench-only (host ops).
#ifndef PYFLOW_TB_GEMMLOWP_H
#define PYFLOW_TB_GEMMLOWP_H

#include <stdint.h>

#include "requant.h"

static inline int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

static inline int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
    if (exponent == 0) return x;
    if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
    const int64_t threshold = ((int64_t)1 << (31 - exponent)) - 1;
    if (x > threshold) return REQ_INT32_MAX;
    if (x < -threshold) return REQ_INT32_MIN;
    return (int32_t)((int64_t)x << exponent);
}

static inline int32_t rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

static inline int32_t rounding_half_sum(int32_t a, int32_t b) {
    int64_t total = (int64_t)a + b;
    total += total >= 0 ? 1 : -1;
    return (int32_t)(total >= 0 ? total >> 1 : -((-total) >> 1));
}

static inline int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668, one_third = 715827883;
    const int32_t x = wrap32((int64_t)a + (1 << 28));
    const int32_t x2 = saturating_rounding_doubling_high_mul(x, x);
    const int32_t x3 = saturating_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = saturating_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
    const int32_t poly = saturating_rounding_multiply_by_pot(
        wrap32((int64_t)saturating_rounding_doubling_high_mul(wrap32((int64_t)x4_over_4 + x3), one_third) + x2), -1);
    return wrap32((int64_t)exp_minus_one_eighth +
                  saturating_rounding_doubling_high_mul(exp_minus_one_eighth, wrap32((int64_t)x + poly)));
}

static inline int32_t exp_on_negative_values(int32_t a, int integer_bits) {
    static const int32_t barrel[7][2] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                                         {2, 39332535},    {3, 720401},      {4, 242}};
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = wrap32((int64_t)(a & (one_quarter - 1)) - one_quarter);
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
    const int32_t remainder = wrap32((int64_t)a_mod_quarter_minus_one_quarter - a);
    for (int k = 0; k < 7; ++k) {
        const int exponent = barrel[k][0];
        if (integer_bits > exponent && ((remainder >> (fractional_bits + exponent)) & 1))
            result = saturating_rounding_doubling_high_mul(result, barrel[k][1]);
    }
    if (integer_bits > 5 && a < -((int64_t)1 << (36 - integer_bits))) result = 0;
    return a == 0 ? REQ_INT32_MAX : result;
}

static inline int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    const int32_t half_denominator = rounding_half_sum(a, REQ_INT32_MAX);
    int32_t x = wrap32(1515870810LL + saturating_rounding_doubling_high_mul(half_denominator, -1010580540));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = saturating_rounding_doubling_high_mul(half_denominator, x);
        const int32_t one_minus = wrap32((int64_t)(1 << 29) - half_denominator_times_x);
        x = wrap32((int64_t)x + rescale(saturating_rounding_doubling_high_mul(x, one_minus), 4, 2));
    }
    return rescale(x, 1, 0);
}

#endif
