// Host testbench for the layer engine (csim and cosim): the "driver" in software.
//
//   tb_main <build_dir> [--vectors DIR] [--layers A:B] [--report FILE] [--dump DIR]
//
// Reads <build_dir>/layers.txt (descriptors + tensor map) and <build_dir>/ddr_image.bin (parameter image),
// places the input vector in the activation arena, runs layers A..B-1 (default: all) in order -- engine ops
// through engine_top(), the rest (RESHAPE, PAD, CONCATENATION, QUANTIZE, DEQUANTIZE, SOFTMAX) in plain C++ here --
// and compares every layer's output byte for byte with <vectors>/tensor_<t>.bin. float32 tensors (a float model
// input before QUANTIZE, a DEQUANTIZE output) are dense little-endian float32 in the arena and the vectors; their
// compare is bit for bit, too. A layer input not produced in this run (layer range not starting at 0) is loaded
// from its vector. Per-layer results and the engine's pipelined-loop iteration counts go to stdout and, as JSON
// lines, to the report file (default <vectors>/csim_layers.jsonl).
// --dump DIR writes every layer's output (dense bytes) as DIR/tensor_<t>.bin.
// Last line: "TB RESULT: PASS" or "TB RESULT: FAIL <reason>"; exit status 0 only on PASS.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>
#include <sstream>
#include <string>
#include <vector>

#include "engine.h"
#include "gemmlowp.h"
#include "host_ops.h"
#include "requant.h"

namespace {

struct Layer {
    int index = -1;
    std::string name;
    bool on_engine = false;
    bool fused = false;  // fused into the next step: not run, its tensor never reaches the arena
    layer_desc_t d;
    std::map<std::string, long long> meta;  // tensors, shapes and host-op parameters
    long long get(const std::string &k) const {
        auto it = meta.find(k);
        return it == meta.end() ? -1 : it->second;
    }
};

struct TensorRef {
    int tensor;
    int addr, h, w, c;
    int esize;  // 1: int8/uint8, channels padded to words per pixel; 4: float32, dense from addr (no padding)
};

int failures_printed = 0;

int words_for(int channels) { return ceil_div(channels, BUS_BYTES); }

size_t tensor_words(const TensorRef &t) {
    if (t.esize != 1) return ((size_t)t.h * t.w * t.c * t.esize + BUS_BYTES - 1) / BUS_BYTES;
    return (size_t)t.h * t.w * words_for(t.c);
}

// Guard words around every tensor of the arena: filled with GUARD_BYTE before the first layer, checked after every
// layer. A changed guard word, or a non-zero padding lane (channels beyond C in a pixel's last word) of the
// layer's int8 output, fails the layer.
const uint8_t GUARD_BYTE = 0xa5;

bus_t guard_word() {
    bus_t w = 0;
    for (int lane = 0; lane < BUS_BYTES; ++lane) lane_set(w, lane, (int8_t)GUARD_BYTE);
    return w;
}

template <typename F>
void for_each_guard(const std::map<int, TensorRef> &tensors, long long guard_words, F f) {
    for (const auto &kv : tensors) {
        const TensorRef &t = kv.second;
        const size_t n = tensor_words(t);
        for (long long g = 1; g <= guard_words; ++g) {
            f(t, (size_t)t.addr - (size_t)g, "before");
            f(t, (size_t)t.addr + n - 1 + (size_t)g, "after");
        }
    }
}

// "" when every guard word is intact and the output's padding lanes are zero, else what was found first.
std::string check_guards(const std::vector<bus_t> &arena, const std::map<int, TensorRef> &tensors,
                         long long guard_words, const TensorRef &out) {
    std::string problem;
    const bus_t guard = guard_word();
    for_each_guard(tensors, guard_words, [&](const TensorRef &t, size_t addr, const char *where) {
        if (problem.empty() && arena[addr] != guard)
            problem = "guard word " + std::to_string(addr) + " " + where + " tensor " + std::to_string(t.tensor) +
                      " overwritten";
    });
    if (problem.empty() && out.esize == 1 && out.c % BUS_BYTES) {
        const int cw = words_for(out.c);
        for (size_t p = 0; p < (size_t)out.h * out.w && problem.empty(); ++p) {
            const bus_t &w = arena[(size_t)out.addr + p * cw + cw - 1];
            for (int lane = out.c % BUS_BYTES; lane < BUS_BYTES; ++lane)
                if (lane_get(w, lane) != 0) {
                    problem = "padding lane " + std::to_string(lane) + " of pixel " + std::to_string(p) +
                              " of tensor " + std::to_string(out.tensor) + " is not zero";
                    break;
                }
        }
    }
    return problem;
}

// JSON of the access check of one layer: per loop that ran, the most reads / writes of one bank of each array
// in one iteration; and the violations.
std::string access_json() {
    std::string j = "{";
    bool first_loop = true;
    for (int loop = 0; loop < LOOP_COUNT; ++loop) {
        if (!g_engine_counters[loop]) continue;
        j += std::string(first_loop ? "" : ", ") + "\"" + ENGINE_LOOP_NAMES[loop] + "\": {";
        first_loop = false;
        bool first = true;
        for (int k = 0; k < g_oc_n_arrays; ++k) {
            const oc_loop_array_max &m = g_oc_max[loop][k];
            if (!m.reads && !m.writes) continue;
            j += std::string(first ? "" : ", ") + "\"" + g_oc_arrays[k].name + "\": [" + std::to_string(m.reads) +
                 ", " + std::to_string(m.writes) + "]";
            first = false;
        }
        j += "}";
    }
    j += "}, \"access_violations\": [";
    for (int v = 0; v < g_oc_n_violations; ++v) {
        const oc_violation &x = g_oc_violations[v];
        j += std::string(v ? ", " : "") + "\"" + ENGINE_LOOP_NAMES[x.loop] + " " + x.array + " bank " +
             std::to_string(x.bank) + ": " + std::to_string(x.reads) + " reads, " + std::to_string(x.writes) +
             " writes: " + x.what + "\"";
    }
    return j + "]";
}

// Dense bytes of a tensor (float32: 4 little-endian bytes per element) <-> its arena layout.
void unpack(const std::vector<bus_t> &arena, const TensorRef &t, std::vector<int8_t> &dense) {
    if (t.esize != 1) {
        dense.assign((size_t)t.h * t.w * t.c * t.esize, 0);
        for (size_t b = 0; b < dense.size(); ++b)
            dense[b] = lane_get(arena[(size_t)t.addr + b / BUS_BYTES], (int)(b % BUS_BYTES));
        return;
    }
    const int cw = words_for(t.c);
    dense.assign((size_t)t.h * t.w * t.c, 0);
    for (int p = 0; p < t.h * t.w; ++p)
        for (int c = 0; c < t.c; ++c)
            dense[(size_t)p * t.c + c] =
                lane_get(arena[(size_t)t.addr + (size_t)p * cw + c / BUS_BYTES], c % BUS_BYTES);
}

void pack(std::vector<bus_t> &arena, const TensorRef &t, const std::vector<int8_t> &dense) {
    if (t.esize != 1) {
        for (size_t b = 0; b < dense.size(); ++b)
            lane_set(arena[(size_t)t.addr + b / BUS_BYTES], (int)(b % BUS_BYTES), dense[b]);
        return;
    }
    const int cw = words_for(t.c);
    for (int p = 0; p < t.h * t.w; ++p)
        for (int wd = 0; wd < cw; ++wd) {
            bus_t word = 0;
            for (int lane = 0; lane < BUS_BYTES; ++lane) {
                const int c = wd * BUS_BYTES + lane;
                lane_set(word, lane, c < t.c ? dense[(size_t)p * t.c + c] : (int8_t)0);
            }
            arena[(size_t)t.addr + (size_t)p * cw + wd] = word;
        }
}

// n bytes of the parameter image from word addr (constants of host ops: a constant operand, LOGISTIC's table).
std::vector<int8_t> image_bytes(const std::vector<bus_t> &image, long long addr, size_t n) {
    std::vector<int8_t> out(n);
    for (size_t b = 0; b < n; ++b) out[b] = lane_get(image[(size_t)addr + b / BUS_BYTES], (int)(b % BUS_BYTES));
    return out;
}

// n little-endian values of type T from the parameter image at word addr (TRANSPOSE_CONV's int32 tables,
// FC_ROWS's double scales); the host is little-endian (x86-64, aarch64), as the image.
template <typename T>
std::vector<T> image_values(const std::vector<bus_t> &image, long long addr, size_t n) {
    const std::vector<int8_t> bytes = image_bytes(image, addr, sizeof(T) * n);
    std::vector<T> out(n);
    if (n) std::memcpy(out.data(), bytes.data(), sizeof(T) * n);
    return out;
}

// Returns "" when OK, else a reason.
std::string read_vector(const std::string &path, size_t bytes, std::vector<int8_t> &out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return "missing vector file " + path;
    out.assign(bytes, 0);
    f.read(reinterpret_cast<char *>(out.data()), (std::streamsize)bytes);
    if ((size_t)f.gcount() != bytes) return "short vector file " + path;
    char extra;
    if (f.read(&extra, 1)) return "vector file too long " + path;
    return "";
}

// ----- host-side ops (plain C++) -----
void host_reshape(const std::vector<int8_t> &in, std::vector<int8_t> &out) { out = in; }

void host_pad(const Layer &L, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const layer_desc_t &d = L.d;
    const int pt = d.pad_top, pl = d.pad_left, pc = (int)L.get("pad_c0");
    out.assign((size_t)d.out_h * d.out_w * d.out_c, (int8_t)L.get("pad_value"));
    for (int y = 0; y < d.in_h; ++y)
        for (int x = 0; x < d.in_w; ++x)
            for (int c = 0; c < d.in_c; ++c)
                out[((size_t)(y + pt) * d.out_w + (x + pl)) * d.out_c + c + pc] =
                    in[((size_t)y * d.in_w + x) * d.in_c + c];
}

void host_concat(const Layer &L, const std::vector<int8_t> &a, const std::vector<int8_t> &b,
                 std::vector<int8_t> &out) {
    const long long outer = L.get("outer"), ia = L.get("inner_a"), ib = L.get("inner_b");
    out.clear();
    for (long long o = 0; o < outer; ++o) {
        for (long long i = 0; i < ia; ++i) out.push_back(a[o * ia + i]);
        for (long long i = 0; i < ib; ++i) out.push_back(b[o * ib + i]);
    }
    for (auto &v : out) v = (int8_t)clamp_i32(v, L.d.act_min, L.d.act_max);
}

void host_quantize(const Layer &L, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const bool in_unsigned = L.get("in_unsigned") == 1;
    out.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t x = in_unsigned ? (int32_t)(uint8_t)in[i] : (int32_t)in[i];
        const int32_t r = multiply_by_quantized_multiplier(x + L.d.in_offset, L.d.out_mult, L.d.out_shift);
        out[i] = (int8_t)(uint8_t)clamp_i32((int64_t)r + L.d.out_offset, L.d.act_min, L.d.act_max);
    }
}

float float_from_bits(long long bits) {
    const uint32_t u = (uint32_t)bits;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

float load_f32(const std::vector<int8_t> &bytes, size_t i) {  // little-endian float32 element i
    uint32_t u = 0;
    for (int k = 3; k >= 0; --k) u = (u << 8) | (uint8_t)bytes[4 * i + k];
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

void store_f32(std::vector<int8_t> &bytes, size_t i, float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    for (int k = 0; k < 4; ++k) bytes[4 * i + k] = (int8_t)(uint8_t)(u >> (8 * k));
}

// QUANTIZE float32 -> int8/uint8 (pyflow/reference/quantize.py, TFLite AffineQuantize):
// clamp(round_half_away(float32(x) / float32(scale)) + zero_point); the quotient is a float32 division.
void host_quantize_float(const Layer &L, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const float scale = float_from_bits(L.get("scale_bits"));
    out.resize(in.size() / 4);
    for (size_t i = 0; i < out.size(); ++i) {
        const volatile float q = load_f32(in, i) / scale;  // volatile: a float32 result, never a wider one
        double r = std::round((double)q) + L.d.out_offset;  // exact: |round(q)| is an integer, plus a small int
        if (!(r >= L.d.act_min)) r = L.d.act_min;  // NaN -> act_min (unspecified in TFLite)
        if (r > L.d.act_max) r = L.d.act_max;
        out[i] = (int8_t)(uint8_t)(int32_t)r;
    }
}

// DEQUANTIZE int8/uint8 -> float32: float32(double(scale) * (x - zero_point)) (pyflow/reference/quantize.py).
void host_dequantize(const Layer &L, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const bool in_unsigned = L.get("in_unsigned") == 1;
    const double scale = (double)float_from_bits(L.get("scale_bits"));
    out.assign(in.size() * 4, 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t x = in_unsigned ? (int32_t)(uint8_t)in[i] : (int32_t)in[i];
        store_f32(out, i, (float)(scale * (double)(x + L.d.in_offset)));
    }
}

// SOFTMAX int8 -> int8 (scale 1/256, zero point -128): TFLite reference_ops::Softmax in gemmlowp fixed point,
// mirroring pyflow/reference/softmax.py step by step.
void host_softmax(const Layer &L, const std::vector<int8_t> &in, std::vector<int8_t> &out) {
    const int32_t row = L.d.in_c, diff_min = (int32_t)L.get("diff_min");
    out.assign(in.size(), (int8_t)-128);
    std::vector<int32_t> exps((size_t)row);
    for (size_t r0 = 0; r0 < in.size(); r0 += (size_t)row) {
        int32_t mx = -128;
        for (int32_t i = 0; i < row; ++i) mx = in[r0 + i] > mx ? in[r0 + i] : mx;
        int64_t sum = 0;
        for (int32_t i = 0; i < row; ++i) {
            const int32_t diff = in[r0 + i] - mx;
            exps[i] = 0;
            if (diff < diff_min) continue;
            const int32_t scaled = multiply_by_quantized_multiplier(diff, L.d.out_mult, L.d.out_shift);
            exps[i] = exp_on_negative_values(scaled, 5);
            sum += rescale(exps[i], 0, 12);
        }
        const uint32_t sum32 = (uint32_t)wrap32(sum);
        const int headroom_plus_one = sum32 ? __builtin_clz(sum32) : 32;
        const int num_bits_over_unit = 12 - headroom_plus_one;
        const int shift = headroom_plus_one < 31 ? headroom_plus_one : 31;
        const uint32_t shifted = (uint32_t)((uint64_t)sum32 << shift);
        const int32_t shifted_scale = one_over_one_plus_x_for_x_in_0_1(wrap32((int64_t)shifted - (1LL << 31)));
        const int exponent = num_bits_over_unit + 31 - 8;
        for (int32_t i = 0; i < row; ++i) {
            if (in[r0 + i] - mx < diff_min) continue;
            const int32_t unsat =
                rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, exps[i]), exponent);
            out[r0 + i] = (int8_t)clamp_i32((int64_t)unsat - 128, -128, 127);
        }
    }
}

// Parses a non-negative decimal int (the whole string); false on anything else (empty, sign, junk, overflow).
bool parse_index(const std::string &s, int &out) {
    if (s.empty() || s.size() > 9) return false;
    int v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + (ch - '0');
    }
    out = v;
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::printf("usage: %s <build_dir> [--vectors DIR] [--layers A:B] [--report FILE] [--dump DIR]\n",
                    argv[0]);
        std::printf("TB RESULT: FAIL usage\n");
        return 2;
    }
    const std::string build_dir = argv[1];
    std::string vec_dir = build_dir + "/vectors/0";
    std::string report, dump_dir;
    std::string layer_range;  // --layers, validated once the layer count is known
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--vectors" && i + 1 < argc) {
            vec_dir = argv[++i];
        } else if (a == "--dump" && i + 1 < argc) {
            dump_dir = argv[++i];
        } else if (a == "--report" && i + 1 < argc) {
            report = argv[++i];
        } else if (a == "--layers" && i + 1 < argc) {
            layer_range = argv[++i];
        } else {
            std::printf("TB RESULT: FAIL bad argument %s\n", a.c_str());
            return 2;
        }
    }
    if (report.empty()) report = vec_dir + "/csim_layers.jsonl";

    // ---- descriptors ----
    std::ifstream lf(build_dir + "/layers.txt");
    if (!lf) {
        std::printf("TB RESULT: FAIL missing %s/layers.txt\n", build_dir.c_str());
        return 1;
    }
    std::vector<Layer> layers;
    long long arena_words = 0, image_words = 0, bus_bits = 0, guard_words = 0;
    std::string line;
    while (std::getline(lf, line)) {
        std::istringstream ss(line);
        std::string kind;
        ss >> kind;
        if (kind.empty() || kind[0] == '#') continue;
        std::map<std::string, std::string> kv;
        std::string tok;
        while (ss >> tok) {
            const size_t eq = tok.find('=');
            if (eq != std::string::npos) kv[tok.substr(0, eq)] = tok.substr(eq + 1);
        }
        if (kind == "arena") {
            arena_words = std::atoll(kv["arena_words"].c_str());
            image_words = std::atoll(kv["image_words"].c_str());
            bus_bits = std::atoll(kv["axi_bits"].c_str());
            guard_words = std::atoll(kv["guard_words"].c_str());
        } else if (kind == "layer") {
            Layer L;
            std::memset(&L.d, 0, sizeof(L.d));
            for (auto &p : kv) {
                if (p.first == "name") {
                    L.name = p.second;
                } else if (p.first == "where") {
                    L.on_engine = p.second == "engine";
                    L.fused = p.second == "fused";
                } else if (!desc_set_field(L.d, p.first.c_str(), (int32_t)std::atoll(p.second.c_str()))) {
                    L.meta[p.first] = std::atoll(p.second.c_str());
                }
            }
            L.index = (int)L.get("index");
            layers.push_back(L);
        }
    }
    if (bus_bits != AXI_BITS) {
        std::printf("TB RESULT: FAIL layers.txt was generated for AXI_BITS=%lld, binary built for %d\n", bus_bits,
                    AXI_BITS);
        return 1;
    }
    // --layers A:B (A..B-1), "A:" = A..end, ":B" = 0..B-1 (as pyflow.hls.csim._layer_range); nothing else.
    const int n_layers = (int)layers.size();
    int first = 0, last = n_layers;
    if (!layer_range.empty()) {
        const size_t colon = layer_range.find(':');
        const std::string lo = colon == std::string::npos ? "" : layer_range.substr(0, colon);
        const std::string hi = colon == std::string::npos ? "" : layer_range.substr(colon + 1);
        const bool ok = colon != std::string::npos && (lo.empty() || parse_index(lo, first)) &&
                        (hi.empty() || parse_index(hi, last)) && first < last && last <= n_layers;
        if (!ok) {
            std::printf("TB RESULT: FAIL bad --layers %s (want A:B, A:, or :B with 0 <= A < B <= %d)\n",
                        layer_range.c_str(), n_layers);
            return 2;
        }
    }
    if (first >= last) {
        std::printf("TB RESULT: FAIL no layers in %s/layers.txt\n", build_dir.c_str());
        return 1;
    }

    // ---- parameter image and activation arena ----
    // The m_axi ports declare depth = image / arena words + 1 (engine_depth.h, generated from the same plan): in
    // cosim the wrapper copies that many words in and out, so the host buffers are exactly that deep.
    const size_t image_alloc = (size_t)image_words + 1;
    std::vector<bus_t> image(image_alloc, bus_t(0));
    {
        std::ifstream f(build_dir + "/ddr_image.bin", std::ios::binary);
        if (!f) {
            std::printf("TB RESULT: FAIL missing %s/ddr_image.bin\n", build_dir.c_str());
            return 1;
        }
        std::vector<uint64_t> raw((size_t)image_words * (BUS_BYTES / 8));
        f.read(reinterpret_cast<char *>(raw.data()), (std::streamsize)(raw.size() * 8));
        if ((size_t)f.gcount() != raw.size() * 8) {
            std::printf("TB RESULT: FAIL short ddr_image.bin\n");
            return 1;
        }
        for (size_t w = 0; w < (size_t)image_words; ++w)
            for (int j = 0; j < BUS_BYTES / 8; ++j) image[w].range(64 * j + 63, 64 * j) = raw[w * (BUS_BYTES / 8) + j];
    }
    const size_t arena_alloc = (size_t)arena_words + 1;
    std::vector<bus_t> arena(arena_alloc, bus_t(0));
    std::map<int, bool> produced;

    // every tensor of the layer table, for the guard words
    std::map<int, TensorRef> tensors;
    for (const Layer &L : layers) {
        if (L.fused) continue;
        const layer_desc_t &d = L.d;
        tensors[(int)L.get("in_tensor")] = {(int)L.get("in_tensor"), d.in_addr, d.in_h, d.in_w, d.in_c,
                                            L.get("in_float") == 1 ? 4 : 1};
        tensors[(int)L.get("out_tensor")] = {(int)L.get("out_tensor"), d.out_addr, d.out_h, d.out_w, d.out_c,
                                             L.get("out_float") == 1 ? 4 : 1};
        if (L.get("in2_tensor") >= 0)
            tensors[(int)L.get("in2_tensor")] = {(int)L.get("in2_tensor"), d.in2_addr, (int)L.get("in2_h"),
                                                 (int)L.get("in2_w"), (int)L.get("in2_c"), 1};
    }
    for (const auto &kv : tensors) {
        if ((long long)kv.second.addr < guard_words ||
            (long long)(kv.second.addr + tensor_words(kv.second)) + guard_words > arena_words) {
            std::printf("TB RESULT: FAIL tensor %d has no room for its guard words in the arena\n", kv.first);
            return 1;
        }
    }
    {
        const bus_t guard = guard_word();
        for_each_guard(tensors, guard_words, [&](const TensorRef &, size_t addr, const char *) { arena[addr] = guard; });
    }

    auto tensor_bytes = [](const TensorRef &t) { return (size_t)t.h * t.w * t.c * t.esize; };
    auto vec_path = [&](int tensor) { return vec_dir + "/tensor_" + std::to_string(tensor) + ".bin"; };
    std::string fail_reason;

    // Make an input tensor available: produced in this run, else loaded from its golden vector.
    auto ensure = [&](const TensorRef &t) -> bool {
        if (produced[t.tensor]) return true;
        std::vector<int8_t> dense;
        const std::string err = read_vector(vec_path(t.tensor), tensor_bytes(t), dense);
        if (!err.empty()) {
            if (fail_reason.empty()) fail_reason = err;
            std::printf("ERROR: %s\n", err.c_str());
            return false;
        }
        pack(arena, t, dense);
        produced[t.tensor] = true;
        return true;
    };

    std::FILE *rep = std::fopen(report.c_str(), "w");
    if (!rep) {
        std::printf("TB RESULT: FAIL cannot write %s\n", report.c_str());
        return 1;
    }
    std::printf("%-5s %-18s %-6s %10s %10s  %s\n", "layer", "op", "where", "bytes", "mismatch", "result");
    int failed_layers = 0;
    std::string first_failed;
    for (int li = first; li < last; ++li) {
        Layer &L = layers[li];
        const layer_desc_t &d = L.d;
        if (L.fused) {  // runs as part of layer `into`: nothing to run or compare here
            std::printf("%-5d %-18s %-6s %10s %10s  FUSED into layer %lld\n", L.index, L.name.c_str(), "fused", "-",
                        "-", L.get("into"));
            std::fprintf(rep, "{\"layer\": %d, \"op\": \"%s\", \"where\": \"fused\", \"bytes\": 0, \"mismatches\": 0, "
                              "\"result\": \"FUSED\", \"into\": %lld, \"iterations\": {",
                         L.index, L.name.c_str(), L.get("into"));
            for (int k = 0; k < LOOP_COUNT; ++k) std::fprintf(rep, "%s\"%s\": 0", k ? ", " : "", ENGINE_LOOP_NAMES[k]);
            std::fprintf(rep, "}, \"access\": {}, \"access_violations\": []}\n");
            continue;
        }
        const bool in_float = L.get("in_float") == 1, out_float = L.get("out_float") == 1;
        const TensorRef in1 = {(int)L.get("in_tensor"), d.in_addr, d.in_h, d.in_w, d.in_c, in_float ? 4 : 1};
        const TensorRef out = {(int)L.get("out_tensor"), d.out_addr, d.out_h, d.out_w, d.out_c, out_float ? 4 : 1};
        bool ok = ensure(in1);
        TensorRef in2 = {(int)L.get("in2_tensor"), d.in2_addr, (int)L.get("in2_h"), (int)L.get("in2_w"),
                         (int)L.get("in2_c"), 1};
        if (in2.tensor >= 0) ok = ensure(in2) && ok;
        if (!ok) {
            std::printf("%-5d %-18s %-6s %10s %10s  %s\n", L.index, L.name.c_str(), L.on_engine ? "engine" : "host",
                        "-", "-", "NO INPUT");
            ++failed_layers;
            if (first_failed.empty()) first_failed = std::to_string(L.index) + " " + L.name;
            continue;
        }
        oc_reset();
        if (L.on_engine && (in_float || out_float)) {
            std::printf("TB RESULT: FAIL layer %d: float32 tensor on the engine\n", L.index);
            return 1;
        }
        if (L.on_engine) {
            engine_top(d, arena.data(), arena.data(), arena.data(), arena.data(), image.data(), image.data(),
                       image.data(), image.data());
        } else {
            std::vector<int8_t> a, b, r;
            unpack(arena, in1, a);
            if (in2.tensor >= 0) unpack(arena, in2, b);
            if (d.op == OP_RESHAPE) host_reshape(a, r);
            else if (d.op == OP_PAD) host_pad(L, a, r);
            else if (d.op == OP_CONCAT) host_concat(L, a, b, r);
            else if (d.op == OP_QUANTIZE && in_float) host_quantize_float(L, a, r);
            else if (d.op == OP_QUANTIZE && out_float) host_dequantize(L, a, r);  // DEQUANTIZE
            else if (d.op == OP_QUANTIZE) host_quantize(L, a, r);
            else if (d.op == OP_SOFTMAX) host_softmax(L, a, r);
            else if (d.op == OP_BINARY) {
                const long long ci = L.get("const_input");  // -1: two activations, 0 / 1: which is the constant
                if (ci >= 0) {
                    const char *pre = ci == 0 ? "a" : "b";
                    const size_t n = (size_t)(L.meta[std::string(pre) + "_h"] * L.meta[std::string(pre) + "_w"] *
                                              L.meta[std::string(pre) + "_c"]);
                    b = image_bytes(image, L.get("const_addr"), n);
                    if (ci == 0) std::swap(a, b);
                }
                host_binary(L.meta, d, a, b, r);
            }
            else if (d.op == OP_RELU) host_relu(L.meta, d, a, r);
            else if (d.op == OP_LEAKY_RELU) host_leaky_relu(L.meta, a, r);
            else if (d.op == OP_HARD_SWISH) host_hard_swish(L.meta, a, r);
            else if (d.op == OP_LOGISTIC) host_logistic(L.meta, image_bytes(image, L.get("lut_addr"), 256), a, r);
            else if (d.op == OP_RESIZE) host_resize(L.meta, d, a, r);
            else if (d.op == OP_FC_ROWS) {
                const size_t oc = (size_t)d.out_c;
                host_fc_rows(L.meta, d, image_bytes(image, L.get("w_addr"), oc * d.in_c),
                             image_values<int32_t>(image, L.get("bias_addr"), oc),
                             image_values<double>(image, L.get("scale64_addr"), oc), a, r);
            }
            else if (d.op == OP_TRANSPOSE_CONV) {
                const size_t oc = (size_t)d.out_c;
                host_transpose_conv(d, image_bytes(image, L.get("w_addr"), oc * d.k_h * d.k_w * d.in_c),
                                    image_values<int32_t>(image, L.get("bias_addr"), oc),
                                    image_values<int32_t>(image, L.get("mult_addr"), oc),
                                    image_values<int32_t>(image, L.get("shift_addr"), oc), a, r);
            }
            else {
                std::printf("TB RESULT: FAIL layer %d: no host implementation for %s\n", L.index, L.name.c_str());
                return 1;
            }
            pack(arena, out, r);
        }
        produced[out.tensor] = true;

        // ---- compare ----
        std::vector<int8_t> got, expected;
        unpack(arena, out, got);
        if (!dump_dir.empty()) {
            std::ofstream df(dump_dir + "/tensor_" + std::to_string(out.tensor) + ".bin", std::ios::binary);
            df.write(reinterpret_cast<const char *>(got.data()), (std::streamsize)got.size());
        }
        const std::string err = read_vector(vec_path(out.tensor), tensor_bytes(out), expected);
        long long mismatches = 0;
        std::string result = "PASS";
        if (!err.empty()) {
            result = "NO VECTOR";
            std::printf("ERROR: %s\n", err.c_str());
            if (fail_reason.empty()) fail_reason = err;
        } else {
            // element by element (float32: all 4 bytes, i.e. bit for bit); mismatches count elements
            const size_t es = (size_t)out.esize;
            for (size_t i = 0; i < got.size() / es; ++i) {
                if (std::memcmp(&got[i * es], &expected[i * es], es) == 0) continue;
                if (++mismatches <= 5 && failures_printed < 20) {
                    ++failures_printed;
                    const size_t c = i % out.c, p = i / out.c;
                    if (es == 4)
                        std::printf("MISMATCH layer %d %s at NHWC (0,%zu,%zu,%zu): expected %.9g got %.9g\n",
                                    L.index, L.name.c_str(), p / out.w, p % out.w, c, (double)load_f32(expected, i),
                                    (double)load_f32(got, i));
                    else
                        std::printf("MISMATCH layer %d %s at NHWC (0,%zu,%zu,%zu): expected %d got %d\n", L.index,
                                    L.name.c_str(), p / out.w, p % out.w, c, (int)expected[i], (int)got[i]);
                }
            }
            if (mismatches) result = "FAIL";
        }
        // ---- guard words, padding lanes, on-chip access check ----
        const std::string guard = check_guards(arena, tensors, guard_words, out);
        if (!guard.empty()) {
            std::printf("GUARD layer %d %s: %s\n", L.index, L.name.c_str(), guard.c_str());
            if (result == "PASS") result = "GUARD";
            if (fail_reason.empty()) fail_reason = guard;
            const bus_t gw = guard_word();  // restore, so that the next layers are judged on their own writes
            for_each_guard(tensors, guard_words, [&](const TensorRef &, size_t addr, const char *) { arena[addr] = gw; });
        }
        for (int v = 0; v < g_oc_n_violations; ++v) {
            const oc_violation &x = g_oc_violations[v];
            std::printf("ACCESS layer %d %s: loop %s, array %s, bank %d: %d reads, %d writes in one iteration: %s\n",
                        L.index, L.name.c_str(), ENGINE_LOOP_NAMES[x.loop], x.array, x.bank, x.reads, x.writes, x.what);
        }
        if (g_oc_n_violations && result == "PASS") result = "ACCESS";
        if (result != "PASS") {
            ++failed_layers;
            if (first_failed.empty()) first_failed = std::to_string(L.index) + " " + L.name;
        }
        std::printf("%-5d %-18s %-6s %10zu %10lld  %s\n", L.index, L.name.c_str(), L.on_engine ? "engine" : "host",
                    got.size(), mismatches, result.c_str());
        // L.name is a TFLite op type (A-Z, 0-9, _) written by pyflow.hls.codegen: nothing to escape in JSON
        std::fprintf(rep, "{\"layer\": %d, \"op\": \"%s\", \"where\": \"%s\", \"bytes\": %zu, \"mismatches\": %lld, "
                          "\"result\": \"%s\", \"iterations\": {",
                     L.index, L.name.c_str(), L.on_engine ? "engine" : "host", got.size(), mismatches,
                     result.c_str());
        for (int k = 0; k < LOOP_COUNT; ++k)
            std::fprintf(rep, "%s\"%s\": %llu", k ? ", " : "", ENGINE_LOOP_NAMES[k],
                         (unsigned long long)g_engine_counters[k]);
        std::fprintf(rep, "}, \"access\": %s}\n", access_json().c_str());
    }
    std::fclose(rep);
    int engine_layers = 0, fused_layers = 0;
    for (int li = first; li < last; ++li) {
        engine_layers += layers[li].on_engine ? 1 : 0;
        fused_layers += layers[li].fused ? 1 : 0;
    }
    std::printf("layers %d:%d: %d steps on the engine (%d more ops fused into them), %d on the host; %d failed\n",
                first, last, engine_layers, fused_layers, last - first - engine_layers - fused_layers, failed_layers);
    if (failed_layers) {
        std::printf("TB RESULT: FAIL %d layer(s) differ, lack vectors or break a check; first: layer %s%s%s\n",
                    failed_layers,
                    first_failed.c_str(), fail_reason.empty() ? "" : "; ", fail_reason.c_str());
        return 1;
    }
    std::printf("TB RESULT: PASS\n");
    return 0;
}
