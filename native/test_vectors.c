/*
 * test_vectors.c — runs every available implementation over shared/vectors/verushash.json, plus
 * a differential check of each accelerated implementation against the portable one and a check
 * that vh_scan finds exactly what one-by-one hashing finds. Built with ASan/UBSan by `make test`.
 *
 *   test_vectors VECTORS.json [--impl portable|aesni|armv8]... [--expect-best NAME]
 *                [--expect-x86 avx2|sse|none] [--lane-nonces N]
 *
 * --expect-best checks what VH_IMPL_AUTO picks, e.g. "portable" under an emulated CPU without AES
 * (which also proves that such a CPU never reaches an AES instruction); --expect-x86 checks which
 * build of aesni dispatch picked. Every x86 build this CPU can run is tested, newest first. --lane-nonces sets how many random nonces the
 * multi-lane check compares with the one-lane scan per lane count (default 20000; `make test`
 * runs 1048576 on the optimised build).
 * Prints one line per failure and ends with `RESULT passed=N failed=M`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verushash.h"
#include "vh_internal.h"

static int passed, failed;

static void check(int ok, const char *impl, const char *id, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s %s: %s\n", impl, id, what);
    }
}

/* ---------------------------------------------------------------- a minimal JSON reader
 * The vector file is an array of objects whose interesting fields are strings at the first
 * level; nested values (components) are skipped. */
#define MAX_FIELDS 24
typedef struct {
    char *key[MAX_FIELDS];
    char *val[MAX_FIELDS];
    int n;
} record;

static const char *field(const record *r, const char *key) {
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0) return r->val[i];
    return 0;
}

static char *skip_ws(char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

/* Parses a string in place (escapes other than \" and \\ do not occur in hex or ids). */
static char *parse_string(char *p, char **out) {
    char *w = ++p;
    *out = w;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        *w++ = *p++;
    }
    if (*p) p++;
    *w = 0;
    return p;
}

/* Skips any JSON value, strings included. */
static char *skip_value(char *p) {
    int depth = 0;
    do {
        p = skip_ws(p);
        if (*p == '"') {
            char *s;
            p = parse_string(p, &s);
        } else if (*p == '{' || *p == '[') {
            depth++, p++;
        } else if (*p == '}' || *p == ']') {
            depth--, p++;
        } else {
            while (*p && !strchr(",}] \n\r\t", *p)) p++;
        }
        p = skip_ws(p);
        if (depth > 0 && *p == ',') p++;
        if (depth > 0 && *p == ':') p++;
    } while (depth > 0 && *p);
    return p;
}

/* Parses the object at p into r; returns the position after it. */
static char *parse_record(char *p, record *r) {
    r->n = 0;
    p = skip_ws(p) + 1; /* '{' */
    for (;;) {
        p = skip_ws(p);
        if (*p == '}') return p + 1;
        if (*p == ',') {
            p++;
            continue;
        }
        char *key;
        p = skip_ws(parse_string(p, &key));
        p = skip_ws(p + 1); /* ':' */
        if (*p == '"' && r->n < MAX_FIELDS) {
            r->key[r->n] = key;
            p = parse_string(p, &r->val[r->n]);
            r->n++;
        } else {
            p = skip_value(p);
        }
    }
}

static uint8_t *from_hex(const char *hex, uint32_t *len) {
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    *len = (uint32_t)n;
    return b;
}

static int equals_hex(const uint8_t *b, const char *hex) {
    char s[65];
    for (int i = 0; i < 32; i++) sprintf(s + 2 * i, "%02x", b[i]);
    return hex && strcmp(s, hex) == 0;
}

/* ---------------------------------------------------------------- checks */
static uint32_t le32(const uint8_t *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The pool rule (spec §3.4), built from the library's pre-header hash and miner-rule hash. */
static void pool_rule(void *ctx, const uint8_t *h, uint8_t out[32]) {
    const uint8_t *sol = h + 143;
    if (le32(sol) > 6 && sol[5] > 0) {
        uint8_t ph[32], zero[196] = {0}, pre[196];
        memcpy(pre, h + 4, 96), memcpy(pre + 96, h + 108, 32), memcpy(pre + 128, h + 104, 4);
        memcpy(pre + 132, sol + 8, 64);
        vh_preheader_hash(h, ph);
        if (memcmp(pre, zero, 196) != 0 && memcmp(ph, sol + 92, 32) != 0) {
            memset(out, 0xff, 32);
            return;
        }
        vh_hash_header(ctx, h, out);
        return;
    }
    vh_hash(ctx, h, 1487, out);
}

static void run_record(void *ctx, const char *impl, const record *r) {
    const char *id = field(r, "id"), *algo = field(r, "algo"), *want = field(r, "hash_hex");
    const char *rule = field(r, "rule");
    uint32_t len;
    uint8_t *in = from_hex(field(r, "input_hex"), &len);
    uint8_t out[32];
    if (strcmp(algo, "verushash2.2") == 0) {
        if (strncmp(id, "mining-seq-", 11) == 0) {
            /* one prepared job, nonces hashed in file order: catches a missing key restore */
            vh_job_prepare(ctx, in);
            vh_job_hash(ctx, in + 1472, out);
            check(equals_hex(out, want), impl, id, "job hash (mining sequence)");
        }
        vh_hash(ctx, in, len, out);
        check(equals_hex(out, want), impl, id, "verushash2.2");
    } else if (strcmp(algo, "block") == 0 && len == 1487 && rule) {
        const int v22 = le32(in) == 0x00010004 && le32(in + 143) >= 4;
        if (strcmp(rule, "pbaas-cleared") == 0) {
            check(vh_hash_header(ctx, in, out) == 1 && equals_hex(out, want), impl, id,
                  "miner-rule hash of a PBaaS block");
        } else if (strcmp(rule, "raw") == 0 && v22) {
            check(vh_hash(ctx, in, len, out) == 0 && equals_hex(out, want), impl, id,
                  "raw 2.2 block");
        }
    }
    const char *canon = field(r, "canonical_input_hex");
    if (canon) {
        uint32_t clen;
        uint8_t *c = from_hex(canon, &clen);
        vh_hash(ctx, c, clen, out);
        check(equals_hex(out, want), impl, id, "2.2 of canonical input");
        free(c);
    }
    const char *miner = field(r, "miner_hash_hex");
    if (miner && len == 1487) {
        vh_hash_header(ctx, in, out);
        check(equals_hex(out, miner), impl, id, "miner rule");
    }
    const char *pool = field(r, "pool_hash2b2_hex");
    if (pool && len == 1487) {
        pool_rule(ctx, in, out);
        check(equals_hex(out, pool), impl, id, "pool rule");
    }
    free(in);
}

/* Deterministic xorshift for the differential and scan checks. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint8_t rnd8(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint8_t)rng;
}

/* An accelerated implementation must equal the portable one on random headers and lengths. */
static void differential(void *ctx, void *ref, const char *impl, int rounds) {
    static uint8_t buf[2048];
    int ok = 1;
    for (int i = 0; i < rounds && ok; i++) {
        uint32_t len = 32 + (i % 7 == 0 ? rnd8() * 7u : 1455u);
        for (uint32_t j = 0; j < len; j++) buf[j] = rnd8();
        uint8_t a[32], b[32];
        vh_hash(ctx, buf, len, a);
        vh_hash(ref, buf, len, b);
        ok = memcmp(a, b, 32) == 0;
        if (len == 1487) {
            buf[143] = 7, buf[148] = 1; /* PBaaS-shaped: exercises the cleared job cache */
            vh_hash_header(ctx, buf, a);
            vh_hash_header(ref, buf, b);
            ok = ok && memcmp(a, b, 32) == 0;
        }
    }
    check(ok, impl, "differential", "equals portable on random inputs");
}

static int le256_leq(const uint8_t *h, const uint8_t *t) {
    for (int i = 31; i >= 0; i--)
        if (h[i] != t[i]) return h[i] < t[i];
    return 1;
}

/* vh_scan must report exactly the nonces whose one-by-one hash meets the target. */
static void scan_check(void *ctx, const char *impl) {
    enum { N = 96 };
    uint8_t header[1487], hashes[N][32], tail[15], target[32];
    for (int j = 0; j < 1487; j++) header[j] = rnd8();
    header[143] = 7, header[148] = 1;
    memcpy(tail, header + 1472, 15);
    vh_job_prepare(ctx, header);
    for (uint32_t n = 0; n < N; n++) {
        tail[11] = (uint8_t)(n + 1000), tail[12] = (uint8_t)((n + 1000) >> 8);
        tail[13] = tail[14] = 0;
        vh_job_hash(ctx, tail, hashes[n]);
    }
    /* target = the 10th smallest hash, so about 10 nonces qualify */
    int idx[N];
    for (int i = 0; i < N; i++) idx[i] = i;
    for (int i = 0; i < 10; i++)
        for (int j = i + 1; j < N; j++)
            if (le256_leq(hashes[idx[j]], hashes[idx[i]])) {
                int t = idx[i];
                idx[i] = idx[j], idx[j] = t;
            }
    memcpy(target, hashes[idx[9]], 32);
    uint32_t found[N], want[N];
    int nwant = 0;
    for (uint32_t n = 0; n < N; n++)
        if (le256_leq(hashes[n], target)) want[nwant++] = n + 1000;
    int nfound = vh_scan(ctx, tail, 1000, N, target, found, N);
    check(nfound == nwant && memcmp(found, want, 4 * (size_t)nwant) == 0, impl, "scan",
          "finds exactly the qualifying nonces");
    nfound = vh_scan(ctx, tail, 1000, N, target, found, 3);
    check(nfound == 3 && memcmp(found, want, 12) == 0, impl, "scan", "stops at max_found");
    /* the scan's tail layout equals a full header hashed with the same tail */
    uint8_t out[32];
    memcpy(header + 1472, tail, 11);
    header[1483] = (uint8_t)want[0], header[1484] = (uint8_t)(want[0] >> 8);
    header[1485] = header[1486] = 0;
    vh_hash_header(ctx, header, out);
    check(memcmp(out, hashes[want[0] - 1000], 32) == 0, impl, "scan", "tail layout");
    check(vh_scan(ctx, tail, 0xffffffffu, 2, target, found, 1) == VH_ERR_ARG, impl, "scan",
          "rejects a range past 2^32");
}

/* Every lane count must find exactly what the one-lane scan finds: over `total` random nonces
 * in chunks of random jobs, starts and lengths (not multiples of the lane count), at a target
 * half the hashes meet (so a wrong hash in any lane flips a verdict with even odds) and at one
 * 1 in 4096 meet, whose found nonces are also hashed one by one. Plus max_found stopping early. */
static void lanes_check(void *ctx, const char *impl, uint32_t total) {
    enum { CHUNK_MAX = 70001 };
    static uint32_t want[CHUNK_MAX], got[CHUNK_MAX];
    uint8_t header[1487], tail[15], half[32], tight[32], out[32];
    memset(half, 0xff, 32);
    half[31] = 0x7f;
    memset(tight, 0xff, 32);
    tight[31] = 0x00, tight[30] = 0x0f;
    int ok_half = 1, ok_tight = 1, ok_hash = 1, ok_stop = 1, ok_lanes = 1;
    uint32_t done = 0;
    while (done < total) {
        for (int j = 0; j < 1487; j++) header[j] = rnd8();
        header[143] = 7, header[148] = 1;
        memcpy(tail, header + 1472, 15);
        vh_job_prepare(ctx, header);
        const uint32_t start = (uint32_t)rnd8() << 24 | (uint32_t)rnd8() << 16 | rnd8();
        uint32_t count = 50000 + ((uint32_t)rnd8() << 8 | rnd8()) % 20000;
        if (count > total - done) count = total - done;
        const uint8_t *targets[2] = {half, tight};
        for (int t = 0; t < 2; t++) {
            vh_ctx_set_lanes(ctx, 1);
            const int nwant = vh_scan(ctx, tail, start, count, targets[t], want, CHUNK_MAX);
            for (int32_t lanes = 2; lanes <= VH_LANES_MAX; lanes++) {
                ok_lanes = ok_lanes && vh_ctx_set_lanes(ctx, lanes) == lanes;
                const int n = vh_scan(ctx, tail, start, count, targets[t], got, CHUNK_MAX);
                int *ok = t == 0 ? &ok_half : &ok_tight;
                *ok = *ok && n == nwant && memcmp(got, want, 4 * (size_t)n) == 0;
                if (t == 0 && nwant > 3) {
                    const int m = vh_scan(ctx, tail, start, count, targets[t], got, 3);
                    ok_stop = ok_stop && m == 3 && memcmp(got, want, 12) == 0;
                }
            }
            for (int i = 0; t == 1 && i < nwant; i++) {
                memcpy(header + 1472, tail, 11);
                for (int b = 0; b < 4; b++) header[1483 + b] = (uint8_t)(want[i] >> (8 * b));
                vh_hash_header(ctx, header, out);
                ok_hash = ok_hash && le256_leq(out, tight);
            }
        }
        done += count;
    }
    vh_ctx_set_lanes(ctx, 0);
    check(ok_lanes, impl, "lanes", "vh_ctx_set_lanes takes every count 1..VH_LANES_MAX");
    check(ok_half, impl, "lanes", "every lane count finds what one lane finds (half target)");
    check(ok_tight, impl, "lanes", "every lane count finds what one lane finds (1/4096 target)");
    check(ok_hash, impl, "lanes", "found nonces meet the target hashed one by one");
    check(ok_stop, impl, "lanes", "every lane count stops at max_found");
    check(vh_ctx_set_lanes(ctx, VH_LANES_MAX + 1) == VH_ERR_ARG && vh_ctx_set_lanes(ctx, -1) == VH_ERR_ARG,
          impl, "lanes", "refuses a lane count outside 0..VH_LANES_MAX");
    check(vh_ctx_set_lanes(ctx, 0) >= 1, impl, "lanes", "0 picks the implementation's count");
    printf("%s: lane counts 2..%d equal one lane over %u nonces\n", impl, VH_LANES_MAX, total);
}

static void api_checks(void *ctx, const char *impl) {
    uint8_t in[32] = {0}, out[32];
    check(vh_hash(ctx, in, 31, out) == VH_ERR_SHORT, impl, "api", "short input");
    uint8_t *fresh = calloc(1, vh_ctx_bytes());
    check(vh_ctx_init(fresh, 99) == VH_ERR_IMPL, impl, "api", "unknown impl");
    check(vh_job_hash(fresh, in, out) == VH_ERR_CTX, impl, "api", "uninitialised context");
    vh_ctx_init(fresh, VH_IMPL_PORTABLE);
    check(vh_job_hash(fresh, in, out) == VH_ERR_NO_JOB, impl, "api", "job hash without a job");
    free(fresh);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_vectors VECTORS.json [--impl NAME]...\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *json = malloc((size_t)size + 1);
    json[fread(json, 1, (size_t)size, f)] = 0;
    fclose(f);

    static record recs[512];
    int nrec = 0;
    char *p = skip_ws(json) + 1; /* '[' */
    for (p = skip_ws(p); *p == '{' && nrec < 512; p = skip_ws(p)) {
        p = skip_ws(parse_record(p, &recs[nrec++]));
        if (*p == ',') p++;
    }

    int want[VH_IMPL_COUNT] = {0}, any = 0;
    uint32_t lane_nonces = 20000;
    for (int i = 2; i + 1 < argc; i += 2) {
        for (int k = 0; k < VH_IMPL_COUNT; k++)
            if (strcmp(argv[i], "--impl") == 0 && strcmp(argv[i + 1], vh_impl_name(k)) == 0)
                want[k] = 1, any = 1;
        if (strcmp(argv[i], "--expect-best") == 0)
            check(strcmp(vh_impl_name(vh_impl_best()), argv[i + 1]) == 0, argv[i + 1], "auto",
                  "VH_IMPL_AUTO picks the expected implementation");
        if (strcmp(argv[i], "--expect-x86") == 0)
            check(strcmp(vh_dispatch_x86_build(), argv[i + 1]) == 0, argv[i + 1], "dispatch",
                  "aesni runs the expected x86 build");
        if (strcmp(argv[i], "--lane-nonces") == 0) lane_nonces = (uint32_t)strtoul(argv[i + 1], 0, 10);
    }

    void *ref = malloc(vh_ctx_bytes());
    vh_ctx_init(ref, VH_IMPL_PORTABLE);
    /* x86: aesni has an AVX2 build and an SSE build; where the CPU runs the AVX2 one, one more
     * pass runs the SSE one, dispatch limited to it. */
    const int x86 = vh_impl_available(VH_IMPL_AESNI) && (!any || want[VH_IMPL_AESNI]) &&
                    strcmp(vh_dispatch_x86_build(), "avx2") == 0;
    for (int pass = 0; pass < VH_IMPL_COUNT + x86; pass++) {
        const int k = pass < VH_IMPL_COUNT ? pass : VH_IMPL_AESNI;
        if (pass == VH_IMPL_COUNT) vh_dispatch_without_avx2();
        const char *impl = pass < VH_IMPL_COUNT ? vh_impl_name(k) : "aesni(sse)";
        if (any ? !want[k] : !vh_impl_available(k)) continue;
        if (!vh_impl_available(k)) {
            check(0, impl, "-", "requested implementation not available on this CPU");
            continue;
        }
        void *ctx = malloc(vh_ctx_bytes());
        vh_ctx_init(ctx, k);
        const int before = passed + failed;
        for (int i = 0; i < nrec; i++) run_record(ctx, impl, &recs[i]);
        if (k != VH_IMPL_PORTABLE) differential(ctx, ref, impl, 300);
        scan_check(ctx, impl);
        lanes_check(ctx, impl, lane_nonces);
        api_checks(ctx, impl);
        printf("%s: %d checks over %d vectors\n", impl, passed + failed - before, nrec);
        free(ctx);
    }
    free(ref);
    free(json);
    printf("RESULT passed=%d failed=%d\n", passed, failed);
    return failed ? 1 : 0;
}
