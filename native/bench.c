/*
 * bench.c — the scan loop driven from C, the baseline that `vbridge bench` (the same loop through
 * bun:ffi) is compared with. Also times a share check (vh_hash_header of a new tail each time).
 *
 *   bench [--impl NAME] [--lanes N] [--x86 avx2|sse] [--seconds S] [--batch N] [--header HEX]
 *
 * --lanes N scans N nonces at once per thread (0: the implementation's fastest). --x86 makes
 * aesni run an older x86 build than this CPU's best (dispatch.c's test hook), for an A/B in one run.
 * --header takes the 1487-byte job as hex (`make bench` passes the job vbridge bench uses, so
 * both drivers hash the same bytes); without it a synthetic PBaaS-shaped header is used.
 *
 * Prints one JSON object per implementation:
 *   {"driver":"c","impl":"aesni","lanes":2,"threads":1,"mhs":1.71,"verdicts_per_s":820000}
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verushash.h"
#include "vh_internal.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A PBaaS-shaped job (solution version 7, one header): the shape of every current job. */
static void make_header(uint8_t h[1487]) {
    uint32_t x = 12345;
    for (int i = 0; i < 1487; i++) x = x * 1103515245u + 12345u, h[i] = (uint8_t)(x >> 16);
    h[0] = 4, h[1] = 0, h[2] = 1, h[3] = 0;
    h[140] = 0xfd, h[141] = 0x40, h[142] = 0x05;
    h[143] = 7, h[144] = h[145] = h[146] = 0, h[148] = 1;
}

static void bench_impl(int impl, int lanes, double seconds, uint32_t batch, const uint8_t *job) {
    uint8_t header[1487], target[32] = {0}, out[32];
    uint32_t found[16];
    memcpy(header, job, sizeof header);
    void *ctx = malloc(vh_ctx_bytes());
    vh_ctx_init(ctx, impl);
    lanes = vh_ctx_set_lanes(ctx, lanes);
    vh_job_prepare(ctx, header);
    /* warm up, then scan whole batches until the time is up */
    vh_scan(ctx, header + 1472, 0, batch, target, found, 16);
    uint64_t hashes = 0;
    uint32_t start = batch;
    double t0 = now(), t1;
    do {
        vh_scan(ctx, header + 1472, start, batch, target, found, 16);
        start += batch, hashes += batch;
    } while ((t1 = now()) - t0 < seconds);
    const double mhs = hashes / (t1 - t0) / 1e6;
    /* share verdicts: a new tail per share, same job (spec §7.3) */
    uint64_t verdicts = 0;
    t0 = now();
    do {
        for (int i = 0; i < 1000; i++) {
            header[1486] = (uint8_t)i, header[1485] = (uint8_t)(verdicts >> 8);
            vh_hash_header(ctx, header, out);
        }
        verdicts += 1000;
    } while ((t1 = now()) - t0 < seconds / 2);
    printf("{\"driver\":\"c\",\"impl\":\"%s\",\"x86\":\"%s\",\"lanes\":%d,\"threads\":1,"
           "\"mhs\":%.3f,\"verdicts_per_s\":%.0f}\n",
           vh_impl_name(impl), impl == VH_IMPL_AESNI ? vh_dispatch_x86_build() : "-", lanes, mhs,
           verdicts / (t1 - t0));
    fflush(stdout);
    free(ctx);
}

int main(int argc, char **argv) {
    double seconds = 5;
    uint32_t batch = 65536;
    int only = -2, lanes = 0;
    uint8_t job[1487];
    make_header(job);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--header") == 0) {
            const char *hex = argv[i + 1];
            if (strlen(hex) != 2 * sizeof job) {
                fprintf(stderr, "bench: --header needs %zu hex digits\n", 2 * sizeof job);
                return 2;
            }
            for (size_t j = 0; j < sizeof job; j++) {
                unsigned v;
                if (sscanf(hex + 2 * j, "%2x", &v) != 1) {
                    fprintf(stderr, "bench: --header is not hex at digit %zu\n", 2 * j + 1);
                    return 2;
                }
                job[j] = (uint8_t)v;
            }
        } else if (strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0) batch = (uint32_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--x86") == 0) {
            if (strcmp(argv[i + 1], "sse") == 0) vh_dispatch_without_avx2();
            else if (strcmp(argv[i + 1], "avx2") != 0) {
                fprintf(stderr, "bench: --x86 takes avx2 or sse\n");
                return 2;
            }
            if (strcmp(vh_dispatch_x86_build(), argv[i + 1]) != 0) {
                fprintf(stderr, "bench: this CPU cannot run the %s build\n", argv[i + 1]);
                return 2;
            }
        } else if (strcmp(argv[i], "--lanes") == 0) {
            lanes = atoi(argv[i + 1]);
            if (lanes < 0 || lanes > VH_LANES_MAX) {
                fprintf(stderr, "bench: --lanes takes 0 (the fastest) to %d\n", VH_LANES_MAX);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--impl") == 0) {
            for (int k = 0; k < VH_IMPL_COUNT; k++)
                if (strcmp(argv[i + 1], vh_impl_name(k)) == 0) only = k;
            if (only == -2) {
                fprintf(stderr, "bench: unknown implementation '%s'\n", argv[i + 1]);
                return 2;
            }
        }
    }
    for (int k = 0; k < VH_IMPL_COUNT; k++)
        if ((only == -2 || only == k) && vh_impl_available(k)) bench_impl(k, lanes, seconds, batch, job);
    return 0;
}
