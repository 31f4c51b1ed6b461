/*
 * an_signal.c - one step of a service: every signal's detector, the
 * service's vector detectors and its SLOs, and the life cycle that turns
 * their verdicts into anomalies (analyzer.h, docs/analysis.md).
 *
 * A detector's per-step score says how rare this point is for this
 * signal; it is not an anomaly by itself (a signal checked 8640 times a
 * day meets a one-in-a-thousand point about nine times a day). Request
 * rates and error ratios have a per-step path: a rare point (score >= 0.5,
 * a tail probability of 1e-3) with a robust deviation of at least
 * OL_AN_OPEN_Z, a change that matters in practice (traffic 50% up or 30%
 * down and 10 requests a step, 2 points of error ratio and 2 errors), and persistence:
 * the next OL_AN_CONFIRM - 1 steps stay beyond OL_AN_HOLD_Z deviations of
 * the baseline frozen at the first step. It closes after OL_AN_SETTLE
 * steps back within OL_AN_CLEAR_Z of that baseline (or below the floor),
 * so "resolved" means "back at the baseline it left", not "the baseline
 * has learned the fault".
 *
 * Every signal also has a count path, which is latency's only one: the
 * events of the last 1, 5 and 15 minutes against what is expected, with a
 * Chernoff bound (never understates the tail): errors among requests
 * against the learned error probability p0 (binomial), requests slower
 * than 1.25x the p95 baseline against their learned share (binomial: a
 * p95 that flips between cache hits and model calls keeps that share),
 * requests against the count the baseline expects (Poisson, both
 * directions). ol_an_count_life says when one opens and closes.
 */
#include "analyze/analyzer_int.h"

#include <math.h>

#include "core/alloc.h"

static const uint8_t ol_an_sig_kind[OL_AN_M__COUNT] = {OL_AN_SIG_RATE, OL_AN_SIG_ERRORS, OL_AN_SIG_LATENCY};

int ol_an_sig_init(ol_analyzer_t *an, ol_an_sig_t *s)
{
    ol_an_uni_options_t o = {.params = &an->params, .kind = ol_an_sig_kind[s->metric],
                             .step_ns = (int64_t)an->opt.step_ns, .warmup = an->opt.warmup};
    s->disp = 1;
    if (s->metric == OL_AN_M_LATENCY && ol_an_lathist_create(&s->lat) != OL_OK) return OL_NOMEM;
    int rc = ol_an_uni_create(&o, &s->uni);
    if (rc != OL_OK) {
        ol_an_lathist_destroy(s->lat);
        s->lat = NULL;
    }
    return rc;
}

void ol_an_sig_free(ol_an_sig_t *s)
{
    ol_an_uni_destroy(s->uni);
    ol_an_lathist_destroy(s->lat);
    s->uni = NULL;
    s->lat = NULL;
}

/* The practical floor: is v against base a change anyone would act on? */
static bool ol_an_matters(const ol_analyzer_t *an, uint8_t metric, double v, double base, uint64_t errors)
{
    double d = fabs(v - base), step_s = (double)an->opt.step_ns / 1e9;
    switch (metric) {
    /* up by half: traffic wanders by a third for minutes on its own (a
     * fault-free day had frontend at +41% for half a minute) */
    case OL_AN_M_REQUESTS: return d >= (v > base ? 0.5 : 0.3) * fabs(base) && d * step_s >= 10;
    case OL_AN_M_ERRORS: return v - base >= 0.02 && errors >= 2;
    default: return v >= 1.25 * base && v - base >= 1.0;
    }
}

/* An open anomaly's step: updated while beyond its baseline (`back` false),
 * closed after OL_AN_SETTLE steps back (its end = the first of them). */
static void ol_an_watch_hold(ol_analyzer_t *an, ol_an_watch_t *w, bool back, const ol_an_verdict_t *v, int64_t t)
{
    uint32_t idx = ol_an_anom_index(an, w->anomaly);
    if (idx == OL_AN_NONE) { /* forgotten (pruned): start over */
        *w = (ol_an_watch_t){0};
        return;
    }
    if (!back) ol_an_anom_update(an, idx, v, t);
    w->count = back ? w->count + 1 : 0;
    if (w->count >= OL_AN_SETTLE) {
        ol_an_anom_close(an, idx, t - (int64_t)((OL_AN_SETTLE - 1) * an->opt.step_ns));
        *w = (ol_an_watch_t){0};
    }
}

/* -log10 of the Chernoff bound on P(X >= x) for X ~ Binomial(n, p). */
static double ol_an_binom_decades(double x, double n, double p)
{
    if (n <= 0 || x <= n * p) return 0;
    double q = x / n;
    p = fmin(fmax(p, 1e-6), 1 - 1e-9);
    double kl = q * log(q / p) + (q < 1 ? (1 - q) * log((1 - q) / (1 - p)) : 0);
    return n * kl / log(10);
}

/* -log10 of the Chernoff bound on P(X >= k) (k > m) or P(X <= k) (k < m)
 * for X ~ Poisson(m). */
static double ol_an_poisson_decades(double k, double m)
{
    if (m <= 0) return 0;
    return (k > 0 ? k * log(k / m) - k + m : m) / log(10);
}

/* One window of a count test, as the life cycle reads it. */
typedef struct ol_an_count {
    double dec;    /* -log10 of the tail bound of the rarest window */
    double share;  /* that window's events / requests, or requests / expected (NaN: none) */
    double k, n;   /* its events and requests, or requests and expected requests */
    double dec_rest; /* -log10 of the tail bound of the window without its step of most events */
    double steps;  /* its length */
    int8_t dir;    /* +1 more than expected, -1 fewer (only request rates go down) */
} ol_an_count_t;

/* Adds this step to the windows and tests the 1, 5 and 15 minute ones:
 * k events of n requests against p0, or (poisson) k requests against n/100
 * expected. *open is the rarest of the three; *settle of the first two,
 * so that an anomaly closes within minutes of its end. */
static void ol_an_count_window(ol_an_sig_t *g, uint64_t k, uint64_t n, bool poisson,
                               ol_an_count_t *open, ol_an_count_t *settle)
{
    g->win_e[g->win_i] = (uint32_t)OL_MIN(k, UINT32_MAX);
    g->win_n[g->win_i] = (uint32_t)OL_MIN(n, UINT32_MAX);
    g->win_i = (g->win_i + 1) % OL_AN_WIN;
    *open = *settle = (ol_an_count_t){.dec = -1, .share = NAN};
    double e = 0, m = 0;
    uint32_t top = 0; /* the step of most events so far */
    for (uint32_t j = 1; j <= OL_AN_WIN; j++) { /* newest first */
        uint32_t i = (g->win_i + OL_AN_WIN - j) % OL_AN_WIN;
        e += g->win_e[i];
        m += g->win_n[i];
        if (j == 1 || g->win_e[i] > g->win_e[top]) top = i;
        if (j != OL_AN_WIN_SHORT && j != OL_AN_WIN_MID && j != OL_AN_WIN) continue;
        ol_an_count_t c = {.k = e, .n = poisson ? m / 100 : m, .steps = j, .dir = 1};
        double rk = e - g->win_e[top], rn = (m - g->win_n[top]) / (poisson ? 100 : 1);
        if (poisson) {
            c.dec = ol_an_poisson_decades(c.k, c.n) / g->disp;
            c.dir = c.k >= c.n ? 1 : -1;
            c.dec_rest = (rk >= rn) == (c.dir > 0) ? ol_an_poisson_decades(rk, rn) / g->disp : 0;
        } else {
            c.dec = g->p0_weight >= 200 ? ol_an_binom_decades(c.k, c.n, g->p0) : 0;
            c.dec_rest = g->p0_weight >= 200 ? ol_an_binom_decades(rk, rn, g->p0) : 0;
        }
        c.share = c.n > 0 ? c.k / c.n : NAN;
        if (c.dec > open->dec) *open = c;
        if (j < OL_AN_WIN && c.dec > settle->dec) *settle = c;
    }
}

/* p0: an exponentially weighted share over about the last 20000 requests. */
static void ol_an_count_learn(ol_an_sig_t *g, uint64_t k, uint64_t n)
{
    if (!n) return;
    double w = fmin(g->p0_weight, 20000);
    g->p0 = (g->p0 * w + (double)k) / (w + (double)n);
    g->p0_weight = w + (double)n;
}

/* The practical floor of a count test: errors 2 points above p0, slow
 * requests 5 points and twice p0, at least 3 events either way; requests
 * 50% and 5 a step away from the expected count. An open anomaly is held
 * by half of it (f = 0.5), so that a change near the floor does not flap. */
static bool ol_an_count_matters(uint8_t metric, const ol_an_count_t *c, double p0, double f)
{
    if (metric == OL_AN_M_REQUESTS) {
        double d = fabs(c->k - c->n);
        return c->n > 0 && d >= 0.5 * f * c->n && d >= 5 * f * c->steps;
    }
    if (!isfinite(c->share) || (f >= 1 && c->k < 3)) return false;
    if (metric == OL_AN_M_ERRORS) return c->share - p0 >= 0.02 * f;
    return c->share - p0 >= 0.05 * f && c->share >= (1 + f) * p0;
}

/* The count path's life cycle (the watch's scale is -1 while it owns the
 * watch): a candidate at 1e-6 with the floor met, confirmed by two more
 * steps at 1e-3 in the same direction, the last of them rare at 1e-3
 * without its window's step of most events too (the windows remember a
 * one-step burst for minutes; evidence must span steps), closed after OL_AN_SETTLE steps
 * whose 1- and 5-minute windows are no longer rarer than 1e-2 or below the
 * floor. `at` is the verdict an anomaly opens or is updated with (score
 * and deviation filled in here). True when the path handled the step. */
static bool ol_an_count_life(ol_analyzer_t *an, ol_an_sig_t *g, const ol_an_series_t *x, int64_t t,
                             const ol_an_count_t *c, const ol_an_count_t *cs, ol_an_verdict_t *at, double base,
                             const double *share)
{
    ol_an_watch_t *w = &g->w;
    uint8_t det = g->metric == OL_AN_M_REQUESTS ? OL_AN_DET_POISSON : OL_AN_DET_BINOMIAL;
    at->score = fmin(1.0, fmax(c->dec, 0) / 6);
    at->deviation = fmax(c->dec, 0) * c->dir;
    at->det = det;
    /* the recent windows must still show the change, as an open anomaly
     * needs to stay open: a 15-minute window remembers a burst that is over,
     * and one error among 91 calls is not "still" 1 point over 0.02% */
    bool recent = cs->dec >= 2 && cs->dir == c->dir && ol_an_count_matters(g->metric, cs, g->p0, 0.5);
    switch (w->st) {
    case OL_AN_ST_IDLE:
        if (c->dec < 6 || !recent || !ol_an_count_matters(g->metric, c, g->p0, 1)) return false;
        *w = (ol_an_watch_t){.st = OL_AN_ST_CANDIDATE, .dir = c->dir, .count = 1, .base = base, .scale = -1,
                             .since_ns = t};
        return true;
    case OL_AN_ST_CANDIDATE:
        if (w->scale >= 0) return false; /* a candidate of the per-step path */
        if (c->dec < 3 || c->dir != w->dir || !recent || !ol_an_count_matters(g->metric, c, g->p0, 1)) {
            *w = (ol_an_watch_t){0};
            return true;
        }
        if (++w->count < OL_AN_CONFIRM) return true;
        if (c->dec_rest < 3) { /* one step's burst (a pause, a retry storm of seconds) is not a change */
            *w = (ol_an_watch_t){0};
            return true;
        }
        {
            uint32_t idx = ol_an_anom_open(an, x->svc, g->metric, det, x->scope, x->kind,
                                           ol_slice((const uint8_t *)x->name, x->name_len), at, share, w->since_ns);
            if (idx == OL_AN_NONE) {
                w->count--;
                return true;
            }
            w->st = OL_AN_ST_OPEN;
            w->count = 0;
            w->anomaly = an->anoms[idx].id;
        }
        return true;
    default:
        if (w->scale >= 0) return false;
        ol_an_watch_hold(an, w,
                         cs->dec < 2 || cs->dir != w->dir || !ol_an_count_matters(g->metric, cs, g->p0, 0.5), at,
                         t);
        if (w->st == OL_AN_ST_IDLE) { /* closed: its evidence is spent, a new anomaly needs new events */
            memset(g->win_e, 0, sizeof g->win_e);
            memset(g->win_n, 0, sizeof g->win_n);
        }
        return true;
    }
}

/* Error ratios: errors among requests; p0 is learned only while idle, so
 * an open anomaly is judged against the error probability it left. */
static bool ol_an_err_step(ol_analyzer_t *an, ol_an_sig_t *g, const ol_an_series_t *x, int64_t t,
                           const ol_an_verdict_t *out, bool warm)
{
    uint64_t k = x->in_step ? x->errors : 0, n = x->in_step ? x->requests : 0;
    ol_an_count_t c, cs;
    ol_an_count_window(g, k, n, false, &c, &cs);
    bool idle = g->w.st == OL_AN_ST_IDLE;
    if (!warm) {
        ol_an_count_learn(g, k, n);
        return false;
    }
    ol_an_verdict_t at = *out;
    at.value = g->w.st == OL_AN_ST_OPEN ? cs.share : c.share;
    at.expected = g->p0;
    bool handled = ol_an_count_life(an, g, x, t, &c, &cs, &at, g->p0, NULL);
    if (idle && g->w.st == OL_AN_ST_IDLE) ol_an_count_learn(g, k, n);
    return handled;
}

/* Request rates of series with fewer than OL_AN_POISSON_MAX requests a
 * step (busier ones are the per-step path's): the requests of the windows
 * against the count the baseline expects (frozen when a candidate
 * starts), a Poisson test in both directions, its tail scaled down by the
 * dispersion the series has shown while normal (quasi-Poisson: calls come
 * in clusters). It finds what a step's rate cannot show at a few requests
 * a step: one route of a service at three times its traffic. */
#define OL_AN_POISSON_MAX 10.0

static bool ol_an_rate_step(ol_analyzer_t *an, ol_an_sig_t *g, const ol_an_series_t *x, int64_t t,
                            const ol_an_verdict_t *out, bool warm)
{
    double step_s = (double)an->opt.step_ns / 1e9;
    bool idle = g->w.st == OL_AN_ST_IDLE;
    double base = idle ? out->expected : g->w.base;
    uint64_t k = x->in_step ? x->requests : 0;
    if (idle && out->expected > 0 && isfinite(out->expected)) { /* dispersion: EW over about 500 steps */
        double lam = out->expected * step_s, d = ((double)k - lam) * ((double)k - lam) / lam;
        g->disp = fmax(1.0, g->disp + (fmin(d, 100) - g->disp) / 500);
    }
    if (!warm || !(base >= 0) || !isfinite(base) || (idle && base * step_s >= OL_AN_POISSON_MAX)) {
        ol_an_count_t c, cs; /* the windows hold nothing while nothing is tested */
        ol_an_count_window(g, 0, 0, true, &c, &cs);
        return false;
    }
    ol_an_count_t c, cs;
    ol_an_count_window(g, k, (uint64_t)llround(fmin(base * step_s * 100, UINT32_MAX)), true, &c, &cs);
    const ol_an_count_t *v = g->w.st == OL_AN_ST_OPEN ? &cs : &c;
    ol_an_verdict_t at = *out;
    at.value = v->steps > 0 ? v->k / (v->steps * step_s) : NAN;
    at.expected = v->steps > 0 ? v->n / (v->steps * step_s) : base;
    return ol_an_count_life(an, g, x, t, &c, &cs, &at, base, NULL);
}

/* Latency: the share of requests slower than a threshold tau above the
 * learned p95 baseline (25% and 5 ms over it, the practical floor),
 * against the share p0 learned while normal. A p95 that flips between
 * two modes (cache hits and model calls) keeps that share steady; a
 * dependency that slows everything, or one route of several, moves it.
 * The baseline is the larger of uni's seasonal expectation of a step's
 * p95 and the p95 of the requests of about the last hour (lathist.h,
 * learned while normal): a step's p95 is near its slowest request when it
 * holds few, so at night uni's expectation sinks with traffic and the
 * pooled p95 holds; by day uni's follows the season. tau is frozen with
 * the baseline when a candidate starts. */
static double ol_an_lat_tau(double base) { return fmax(1.25 * base, base + 5.0); }

static void ol_an_lat_step(ol_analyzer_t *an, ol_an_sig_t *g, const ol_an_series_t *x, int64_t t,
                           const ol_an_verdict_t *out, bool warm)
{
    if (g->w.st != OL_AN_ST_IDLE && g->w.scale >= 0) { /* a per-step p95 watch from an older state */
        uint32_t idx = g->w.st == OL_AN_ST_OPEN ? ol_an_anom_index(an, g->w.anomaly) : OL_AN_NONE;
        if (idx != OL_AN_NONE) ol_an_anom_close(an, idx, t);
        g->w = (ol_an_watch_t){0};
    }
    if (g->w.st == OL_AN_ST_IDLE && x->in_step) {
        double pooled = g->lat && ol_an_lathist_weight(g->lat) >= OL_AN_LAT_POOL_MIN
                            ? ol_an_lathist_quantile(g->lat, 0.95)
                            : NAN;
        double step = isfinite(out->value) && out->expected > 0 && isfinite(out->expected) ? out->expected : NAN;
        if (isfinite(pooled) || isfinite(step)) g->base = fmax(isfinite(pooled) ? pooled : 0, isfinite(step) ? step : 0);
    }
    double base = g->w.st == OL_AN_ST_IDLE ? g->base : g->w.base;
    double tau = ol_an_lat_tau(base);
    uint64_t n = 0, k = 0;
    if (x->in_step && x->dur && base > 0) {
        n = x->dur->count;
        k = n - OL_MIN(ol_sketch_count_le(x->dur, tau), n);
    }
    ol_an_count_t c, cs;
    ol_an_count_window(g, k, n, false, &c, &cs);
    bool idle = g->w.st == OL_AN_ST_IDLE;
    if (warm) {
        ol_an_verdict_t at = *out;
        at.expected = base;
        double share[3] = {c.share, g->p0, tau};
        bool was_open = g->w.st == OL_AN_ST_OPEN;
        ol_an_count_life(an, g, x, t, &c, &cs, &at, base, share);
        uint32_t idx = was_open && g->w.st == OL_AN_ST_OPEN && isfinite(cs.share) && cs.dec >= 2
                           ? ol_an_anom_index(an, g->w.anomaly)
                           : OL_AN_NONE;
        if (idx != OL_AN_NONE) {
            an->anoms[idx].share = cs.share;
            ol_an_explain(an, &an->anoms[idx]);
        }
    }
    if (idle && g->w.st == OL_AN_ST_IDLE) {
        ol_an_count_learn(g, k, n);
        if (g->lat) {
            ol_an_lathist_decay(g->lat, exp2(-(double)an->opt.step_ns / 1e9 / OL_AN_LAT_HALF_LIFE_S));
            if (x->in_step) ol_an_lathist_add(g->lat, x->dur);
        }
    }
}

static void ol_an_sig_step(ol_analyzer_t *an, ol_an_sig_t *g, const ol_an_series_t *x, int64_t t, double v)
{
    ol_an_verdict_t out, parts[OL_AN_DET__COUNT];
    ol_an_uni_update(g->uni, t, v, &out, parts);
    an->st.updates++;
    double raw = 0;
    for (int d = 0; d < OL_AN_DET__COUNT; d++)
        if (parts[d].score > raw) {
            raw = parts[d].score;
            if (out.det == OL_AN_DET_NONE) out.det = (uint8_t)d;
        }
    out.score = raw;
    g->last = out;
    g->has_last = true;
    if (g->metric == OL_AN_M_LATENCY) {
        ol_an_lat_step(an, g, x, t, &out, ol_an_uni_warm(g->uni));
        return;
    }
    if (g->metric == OL_AN_M_ERRORS && ol_an_err_step(an, g, x, t, &out, ol_an_uni_warm(g->uni))) return;
    if (g->metric == OL_AN_M_REQUESTS && ol_an_rate_step(an, g, x, t, &out, ol_an_uni_warm(g->uni))) return;
    if (!isfinite(v) || !ol_an_uni_warm(g->uni)) return;

    ol_an_watch_t *w = &g->w;
    bool up_only = g->metric != OL_AN_M_REQUESTS;
    /* an error ratio's robust deviation ignores how few requests it is of:
     * against a baseline of 0 errors, 3 errors among 80 requests at a
     * learned 0.5% are "+20,000 deviations" and happen every day, so
     * the step's errors must also be rare for the learned error
     * probability (1e-3 to start, 1e-2 to confirm) */
    double err_dec = g->metric == OL_AN_M_ERRORS && x->in_step && g->p0_weight >= 200
                         ? ol_an_binom_decades((double)x->errors, (double)x->requests, g->p0)
                         : INFINITY;
    double z = w->scale > 0 ? (v - w->base) / w->scale * w->dir : 0;
    switch (w->st) {
    case OL_AN_ST_IDLE: {
        if (raw < OL_AN_OPEN_SCORE || out.det == OL_AN_DET_NOVELTY || fabs(out.deviation) < OL_AN_OPEN_Z) return;
        int8_t dir = out.deviation > 0 ? 1 : -1;
        if (up_only && dir < 0) return;
        if (!ol_an_matters(an, g->metric, v, out.expected, x->errors) || err_dec < 3) return;
        *w = (ol_an_watch_t){.st = OL_AN_ST_CANDIDATE, .dir = dir, .count = 1, .base = out.expected,
                             .scale = fabs(v - out.expected) / fabs(out.deviation), .since_ns = t};
        break;
    }
    case OL_AN_ST_CANDIDATE:
        if (z < OL_AN_HOLD_Z || !ol_an_matters(an, g->metric, v, w->base, x->errors) || err_dec < 2) {
            *w = (ol_an_watch_t){0};
            return;
        }
        if (++w->count < OL_AN_CONFIRM) return;
        {
            ol_an_verdict_t at = out;
            at.expected = w->base;
            at.deviation = (v - w->base) / w->scale;
            uint32_t idx = ol_an_anom_open(an, x->svc, g->metric, out.det, x->scope, x->kind,
                                           ol_slice((const uint8_t *)x->name, x->name_len), &at, NULL, w->since_ns);
            if (idx == OL_AN_NONE) { /* nothing kept: stay a candidate and try again next step */
                w->count--;
                return;
            }
            w->st = OL_AN_ST_OPEN;
            w->count = 0;
            w->anomaly = an->anoms[idx].id;
        }
        break;
    case OL_AN_ST_OPEN: {
        ol_an_verdict_t at = out;
        at.expected = w->base;
        at.deviation = (v - w->base) / w->scale;
        ol_an_watch_hold(an, w, z < OL_AN_CLEAR_Z || !ol_an_matters(an, g->metric, v, w->base, x->errors), &at, t);
        break;
    }
    }
}

/* A score-only life cycle (vector detectors, SLO rules, forecasts): a
 * candidate at open_score, confirmed by `confirm` steps at >= 3/4 of it,
 * closed after OL_AN_SETTLE steps below clear_score. */
static void ol_an_watch_score(ol_analyzer_t *an, ol_an_watch_t *w, uint32_t svc, uint8_t signal, uint8_t scope,
                              ol_slice_t name, const ol_an_verdict_t *v, int64_t t, double open_score,
                              uint32_t confirm, double clear_score)
{
    switch (w->st) {
    case OL_AN_ST_IDLE:
        if (v->score < open_score) return;
        *w = (ol_an_watch_t){.st = OL_AN_ST_CANDIDATE, .since_ns = v->since_ns ? v->since_ns : t};
        /* fall through */
    case OL_AN_ST_CANDIDATE:
        if (v->score < 0.75 * open_score) {
            *w = (ol_an_watch_t){0};
            return;
        }
        if (++w->count < confirm) return;
        {
            uint32_t idx = ol_an_anom_open(an, svc, signal, v->det, scope, 0, name, v, NULL, w->since_ns);
            if (idx == OL_AN_NONE) return;
            w->st = OL_AN_ST_OPEN;
            w->count = 0;
            w->anomaly = an->anoms[idx].id;
        }
        break;
    case OL_AN_ST_OPEN:
        ol_an_watch_hold(an, w, v->score < clear_score, v, t);
        break;
    }
}

static void ol_an_vec_step(ol_analyzer_t *an, uint32_t svc, int64_t t, const ol_an_series_t *whole)
{
    ol_an_svc_t *s = &an->svcs[svc];
    double step_s = (double)an->opt.step_ns / 1e9;
    double x[OL_AN_VEC_DIM];
    x[0] = log1p((double)whole->requests / step_s);
    x[1] = whole->requests ? (double)whole->errors / (double)whole->requests : 0;
    x[2] = isfinite(whole->p95) ? log1p(whole->p95) : s->last_x[2];
    memcpy(s->last_x, x, sizeof x);
    if (!s->forest) {
        ol_an_iforest_options_t fo = {.dim = OL_AN_VEC_DIM};
        ol_an_autoenc_options_t ao = {.dim = OL_AN_VEC_DIM};
        if (ol_an_iforest_create(&fo, &s->forest) != OL_OK || ol_an_autoenc_create(&ao, &s->ae) != OL_OK) {
            ol_an_iforest_destroy(s->forest);
            s->forest = NULL;
            return;
        }
    }
    bool learn = s->w_vec.st == OL_AN_ST_IDLE;
    ol_an_verdict_t vf, va;
    uint32_t cf = OL_AN_NONE, ca = OL_AN_NONE;
    double err = 0;
    if (ol_an_iforest_update(s->forest, t, x, learn, &vf, &cf) != OL_OK) return;
    if (ol_an_autoenc_update(s->ae, t, x, learn, &va, &ca, &err) != OL_OK) return;
    an->st.updates += 2;
    /* the weaker of the two: both models must find the combination unusual */
    ol_an_verdict_t v = vf.score <= va.score ? vf : va;
    s->vec_culprit = vf.score <= va.score ? cf : ca;
    if (s->vec_culprit >= OL_AN_VEC_DIM) s->vec_culprit = OL_AN_NONE;
    s->last_vec = v;
    if (!ol_an_iforest_ready(s->forest) || !ol_an_autoenc_ready(s->ae)) return;
    ol_an_watch_score(an, &s->w_vec, svc, OL_AN_A_RED, OL_AN_SCOPE_SERVICE, OL_SLICE_NULL, &v, t, OL_AN_VEC_SCORE,
                      OL_AN_CONFIRM, 0.3);
}

static void ol_an_slo_step(ol_analyzer_t *an, ol_an_slo_ent_t *e, uint32_t svc, int64_t t)
{
    ol_an_svc_t *s = &an->svcs[svc];
    const ol_an_series_t *x = &an->series[s->series[0]];
    if (e->decl.operation[0]) {
        uint32_t found = OL_AN_NONE;
        for (uint32_t i = 1; i < s->n_series && found == OL_AN_NONE; i++) {
            const ol_an_series_t *y = &an->series[s->series[i]];
            if (y->scope == OL_AN_SCOPE_OPERATION && strlen(e->decl.operation) == y->name_len &&
                memcmp(e->decl.operation, y->name, y->name_len) == 0)
                found = s->series[i];
        }
        if (found == OL_AN_NONE) return;
        x = &an->series[found];
    }
    double total = x->in_step ? (double)x->requests : 0, good = total;
    double q = NAN;
    if (e->decl.kind == OL_AN_SLO_AVAILABILITY) good = total - (double)x->errors;
    else if (x->dur) {
        good = (double)ol_sketch_count_le(x->dur, e->decl.threshold_ms);
        q = ol_sketch_quantile(x->dur, e->decl.objective);
    }
    ol_an_verdict_t v;
    ol_an_slo_update(e->slo, t, good, total, &v, &e->rule);
    e->last_slo = v;
    an->st.updates++;
    ol_slice_t name = ol_slice_cstr(e->decl.name);
    ol_an_watch_score(an, &e->w_slo, svc, OL_AN_A_SLO, OL_AN_SCOPE_SERVICE, name, &v, t, 0.5, 1, 0.5);
    if (e->fc) {
        ol_an_verdict_t f;
        int rc = ol_an_fc_update(e->fc, t, q, &f);
        an->st.updates++;
        if (rc != OL_OK) return;
        e->fc_steps = (uint32_t)(f.score > 0 ? f.deviation : 0);
        /* a forecast speaks before the breach; once the quantile is over the line the SLO's own rules
         * and the latency signal take over */
        if (isfinite(q) && q >= e->decl.threshold_ms) f.score = 0;
        e->last_fc = f;
        ol_an_watch_score(an, &e->w_fc, svc, OL_AN_A_FORECAST, OL_AN_SCOPE_SERVICE, name, &f, t, 0.5, OL_AN_CONFIRM,
                          0.25);
    }
}

void ol_an_step_service(ol_analyzer_t *an, uint32_t svc, int64_t t_ns)
{
    ol_an_svc_t *s = &an->svcs[svc];
    if (t_ns > an->now_event) an->now_event = t_ns;
    s->steps++;
    double step_s = (double)an->opt.step_ns / 1e9;
    for (uint32_t i = 0; i < s->n_series; i++) {
        ol_an_series_t *x = &an->series[s->series[i]];
        double rate = x->in_step ? (double)x->requests / step_s : 0;
        double err = x->in_step && x->requests ? (double)x->errors / (double)x->requests : NAN;
        double lat = x->in_step && x->requests && isfinite(x->p95) ? x->p95 : NAN;
        ol_an_sig_step(an, &an->sigs[x->sig[OL_AN_M_REQUESTS]], x, t_ns, rate);
        ol_an_sig_step(an, &an->sigs[x->sig[OL_AN_M_ERRORS]], x, t_ns, err);
        ol_an_sig_step(an, &an->sigs[x->sig[OL_AN_M_LATENCY]], x, t_ns, lat);
    }
    ol_an_vec_step(an, svc, t_ns, &an->series[s->series[0]]);
    for (uint32_t i = 0; i < an->n_slos; i++) {
        ol_an_slo_ent_t *e = &an->slos[i];
        if (strlen(e->decl.service) == s->len && memcmp(e->decl.service, s->name, s->len) == 0)
            ol_an_slo_step(an, e, svc, t_ns);
    }
}
