/*
 * vh_core.h — VerusHash 2.2 written once over an abstract 16-byte "lane" (spec §4–§7).
 *
 * Each instruction-set file (portable.c, x86_aesni.c, arm_crypto.c) defines the lane type and
 * its primitives, then includes this file, which expands into that file's vh_ops table. This
 * keeps one copy of the algorithm while every hot loop is compiled with its own ISA flags and
 * fully inlined. The includer defines, before including:
 *
 *   lane_t                      a 16-byte value
 *   L_LOAD(p) / L_STORE(p, v)   unaligned load/store of 16 bytes at p
 *   L_XOR(a, b)                 bytewise xor
 *   L_AESENC(s, k)              one AES encryption round, exactly x86 AESENC (spec §4.1)
 *   L_CLMUL10(v)                carry-less lo(v) x hi(v) as a lane (spec §4.3)
 *   L_MULHRS(a, b)              PMULHRSW on 8 signed 16-bit elements (spec §4.3)
 *   L_UNPACKLO32 / L_UNPACKHI32 PUNPCKLDQ / PUNPCKHDQ
 *   L_LO64(v) / L_HI64(v)       bytes 0..7 / 8..15 as little-endian uint64
 *   L_SET64(lo, hi)             the lane with those halves
 *   L_MASK(bit) / L_BLEND(m,a,b) an all-ones/all-zero lane from a 0/1 bit; (a & m) | (b & ~m)
 *   VH_OPS_NAME                 the name of the vh_ops table to define
 *   VH_CACHE_CLMUL_P            1 to memoise clmul10 of the four buffer lanes (software clmul)
 *   VH_BRANCHLESS(_MOD)         1 to select instead of branch on data bits (see vh_clhash.h)
 *   VH_AES2_MIX2                optional: its own AES2+MIX2 function (see vh_haraka.h)
 *   VH_BEST_LANES               optional: the scan's default lane count (1..VH_LANES_MAX)
 *   L_CLMUL_1B(h)               optional: clmul10 of the lane (h, 0x1b), the final reduction
 *                               (spec §5.6), for builds where shifts beat a software clmul
 *
 * Data layout: the key is an array of lanes in memory (K[j] = bytes 16j..16j+15), so loads and
 * stores through K keep the exact order of spec §5.5 even when pr == px (pitfall 4).
 */
#include <string.h>

#include "vh_internal.h"

#ifndef VH_BEST_LANES
#define VH_BEST_LANES 2 /* the lane count vh_scan uses unless told (measured per build) */
#endif

#define K_LD(i) L_LOAD(key + 16 * (size_t)(i))
#define K_ST(i, v) L_STORE(key + 16 * (size_t)(i), (v))

#include "vh_haraka.h"
#include "vh_clhash.h"

static inline void restore_touched(uint8_t *key, const uint8_t *pristine,
                                   const uint16_t touched[64]) {
    for (int i = 0; i < 64; i++) {
        const size_t j = touched[i];
        L_STORE(key + 16 * j, L_LOAD(pristine + 16 * j));
    }
}

/* Spec §5.2–5.7 for any tail length r (0..31). */
static void core_finish(const uint8_t H[32], const uint8_t *tail, uint32_t r, uint8_t *key,
                        const uint8_t *pristine, uint8_t out[32]) {
    uint8_t B[64];
    uint16_t touched[64];
    memcpy(B, H, 32);
    memcpy(B + 32, tail, r);
    for (uint32_t k = 0; k < 32 - r; k++) B[32 + r + k] = H[k % 16];
    lane_t b[4] = {L_LOAD(B), L_LOAD(B + 16), L_LOAD(B + 32), L_LOAD(B + 48)};
    lane_t pb[4] = {L_XOR(b[0], b[2]), L_XOR(b[1], b[3]), b[2], b[3]};
    clp_memo memo = {.have = 0};
    uint64_t I = clhash22(pb, key, touched, &memo);
    for (uint32_t k = 0; k < 32 - r; k++) B[32 + r + k] = (uint8_t)(I >> (8 * (k % 8)));
    lane_t fin[4] = {b[0], b[1], L_LOAD(B + 32), L_LOAD(B + 48)};
    uint64_t w[4];
    haraka512_words(fin, key + 16 * (size_t)(I & 511), w);
    restore_touched(key, pristine, touched);
    store_words(w, out);
}

/* LE256(w) <= LE256(target), most significant word first. */
static inline int words_le_target(const uint64_t w[4], const uint64_t t[4]) {
    for (int i = 3; i >= 0; i--)
        if (w[i] != t[i]) return w[i] < t[i];
    return 1;
}

static inline uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* What a scan of one job needs per nonce, computed once per vh_scan call (spec §7.2, r = 15).
 * The tail sits in buffer bytes 32..46: tail[0..7] is lo64 of lane 2, tail[8..14] is bytes 0..6
 * of its hi64, and byte 7 of hi64 (B[47]) is the fill byte. The counter tail[11..14] is
 * therefore hi64 bits 24..55. After the CLHash the fill is I: B[47] = I0 and lane 3 = (I rotated
 * right by 8 bits) twice (spec §5.7). */
typedef struct {
    uint64_t lo2, hi2; /* lane 2 without the counter */
    lane_t b0, b1, b3, pb1;
    clp_memo known; /* clmul10 of the nonce-independent buffer lanes 1 and 3 (software clmul) */
} scan_job;

static void scan_job_init(scan_job *j, const uint8_t H[32], const uint8_t tail[15]) {
    uint8_t T[16], F[16];
    memcpy(T, tail, 15);
    T[15] = H[0];
    j->lo2 = le64(T);
    j->hi2 = le64(T + 8) & ~(0xffffffffull << 24);
    j->b0 = L_LOAD(H);
    j->b1 = L_LOAD(H + 16);
    for (int k = 0; k < 16; k++) F[k] = H[(k + 1) % 16];
    j->b3 = L_LOAD(F);
    j->pb1 = L_XOR(j->b1, j->b3);
    j->known.have = 0;
#if VH_CACHE_CLMUL_P
    j->known.v[1] = L_CLMUL10(j->pb1);
    j->known.v[3] = L_CLMUL10(j->b3);
    j->known.have = 0xa;
#endif
}

/* The hashes of nonces n .. n+NL-1 as words, lane l on key copy keys[l]. The lanes' CLHash steps
 * are interleaved: each is a serial chain of 32 data-dependent steps, and a core has room for
 * several; one lane's latency and mispredicted case dispatch fill the others' stalls. Every key
 * copy is restored from `pristine` before returning. NL is a constant after inlining. */
static inline __attribute__((always_inline)) void
hash_lanes(const int NL, const scan_job *j, uint64_t n, uint8_t (*keys)[VH_KEY_BYTES],
           const uint8_t *pristine, uint64_t w[][4]) {
    lane_t pb[VH_LANES_MAX][4], acc[VH_LANES_MAX];
    uint64_t hi[VH_LANES_MAX];
    uint16_t touched[VH_LANES_MAX][64];
    clp_memo memo[VH_LANES_MAX];
#pragma GCC unroll 8
    for (int l = 0; l < NL; l++) {
        hi[l] = j->hi2 | ((n + (uint64_t)l) << 24);
        const lane_t b2 = L_SET64(j->lo2, hi[l]);
        pb[l][0] = L_XOR(j->b0, b2);
        pb[l][1] = j->pb1;
        pb[l][2] = b2;
        pb[l][3] = j->b3;
        memo[l] = j->known;
        acc[l] = L_LOAD(keys[l] + 16 * 513);
    }
    for (int it = 0; it < 32; it++) {
#pragma GCC unroll 8
        for (int l = 0; l < NL; l++)
            acc[l] = clhash_step(acc[l], pb[l], keys[l], touched[l] + 2 * it, &memo[l]);
    }
#pragma GCC unroll 8
    for (int l = 0; l < NL; l++) {
        const uint64_t I = clhash_final(acc[l]);
        const uint64_t rot = (I >> 8) | (I << 56);
        const lane_t fin[4] = {j->b0, j->b1,
                               L_SET64(j->lo2, (hi[l] & 0x00ffffffffffffffull) | (I << 56)),
                               L_SET64(rot, rot)};
        haraka512_words(fin, keys[l] + 16 * (size_t)(I & 511), w[l]);
    }
#pragma GCC unroll 8
    for (int l = 0; l < NL; l++) restore_touched(keys[l], pristine, touched[l]);
}

/* Scans [n, end) NL nonces at a time (end - n a multiple of NL); semantics of vh_scan. */
static inline __attribute__((always_inline)) int32_t
scan_range(const int NL, const scan_job *j, uint64_t n, uint64_t end, const uint64_t t[4],
           uint8_t (*keys)[VH_KEY_BYTES], const uint8_t *pristine, uint32_t *found, int32_t n_found,
           uint32_t max_found) {
    for (; n < end; n += (uint64_t)NL) {
        uint64_t w[VH_LANES_MAX][4];
        hash_lanes(NL, j, n, keys, pristine, w);
        for (int l = 0; l < NL; l++) {
            if (w[l][3] <= t[3] && words_le_target(w[l], t)) {
                found[n_found++] = (uint32_t)(n + (uint64_t)l);
                if ((uint32_t)n_found >= max_found) return n_found;
            }
        }
    }
    return n_found;
}

static int32_t core_scan(const uint8_t H[32], const uint8_t tail[15], uint32_t start,
                         uint32_t count, const uint8_t target[32], uint8_t (*keys)[VH_KEY_BYTES],
                         uint32_t lanes, const uint8_t *pristine, uint32_t *found,
                         uint32_t max_found) {
    scan_job j;
    scan_job_init(&j, H, tail);
    uint64_t t[4];
    for (int i = 0; i < 4; i++) t[i] = le64(target + 8 * i);
    const uint64_t end = (uint64_t)start + count;
    const uint64_t wide_end = end - count % lanes; /* the rest goes one lane at a time */
    int32_t n_found = 0;
    switch (lanes) {
    case 2:
        n_found = scan_range(2, &j, start, wide_end, t, keys, pristine, found, 0, max_found);
        break;
    case 3:
        n_found = scan_range(3, &j, start, wide_end, t, keys, pristine, found, 0, max_found);
        break;
    case 4:
        n_found = scan_range(4, &j, start, wide_end, t, keys, pristine, found, 0, max_found);
        break;
    default:
        return scan_range(1, &j, start, end, t, keys, pristine, found, 0, max_found);
    }
    if ((uint32_t)n_found >= max_found) return n_found;
    return scan_range(1, &j, wide_end, end, t, keys, pristine, found, n_found, max_found);
}

const vh_ops VH_OPS_NAME = {core_absorb, core_keygen, core_finish, core_scan, VH_BEST_LANES};

#undef CLP
#undef K_LD
#undef K_ST
#undef aes2_mix2
