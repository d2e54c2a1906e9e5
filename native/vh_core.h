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
 *   L_CLMUL_1B(h)               optional: clmul10 of the lane (h, 0x1b), the final reduction
 *                               (spec §5.6), for builds where shifts beat a software clmul
 *
 * Data layout: the key is an array of lanes in memory (K[j] = bytes 16j..16j+15), so loads and
 * stores through K keep the exact order of spec §5.5 even when pr == px (pitfall 4).
 */
#include <string.h>

#include "vh_internal.h"

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
    uint64_t I = clhash22(pb, key, touched, pb, 0);
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

/* Spec §7.2 with r = 15. The tail sits in buffer bytes 32..46: tail[0..7] is lo64 of lane 2,
 * tail[8..14] is bytes 0..6 of its hi64, and byte 7 of hi64 (B[47]) is the fill byte. The
 * counter tail[11..14] is therefore hi64 bits 24..55. After the CLHash the fill is I: B[47] = I0
 * and lane 3 = (I rotated right by 8 bits) twice (spec §5.7). */
static int32_t core_scan(const uint8_t H[32], const uint8_t tail[15], uint32_t start,
                         uint32_t count, const uint8_t target[32], uint8_t *key,
                         const uint8_t *pristine, uint32_t *found, uint32_t max_found) {
    uint8_t T[16];
    memcpy(T, tail, 15);
    T[15] = H[0];
    const uint64_t lo2 = le64(T), hi2 = le64(T + 8) & ~(0xffffffffull << 24);
    const lane_t b0 = L_LOAD(H), b1 = L_LOAD(H + 16);
    uint8_t F[16];
    for (int k = 0; k < 16; k++) F[k] = H[(k + 1) % 16];
    const lane_t b3 = L_LOAD(F);
    const lane_t pb1 = L_XOR(b1, b3);
    uint64_t t[4];
    for (int i = 0; i < 4; i++) t[i] = le64(target + 8 * i);
#if VH_CACHE_CLMUL_P
    /* buffer lanes 1 and 3 are the same for every nonce: their clmul10 once for the whole scan */
    const lane_t known[4] = {pb1, L_CLMUL10(pb1), b3, L_CLMUL10(b3)};
    const unsigned known_mask = 0xa;
#else
    const lane_t known[4] = {pb1, pb1, b3, b3};
    const unsigned known_mask = 0;
#endif
    uint16_t touched[64];
    int32_t n_found = 0;
    const uint64_t end = (uint64_t)start + count;
    for (uint64_t n = start; n < end; n++) {
        const uint64_t hi = hi2 | (n << 24);
        const lane_t b2 = L_SET64(lo2, hi);
        const lane_t pb[4] = {L_XOR(b0, b2), pb1, b2, b3};
        const uint64_t I = clhash22(pb, key, touched, known, known_mask);
        const uint64_t rot = (I >> 8) | (I << 56);
        const lane_t fin[4] = {b0, b1, L_SET64(lo2, (hi & 0x00ffffffffffffffull) | (I << 56)),
                               L_SET64(rot, rot)};
        uint64_t w[4];
        haraka512_words(fin, key + 16 * (size_t)(I & 511), w);
        restore_touched(key, pristine, touched);
        if (w[3] <= t[3] && words_le_target(w, t)) {
            found[n_found++] = (uint32_t)n;
            if ((uint32_t)n_found >= max_found) break;
        }
    }
    return n_found;
}

const vh_ops VH_OPS_NAME = {core_absorb, core_keygen, core_finish, core_scan};

#undef CLP
#undef K_LD
#undef K_ST
#undef aes2_mix2
