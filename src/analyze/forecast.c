/*
 * forecast.c - online additive Holt-Winters with a damped trend, its
 * prediction intervals and the predictive breach check (forecast.h).
 *
 * Step k (0-based, every step counts, missing or not) has seasonal phase
 * k mod m. The model after step k forecasts step k + h as
 *   level + (phi + ... + phi^h) trend + season[(k + h) mod m].
 * The update is the error-correction form of the component equations:
 * with e = y - forecast(1) (clipped),
 *   level'  = level + phi trend + alpha e,
 *   trend'  = phi trend + alpha beta e,
 *   season' = season + gamma (1 - alpha) e      (gamma applies to y - level'),
 * which is why the variance formula in forecast.h carries gamma (1 - alpha).
 *
 * Clipping tells a spike from a shift by persistence: a residual beyond
 * clip sigmas is clipped unless the two before it were beyond on the same
 * side too; from the third one in a row they are taken whole, so a real
 * level change is learned (and the variance follows it) from its third step.
 *
 * Blob: header, options, counters and components, then either the
 * seasonal profile (ready) or the values collected so far (initialising),
 * CRC-32C.
 */
#include "analyze/forecast.h"

#include "core/alloc.h"
#include "core/util.h"

#include <math.h>

#define FC_MAGIC "HWFC"
#define FC_VERSION 1u
/* Values beyond this are missing (a square would overflow). */
#define FC_X_MAX 1e150
/* The most a loaded level, trend or seasonal component may be. */
#define FC_STATE_MAX 1e152

struct ol_an_fc {
    /* configuration */
    uint32_t m, init_steps;
    double alpha, beta, gamma, phi, w, clip;
    ol_an_fc_objective_t obj;
    /* state */
    uint64_t steps;       /* steps seen, missing ones included */
    bool ready;
    double level, trend, var;
    double last;          /* last value (NaN when missing) */
    int32_t out_run;      /* consecutive clipped-size residuals: > 0 above, < 0 below */
    bool in_breach;
    int64_t breach_since;
    double *season;       /* m entries (NULL when m == 0) */
    double *init;         /* collection buffer while !ready */
    uint32_t n_init, got; /* its size, values collected */
    uint64_t init_k0;     /* step index of init[0] */
};

static void fc_free_init(ol_an_fc_t *f)
{
    ol_free(OL_MEM_ANALYZE, f->init, (size_t)f->n_init * sizeof(double));
    f->init = NULL;
}

void ol_an_fc_destroy(ol_an_fc_t *f)
{
    if (!f) return;
    fc_free_init(f);
    ol_free(OL_MEM_ANALYZE, f->season, (size_t)f->m * sizeof(double));
    ol_free(OL_MEM_ANALYZE, f, sizeof *f);
}

static int fc_check_objective(ol_an_fc_objective_t *o)
{
    if (o->dir > OL_AN_FC_STAY_ABOVE) return OL_ERR;
    if (o->dir == OL_AN_FC_NONE) return OL_OK;
    if (o->horizon == 0) o->horizon = 60;
    if (o->horizon > OL_AN_FC_MAX_HORIZON || !isfinite(o->threshold) || !isfinite(o->z) || o->z < 0) return OL_ERR;
    return OL_OK;
}

static double dflt(double v, double d) { return v == 0 ? d : v < 0 ? 0 : v; }

static int fc_resolve(const ol_an_fc_options_t *opt, ol_an_fc_options_t *o)
{
    *o = opt ? *opt : (ol_an_fc_options_t){0};
    o->alpha = dflt(o->alpha, 0.2);
    o->beta = dflt(o->beta, 0.05);
    o->gamma = dflt(o->gamma, 0.15);
    o->phi = dflt(o->phi, 0.995);
    o->var_weight = dflt(o->var_weight, 0.05);
    o->clip = o->clip == 0 ? 5 : o->clip < 0 ? -1 : o->clip;
    if (o->init_steps == 0) o->init_steps = 8;
    if (o->period == 1 || o->period > OL_AN_FC_MAX_PERIOD) return OL_ERR;
    if (!(o->alpha > 0 && o->alpha <= 1) || !(o->beta <= 1) || !(o->gamma <= 1)) return OL_ERR;
    if (!(o->phi > 0 && o->phi <= 1) || !(o->var_weight > 0 && o->var_weight <= 1)) return OL_ERR;
    if (isnan(o->clip) || isinf(o->clip)) return OL_ERR;
    if (o->init_steps < 3 || o->init_steps > 4096) return OL_ERR;
    return fc_check_objective(&o->objective);
}

static int fc_alloc(const ol_an_fc_options_t *o, ol_an_fc_t **out)
{
    ol_an_fc_t *f = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *f);
    if (!f) return OL_NOMEM;
    f->m = o->period;
    f->init_steps = o->init_steps;
    f->alpha = o->alpha;
    f->beta = o->beta;
    f->gamma = o->gamma;
    f->phi = o->phi;
    f->w = o->var_weight;
    f->clip = o->clip;
    f->obj = o->objective;
    f->last = NAN;
    f->n_init = f->m ? 2 * f->m : f->init_steps;
    if (f->m && !(f->season = ol_calloc(OL_MEM_ANALYZE, f->m, sizeof(double)))) goto fail;
    if (!(f->init = ol_calloc(OL_MEM_ANALYZE, f->n_init, sizeof(double)))) goto fail;
    *out = f;
    return OL_OK;
fail:
    ol_an_fc_destroy(f);
    return OL_NOMEM;
}

int ol_an_fc_create(const ol_an_fc_options_t *opt, ol_an_fc_t **out)
{
    *out = NULL;
    ol_an_fc_options_t o;
    if (fc_resolve(opt, &o) != OL_OK) return OL_ERR;
    return fc_alloc(&o, out);
}

bool ol_an_fc_ready(const ol_an_fc_t *f) { return f->ready; }

int ol_an_fc_set_objective(ol_an_fc_t *f, const ol_an_fc_objective_t *obj)
{
    ol_an_fc_objective_t o = *obj;
    if (fc_check_objective(&o) != OL_OK) return OL_ERR;
    f->obj = o;
    f->in_breach = false;
    return OL_OK;
}

static double var_floor(const ol_an_fc_t *f) { return 1e-18 * (1 + f->level * f->level); }

/* Sets the components from the collected values. Returns false (and
 * starts collecting again) when too few values were present. */
static bool fc_initialise(ol_an_fc_t *f)
{
    double *y = f->init;
    uint32_t n = f->n_init, m = f->m, present = 0;
    for (uint32_t i = 0; i < n; i++) present += !isnan(y[i]);
    if (present < (m ? m / 2 + 3 : 3)) {
        f->got = 0;
        f->init_k0 = f->steps;
        return false;
    }
    double ssr = 0;
    uint32_t dof;
    if (m) {
        double s1 = 0, s2 = 0;
        uint32_t c1 = 0, c2 = 0;
        for (uint32_t i = 0; i < m; i++) {
            if (!isnan(y[i])) s1 += y[i], c1++;
            if (!isnan(y[m + i])) s2 += y[m + i], c2++;
        }
        double mean1 = c1 ? s1 / c1 : s2 / c2, mean2 = c2 ? s2 / c2 : mean1;
        double b0 = (mean2 - mean1) / m, mid = (m - 1) / 2.0;
        /* Per phase (in buffer order): the mean detrended value, NaN when
         * the phase was never seen; those are interpolated between the
         * nearest seen phases on either side, circularly. */
        double *sp = f->season; /* in buffer order until rotated below */
        uint32_t phases = 0;
        for (uint32_t p = 0; p < m; p++) {
            double s = 0;
            uint32_t c = 0;
            for (uint32_t i = p; i < n; i += m)
                if (!isnan(y[i])) s += y[i] - (mean1 + b0 * (i - mid)), c++;
            sp[p] = c ? s / c : NAN;
            phases += c > 0;
        }
        for (uint32_t p = 0; p < m; p++) {
            if (!isnan(sp[p])) continue;
            uint32_t lo = 1, hi = 1;
            while (isnan(sp[(p + m - lo) % m])) lo++;
            while (isnan(sp[(p + hi) % m])) hi++;
            /* the left neighbour may be one filled just before: it lies on the same line */
            double a = sp[(p + m - lo) % m], b = sp[(p + hi) % m];
            sp[p] = a + (b - a) * lo / (lo + hi);
        }
        double tot = 0;
        for (uint32_t p = 0; p < m; p++) tot += sp[p];
        for (uint32_t p = 0; p < m; p++) sp[p] -= tot / m;
        for (uint32_t i = 0; i < n; i++) {
            if (isnan(y[i])) continue;
            double e = y[i] - (mean1 + b0 * (i - mid)) - sp[i % m];
            ssr += e * e;
        }
        /* Rotate: buffer slot p is step init_k0 + p, whose phase is (init_k0 + p) mod m.
         * The collected values are no longer needed; their buffer is the scratch. */
        for (uint32_t p = 0; p < m; p++) f->init[(f->init_k0 + p) % m] = sp[p];
        memcpy(f->season, f->init, m * sizeof(double));
        f->trend = b0;
        f->level = mean1 + b0 * ((n - 1) - mid);
        dof = present > phases + 2 ? present - phases - 2 : 1;
    } else {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (isnan(y[i])) continue;
            sx += i, sy += y[i], sxx += (double)i * i, sxy += i * y[i];
        }
        double den = present * sxx - sx * sx;
        double b0 = den > 0 ? (present * sxy - sx * sy) / den : 0, a0 = (sy - b0 * sx) / present;
        for (uint32_t i = 0; i < n; i++) {
            if (isnan(y[i])) continue;
            double e = y[i] - (a0 + b0 * i);
            ssr += e * e;
        }
        f->trend = b0;
        f->level = a0 + b0 * (n - 1);
        dof = present - 2;
    }
    f->var = ssr / dof;
    if (f->var < var_floor(f)) f->var = var_floor(f);
    f->ready = true;
    fc_free_init(f);
    return true;
}

/* Sum phi + ... + phi^h. */
static double phi_sum(double phi, uint32_t h) { return phi == 1 ? h : phi * (1 - pow(phi, h)) / (1 - phi); }

static inline double season_at(const ol_an_fc_t *f, uint64_t k) { return f->m ? f->season[k % f->m] : 0; }

int ol_an_fc_forecast(const ol_an_fc_t *f, uint32_t h, double *mean, double *sd)
{
    if (h == 0) return OL_ERR;
    if (!f->ready) return OL_AGAIN;
    *mean = f->level + phi_sum(f->phi, h) * f->trend + season_at(f, f->steps - 1 + h);
    double acc = 1, ps = 0, pw = 1, g = f->gamma * (1 - f->alpha);
    for (uint32_t j = 1; j < h; j++) {
        pw *= f->phi;
        ps += pw;
        double c = f->alpha * (1 + f->beta * ps) + (f->m && j % f->m == 0 ? g : 0);
        acc += c * c;
    }
    *sd = sqrt(f->var * acc);
    return OL_OK;
}

int ol_an_fc_check(const ol_an_fc_t *f, const ol_an_fc_objective_t *objp, ol_an_verdict_t *out, uint32_t *steps)
{
    *out = (ol_an_verdict_t){.det = OL_AN_DET_FORECAST, .value = f->last, .expected = NAN};
    if (steps) *steps = 0;
    ol_an_fc_objective_t obj = *objp;
    if (fc_check_objective(&obj) != OL_OK || obj.dir == OL_AN_FC_NONE) return OL_ERR;
    if (!f->ready) return OL_AGAIN;
    double sgn = obj.dir == OL_AN_FC_STAY_BELOW ? 1 : -1;
    double acc = 1, ps = 0, pw = 1, g = f->gamma * (1 - f->alpha), cert = 0, mean = NAN;
    uint32_t found = 0;
    for (uint32_t h = 1; h <= obj.horizon; h++) {
        pw *= f->phi;
        ps += pw;
        mean = f->level + ps * f->trend + season_at(f, f->steps - 1 + h);
        double sd = sqrt(f->var * acc);
        double over = sgn * (mean - obj.threshold);
        if (!found && over + obj.z * sd > 0) {
            found = h;
            out->expected = mean;
        }
        if (found) {
            double p = 0.5 * erfc(-over / (sd * M_SQRT2));
            if (p > cert) cert = p;
        }
        double c = f->alpha * (1 + f->beta * ps) + (f->m && h % f->m == 0 ? g : 0);
        acc += c * c;
    }
    if (found) {
        out->deviation = found;
        out->score = (1 - 0.5 * (found - 1) / obj.horizon) * cert;
    } else {
        out->expected = mean;
    }
    if (steps) *steps = found;
    return OL_OK;
}

int ol_an_fc_update(ol_an_fc_t *f, int64_t t_ns, double value, ol_an_verdict_t *out)
{
    ol_an_verdict_t v = {.det = OL_AN_DET_FORECAST, .value = value, .expected = NAN};
    if (!(fabs(value) <= FC_X_MAX)) value = NAN; /* a square would overflow: missing */
    f->last = value;
    if (!f->ready) {
        f->init[f->got++] = value;
        if (f->got == 1) f->init_k0 = f->steps;
        f->steps++;
        if (f->got == f->n_init) fc_initialise(f);
        if (out) *out = v;
        return OL_AGAIN;
    }
    double pred = f->level + f->phi * f->trend + season_at(f, f->steps);
    v.expected = pred;
    if (isnan(value)) {
        f->level += f->phi * f->trend;
        f->trend *= f->phi;
        f->out_run = 0;
    } else {
        double e = value - pred, sd = sqrt(f->var);
        v.deviation = e / sd;
        if (f->clip >= 0) {
            double lim = f->clip * sd;
            if (e > lim) f->out_run = f->out_run > 0 ? OL_MIN(f->out_run + 1, 3) : 1;
            else if (e < -lim) f->out_run = f->out_run < 0 ? OL_MAX(f->out_run - 1, -3) : -1;
            else f->out_run = 0;
            if (f->out_run > -3 && f->out_run < 3) e = e > lim ? lim : e < -lim ? -lim : e;
        }
        f->level += f->phi * f->trend + f->alpha * e;
        f->trend = f->phi * f->trend + f->alpha * f->beta * e;
        if (f->m) f->season[f->steps % f->m] += f->gamma * (1 - f->alpha) * e;
        f->var = (1 - f->w) * f->var + f->w * e * e;
        if (f->var < var_floor(f)) f->var = var_floor(f);
    }
    f->steps++;
    if (f->obj.dir != OL_AN_FC_NONE) {
        uint32_t steps;
        ol_an_fc_check(f, &f->obj, &v, &steps);
        if (steps) {
            if (!f->in_breach) f->in_breach = true, f->breach_since = t_ns;
            v.since_ns = f->breach_since;
        } else {
            f->in_breach = false;
        }
    }
    if (out) *out = v;
    return OL_OK;
}

int ol_an_fc_save(const ol_an_fc_t *f, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, FC_MAGIC, FC_VERSION);
    ol_an_wr_u32(out, f->m);
    ol_an_wr_u32(out, f->init_steps);
    ol_an_wr_f64(out, f->alpha);
    ol_an_wr_f64(out, f->beta);
    ol_an_wr_f64(out, f->gamma);
    ol_an_wr_f64(out, f->phi);
    ol_an_wr_f64(out, f->w);
    ol_an_wr_f64(out, f->clip);
    ol_an_wr_u8(out, f->obj.dir);
    ol_an_wr_f64(out, f->obj.threshold);
    ol_an_wr_u32(out, f->obj.horizon);
    ol_an_wr_f64(out, f->obj.z);
    ol_an_wr_u64(out, f->steps);
    ol_an_wr_u8(out, f->ready);
    ol_an_wr_f64(out, f->level);
    ol_an_wr_f64(out, f->trend);
    ol_an_wr_f64(out, f->var);
    ol_an_wr_f64(out, f->last);
    ol_an_wr_u32(out, (uint32_t)f->out_run);
    ol_an_wr_u8(out, f->in_breach);
    ol_an_wr_i64(out, f->breach_since);
    if (f->ready) {
        ol_an_wr_f64s(out, f->season, f->m);
    } else {
        ol_an_wr_u64(out, f->init_k0);
        ol_an_wr_u32(out, f->got);
        ol_an_wr_f64s(out, f->init, f->got);
    }
    ol_an_wr_seal(out, start);
    return out->err;
}

int ol_an_fc_load(ol_slice_t blob, ol_an_fc_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, FC_MAGIC, FC_VERSION);
    if (r.rc != OL_OK) return OL_CORRUPT;
    ol_an_fc_options_t o = {0};
    o.period = ol_an_rd_u32(&r);
    o.init_steps = ol_an_rd_u32(&r);
    o.alpha = ol_an_rd_f64(&r);
    o.beta = ol_an_rd_f64(&r);
    o.gamma = ol_an_rd_f64(&r);
    o.phi = ol_an_rd_f64(&r);
    o.var_weight = ol_an_rd_f64(&r);
    o.clip = ol_an_rd_f64(&r);
    o.objective.dir = ol_an_rd_u8(&r);
    o.objective.threshold = ol_an_rd_f64(&r);
    o.objective.horizon = ol_an_rd_u32(&r);
    o.objective.z = ol_an_rd_f64(&r);
    if (r.rc != OL_OK) return OL_CORRUPT;
    /* Saved options are resolved: resolving them again must change nothing. */
    ol_an_fc_options_t chk;
    if (fc_resolve(&o, &chk) != OL_OK || chk.alpha != o.alpha || chk.beta != o.beta || chk.gamma != o.gamma ||
        chk.phi != o.phi || chk.var_weight != o.var_weight || chk.clip != o.clip || chk.init_steps != o.init_steps ||
        (o.objective.dir != OL_AN_FC_NONE && chk.objective.horizon != o.objective.horizon))
        return OL_CORRUPT;
    ol_an_fc_t *f;
    int rc = fc_alloc(&o, &f);
    if (rc != OL_OK) return rc;
    f->steps = ol_an_rd_u64(&r);
    uint8_t ready = ol_an_rd_u8(&r);
    f->level = ol_an_rd_f64(&r);
    f->trend = ol_an_rd_f64(&r);
    f->var = ol_an_rd_f64(&r);
    f->last = ol_an_rd_f64(&r);
    f->out_run = (int32_t)ol_an_rd_u32(&r);
    uint8_t in_breach = ol_an_rd_u8(&r);
    f->breach_since = ol_an_rd_i64(&r);
    bool ok = ready <= 1 && in_breach <= 1 && f->out_run >= -3 && f->out_run <= 3 &&
              (isnan(f->last) || fabs(f->last) <= FC_X_MAX);
    f->ready = ready, f->in_breach = in_breach;
    if (ready) {
        /* Components in the values' range (with room for a trend's overshoot), so that
         * forecasts, residuals and their squares stay finite. */
        ol_an_rd_f64s(&r, f->season, f->m);
        for (uint32_t i = 0; ok && i < f->m; i++) ok = fabs(f->season[i]) <= FC_STATE_MAX;
        ok = ok && fabs(f->level) <= FC_STATE_MAX && fabs(f->trend) <= FC_STATE_MAX && f->var > 0 && f->var <= 1e307;
        fc_free_init(f);
    } else {
        f->init_k0 = ol_an_rd_u64(&r);
        f->got = ol_an_rd_count(&r, f->n_init - 1, 8);
        ol_an_rd_f64s(&r, f->init, f->got);
        ok = ok && f->init_k0 + f->got == f->steps && !in_breach;
        /* what an update collects: a value within 1e150 or NaN (missing) */
        for (uint32_t i = 0; ok && i < f->got; i++) ok = isnan(f->init[i]) || fabs(f->init[i]) <= FC_X_MAX;
    }
    if (r.rc != OL_OK || r.left != 0 || !ok) {
        ol_an_fc_destroy(f);
        return OL_CORRUPT;
    }
    *out = f;
    return OL_OK;
}
