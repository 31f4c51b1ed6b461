/*
 * test_analyze_uni.c - the single-signal detector (analyze/uni.h) on
 * synthetic series with known answers: a spike and a step are flagged at
 * the step they happen and explained; a drift is flagged; daily
 * seasonality with noise and no anomaly stays quiet; one-sided signals
 * ignore good news; state survives save/load bit for bit; damaged blobs
 * are refused; parameters are checked.
 */
#include <math.h>

#include "analyze/calib.h"
#include "analyze/uni.h"
#include "test.h"

#define STEP 300000000000LL /* 5 min */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static double gauss(void)
{
    double u1 = ((ol_test_rng(&g_rng) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((ol_test_rng(&g_rng) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Daily cycle at 5-minute steps plus noise. */
static double daily(int i, double noise) { return 100 + 30 * sin(2 * M_PI * i / 288.0) + noise * gauss(); }

typedef struct {
    int first;     /* first step with score >= th, -1 = none */
    int count;     /* steps with score >= th */
    double max;    /* largest score */
    uint8_t det;   /* detector of the first firing */
    int64_t since; /* since_ns at the first firing */
} run_t;

static run_t feed(ol_an_uni_t *u, const double *x, int n, int from, double th)
{
    run_t r = {-1, 0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        ol_an_verdict_t v;
        CHECK_EQ_INT(ol_an_uni_update(u, (int64_t)i * STEP, x[i], &v, NULL), OL_OK);
        CHECK(v.score >= 0 && v.score <= 1);
        if (i < from) continue;
        if (v.score > r.max) r.max = v.score;
        if (v.score >= th) {
            if (r.first < 0) {
                r.first = i;
                r.det = v.det;
                r.since = v.since_ns;
            }
            r.count++;
        }
    }
    return r;
}

static ol_an_uni_t *make(uint8_t kind)
{
    ol_an_uni_t *u = NULL;
    ol_an_uni_options_t o = {.kind = kind};
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_OK);
    return u;
}

enum { N = 4000, AT = 3000 };
#define TH 0.75 /* tail probability below 1e-4.5 */
static double xs[N];

static void test_spike(void)
{
    for (int i = 0; i < N; i++) xs[i] = daily(i, 2);
    xs[AT] += 80;
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK_EQ_INT(r.first, AT);
    CHECK_EQ_INT(r.det, OL_AN_DET_ROBUST);
    CHECK(r.since == (int64_t)AT * STEP);
    CHECK_EQ_INT(r.count, 1);
    ol_an_uni_destroy(u);
}

static void test_step(void)
{
    for (int i = 0; i < N; i++) xs[i] = 100 + 2 * gauss() + (i >= AT ? 25 : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK(r.first >= AT && r.first <= AT + 3);
    /* one anomaly, not one per step of the new level */
    CHECK(r.count <= 3);
    ol_an_uni_destroy(u);
}

static void test_drift(void)
{
    for (int i = 0; i < N; i++) xs[i] = 100 + gauss() + (i >= AT ? 0.2 * (i - AT) : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK(r.first >= AT && r.first < AT + 100);
    ol_an_uni_destroy(u);
}

static void test_seasonality_quiet(void)
{
    /* two weeks of a noisy daily cycle: no point is rarer than the
     * calibration's resolution allows often */
    static double ys[4032];
    for (int i = 0; i < 4032; i++) ys[i] = daily(i, 3);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, ys, 4032, 600, TH);
    CHECK(r.count <= 4);
    ol_an_uni_destroy(u);
    /* no noise at all: a perfect cycle never fires once it was seen */
    for (int i = 0; i < 4032; i++) ys[i] = 100 + 30 * sin(2 * M_PI * i / 288.0);
    u = make(OL_AN_SIG_GENERIC);
    r = feed(u, ys, 4032, 600, TH);
    CHECK_EQ_INT(r.count, 0);
    ol_an_uni_destroy(u);
}

static void test_one_sided(void)
{
    /* latency that drops is good news; latency that rises is not */
    for (int i = 0; i < N; i++) xs[i] = 50 + gauss() - (i >= AT ? 20 : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_LATENCY);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK(r.first < 0 || r.first < AT);
    ol_an_uni_destroy(u);
    for (int i = 0; i < N; i++) xs[i] = 50 + gauss() + (i >= AT ? 20 : 0);
    u = make(OL_AN_SIG_LATENCY);
    r = feed(u, xs, N, 1000, TH);
    CHECK(r.first >= AT && r.first <= AT + 2);
    ol_an_uni_destroy(u);
}

static void test_save_load(void)
{
    for (int i = 0; i < N; i++) xs[i] = daily(i, 2) + (i >= AT ? 25 : 0);
    ol_an_uni_t *a = make(OL_AN_SIG_RATE);
    ol_an_verdict_t va, vb;
    for (int i = 0; i < 2500; i++) ol_an_uni_update(a, (int64_t)i * STEP, xs[i], &va, NULL);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    CHECK_EQ_INT(ol_an_uni_save(a, &b), OL_OK);
    ol_an_uni_t *c = NULL;
    CHECK_EQ_INT(ol_an_uni_load(ol_buf_slice(&b), &c), OL_OK);
    if (!c) return;
    CHECK(ol_an_uni_steps(c) == 2500 && ol_an_uni_warm(c));
    int same = 1;
    for (int i = 2500; i < N; i++) {
        ol_an_uni_update(a, (int64_t)i * STEP, xs[i], &va, NULL);
        ol_an_uni_update(c, (int64_t)i * STEP, xs[i], &vb, NULL);
        same &= memcmp(&va, &vb, sizeof va) == 0;
    }
    CHECK(same);
    /* every truncation and a flipped magic are refused */
    int refused = 1;
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 8) {
        ol_an_uni_t *d = NULL;
        int rc = ol_an_uni_load(ol_slice(b.data, cut), &d);
        refused &= rc == OL_CORRUPT && d == NULL;
    }
    CHECK(refused);
    b.data[0] ^= 1;
    ol_an_uni_t *d = NULL;
    CHECK_EQ_INT(ol_an_uni_load(ol_buf_slice(&b), &d), OL_CORRUPT);
    b.data[0] ^= 1;
    /* a NaN planted in the window is refused */
    size_t at = 4 + 4 + 1 + 8 + 4 + 7 * 4 + 16 + 8 + 8 + 4;
    double nan = NAN;
    memcpy(b.data + at, &nan, 8);
    CHECK_EQ_INT(ol_an_uni_load(ol_buf_slice(&b), &d), OL_CORRUPT);
    ol_buf_free(&b);
    ol_an_uni_destroy(a);
    ol_an_uni_destroy(c);
}

static void test_params_and_input(void)
{
    ol_an_uni_params_t p;
    ol_an_uni_params_default(&p);
    CHECK_EQ_INT(ol_an_uni_param_set(&p, "window", 128), OL_OK);
    CHECK_EQ_INT(p.window, 128);
    CHECK_EQ_INT(ol_an_uni_param_set(&p, "window", 3), OL_LIMIT);
    CHECK_EQ_INT(ol_an_uni_param_set(&p, "fire_p", 2), OL_LIMIT);
    CHECK_EQ_INT(ol_an_uni_param_set(&p, "nope", 1), OL_NOTFOUND);
    ol_an_uni_t *u = NULL;
    ol_an_uni_options_t o = {.params = &p, .kind = 9};
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_LIMIT);
    u = make(OL_AN_SIG_GENERIC);
    ol_an_verdict_t v;
    CHECK_EQ_INT(ol_an_uni_update(u, 10 * STEP, 1, &v, NULL), OL_OK);
    CHECK_EQ_INT(ol_an_uni_update(u, 9 * STEP, 1, &v, NULL), OL_AGAIN); /* back in time */
    CHECK_EQ_INT(ol_an_uni_update(u, 11 * STEP, NAN, &v, NULL), OL_OK);
    CHECK(v.score == 0);
    ol_an_uni_destroy(u);
}

static void test_calib(void)
{
    ol_an_calib_t c;
    CHECK_EQ_INT(ol_an_calib_init(&c, 100), OL_OK);
    CHECK(ol_an_calib_tail(&c, 5) == 1.0);
    for (int i = 1; i <= 150; i++) ol_an_calib_add(&c, i); /* window holds 51..150 */
    CHECK(ol_an_calib_tail(&c, 150) >= 1.0 / 101 && ol_an_calib_tail(&c, 150) <= 2.0 / 101);
    CHECK(fabs(ol_an_calib_tail(&c, 51) - 101.0 / 101) < 1e-12);
    CHECK(fabs(ol_an_calib_tail(&c, 100) - 52.0 / 101) < 1e-12);
    /* past the top: an exponential tail in the top values' own spread */
    CHECK(ol_an_calib_tail(&c, 151) < ol_an_calib_tail(&c, 150));
    CHECK(ol_an_calib_tail(&c, 300) < 1e-12);
    /* a tie at the top is never rarer than its rank */
    for (int i = 0; i < 100; i++) ol_an_calib_add(&c, i % 2 ? 7.0 : 3.0);
    CHECK(fabs(ol_an_calib_tail(&c, 7.0) - 51.0 / 101) < 1e-12);
    ol_an_calib_free(&c);
}

int main(void)
{
    RUN(test_calib);
    RUN(test_spike);
    RUN(test_step);
    RUN(test_drift);
    RUN(test_seasonality_quiet);
    RUN(test_one_sided);
    RUN(test_save_load);
    RUN(test_params_and_input);
    return TEST_REPORT();
}
