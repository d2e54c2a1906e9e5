/*
 * x86_aesni.c — VerusHash 2.2 with AES-NI (AESENC), PCLMULQDQ (clmul10) and SSSE3 (PMULHRSW).
 * The only file compiled with -maes -mpclmul -mssse3 -msse4.1 (STYLE.md §5); dispatch.c runs it
 * only after CPUID reports all four, so a CPU without AES never reaches an AES instruction.
 */
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <stdint.h>

typedef __m128i lane_t;

#define L_LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define L_STORE(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
#define L_XOR(a, b) _mm_xor_si128((a), (b))
#define L_AESENC(s, k) _mm_aesenc_si128((s), (k))
#define L_CLMUL10(v) _mm_clmulepi64_si128((v), (v), 0x10)
#define L_MULHRS(a, b) _mm_mulhrs_epi16((a), (b))
#define L_UNPACKLO32(a, b) _mm_unpacklo_epi32((a), (b))
#define L_UNPACKHI32(a, b) _mm_unpackhi_epi32((a), (b))
#define L_LO64(v) ((uint64_t)_mm_cvtsi128_si64(v))
#define L_HI64(v) ((uint64_t)_mm_extract_epi64((v), 1))
#define L_SET64(lo, hi) _mm_set_epi64x((long long)(hi), (long long)(lo))
#define VH_OPS_NAME vh_ops_aesni
#define VH_CACHE_CLMUL_P 0
#include "vh_core.h"
#endif
