// Fixed-point requantization: THE C++ twin of pyflow/quant.py (same names, same arithmetic).
// Flavor (compile time): default LiteRT (FULLY_CONNECTED requantizes in double), -DPYFLOW_FLAVOR_TFLM
// (FULLY_CONNECTED uses MultiplyByQuantizedMultiplier like every conv).
#ifndef PYFLOW_REQUANT_H
#define PYFLOW_REQUANT_H

#include <stdint.h>

static const int32_t REQ_INT32_MIN = (int32_t)0x80000000;
static const int32_t REQ_INT32_MAX = 0x7fffffff;

// gemmlowp SaturatingRoundingDoublingHighMul.
static inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
#pragma HLS INLINE
    const bool overflow = (a == b) && (a == REQ_INT32_MIN);
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (int64_t)(1 << 30) : (int64_t)(1 - (1 << 30));
    const int64_t total = ab + nudge;
    const int32_t high = (int32_t)(total >= 0 ? (total >> 31) : -((-total) >> 31));  // C division truncates
    return overflow ? REQ_INT32_MAX : high;
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent, ties away from zero (exponent >= 0).
static inline int32_t rounding_divide_by_pot(int32_t x, int32_t exponent) {
#pragma HLS INLINE
    const int64_t mask = ((int64_t)1 << exponent) - 1;
    const int64_t remainder = (int64_t)x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold ? 1 : 0));
}

// TFLite MultiplyByQuantizedMultiplier (double rounding; TFLITE_SINGLE_ROUNDING under PYFLOW_SINGLE_ROUNDING).
static inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
#pragma HLS INLINE
#ifdef PYFLOW_SINGLE_ROUNDING
    const int32_t total_shift = 31 - shift;
    return (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << (total_shift - 1))) >> total_shift);
#else
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul((int32_t)((int64_t)x << left), multiplier),
                                  right);
#endif
}

// TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0): used by ADD.
static inline int32_t multiply_by_quantized_multiplier_smaller_than_one(int32_t x, int32_t multiplier,
                                                                        int32_t shift) {
#pragma HLS INLINE
#ifdef PYFLOW_SINGLE_ROUNDING
    return multiply_by_quantized_multiplier(x, multiplier, shift);
#else
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -shift);
#endif
}

// C round(): ties away from zero, exact for any double.
static inline int64_t round_half_away(double x) {
#pragma HLS INLINE
    const int64_t whole = (int64_t)x;  // truncation toward zero
    const double frac = x - (double)whole;
    if (frac >= 0.5) return whole + 1;
    if (frac <= -0.5) return whole - 1;
    return whole;
}

// LiteRT reference FULLY_CONNECTED: (int) round(double(acc) * effective_scale).
static inline int64_t requantize_double(int32_t acc, double effective_scale) {
#pragma HLS INLINE
    return round_half_away((double)acc * effective_scale);
}

// FULLY_CONNECTED requantization for the compiled flavor.
static inline int64_t requantize_fc(int32_t acc, int32_t multiplier, int32_t shift, double effective_scale) {
#pragma HLS INLINE
#ifdef PYFLOW_FLAVOR_TFLM
    (void)effective_scale;
    return multiply_by_quantized_multiplier(acc, multiplier, shift);
#else
    (void)multiplier;
    (void)shift;
    return requantize_double(acc, effective_scale);
#endif
}

static inline int32_t clamp_i32(int64_t v, int32_t lo, int32_t hi) {
#pragma HLS INLINE
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

#endif
