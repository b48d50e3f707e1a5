// Two int8 x int8 products in one DSP48E2 (27 x 18 signed multiplier), for two output channels that share their
// input x (the conv MAC array: every input lane feeds all PO output channels):
//
//   (w_hi * 2^18 + w_lo) * x  =  (w_hi * x) * 2^18  +  w_lo * x
//
// A = w_hi * 2^18 + w_lo fits 27 bits (|w_hi| <= 128), B = x fits 18. A sum over PACK_GROUP such products (the
// DSP cascade of one group) stays exact in both fields: |sum of w_lo * x| <= PACK_GROUP * 2^14 = 2^16 < 2^17, so the
// low 18 bits read as a signed number are the w_lo sum, and (sum - low) / 2^18 is the w_hi sum (the "sign
// correction": a negative low field borrows one from the high field). With 8 products the low sum could reach
// 8 * (-128 * -128) = 2^17, one past the signed 18-bit range: PACK_GROUP is 4. The group sums are added in the
// fabric, per field.
//
// Types: in synthesis (or with -DPYFLOW_PACK_AP) the operands are ap_int<27> / ap_int<8> and the group sum
// ap_int<48>, so that each product maps to one DSP48E2. In plain csim builds they are int32_t / int64_t: the values
// are the same integers (no type overflows in either), and C integers are ~30x faster than ap_int in simulation.
// tests/test_dsp_pack.py checks both against every int8 product and against extreme tiles.
#ifndef PYFLOW_DSP_PACK_H
#define PYFLOW_DSP_PACK_H

#include <stdint.h>
#include "ap_int.h"

#define PACK_SHIFT 18
#ifndef PACK_GROUP  // (a test build sets 8 to show the overflow)
#define PACK_GROUP 4
#endif

#if defined(__SYNTHESIS__) || defined(PYFLOW_PACK_AP)
typedef ap_int<27> wpack_t;
typedef ap_int<48> psum_t;
static inline psum_t mul_packed(const wpack_t &a, int8_t x) {
#pragma HLS INLINE
    return (psum_t)(a * ap_int<8>(x));  // 27 x 8 bits: one DSP48E2 (B port sign-extended)
}
static inline void split_packed(const psum_t &s, int32_t &hi, int32_t &lo) {
#pragma HLS INLINE
    const ap_int<PACK_SHIFT> low = s(PACK_SHIFT - 1, 0);
    lo = low;
    hi = (int32_t)((s - low) >> PACK_SHIFT);
}
#else
typedef int32_t wpack_t;
typedef int64_t psum_t;
static inline psum_t mul_packed(wpack_t a, int8_t x) { return (psum_t)a * x; }
static inline void split_packed(psum_t s, int32_t &hi, int32_t &lo) {
    lo = (int32_t)((int64_t)((uint64_t)s << (64 - PACK_SHIFT)) >> (64 - PACK_SHIFT));  // low field, signed
    hi = (int32_t)((s - lo) >> PACK_SHIFT);
}
#endif

static inline wpack_t pack_weights(int8_t w_hi, int8_t w_lo) {
#pragma HLS INLINE
    return (wpack_t)((wpack_t)w_hi * (1 << PACK_SHIFT) + (wpack_t)w_lo);
}

// dot products of one input slice x[0..n) with two weight rows packed as a[0..n): hi = sum w_hi * x, lo = sum w_lo * x
template <int N>
static inline void dot_packed(const wpack_t a[N], const int8_t x[N], int32_t &hi, int32_t &lo) {
#pragma HLS INLINE
    hi = 0;
    lo = 0;
    for (int g = 0; g < N / PACK_GROUP; ++g) {
#pragma HLS UNROLL
        psum_t s = 0;  // one DSP cascade
        for (int j = 0; j < PACK_GROUP; ++j) {
#pragma HLS UNROLL
            s += mul_packed(a[g * PACK_GROUP + j], x[g * PACK_GROUP + j]);
        }
        int32_t h, l;
        split_packed(s, h, l);
        hi += h;
        lo += l;
    }
}

#endif
