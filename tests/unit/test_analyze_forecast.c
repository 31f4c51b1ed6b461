/*
 * test_analyze_forecast.c - Holt-Winters on synthetic series with known
 * answers: exact initialisation, seasonality, trends and the breach
 * estimate against its analytic value, missing steps, spikes and shifts,
 * interval coverage, persistence and damaged blobs.
 */
#include "analyze/forecast.h"
#include "core/alloc.h"
#include "core/util.h"
#include "test.h"

#include <math.h>
#include <time.h>

#define STEP_NS 60000000000ll

static double seasonal(int t, int m) { return 100 + 20 * sin(2 * M_PI * t / m) + 8 * cos(4 * M_PI * t / m); }

/* Noise-free data: initialisation recovers level, trend and season exactly. */
static void test_fc_init_exact(void)
{
    ol_an_fc_t *f;
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.period = 4, .phi = 0.98}, &f), OL_OK);
    static const double s[4] = {1, -1, 2, -2};
    double mean, sd;
    for (int t = 0; t < 8; t++) {
        CHECK(!ol_an_fc_ready(f));
        CHECK_EQ_INT(ol_an_fc_forecast(f, 1, &mean, &sd), OL_AGAIN);
        CHECK_EQ_INT(ol_an_fc_update(f, t * STEP_NS, 10 + 0.5 * t + s[t % 4], NULL), OL_AGAIN);
    }
    CHECK(ol_an_fc_ready(f));
    /* phi 0.98 damps the trend: forecast(h) = level + trend * (phi + .. + phi^h) + season */
    double level = 10 + 0.5 * 7, phis = 0;
    for (int h = 1; h <= 8; h++) {
        phis += pow(0.98, h);
        CHECK_EQ_INT(ol_an_fc_forecast(f, (uint32_t)h, &mean, &sd), OL_OK);
        CHECK(fabs(mean - (level + 0.5 * phis + s[(7 + h) % 4])) < 1e-9);
    }
    CHECK_EQ_INT(ol_an_fc_forecast(f, 0, &mean, &sd), OL_ERR);
    ol_an_fc_destroy(f);

    /* Undamped, no season: a line is forecast exactly, residuals stay 0. */

    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.init_steps = 5, .phi = 1}, &f), OL_OK);
    ol_an_verdict_t v;
    for (int t = 0; t < 40; t++) {
        ol_an_fc_update(f, t * STEP_NS, 3 + 2 * t, &v);
        if (t >= 5) CHECK(fabs(v.expected - (3 + 2 * t)) < 1e-9 && fabs(v.value - v.expected) < 1e-9);
    }
    CHECK_EQ_INT(ol_an_fc_forecast(f, 10, &mean, &sd), OL_OK);
    CHECK(fabs(mean - (3 + 2 * 49)) < 1e-8);
    ol_an_fc_destroy(f);

    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.period = 1}, &f), OL_ERR);
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.alpha = 1.5}, &f), OL_ERR);
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.objective = {.dir = 3}}, &f), OL_ERR);
}

/* A daily-like season of 48 steps under noise: after two seasons of
 * initialisation and two of learning, one-step errors are noise-sized, and
 * the 95% intervals hold about 95% of the values. A model without the
 * season is far worse on the same data. */
static void test_fc_season(void)
{
    const int m = 48;
    uint64_t rng = 11;
    ol_an_fc_t *f, *flat;
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.period = m}, &f), OL_OK);
    CHECK_EQ_INT(ol_an_fc_create(NULL, &flat), OL_OK);
    double se = 0, se_flat = 0, se12 = 0;
    int n = 0, inside = 0, n12 = 0, inside12 = 0;
    double pend[12]; /* 12-step-ahead forecasts waiting for their value */
    double pend_sd[12];
    for (int t = 0; t < 14 * m; t++) {
        double y = seasonal(t, m) + ol_test_gauss(&rng);
        ol_an_verdict_t v, vf;
        if (t >= 4 * m && t >= 12) {
            double e12 = y - pend[t % 12];
            se12 += e12 * e12;
            n12++;
            inside12 += fabs(e12) < 1.96 * pend_sd[t % 12];
        }
        double mean1 = NAN, sd1 = NAN;
        if (ol_an_fc_ready(f)) ol_an_fc_forecast(f, 1, &mean1, &sd1);
        ol_an_fc_update(f, t * STEP_NS, y, &v);
        ol_an_fc_update(flat, t * STEP_NS, y, &vf);
        if (t >= 4 * m) {
            CHECK(fabs(v.expected - mean1) < 1e-9);
            se += (y - v.expected) * (y - v.expected);
            se_flat += (y - vf.expected) * (y - vf.expected);
            inside += fabs(y - mean1) < 1.96 * sd1;
            n++;
        }
        if (ol_an_fc_ready(f)) ol_an_fc_forecast(f, 12, &pend[(t + 12) % 12], &pend_sd[(t + 12) % 12]);
    }
    double rmse = sqrt(se / n), rmse_flat = sqrt(se_flat / n), rmse12 = sqrt(se12 / n12);
    fprintf(stderr, "  season m=48, noise 1: rmse(1) %.3f, rmse(12) %.3f, no-season model %.3f; "
                    "95%% interval coverage h=1 %.3f, h=12 %.3f\n",
            rmse, rmse12, rmse_flat, (double)inside / n, (double)inside12 / n12);
    CHECK(rmse < 1.3);
    CHECK(rmse12 < 1.8);
    CHECK(rmse_flat > 3 * rmse);
    CHECK((double)inside / n > 0.9 && (double)inside / n < 0.99);
    CHECK((double)inside12 / n12 > 0.88 && (double)inside12 / n12 < 0.995);
    ol_an_fc_destroy(f);
    ol_an_fc_destroy(flat);
}

/* A random walk with alpha 1 and no trend: the model is exactly the
 * random-walk forecaster, whose h-step error variance is h sigma^2. The
 * intervals must widen as sqrt(h) and hold ~95% of the values. */
static void test_fc_interval_growth(void)
{
    uint64_t rng = 18;
    ol_an_fc_t *f;
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.alpha = 1, .beta = -1, .var_weight = 0.01}, &f), OL_OK);
    enum { H = 20, N = 20000 };
    static double y[N + H], pm[N], ps[N];
    y[0] = 0;
    for (int t = 1; t < N + H; t++) y[t] = y[t - 1] + ol_test_gauss(&rng);
    int inside = 0, n = 0, ready = 0;
    double ratio = 0;
    for (int t = 0; t < N; t++) {
        ol_an_fc_update(f, t * STEP_NS, y[t], NULL);
        if (!ol_an_fc_ready(f)) continue;
        double m1, s1;
        ol_an_fc_forecast(f, H, &pm[t], &ps[t]);
        ol_an_fc_forecast(f, 1, &m1, &s1);
        ratio += ps[t] / s1;
        ready++;
        if (t > 1000) inside += fabs(y[t + H] - pm[t]) < 1.96 * ps[t], n++;
    }
    fprintf(stderr, "  random walk: sd(20)/sd(1) %.3f (sqrt 20 = %.3f), 20-step 95%% coverage %.3f\n",
            ratio / ready, sqrt(H), (double)inside / n);
    CHECK(fabs(ratio / ready - sqrt(H)) < 1e-6);
    CHECK((double)inside / n > 0.92 && (double)inside / n < 0.975);
    ol_an_fc_destroy(f);
}

/* Missing steps: 20% scattered NaNs and a 30-step hole; the phase is kept. */
static void test_fc_missing(void)
{
    const int m = 48;
    uint64_t rng = 12;
    ol_an_fc_t *f;
    ol_an_fc_create(&(ol_an_fc_options_t){.period = m}, &f);
    double se = 0, se_after = 0;
    int n = 0, n_after = 0;
    for (int t = 0; t < 12 * m; t++) {
        double y = seasonal(t, m) + ol_test_gauss(&rng);
        bool hole = (ol_test_rng(&rng) % 5 == 0) || (t >= 6 * m && t < 6 * m + 30);
        ol_an_verdict_t v;
        int rc = ol_an_fc_update(f, t * STEP_NS, hole ? NAN : y, &v);
        if (t >= 2 * m) CHECK_EQ_INT(rc, OL_OK);
        if (t >= 4 * m && !hole) {
            double e = y - v.expected;
            se += e * e, n++;
            if (t >= 6 * m + 30 && t < 6 * m + 40) se_after += e * e, n_after++;
        }
    }
    fprintf(stderr, "  season with 20%% missing: rmse %.3f; first 10 steps after a 30-step hole: %.3f\n",
            sqrt(se / n), sqrt(se_after / n_after));
    CHECK(ol_an_fc_ready(f));
    CHECK(sqrt(se / n) < 1.5);
    CHECK(sqrt(se_after / n_after) < 2.5);
    ol_an_fc_destroy(f);
}

/* A spike barely moves the model; a lasting shift is learned. */
static void test_fc_spike_shift(void)
{
    const int m = 24;
    uint64_t rng = 13;
    ol_an_fc_t *f;
    ol_an_fc_create(&(ol_an_fc_options_t){.period = m}, &f);
    double before = 0, after = 0, mean, sd;
    ol_an_verdict_t v;
    for (int t = 0; t < 10 * m; t++) ol_an_fc_update(f, t * STEP_NS, seasonal(t, m) + ol_test_gauss(&rng), &v);
    ol_an_fc_forecast(f, 5, &before, &sd);
    ol_an_fc_update(f, 10 * m * STEP_NS, seasonal(10 * m, m) + 1000, &v);
    CHECK(v.deviation > 100); /* the residual in sigmas */
    ol_an_fc_forecast(f, 4, &after, &sd);
    /* clipped at 5 sigma: the level moves by at most alpha * 5 sigma (plus the trend's share) */
    CHECK(fabs(after - before) < 3);
    CHECK(sd < 3);
    double se = 0;
    for (int t = 10 * m + 1; t < 12 * m - 3; t++) {
        double y = seasonal(t, m) + ol_test_gauss(&rng);
        ol_an_fc_update(f, t * STEP_NS, y, &v);
        se += (y - v.expected) * (y - v.expected);
    }
    CHECK(sqrt(se / (2 * m - 4)) < 1.5);
    /* Infinities are missing steps, not poison. */
    for (int k = 0; k < 3; k++) ol_an_fc_update(f, (12 * m - 3 + k) * STEP_NS, k ? -INFINITY : INFINITY, &v);
    ol_an_fc_forecast(f, 1, &mean, &sd);
    CHECK(isfinite(mean) && isfinite(sd) && sd < 3);
    /* +30 for good: after two seasons the one-step error is back to noise. */
    se = 0;
    for (int t = 12 * m; t < 16 * m; t++) {
        double y = seasonal(t, m) + 30 + ol_test_gauss(&rng);
        ol_an_fc_update(f, t * STEP_NS, y, &v);
        if (t >= 14 * m) se += (y - v.expected) * (y - v.expected);
    }
    fprintf(stderr, "  level shift +30: rmse two seasons later %.3f\n", sqrt(se / (2 * m)));
    CHECK(sqrt(se / (2 * m)) < 1.6);
    ol_an_fc_forecast(f, 1, &mean, &sd);
    CHECK(fabs(mean - (seasonal(16 * m, m) + 30)) < 4);
    ol_an_fc_destroy(f);
}

/* p99 rising by 0.5 ms a step toward a 300 ms objective: the predicted
 * steps to breach match (300 - now) / 0.5, undamped, and the damped
 * formula with phi 0.98; the score grows as the breach nears. */
static void test_fc_breach(void)
{
    uint64_t rng = 14;
    ol_an_fc_objective_t obj = {.dir = OL_AN_FC_STAY_BELOW, .threshold = 300, .horizon = 400};
    ol_an_fc_t *f;
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.phi = 1, .objective = obj}, &f), OL_OK);
    ol_an_verdict_t v;
    double score_far = -1, score_mid = -1, score_near = -1;
    int64_t since = -1;
    int worst_err = 0, checked = 0;
    for (int t = 0; t < 400; t++) {
        double y = 100 + 0.5 * t + ol_test_gauss(&rng);
        ol_an_fc_update(f, t * STEP_NS, y, &v);
        CHECK(v.det == OL_AN_DET_FORECAST && v.score >= 0 && v.score <= 1);
        if (t < 100) continue;
        /* the true line reaches 300 at t = 400: (400 - t) steps from now */
        int analytic = 400 - t, got = (int)v.deviation;
        CHECK(got > 0);
        if (since < 0) since = v.since_ns;
        CHECK(v.since_ns == since);
        int err = abs(got - analytic);
        if (err * 10 > analytic + 20) worst_err++;
        checked++;
        if (got > 0) CHECK(fabs(v.expected - 300) < 3);
        if (t == 120) score_far = v.score;
        if (t == 300) score_mid = v.score;
        if (t == 390) score_near = v.score;
    }
    fprintf(stderr, "  breach estimates off by >10%%(+2 steps): %d of %d; score at 280/100/10 steps: %.2f %.2f %.2f\n",
            worst_err, checked, score_far, score_mid, score_near);
    CHECK(worst_err <= checked / 20);
    CHECK(since > 0 && since <= 100 * STEP_NS);
    CHECK(score_far < score_mid && score_mid < score_near && score_near > 0.9);

    /* Damped: the forecast h steps on is level + trend (phi + .. + phi^h),
     * which never rises more than trend phi / (1 - phi); with the model's
     * own level and trend (read back from two forecasts) the breach step
     * of a threshold 10 above the level has a closed form. */
    ol_an_fc_destroy(f);
    ol_an_fc_create(&(ol_an_fc_options_t){.phi = 0.98}, &f);
    for (int t = 0; t < 300; t++) ol_an_fc_update(f, t * STEP_NS, 100 + 0.5 * t + 0.2 * ol_test_gauss(&rng), &v);
    double f1, f2, sd;
    ol_an_fc_forecast(f, 1, &f1, &sd);
    ol_an_fc_forecast(f, 2, &f2, &sd);
    double phi = 0.98, trend = (f2 - f1) / (phi * phi), level = f1 - phi * trend;
    /* level + trend phi (1 - phi^h) / (1 - phi) >= level + 10 */
    double h_exact = log(1 - 10 * (1 - phi) / (trend * phi)) / log(phi);
    uint32_t steps;
    CHECK_EQ_INT(ol_an_fc_check(f, &(ol_an_fc_objective_t){.dir = OL_AN_FC_STAY_BELOW, .threshold = level + 10,
                                                             .horizon = 200},
                                &v, &steps),
                 OL_OK);
    fprintf(stderr, "  damped (phi 0.98) breach: %u steps (closed form %.2f, model trend %.3f, steady state %.3f)\n",
            steps, h_exact, trend, 0.5 / (phi + (1 - phi) / 0.05));
    CHECK(fabs(trend - 0.5 / (phi + (1 - phi) / 0.05)) < 0.02);
    CHECK_EQ_INT(steps, (uint32_t)ceil(h_exact));
    CHECK(fabs(v.expected - (level + 10)) < trend);
    /* beyond the damped trend's reach: no breach at any horizon */
    CHECK(trend * phi / (1 - phi) < 30);
    CHECK_EQ_INT(ol_an_fc_check(f, &(ol_an_fc_objective_t){.dir = OL_AN_FC_STAY_BELOW, .threshold = level + 30,
                                                             .horizon = 1000},
                                &v, &steps),
                 OL_OK);
    CHECK(steps == 0 && v.score == 0);
    /* With the upper bound (z = 2) the breach is called earlier. */
    uint32_t steps_z;
    ol_an_fc_objective_t upper = {.dir = OL_AN_FC_STAY_BELOW, .threshold = level + 10, .horizon = 200, .z = 2};
    ol_an_fc_check(f, &upper, &v, &steps_z);
    CHECK(steps_z > 0 && steps_z < (uint32_t)ceil(h_exact));
    /* Direction: a floor of level - 5 is not crossed by a rising series. */
    ol_an_fc_check(f, &(ol_an_fc_objective_t){.dir = OL_AN_FC_STAY_ABOVE, .threshold = level - 5, .horizon = 200}, &v,
                   &steps);
    CHECK_EQ_INT(steps, 0);
    ol_an_fc_destroy(f);
}

static void test_fc_breach_falling(void)
{
    /* Free disk falling 2 a step with a daily-like season: must stay above 0. */
    const int m = 24;
    uint64_t rng = 15;
    ol_an_fc_t *f;
    ol_an_fc_create(&(ol_an_fc_options_t){.period = m, .phi = 1,
                                          .objective = {.dir = OL_AN_FC_STAY_ABOVE, .threshold = 0, .horizon = 300}},
                    &f);
    ol_an_verdict_t v;
    int t;
    for (t = 0; t < 8 * m; t++)
        ol_an_fc_update(f, t * STEP_NS, 800 - 2 * t + 10 * sin(2 * M_PI * t / m) + ol_test_gauss(&rng), &v);
    /* value(t) = 800 - 2t + 10 sin(..) crosses 0 first at t = 400 - (sin term)/2, within 5 steps of 400 */
    int predicted = t - 1 + (int)v.deviation;
    fprintf(stderr, "  falling with season: breach predicted at step %d (true first crossing 395..400)\n", predicted);
    CHECK(v.deviation > 0 && predicted >= 390 && predicted <= 404);
    ol_an_fc_destroy(f);
}

static void test_fc_persist(void)
{
    const int m = 24;
    uint64_t rng = 16;
    ol_an_fc_objective_t obj = {.dir = OL_AN_FC_STAY_BELOW, .threshold = 160, .horizon = 100, .z = 1};
    ol_an_fc_t *a, *b;
    ol_an_fc_create(&(ol_an_fc_options_t){.period = m, .objective = obj}, &a);
    ol_buf_t buf;
    ol_buf_init(&buf, OL_MEM_ANALYZE, 0);
    int diff = 0;
    /* Saved once mid-initialisation and once when ready. */
    for (int cut = 0; cut < 2; cut++) {
        int from = cut == 0 ? 0 : 30, to = cut == 0 ? 30 : 10 * m;
        for (int t = from; t < to; t++) ol_an_fc_update(a, t * STEP_NS, seasonal(t, m) + 0.1 * t + ol_test_gauss(&rng), NULL);
        ol_buf_reset(&buf);
        CHECK_EQ_INT(ol_an_fc_save(a, &buf), OL_OK);
        CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_OK);
        CHECK(ol_an_fc_ready(a) == ol_an_fc_ready(b));
        for (int t = to; t < to + 6 * m; t++) {
            double y = (t % 17 == 0) ? NAN : seasonal(t, m) + 0.1 * t + ol_test_gauss(&rng);
            ol_an_verdict_t va, vb;
            int ra = ol_an_fc_update(a, t * STEP_NS, y, &va), rb = ol_an_fc_update(b, t * STEP_NS, y, &vb);
            diff += ra != rb || memcmp(&va, &vb, sizeof va) != 0;
        }
        ol_an_fc_destroy(b);
        if (cut == 0) {
            /* a has moved on; rewind the test's idea of time */
            ol_an_fc_destroy(a);
            ol_an_fc_create(&(ol_an_fc_options_t){.period = m, .objective = obj}, &a);
            for (int t = 0; t < 30; t++) ol_an_fc_update(a, t * STEP_NS, seasonal(t, m) + 0.1 * t + ol_test_gauss(&rng), NULL);
        }
    }
    CHECK_EQ_INT(diff, 0);

    int accepted = 0;
    for (size_t n = 0; n < buf.len; n++) {
        accepted += ol_an_fc_load(ol_slice(buf.data, n), &b) != OL_CORRUPT;
        buf.data[n] ^= 0x10;
        accepted += ol_an_fc_load(ol_buf_slice(&buf), &b) != OL_CORRUPT;
        buf.data[n] ^= 0x10;
    }
    CHECK_EQ_INT(accepted, 0);
    /* Sealed but impossible: a period of 1. */
    ol_store_le32(buf.data + 8, 1);
    ol_store_le32(buf.data + buf.len - 4, ol_crc32c(0, buf.data, buf.len - 4));
    CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_CORRUPT);
    ol_buf_free(&buf);
    ol_an_fc_destroy(a);
}

/* Values at the accepted limit keep the state finite and loadable; a
 * loaded state beyond what updates produce is refused (found by
 * fuzz_an_blob: a collected value of 7e228, or components near 1e270,
 * loaded, and the next updates overflowed the variance, so the state they
 * saved was refused). */
static void test_fc_extremes(void)
{
    ol_an_fc_t *a, *b;
    ol_buf_t buf;
    ol_buf_init(&buf, OL_MEM_ANALYZE, 0);
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.period = 4, .clip = -1}, &a), OL_OK);
    for (int t = 0; t < 200; t++) ol_an_fc_update(a, t * STEP_NS, t % 2 ? 1e150 : -1e150, NULL);
    CHECK(ol_an_fc_ready(a));
    CHECK_EQ_INT(ol_an_fc_save(a, &buf), OL_OK);
    CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_OK);
    ol_an_fc_destroy(b);
    /* Ready layout: header, options (77 bytes), steps, ready, level, trend, var, last, ... */
    const size_t level_at = 8 + 77 + 8 + 1, season_at = level_at + 4 * 8 + 4 + 1 + 8;
    const struct {
        size_t at;
        double v;
    } edits[] = {{level_at, 1e200}, {level_at + 8, -1e200}, {level_at + 16, 1e308}, {level_at + 24, 1e151},
                 {season_at, -1e200}};
    for (size_t i = 0; i < OL_ARRAY_LEN(edits); i++) {
        uint8_t keep[8];
        memcpy(keep, buf.data + edits[i].at, 8);
        memcpy(buf.data + edits[i].at, &edits[i].v, 8);
        ol_store_le32(buf.data + buf.len - 4, ol_crc32c(0, buf.data, buf.len - 4));
        b = NULL;
        CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_CORRUPT);
        ol_an_fc_destroy(b);
        memcpy(buf.data + edits[i].at, keep, 8);
    }
    ol_an_fc_destroy(a);
    /* Still collecting: a collected value beyond 1e150 (NaN, a missing step, is fine). */
    CHECK_EQ_INT(ol_an_fc_create(&(ol_an_fc_options_t){.init_steps = 8}, &a), OL_OK);
    for (int t = 0; t < 3; t++) ol_an_fc_update(a, t * STEP_NS, t == 1 ? NAN : 5, NULL);
    ol_buf_reset(&buf);
    CHECK_EQ_INT(ol_an_fc_save(a, &buf), OL_OK);
    CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_OK);
    ol_an_fc_destroy(b);
    const double huge = 7e228;
    memcpy(buf.data + buf.len - 4 - 8, &huge, 8);
    ol_store_le32(buf.data + buf.len - 4, ol_crc32c(0, buf.data, buf.len - 4));
    b = NULL;
    CHECK_EQ_INT(ol_an_fc_load(ol_buf_slice(&buf), &b), OL_CORRUPT);
    ol_an_fc_destroy(b);
    ol_an_fc_destroy(a);
    ol_buf_free(&buf);
}

static void test_fc_cost(void)
{
    static double ys[100000];
    uint64_t rng = 17;
    for (int i = 0; i < 100000; i++) ys[i] = seasonal(i, 1440) + ol_test_gauss(&rng);
    const struct {
        uint32_t m, horizon;
    } cases[] = {{0, 0}, {1440, 0}, {1440, 60}};
    for (size_t c = 0; c < OL_ARRAY_LEN(cases); c++) {
        ol_an_fc_t *f;
        ol_an_fc_options_t o = {.period = cases[c].m};
        if (cases[c].horizon)
            o.objective =
                (ol_an_fc_objective_t){.dir = OL_AN_FC_STAY_BELOW, .threshold = 1e9, .horizon = cases[c].horizon};
        ol_an_fc_create(&o, &f);
        ol_an_verdict_t v;
        int i = 0;
        for (; i < 3000; i++) ol_an_fc_update(f, i * STEP_NS, ys[i], &v);
        CHECK(ol_an_fc_ready(f));
        ol_test_alloc_probe_arm();
        double t = ol_test_wall_ns();
        for (; i < 100000; i++) ol_an_fc_update(f, i * STEP_NS, ys[i], &v);
        t = ol_test_wall_ns() - t;
        CHECK(ol_test_alloc_probe_clean());
        fprintf(stderr, "  update cost, period %u, breach horizon %u: %.0f ns\n", cases[c].m, cases[c].horizon,
                t / 97000);
        ol_an_fc_destroy(f);
    }
}

int main(void)
{
    RUN(test_fc_init_exact);
    RUN(test_fc_season);
    RUN(test_fc_interval_growth);
    RUN(test_fc_missing);
    RUN(test_fc_spike_shift);
    RUN(test_fc_breach);
    RUN(test_fc_breach_falling);
    RUN(test_fc_persist);
    RUN(test_fc_extremes);
    RUN(test_fc_cost);
    return TEST_REPORT();
}
