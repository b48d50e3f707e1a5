// engine_top as a shared library for the Python host runtime (pyflow/runtime/csim_backend.py, and the emulated
// board behind its PYNQ driver): the same engine sources the testbench and Vitis compile, called through ctypes
// with the parameter image and the activation arena in caller-owned byte buffers (numpy arrays).
//
// The descriptor arrives as the register file holds it: DESC_NUM_FIELDS int32 words, field i in word i
// (pyflow/hls/register_map.py), which is exactly layer_desc_t's layout (all int32, declaration order).
// Buffers are little-endian bus words of BUS_BYTES bytes. The parameter image is copied into bus_t words once
// (pyflow_engine_load_image); each step copies the arena in, runs engine_top, and copies it back. Where bus_t
// stores its bits as the bytes of a little-endian word (checked once, raw_layout) a word copies with memcpy,
// else bit range by bit range.
// Not synthesized; built only by pyflow.hls.csim.compile_engine_library.
#include <stdint.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "engine.h"

static_assert(sizeof(layer_desc_t) == 4 * DESC_NUM_FIELDS, "layer_desc_t must be DESC_NUM_FIELDS packed int32");

namespace {

std::vector<bus_t> g_arena, g_image;

bool raw_layout() {
    static int known = -1;
    if (known < 0) {
        uint8_t bytes[BUS_BYTES];
        bus_t word = 0;
        for (int i = 0; i < BUS_BYTES; ++i) {
            bytes[i] = (uint8_t)(3 * i + 1);
            word.range(8 * i + 7, 8 * i) = bytes[i];
        }
        known = sizeof(bus_t) == BUS_BYTES && std::memcmp(&word, bytes, BUS_BYTES) == 0;
    }
    return known == 1;
}

void words_in(const uint8_t *bytes, uint64_t words, std::vector<bus_t> &out) {
    out.resize((size_t)words);
    if (raw_layout()) {
        for (uint64_t w = 0; w < words; ++w) std::memcpy((void *)&out[(size_t)w], bytes + w * BUS_BYTES, BUS_BYTES);
        return;
    }
    for (uint64_t w = 0; w < words; ++w) {
        bus_t word = 0;
        for (int j = 0; j < BUS_BYTES / 8; ++j) {
            uint64_t part;
            std::memcpy(&part, bytes + w * BUS_BYTES + 8 * j, 8);  // little-endian host (x86-64, aarch64)
            word.range(64 * j + 63, 64 * j) = part;
        }
        out[(size_t)w] = word;
    }
}

void words_out(const std::vector<bus_t> &in, uint8_t *bytes) {
    if (raw_layout()) {
        for (size_t w = 0; w < in.size(); ++w) std::memcpy(bytes + w * BUS_BYTES, (const void *)&in[w], BUS_BYTES);
        return;
    }
    for (size_t w = 0; w < in.size(); ++w)
        for (int j = 0; j < BUS_BYTES / 8; ++j) {
            const uint64_t part = in[w].range(64 * j + 63, 64 * j).to_uint64();
            std::memcpy(bytes + w * BUS_BYTES + 8 * j, &part, 8);
        }
}

}  // namespace

extern "C" {

// What the library was built for; the runtime refuses a plan made for another configuration.
int pyflow_bus_bits(void) { return AXI_BITS; }
int pyflow_desc_fields(void) { return DESC_NUM_FIELDS; }
int pyflow_loop_count(void) { return LOOP_COUNT; }
const char *pyflow_loop_name(int loop) { return loop >= 0 && loop < LOOP_COUNT ? ENGINE_LOOP_NAMES[loop] : ""; }

// Pipelined-loop iterations of the last step (the counters the estimate is checked against).
uint64_t pyflow_loop_iterations(int loop) { return loop >= 0 && loop < LOOP_COUNT ? g_engine_counters[loop] : 0; }

// The on-chip access violations of the last step: count, and each as one line of text.
int pyflow_violations(void) { return g_oc_n_violations; }
const char *pyflow_violation(int i) {
    static char text[256];
    if (i < 0 || i >= g_oc_n_violations) return "";
    const oc_violation &x = g_oc_violations[i];
    std::snprintf(text, sizeof text, "loop %s, array %s, bank %d: %d reads, %d writes in one iteration: %s",
                  ENGINE_LOOP_NAMES[x.loop], x.array, x.bank, x.reads, x.writes, x.what);
    return text;
}

// The parameter image (words x BUS_BYTES bytes) every following step reads. Returns 0, or -1 when empty.
int pyflow_engine_load_image(const uint8_t *image, uint64_t image_words) {
    if (!image || !image_words) return -1;
    words_in(image, image_words, g_image);
    return 0;
}

// One engine step: desc = DESC_NUM_FIELDS int32 words; arena = words x BUS_BYTES bytes, updated in place.
// Returns 0, -1 for an empty arena, -2 before any image was loaded.
int pyflow_engine_step(const int32_t *desc, uint8_t *arena, uint64_t arena_words) {
    if (!desc || !arena || !arena_words) return -1;
    if (g_image.empty()) return -2;
    layer_desc_t d;
    std::memcpy(&d, desc, sizeof d);
    words_in(arena, arena_words, g_arena);
    oc_reset();
    bus_t *fm = g_arena.data();
    const bus_t *wt = g_image.data();
    engine_top(d, fm, fm, fm, fm, wt, wt, wt, wt);
    words_out(g_arena, arena);
    return 0;
}

}  // extern "C"
