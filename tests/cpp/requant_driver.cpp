// Test driver: reads "x multiplier shift scale" lines, prints the C++ requantization results (hls/src/requant.h)
// for comparison with pyflow/quant.py (tests/test_requant_cpp.py).
#include <cstdio>
#include "requant.h"

int main() {
    long long x, m, s;
    double scale;
    while (std::scanf("%lld %lld %lld %lf", &x, &m, &s, &scale) == 4) {
        const long long mbqm = multiply_by_quantized_multiplier((int32_t)x, (int32_t)m, (int32_t)s);
        const long long small = s <= 0 ? multiply_by_quantized_multiplier_smaller_than_one((int32_t)x, (int32_t)m,
                                                                                           (int32_t)s) : 0;
        const long long fc = requantize_double((int32_t)x, scale);
        std::printf("%lld %lld %lld\n", mbqm, small, fc);
    }
    return 0;
}
