// Checks hls/src/dsp_pack.h against plain int8 products: every (w_hi, w_lo, x) triple one by one, and dot products
// over extreme and random tiles of 16 and 64 lanes (groups of PACK_GROUP). Prints "ok <count>" or the first failure.
#include <cstdio>
#include <cstdlib>
#include "dsp_pack.h"

static bool check_dot(const int8_t *whi, const int8_t *wlo, const int8_t *x, int n) {
    wpack_t a[64];
    int8_t xs[64];
    int32_t ref_hi = 0, ref_lo = 0;
    for (int i = 0; i < n; ++i) {
        a[i] = pack_weights(whi[i], wlo[i]);
        xs[i] = x[i];
        ref_hi += whi[i] * x[i];
        ref_lo += wlo[i] * x[i];
    }
    int32_t hi, lo;
    if (n == 16) dot_packed<16>(a, xs, hi, lo);
    else dot_packed<64>(a, xs, hi, lo);
    if (hi != ref_hi || lo != ref_lo) {
        std::printf("FAIL dot n=%d: hi %d (want %d) lo %d (want %d)\n", n, (int)hi, (int)ref_hi, (int)lo, (int)ref_lo);
        return false;
    }
    return true;
}

int main() {
    long count = 0;
    for (int h = -128; h < 128; ++h)
        for (int l = -128; l < 128; ++l)
            for (int x = -128; x < 128; ++x) {
                int32_t hi, lo;
                split_packed(mul_packed(pack_weights((int8_t)h, (int8_t)l), (int8_t)x), hi, lo);
                if (hi != h * x || lo != l * x) {
                    std::printf("FAIL product %d %d %d: %d %d\n", h, l, x, (int)hi, (int)lo);
                    return 1;
                }
                ++count;
            }
    const int8_t extremes[] = {-128, 127, -127, 0, 1, -1};
    int8_t whi[64], wlo[64], x[64];
    for (int a = 0; a < 6; ++a)
        for (int b = 0; b < 6; ++b)
            for (int c = 0; c < 6; ++c)
                for (int n : {16, 64}) {  // all-extreme tiles: every lane the same extreme triple
                    for (int i = 0; i < n; ++i) {
                        whi[i] = extremes[a];
                        wlo[i] = extremes[b];
                        x[i] = extremes[c];
                    }
                    if (!check_dot(whi, wlo, x, n)) return 1;
                    ++count;
                }
    std::srand(7);
    for (int t = 0; t < 200000; ++t) {
        const int n = t % 2 ? 64 : 16;
        for (int i = 0; i < n; ++i) {  // mostly extremes, some random
            whi[i] = (std::rand() % 4) ? extremes[std::rand() % 2] : (int8_t)(std::rand() % 256 - 128);
            wlo[i] = (std::rand() % 4) ? extremes[std::rand() % 2] : (int8_t)(std::rand() % 256 - 128);
            x[i] = (std::rand() % 4) ? extremes[std::rand() % 2] : (int8_t)(std::rand() % 256 - 128);
        }
        if (!check_dot(whi, wlo, x, n)) return 1;
        ++count;
    }
    std::printf("ok %ld\n", count);
    return 0;
}
