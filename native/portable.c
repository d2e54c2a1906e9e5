/*
 * portable.c — VerusHash 2.2 in plain C: table AES, software carry-less multiply, scalar
 * PMULHRSW. Runs on any CPU (and compiles to WebAssembly); it is also the readable reference the
 * accelerated files are checked against. Never compile this file with ISA flags (STYLE.md §5).
 */
#include <stdint.h>
#include <string.h>

#include "clmul32.h"

typedef struct {
    uint64_t lo, hi;
} lane_t;

static const uint32_t aes_t[4][256] = {
#include "aes_table.inc"
};

static inline lane_t p_set64(uint64_t lo, uint64_t hi) {
    lane_t v = {lo, hi};
    return v;
}

static inline lane_t p_load(const void *p) {
    lane_t v;
    memcpy(&v.lo, p, 8); /* lanes are little-endian: the library targets LE hosts only */
    memcpy(&v.hi, (const uint8_t *)p + 8, 8);
    return v;
}

static inline void p_store(void *p, lane_t v) {
    memcpy(p, &v.lo, 8);
    memcpy((uint8_t *)p + 8, &v.hi, 8);
}

static inline lane_t p_xor(lane_t a, lane_t b) { return p_set64(a.lo ^ b.lo, a.hi ^ b.hi); }

/* AESENC (spec §4.1) with T-tables: output column c takes row r from input column c + r. */
static inline lane_t p_aesenc(lane_t s, lane_t k) {
    const uint32_t w[4] = {(uint32_t)s.lo, (uint32_t)(s.lo >> 32), (uint32_t)s.hi,
                           (uint32_t)(s.hi >> 32)};
    uint32_t o[4];
    for (int c = 0; c < 4; c++)
        o[c] = aes_t[0][w[c] & 0xff] ^ aes_t[1][(w[(c + 1) & 3] >> 8) & 0xff] ^
               aes_t[2][(w[(c + 2) & 3] >> 16) & 0xff] ^ aes_t[3][w[(c + 3) & 3] >> 24];
    return p_set64((o[0] | (uint64_t)o[1] << 32) ^ k.lo, (o[2] | (uint64_t)o[3] << 32) ^ k.hi);
}

#if defined(__SIZEOF_INT128__) && !defined(VH_PORTABLE_NO_INT128)
/* Carry-less a x b by integer multiplication "with holes": split each operand into the five
 * classes of bit positions mod 5; an integer product of two classes has at most 13 terms per
 * position, so its carries (< 2^4) never reach the next position of the same class, and
 * masking keeps exactly the carry-less bits. 25 multiplies, no table, no data-dependent loads. */
static const uint64_t class5[5] = {0x1084210842108421ull, 0x2108421084210842ull,
                                   0x4210842108421084ull, 0x8421084210842108ull,
                                   0x0842108421084210ull};

static inline lane_t p_clmul(uint64_t a, uint64_t b) {
    uint64_t ac[5], bc[5], lo = 0, hi = 0;
    for (int i = 0; i < 5; i++) ac[i] = a & class5[i], bc[i] = b & class5[i];
    for (int k = 0; k < 5; k++) {
        unsigned __int128 z = 0;
        for (int i = 0; i < 5; i++) z ^= (unsigned __int128)ac[i] * bc[(k + 5 - i) % 5];
        lo |= (uint64_t)z & class5[k];
        hi |= (uint64_t)(z >> 64) & class5[(k + 1) % 5]; /* position 64 + j is class (j + 4) % 5 */
    }
    return p_set64(lo, hi);
}
#else
/* Without 128-bit products (wasm32): the same idea on 32-bit halves (clmul32.h). */
static inline lane_t p_clmul(uint64_t a, uint64_t b) {
    uint64_t lo, hi;
    clmul64_halves(a, b, &lo, &hi);
    return p_set64(lo, hi);
}
#endif

static inline lane_t p_clmul10(lane_t v) { return p_clmul(v.lo, v.hi); }

/* PMULHRSW: per signed 16-bit element, ((a*b + 0x4000) >> 15) truncated (spec §4.3). Written
 * over arrays so compilers can vectorise it with plain SIMD multiplies. */
static inline lane_t p_mulhrs(lane_t a, lane_t b) {
    int16_t x[8], y[8], r[8];
    memcpy(x, &a, 16);
    memcpy(y, &b, 16);
    for (int e = 0; e < 8; e++) r[e] = (int16_t)(((int32_t)x[e] * y[e] + 0x4000) >> 15);
    lane_t v;
    memcpy(&v, r, 16);
    return v;
}

static inline lane_t p_unpacklo32(lane_t a, lane_t b) {
    return p_set64((a.lo & 0xffffffffu) | (b.lo << 32), (a.lo >> 32) | (b.lo & ~0xffffffffull));
}

static inline lane_t p_unpackhi32(lane_t a, lane_t b) {
    return p_set64((a.hi & 0xffffffffu) | (b.hi << 32), (a.hi >> 32) | (b.hi & ~0xffffffffull));
}

#define L_LOAD(p) p_load(p)
#define L_STORE(p, v) p_store((p), (v))
#define L_XOR(a, b) p_xor((a), (b))
#define L_AESENC(s, k) p_aesenc((s), (k))
#define L_CLMUL10(v) p_clmul10(v)
#define L_MULHRS(a, b) p_mulhrs((a), (b))
#define L_UNPACKLO32(a, b) p_unpacklo32((a), (b))
#define L_UNPACKHI32(a, b) p_unpackhi32((a), (b))
#define L_LO64(v) ((v).lo)
#define L_HI64(v) ((v).hi)
#define L_SET64(lo, hi) p_set64((lo), (hi))
#define L_MASK(bit) p_set64(-(uint64_t)(bit), -(uint64_t)(bit))
#define L_BLEND(m, a, b) \
    p_set64(((a).lo & (m).lo) | ((b).lo & ~(m).lo), ((a).hi & (m).hi) | ((b).hi & ~(m).hi))
#define VH_OPS_NAME vh_ops_portable
#define VH_CACHE_CLMUL_P 1
/* One lane: table AES and the software clmul keep the core's units busy with one hash already,
 * so a second interleaved lane measured no faster (make bench). */
#ifndef VH_BEST_LANES
#define VH_BEST_LANES 1
#endif
#ifndef VH_BRANCHLESS
#define VH_BRANCHLESS 0 /* software AES is too dear to compute both outcomes */
#endif
#ifndef VH_BRANCHLESS_MOD
#define VH_BRANCHLESS_MOD 0
#endif
#include "vh_core.h"
