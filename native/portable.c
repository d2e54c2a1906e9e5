/*
 * portable.c — VerusHash 2.2 in plain C: table AES, software carry-less multiply, scalar
 * PMULHRSW. Runs on any CPU (and compiles to WebAssembly); it is also the readable reference the
 * accelerated files are checked against. Never compile this file with ISA flags (STYLE.md §5).
 */
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t lo, hi;
} lane_t;

static const uint32_t aes_t0[256] = {
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

static inline uint32_t rotl32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/* AESENC (spec §4.1) with one T-table: output column c takes row r from input column c + r. */
static inline lane_t p_aesenc(lane_t s, lane_t k) {
    const uint32_t w[4] = {(uint32_t)s.lo, (uint32_t)(s.lo >> 32), (uint32_t)s.hi,
                           (uint32_t)(s.hi >> 32)};
    uint32_t o[4];
    for (int c = 0; c < 4; c++)
        o[c] = aes_t0[w[c] & 0xff] ^ rotl32(aes_t0[(w[(c + 1) & 3] >> 8) & 0xff], 8) ^
               rotl32(aes_t0[(w[(c + 2) & 3] >> 16) & 0xff], 16) ^
               rotl32(aes_t0[w[(c + 3) & 3] >> 24], 24);
    return p_set64((o[0] | (uint64_t)o[1] << 32) ^ k.lo, (o[2] | (uint64_t)o[3] << 32) ^ k.hi);
}

/* Carry-less a x b, 4 bits of b at a time. m[i] holds a x i in 67 bits (lo word and the 3 bits
 * that spill over), so each step is a 128-bit shift-by-4 and one table xor. */
static inline lane_t p_clmul(uint64_t a, uint64_t b) {
    uint64_t ml[16], mh[16];
    ml[0] = 0, mh[0] = 0;
    ml[1] = a, mh[1] = 0;
    for (int i = 2; i < 16; i += 2) {
        ml[i] = ml[i >> 1] << 1;
        mh[i] = (mh[i >> 1] << 1) | (ml[i >> 1] >> 63);
        ml[i + 1] = ml[i] ^ a;
        mh[i + 1] = mh[i];
    }
    uint64_t lo = ml[b >> 60], hi = mh[b >> 60];
    for (int s = 56; s >= 0; s -= 4) {
        const unsigned n = (unsigned)(b >> s) & 15;
        hi = (hi << 4) | (lo >> 60);
        lo = (lo << 4) ^ ml[n];
        hi ^= mh[n];
    }
    return p_set64(lo, hi);
}

static inline lane_t p_clmul10(lane_t v) { return p_clmul(v.lo, v.hi); }

/* PMULHRSW: per signed 16-bit element, ((a*b + 0x4000) >> 15) truncated (spec §4.3). */
static inline lane_t p_mulhrs(lane_t a, lane_t b) {
    uint64_t r[2];
    const uint64_t av[2] = {a.lo, a.hi}, bv[2] = {b.lo, b.hi};
    for (int h = 0; h < 2; h++) {
        uint64_t acc = 0;
        for (int e = 0; e < 4; e++) {
            const int32_t x = (int16_t)(uint16_t)(av[h] >> (16 * e));
            const int32_t y = (int16_t)(uint16_t)(bv[h] >> (16 * e));
            acc |= (uint64_t)(uint16_t)((x * y + 0x4000) >> 15) << (16 * e);
        }
        r[h] = acc;
    }
    return p_set64(r[0], r[1]);
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
#define VH_OPS_NAME vh_ops_portable
#define VH_CACHE_CLMUL_P 1
#include "vh_core.h"
