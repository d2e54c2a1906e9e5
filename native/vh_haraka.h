/*
 * vh_haraka.h — Haraka v2 (spec §4.2) and the two per-job steps built on it: absorb (§5.1) and
 * key generation (§5.3). Part of the vh_core.h template: expects lane_t and the L_* primitives.
 */
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

/* AES2 then MIX2 (spec §4.3), round keys K[base..base+3]. An includer whose AES is cheaper on
 * another representation of the state defines VH_AES2_MIX2 as its own function of the same
 * signature (wasm_simd.c: four 32-bit columns, where the unpacks are only renamings). */
#ifdef VH_AES2_MIX2
#define aes2_mix2 VH_AES2_MIX2
#else
static inline void aes2_mix2(lane_t *x, lane_t *y, const uint8_t *key, uint32_t base) {
    lane_t a = L_AESENC(*x, K_LD(base));
    lane_t b = L_AESENC(*y, K_LD(base + 1));
    a = L_AESENC(a, K_LD(base + 2));
    b = L_AESENC(b, K_LD(base + 3));
    *x = L_UNPACKLO32(a, b);
    *y = L_UNPACKHI32(a, b);
}
#endif
