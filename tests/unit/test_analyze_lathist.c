/*
 * test_analyze_lathist.c - the pooled latency histogram against exact
 * answers: quantiles of a known sample within a bucket's width, the same
 * answer however the requests are split into steps (the reason it exists),
 * decay as a half-life, the bounded window folding low values while high
 * quantiles hold, odd values, and the blob: round trip and damage refused.
 */
#include "analyze/lathist.h"
#include "analyze/verdict.h"
#include "core/alloc.h"
#include "core/util.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET 1.0443 /* 2^(1/16): a bucket's width */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The exact value at share q of a sorted sample (rank ceil(q*n) - 1). */
static double exact_q(const double *v, size_t n, double q) { return v[(size_t)ceil(q * (double)n) - 1]; }

static bool within_bucket(double got, double want) { return got <= want * BUCKET && got >= want / BUCKET; }

static void test_lathist_quantiles(void)
{
    enum { N = 20000 };
    static double v[N];
    uint64_t rng = 5;
    ol_an_lathist_t *h;
    CHECK_EQ_INT(ol_an_lathist_create(&h), OL_OK);
    CHECK(isnan(ol_an_lathist_quantile(h, 0.95)));
    for (size_t i = 0; i < N; i++) {
        v[i] = 20 * exp(0.5 * ol_test_gauss(&rng));
        ol_an_lathist_add_value(h, v[i], 1);
    }
    qsort(v, N, sizeof *v, cmp_double);
    CHECK(fabs(ol_an_lathist_weight(h) - N) < 1e-6 * N);
    const double qs[] = {0.5, 0.9, 0.95, 0.99};
    for (size_t i = 0; i < OL_ARRAY_LEN(qs); i++) CHECK(within_bucket(ol_an_lathist_quantile(h, qs[i]), exact_q(v, N, qs[i])));
    CHECK(ol_an_lathist_quantile(h, 0.5) < ol_an_lathist_quantile(h, 0.95));
    ol_an_lathist_destroy(h);
}

/* One request a step or all in one: the same histogram (a step's p95
 * would be the median in the first case). Via sketches, as the analyzer
 * feeds it. */
static void test_lathist_split_independent(void)
{
    ol_an_lathist_t *one, *many;
    CHECK_EQ_INT(ol_an_lathist_create(&one), OL_OK);
    CHECK_EQ_INT(ol_an_lathist_create(&many), OL_OK);
    ol_sketch_t all, step;
    ol_sketch_init(&all);
    ol_sketch_init(&step);
    uint64_t rng = 9;
    for (int i = 0; i < 3000; i++) {
        double x = 17 * exp(0.25 * ol_test_gauss(&rng));
        ol_sketch_add(&all, x);
        ol_sketch_reset(&step);
        ol_sketch_add(&step, x);
        ol_an_lathist_add(many, &step);
    }
    ol_an_lathist_add(one, &all);
    CHECK(fabs(ol_an_lathist_weight(one) - 3000) < 1e-3);
    CHECK(ol_an_lathist_quantile(one, 0.95) == ol_an_lathist_quantile(many, 0.95));
    /* and the sketch's own p95 of everything, within a bucket */
    CHECK(within_bucket(ol_an_lathist_quantile(one, 0.95), ol_sketch_quantile(&all, 0.95)));
    ol_sketch_free(&all);
    ol_sketch_free(&step);
    ol_an_lathist_destroy(one);
    ol_an_lathist_destroy(many);
}

/* Decay is a half-life: 1000 requests at 10 ms, one half-life, 1000 at 40
 * ms: the new ones are two thirds of the weight, so the median is 40 ms's
 * bucket and the 0.2 quantile 10 ms's. */
static void test_lathist_decay(void)
{
    ol_an_lathist_t *h;
    CHECK_EQ_INT(ol_an_lathist_create(&h), OL_OK);
    ol_an_lathist_add_value(h, 10, 1000);
    for (int i = 0; i < 100; i++) ol_an_lathist_decay(h, exp2(-0.01));
    CHECK(fabs(ol_an_lathist_weight(h) - 500) < 0.5);
    ol_an_lathist_add_value(h, 40, 1000);
    CHECK(within_bucket(ol_an_lathist_quantile(h, 0.5), 40));
    CHECK(within_bucket(ol_an_lathist_quantile(h, 0.2), 10));
    ol_an_lathist_decay(h, 0); /* refused: not a factor in (0, 1] */
    ol_an_lathist_decay(h, 1.5);
    CHECK(fabs(ol_an_lathist_weight(h) - 1500) < 1);
    ol_an_lathist_destroy(h);
}

/* Values over 2^20 of range: the window keeps the top 12 binary orders;
 * the p95 of the slow ones holds, the lowest are folded, not lost. */
static void test_lathist_window(void)
{
    ol_an_lathist_t *h;
    CHECK_EQ_INT(ol_an_lathist_create(&h), OL_OK);
    ol_an_lathist_add_value(h, 0.001, 50); /* below everything later */
    ol_an_lathist_add_value(h, 0, 10);     /* zeros, and negatives, go lowest */
    ol_an_lathist_add_value(h, -3, 10);
    ol_an_lathist_add_value(h, NAN, 10);   /* ignored */
    ol_an_lathist_add_value(h, 5, -1);     /* ignored */
    for (int i = 1; i <= 100; i++) ol_an_lathist_add_value(h, 1000.0 * i, 1);
    CHECK(fabs(ol_an_lathist_weight(h) - 170) < 1e-3);
    /* 170 values; the top 5% (8.5) are 92..100 s */
    CHECK(within_bucket(ol_an_lathist_quantile(h, 0.95), 91500));
    CHECK(ol_an_lathist_quantile(h, 0) >= 100000.0 / 4096 / BUCKET); /* the folded ones sit at the window's bottom */
    ol_an_lathist_add_value(h, INFINITY, 1); /* the top of the range, not a crash */
    CHECK(isfinite(ol_an_lathist_quantile(h, 1)));
    ol_an_lathist_destroy(h);
}

static void test_lathist_blob(void)
{
    ol_an_lathist_t *h, *g = NULL;
    CHECK_EQ_INT(ol_an_lathist_create(&h), OL_OK);
    uint64_t rng = 3;
    for (int i = 0; i < 500; i++) ol_an_lathist_add_value(h, 30 * exp(0.4 * ol_test_gauss(&rng)), 1);
    ol_an_lathist_decay(h, 0.9);
    ol_buf_t b, b2;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    ol_buf_init(&b2, OL_MEM_ANALYZE, 0);
    CHECK_EQ_INT(ol_an_lathist_save(h, &b), OL_OK);
    CHECK_EQ_INT(ol_an_lathist_load(ol_buf_slice(&b), &g), OL_OK);
    CHECK(g != NULL);
    CHECK(ol_an_lathist_quantile(g, 0.95) == ol_an_lathist_quantile(h, 0.95));
    CHECK_EQ_INT(ol_an_lathist_save(g, &b2), OL_OK);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    ol_an_lathist_destroy(g);
    /* damage: a flipped byte, a cut, nothing */
    for (size_t i = 0; i < b.len; i += 7) {
        b.data[i] ^= 0x40;
        g = (ol_an_lathist_t *)1;
        CHECK_EQ_INT(ol_an_lathist_load(ol_buf_slice(&b), &g), OL_CORRUPT);
        CHECK(g == NULL);
        b.data[i] ^= 0x40;
    }
    CHECK_EQ_INT(ol_an_lathist_load(ol_slice(b.data, b.len - 1), &g), OL_CORRUPT);
    CHECK_EQ_INT(ol_an_lathist_load(ol_slice(b.data, 0), &g), OL_CORRUPT);
    /* sealed but wrong inside: a negative weight, and too many buckets */
    ol_buf_reset(&b2);
    ol_an_wr_header(&b2, "LATH", 1);
    ol_an_wr_i64(&b2, 10);
    ol_an_wr_u32(&b2, 1);
    float neg = -1;
    ol_an_wr_f32s(&b2, &neg, 1);
    ol_an_wr_seal(&b2, 0);
    CHECK_EQ_INT(ol_an_lathist_load(ol_buf_slice(&b2), &g), OL_CORRUPT);
    ol_buf_reset(&b2);
    ol_an_wr_header(&b2, "LATH", 1);
    ol_an_wr_i64(&b2, 10);
    ol_an_wr_u32(&b2, OL_AN_LATH_CAP + 1);
    float w[OL_AN_LATH_CAP + 1] = {0};
    ol_an_wr_f32s(&b2, w, OL_AN_LATH_CAP + 1);
    ol_an_wr_seal(&b2, 0);
    CHECK_EQ_INT(ol_an_lathist_load(ol_buf_slice(&b2), &g), OL_CORRUPT);
    ol_buf_free(&b);
    ol_buf_free(&b2);
    ol_an_lathist_destroy(h);
}

int main(void)
{
    RUN(test_lathist_quantiles);
    RUN(test_lathist_split_independent);
    RUN(test_lathist_decay);
    RUN(test_lathist_window);
    RUN(test_lathist_blob);
    return TEST_REPORT();
}
