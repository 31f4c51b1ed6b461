/*
 * autoenc.c - the online autoencoder (autoenc.h).
 *
 * Parameters live in one array p = [W1 (h x d), b1 (h), W2 (d x h), b2 (d)]
 * with Adam's two moment arrays beside it; all three are fixed-size arrays
 * in the object (at most 2*16*8 + 8 + 16 = 280 values), so the only other
 * allocation is the replay ring. Glorot-uniform initial weights from the
 * seed, zero biases.
 *
 * The loss is Huber on the standardised residual (quadratic within
 * AE_HUBER standard deviations, linear outside), divided by d, and the
 * network's inputs are clipped to AE_INCLIP standard deviations: a point
 * far off that the caller still learns (the first steps of a new normal)
 * moves the weights no more than a merely unusual one, and the step size
 * does not depend on d. Adam normalises the rest, so one learning rate
 * suits every input. The error of a scored point is measured on its
 * unclipped standardised values, so it grows without bound with distance.
 *
 * The running statistics use alpha = max(1/n, 1 - 2^(-1/halflife)): a plain
 * mean and variance over the first points, exponentially weighted after,
 * winsorised at AE_WINSOR standard deviations so one wild point the caller
 * let through cannot blow them up (a lasting shift still moves them, a few
 * standard deviations' worth per half-life).
 * Standard deviations have a floor (1e-3 of the mean's magnitude, at least
 * 1e-3), so a dimension that has not moved yet does not divide by zero.
 *
 * The typical error is tracked over the last AE_RING errors of learned
 * points (computed before learning them), from the time half the warm-up
 * was learned: median and 90th percentile, recomputed every AE_REQUANT
 * entries into preallocated scratch.
 */
#include "analyze/autoenc.h"

#include <math.h>

#include "core/alloc.h"
#include "sql/plan.h"
#include "core/util.h"

#define AE_MAGIC "OLAE"
#define AE_VERSION 1u
#define AE_RING 512u
#define AE_RING_MIN 64u
#define AE_REQUANT 16u
#define AE_MAX_STEPS 16u
#define AE_MAX_REPLAY 4096u
#define AE_MAX_WARMUP (1u << 30)
#define AE_MAX_HALFLIFE (1u << 24)
#define AE_MAX_LR 0.1
#define AE_DEFAULT_SEED 0x6f6c6c7961656e63ull
#define AE_MAXD OL_AN_AUTOENC_MAX_DIM
#define AE_MAXH OL_AN_AUTOENC_MAX_HIDDEN
#define AE_MAXP (2 * AE_MAXD * AE_MAXH + AE_MAXD + AE_MAXH)
#define AE_HUBER 3.0
/* Running statistics are winsorised: a learned value moves them as if it
 * were at most AE_WINSOR standard deviations off (once AE_WINSOR_AFTER
 * points gave the standard deviation some meaning). */
#define AE_WINSOR 5.0
#define AE_WINSOR_AFTER 32
/* Network inputs are clipped to this many standard deviations (errors are
 * not): gradients stay bounded however far off a learned point is. */
#define AE_INCLIP 8.0
#define AE_BETA1 0.9
#define AE_BETA2 0.999
#define AE_EPS 1e-8
/* Verdict scale: z at which the score starts rising above 0, and its width. */
#define AE_Z0 3.0
#define AE_ZW 2.5
/* Smallest spread of errors (standard deviations), for inputs the network
 * reproduces almost exactly. */
#define AE_MIN_SPREAD 0.01

struct ol_an_autoenc {
    uint32_t dim, hidden, steps, replay, halflife, warmup;
    double lr;
    uint64_t seed, rng, learned;
    double alpha; /* derived from halflife */
    double mu[OL_AN_AUTOENC_MAX_DIM], var[OL_AN_AUTOENC_MAX_DIM];
    uint32_t np;
    double p[AE_MAXP], m[AE_MAXP], v[AE_MAXP];
    double b1t, b2t; /* beta1^t, beta2^t */
    double *rp;      /* replay * dim raw points */
    uint32_t rp_n, rp_head;
    double ring[AE_RING]; /* errors of learned points */
    uint32_t ring_n, ring_head, since_quant;
    double q50, q90;
    int64_t run_since;
    uint8_t in_run;
    double grad[AE_MAXP];
    double qscratch[AE_RING];
};

static uint64_t ae_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double ae_unit(uint64_t *s) { return (double)(ae_next(s) >> 11) * 0x1p-53; }

static uint32_t ae_below(uint64_t *s, uint32_t n) { return (uint32_t)(((ae_next(s) >> 32) * (uint64_t)n) >> 32); }

static int ae_check_opts(ol_an_autoenc_options_t *o)
{
    if (o->dim < 1 || o->dim > OL_AN_AUTOENC_MAX_DIM) return OL_ERR;
    if (o->hidden == 0) o->hidden = o->dim == 1 ? 1 : (o->dim + 1) / 2 > 4 ? 4 : (o->dim + 1) / 2;
    if (o->steps == 0) o->steps = 3;
    if (o->replay == 0) o->replay = 128;
    if (o->halflife == 0) o->halflife = 256;
    if (o->warmup == 0) o->warmup = 256;
    if (o->lr == 0) o->lr = 0.003;
    if (o->seed == 0) o->seed = AE_DEFAULT_SEED;
    if (o->hidden > OL_AN_AUTOENC_MAX_HIDDEN || (o->dim > 1 && o->hidden >= o->dim)) return OL_ERR;
    if (o->steps > AE_MAX_STEPS || o->replay > AE_MAX_REPLAY || o->halflife > AE_MAX_HALFLIFE ||
        o->warmup > AE_MAX_WARMUP)
        return OL_ERR;
    if (!(o->lr > 0 && o->lr <= AE_MAX_LR)) return OL_ERR;
    return OL_OK;
}

void ol_an_autoenc_destroy(ol_an_autoenc_t *a)
{
    if (!a) return;
    ol_free(OL_MEM_ANALYZE, a->rp, sizeof(double) * a->replay * a->dim);
    ol_free(OL_MEM_ANALYZE, a, sizeof *a);
}

static int ae_alloc(const ol_an_autoenc_options_t *o, ol_an_autoenc_t **out)
{
    ol_an_autoenc_t *a = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *a);
    if (!a) return OL_NOMEM;
    a->dim = o->dim;
    a->hidden = o->hidden;
    a->steps = o->steps;
    a->replay = o->replay;
    a->halflife = o->halflife;
    a->warmup = o->warmup;
    a->lr = o->lr;
    a->seed = a->rng = o->seed;
    a->alpha = 1.0 - exp2(-1.0 / (double)a->halflife);
    a->np = 2 * a->dim * a->hidden + a->dim + a->hidden;
    a->b1t = a->b2t = 1.0;
    a->rp = ol_calloc(OL_MEM_ANALYZE, (size_t)a->replay * a->dim, sizeof(double));
    if (!a->rp) {
        ol_an_autoenc_destroy(a);
        return OL_NOMEM;
    }
    *out = a;
    return OL_OK;
}

int ol_an_autoenc_create(const ol_an_autoenc_options_t *opt, ol_an_autoenc_t **out)
{
    ol_an_autoenc_options_t o = *opt;
    if (ae_check_opts(&o) != OL_OK) return OL_ERR;
    ol_an_autoenc_t *a;
    int rc = ae_alloc(&o, &a);
    if (rc != OL_OK) return rc;
    uint32_t d = a->dim, h = a->hidden;
    double lim = sqrt(6.0 / (double)(d + h));
    double *w1 = a->p, *w2 = a->p + h * d + h;
    for (uint32_t i = 0; i < h * d; i++) w1[i] = (2.0 * ae_unit(&a->rng) - 1.0) * lim;
    for (uint32_t i = 0; i < d * h; i++) w2[i] = (2.0 * ae_unit(&a->rng) - 1.0) * lim;
    *out = a;
    return OL_OK;
}

bool ol_an_autoenc_ready(const ol_an_autoenc_t *a) { return a->learned >= a->warmup && a->ring_n >= AE_RING_MIN; }
uint64_t ol_an_autoenc_learned(const ol_an_autoenc_t *a) { return a->learned; }
uint32_t ol_an_autoenc_dim(const ol_an_autoenc_t *a) { return a->dim; }

/* ---- the network ---- */

static double ae_sd(const ol_an_autoenc_t *a, uint32_t j)
{
    double m = fabs(a->mu[j]), fl = 1e-3 * (m > 1.0 ? m : 1.0), sd = sqrt(a->var[j]);
    return sd > fl ? sd : fl;
}

static void ae_standardise(const ol_an_autoenc_t *a, const double *x, double *z)
{
    for (uint32_t j = 0; j < a->dim; j++) z[j] = (x[j] - a->mu[j]) / ae_sd(a, j);
}

static double ae_clip(double v) { return v > AE_INCLIP ? AE_INCLIP : v < -AE_INCLIP ? -AE_INCLIP : v; }

/* hid = tanh(W1 clip(z) + b1), y = W2 hid + b2. */
static void ae_forward(const ol_an_autoenc_t *a, const double *z, double *hid, double *y)
{
    uint32_t d = a->dim, h = a->hidden;
    const double *w1 = a->p, *b1 = w1 + h * d, *w2 = b1 + h, *b2 = w2 + d * h;
    for (uint32_t k = 0; k < h; k++) {
        double s = b1[k];
        for (uint32_t j = 0; j < d; j++) s += w1[k * d + j] * ae_clip(z[j]);
        hid[k] = tanh(s);
    }
    for (uint32_t j = 0; j < d; j++) {
        double s = b2[j];
        for (uint32_t k = 0; k < h; k++) s += w2[j * h + k] * hid[k];
        y[j] = s;
    }
}

/* One Adam step on one standardised point. */
static void ae_step(ol_an_autoenc_t *a, const double *z)
{
    uint32_t d = a->dim, h = a->hidden;
    double hid[OL_AN_AUTOENC_MAX_HIDDEN], y[OL_AN_AUTOENC_MAX_DIM], g[OL_AN_AUTOENC_MAX_DIM];
    double delta[OL_AN_AUTOENC_MAX_HIDDEN];
    ae_forward(a, z, hid, y);
    const double *w2 = a->p + h * d + h;
    double *gw1 = a->grad, *gb1 = gw1 + h * d, *gw2 = gb1 + h, *gb2 = gw2 + d * h;
    for (uint32_t j = 0; j < d; j++) {
        double r = y[j] - z[j];
        r = r > AE_HUBER ? AE_HUBER : r < -AE_HUBER ? -AE_HUBER : r;
        g[j] = r / (double)d;
        gb2[j] = g[j];
        for (uint32_t k = 0; k < h; k++) gw2[j * h + k] = g[j] * hid[k];
    }
    for (uint32_t k = 0; k < h; k++) {
        double s = 0;
        for (uint32_t j = 0; j < d; j++) s += g[j] * w2[j * h + k];
        delta[k] = s * (1.0 - hid[k] * hid[k]);
        gb1[k] = delta[k];
        for (uint32_t j = 0; j < d; j++) gw1[k * d + j] = delta[k] * ae_clip(z[j]);
    }
    a->b1t *= AE_BETA1;
    a->b2t *= AE_BETA2;
    double c1 = 1.0 / (1.0 - a->b1t), c2 = 1.0 / (1.0 - a->b2t);
    for (uint32_t i = 0; i < a->np; i++) {
        double gi = a->grad[i];
        a->m[i] = AE_BETA1 * a->m[i] + (1.0 - AE_BETA1) * gi;
        a->v[i] = AE_BETA2 * a->v[i] + (1.0 - AE_BETA2) * gi * gi;
        a->p[i] -= a->lr * (a->m[i] * c1) / (sqrt(a->v[i] * c2) + AE_EPS);
    }
}

static void ae_learn(ol_an_autoenc_t *a, const double *x)
{
    uint32_t d = a->dim;
    a->learned++;
    double al = 1.0 / (double)a->learned;
    if (al < a->alpha) al = a->alpha;
    for (uint32_t j = 0; j < d; j++) {
        double diff = x[j] - a->mu[j];
        if (a->learned > AE_WINSOR_AFTER) {
            double lim = AE_WINSOR * ae_sd(a, j);
            diff = diff > lim ? lim : diff < -lim ? -lim : diff;
        }
        a->mu[j] += al * diff;
        a->var[j] = (1.0 - al) * (a->var[j] + al * diff * diff);
    }
    double z[OL_AN_AUTOENC_MAX_DIM];
    ae_standardise(a, x, z);
    ae_step(a, z);
    for (uint32_t s = 1; s < a->steps && a->rp_n > 0; s++) {
        ae_standardise(a, a->rp + (size_t)ae_below(&a->rng, a->rp_n) * d, z);
        ae_step(a, z);
    }
    memcpy(a->rp + (size_t)a->rp_head * d, x, sizeof(double) * d);
    a->rp_head = a->rp_head + 1 == a->replay ? 0 : a->rp_head + 1;
    if (a->rp_n < a->replay) a->rp_n++;
}

/* ---- verdict ---- */

/* The k-th smallest of v[0..n-1] (reorders v). */
static double ae_select(double *v, uint32_t n, uint32_t k)
{
    ol_sql_select_nth(v, n, k);
    return v[k];
}

static void ae_push_error(ol_an_autoenc_t *a, double e)
{
    a->ring[a->ring_head] = e;
    a->ring_head = a->ring_head + 1 == AE_RING ? 0 : a->ring_head + 1;
    if (a->ring_n < AE_RING) a->ring_n++;
    if (++a->since_quant >= AE_REQUANT || a->ring_n == AE_RING_MIN) {
        uint32_t n = a->ring_n;
        memcpy(a->qscratch, a->ring, sizeof(double) * n);
        a->q50 = ae_select(a->qscratch, n, n / 2);
        a->q90 = ae_select(a->qscratch, n, (uint32_t)((uint64_t)n * 9 / 10));
        a->since_quant = 0;
    }
}

static double ae_score_of(double z)
{
    if (!(z > AE_Z0)) return 0.0;
    double u = (z - AE_Z0) / AE_ZW;
    return 1.0 - exp(-u * u);
}

int ol_an_autoenc_update(ol_an_autoenc_t *a, int64_t t_ns, const double *x, bool learn, ol_an_verdict_t *out,
                         uint32_t *culprit, double *error)
{
    *out = (ol_an_verdict_t){.det = OL_AN_DET_AUTOENC};
    if (culprit) *culprit = 0;
    if (error) *error = 0;
    uint32_t d = a->dim;
    for (uint32_t j = 0; j < d; j++)
        if (!isfinite(x[j]) || fabs(x[j]) > 1e30) return OL_AGAIN;
    double z[OL_AN_AUTOENC_MAX_DIM], hid[OL_AN_AUTOENC_MAX_HIDDEN], y[OL_AN_AUTOENC_MAX_DIM];
    ae_standardise(a, x, z);
    ae_forward(a, z, hid, y);
    double sum = 0, worst = -1;
    uint32_t c = 0;
    for (uint32_t j = 0; j < d; j++) {
        double r = z[j] - y[j];
        sum += r * r;
        if (fabs(r) > worst) {
            worst = fabs(r);
            c = j;
        }
    }
    double e = sqrt(sum / (double)d);
    if (culprit) *culprit = c;
    if (error) *error = e;
    out->value = x[c];
    out->expected = a->mu[c] + ae_sd(a, c) * y[c];
    if (ol_an_autoenc_ready(a)) {
        double spread = (a->q90 - a->q50) / 1.2816;
        if (spread < AE_MIN_SPREAD) spread = AE_MIN_SPREAD;
        out->deviation = (e - a->q50) / spread;
        out->score = ae_score_of(out->deviation);
        if (out->score > 0) {
            if (!a->in_run) a->run_since = t_ns;
            a->in_run = 1;
            out->since_ns = a->run_since;
        } else {
            a->in_run = 0;
        }
    }
    if (learn) {
        if (a->learned >= a->warmup / 2) ae_push_error(a, e);
        ae_learn(a, x);
    }
    return OL_OK;
}

/* ---- persistence ---- */

int ol_an_autoenc_save(const ol_an_autoenc_t *a, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, AE_MAGIC, AE_VERSION);
    ol_an_wr_u32(out, a->dim);
    ol_an_wr_u32(out, a->hidden);
    ol_an_wr_u32(out, a->steps);
    ol_an_wr_u32(out, a->replay);
    ol_an_wr_u32(out, a->halflife);
    ol_an_wr_u32(out, a->warmup);
    ol_an_wr_f64(out, a->lr);
    ol_an_wr_u64(out, a->seed);
    ol_an_wr_u64(out, a->rng);
    ol_an_wr_u64(out, a->learned);
    ol_an_wr_f64s(out, a->mu, a->dim);
    ol_an_wr_f64s(out, a->var, a->dim);
    ol_an_wr_u32(out, a->np);
    ol_an_wr_f64s(out, a->p, a->np);
    ol_an_wr_f64s(out, a->m, a->np);
    ol_an_wr_f64s(out, a->v, a->np);
    ol_an_wr_f64(out, a->b1t);
    ol_an_wr_f64(out, a->b2t);
    ol_an_wr_u32(out, a->rp_head);
    ol_an_wr_u32(out, a->rp_n);
    ol_an_wr_f64s(out, a->rp, (size_t)a->rp_n * a->dim);
    ol_an_wr_u32(out, a->ring_head);
    ol_an_wr_u32(out, a->since_quant);
    ol_an_wr_u32(out, a->ring_n);
    ol_an_wr_f64s(out, a->ring, a->ring_n);
    ol_an_wr_f64(out, a->q50);
    ol_an_wr_f64(out, a->q90);
    ol_an_wr_i64(out, a->run_since);
    ol_an_wr_u8(out, a->in_run);
    ol_an_wr_seal(out, start);
    return out->err;
}

static bool ae_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

int ol_an_autoenc_load(ol_slice_t blob, ol_an_autoenc_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, AE_MAGIC, AE_VERSION);
    if (r.rc != OL_OK) return OL_CORRUPT;
    ol_an_autoenc_options_t o = {0};
    o.dim = ol_an_rd_u32(&r);
    o.hidden = ol_an_rd_u32(&r);
    o.steps = ol_an_rd_u32(&r);
    o.replay = ol_an_rd_u32(&r);
    o.halflife = ol_an_rd_u32(&r);
    o.warmup = ol_an_rd_u32(&r);
    o.lr = ol_an_rd_f64(&r);
    o.seed = ol_an_rd_u64(&r);
    if (r.rc != OL_OK || o.hidden == 0 || o.steps == 0 || o.replay == 0 || o.halflife == 0 || o.warmup == 0 ||
        o.lr == 0 || o.seed == 0 || ae_check_opts(&o) != OL_OK)
        return OL_CORRUPT;
    ol_an_autoenc_t *a;
    int rc = ae_alloc(&o, &a);
    if (rc != OL_OK) return rc;
    a->rng = ol_an_rd_u64(&r);
    a->learned = ol_an_rd_u64(&r);
    ol_an_rd_f64s(&r, a->mu, a->dim);
    ol_an_rd_f64s(&r, a->var, a->dim);
    uint32_t np = ol_an_rd_count(&r, AE_MAXP, 3 * sizeof(double));
    bool ok = r.rc == OL_OK && np == a->np;
    if (ok) {
        ol_an_rd_f64s(&r, a->p, np);
        ol_an_rd_f64s(&r, a->m, np);
        ol_an_rd_f64s(&r, a->v, np);
        a->b1t = ol_an_rd_f64(&r);
        a->b2t = ol_an_rd_f64(&r);
        a->rp_head = ol_an_rd_u32(&r);
        a->rp_n = ol_an_rd_count(&r, a->replay, sizeof(double) * a->dim);
        ol_an_rd_f64s(&r, a->rp, (size_t)a->rp_n * a->dim);
        a->ring_head = ol_an_rd_u32(&r);
        a->since_quant = ol_an_rd_u32(&r);
        a->ring_n = ol_an_rd_count(&r, AE_RING, sizeof(double));
        ol_an_rd_f64s(&r, a->ring, a->ring_n);
        a->q50 = ol_an_rd_f64(&r);
        a->q90 = ol_an_rd_f64(&r);
        a->run_since = ol_an_rd_i64(&r);
        a->in_run = ol_an_rd_u8(&r);
        ok = r.rc == OL_OK && r.left == 0;
    }
    ok = ok && ae_finite(a->mu, a->dim) && ae_finite(a->var, a->dim) && ae_finite(a->p, a->np) &&
         ae_finite(a->m, a->np) && ae_finite(a->v, a->np) && ae_finite(a->rp, (size_t)a->rp_n * a->dim) &&
         ae_finite(a->ring, a->ring_n) && isfinite(a->q50) && isfinite(a->q90);
    /* Ranges updates keep, so that what loads stays finite through updates
     * and loads again: inputs are within 1e30, so are the replayed points
     * and their mean, the variance below (3e30)^2; an Adam first moment is
     * within 7.3 square roots of the second (their definitions, by
     * Cauchy-Schwarz), so a step moves a weight by at most 80 lr; weights
     * below 1e100 keep outputs and squared gradients far from overflow. */
    for (uint32_t j = 0; ok && j < a->dim; j++) ok = a->var[j] >= 0 && a->var[j] <= 1e61 && fabs(a->mu[j]) <= 2e30;
    for (size_t i = 0; ok && i < (size_t)a->rp_n * a->dim; i++) ok = fabs(a->rp[i]) <= 1e30;
    for (uint32_t i = 0; ok && i < a->np; i++)
        ok = a->v[i] >= 0 && a->v[i] <= 1e250 && fabs(a->m[i]) <= 8 * sqrt(a->v[i]) && fabs(a->p[i]) <= 1e100;
    ok = ok && a->b1t >= 0 && a->b1t <= 1 && a->b2t >= 0 && a->b2t <= 1 && a->learned >= a->rp_n &&
         a->rp_head < a->replay && (a->rp_n == a->replay || a->rp_head == a->rp_n) && a->ring_head < AE_RING &&
         (a->ring_n == AE_RING || a->ring_head == a->ring_n) && a->since_quant < AE_REQUANT && a->in_run <= 1;
    if (!ok) {
        ol_an_autoenc_destroy(a);
        return OL_CORRUPT;
    }
    *out = a;
    return OL_OK;
}
