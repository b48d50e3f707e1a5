// See host_ops.h. Integer arithmetic exactly as TFLite's reference kernels (int16 where they use int16).
#include "host_ops.h"

#include <cmath>
#include <limits>

#include "gemmlowp.h"
#include "requant.h"

long long host_get(const host_meta_t &meta, const char *key, long long fallback) {
    const auto it = meta.find(key);
    return it == meta.end() ? fallback : it->second;
}

// ---- two-input elementwise ops ----
namespace {

enum { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_MAX = 3, BIN_MIN = 4 };

int32_t binary_lane(const host_meta_t &m, int kind, int32_t a, int32_t b, int32_t act_min, int32_t act_max) {
    if (kind == BIN_MAX) return a > b ? a : b;
    if (kind == BIN_MIN) return a < b ? a : b;
    const int32_t off1 = (int32_t)host_get(m, "off1", 0), off2 = (int32_t)host_get(m, "off2", 0);
    const int32_t mo = (int32_t)host_get(m, "mo", 0), so = (int32_t)host_get(m, "so", 0);
    const int32_t off_out = (int32_t)host_get(m, "off_out", 0);
    if (kind == BIN_MUL) {  // reference_integer_ops::MulElementwise
        const int32_t r = multiply_by_quantized_multiplier((a + off1) * (b + off2), mo, so);
        return clamp_i32((int64_t)r + off_out, act_min, act_max);
    }
    // ADD / SUB (reference_integer_ops::Add, reference_ops SubElementwise): both rescaled at left_shift bits
    const int32_t left_shift = (int32_t)host_get(m, "lshift", 0);
    const int32_t x1 = multiply_by_quantized_multiplier_smaller_than_one(
        (a + off1) * (1 << left_shift), (int32_t)host_get(m, "m1", 0), (int32_t)host_get(m, "s1", 0));
    const int32_t x2 = multiply_by_quantized_multiplier_smaller_than_one(
        (b + off2) * (1 << left_shift), (int32_t)host_get(m, "m2", 0), (int32_t)host_get(m, "s2", 0));
    const int32_t r = multiply_by_quantized_multiplier_smaller_than_one(kind == BIN_SUB ? x1 - x2 : x1 + x2, mo, so);
    return clamp_i32((int64_t)r + off_out, act_min, act_max);
}

}  // namespace

void host_binary(const host_meta_t &m, const layer_desc_t &d, const std::vector<int8_t> &a,
                 const std::vector<int8_t> &b, std::vector<int8_t> &out) {
    const int kind = (int)host_get(m, "binary", 0);
    const long long ah = host_get(m, "a_h"), aw = host_get(m, "a_w"), ac = host_get(m, "a_c");
    const long long bh = host_get(m, "b_h"), bw = host_get(m, "b_w"), bc = host_get(m, "b_c");
    out.assign((size_t)d.out_h * d.out_w * d.out_c, 0);
    for (int y = 0; y < d.out_h; ++y)
        for (int x = 0; x < d.out_w; ++x)
            for (int c = 0; c < d.out_c; ++c) {  // a dimension of 1 broadcasts: index % 1 == 0
                const int32_t va = a[(size_t)(((y % ah) * aw + (x % aw)) * ac + (c % ac))];
                const int32_t vb = b[(size_t)(((y % bh) * bw + (x % bw)) * bc + (c % bc))];
                out[((size_t)y * d.out_w + x) * d.out_c + c] = (int8_t)binary_lane(m, kind, va, vb, d.act_min,
                                                                                    d.act_max);
            }
}

// ---- activations ----
void host_relu(const host_meta_t &m, const layer_desc_t &d, const std::vector<int8_t> &in,
               std::vector<int8_t> &out) {
    out.resize(in.size());
    const int32_t zp = (int32_t)host_get(m, "in_zp", 0), off = (int32_t)host_get(m, "out_off", 0);
    const int32_t mult = (int32_t)host_get(m, "mult", 0), shift = (int32_t)host_get(m, "shift", 0);
    const bool raw = host_get(m, "raw", 0) == 1;  // TFLM's RELU6: clamp of the raw input, no requantization
    for (size_t i = 0; i < in.size(); ++i) {
        if (raw) {
            out[i] = (int8_t)clamp_i32(in[i], (int32_t)host_get(m, "raw_lo", 0), (int32_t)host_get(m, "raw_hi", 0));
            continue;
        }
        const int32_t r = multiply_by_quantized_multiplier((int32_t)in[i] - zp, mult, shift);
        out[i] = (int8_t)clamp_i32((int64_t)r + off, d.act_min, d.act_max);
    }
}

void host_leaky_relu(const host_meta_t &m, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    out.resize(in.size());
    const int32_t zp = (int32_t)host_get(m, "in_zp", 0), off = (int32_t)host_get(m, "out_off", 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t v = (int32_t)in[i] - zp;
        const int32_t r = v >= 0 ? multiply_by_quantized_multiplier(v, (int32_t)host_get(m, "id_m", 0),
                                                                    (int32_t)host_get(m, "id_s", 0))
                                 : multiply_by_quantized_multiplier(v, (int32_t)host_get(m, "al_m", 0),
                                                                    (int32_t)host_get(m, "al_s", 0));
        out[i] = (int8_t)clamp_i32((int64_t)r + off, -128, 127);
    }
}

namespace {

// gemmlowp on int16 (as reference_ops::HardSwish calls it).
int16_t srdhm16(int16_t a, int16_t b) {
    const bool overflow = a == b && a == std::numeric_limits<int16_t>::min();
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int16_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    const int16_t high = (int16_t)((ab + nudge) / (1 << 15));
    return overflow ? std::numeric_limits<int16_t>::max() : high;
}

int16_t sdhm16(int16_t a, int16_t b) {  // TFLite SaturatingDoublingHighMul: truncating
    const bool overflow = a == b && a == std::numeric_limits<int16_t>::min();
    const int32_t ab = (int32_t)a * (int32_t)b;
    return overflow ? std::numeric_limits<int16_t>::max() : (int16_t)(ab / (1 << 15));
}

// gemmlowp RoundingDivideByPOT<int16_t>: the mask is an int16 (all ones from exponent 16 on).
int16_t rdbp16(int16_t x, int exponent) {
    const int16_t mask = (int16_t)((1ll << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

int16_t saturating_left_shift16(int16_t value, int amount) {
    const int64_t r = (int64_t)value * (1 << amount);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

}  // namespace

void host_hard_swish(const host_meta_t &m, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    out.resize(in.size());
    const int32_t in_zp = (int32_t)host_get(m, "in_zp", 0), out_zp = (int32_t)host_get(m, "out_zp", 0);
    const int16_t relu_m = (int16_t)host_get(m, "relu_m", 0), out_m = (int16_t)host_get(m, "out_m", 0);
    const int relu_e = (int)host_get(m, "relu_e", 0), out_e = (int)host_get(m, "out_e", 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int16_t value = (int16_t)((int32_t)in[i] - in_zp);
        const int16_t hires = (int16_t)(value * (1 << 7));
        const int16_t preshift_output = srdhm16(hires, out_m);
        int16_t reluish = hires;
        if (relu_e > 0) reluish = saturating_left_shift16(reluish, relu_e - 1);
        reluish = srdhm16(reluish, relu_m);
        if (relu_e > 0) reluish = saturating_left_shift16(reluish, 1);
        if (relu_e < 0) reluish = rdbp16(reluish, -relu_e);
        reluish = (int16_t)((reluish + (1 << 15)) >> 1);
        int16_t output = rdbp16(sdhm16(reluish, preshift_output), -out_e);
        output = (int16_t)(output + out_zp);  // an int16 add, as in the kernel
        out[i] = (int8_t)clamp_i32(output, -128, 127);
    }
}

// gemmlowp logistic on FixedPoint<int32, 4> (TFLM's reference_integer_ops::Logistic).

void host_logistic(const host_meta_t &m, const std::vector<int8_t> &lut, const std::vector<int8_t> &in,
                   std::vector<int8_t> &out) {
    out.resize(in.size());
#ifndef PYFLOW_FLAVOR_TFLM
    (void)m;
    for (size_t i = 0; i < in.size(); ++i) out[i] = lut[(uint8_t)in[i]];
#else
    (void)lut;
    const int32_t zp = (int32_t)host_get(m, "in_zp", 0), radius = (int32_t)host_get(m, "radius", 0);
    const int32_t mult = (int32_t)host_get(m, "mult", 0), shift = (int32_t)host_get(m, "shift", 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t v = (int32_t)in[i] - zp;
        if (v <= -radius) {
            out[i] = -128;
        } else if (v >= radius) {
            out[i] = 127;
        } else {
            const int32_t q4 = multiply_by_quantized_multiplier(v, mult, shift);
            int32_t q0;
            if (q4 == 0) {
                q0 = 1 << 30;  // one half
            } else {
                const int32_t positive = one_over_one_plus_x_for_x_in_0_1(
                    exp_on_negative_values(q4 > 0 ? -q4 : q4, 4));
                q0 = q4 > 0 ? positive : REQ_INT32_MAX - positive;
            }
            out[i] = (int8_t)clamp_i32((int64_t)rounding_divide_by_pot(q0, 31 - 8) - 128, -128, 127);
        }
    }
#endif
}

// ---- resize ----
namespace {

// reference_ops::GetNearestNeighbor: float32 arithmetic, floor (round half away with align_corners).
int nearest(int i, int in_size, int out_size, bool align, bool half) {
    const float scale = (align && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                : (float)in_size / (float)out_size;
    const float offset = half ? 0.5f : 0.0f;
    const float value = ((float)i + offset) * scale;
    int v = align ? (int)std::round(value) : (int)std::floor(value);
    v = v < in_size - 1 ? v : in_size - 1;
    return half && v < 0 ? 0 : v;
}

// The integer ResizeBilinear's ComputeInterpolationValues: 10-bit position, neighbours by truncating division.
void bilinear_axis(int i, int32_t scale_10, bool half, int in_size, int32_t &scaled, int32_t &lower, int32_t &upper) {
    scaled = half ? i * scale_10 + scale_10 / 2 - (1 << 9) : i * scale_10;
    lower = scaled / (1 << 10) > 0 ? scaled / (1 << 10) : 0;
    const int32_t up = (scaled + (1 << 10) - 1) / (1 << 10);
    upper = up < in_size - 1 ? up : in_size - 1;
}

int32_t bilinear_scale(int in_size, int out_size, bool align) {
    if (align && out_size > 1) return ((1 << 10) * (in_size - 1) + (out_size - 1) / 2) / (out_size - 1);
    return ((1 << 10) * in_size + out_size / 2) / out_size;
}

}  // namespace

void host_resize(const host_meta_t &m, const layer_desc_t &d, const std::vector<int8_t> &in,
                 std::vector<int8_t> &out) {
    const bool bilinear = host_get(m, "bilinear", 0) == 1, align = host_get(m, "align", 0) == 1;
    const bool half = host_get(m, "half", 0) == 1;
    const int c_n = d.out_c;
    out.assign((size_t)d.out_h * d.out_w * c_n, 0);
    auto at = [&](int y, int x, int c) { return (int64_t)in[((size_t)y * d.in_w + x) * c_n + c]; };
    const int32_t sh = bilinear_scale(d.in_h, d.out_h, align), sw = bilinear_scale(d.in_w, d.out_w, align);
    for (int y = 0; y < d.out_h; ++y)
        for (int x = 0; x < d.out_w; ++x)
            for (int c = 0; c < c_n; ++c) {
                int8_t v;
                if (!bilinear) {
                    v = (int8_t)at(nearest(y, d.in_h, d.out_h, align, half), nearest(x, d.in_w, d.out_w, align, half),
                                   c);
                } else {
                    int32_t iy, y0, y1, ix, x0, x1;
                    bilinear_axis(y, sh, half, d.in_h, iy, y0, y1);
                    bilinear_axis(x, sw, half, d.in_w, ix, x0, x1);
                    const int64_t dy = iy - (1 << 10) * y0, dx = ix - (1 << 10) * x0;
                    const int64_t total = at(y0, x0, c) * ((1 << 10) - dy) * ((1 << 10) - dx) +
                                          at(y1, x0, c) * dy * ((1 << 10) - dx) +
                                          at(y0, x1, c) * ((1 << 10) - dy) * dx + at(y1, x1, c) * dy * dx;
                    const int64_t round = total > 0 ? (1 << 19) : -(1 << 19);
                    v = (int8_t)((total + round) / (1 << 20));
                }
                out[((size_t)y * d.out_w + x) * c_n + c] = v;
            }
}

// ---- transpose conv (reference_integer_ops::TransposeConv) ----
void host_transpose_conv(const layer_desc_t &d, const std::vector<int8_t> &weights, const std::vector<int32_t> &bias,
                         const std::vector<int32_t> &mult, const std::vector<int32_t> &shift,
                         const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const int oc_n = d.out_c, ic_n = d.in_c;
    std::vector<int32_t> acc((size_t)d.out_h * d.out_w * oc_n, 0);
    for (int iy = 0; iy < d.in_h; ++iy)
        for (int ix = 0; ix < d.in_w; ++ix)
            for (int ky = 0; ky < d.k_h; ++ky)
                for (int kx = 0; kx < d.k_w; ++kx) {
                    const int oy = iy * d.stride_h - d.pad_top + ky, ox = ix * d.stride_w - d.pad_left + kx;
                    if (oy < 0 || oy >= d.out_h || ox < 0 || ox >= d.out_w) continue;
                    for (int o = 0; o < oc_n; ++o) {
                        int32_t sum = 0;
                        for (int i = 0; i < ic_n; ++i)
                            sum += ((int32_t)in[((size_t)iy * d.in_w + ix) * ic_n + i] + d.in_offset) *
                                   (int32_t)weights[(((size_t)o * d.k_h + ky) * d.k_w + kx) * ic_n + i];
                        acc[((size_t)oy * d.out_w + ox) * oc_n + o] += sum;
                    }
                }
    out.resize(acc.size());
    for (size_t k = 0; k < acc.size(); ++k) {
        const int o = (int)(k % oc_n);
        const int32_t r = multiply_by_quantized_multiplier(acc[k] + bias[o], mult[o], shift[o]);
        out[k] = (int8_t)clamp_i32((int64_t)r + d.out_offset, d.act_min, d.act_max);
    }
}

// ---- FULLY_CONNECTED over rows (LiteRT reference: bias + sum (x + in_off) (w + w_off), double requantization) ----
void host_fc_rows(const host_meta_t &m, const layer_desc_t &d, const std::vector<int8_t> &weights,
                  const std::vector<int32_t> &bias, const std::vector<double> &scale, const std::vector<int8_t> &in,
                  std::vector<int8_t> &out) {
    const int rows = (int)host_get(m, "rows", 1), w_off = (int)host_get(m, "w_offset", 0);
    const int in_n = d.in_c, out_n = d.out_c;
    out.assign((size_t)rows * out_n, 0);
    for (int r = 0; r < rows; ++r)
        for (int o = 0; o < out_n; ++o) {
            int32_t acc = bias[o];
            for (int i = 0; i < in_n; ++i)
                acc += ((int32_t)in[(size_t)r * in_n + i] + d.in_offset) *
                       ((int32_t)weights[(size_t)o * in_n + i] + w_off);
            out[(size_t)r * out_n + o] =
                (int8_t)clamp_i32(requantize_double(acc, scale[o]) + d.out_offset, d.act_min, d.act_max);
        }
}
