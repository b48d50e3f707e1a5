// csim only: the bookkeeping behind ENGINE_ITER and the OC_* accessors of hls/src/onchip.h.
// One access window per pipelined-loop iteration; per registered array the reads and writes of every bank in the
// window, the bank sequence of its reads and of its writes (lane order), the per-loop maxima and the first
// violations. The testbench resets it before each layer (oc_reset) and reports it per layer.
#include <cstring>

#include "engine_types.h"

uint64_t g_engine_counters[LOOP_COUNT];
oc_array_stats g_oc_arrays[OC_MAX_ARRAYS];
int g_oc_n_arrays = 0;
oc_loop_array_max g_oc_max[LOOP_COUNT][OC_MAX_ARRAYS];
oc_violation g_oc_violations[16];
int g_oc_n_violations = 0;

namespace {

const int NO_LOOP = -1;
int current_loop = NO_LOOP;
uint64_t window = 0;  // serial number of the current iteration (0: none yet)

// First bank sequence seen per (loop, array, kind, length): later iterations must repeat it.
struct seq_record {
    bool seen;
    uint8_t banks[OC_MAX_SEQ];
};
seq_record first_seq[LOOP_COUNT][OC_MAX_ARRAYS][2][OC_MAX_SEQ + 1];

int last_array = 0;

void violation(int loop, const oc_array_stats &a, int bank, int reads, int writes, const char *what) {
    if (g_oc_n_violations >= 16) return;
    g_oc_violations[g_oc_n_violations++] = {loop, a.name, bank, reads, writes, what};
}

int find(const void *addr) {
    if (last_array < g_oc_n_arrays && g_oc_arrays[last_array].addr == addr) return last_array;
    for (int k = 0; k < g_oc_n_arrays; ++k)
        if (g_oc_arrays[k].addr == addr) return last_array = k;
    return -1;
}

// End of a window for one array: compare the lane bank sequences with the first ones of that length.
void close_array(int loop, int k) {
    oc_array_stats &a = g_oc_arrays[k];
    for (int kind = 0; kind < 2; ++kind) {
        const int n = a.seq_len[kind];
        if (n < 2) continue;
        seq_record &rec = first_seq[loop][k][kind][n];
        if (!rec.seen) {
            rec.seen = true;
            std::memcpy(rec.banks, a.seq[kind], (size_t)n);
        } else if (std::memcmp(rec.banks, a.seq[kind], (size_t)n) != 0) {
            violation(loop, a, -1, kind ? 0 : n, kind ? n : 0, "lane bank not constant across iterations");
        }
    }
}

}  // namespace

void oc_declare(const void *addr, const char *name, int banks, int ports) {
    int k = find(addr);
    if (k < 0) {
        if (g_oc_n_arrays >= OC_MAX_ARRAYS) return;
        k = g_oc_n_arrays++;
    }
    oc_array_stats &a = g_oc_arrays[k];
    a.addr = addr;
    a.name = name;
    a.banks = banks < OC_MAX_BANKS ? banks : OC_MAX_BANKS;
    a.ports = ports;
    a.window = 0;
}

void oc_iter_begin(int loop) {
    ++g_engine_counters[loop];
    current_loop = loop;
    ++window;
}

void oc_iter_end() {
    if (current_loop == NO_LOOP) return;
    for (int k = 0; k < g_oc_n_arrays; ++k)
        if (g_oc_arrays[k].window == window) close_array(current_loop, k);
    current_loop = NO_LOOP;
}

void oc_access(const void *addr, int bank, bool write) {
    if (current_loop == NO_LOOP) return;  // outside pipelined loops: not an II question
    const int k = find(addr);
    if (k < 0) {
        static oc_array_stats unknown = {nullptr, "(undeclared array)", 1, OC_S2P, 0, {0}, {0}, {0, 0}, {{0}}};
        violation(current_loop, unknown, bank, 0, 0, "access to an array without OC_DECLARE");
        return;
    }
    oc_array_stats &a = g_oc_arrays[k];
    if (a.window != window) {
        a.window = window;
        std::memset(a.reads, 0, sizeof a.reads);
        std::memset(a.writes, 0, sizeof a.writes);
        a.seq_len[0] = a.seq_len[1] = 0;
    }
    if (bank < 0 || bank >= a.banks) {
        violation(current_loop, a, bank, 0, 0, "bank index out of range");
        return;
    }
    uint8_t &count = write ? a.writes[bank] : a.reads[bank];
    if (count < 255) ++count;
    uint8_t &len = a.seq_len[write ? 1 : 0];
    if (len < OC_MAX_SEQ) a.seq[write ? 1 : 0][len++] = (uint8_t)bank;
    const int r = a.reads[bank], w = a.writes[bank];
    // report once per bank and window: at the access that first exceeds the ports
    const bool first_over = a.ports == OC_T2P ? r + w == 3 : (write ? w == 2 : r == 2);
    if (first_over) violation(current_loop, a, bank, r, w, "more accesses to one bank than it has ports");
    oc_loop_array_max &m = g_oc_max[current_loop][k];
    if (r > m.reads) m.reads = r;
    if (w > m.writes) m.writes = w;
}

void oc_reset() {
    std::memset(g_engine_counters, 0, sizeof g_engine_counters);
    std::memset(g_oc_max, 0, sizeof g_oc_max);
    std::memset(first_seq, 0, sizeof first_seq);
    g_oc_n_violations = 0;
    current_loop = NO_LOOP;
}
