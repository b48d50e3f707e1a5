// On-chip array accesses and pipelined-loop iterations, checked in C simulation.
//
// Synthesis sees plain array accesses: OC_RD(a, i) is a[i], OC_RDB(a, b, i) is a[b][i] (b = the bank of an array
// whose first dimension is completely partitioned), OC_WR / OC_WRB the matching writes, ENGINE_ITER(loop)
// nothing. In csim builds (no __SYNTHESIS__) every pipelined loop body starts with ENGINE_ITER(LOOP_x): it counts
// the iteration (the counters the estimate model is checked against) and opens an access window; until the body
// ends, every OC_* access is tallied per array and bank. A window fails the check (oc_violations) when
//   - a bank gets more reads or writes than its ports allow in one cycle (OC_S2P: 1 read + 1 write, the simple
//     dual-port BRAM/URAM/LUTRAM every buffer here is bound to; OC_T2P: any 2), or
//   - an iteration makes two or more reads (or writes) of one banked array and the bank sequence differs from
//     the one an earlier iteration of the same loop made with as many accesses: an unrolled lane whose bank is
//     not a compile-time constant (HLS would build a mux over all banks and serialize the lanes).
// A single access with a runtime bank is a demultiplexer (one candidate access per bank) and passes.
// Arrays are registered with OC_DECLARE(array, banks, ports) where they are declared.
#ifndef PYFLOW_ONCHIP_H
#define PYFLOW_ONCHIP_H

#include "engine_loops.h"

#define OC_S2P 1  // simple dual port: one read and one write per cycle
#define OC_T2P 2  // true dual port: two accesses of any kind per cycle

#ifdef __SYNTHESIS__

#define ENGINE_ITER(loop)
#define OC_DECLARE(array, banks, ports)
#define OC_RD(a, i) ((a)[(i)])
#define OC_WR(a, i, v) ((a)[(i)] = (v))
#define OC_RDB(a, b, i) ((a)[(b)][(i)])
#define OC_WRB(a, b, i, v) ((a)[(b)][(i)] = (v))

#else

#include <stdint.h>

#define OC_MAX_ARRAYS 32
#define OC_MAX_BANKS 64
#define OC_MAX_SEQ 64

struct oc_array_stats {
    const void *addr;
    const char *name;
    int banks, ports;
    // current window
    uint64_t window;
    uint8_t reads[OC_MAX_BANKS], writes[OC_MAX_BANKS];
    uint8_t seq_len[2];
    uint8_t seq[2][OC_MAX_SEQ];
};

struct oc_loop_array_max {  // per loop and array: the most reads / writes of one bank in one iteration
    int reads, writes;
};

struct oc_violation {
    int loop;
    const char *array;
    int bank, reads, writes;
    const char *what;
};

extern uint64_t g_engine_counters[LOOP_COUNT];
extern oc_array_stats g_oc_arrays[OC_MAX_ARRAYS];
extern int g_oc_n_arrays;
extern oc_loop_array_max g_oc_max[LOOP_COUNT][OC_MAX_ARRAYS];
extern oc_violation g_oc_violations[16];
extern int g_oc_n_violations;

void oc_declare(const void *addr, const char *name, int banks, int ports);
void oc_access(const void *addr, int bank, bool write);
void oc_iter_begin(int loop);
void oc_iter_end();
void oc_reset();  // counters, maxima and violations of one layer

struct oc_iteration {
    explicit oc_iteration(int loop) { oc_iter_begin(loop); }
    ~oc_iteration() { oc_iter_end(); }
};

#define OC_CAT2(a, b) a##b
#define OC_CAT(a, b) OC_CAT2(a, b)
#define ENGINE_ITER(loop) oc_iteration OC_CAT(oc_iter_, __LINE__)(loop)
#define OC_DECLARE(array, banks, ports) oc_declare((const void *)(array), #array, (banks), (ports))
#define OC_RD(a, i) (oc_access((const void *)(a), 0, false), (a)[(i)])
#define OC_WR(a, i, v) (oc_access((const void *)(a), 0, true), (a)[(i)] = (v))
#define OC_RDB(a, b, i) (oc_access((const void *)(a), (b), false), (a)[(b)][(i)])
#define OC_WRB(a, b, i, v) (oc_access((const void *)(a), (b), true), (a)[(b)][(i)] = (v))

#endif
#endif
