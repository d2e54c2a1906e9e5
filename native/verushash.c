/*
 * verushash.c — the public API of verushash.h: context lifecycle, PBaaS clearing by the miner
 * rule, and the key/job caches that make a share check cost one hash (spec §7.3). The hashing
 * itself lives in the implementation chosen at vh_ctx_init (portable.c, x86_aesni.c,
 * arm_crypto.c).
 */
#include <stdalign.h>
#include <string.h>

#include "verushash.h"
#include "vh_internal.h"

#define CTX_MAGIC 0x56483232u /* "VH22" */
#define SOL_OFFSET 143        /* solution starts after 140 header bytes and fd 40 05 */

typedef struct {
    uint32_t magic;
    int32_t impl;
    const vh_ops *ops;
    int32_t key_valid;  /* key and pristine were generated from key_H */
    int32_t job_valid;  /* prefix and job_H describe a prepared job */
    uint32_t lanes;     /* vh_scan's lane count, 1..VH_LANES_MAX */
    uint32_t copies;    /* key[1..copies-1] equal key[0] (valid only while key_valid) */
    uint8_t key_H[32];
    uint8_t job_H[32];
    uint8_t prefix[VH_PREFIX_BYTES]; /* the job's first 1472 bytes, after clearing */
    alignas(64) uint8_t key[VH_LANES_MAX][VH_KEY_BYTES]; /* one working copy per scan lane */
    alignas(64) uint8_t pristine[VH_MUTABLE_BYTES];
} vh_ctx;

static const char *const impl_names[VH_IMPL_COUNT] = {"portable", "aesni", "armv8", "wasm-simd"};

uint32_t vh_abi_version(void) { return VH_ABI_VERSION; }

uint32_t vh_ctx_bytes(void) { return (uint32_t)(sizeof(vh_ctx) + 63); }

int32_t vh_impl_available(int32_t impl) { return vh_dispatch_ops(impl) != 0; }

int32_t vh_impl_best(void) { return vh_dispatch_best(); }

const char *vh_impl_name(int32_t impl) {
    return (impl >= 0 && impl < VH_IMPL_COUNT) ? impl_names[impl] : 0;
}

static vh_ctx *align_ctx(void *mem) {
    return (vh_ctx *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
}

/* The context in `mem`, or 0 if it was never initialised. */
static vh_ctx *get_ctx(void *mem) {
    if (!mem) return 0;
    vh_ctx *c = align_ctx(mem);
    return c->magic == CTX_MAGIC ? c : 0;
}

int32_t vh_ctx_init(void *mem, int32_t impl) {
    if (!mem) return VH_ERR_ARG;
    if (impl == VH_IMPL_AUTO) impl = vh_dispatch_best();
    const vh_ops *ops = vh_dispatch_ops(impl);
    if (!ops) return VH_ERR_IMPL;
    vh_ctx *c = align_ctx(mem);
    memset(c, 0, sizeof *c);
    c->magic = CTX_MAGIC;
    c->impl = impl;
    c->ops = ops;
    c->lanes = ops->best_lanes;
    return impl;
}

/* Make key/pristine the key of H; the implementations keep key == pristine between calls. */
static void ensure_key(vh_ctx *c, const uint8_t H[32]) {
    if (c->key_valid && memcmp(c->key_H, H, 32) == 0) return;
    c->ops->keygen(H, c->key[0]);
    memcpy(c->pristine, c->key[0], VH_MUTABLE_BYTES);
    memcpy(c->key_H, H, 32);
    c->key_valid = 1;
    c->copies = 1;
}

int32_t vh_ctx_set_lanes(void *mem, int32_t lanes) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (lanes < 0 || lanes > VH_LANES_MAX) return VH_ERR_ARG;
    c->lanes = lanes == 0 ? c->ops->best_lanes : (uint32_t)lanes;
    return (int32_t)c->lanes;
}

int32_t vh_hash(void *mem, const uint8_t *in, uint32_t len, uint8_t *out32) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (!in || !out32) return VH_ERR_ARG;
    if (len < 32) return VH_ERR_SHORT;
    uint8_t H[32];
    c->ops->absorb(in, len / 32, H);
    ensure_key(c, H);
    c->ops->finish(H, in + (len & ~31u), len % 32, c->key[0], c->pristine, out32);
    return VH_OK;
}

/* Miner rule (spec §3.5): solution version >= 7 and at least one PBaaS header. */
static int miner_rule_clears(const uint8_t *h) {
    const uint8_t *sol = h + SOL_OFFSET;
    const uint32_t version = sol[0] | sol[1] << 8 | sol[2] << 16 | (uint32_t)sol[3] << 24;
    return version >= 7 && sol[5] > 0;
}

/* Spec §3.2: zero prev/merkle/sapling, nBits, nNonce and the two MMR roots. */
static void clear_prefix(uint8_t *p) {
    memset(p + 4, 0, 96);
    memset(p + 104, 0, 36);
    memset(p + SOL_OFFSET + 8, 0, 64);
}

/* Prepare (or reuse) the job of a 1487-byte header. Returns 1 if cleared, 0 if raw. */
static int32_t prepare(vh_ctx *c, const uint8_t *header) {
    uint8_t prefix[VH_PREFIX_BYTES];
    const int32_t cleared = miner_rule_clears(header);
    memcpy(prefix, header, VH_PREFIX_BYTES);
    if (cleared) clear_prefix(prefix);
    if (!c->job_valid || memcmp(prefix, c->prefix, VH_PREFIX_BYTES) != 0) {
        memcpy(c->prefix, prefix, VH_PREFIX_BYTES);
        c->ops->absorb(prefix, VH_PREFIX_BYTES / 32, c->job_H);
        c->job_valid = 1;
    }
    ensure_key(c, c->job_H);
    return cleared;
}

int32_t vh_hash_header(void *mem, const uint8_t *header, uint8_t *out32) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (!header || !out32) return VH_ERR_ARG;
    const int32_t cleared = prepare(c, header);
    c->ops->finish(c->job_H, header + VH_PREFIX_BYTES, VH_TAIL_BYTES, c->key[0], c->pristine, out32);
    return cleared;
}

int32_t vh_preheader_hash(const uint8_t *header, uint8_t *out32) {
    static const uint8_t personal[16] = "VerusDefaultHash"; /* exactly 16 bytes, no NUL */
    if (!header || !out32) return VH_ERR_ARG;
    uint8_t pre[196]; /* spec §3.1: nNonce comes before nBits here */
    memcpy(pre, header + 4, 96);
    memcpy(pre + 96, header + 108, 32);
    memcpy(pre + 128, header + 104, 4);
    memcpy(pre + 132, header + SOL_OFFSET + 8, 64);
    vh_blake2b256_personal(pre, sizeof pre, personal, out32);
    return VH_OK;
}

int32_t vh_job_prepare(void *mem, const uint8_t *header) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (!header) return VH_ERR_ARG;
    return prepare(c, header);
}

int32_t vh_job_hash(void *mem, const uint8_t *tail15, uint8_t *out32) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (!tail15 || !out32) return VH_ERR_ARG;
    if (!c->job_valid) return VH_ERR_NO_JOB;
    ensure_key(c, c->job_H);
    c->ops->finish(c->job_H, tail15, VH_TAIL_BYTES, c->key[0], c->pristine, out32);
    return VH_OK;
}

int32_t vh_scan(void *mem, const uint8_t *tail15, uint32_t start, uint32_t count,
                const uint8_t *target32, uint32_t *found, uint32_t max_found) {
    vh_ctx *c = get_ctx(mem);
    if (!c) return mem ? VH_ERR_CTX : VH_ERR_ARG;
    if (!tail15 || !target32 || !found || max_found == 0) return VH_ERR_ARG;
    if ((uint64_t)start + count > 0x100000000ull) return VH_ERR_ARG;
    if (!c->job_valid) return VH_ERR_NO_JOB;
    if (count == 0) return 0;
    ensure_key(c, c->job_H);
    for (; c->copies < c->lanes; c->copies++) memcpy(c->key[c->copies], c->key[0], VH_KEY_BYTES);
    return c->ops->scan(c->job_H, tail15, start, count, target32, c->key, c->lanes, c->pristine,
                        found, max_found);
}
