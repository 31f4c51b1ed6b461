/*
 * changepoint.c - CUSUM and Bayesian online change-point detection
 * (changepoint.h).
 *
 * BOCPD layout: bucket i (0-based) holds run length L = i + 1, i.e. the
 * hypothesis that the last L observations form the current segment. Per
 * bucket only the posterior mean mu and rate beta of the Normal-Gamma are
 * stored: kappa = kappa0 + L and alpha = alpha0 + L/2 depend on L alone,
 * so the Student-t constants (log-gamma terms, scale factor) are a table
 * built once per configuration. A step walks the buckets from the top
 * down, moving bucket i to i + 1 (growth) while adding the new point to
 * its statistics; the top bucket, "r_max or more", takes the mass of both
 * the old top and the growth of the one below, with the statistics of the
 * latter (the last r_max points). Bucket 0 is then the change hypothesis:
 * the new point alone under the prior.
 *
 * Blobs: header, options, state, then a CRC-32C of everything before it.
 * The loader checks the CRC before it reads anything, then every range it
 * relies on (options as in create, finite sums, counts within bounds).
 */
#include "analyze/changepoint.h"

#include "core/alloc.h"
#include "core/util.h"

#include <math.h>


/* ---- CUSUM ---- */

#define CUSUM_MAGIC "CUSM"
#define CUSUM_VERSION 1u

struct ol_an_cusum {
    double k, h, clip;
    double sp, sn;            /* S+ and S- */
    int64_t onset_p, onset_n; /* t_ns where each left zero */
    uint64_t n_p, n_n;        /* steps since then */
    uint64_t alarms;
};

static int cusum_check(double k, double h, double clip)
{
    if (!isfinite(k) || !isfinite(h) || !(k >= 0) || !(h > 0)) return OL_ERR;
    if (clip >= 0 && !(clip > k)) return OL_ERR;
    if (isnan(clip)) return OL_ERR;
    return OL_OK;
}

int ol_an_cusum_create(const ol_an_cusum_options_t *opt, ol_an_cusum_t **out)
{
    *out = NULL;
    ol_an_cusum_options_t o = opt ? *opt : (ol_an_cusum_options_t){0};
    if (o.k == 0) o.k = 0.5;
    if (o.h == 0) o.h = 10;
    if (o.clip == 0) o.clip = 4;
    if (o.clip < 0) o.clip = -1;
    if (cusum_check(o.k, o.h, o.clip) != OL_OK) return OL_ERR;
    ol_an_cusum_t *c = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *c);
    if (!c) return OL_NOMEM;
    c->k = o.k;
    c->h = o.h;
    c->clip = o.clip;
    *out = c;
    return OL_OK;
}

void ol_an_cusum_destroy(ol_an_cusum_t *c) { ol_free(OL_MEM_ANALYZE, c, sizeof *c); }

uint64_t ol_an_cusum_alarms(const ol_an_cusum_t *c) { return c->alarms; }

int ol_an_cusum_update(ol_an_cusum_t *c, int64_t t_ns, double z, ol_an_verdict_t *out)
{
    *out = (ol_an_verdict_t){.det = OL_AN_DET_CUSUM, .value = NAN};
    if (isnan(z)) return OL_AGAIN;
    if (c->clip >= 0) z = z > c->clip ? c->clip : z < -c->clip ? -c->clip : z;
    else if (isinf(z)) z = z > 0 ? 1e300 : -1e300;

    double sp = c->sp + z - c->k, sn = c->sn - z - c->k;
    if (sp > 0) {
        if (c->sp == 0) c->onset_p = t_ns, c->n_p = 0;
        c->n_p++;
        c->sp = sp;
    } else {
        c->sp = 0, c->n_p = 0;
    }
    if (sn > 0) {
        if (c->sn == 0) c->onset_n = t_ns, c->n_n = 0;
        c->n_n++;
        c->sn = sn;
    } else {
        c->sn = 0, c->n_n = 0;
    }

    bool up = c->sp >= c->sn;
    double s = up ? c->sp : c->sn;
    if (s > 0) {
        uint64_t n = up ? c->n_p : c->n_n;
        double shift = c->k + s / (double)n;
        out->value = up ? s : -s;
        out->deviation = up ? shift : -shift;
        out->since_ns = up ? c->onset_p : c->onset_n;
    } else {
        out->value = 0;
    }
    out->expected = 0;
    double r = s / c->h;
    out->score = r * r;
    if (s >= c->h) {
        out->score = 1;
        c->alarms++;
        c->sp = c->sn = 0;
        c->n_p = c->n_n = 0;
    }
    return OL_OK;
}

int ol_an_cusum_save(const ol_an_cusum_t *c, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, CUSUM_MAGIC, CUSUM_VERSION);
    ol_an_wr_f64(out, c->k);
    ol_an_wr_f64(out, c->h);
    ol_an_wr_f64(out, c->clip);
    ol_an_wr_f64(out, c->sp);
    ol_an_wr_f64(out, c->sn);
    ol_an_wr_i64(out, c->onset_p);
    ol_an_wr_i64(out, c->onset_n);
    ol_an_wr_u64(out, c->n_p);
    ol_an_wr_u64(out, c->n_n);
    ol_an_wr_u64(out, c->alarms);
    ol_an_wr_seal(out, start);
    return out->err;
}

int ol_an_cusum_load(ol_slice_t blob, ol_an_cusum_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, CUSUM_MAGIC, CUSUM_VERSION);
    ol_an_cusum_t t = {0};
    t.k = ol_an_rd_f64(&r);
    t.h = ol_an_rd_f64(&r);
    t.clip = ol_an_rd_f64(&r);
    t.sp = ol_an_rd_f64(&r);
    t.sn = ol_an_rd_f64(&r);
    t.onset_p = ol_an_rd_i64(&r);
    t.onset_n = ol_an_rd_i64(&r);
    t.n_p = ol_an_rd_u64(&r);
    t.n_n = ol_an_rd_u64(&r);
    t.alarms = ol_an_rd_u64(&r);
    if (r.rc != OL_OK || r.left != 0) return OL_CORRUPT;
    if (t.clip < 0 && t.clip != -1) return OL_CORRUPT;
    if (cusum_check(t.k, t.h, t.clip) != OL_OK) return OL_CORRUPT;
    /* A sum is below h after an update, and zero exactly when its count is. */
    if (!(t.sp >= 0 && t.sp < t.h) || !(t.sn >= 0 && t.sn < t.h)) return OL_CORRUPT;
    if ((t.sp == 0) != (t.n_p == 0) || (t.sn == 0) != (t.n_n == 0)) return OL_CORRUPT;
    ol_an_cusum_t *c = ol_malloc(OL_MEM_ANALYZE, sizeof *c);
    if (!c) return OL_NOMEM;
    *c = t;
    *out = c;
    return OL_OK;
}

/* ---- BOCPD ---- */

#define BOCPD_MAGIC "BOCP"
#define BOCPD_VERSION 1u

struct ol_an_bocpd {
    /* configuration */
    double lambda, mu0, kappa0, alpha0, beta0;
    uint32_t r_max, window;
    uint8_t fixed_prior;
    double outlier;
    double log_h, log_1mh;    /* log hazard, log(1 - hazard) */
    double log_out, log_keep; /* log outlier, log(1 - outlier) (-inf and 0 without) */
    /* Student-t tables indexed by L = 0..r_max (L = 0: the prior) */
    double *lt_c;     /* lgamma(a + 1/2) - lgamma(a) - log(2 pi a)/2 */
    double *lt_f;     /* scale^2 = beta * f: (kappa + 1) / (alpha kappa) */
    double *lt_a;     /* alpha + 1/2 */
    double *lt_inv2a; /* 1 / (2 alpha) */
    /* state: n buckets, bucket i = run length i + 1 */
    uint32_t n;
    double *mu, *beta, *lp;
    int64_t *start;
    /* stream estimate for the adaptive prior */
    uint64_t seen;
    double ew_mean, ew_var;
    uint32_t map; /* MAP run length after the last update */
    double *level; /* ring of window + 1: the MAP segment mean after each of the last updates */
};

/* Observations beyond this are missing (their square would overflow). */
#define BOCPD_X_MAX 1e150

/* The largest rate bucket i (run length i + 1) can hold: a prior rate (at
 * most alpha0 * a stream variance of at most (2 BOCPD_X_MAX)^2, or beta0)
 * plus, per observation, k d^2 / (2 (k + 1)) < (2 BOCPD_X_MAX)^2 / 2. A
 * bucket moves up one index per observation, so an update keeps this. */
static double bocpd_beta_max(uint32_t i) { return 1e6 * 4e300 + 2e300 * ((double)i + 1); }

static size_t bocpd_bytes(uint32_t r_max, uint32_t window)
{
    return (size_t)(r_max + 1) * 4 * sizeof(double) + (size_t)r_max * (3 * sizeof(double) + sizeof(int64_t)) +
           (size_t)(window + 1) * sizeof(double);
}

void ol_an_bocpd_destroy(ol_an_bocpd_t *b)
{
    if (!b) return;
    ol_free(OL_MEM_ANALYZE, b->lt_c, bocpd_bytes(b->r_max, b->window));
    ol_free(OL_MEM_ANALYZE, b, sizeof *b);
}

static int bocpd_resolve(const ol_an_bocpd_options_t *opt, ol_an_bocpd_options_t *o)
{
    *o = opt ? *opt : (ol_an_bocpd_options_t){0};
    if (o->lambda == 0) o->lambda = 1000;
    if (o->r_max == 0) o->r_max = 256;
    if (o->window == 0) o->window = 8;
    if (o->kappa0 == 0) o->kappa0 = 0.1;
    if (o->alpha0 == 0) o->alpha0 = 1;
    if (o->beta0 == 0) o->beta0 = 1;
    if (o->outlier == 0) o->outlier = 0.01;
    if (o->outlier < 0) o->outlier = -1;
    if (!(o->outlier < 0.5) || (o->outlier < 0 && o->outlier != -1)) return OL_ERR;
    if (!(o->lambda > 1) || !isfinite(o->lambda)) return OL_ERR;
    if (o->r_max < 16 || o->r_max > OL_AN_BOCPD_MAX_RUN) return OL_ERR;
    if (o->window < 2 || o->window > o->r_max / 2) return OL_ERR;
    if (!isfinite(o->mu0) || !(o->kappa0 > 0) || !(o->alpha0 > 0) || !(o->beta0 > 0)) return OL_ERR;
    if (!isfinite(o->kappa0) || !isfinite(o->alpha0) || !isfinite(o->beta0)) return OL_ERR;
    /* Inputs are within BOCPD_X_MAX, so are means; these keep every rate, and kappa * d^2 on the way
     * to one, finite (bocpd_beta_max). */
    if (fabs(o->mu0) > BOCPD_X_MAX || o->kappa0 > 1e6 || o->alpha0 > 1e6 || o->beta0 > 1e300) return OL_ERR;
    if (o->fixed_prior > 1) return OL_ERR;
    return OL_OK;
}

/* Allocates and builds the tables for a resolved configuration. */
static int bocpd_alloc(const ol_an_bocpd_options_t *o, ol_an_bocpd_t **out)
{
    ol_an_bocpd_t *b = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *b);
    if (!b) return OL_NOMEM;
    b->r_max = o->r_max;
    b->window = o->window;
    double *mem = ol_calloc(OL_MEM_ANALYZE, 1, bocpd_bytes(o->r_max, o->window));
    if (!mem) {
        ol_free(OL_MEM_ANALYZE, b, sizeof *b);
        return OL_NOMEM;
    }
    size_t t = (size_t)o->r_max + 1, r = o->r_max;
    b->lt_c = mem;
    b->lt_f = mem + t;
    b->lt_a = mem + 2 * t;
    b->lt_inv2a = mem + 3 * t;
    b->mu = mem + 4 * t;
    b->beta = b->mu + r;
    b->lp = b->beta + r;
    b->start = (int64_t *)(b->lp + r);
    b->level = (double *)(b->start + r);
    b->lambda = o->lambda;
    b->mu0 = o->mu0;
    b->kappa0 = o->kappa0;
    b->alpha0 = o->alpha0;
    b->beta0 = o->beta0;
    b->fixed_prior = o->fixed_prior;
    b->log_h = -log(o->lambda);
    b->log_1mh = log1p(-1.0 / o->lambda);
    b->outlier = o->outlier;
    b->log_out = o->outlier > 0 ? log(o->outlier) : -INFINITY;
    b->log_keep = o->outlier > 0 ? log1p(-o->outlier) : 0;
    for (size_t L = 0; L < t; L++) {
        double a = o->alpha0 + 0.5 * (double)L, k = o->kappa0 + (double)L;
        int sg;
        b->lt_c[L] = lgamma_r(a + 0.5, &sg) - lgamma_r(a, &sg) - 0.5 * log(2 * M_PI * a);
        b->lt_f[L] = (k + 1) / (a * k);
        b->lt_a[L] = a + 0.5;
        b->lt_inv2a[L] = 1 / (2 * a);
    }
    *out = b;
    return OL_OK;
}

int ol_an_bocpd_create(const ol_an_bocpd_options_t *opt, ol_an_bocpd_t **out)
{
    *out = NULL;
    ol_an_bocpd_options_t o;
    if (bocpd_resolve(opt, &o) != OL_OK) return OL_ERR;
    return bocpd_alloc(&o, out);
}

uint32_t ol_an_bocpd_run_length(const ol_an_bocpd_t *b) { return b->map; }

static inline double logaddexp(double a, double c)
{
    if (a == -INFINITY) return c;
    if (c == -INFINITY) return a;
    return a > c ? a + log1p(exp(c - a)) : c + log1p(exp(a - c));
}

/* The log predictive density of x for a run of length L with statistics
 * (mu, beta): the Student-t, or `floor` (the outlier component) when that
 * is larger; then adds x to the statistics, its distance from mu limited
 * to 4 predictive scales so that one outlier cannot blow up the variance
 * of a long run. */
static inline double step_run(const ol_an_bocpd_t *b, uint32_t L, double *mu, double *beta, double x, double floor)
{
    double s2 = *beta * b->lt_f[L], d = x - *mu, d2 = d * d;
    double lp = b->lt_c[L] - 0.5 * log(s2) - b->lt_a[L] * log1p(d2 * b->lt_inv2a[L] / s2) + b->log_keep;
    if (d2 > 16 * s2) {
        d = copysign(4 * sqrt(s2), d);
        d2 = d * d;
    }
    double k = b->kappa0 + (double)L;
    *beta += k * d2 / (2 * (k + 1));
    *mu += d / (k + 1);
    return lp > floor ? lp : floor;
}

int ol_an_bocpd_update(ol_an_bocpd_t *b, int64_t t_ns, double x, ol_an_verdict_t *out)
{
    *out = (ol_an_verdict_t){.det = OL_AN_DET_BOCPD, .value = NAN, .expected = NAN};
    if (!(fabs(x) <= BOCPD_X_MAX)) return OL_AGAIN; /* NaN, or a value whose square would overflow */

    /* The prior for a segment starting now. */
    double m0 = b->mu0, b0 = b->beta0;
    if (!b->fixed_prior) {
        if (b->seen >= 2) {
            double var = b->ew_var, floor = 1e-12 * (1 + b->ew_mean * b->ew_mean);
            m0 = b->ew_mean;
            b0 = b->alpha0 * (var > floor ? var : floor);
        } else if (b->seen == 1) {
            m0 = b->ew_mean;
        } else {
            m0 = x;
        }
    }

    /* Change: x is the first point of a new segment, under the prior. */
    double mu0 = m0, beta0 = b0;
    double lp0 = step_run(b, 0, &mu0, &beta0, x, -INFINITY) - b->log_keep;
    double floor = b->log_out + lp0;

    /* Growth, top down: bucket i moves to i + 1 with x added. */
    uint32_t n = b->n, r = b->r_max;
    double top = -INFINITY;
    uint32_t i = n;
    if (n == r) {
        double mu = b->mu[r - 1], beta = b->beta[r - 1];
        top = b->lp[r - 1] + step_run(b, r, &mu, &beta, x, floor) + b->log_1mh;
        i = r - 1;
    }
    while (i-- > 0) {
        double mu = b->mu[i], beta = b->beta[i];
        double g = b->lp[i] + step_run(b, i + 1, &mu, &beta, x, floor) + b->log_1mh;
        if (i + 1 == r - 1 && n == r) {
            b->lp[i + 1] = logaddexp(g, top);
            /* start[r - 1] stays: "r_max or more" began no later than the old top */
        } else {
            b->lp[i + 1] = g;
            b->start[i + 1] = b->start[i];
        }
        b->mu[i + 1] = mu;
        b->beta[i + 1] = beta;
    }
    b->lp[0] = (n ? b->log_h : 0) + lp0;
    b->mu[0] = mu0, b->beta[0] = beta0;
    b->start[0] = t_ns;
    if (n < r) b->n = ++n;

    /* Normalise; find the MAP, the most probable older run, and P(L <= window). */
    double mx = -INFINITY;
    for (uint32_t j = 0; j < n; j++)
        if (b->lp[j] > mx) mx = b->lp[j];
    if (OL_NEVER(!isfinite(mx))) {
        /* every hypothesis underflowed (cannot happen with finite inputs): start afresh */
        for (uint32_t j = 1; j < n; j++) b->lp[j] = -INFINITY;
        b->lp[0] = 0;
        mx = 0;
    }
    double z = 0;
    for (uint32_t j = 0; j < n; j++) z += exp(b->lp[j] - mx);
    double lz = mx + log(z), recent = 0, best = -INFINITY;
    uint32_t map = 0;
    for (uint32_t j = 0; j < n; j++) {
        double v = b->lp[j] -= lz;
        if (j < b->window) recent += exp(v);
        if (v > best) best = v, map = j;
    }
    b->map = map + 1;
    /* The level believed in just before the MAP segment began, when that is recent. */
    uint64_t u = b->seen + 1; /* this update's number; level[u % ring] is the MAP mean after update u */
    uint32_t ring = b->window + 1;
    double before = b->mu[map];
    if (b->map <= b->window) before = u > b->map ? b->level[(u - b->map) % ring] : m0;

    /* The stream estimate the adaptive prior follows: exact mean/variance
     * for the first r_max points, then exponentially weighted. */
    b->seen++;
    double w = b->seen < r ? 1.0 / (double)b->seen : 1.0 / (double)r;
    double d = x - b->ew_mean;
    b->ew_mean += w * d;
    b->ew_var = b->seen == 1 ? 0 : (1 - w) * (b->ew_var + w * d * d);

    b->level[u % ring] = b->mu[map];

    out->score = recent > 1 ? 1 : recent;
    if (b->seen < 2 * (uint64_t)b->window + 2) out->score = 0;
    out->value = b->mu[map];
    out->expected = before;
    out->deviation = out->value - out->expected;
    out->since_ns = b->start[map];
    return OL_OK;
}

/* Blob: header, options (lambda, r_max, window, mu0, kappa0, alpha0, beta0,
 * fixed_prior, outlier), seen, ew_mean, ew_var, map, n, then n x (mu, beta, lp,
 * start), the window + 1 recent levels, CRC. */
int ol_an_bocpd_save(const ol_an_bocpd_t *b, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, BOCPD_MAGIC, BOCPD_VERSION);
    ol_an_wr_f64(out, b->lambda);
    ol_an_wr_u32(out, b->r_max);
    ol_an_wr_u32(out, b->window);
    ol_an_wr_f64(out, b->mu0);
    ol_an_wr_f64(out, b->kappa0);
    ol_an_wr_f64(out, b->alpha0);
    ol_an_wr_f64(out, b->beta0);
    ol_an_wr_u8(out, b->fixed_prior);
    ol_an_wr_f64(out, b->outlier);
    ol_an_wr_u64(out, b->seen);
    ol_an_wr_f64(out, b->ew_mean);
    ol_an_wr_f64(out, b->ew_var);
    ol_an_wr_u32(out, b->map);
    ol_an_wr_u32(out, b->n);
    ol_an_wr_f64s(out, b->mu, b->n);
    ol_an_wr_f64s(out, b->beta, b->n);
    ol_an_wr_f64s(out, b->lp, b->n);
    for (uint32_t i = 0; i < b->n; i++) ol_an_wr_i64(out, b->start[i]);
    ol_an_wr_f64s(out, b->level, b->window + 1);
    ol_an_wr_seal(out, start);
    return out->err;
}

int ol_an_bocpd_load(ol_slice_t blob, ol_an_bocpd_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, BOCPD_MAGIC, BOCPD_VERSION);
    ol_an_bocpd_options_t o = {0};
    o.lambda = ol_an_rd_f64(&r);
    o.r_max = ol_an_rd_u32(&r);
    o.window = ol_an_rd_u32(&r);
    o.mu0 = ol_an_rd_f64(&r);
    o.kappa0 = ol_an_rd_f64(&r);
    o.alpha0 = ol_an_rd_f64(&r);
    o.beta0 = ol_an_rd_f64(&r);
    o.fixed_prior = ol_an_rd_u8(&r);
    o.outlier = ol_an_rd_f64(&r);
    uint64_t seen = ol_an_rd_u64(&r);
    double ew_mean = ol_an_rd_f64(&r), ew_var = ol_an_rd_f64(&r);
    uint32_t map = ol_an_rd_u32(&r);
    if (r.rc != OL_OK) return OL_CORRUPT;
    ol_an_bocpd_options_t chk;
    if (bocpd_resolve(&o, &chk) != OL_OK || chk.lambda != o.lambda || chk.r_max != o.r_max ||
        chk.window != o.window || chk.kappa0 != o.kappa0 || chk.alpha0 != o.alpha0 || chk.beta0 != o.beta0 ||
        chk.outlier != o.outlier)
        return OL_CORRUPT;
    uint32_t n = ol_an_rd_count(&r, o.r_max, 4 * 8);
    if (r.rc != OL_OK || map > n || (map == 0) != (n == 0) || (n == 0) != (seen == 0) || (uint64_t)n > seen)
        return OL_CORRUPT;
    if (!(fabs(ew_mean) <= BOCPD_X_MAX) || !(ew_var >= 0 && ew_var <= 4 * BOCPD_X_MAX * BOCPD_X_MAX)) return OL_CORRUPT;
    ol_an_bocpd_t *b;
    int rc = bocpd_alloc(&o, &b);
    if (rc != OL_OK) return rc;
    b->seen = seen;
    b->ew_mean = ew_mean;
    b->ew_var = ew_var;
    b->map = map;
    b->n = n;
    ol_an_rd_f64s(&r, b->mu, n);
    ol_an_rd_f64s(&r, b->beta, n);
    ol_an_rd_f64s(&r, b->lp, n);
    for (uint32_t i = 0; i < n; i++) b->start[i] = ol_an_rd_i64(&r);
    ol_an_rd_f64s(&r, b->level, b->window + 1);
    bool ok = r.rc == OL_OK && r.left == 0;
    double mass = 0;
    for (uint32_t i = 0; ok && i < n; i++) {
        ok = fabs(b->mu[i]) <= BOCPD_X_MAX && b->beta[i] > 0 && b->beta[i] <= bocpd_beta_max(i) && b->lp[i] <= 0 &&
             !isnan(b->lp[i]);
        mass += exp(b->lp[i]);
    }
    if (!ok || (n && fabs(mass - 1) > 1e-6)) {
        ol_an_bocpd_destroy(b);
        return OL_CORRUPT;
    }
    *out = b;
    return OL_OK;
}
