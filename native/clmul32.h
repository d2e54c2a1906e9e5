/*
 * clmul32.h — carry-less 64 x 64 multiply from 32-bit halves, for targets without 128-bit
 * products (wasm32: no compiler-rt for __multi3). Shared by portable.c's fallback and
 * wasm_simd.c's scalar variant.
 *
 * Each 32 x 32 product is integer multiplication "with holes": split the operands into the four
 * classes of bit positions mod 4; a product of two classes has at most 8 terms per position, so
 * its carries (< 2^4) never reach the next position of the same class, and masking keeps exactly
 * the carry-less bits. The four half products are then combined schoolbook-style.
 */
#ifndef VH_CLMUL32_H
#define VH_CLMUL32_H

#include <stdint.h>

static inline uint64_t clmul32(uint32_t a, uint32_t b) {
    static const uint32_t class4[4] = {0x11111111u, 0x22222222u, 0x44444444u, 0x88888888u};
    uint64_t r = 0;
    for (int k = 0; k < 4; k++) {
        uint64_t z = 0;
        for (int i = 0; i < 4; i++) z ^= (uint64_t)(a & class4[i]) * (b & class4[(k - i) & 3]);
        r |= z & (0x1111111111111111ull << k);
    }
    return r;
}

/* a x b as (lo, hi) words. */
static inline void clmul64_halves(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
    const uint64_t ll = clmul32((uint32_t)a, (uint32_t)b);
    const uint64_t hh = clmul32((uint32_t)(a >> 32), (uint32_t)(b >> 32));
    const uint64_t mid =
        clmul32((uint32_t)a, (uint32_t)(b >> 32)) ^ clmul32((uint32_t)(a >> 32), (uint32_t)b);
    *lo = ll ^ (mid << 32);
    *hi = hh ^ (mid >> 32);
}

#endif
