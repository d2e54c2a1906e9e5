/*
 * vh_internal.h — what the parts of libverushash share and nothing else sees: the context layout
 * and the table of operations each instruction-set file provides (portable.c, x86_aesni.c,
 * arm_crypto.c). The driver (verushash.c) does clearing, caching and argument checks; an
 * implementation does only the hashing, with the whole per-nonce work inlined in one call.
 */
#ifndef VH_INTERNAL_H
#define VH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "verushash.h"

#define VH_KEY_LANES 552         /* 8832-byte key: 276 x Haraka256 (spec §5.3) */
#define VH_MUTABLE_LANES 512     /* the CLHash writes only lanes 0..511 (spec §5.3) */
#define VH_KEY_BYTES (VH_KEY_LANES * 16)
#define VH_MUTABLE_BYTES (VH_MUTABLE_LANES * 16)

/* One implementation. `key` points at the context's 16-byte aligned working key, `pristine` at
 * its copy of lanes 0..511. Every function leaves `key` equal to the pristine key on return. */
typedef struct vh_ops {
    /* H = absorb of nchunks full 32-byte chunks of `in` (spec §5.1). */
    void (*absorb)(const uint8_t *in, uint32_t nchunks, uint8_t H[32]);
    /* The 8832-byte key from H (spec §5.3). */
    void (*keygen)(const uint8_t H[32], uint8_t *key);
    /* CLHash 2.2 + keyed Haraka512 of H ‖ tail[0..r-1] ‖ fill, r = 0..31 (spec §5.2–5.7). */
    void (*finish)(const uint8_t H[32], const uint8_t *tail, uint32_t r, uint8_t *key,
                   const uint8_t *pristine, uint8_t out[32]);
    /* The mining loop for r = 15 (spec §7.2); semantics of vh_scan. It hashes `lanes` nonces at
     * once (1..VH_LANES_MAX), lane l on its own full copy of the key, keys[l]; each is left equal
     * to the pristine key on return, like `key` above. */
    int32_t (*scan)(const uint8_t H[32], const uint8_t tail[15], uint32_t start, uint32_t count,
                    const uint8_t target[32], uint8_t (*keys)[VH_KEY_BYTES], uint32_t lanes,
                    const uint8_t *pristine, uint32_t *found, uint32_t max_found);
    /* The lane count that scans fastest on the CPUs this build is for (measured: make bench). */
    uint32_t best_lanes;
} vh_ops;

extern const vh_ops vh_ops_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const vh_ops vh_ops_aesni;
extern const vh_ops vh_ops_aesni_avx2; /* x86_aesni.c built with -mavx2 -mbmi2 */
#endif
#if defined(__aarch64__)
extern const vh_ops vh_ops_armv8;
#endif
#if defined(VH_WASM_SIMD)
extern const vh_ops vh_ops_wasm_simd; /* wasm_simd.c, in the SIMD build of the .wasm only */
#endif

/* dispatch.c: the table for an implementation this CPU can run, or 0. */
const vh_ops *vh_dispatch_ops(int32_t impl);
int32_t vh_dispatch_best(void);
/* Tests and benchmarks only (hidden, not in the ABI): pretend the CPU lacks AVX2, to run the SSE
 * build too; and which build "aesni" runs now ("avx2", "sse" or "none"). */
void vh_dispatch_without_avx2(void);
const char *vh_dispatch_x86_build(void);

/* blake2b.c: BLAKE2b-256 with a 16-byte personalisation, no key, no salt. */
void vh_blake2b256_personal(const uint8_t *in, size_t len, const uint8_t personal[16],
                            uint8_t out[32]);

#endif
