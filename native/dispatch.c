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

static unsigned cpu_features;

static unsigned detect(void) {
    unsigned f = FEAT_DETECTED;
#if defined(__x86_64__) || defined(_M_X64)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        const unsigned need = (1u << 25) | (1u << 1) | (1u << 9) | (1u << 19);
        if ((c & need) == need) f |= FEAT_AESNI;
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

const vh_ops *vh_dispatch_ops(int32_t impl) {
    switch (impl) {
    case VH_IMPL_PORTABLE:
        return &vh_ops_portable;
#if defined(__x86_64__) || defined(_M_X64)
    case VH_IMPL_AESNI:
        return (features() & FEAT_AESNI) ? &vh_ops_aesni : 0;
#endif
#if defined(__aarch64__)
    case VH_IMPL_ARMV8:
        return (features() & FEAT_ARMV8) ? &vh_ops_armv8 : 0;
#endif
    default:
        return 0;
    }
}

int32_t vh_dispatch_best(void) {
    if (vh_dispatch_ops(VH_IMPL_AESNI)) return VH_IMPL_AESNI;
    if (vh_dispatch_ops(VH_IMPL_ARMV8)) return VH_IMPL_ARMV8;
    return VH_IMPL_PORTABLE;
}
