/*
 * test_analyze_uni.c - the single-signal detector (analyze/uni.h) on
 * synthetic series with known answers: a spike and a step are flagged at
 * the step they happen and explained; a drift is flagged; daily
 * seasonality with noise and no anomaly stays quiet; one-sided signals
 * ignore good news; state survives save/load bit for bit; damaged blobs
 * are refused; parameters are checked.
 *
 * The seasonal baseline (season.h) has its own: a step of 25 on a +-30
 * daily cycle at 10 s and 60 s steps is caught at the step with its onset
 * and explained against the profile (expected follows the cycle); a slow
 * drift away from the cycle is caught; days of a noisy cycle stay quiet;
 * a weekend that runs lower is not flagged once two weekends were seen;
 * a signal without seasonality keeps the local window.
 */
#include <math.h>

#include "analyze/calib.h"
#include "analyze/season.h"
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

static run_t feed_at(ol_an_uni_t *u, const double *x, int n, int from, double th, int64_t step)
{
    run_t r = {-1, 0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        ol_an_verdict_t v;
        CHECK_EQ_INT(ol_an_uni_update(u, (int64_t)i * step, x[i], &v, NULL), OL_OK);
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

static run_t feed(ol_an_uni_t *u, const double *x, int n, int from, double th)
{
    return feed_at(u, x, n, from, th, STEP);
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
    for (int i = 0; i < N; i++) xs[i] = daily(i, 2) + (i >= AT ? 25 : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK(r.first >= AT && r.first <= AT + 3);
    /* one anomaly, not one per step of the new level */
    CHECK(r.count <= 3);
    ol_an_uni_destroy(u);
}

static void test_drift(void)
{
    for (int i = 0; i < N; i++) xs[i] = daily(i, 1) + (i >= AT ? 0.2 * (i - AT) : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, xs, N, 1000, TH);
    CHECK(r.first >= AT && r.first < AT + 100);
    ol_an_uni_destroy(u);
}

/* A cycle of +-30 around 100 at `step`, noise 2, a step of 25 after
 * `days` days (at 15:00, on the rising flank... any time: 15:37). */
static void seasonal_step(int64_t step, int days)
{
    int per_day = (int)(86400000000000LL / step), n = (days + 1) * per_day, at = days * per_day + per_day * 15 / 24;
    double *x = ol_malloc(OL_MEM_ANALYZE, (size_t)n * sizeof *x);
    for (int i = 0; i < n; i++) x[i] = 100 + 30 * sin(2 * M_PI * i / per_day) + 2 * gauss() + (i >= at ? 25 : 0);
    ol_an_uni_t *u = NULL;
    ol_an_uni_options_t o = {.kind = OL_AN_SIG_RATE, .step_ns = step};
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_OK);
    run_t r = {-1, 0, 0, 0, 0};
    double worst_expected = 0; /* how far `expected` strays from the true cycle before the step */
    for (int i = 0; i < n; i++) {
        ol_an_verdict_t v, parts[OL_AN_DET__COUNT];
        CHECK_EQ_INT(ol_an_uni_update(u, (int64_t)i * step, x[i], &v, parts), OL_OK);
        double top = 0;
        for (int d = 0; d < OL_AN_DET__COUNT; d++) top = fmax(top, parts[d].score);
        CHECK(top >= v.score - 1e-12); /* parts are raw: never below the held-down combined score */
        if (i >= 4 * per_day && i < at) {
            worst_expected = fmax(worst_expected, fabs(v.expected - (100 + 30 * sin(2 * M_PI * i / per_day))));
            if (v.score >= TH) r.count++;
        }
        if (i >= at && r.first < 0 && v.score >= TH) {
            r.first = i;
            r.since = v.since_ns;
            r.det = v.det;
            r.max = v.deviation;
        }
    }
    CHECK(ol_an_uni_seasonal(u));
    CHECK(worst_expected < 3);
    CHECK_EQ_INT(r.count, 0);
    CHECK(r.first >= at && r.first <= at + 2);
    CHECK(r.since == (int64_t)at * step);
    CHECK_EQ_INT(r.det, OL_AN_DET_ROBUST);
    CHECK(r.max > 8); /* about 25 / 2 */
    ol_an_uni_destroy(u);
    ol_free(OL_MEM_ANALYZE, x, (size_t)n * sizeof *x);
}

static void test_seasonal_step(void)
{
    seasonal_step(60000000000LL, 5);
    seasonal_step(10000000000LL, 4);
}

static void test_seasonal_drift(void)
{
    /* 60 s steps; from day 5 the signal drifts away from its cycle by 2 per
     * hour (a leak): within a few hours it must be flagged */
    enum { PD = 1440, DAYS = 6 };
    static double x[DAYS * PD];
    int at = 5 * PD + 200;
    for (int i = 0; i < DAYS * PD; i++)
        x[i] = 100 + 30 * sin(2 * M_PI * i / PD) + 2 * gauss() + (i >= at ? 2.0 * (i - at) / 60 : 0);
    ol_an_uni_t *u = NULL;
    ol_an_uni_options_t o = {.kind = OL_AN_SIG_GENERIC, .step_ns = 60000000000LL};
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_OK);
    run_t r = feed_at(u, x, DAYS * PD, at, 0.5, 60000000000LL); /* 0.5: p <= fire_p, an anomaly opens */
    CHECK(r.first >= at && r.first < at + 6 * 60);
    ol_an_uni_destroy(u);
}

static void test_seasonal_quiet(void)
{
    /* a week of a noisy cycle at 60 s steps with the step learned from
     * the timestamps: nothing fires once the profile is in use */
    enum { PD = 1440, DAYS = 7 };
    static double x[DAYS * PD];
    for (int i = 0; i < DAYS * PD; i++) x[i] = 100 + 30 * sin(2 * M_PI * i / PD) + 3 * gauss();
    ol_an_uni_t *u = NULL;
    ol_an_uni_options_t o = {.kind = OL_AN_SIG_GENERIC};
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_OK);
    run_t r = feed_at(u, x, DAYS * PD, 3 * PD, TH, 60000000000LL);
    CHECK(ol_an_uni_seasonal(u));
    CHECK(r.count <= 2); /* 5760 steps, four calibrated features at p < 10^-4.5 */
    ol_an_uni_destroy(u);
    /* the same length of plain noise: the profile explains nothing and the
     * local window stays the baseline */
    for (int i = 0; i < DAYS * PD; i++) x[i] = 100 + 3 * gauss();
    CHECK_EQ_INT(ol_an_uni_create(&o, &u), OL_OK);
    r = feed_at(u, x, DAYS * PD, 3 * PD, TH, 60000000000LL);
    CHECK(!ol_an_uni_seasonal(u));
    CHECK(r.count <= 2);
    ol_an_uni_destroy(u);
}

static void test_weekly(void)
{
    /* 5-minute steps from a Thursday; Saturdays and Sundays run 40 lower
     * than weekdays. Once each weekend day was seen twice against the
     * daily profile (weeks 2 and 3), week 4's weekend is not news. */
    enum { PD = 288, DAYS = 28 };
    static double x[DAYS * PD];
    for (int i = 0; i < DAYS * PD; i++) {
        int wd = (i / PD + 3) % 7; /* 0 = Monday */
        x[i] = 100 + 30 * sin(2 * M_PI * i / PD) + 2 * gauss() - (wd >= 5 ? 40 : 0);
    }
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    run_t r = feed(u, x, DAYS * PD, 21 * PD, TH);
    CHECK_EQ_INT(r.count, 0);
    ol_an_uni_destroy(u);
    /* the profile itself follows the weekend within noise in week 4 */
    ol_an_season_t *s = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *s);
    ol_an_season_init(s, STEP);
    double worst_weekly = 0;
    for (int i = 0; i < DAYS * PD; i++) {
        double e = ol_an_season_update(s, (int64_t)i * STEP, x[i]);
        int wd = (i / PD + 3) % 7;
        double truth = 100 + 30 * sin(2 * M_PI * i / PD) - (wd >= 5 ? 40 : 0);
        if (i >= 21 * PD) worst_weekly = fmax(worst_weekly, fabs(e - truth));
    }
    CHECK(worst_weekly < 5);
    CHECK(ol_an_season_days(s) == OL_AN_SEASON_DAYS);
    ol_free(OL_MEM_ANALYZE, s, sizeof *s);
}

static void test_season_profile(void)
{
    /* the profile alone: NaN until 3 days, then the cycle within noise; a
     * single bad day does not move it; the step is learned */
    ol_an_season_t *s = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *s);
    ol_an_season_init(s, 0);
    enum { PD = 288 };
    int nan_after_3 = 0;
    double worst = 0, worst_bad = 0;
    for (int i = 0; i < 8 * PD; i++) {
        double truth = 50 + 20 * cos(2 * M_PI * i / PD);
        double x = truth + 0.5 * gauss() + (i / PD == 4 ? 100 : 0); /* day 4 is bad */
        double e = ol_an_season_update(s, 1700000000000000000LL + (int64_t)i * STEP, x);
        if (i < 2 * PD) CHECK(isnan(e));
        if (i >= 3 * PD + 16 && isnan(e)) nan_after_3++;
        if (i >= 3 * PD + 16 && i / PD != 4) worst = fmax(worst, fabs(e - truth));
        if (i / PD == 5) worst_bad = fmax(worst_bad, fabs(e - truth));
    }
    CHECK(s->step_ns == STEP && s->slots == 288);
    CHECK_EQ_INT(nan_after_3, 0);
    CHECK(worst < 2);
    CHECK(worst_bad < 2);
    /* save/load round trip, truncations refused */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    ol_an_season_save(s, &b);
    ol_an_season_t *c = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *c);
    ol_an_rd_t r = ol_an_rd(ol_buf_slice(&b));
    ol_an_season_load(c, &r);
    CHECK(r.rc == OL_OK && r.left == 0);
    double a1 = ol_an_season_update(s, 1700000000000000000LL + (int64_t)(8 * PD) * STEP, 60);
    double a2 = ol_an_season_update(c, 1700000000000000000LL + (int64_t)(8 * PD) * STEP, 60);
    CHECK(a1 == a2);
    int refused = 1;
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 16) {
        r = ol_an_rd(ol_slice(b.data, cut));
        ol_an_season_load(c, &r);
        refused &= r.rc == OL_CORRUPT;
    }
    CHECK(refused);
    ol_buf_free(&b);
    ol_free(OL_MEM_ANALYZE, s, sizeof *s);
    ol_free(OL_MEM_ANALYZE, c, sizeof *c);
}

static void test_cusum_part(void)
{
    /* a shift of 1.5 sigma is no spike: the CUSUM part sees it within a
     * few dozen steps, and is quiet before (its calibration history, a
     * week, lies wholly after the switch to the seasonal baseline) */
    enum { M = 6000, AT2 = 5500 };
    static double ys[M];
    for (int i = 0; i < M; i++) ys[i] = daily(i, 2) + (i >= AT2 ? 3 : 0);
    ol_an_uni_t *u = make(OL_AN_SIG_GENERIC);
    double before = 0, after = 0;
    for (int i = 0; i < M; i++) {
        ol_an_verdict_t v, parts[OL_AN_DET__COUNT];
        CHECK_EQ_INT(ol_an_uni_update(u, (int64_t)i * STEP, ys[i], &v, parts), OL_OK);
        CHECK(parts[OL_AN_DET_CUSUM].score == 0 || parts[OL_AN_DET_CUSUM].det == OL_AN_DET_CUSUM);
        if (i >= 4500 && i < AT2) before = fmax(before, parts[OL_AN_DET_CUSUM].score);
        if (i >= AT2 && i < AT2 + 60) after = fmax(after, parts[OL_AN_DET_CUSUM].score);
    }
    CHECK(before < 0.75);
    CHECK(after >= 0.5);
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
    size_t at = 4 + 4 + 1 + 8 + 4 + 8 * 4 + 32 + 8 + 8 + 4;
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
    RUN(test_cusum_part);
    RUN(test_season_profile);
    RUN(test_seasonal_step);
    RUN(test_seasonal_drift);
    RUN(test_seasonal_quiet);
    RUN(test_weekly);
    RUN(test_one_sided);
    RUN(test_save_load);
    RUN(test_params_and_input);
    return TEST_REPORT();
}
