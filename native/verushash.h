/*
 * verushash.h — the whole public ABI of libverushash (VerusHash 2.2 for Verus block headers).
 *
 * Spec: shared/spec/verushash.md. Every function takes and returns only 32-bit integers and
 * pointers, so the library can be called from bun:ffi, Web Workers (WebAssembly) and C alike.
 *
 * State is owned by the caller: a context is `vh_ctx_bytes()` bytes of caller memory (any
 * alignment; the library aligns inside it). One context per thread. There are no hidden globals
 * apart from the CPU-feature word that dispatch.c caches on first use.
 *
 * Byte order: hashes are the 32 bytes in the order the hash function writes them ("memory
 * order"); compared with targets as little-endian 256-bit integers. Targets passed to vh_scan are
 * in the same little-endian byte order (target[31] is the most significant byte).
 */
#ifndef VERUSHASH_H
#define VERUSHASH_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define VH_API __attribute__((visibility("default")))
#else
#define VH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature or a constant below changes meaning. */
#define VH_ABI_VERSION 2

/* Implementations (spec §8). VH_IMPL_AUTO picks the fastest one this CPU supports. */
#define VH_IMPL_AUTO (-1)
#define VH_IMPL_PORTABLE 0
#define VH_IMPL_AESNI 1
#define VH_IMPL_ARMV8 2
#define VH_IMPL_WASM_SIMD 3 /* only in the SIMD build of the WebAssembly module */
#define VH_IMPL_COUNT 4

/* The most nonces vh_scan hashes at once (its lanes; see vh_ctx_set_lanes). */
#define VH_LANES_MAX 4

/* Error codes (negative return values). */
#define VH_OK 0
#define VH_ERR_ARG (-1)         /* a null pointer, or a length/count out of range */
#define VH_ERR_IMPL (-2)        /* that implementation is unknown or not available on this CPU */
#define VH_ERR_SHORT (-3)       /* VerusHash 2.x is undefined for inputs shorter than 32 bytes */
#define VH_ERR_NO_JOB (-4)      /* vh_job_hash / vh_scan before a successful vh_job_prepare */
#define VH_ERR_CTX (-5)         /* the context was never initialised with vh_ctx_init */

/* Fixed sizes of a Verus block header (spec §1). */
#define VH_HEADER_BYTES 1487    /* 140 header + fd4005 + 1344 solution */
#define VH_PREFIX_BYTES 1472    /* absorbed once per job: 46 full 32-byte chunks */
#define VH_TAIL_BYTES 15        /* the nonce space: input bytes 1472..1486 */
#define VH_TAIL_COUNTER_OFFSET 11 /* vh_scan writes its uint32 LE counter at tail[11..14] */

VH_API uint32_t vh_abi_version(void);

/* Bytes of caller memory one context needs (includes alignment slack). */
VH_API uint32_t vh_ctx_bytes(void);

/* 1 if implementation `impl` is compiled in and this CPU can run it, else 0. */
VH_API int32_t vh_impl_available(int32_t impl);

/* The implementation VH_IMPL_AUTO resolves to on this CPU. */
VH_API int32_t vh_impl_best(void);

/* Short lowercase name of an implementation ("portable", "aesni", "armv8", "wasm-simd"), or 0. */
VH_API const char *vh_impl_name(int32_t impl);

/* Initialise a context in `mem` (vh_ctx_bytes() bytes) for `impl`. Returns the implementation
 * chosen (>= 0) or VH_ERR_IMPL / VH_ERR_ARG. */
VH_API int32_t vh_ctx_init(void *mem, int32_t impl);

/* How many nonces vh_scan hashes at once, interleaved on one thread, each on its own copy of the
 * key (8.8 KB of the context per lane): 1..VH_LANES_MAX, or 0 for the implementation's fastest
 * (the default after vh_ctx_init). Only the speed changes, never a result. Returns the lane count
 * now in effect, or VH_ERR_ARG / VH_ERR_CTX. */
VH_API int32_t vh_ctx_set_lanes(void *ctx, int32_t lanes);

/* (a) VerusHash 2.2 of `len` raw bytes (len >= 32): no PBaaS clearing, no version dispatch. */
VH_API int32_t vh_hash(void *ctx, const uint8_t *in, uint32_t len, uint8_t *out32);

/* (b)+(d) VerusHash 2.2 of a 1487-byte header after PBaaS clearing by the miner rule (spec §3.5:
 * solution version >= 7 and numPBaaSHeaders > 0). The context caches the prepared job keyed on the
 * (cleared) first 1472 bytes, so consecutive shares of one job cost one hash each.
 * Returns 1 if the header was cleared, 0 if hashed raw, or a negative error. */
VH_API int32_t vh_hash_header(void *ctx, const uint8_t *header, uint8_t *out32);

/* BLAKE2b-256 of the 196-byte PBaaS pre-header of a 1487-byte header, personalisation
 * "VerusDefaultHash" (spec §3.1). The pool rule (§3.4) compares it with sol[92..123]. */
VH_API int32_t vh_preheader_hash(const uint8_t *header, uint8_t *out32);

/* (c) Mining. Prepare a job from a 1487-byte header (its last 15 bytes are ignored): miner-rule
 * clearing of a copy, absorb 1472 bytes, generate the key, keep a pristine copy.
 * Returns 1 if cleared, 0 if raw, or a negative error. */
VH_API int32_t vh_job_prepare(void *ctx, const uint8_t *header);

/* One hash of the prepared job with the given 15-byte tail. */
VH_API int32_t vh_job_hash(void *ctx, const uint8_t *tail15, uint8_t *out32);

/* Scan nonces start .. start+count-1 of the prepared job: tail = tail15[0..10] followed by the
 * nonce as uint32 LE in tail[11..14]. A nonce is found when LE256(hash) <= LE256(target32).
 * Found nonces are written to found[] in increasing order; the scan stops early once max_found
 * are found (resume at found[max_found-1] + 1). Returns the number found, or a negative error.
 * start + count must not exceed 2^32. */
VH_API int32_t vh_scan(void *ctx, const uint8_t *tail15, uint32_t start, uint32_t count,
                       const uint8_t *target32, uint32_t *found, uint32_t max_found);

#ifdef __cplusplus
}
#endif
#endif
