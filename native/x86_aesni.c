/*
 * x86_aesni.c — VerusHash 2.2 with AES-NI (AESENC), PCLMULQDQ (clmul10) and SSSE3 (PMULHRSW).
 * The only file compiled with x86 ISA flags (STYLE.md §5), and it is compiled twice:
 *   - with -maes -mpclmul -mssse3 -msse4.1            → vh_ops_aesni
 *   - plus -mavx2 -mbmi2 and -DVH_X86_AVX2             → vh_ops_aesni_avx2 (VEX encodings: no
 *     register copies for two-operand SSE forms, BMI2 shifts; about 5 % faster here)
 * dispatch.c runs a build only after CPUID (and XGETBV for AVX state) reports what it needs, so
 * a CPU without AES never reaches an AES instruction and one without AVX never a VEX one.
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
#define L_MASK(bit) _mm_set1_epi64x(-(long long)(bit))
#define L_BLEND(m, a, b) _mm_blendv_epi8((b), (a), (m))
#if defined(VH_X86_AVX2)
#define VH_OPS_NAME vh_ops_aesni_avx2
#else
#define VH_OPS_NAME vh_ops_aesni
#endif
#define VH_CACHE_CLMUL_P 0
#ifndef VH_BRANCHLESS
#define VH_BRANCHLESS 1
#endif
#ifndef VH_BRANCHLESS_MOD
#define VH_BRANCHLESS_MOD 1
#endif
#include "vh_core.h"
#endif
