/*
 * wasm_simd.c — VerusHash 2.2 with WebAssembly SIMD (128-bit lanes), for browsers and Bun. The
 * only file compiled with -msimd128 (STYLE.md §5); it exists only in the SIMD build of the module
 * (build/wasm/verushash-simd.wasm), where dispatch.c makes it "auto".
 *
 * WebAssembly has neither AES nor carry-less multiply. What is here, and why (measured in headless
 * Chromium and in Bun on the 2-core EPYC; whole-hash numbers per technique: `make bench-wasm`):
 * - AES (VH_WASM_AES): 0, the default, is the T-table round of portable.c. AES2+MIX2 keeps its
 *   state as four 32-bit columns in scalar registers (VH_WASM_AES_COLUMNS: the MIX2 unpacks are
 *   then only renamings and the round keys are read as words), which cuts a dependent round from
 *   ~6.9 to ~4 ns in V8.
 *   1 is Hamburg's vector-permute S-box: 11 i8x16.swizzle lookups in 16-entry tables (tower
 *   field, scripts/gen-wasm-aes-tables.ts) plus shifts for MixColumns. Exact, but slower here:
 *   V8 pays a saturating add for every swizzle and the shuffle ports are few, so a round takes
 *   ~5.5 ns even with four independent blocks (~3.8 ns for tables), ~14 ns when dependent, and
 *   JavaScriptCore is slower still. (i8x16.relaxed_swizzle drops the add but still measured 4.0 /
 *   11 ns, and needs a newer clang.) Kept selectable so the measurement can be repeated.
 * - clmul (VH_WASM_CLMUL): 1, the default, multiplies "with holes" in i32x4 lanes: 16-bit pieces
 *   masked to every third bit multiply exactly in 32 bits (at most 6 terms per position, so the
 *   carries never reach the next position of the same class); Karatsuba on the 32-bit halves needs
 *   three 32x32 products, one vector of four piece products each: 8.4 ns per clmul where
 *   portable.c's scalar 32-bit version (0) takes 13. The final reduction's two products by 0x1b
 *   are shifts (L_CLMUL_1B), and the scan computes those of the two nonce-independent buffer lanes
 *   once (vh_clhash.h): 7 % fewer instructions per hash.
 * - PMULHRSW is i16x8.q15mulr_sat_s, which differs only for -32768 x -32768 (it saturates to
 *   0x7fff where PMULHRSW wraps to 0x8000); that lane is flipped back.
 * - Every vector constant is loaded from memory (vh_wasm_consts below).
 */
#if defined(__wasm_simd128__)
#include <stdint.h>
#include <string.h>
#include <wasm_simd128.h>

#include "clmul32.h"

#ifndef VH_WASM_AES
#define VH_WASM_AES 0
#endif
#ifndef VH_WASM_CLMUL
#define VH_WASM_CLMUL 1
#endif
#ifndef VH_WASM_AES_COLUMNS /* 0: the table AES takes and gives a vector at every round */
#define VH_WASM_AES_COLUMNS 1
#endif

typedef v128_t lane_t;

/* Every vector constant is read from memory, from this global, with one v128.load. A v128.const
 * or a splat of an immediate looks free in the wasm, but V8 rebuilds it from immediates at each
 * use inside a function this large (3–4 x86 instructions). It is writable only so that the
 * compiler cannot fold the loads back into constants; nothing writes it. Hidden: not exported. */
typedef union {
    uint8_t b[16];
    uint8_t w[4][4];
    v128_t v;
} v128_bytes;

#define BYTES32(x) {(x) & 0xff, ((x) >> 8) & 0xff, ((x) >> 16) & 0xff, (uint8_t)((x) >> 24)}
#define SPLAT32(x) {.w = {BYTES32(x), BYTES32(x), BYTES32(x), BYTES32(x)}}
#define SPLAT8(x) SPLAT32(0x01010101u * (x))

#include "wasm_aes_vperm.inc"

__attribute__((visibility("hidden"), aligned(16))) struct {
    v128_bytes hole[3], hole_wide[3], i16min;
#if VH_WASM_AES
    v128_bytes m0f, c63, sr;
    v128_bytes ipt_lo, ipt_hi, inv, inva, sb_u, sb_t, sb2_u, sb2_t;
#endif
} vh_wasm_consts = {
    /* clmul: every third bit of a 16-bit piece, and of its 32-bit product, by class */
    .hole = {SPLAT32(0x9249u), SPLAT32(0x2492u), SPLAT32(0x4924u)},
    .hole_wide = {SPLAT32(0x49249249u), SPLAT32(0x92492492u), SPLAT32(0x24924924u)},
    .i16min = SPLAT32(0x80008000u),
#if VH_WASM_AES
    .m0f = SPLAT8(0x0f),
    .c63 = SPLAT8(0x63),
    .sr = {.b = {0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11}}, /* ShiftRows */
    .ipt_lo = {.b = VP_IPT_LO}, .ipt_hi = {.b = VP_IPT_HI}, .inv = {.b = VP_INV},
    .inva = {.b = VP_INVA}, .sb_u = {.b = VP_SB_U}, .sb_t = {.b = VP_SB_T},
    .sb2_u = {.b = VP_SB2_U}, .sb2_t = {.b = VP_SB2_T},
#endif
};
#define K(name) wasm_v128_load(&vh_wasm_consts.name)

/* ------------------------------------------------------------------------------------ AES */
#if VH_WASM_AES
#define SWZ(t, i) wasm_i8x16_swizzle(K(t), (i))
/* A byte rotation inside each 32-bit column (row r takes row r + 1): shifts need no constant. */
#define ROT8(v) wasm_v128_or(wasm_u32x4_shr((v), 8), wasm_i32x4_shl((v), 24))
#define ROT24(v) wasm_v128_or(wasm_u32x4_shr((v), 24), wasm_i32x4_shl((v), 8))

/* AESENC (spec §4.1) = MixColumns(ShiftRows(SubBytes(s))) ^ k. ShiftRows first (it commutes
 * with SubBytes); S(x) = S'(x) ^ 0x63 with S' linear in the table outputs, and MixColumns maps a
 * column of equal bytes to itself, so the 0x63 is added once, with the key. */
static inline lane_t w_aesenc(lane_t s, lane_t k) {
    const v128_t m0f = K(m0f);
    const v128_t x = wasm_i8x16_swizzle(s, K(sr));
    /* into the tower field: y = phi(x), hi = i and lo = k of i t + k */
    const v128_t y = wasm_v128_xor(SWZ(ipt_lo, wasm_v128_and(x, m0f)),
                                   SWZ(ipt_hi, wasm_v128_and(wasm_u16x8_shr(x, 4), m0f)));
    const v128_t lo = wasm_v128_and(y, m0f), hi = wasm_v128_and(wasm_u16x8_shr(y, 4), m0f);
    const v128_t j = wasm_v128_xor(hi, lo);
    const v128_t ak = SWZ(inva, lo);
    const v128_t io = wasm_v128_xor(SWZ(inv, wasm_v128_xor(SWZ(inv, hi), ak)), j);
    const v128_t jo = wasm_v128_xor(SWZ(inv, wasm_v128_xor(SWZ(inv, j), ak)), hi);
    const v128_t a1 = wasm_v128_xor(SWZ(sb_u, io), SWZ(sb_t, jo));   /* S'(x) */
    const v128_t a2 = wasm_v128_xor(SWZ(sb2_u, io), SWZ(sb2_t, jo)); /* 2 S'(x) */
    /* MixColumns, row r of a column: 2a_r + 3a_{r+1} + a_{r+2} + a_{r+3} */
    const v128_t t = wasm_v128_xor(a2, ROT8(a1)); /* 2a_r + a_{r+1} */
    const v128_t mc = wasm_v128_xor(wasm_v128_xor(t, ROT24(a1)), ROT8(t));
    return wasm_v128_xor(mc, wasm_v128_xor(k, K(c63)));
}
#else
static const uint32_t aes_t[4][256] = {
#include "aes_table.inc"
};

/* The state as four 32-bit columns, in scalar registers. */
typedef struct {
    uint32_t c[4];
} cols;

static inline uint32_t load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline cols cols_of(lane_t v) {
    const cols r = {{wasm_i32x4_extract_lane(v, 0), wasm_i32x4_extract_lane(v, 1),
                     wasm_i32x4_extract_lane(v, 2), wasm_i32x4_extract_lane(v, 3)}};
    return r;
}

/* SubBytes, ShiftRows and MixColumns with T-tables (portable.c): output column c takes row r
 * from input column c + r. */
static inline uint32_t t_column(const cols *s, int c) {
    return aes_t[0][s->c[c] & 0xff] ^ aes_t[1][(s->c[(c + 1) & 3] >> 8) & 0xff] ^
           aes_t[2][(s->c[(c + 2) & 3] >> 16) & 0xff] ^ aes_t[3][s->c[(c + 3) & 3] >> 24];
}

/* One AESENC, the round key read from memory as four words. */
static inline cols aes_round(cols s, const uint8_t *key) {
    cols o;
    for (int c = 0; c < 4; c++) o.c[c] = t_column(&s, c) ^ load32(key + 4 * c);
    return o;
}

static inline lane_t w_aesenc(lane_t s, lane_t k) {
    const cols v = cols_of(s);
    const v128_t o = wasm_i32x4_make(t_column(&v, 0), t_column(&v, 1), t_column(&v, 2), t_column(&v, 3));
    return wasm_v128_xor(o, k);
}

#if VH_WASM_AES_COLUMNS
/* AES2 then MIX2 (spec §4.3) with the round keys K[base..base+3], on columns: the unpacks of MIX2
 * only rename them. Replaces the template's version (vh_haraka.h). */
static inline __attribute__((always_inline)) void w_aes2_mix2(lane_t *x, lane_t *y,
                                                              const uint8_t *key, uint32_t base) {
    const uint8_t *k = key + 16 * (size_t)base;
    cols a = cols_of(*x), b = cols_of(*y);
    a = aes_round(a, k);
    b = aes_round(b, k + 16);
    a = aes_round(a, k + 32);
    b = aes_round(b, k + 48);
    *x = wasm_i32x4_make(a.c[0], b.c[0], a.c[1], b.c[1]);
    *y = wasm_i32x4_make(a.c[2], b.c[2], a.c[3], b.c[3]);
}
#define VH_AES2_MIX2 w_aes2_mix2
#endif
#endif

/* ---------------------------------------------------------------------------------- clmul */
#if VH_WASM_CLMUL
/* The carry-less 31-bit products of four pairs of 16-bit pieces (xs, ys lane by lane). */
static inline v128_t clmul16x4(v128_t xs, v128_t ys) {
    v128_t xc[3], yc[3], r = wasm_i32x4_splat(0);
    for (int i = 0; i < 3; i++) {
        xc[i] = wasm_v128_and(xs, K(hole[i]));
        yc[i] = wasm_v128_and(ys, K(hole[i]));
    }
    for (int k = 0; k < 3; k++) {
        v128_t z = wasm_i32x4_mul(xc[0], yc[k]);
        z = wasm_v128_xor(z, wasm_i32x4_mul(xc[1], yc[(k + 2) % 3]));
        z = wasm_v128_xor(z, wasm_i32x4_mul(xc[2], yc[(k + 1) % 3]));
        r = wasm_v128_or(r, wasm_v128_and(z, K(hole_wide[k])));
    }
    return r;
}

/* The 64-bit product of 32-bit x and y from its piece products in the order
 * (x0y0, x1y1, x1y0, x0y1): as 64-bit lanes the first is x0y0 + x1y1 X^32 already, the second
 * holds the two middle terms, which belong at X^16. */
static inline uint64_t fold32(v128_t p) {
    const uint64_t outer = (uint64_t)wasm_i64x2_extract_lane(p, 0);
    const uint64_t mid = (uint64_t)wasm_i64x2_extract_lane(p, 1);
    return outer ^ (((mid ^ (mid >> 32)) & 0xffffffffu) << 16);
}

/* clmul10: lo64(v) x hi64(v) by Karatsuba on 32-bit halves a = a0 + a1 X^32, b likewise:
 * L = a0 b0, H = a1 b1, M = (a0 + a1)(b0 + b1); product = L + (L + H + M) X^32 + H X^64. */
static inline lane_t w_clmul10(lane_t v) {
    /* 32-bit words: v = (a0, a1, b0, b1); m = (a0 ^ a1, b0 ^ b1) in words 0 and 2 */
    const v128_t m = wasm_v128_xor(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    /* 16-bit pieces, zero-extended into 32-bit lanes */
    const v128_t a16 = wasm_u32x4_extend_low_u16x8(v);  /* a0.lo a0.hi a1.lo a1.hi */
    const v128_t b16 = wasm_u32x4_extend_high_u16x8(v); /* b0.lo b0.hi b1.lo b1.hi */
    const v128_t m16 = wasm_u32x4_extend_low_u16x8(wasm_i32x4_shuffle(m, m, 0, 2, 0, 2));
    const v128_t pl = clmul16x4(wasm_i32x4_shuffle(a16, a16, 0, 1, 1, 0),
                                wasm_i32x4_shuffle(b16, b16, 0, 1, 0, 1));
    const v128_t ph = clmul16x4(wasm_i32x4_shuffle(a16, a16, 2, 3, 3, 2),
                                wasm_i32x4_shuffle(b16, b16, 2, 3, 2, 3));
    const v128_t pm = clmul16x4(wasm_i32x4_shuffle(m16, m16, 0, 1, 1, 0),
                                wasm_i32x4_shuffle(m16, m16, 2, 3, 2, 3));
    const uint64_t L = fold32(pl), H = fold32(ph), M = fold32(pm) ^ L ^ H;
    return wasm_i64x2_make((int64_t)(L ^ (M << 32)), (int64_t)(H ^ (M >> 32)));
}
#else
/* portable.c's clmul for wasm32 (clmul32.h). */
static inline lane_t w_clmul10(lane_t v) {
    uint64_t lo, hi;
    clmul64_halves((uint64_t)wasm_i64x2_extract_lane(v, 0), (uint64_t)wasm_i64x2_extract_lane(v, 1),
                   &lo, &hi);
    return wasm_i64x2_make((int64_t)lo, (int64_t)hi);
}
#endif

/* PMULHRSW: i16x8.q15mulr_sat_s saturates the one product PMULHRSW wraps (-32768 x -32768 gives
 * 0x7fff instead of 0x8000); flipping every bit of exactly those lanes restores it. */
static inline lane_t w_mulhrs(lane_t a, lane_t b) {
    const v128_t min = K(i16min);
    const v128_t wrap = wasm_v128_and(wasm_i16x8_eq(a, min), wasm_i16x8_eq(b, min));
    return wasm_v128_xor(wasm_i16x8_q15mulr_sat(a, b), wrap);
}

#define L_LOAD(p) wasm_v128_load(p)
#define L_STORE(p, v) wasm_v128_store((p), (v))
#define L_XOR(a, b) wasm_v128_xor((a), (b))
#define L_AESENC(s, k) w_aesenc((s), (k))
#define L_CLMUL10(v) w_clmul10(v)
/* h x 0x1b (x^4 + x^3 + x + 1) is four shifts: no clmul for the final reduction */
#define L_CLMUL_1B(h) \
    wasm_i64x2_make((int64_t)((h) ^ (h) << 1 ^ (h) << 3 ^ (h) << 4), (int64_t)((h) >> 63 ^ (h) >> 61 ^ (h) >> 60))
#define L_MULHRS(a, b) w_mulhrs((a), (b))
#define L_UNPACKLO32(a, b) wasm_i32x4_shuffle((a), (b), 0, 4, 1, 5)
#define L_UNPACKHI32(a, b) wasm_i32x4_shuffle((a), (b), 2, 6, 3, 7)
#define L_LO64(v) ((uint64_t)wasm_i64x2_extract_lane((v), 0))
#define L_HI64(v) ((uint64_t)wasm_i64x2_extract_lane((v), 1))
#define L_SET64(lo, hi) wasm_i64x2_make((int64_t)(lo), (int64_t)(hi))
#define L_MASK(bit) wasm_i64x2_splat(-(int64_t)(bit))
#define L_BLEND(m, a, b) wasm_v128_bitselect((a), (b), (m))
#define VH_OPS_NAME vh_ops_wasm_simd
#define VH_CACHE_CLMUL_P 1
/* Both outcomes of a data bit cost a software AES or clmul here: branch instead. */
#define VH_BRANCHLESS 0
#define VH_BRANCHLESS_MOD 0
/* One nonce at a time: interleaved lanes never paid here (`make bench-wasm`, 2-core EPYC, four
 * runs: 2 lanes 0.95-1.01x one lane in Chromium, 0.93-0.95x in Bun; 3 and 4 lanes 0.88-0.95x): the
 * software AES and clmul are loads, shifts and xors that keep the core's ports busy already, so
 * a second dependency chain finds few stalls to fill. */
#define VH_BEST_LANES 1
#include "vh_core.h"
#endif
