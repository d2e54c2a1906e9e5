/*
 * dispatch.c — which implementations this CPU can run, detected once (spec §8, STYLE.md §6).
 * The feature word below is the library's only global; racing first calls compute the same value.
 */
#include "verushash.h"
#include "vh_internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_AES
#define HWCAP_AES (1 << 3)
#endif
#ifndef HWCAP_PMULL
#define HWCAP_PMULL (1 << 4)
#endif
#endif

#define FEAT_DETECTED 1u
#define FEAT_AESNI 2u /* AES + PCLMULQDQ + SSSE3 + SSE4.1 */
#define FEAT_ARMV8 4u /* AES + PMULL */
#define FEAT_AVX2 8u  /* AVX2 + BMI2, with the OS saving YMM state */

static unsigned cpu_features;

#if defined(__x86_64__) || defined(_M_X64)
/* XCR0: which register state the OS saves (bit 1 SSE, bit 2 AVX). No ISA flag needed. */
static unsigned xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo;
}
#endif

static unsigned detect(void) {
    unsigned f = FEAT_DETECTED;
#if defined(__x86_64__) || defined(_M_X64)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        const unsigned need = (1u << 25) | (1u << 1) | (1u << 9) | (1u << 19);
        if ((c & need) == need) f |= FEAT_AESNI;
        const unsigned osxsave_avx = (1u << 27) | (1u << 28);
        if ((c & osxsave_avx) == osxsave_avx && (xgetbv0() & 6) == 6 &&
            __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 5)) && (b & (1u << 8)))
            f |= FEAT_AVX2;
    }
#elif defined(__aarch64__) && defined(__linux__)
    const unsigned long hw = getauxval(AT_HWCAP);
    if ((hw & HWCAP_AES) && (hw & HWCAP_PMULL)) f |= FEAT_ARMV8;
#endif
    return f;
}

static unsigned features(void) {
    unsigned f = __atomic_load_n(&cpu_features, __ATOMIC_RELAXED);
    if (!f) {
        f = detect();
        __atomic_store_n(&cpu_features, f, __ATOMIC_RELAXED);
    }
    return f;
}

void vh_dispatch_without_avx2(void) {
    __atomic_store_n(&cpu_features, features() & ~FEAT_AVX2, __ATOMIC_RELAXED);
}

const char *vh_dispatch_x86_build(void) {
    const unsigned f = features();
    return (f & FEAT_AVX2) ? "avx2" : (f & FEAT_AESNI) ? "sse" : "none";
}

const vh_ops *vh_dispatch_ops(int32_t impl) {
    switch (impl) {
    case VH_IMPL_PORTABLE:
        return &vh_ops_portable;
#if defined(__x86_64__) || defined(_M_X64)
    case VH_IMPL_AESNI:
        if (!(features() & FEAT_AESNI)) return 0;
        return (features() & FEAT_AVX2) ? &vh_ops_aesni_avx2 : &vh_ops_aesni;
#endif
#if defined(__aarch64__)
    case VH_IMPL_ARMV8:
        return (features() & FEAT_ARMV8) ? &vh_ops_armv8 : 0;
#endif
#if defined(VH_WASM_SIMD)
    /* A WebAssembly engine without SIMD refuses the whole module at compile time, so a running
     * SIMD build can always use it; the page picks the build (wasmSimdSupported, src/hash/wasm.ts). */
    case VH_IMPL_WASM_SIMD:
        return &vh_ops_wasm_simd;
#endif
    default:
        return 0;
    }
}

int32_t vh_dispatch_best(void) {
    if (vh_dispatch_ops(VH_IMPL_WASM_SIMD)) return VH_IMPL_WASM_SIMD;
    if (vh_dispatch_ops(VH_IMPL_AESNI)) return VH_IMPL_AESNI;
    if (vh_dispatch_ops(VH_IMPL_ARMV8)) return VH_IMPL_ARMV8;
    return VH_IMPL_PORTABLE;
}
