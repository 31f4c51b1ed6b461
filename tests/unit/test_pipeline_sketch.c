/*
 * test_pipeline_sketch.c - the latency sketch (pipeline/sketch.h) and the
 * builder of Olly's own metrics (pipeline/emit.h).
 *
 * Sketch: bucket bounds against the OTLP definition, quantiles against the
 * exact order statistics within OL_SKETCH_REL_ERROR, merge == adding
 * everything to one sketch, the encoded data point read back (also at other
 * scales, as a foreign producer would write it), the memory bound, hostile
 * input. Emit: the request it encodes decodes into the expected resources,
 * metrics and points, and written points are in the store.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "pipeline/emit.h"
#include "pipeline/sketch.h"
#include "test.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double rnd01(void) { return (double)(ol_test_rng(&g_rng) >> 11) / 9007199254740992.0; }

/* Log-normal-ish latencies in ms: 0.01 .. ~10^4. */
static double latency(void) { return exp(rnd01() * 13.8 - 4.6); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool within(double got, double want, double rel) { return fabs(got - want) <= rel * fabs(want) + 1e-12; }

static void test_index_bounds(void)
{
    for (int k = 0; k < 20000; k++) {
        double v = exp(rnd01() * 80 - 40);
        int32_t i = ol_sketch_index(v);
        double lo = ol_sketch_lower(i), hi = ol_sketch_lower(i + 1);
        /* (lo, hi], with one ulp of slack for log2 rounding at the edges */
        CHECK(v > lo * (1 - 1e-12) && v <= hi * (1 + 1e-12));
    }
    /* exact powers of two are the upper bound of their bucket */
    CHECK_EQ_INT(ol_sketch_index(1.0), -1);
    CHECK_EQ_INT(ol_sketch_index(2.0), 63);
    CHECK_EQ_INT(ol_sketch_index(0.5), -65);
    CHECK(ol_sketch_lower(0) == 1.0 && ol_sketch_lower(64) == 2.0 && ol_sketch_lower(-64) == 0.5);
    CHECK(within(ol_sketch_lower(1) / ol_sketch_lower(0) - 1, 0.010889, 0.001));
}

static void check_quantiles(const ol_sketch_t *s, double *vals, size_t n)
{
    qsort(vals, n, sizeof *vals, cmp_double);
    static const double qs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};
    for (size_t j = 0; j < OL_ARRAY_LEN(qs); j++) {
        double want = vals[(size_t)floor(qs[j] * (double)(n - 1))];
        double got = ol_sketch_quantile(s, qs[j]);
        if (!within(got, want, OL_SKETCH_REL_ERROR)) {
            fprintf(stderr, "  q%.3f: got %.9g want %.9g\n", qs[j], got, want);
            CHECK(0);
        }
    }
    CHECK(ol_sketch_quantile(s, 0) == vals[0]);
    CHECK(ol_sketch_quantile(s, 1) == vals[n - 1]);
}

static void test_quantiles(void)
{
    enum { N = 50000 };
    double *vals = malloc(N * sizeof *vals);
    ol_sketch_t s;
    ol_sketch_init(&s);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        vals[i] = latency();
        sum += vals[i];
        CHECK_EQ_INT(ol_sketch_add(&s, vals[i]), OL_OK);
    }
    CHECK_EQ_INT(s.count, N);
    CHECK(within(s.sum, sum, 1e-9));
    CHECK(s.n <= OL_SKETCH_MAX_BUCKETS && s.collapsed == 0);
    check_quantiles(&s, vals, N);
    /* Small samples: every rank of 7 values. */
    ol_sketch_t t;
    ol_sketch_init(&t);
    double few[7] = {5, 1, 3, 3, 100, 0.25, 42};
    for (int i = 0; i < 7; i++) ol_sketch_add(&t, few[i]);
    qsort(few, 7, sizeof *few, cmp_double);
    for (int k = 0; k < 7; k++) CHECK(within(ol_sketch_quantile(&t, (k + 0.01) / 6.0), few[k], OL_SKETCH_REL_ERROR));
    /* Empty */
    ol_sketch_t e;
    ol_sketch_init(&e);
    CHECK(ol_sketch_quantile(&e, 0.5) == 0);
    ol_sketch_free(&e);
    ol_sketch_free(&t);
    ol_sketch_free(&s);
    free(vals);
}

static void test_zero_and_odd_values(void)
{
    ol_sketch_t s;
    ol_sketch_init(&s);
    ol_sketch_add_n(&s, 0, 5);
    ol_sketch_add(&s, -1); /* clock skew: counted as zero */
    ol_sketch_add(&s, NAN);
    ol_sketch_add(&s, INFINITY);
    ol_sketch_add_n(&s, 10, 4);
    CHECK_EQ_INT(s.count, 10);
    CHECK_EQ_INT(s.zero_count, 6);
    CHECK(s.min == -1 && s.max == 10);
    CHECK(ol_sketch_quantile(&s, 0.5) == 0);
    CHECK(within(ol_sketch_quantile(&s, 0.9), 10, OL_SKETCH_REL_ERROR));
    ol_sketch_free(&s);
}

static void test_merge(void)
{
    ol_sketch_t all, parts[4], merged;
    ol_sketch_init(&all);
    ol_sketch_init(&merged);
    for (int p = 0; p < 4; p++) ol_sketch_init(&parts[p]);
    for (int i = 0; i < 20000; i++) {
        double v = latency() * (1 + (i % 4) * 10); /* parts with different ranges */
        ol_sketch_add(&all, v);
        ol_sketch_add(&parts[i % 4], v);
    }
    for (int p = 0; p < 4; p++) CHECK_EQ_INT(ol_sketch_merge(&merged, &parts[p]), OL_OK);
    CHECK_EQ_INT(merged.count, all.count);
    CHECK(merged.min == all.min && merged.max == all.max);
    CHECK(within(merged.sum, all.sum, 1e-9));
    for (double q = 0.05; q < 1; q += 0.05) CHECK(ol_sketch_quantile(&merged, q) == ol_sketch_quantile(&all, q));
    ol_sketch_free(&all);
    ol_sketch_free(&merged);
    for (int p = 0; p < 4; p++) ol_sketch_free(&parts[p]);
}

static void test_roundtrip(void)
{
    ol_sketch_t s, back;
    ol_sketch_init(&s);
    ol_sketch_init(&back);
    for (int i = 0; i < 5000; i++) ol_sketch_add(&s, latency());
    ol_sketch_add_n(&s, 0, 3);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    ol_sketch_encode(&s, &b);
    CHECK_EQ_INT(ol_sketch_decode(&back, ol_buf_slice(&b)), OL_OK);
    CHECK_EQ_INT(back.count, s.count);
    CHECK_EQ_INT(back.zero_count, 3);
    CHECK(back.min == s.min && back.max == s.max && back.sum == s.sum);
    for (double q = 0.01; q < 1; q += 0.01) CHECK(ol_sketch_quantile(&back, q) == ol_sketch_quantile(&s, q));
    /* decoding again merges */
    CHECK_EQ_INT(ol_sketch_decode(&back, ol_buf_slice(&b)), OL_OK);
    CHECK_EQ_INT(back.count, 2 * s.count);
    ol_buf_free(&b);
    ol_sketch_free(&s);
    ol_sketch_free(&back);
}

static uint32_t zz(int32_t v) { return ((uint32_t)v << 1) ^ (0u - (uint32_t)(v < 0)); }

/* A point as another producer writes it: scale `scale`, unpacked or packed
 * counts, no min/max. */
static void foreign_point(ol_buf_t *b, int scale, const double *vals, size_t n, bool packed)
{
    /* bucket index at `scale` of v: ceil(log2(v) * 2^scale) - 1 */
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    int32_t idx[64];
    for (size_t i = 0; i < n; i++) {
        idx[i] = (int32_t)ceil(log2(vals[i]) * ldexp(1, scale)) - 1;
        lo = OL_MIN(lo, idx[i]);
        hi = OL_MAX(hi, idx[i]);
    }
    static uint64_t counts[1 << 14];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) counts[idx[i] - lo]++;
    ol_pb_put_fixed64(b, 4, n);
    ol_pb_put_uint(b, 6, zz(scale));
    size_t m = ol_pb_begin(b, 8);
    ol_pb_put_uint(b, 1, zz(lo));
    if (packed) {
        size_t c = ol_pb_begin(b, 2);
        for (int32_t k = 0; k <= hi - lo; k++) ol_pb_put_varint(b, counts[k]);
        ol_pb_end(b, c);
    } else {
        for (int32_t k = 0; k <= hi - lo; k++) ol_pb_put_uint(b, 2, counts[k]);
    }
    ol_pb_end(b, m);
}

static void test_other_scales(void)
{
    double vals[40];
    for (int i = 0; i < 40; i++) vals[i] = latency();
    double sorted[40];
    memcpy(sorted, vals, sizeof vals);
    qsort(sorted, 40, sizeof *sorted, cmp_double);
    /* Finer scale (8): mapped exactly, so the scale-6 error bound holds. */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    foreign_point(&b, 8, vals, 40, false);
    ol_sketch_t s;
    ol_sketch_init(&s);
    CHECK_EQ_INT(ol_sketch_decode(&s, ol_buf_slice(&b)), OL_OK);
    CHECK_EQ_INT(s.count, 40);
    for (int k = 1; k < 39; k++) {
        double q = k / 39.0;
        CHECK(within(ol_sketch_quantile(&s, q), sorted[(size_t)floor(q * 39)], OL_SKETCH_REL_ERROR));
    }
    /* Coarser scale (3, buckets ~9% wide): within that scale's error. */
    ol_buf_reset(&b);
    foreign_point(&b, 3, vals, 40, true);
    ol_sketch_reset(&s);
    CHECK_EQ_INT(ol_sketch_decode(&s, ol_buf_slice(&b)), OL_OK);
    double base3 = exp2(1.0 / 8);
    for (int k = 1; k < 39; k++) {
        double q = k / 39.0;
        CHECK(within(ol_sketch_quantile(&s, q), sorted[(size_t)floor(q * 39)], base3 - 1));
    }
    ol_buf_free(&b);
    ol_sketch_free(&s);
}

static void test_bounded(void)
{
    ol_sketch_t s;
    ol_sketch_init(&s);
    double *vals = malloc(20000 * sizeof *vals);
    for (int i = 0; i < 20000; i++) {
        vals[i] = exp(rnd01() * 1300 - 650); /* 10^-282 .. 10^282 */
        ol_sketch_add(&s, vals[i]);
    }
    CHECK(s.n <= OL_SKETCH_MAX_BUCKETS && s.cap <= OL_SKETCH_MAX_BUCKETS);
    CHECK(s.collapsed > 0);
    qsort(vals, 20000, sizeof *vals, cmp_double);
    /* The top 32 binary orders of magnitude keep the bound. */
    double got = ol_sketch_quantile(&s, 0.999), want = vals[(size_t)floor(0.999 * 19999)];
    if (!within(got, want, OL_SKETCH_REL_ERROR)) fprintf(stderr, "  got %g want %g n %u off %d max %g\n", got, want, s.n, s.offset, s.max);
    CHECK(within(got, want, OL_SKETCH_REL_ERROR));
    CHECK(ol_sketch_quantile(&s, 1) == vals[19999]);
    ol_sketch_free(&s);
    free(vals);
}

static void test_hostile(void)
{
    ol_sketch_t s;
    ol_sketch_init(&s);
    ol_sketch_add(&s, 5);
    static const uint8_t bad1[] = {0x22, 0x05, 0x01}; /* LEN past the end */
    CHECK_EQ_INT(ol_sketch_decode(&s, ol_slice(bad1, sizeof bad1)), OL_CORRUPT);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    ol_pb_put_uint(&b, 6, 2 * 40); /* scale 40 */
    size_t m = ol_pb_begin(&b, 8);
    ol_pb_put_uint(&b, 2, 7);
    ol_pb_end(&b, m);
    CHECK_EQ_INT(ol_sketch_decode(&s, ol_buf_slice(&b)), OL_CORRUPT);
    ol_buf_reset(&b);
    m = ol_pb_begin(&b, 8); /* offset far beyond any double */
    ol_pb_put_uint(&b, 1, 2u * 2000000000u);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, m);
    CHECK_EQ_INT(ol_sketch_decode(&s, ol_buf_slice(&b)), OL_CORRUPT);
    CHECK_EQ_INT(s.count, 1);
    CHECK(s.min == 5 && s.max == 5);
    ol_buf_free(&b);
    ol_sketch_free(&s);
}

/* ---- emit ---- */

typedef struct {
    int metrics, sums, hists;
    uint64_t points;
    char names[8][64];
} seen_t;

static void test_emit_encode(void)
{
    ol_emit_t *e;
    CHECK_EQ_INT(ol_emit_create(&e), OL_OK);
    static const ol_emit_metric_t req = {"t.requests", "d", "{request}"}, dur = {"t.duration", NULL, "ms"};
    ol_emit_attr_t attrs[2] = {{"span.name", OL_SLICE_LIT("GET /")}, {"k", OL_SLICE_LIT("v")}};
    ol_sketch_t s;
    ol_sketch_init(&s);
    ol_sketch_add(&s, 12.5);
    for (int i = 0; i < 3; i++) {
        ol_emit_point_t p = {i == 1 ? OL_SLICE_LIT("b") : OL_SLICE_LIT("a"), attrs, 2, 100, 200};
        CHECK_EQ_INT(ol_emit_sum_int(e, &req, &p, 7 + i), OL_OK);
        CHECK_EQ_INT(ol_emit_exp_histogram(e, &dur, &p, &s), OL_OK);
    }
    ol_emit_point_t p0 = {OL_SLICE_NULL, NULL, 0, 100, 200};
    CHECK_EQ_INT(ol_emit_sum_double(e, &req, &p0, 1.5), OL_OK);
    CHECK_EQ_INT(ol_emit_pending(e), 7);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_emit_encode(e, &b), OL_OK);
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&b), a, &batch, &err), OL_OK);
    CHECK_EQ_INT(batch.n_items, 7);
    CHECK_EQ_INT(batch.n_rejected, 0);
    /* services "", "a", "b" -> 3 resources; "a": duration + requests metrics */
    CHECK_EQ_INT(batch.n_metrics, 5);
    int a_req_points = -1;
    for (size_t i = 0; i < batch.n_metrics; i++) {
        const ol_otlp_metric_t *m = &batch.metrics[i];
        if (ol_slice_eq_cstr(m->origin->service_name, "a") && ol_slice_eq_cstr(m->name, "t.requests")) {
            a_req_points = (int)m->n_points;
            CHECK(m->type == OL_METRIC_SUM);
            CHECK(ol_slice_eq_cstr(m->unit, "{request}"));
        }
        if (ol_slice_eq_cstr(m->name, "t.duration")) CHECK(m->type == OL_METRIC_EXP_HISTOGRAM);
        CHECK(m->min_time_ns == 200 && m->max_time_ns == 200);
    }
    CHECK_EQ_INT(a_req_points, 2);
    ol_arena_destroy(a);
    ol_buf_free(&b);
    ol_sketch_free(&s);
    ol_emit_destroy(e);
}

static int count_points(void *ud, const ol_otlp_metric_t *m)
{
    *(uint64_t *)ud += m->n_points;
    return OL_OK;
}

static void test_emit_write(void)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/olly-test-emit-XXXXXX");
    if (!mkdtemp(dir)) abort();
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_NEVER};
    ol_store_t *st;
    ol_err_t err;
    if (ol_store_open(&o, &st, &err) != OL_OK) abort();
    ol_emit_t *e;
    CHECK_EQ_INT(ol_emit_create(&e), OL_OK);
    static const ol_emit_metric_t m = {"t.big", NULL, NULL};
    /* Not ready yet (no replay): the store refuses, the points are counted lost. */
    ol_emit_point_t p = {OL_SLICE_LIT("svc"), NULL, 0, 1000, 2000};
    ol_emit_sum_int(e, &m, &p, 1);
    CHECK(ol_emit_write(e, st, &err) != OL_OK);
    ol_emit_stats_t es;
    ol_emit_stats(e, &es);
    CHECK_EQ_INT(es.points_failed, 1);
    CHECK_EQ_INT(es.errors, 1);
    CHECK_EQ_INT(ol_emit_pending(e), 0);
    CHECK_EQ_INT(ol_store_replay(st), OL_OK);
    /* Enough points with long attributes to need several requests. */
    char val[600];
    memset(val, 'x', sizeof val);
    ol_emit_attr_t attrs[1] = {{"pad", ol_slice(val, sizeof val)}};
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        ol_emit_point_t q = {i % 2 ? OL_SLICE_LIT("svc1") : OL_SLICE_LIT("svc2"), attrs, 1, 1000 + (uint64_t)i,
                             2000 + (uint64_t)i};
        ol_emit_sum_int(e, &m, &q, i);
    }
    CHECK_EQ_INT(ol_emit_write(e, st, &err), OL_OK);
    ol_emit_stats(e, &es);
    CHECK_EQ_INT(es.points_written, N);
    CHECK(es.requests >= 3);
    uint64_t n = 0;
    CHECK_EQ_INT(ol_store_scan_metric(st, OL_SLICE_LIT("t.big"), 0, UINT64_MAX, count_points, &n), OL_OK);
    CHECK_EQ_INT(n, N);
    ol_emit_destroy(e);
    ol_store_close(st);
    ol_test_rm_rf(dir);
}

int main(void)
{
    RUN(test_index_bounds);
    RUN(test_quantiles);
    RUN(test_zero_and_odd_values);
    RUN(test_merge);
    RUN(test_roundtrip);
    RUN(test_other_scales);
    RUN(test_bounded);
    RUN(test_hostile);
    RUN(test_emit_encode);
    RUN(test_emit_write);
    return TEST_REPORT();
}
