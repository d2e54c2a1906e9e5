/*
 * arm_crypto.c — VerusHash 2.2 with the ARMv8 Crypto Extensions: AESE+AESMC (AESENC with a zero
 * key, then EOR), PMULL (clmul10), and widening multiplies for PMULHRSW (spec §8: SQRDMULH would
 * saturate -32768 x -32768). The only file compiled with -march=armv8-a+crypto; dispatch.c runs
 * it only when HWCAP reports AES and PMULL (a Raspberry Pi 4 has neither).
 */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <stdint.h>

typedef uint8x16_t lane_t;

static inline lane_t a_aesenc(lane_t s, lane_t k) {
    return veorq_u8(vaesmcq_u8(vaeseq_u8(s, vdupq_n_u8(0))), k);
}

static inline lane_t a_clmul10(lane_t v) {
    const uint64x2_t q = vreinterpretq_u64_u8(v);
    return vreinterpretq_u8_p128(
        vmull_p64((poly64_t)vgetq_lane_u64(q, 0), (poly64_t)vgetq_lane_u64(q, 1)));
}

/* (a*b + 0x4000) >> 15 per element = a rounding narrowing shift of the 32-bit product. */
static inline lane_t a_mulhrs(lane_t a, lane_t b) {
    const int16x8_t x = vreinterpretq_s16_u8(a), y = vreinterpretq_s16_u8(b);
    const int16x4_t lo = vrshrn_n_s32(vmull_s16(vget_low_s16(x), vget_low_s16(y)), 15);
    const int16x4_t hi = vrshrn_n_s32(vmull_high_s16(x, y), 15);
    return vreinterpretq_u8_s16(vcombine_s16(lo, hi));
}

static inline lane_t a_set64(uint64_t lo, uint64_t hi) {
    return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi)));
}

#define L_LOAD(p) vld1q_u8((const uint8_t *)(p))
#define L_STORE(p, v) vst1q_u8((uint8_t *)(p), (v))
#define L_XOR(a, b) veorq_u8((a), (b))
#define L_AESENC(s, k) a_aesenc((s), (k))
#define L_CLMUL10(v) a_clmul10(v)
#define L_MULHRS(a, b) a_mulhrs((a), (b))
#define L_UNPACKLO32(a, b) \
    vreinterpretq_u8_u32(vzip1q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b)))
#define L_UNPACKHI32(a, b) \
    vreinterpretq_u8_u32(vzip2q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b)))
#define L_LO64(v) vgetq_lane_u64(vreinterpretq_u64_u8(v), 0)
#define L_HI64(v) vgetq_lane_u64(vreinterpretq_u64_u8(v), 1)
#define L_SET64(lo, hi) a_set64((lo), (hi))
#define L_MASK(bit) vreinterpretq_u8_u64(vdupq_n_u64(-(uint64_t)(bit)))
#define L_BLEND(m, a, b) vbslq_u8((m), (a), (b))
#define VH_OPS_NAME vh_ops_armv8
#define VH_CACHE_CLMUL_P 0
#define VH_BRANCHLESS 1
#define VH_BRANCHLESS_MOD 1
/* One lane until measured on ARM hardware: the multi-lane scan is exact here (test_vectors under
 * qemu checks every lane count), but qemu's timing says nothing about a real core. `lanes = 2`
 * in config.toml tries it. */
#define VH_BEST_LANES 1
#include "vh_core.h"
#endif
