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
 *   VH_OPS_NAME                 the name of the vh_ops table to define
 *   VH_CACHE_CLMUL_P            1 to memoise clmul10 of the four buffer lanes (software clmul)
 *
 * Data layout: the key is an array of lanes in memory (K[j] = bytes 16j..16j+15), so loads and
 * stores through K keep the exact order of spec §5.5 even when pr == px (pitfall 4).
 */
#include <string.h>

#include "vh_internal.h"

#define K_LD(i) L_LOAD(key + 16 * (size_t)(i))
#define K_ST(i, v) L_STORE(key + 16 * (size_t)(i), (v))

/* Haraka v2 round constants RC[0..39], memory order (spec appendix A). */
static const uint8_t vh_rc_bytes[40][16] = {
#include "haraka_rc.inc"
};

/* Five Haraka512 rounds over s[0..3] with round-constant lanes rc (spec §4.2), no feed-forward. */
static inline void haraka512_rounds(lane_t s[4], const uint8_t *rc) {
    for (int r = 0; r < 5; r++) {
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 4; i++)
                s[i] = L_AESENC(s[i], L_LOAD(rc + 16 * (8 * r + 4 * j + i)));
        lane_t t = L_UNPACKLO32(s[0], s[1]);
        s[0] = L_UNPACKHI32(s[0], s[1]);
        s[1] = L_UNPACKLO32(s[2], s[3]);
        s[2] = L_UNPACKHI32(s[2], s[3]);
        s[3] = L_UNPACKLO32(s[0], s[2]);
        s[0] = L_UNPACKHI32(s[0], s[2]);
        s[2] = L_UNPACKHI32(s[1], t);
        s[1] = L_UNPACKLO32(s[1], t);
    }
}

/* Haraka512 of the lanes in[0..3]; writes the 32-byte truncated output as 4 words. */
static inline void haraka512_words(const lane_t in[4], const uint8_t *rc, uint64_t w[4]) {
    lane_t s[4] = {in[0], in[1], in[2], in[3]};
    haraka512_rounds(s, rc);
    w[0] = L_HI64(L_XOR(s[0], in[0]));
    w[1] = L_HI64(L_XOR(s[1], in[1]));
    w[2] = L_LO64(L_XOR(s[2], in[2]));
    w[3] = L_LO64(L_XOR(s[3], in[3]));
}

static inline void store_words(const uint64_t w[4], uint8_t out[32]) {
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 8; b++) out[8 * i + b] = (uint8_t)(w[i] >> (8 * b));
}

/* Spec §5.1. */
static void core_absorb(const uint8_t *in, uint32_t nchunks, uint8_t H[32]) {
    const uint8_t *rc = &vh_rc_bytes[0][0];
    lane_t h0 = L_SET64(0, 0), h1 = L_SET64(0, 0);
    for (uint32_t c = 0; c < nchunks; c++) {
        lane_t s[4] = {h0, h1, L_LOAD(in + 32 * (size_t)c), L_LOAD(in + 32 * (size_t)c + 16)};
        uint64_t w[4];
        haraka512_words(s, rc, w);
        h0 = L_SET64(w[0], w[1]);
        h1 = L_SET64(w[2], w[3]);
    }
    L_STORE(H, h0);
    L_STORE(H + 16, h1);
}

/* Spec §5.3: X_0 = Haraka256(H), X_i = Haraka256(X_{i-1}); K = X_0 ‖ … ‖ X_275. */
static void core_keygen(const uint8_t H[32], uint8_t *key) {
    const uint8_t *rc = &vh_rc_bytes[0][0];
    lane_t x0 = L_LOAD(H), x1 = L_LOAD(H + 16);
    for (int i = 0; i < VH_KEY_LANES / 2; i++) {
        lane_t s0 = x0, s1 = x1;
        for (int r = 0; r < 5; r++) {
            for (int j = 0; j < 2; j++) {
                s0 = L_AESENC(s0, L_LOAD(rc + 16 * (4 * r + 2 * j)));
                s1 = L_AESENC(s1, L_LOAD(rc + 16 * (4 * r + 2 * j + 1)));
            }
            lane_t t = L_UNPACKLO32(s0, s1);
            s1 = L_UNPACKHI32(s0, s1);
            s0 = t;
        }
        x0 = L_XOR(s0, x0);
        x1 = L_XOR(s1, x1);
        K_ST(2 * i, x0);
        K_ST(2 * i + 1, x1);
    }
}

/* AES2 then MIX2 (spec §4.3), round keys K[base..base+3]. */
static inline void aes2_mix2(lane_t *x, lane_t *y, const uint8_t *key, uint32_t base) {
    lane_t a = L_AESENC(*x, K_LD(base));
    lane_t b = L_AESENC(*y, K_LD(base + 1));
    a = L_AESENC(a, K_LD(base + 2));
    b = L_AESENC(b, K_LD(base + 3));
    *x = L_UNPACKLO32(a, b);
    *y = L_UNPACKHI32(a, b);
}

/* (uint32)((int64)lo % (int32)sel): the C remainder of spec §5.5 cases 0x0c and 0x18. */
static inline lane_t mod_lane(uint64_t dividend, uint64_t sel) {
    int64_t m = (int64_t)dividend % (int64_t)(int32_t)(uint32_t)sel;
    return L_SET64((uint32_t)m, 0);
}

#if VH_CACHE_CLMUL_P
/* clmul10 of buffer lane i, computed at most once per hash. */
#define CLP(i) (((cached >> (i)) & 1) ? cpb[i] : (cached |= 1u << (i), cpb[i] = L_CLMUL10(pb[i])))
#else
#define CLP(i) L_CLMUL10(pb[i])
#endif

/* CLHash 2.2 (spec §5.4–5.6) over pb[0..3], mutating key lanes; records the 64 written lane
 * indexes in `touched` so the caller can restore them. Returns the 64-bit intermediate I. */
static inline uint64_t clhash22(const lane_t pb[4], uint8_t *key, uint16_t touched[64]) {
#if VH_CACHE_CLMUL_P
    lane_t cpb[4];
    unsigned cached = 0;
#endif
    lane_t acc = K_LD(513);
    for (int it = 0; it < 32; it++) {
        const uint64_t sel = L_LO64(acc);
        const uint32_t pr = (uint32_t)(sel >> 5) & 511, px = (uint32_t)(sel >> 32) & 511;
        const unsigned p = (unsigned)sel & 3, o = p ^ 1;
        const lane_t P = pb[p], O = pb[o];
        touched[2 * it] = (uint16_t)pr;
        touched[2 * it + 1] = (uint16_t)px;
        switch (sel & 0x1c) {
        case 0x00: {
            lane_t t1 = K_LD(px);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t1, O)));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(pr);
            K_ST(pr, ta);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, P)));
            K_ST(px, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 0x04: {
            lane_t t1 = K_LD(pr);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t1, P)));
            acc = L_XOR(acc, CLP(p));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(px);
            K_ST(px, ta);
            acc = L_XOR(acc, L_XOR(t12, O));
            K_ST(pr, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 0x08: {
            lane_t t1 = K_LD(px);
            acc = L_XOR(acc, L_XOR(t1, P));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(pr);
            K_ST(pr, ta);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, O)));
            acc = L_XOR(acc, CLP(o));
            K_ST(px, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 0x0c: {
            lane_t t1 = K_LD(pr);
            acc = L_XOR(acc, L_XOR(t1, O));
            const uint64_t dividend = L_LO64(acc);
            acc = L_XOR(acc, mod_lane(dividend, sel));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            if (dividend & 1) {
                lane_t t12 = K_LD(px);
                K_ST(px, ta);
                acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, P)));
                acc = L_XOR(acc, CLP(p));
                K_ST(pr, L_XOR(L_MULHRS(acc, t12), t12));
            } else {
                lane_t t = K_LD(px);
                K_ST(px, ta);
                K_ST(pr, t);
                acc = L_XOR(acc, P);
            }
            break;
        }
        case 0x10: {
            lane_t x = O, y = P;
            aes2_mix2(&x, &y, key, pr);
            aes2_mix2(&x, &y, key, pr + 4);
            aes2_mix2(&x, &y, key, pr + 8);
            acc = L_XOR(acc, L_XOR(x, y));
            lane_t a = K_LD(pr);
            lane_t b = L_XOR(a, L_MULHRS(acc, a));
            lane_t c = K_LD(px);
            K_ST(px, b);
            K_ST(pr, c);
            break;
        }
        case 0x14: {
            uint32_t ptr = pr, aoff = 0;
            for (int rounds = (int)(sel >> 61); rounds >= 0; rounds--) {
                lane_t k = K_LD(ptr);
                ptr++;
                if ((sel >> (28 + rounds)) & 1) {
                    acc = L_XOR(acc, L_CLMUL10(L_XOR(k, (rounds & 1) ? P : O)));
                } else {
                    lane_t y = (rounds & 1) ? O : P;
                    aes2_mix2(&k, &y, key, ptr + aoff); /* ptr already advanced: pitfall 6 */
                    aoff += 4;
                    acc = L_XOR(L_XOR(acc, k), y);
                }
            }
            lane_t a = K_LD(pr);
            lane_t b = L_XOR(a, L_MULHRS(acc, a));
            lane_t c = K_LD(px);
            K_ST(px, b);
            K_ST(pr, c);
            break;
        }
        case 0x18: {
            uint32_t ptr = pr;
            lane_t k = L_SET64(0, 0); /* always assigned: the loop runs at least once */
            for (int rounds = (int)(sel >> 61); rounds >= 0; rounds--) {
                k = K_LD(ptr);
                ptr++;
                if ((sel >> (28 + rounds)) & 1) {
                    k = L_XOR(k, (rounds & 1) ? P : O);
                    acc = L_XOR(acc, mod_lane(L_LO64(k), sel));
                } else {
                    k = L_CLMUL10(L_XOR(k, (rounds & 1) ? O : P));
                    acc = L_XOR(acc, L_MULHRS(acc, k));
                }
            }
            lane_t t = L_XOR(K_LD(px), acc);
            K_ST(px, k); /* the value derived in the last step, not a loaded lane */
            K_ST(pr, t);
            break;
        }
        default: { /* 0x1c */
            lane_t t2 = K_LD(px);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(P, t2)));
            lane_t a2 = L_XOR(L_MULHRS(acc, t2), t2);
            lane_t a3 = K_LD(pr);
            K_ST(pr, a2);
            acc = L_XOR(acc, a3);
            acc = L_XOR(acc, O);
            K_ST(px, L_XOR(L_MULHRS(acc, a3), a3));
            break;
        }
        }
    }
    /* Spec §5.6: length term, then reduce modulo x^64 + x^4 + x^3 + x + 1. */
    acc = L_XOR(acc, L_SET64(0x10000, 0));
    lane_t q2 = L_CLMUL10(L_SET64(L_HI64(acc), 0x1b));
    lane_t q3 = L_CLMUL10(L_SET64(L_HI64(q2), 0x1b));
    return L_LO64(acc) ^ L_LO64(q2) ^ L_LO64(q3);
}

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
    uint64_t I = clhash22(pb, key, touched);
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
    uint16_t touched[64];
    int32_t n_found = 0;
    const uint64_t end = (uint64_t)start + count;
    for (uint64_t n = start; n < end; n++) {
        const uint64_t hi = hi2 | (n << 24);
        const lane_t b2 = L_SET64(lo2, hi);
        const lane_t pb[4] = {L_XOR(b0, b2), pb1, b2, b3};
        const uint64_t I = clhash22(pb, key, touched);
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
