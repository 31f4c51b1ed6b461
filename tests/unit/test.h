/*
 * test.h - the unit-test harness: one binary per module, each test a
 * function, each CHECK counted; the binary ends with "N passed, N failed"
 * (counting test functions) and exits non-zero on any failure.
 *
 * Fixtures: ol_test_fixture("otlp/otlp-http-proto.traces.body") reads a file
 * under $OLLY_SHARED (default ../shared)/fixtures into malloc'd memory.
 */
#ifndef OL_TEST_H
#define OL_TEST_H

#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/alloc.h"

static int ol_test_failed_checks;
static int ol_test_passed, ol_test_failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            ol_test_failed_checks++;                                                  \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                        \
    do {                                                                                          \
        long long ol_a_ = (long long)(a), ol_b_ = (long long)(b);                                 \
        if (ol_a_ != ol_b_) {                                                                     \
            ol_test_failed_checks++;                                                              \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, \
                    ol_a_, ol_b_);                                                                \
        }                                                                                         \
    } while (0)

#define RUN(fn)                                                      \
    do {                                                             \
        int ol_before_ = ol_test_failed_checks;                      \
        fn();                                                        \
        if (ol_test_failed_checks == ol_before_) {                   \
            ol_test_passed++;                                        \
            fprintf(stderr, "ok   %s\n", #fn);                       \
        } else {                                                     \
            ol_test_failed++;                                        \
            fprintf(stderr, "FAIL %s\n", #fn);                       \
        }                                                            \
    } while (0)

#define TEST_REPORT()                                                  \
    (printf("%d passed, %d failed\n", ol_test_passed, ol_test_failed), \
     ol_test_failed ? 1 : 0)

static inline unsigned char *ol_test_fixture(const char *rel, size_t *len)
{
    const char *root = getenv("OLLY_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/%s", root ? root : "../shared", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open fixture %s\n", path);
        *len = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
    fclose(f);
    if (p) p[n] = 0;
    *len = p ? (size_t)n : 0;
    return p;
}

/* xorshift64: a test's reproducible pseudo-random numbers (state not 0). */
static inline uint64_t ol_test_rng(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* A standard normal variate from ol_test_rng (Box-Muller). */
static inline double ol_test_gauss(uint64_t *state)
{
    double u1 = (double)((ol_test_rng(state) >> 11) + 1) * 0x1p-53, u2 = (double)(ol_test_rng(state) >> 11) * 0x1p-53;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Monotonic wall time and this thread's CPU time, in ns (cost reports only:
 * tests never assert on time). */
static inline double ol_test_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline double ol_test_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* "Nothing allocated since": arm, run the code, then ask. The probe lets
 * exactly two allocations through after arming; the code under test must
 * leave both to the probe itself. */
static inline void ol_test_alloc_probe_arm(void) { ol_alloc_fail_after(2); }
static inline bool ol_test_alloc_probe_clean(void)
{
    void *a = ol_malloc(OL_MEM_CORE, 8), *b = ol_malloc(OL_MEM_CORE, 8);
    ol_alloc_fail_after(0);
    bool clean = a && !b;
    ol_free(OL_MEM_CORE, a, 8);
    ol_free(OL_MEM_CORE, b, 8);
    return clean;
}

static inline int ol_test_rm_cb_(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Removes a test's directory tree. */
static inline void ol_test_rm_rf(const char *dir) { nftw(dir, ol_test_rm_cb_, 16, FTW_DEPTH | FTW_PHYS); }

#endif
