/*
 * uni.c - the single-signal detector (uni.h).
 *
 * Each step runs in four stages:
 *
 *   0. Baseline. The seasonal profile (season.h) gives what this time of
 *      day (and week) usually looks like. Once it is trusted for the whole
 *      local window, and explains that window better than the window's
 *      own median does (its residuals' MAD is below 0.9 of the raw MAD,
 *      re-checked every 32 steps, back off above 1.0), the features below
 *      read residuals x - profile(t) instead of raw values. Otherwise, or
 *      before 3 days of history, they read the raw values: the local
 *      window alone is the baseline.
 *   1. Features. A ring of the last `window` inputs gives a robust local
 *      level and scale (median, MAD). The point's own robust z catches
 *      spikes; the mean of the last `shift_len` points against the window
 *      before them catches level shifts; the distance from the newest
 *      pattern (nov_segments means of nov_seg_len steps) to its nearest
 *      earlier, non-overlapping pattern catches shapes never seen before
 *      (a left discord: a daily cycle that skips its peak, a flat line
 *      where there was noise), ranked once per closed segment; a CUSUM
 *      (changepoint.h) on the point's robust z accumulates small lasting
 *      shifts that no single point shows (with h far out, its sum keeps
 *      growing while the shift lasts; it starts over when the baseline
 *      changes between local and seasonal).
 *   2. Calibration (calib.h). No feature meets a fixed threshold: each is
 *      ranked against its own recent history, and the rarest one gives the
 *      point's tail probability p. So "unusual" means unusual for this
 *      signal, and one configuration fits every signal.
 *   3. Onset. A signal that stays anomalous is one anomaly, not one per
 *      step: once p falls to fire_p, later points are held down (score
 *      times hold_factor) for `hold` steps unless they are far rarer than
 *      what fired. The score therefore reads "a new anomaly starts here",
 *      and since_ns of a held-down verdict is the onset that fired.
 *
 * One-sided signals (error ratio, latency) only count deviations upwards.
 */
#include "analyze/uni.h"

#include <float.h>
#include <math.h>

#include "analyze/calib.h"
#include "analyze/changepoint.h"
#include "analyze/season.h"
#include "core/alloc.h"
#include "core/util.h"
#include "sql/plan.h"

enum { F_SPIKE, F_SHIFT, F_NOVEL, F_CUSUM, F__COUNT };

static const uint8_t FEATURE_DET[F__COUNT] = {OL_AN_DET_ROBUST, OL_AN_DET_ROBUST, OL_AN_DET_NOVELTY,
                                              OL_AN_DET_CUSUM};

#define UNI_MAX_WINDOW 4096
#define UNI_MAX_SEGMENTS 64
#define UNI_MIN_WINDOW 16 /* points before the robust features exist */
#define UNI_MIN_CALIB 32
#define UNI_MODEL_EVERY 32 /* steps between choices of baseline (local or seasonal) */
#define UNI_CUSUM_BYTES 96 /* the CUSUM object (opaque here), rounded up */
#define FEATURE_FLOOR 0.1  /* features are in units of robust scale: rounding noise below this is not news */
#define SCORE_DECADES 6.0  /* score 1 = tail probability 1e-6 */

struct ol_an_uni {
    ol_an_uni_options_t opt;
    ol_an_uni_params_t prm;
    uint64_t steps;
    int64_t last_t;
    double *ring;    /* last `window` values */
    float *sring;    /* the profile's expectation at each of them, NaN = none */
    uint32_t rn, rhead;
    uint32_t nseas;  /* entries of sring among the rn that are not NaN */
    uint8_t useseas; /* the features read residuals against the profile */
    double seas_lr;       /* slow average of log(residual MAD / raw MAD) */
    uint32_t seas_checks; /* how many went into it */
    ol_an_season_t season;
    float *seg; /* closed segment means, ring of nov_history */
    uint32_t segn, seghead, segk;
    double segsum;
    double novel; /* novelty of the newest closed pattern */
    ol_an_cusum_t *cusum; /* on the robust z of every point */
    ol_an_calib_t cal[F__COUNT];
    uint32_t hold;    /* steps left in the hold-down */
    double hold_p;    /* tail probability that fired */
    int64_t onset_ns; /* when the open anomaly fired */
    double *scratch;  /* window-sized work area (not state) */
};

void ol_an_uni_params_default(ol_an_uni_params_t *p)
{
    *p = (ol_an_uni_params_t){
        .window = 256,
        .shift_len = 6,
        .calib = 2048,
        .nov_segments = 8,
        .nov_seg_len = 8,
        .nov_history = 1024,
        .fire_p = 1e-3,
        .hold = 100,
        .hold_factor = 0.5,
        .season = 1,
        .cusum_k = 0.5,
        .cusum_h = 1000,
    };
}

int ol_an_uni_param_set(ol_an_uni_params_t *p, const char *name, double v)
{
    static const struct {
        const char *name;
        size_t off;
        double lo, hi;
    } U32[] = {
        {"window", offsetof(ol_an_uni_params_t, window), 32, UNI_MAX_WINDOW},
        {"shift_len", offsetof(ol_an_uni_params_t, shift_len), 1, 64},
        {"calib", offsetof(ol_an_uni_params_t, calib), 64, OL_AN_CALIB_MAX},
        {"nov_segments", offsetof(ol_an_uni_params_t, nov_segments), 2, UNI_MAX_SEGMENTS},
        {"nov_seg_len", offsetof(ol_an_uni_params_t, nov_seg_len), 1, 256},
        {"nov_history", offsetof(ol_an_uni_params_t, nov_history), 64, 65536},
        {"hold", offsetof(ol_an_uni_params_t, hold), 0, 100000},
        {"season", offsetof(ol_an_uni_params_t, season), 0, 1},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(U32); i++)
        if (strcmp(name, U32[i].name) == 0) {
            if (!(v >= U32[i].lo && v <= U32[i].hi)) return OL_LIMIT;
            *(uint32_t *)((char *)p + U32[i].off) = (uint32_t)v;
            return OL_OK;
        }
    static const struct {
        const char *name;
        size_t off;
        double lo, hi;
    } F64[] = {
        {"fire_p", offsetof(ol_an_uni_params_t, fire_p), 0, 1},
        {"hold_factor", offsetof(ol_an_uni_params_t, hold_factor), 0, 1},
        {"cusum_k", offsetof(ol_an_uni_params_t, cusum_k), 0, 3},
        {"cusum_h", offsetof(ol_an_uni_params_t, cusum_h), 0.5, 1000},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(F64); i++)
        if (strcmp(name, F64[i].name) == 0) {
            if (!(v >= F64[i].lo && v <= F64[i].hi)) return OL_LIMIT;
            *(double *)((char *)p + F64[i].off) = v;
            return OL_OK;
        }
    return OL_NOTFOUND;
}

static bool params_ok(const ol_an_uni_params_t *p)
{
    return p->window >= 32 && p->window <= UNI_MAX_WINDOW && p->shift_len >= 1 && p->shift_len + 16 < p->window &&
           p->calib >= 64 && p->calib <= OL_AN_CALIB_MAX && p->nov_segments >= 2 &&
           p->nov_segments <= UNI_MAX_SEGMENTS && p->nov_seg_len >= 1 && p->nov_seg_len <= 256 &&
           p->nov_history >= 3 * p->nov_segments && p->nov_history <= 65536 && p->fire_p >= 0 && p->fire_p <= 1 &&
           p->hold <= 100000 && p->hold_factor >= 0 && p->hold_factor <= 1 && p->season <= 1 &&
           p->cusum_k >= 0 && p->cusum_k <= 3 && p->cusum_h >= 0.5 && p->cusum_h <= 1000;
}

/* The novelty feature changes once per segment and is ranked only then:
 * its history spans the same steps with nov_seg_len times fewer values. */
static uint32_t calib_cap(const ol_an_uni_params_t *p, int f)
{
    return f == F_NOVEL ? OL_MAX(64, p->calib / p->nov_seg_len) : p->calib;
}

static int uni_alloc(ol_an_uni_t *u)
{
    u->ring = ol_calloc(OL_MEM_ANALYZE, u->prm.window, sizeof(double));
    u->sring = ol_calloc(OL_MEM_ANALYZE, u->prm.window, sizeof(float));
    u->scratch = ol_calloc(OL_MEM_ANALYZE, u->prm.window, sizeof(double));
    u->seg = ol_calloc(OL_MEM_ANALYZE, u->prm.nov_history, sizeof(float));
    if (!u->ring || !u->sring || !u->scratch || !u->seg) return OL_NOMEM;
    if (!u->cusum) {
        ol_an_cusum_options_t co = {.k = u->prm.cusum_k, .h = u->prm.cusum_h, .clip = 4};
        if (ol_an_cusum_create(&co, &u->cusum) != OL_OK) return OL_NOMEM;
    }
    for (int f = 0; f < F__COUNT; f++)
        if (ol_an_calib_init(&u->cal[f], calib_cap(&u->prm, f)) != OL_OK) return OL_NOMEM;
    return OL_OK;
}

static ol_an_uni_t *uni_new(const ol_an_uni_options_t *opt, const ol_an_uni_params_t *prm)
{
    ol_an_uni_t *u = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *u);
    if (!u) return NULL;
    u->opt = *opt;
    u->opt.params = NULL;
    u->prm = *prm;
    /* the novelty search needs three patterns of history, the rest half a window */
    if (u->opt.warmup == 0) u->opt.warmup = OL_MAX(3 * prm->nov_segments * prm->nov_seg_len, prm->window / 2);
    ol_an_season_init(&u->season, opt->step_ns);
    if (uni_alloc(u) != OL_OK) {
        ol_an_uni_destroy(u);
        return NULL;
    }
    return u;
}

int ol_an_uni_create(const ol_an_uni_options_t *opt, ol_an_uni_t **out)
{
    ol_an_uni_options_t o = opt ? *opt : (ol_an_uni_options_t){0};
    ol_an_uni_params_t prm;
    if (o.params) prm = *o.params;
    else ol_an_uni_params_default(&prm);
    if (!params_ok(&prm) || o.kind > OL_AN_SIG_LATENCY || o.step_ns < 0) return OL_LIMIT;
    *out = uni_new(&o, &prm);
    return *out ? OL_OK : OL_NOMEM;
}

void ol_an_uni_destroy(ol_an_uni_t *u)
{
    if (!u) return;
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_free(&u->cal[f]);
    ol_an_cusum_destroy(u->cusum);
    ol_free(OL_MEM_ANALYZE, u->ring, u->prm.window * sizeof(double));
    ol_free(OL_MEM_ANALYZE, u->sring, u->prm.window * sizeof(float));
    ol_free(OL_MEM_ANALYZE, u->scratch, u->prm.window * sizeof(double));
    ol_free(OL_MEM_ANALYZE, u->seg, u->prm.nov_history * sizeof(float));
    ol_free(OL_MEM_ANALYZE, u, sizeof *u);
}

bool ol_an_uni_warm(const ol_an_uni_t *u) { return u->steps >= u->opt.warmup; }
uint64_t ol_an_uni_steps(const ol_an_uni_t *u) { return u->steps; }
bool ol_an_uni_seasonal(const ol_an_uni_t *u) { return u->useseas; }

size_t ol_an_uni_bytes(const ol_an_uni_t *u)
{
    const ol_an_uni_params_t *p = &u->prm;
    return sizeof *u + p->window * (2 * sizeof(double) + sizeof(float)) + p->nov_history * sizeof(float) +
           (3 * (size_t)p->calib + calib_cap(p, F_NOVEL)) * 2 * sizeof(uint16_t) + UNI_CUSUM_BYTES;
}

/* Median and MAD (scaled to a normal sigma) of v[0..n). */
static void robust(const ol_an_uni_t *u, const double *v, uint32_t n, double *med, double *mad)
{
    double *s = u->scratch;
    memcpy(s, v, n * sizeof(double));
    ol_sql_select_nth(s, n, n / 2);
    *med = s[n / 2];
    for (uint32_t i = 0; i < n; i++) s[i] = fabs(v[i] - *med);
    ol_sql_select_nth(s, n, n / 2);
    *mad = 1.4826 * s[n / 2];
}

static double scale_floor(double mad, double med) { return fmax(mad, 1e-6 * (1.0 + fabs(med))); }

/* The last rn inputs oldest first into w: raw values, or residuals
 * against the profile when resid. */
static uint32_t window_values(const ol_an_uni_t *u, double *w, bool resid)
{
    uint32_t start = u->rn < u->prm.window ? 0 : u->rhead;
    for (uint32_t i = 0; i < u->rn; i++) {
        uint32_t j = (start + i) % u->prm.window;
        w[i] = resid ? u->ring[j] - u->sring[j] : u->ring[j];
    }
    return u->rn;
}

/* The spike and shift features of the window's own points, in the
 * baseline just chosen, replace their calibration history: what the other
 * baseline's features looked like says nothing about these. */
static void reseed(ol_an_uni_t *u, const double *w, uint32_t n)
{
    bool up_only = u->opt.kind == OL_AN_SIG_ERRORS || u->opt.kind == OL_AN_SIG_LATENCY;
    double med, mad;
    robust(u, w, n, &med, &mad);
    double scale = scale_floor(mad, med), sum = 0;
    uint32_t k = u->prm.shift_len;
    ol_an_calib_reset(&u->cal[F_SPIKE]);
    ol_an_calib_reset(&u->cal[F_SHIFT]);
    /* the CUSUM's sums were taken against the other baseline: they start
     * over (its calibration history stays: a fresh one would rank the
     * first sums of the new baseline against almost nothing) */
    ol_an_cusum_t *c = NULL;
    ol_an_cusum_options_t co = {.k = u->prm.cusum_k, .h = u->prm.cusum_h, .clip = 4};
    if (ol_an_cusum_create(&co, &c) == OL_OK) {
        ol_an_cusum_destroy(u->cusum);
        u->cusum = c;
    }
    for (uint32_t i = 0; i < n; i++) {
        double z = (w[i] - med) / scale;
        z = up_only ? fmax(z, 0) : fabs(z);
        ol_an_calib_add(&u->cal[F_SPIKE], z < FEATURE_FLOOR ? 0 : z);
        sum += w[i] - (i >= k ? w[i - k] : 0);
        if (i + 1 < k) continue;
        double zs = (sum / k - med) / scale;
        zs = up_only ? fmax(zs, 0) : fabs(zs);
        ol_an_calib_add(&u->cal[F_SHIFT], zs < FEATURE_FLOOR ? 0 : zs);
    }
}

/* Every UNI_MODEL_EVERY steps, once the whole window has a seasonal
 * expectation, the ratio of the residuals' MAD to the raw window's enters
 * a slow average (of its logarithm, over about 16 checks); the features
 * read residuals while that average says the profile spreads less than
 * 0.9 of the raw window, and go back to the raw window above 1.0. An
 * anomaly that distorts both windows for a while does not flip it. */
static void choose_model(ol_an_uni_t *u)
{
    bool want = u->useseas;
    double w[UNI_MAX_WINDOW];
    uint32_t n = u->rn;
    if (!u->prm.season || u->nseas < u->rn || u->rn < 4 * UNI_MIN_WINDOW) {
        want = false;
    } else if (u->steps % UNI_MODEL_EVERY == 0) {
        double med, mad_raw, mad_res;
        window_values(u, w, false);
        robust(u, w, n, &med, &mad_raw);
        double floor_ = scale_floor(0, med);
        window_values(u, w, true);
        robust(u, w, n, &med, &mad_res);
        double lr = log(fmax(mad_res, floor_) / fmax(mad_raw, floor_));
        u->seas_lr = u->seas_checks == 0 ? lr : u->seas_lr + (lr - u->seas_lr) / 16;
        if (u->seas_checks < UINT32_MAX) u->seas_checks++;
        if (u->seas_checks >= 4) want = u->seas_lr < (u->useseas ? 0.0 : log(0.9));
    }
    if (want == u->useseas) return;
    u->useseas = want;
    if (n >= 4 * UNI_MIN_WINDOW) {
        window_values(u, w, want);
        reseed(u, w, n);
    }
}

/* Nearest-neighbour distance (RMS over segments) from the newest pattern
 * to every earlier pattern ending at least one pattern length before it. */
static double novelty(const ol_an_uni_t *u)
{
    uint32_t m = u->prm.nov_segments, h = u->prm.nov_history;
    double cur[UNI_MAX_SEGMENTS];
    uint32_t base = (u->seghead + h - m) % h, first = (u->seghead + h - u->segn) % h;
    for (uint32_t j = 0; j < m; j++) cur[j] = u->seg[(base + j) % h];
    double best = INFINITY;
    for (uint32_t i = 0; i + 2 * m <= u->segn; i++) {
        double d = 0;
        for (uint32_t j = 0; j < m && d < best; j++) {
            double x = u->seg[(first + i + j) % h] - cur[j];
            d += x * x;
        }
        if (d < best) best = d;
    }
    return sqrt(best / m);
}

static void ring_push(ol_an_uni_t *u, double value, double seas)
{
    uint32_t h = u->rhead;
    if (u->rn == u->prm.window && !isnan(u->sring[h])) u->nseas--;
    u->ring[h] = value;
    u->sring[h] = isnan(seas) ? NAN : (float)fmax(fmin(seas, FLT_MAX), -FLT_MAX); /* load refuses infinities */
    if (!isnan(seas)) u->nseas++;
    u->rhead = (h + 1) % u->prm.window;
    if (u->rn < u->prm.window) u->rn++;
}

int ol_an_uni_update(ol_an_uni_t *u, int64_t t_ns, double value, ol_an_verdict_t *out,
                     ol_an_verdict_t parts[OL_AN_DET__COUNT])
{
    memset(out, 0, sizeof *out);
    if (parts) memset(parts, 0, OL_AN_DET__COUNT * sizeof *parts);
    if (u->steps > 0 && t_ns < u->last_t) return OL_AGAIN;
    u->last_t = t_ns;
    u->steps++;
    out->value = value;
    double seas = ol_an_season_update(&u->season, t_ns, isfinite(value) ? value : NAN);
    if (!isfinite(value)) return OL_OK;
    if (!(fabs(seas) < 3e38)) seas = NAN; /* kept as float */
    bool up_only = u->opt.kind == OL_AN_SIG_ERRORS || u->opt.kind == OL_AN_SIG_LATENCY;

    choose_model(u);
    bool resid = u->useseas && !isnan(seas);
    double base = resid ? seas : 0, x = value - base;
    double w[UNI_MAX_WINDOW];
    uint32_t n = window_values(u, w, resid);
    double feat[F__COUNT] = {0}, med = x, scale = 0;
    bool have = n >= UNI_MIN_WINDOW;
    if (have) {
        double mad;
        robust(u, w, n, &med, &mad);
        scale = scale_floor(mad, med + base);
        double z = (x - med) / scale;
        feat[F_SPIKE] = up_only ? fmax(z, 0) : fabs(z);
        uint32_t k = u->prm.shift_len - 1;
        if (n > k + UNI_MIN_WINDOW) {
            double m2, mad2, sum = x;
            robust(u, w, n - k, &m2, &mad2);
            for (uint32_t i = n - k; i < n; i++) sum += w[i];
            double zs = (sum / u->prm.shift_len - m2) / scale_floor(mad2, m2 + base);
            feat[F_SHIFT] = up_only ? fmax(zs, 0) : fabs(zs);
        }
        ol_an_verdict_t cv;
        ol_an_cusum_update(u->cusum, t_ns, z, &cv);
        feat[F_CUSUM] = up_only ? fmax(cv.value, 0) : fabs(cv.value);
    }

    u->segsum += value;
    bool closed = ++u->segk == u->prm.nov_seg_len;
    if (closed) {
        double mean = u->segsum / u->prm.nov_seg_len;
        u->seg[u->seghead] = (float)fmax(fmin(mean, 3e38), -3e38);
        u->seghead = (u->seghead + 1) % u->prm.nov_history;
        if (u->segn < u->prm.nov_history) u->segn++;
        u->segsum = 0;
        u->segk = 0;
        if (have && u->segn >= 3 * u->prm.nov_segments)
            u->novel = up_only && mean <= med + base ? 0 : novelty(u) / scale;
    }
    feat[F_NOVEL] = u->novel;

    double best_p = 1.0;
    int best_f = -1;
    if (have)
        for (int f = 0; f < F__COUNT; f++) {
            if (f == F_NOVEL && !closed) continue; /* a pattern is news once, when it closes */
            if (feat[f] < FEATURE_FLOOR) feat[f] = 0;
            double p = ol_an_calib_tail(&u->cal[f], feat[f]);
            if (u->cal[f].n >= UNI_MIN_CALIB && p < best_p) {
                best_p = p;
                best_f = f;
            }
            ol_an_calib_add(&u->cal[f], feat[f]);
            if (parts && u->cal[f].n > UNI_MIN_CALIB) {
                ol_an_verdict_t *pv = &parts[FEATURE_DET[f]];
                double ps = fmin(1.0, -log10(p) / SCORE_DECADES);
                if (ps > pv->score) *pv = (ol_an_verdict_t){ps, value, med + base, feat[f], t_ns, FEATURE_DET[f]};
            }
        }

    ring_push(u, value, seas);

    out->expected = med + base;
    out->deviation = scale > 0 ? (x - med) / scale : 0;
    if (!ol_an_uni_warm(u) || best_f < 0) return OL_OK;
    double score = fmin(1.0, -log10(best_p) / SCORE_DECADES);
    if (u->hold > 0) u->hold--;
    /* while an anomaly is open the rest are held down; only an anomaly that
     * opened marginally gives way to a point a hundred times rarer (the
     * features of one event, a spike then the pattern holding it, must not
     * open two) */
    bool marginal = u->hold_p > u->prm.fire_p * 1e-3;
    bool fires = best_p <= u->prm.fire_p && (u->hold == 0 || (marginal && best_p <= u->hold_p * 1e-2));
    if (fires) {
        u->hold = u->prm.hold;
        u->hold_p = best_p;
        u->onset_ns = t_ns;
    } else if (u->hold > 0) {
        score *= u->prm.hold_factor;
    }
    out->score = score;
    out->since_ns = u->hold ? u->onset_ns : t_ns;
    out->det = FEATURE_DET[best_f];
    if (best_f == F_NOVEL) out->deviation = feat[F_NOVEL];
    return OL_OK;
}

/* A nested detector's own sealed blob: u32 length, then the bytes
 * (blob_begin writes the length's place, blob_end fills it in). */
static size_t blob_begin(ol_buf_t *out)
{
    ol_an_wr_u32(out, 0);
    return out->len;
}

static void blob_end(ol_buf_t *out, size_t start)
{
    if (!out->err) ol_store_le32(out->data + start - 4, (uint32_t)(out->len - start));
}

static ol_slice_t rd_blob(ol_an_rd_t *r)
{
    uint32_t n = ol_an_rd_count(r, 1u << 20, 1);
    if (r->rc != OL_OK) return ol_slice(NULL, 0);
    ol_slice_t s = ol_slice(r->p, n);
    r->p += n;
    r->left -= n;
    return s;
}

#define UNI_MAGIC "OUNI"
#define UNI_VERSION 2

int ol_an_uni_save(const ol_an_uni_t *u, ol_buf_t *out)
{
    const ol_an_uni_params_t *p = &u->prm;
    ol_an_wr_header(out, UNI_MAGIC, UNI_VERSION);
    ol_an_wr_u8(out, u->opt.kind);
    ol_an_wr_i64(out, u->opt.step_ns);
    ol_an_wr_u32(out, u->opt.warmup);
    uint32_t u32s[] = {p->window,      p->shift_len, p->calib, p->nov_segments,
                       p->nov_seg_len, p->nov_history, p->hold, p->season};
    for (size_t i = 0; i < OL_ARRAY_LEN(u32s); i++) ol_an_wr_u32(out, u32s[i]);
    ol_an_wr_f64(out, p->fire_p);
    ol_an_wr_f64(out, p->hold_factor);
    ol_an_wr_f64(out, p->cusum_k);
    ol_an_wr_f64(out, p->cusum_h);
    ol_an_wr_u64(out, u->steps);
    ol_an_wr_i64(out, u->last_t);
    uint32_t start = u->rn < p->window ? 0 : u->rhead;
    ol_an_wr_u32(out, u->rn);
    for (uint32_t i = 0; i < u->rn; i++) ol_an_wr_f64(out, u->ring[(start + i) % p->window]);
    for (uint32_t i = 0; i < u->rn; i++) ol_an_wr_f32s(out, &u->sring[(start + i) % p->window], 1);
    ol_an_wr_u8(out, u->useseas);
    ol_an_wr_f64(out, u->seas_lr);
    ol_an_wr_u32(out, u->seas_checks);
    ol_an_season_save(&u->season, out);
    ol_an_wr_u32(out, u->segn);
    uint32_t first = (u->seghead + p->nov_history - u->segn) % p->nov_history;
    for (uint32_t i = 0; i < u->segn; i++) ol_an_wr_f32s(out, &u->seg[(first + i) % p->nov_history], 1);
    ol_an_wr_u32(out, u->segk);
    ol_an_wr_f64(out, u->segsum);
    ol_an_wr_f64(out, u->novel);
    size_t at = blob_begin(out);
    ol_an_cusum_save(u->cusum, out);
    blob_end(out, at);
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_save(&u->cal[f], out);
    ol_an_wr_u32(out, u->hold);
    ol_an_wr_f64(out, u->hold_p);
    ol_an_wr_i64(out, u->onset_ns);
    return out->err ? OL_NOMEM : OL_OK;
}

int ol_an_uni_load(ol_slice_t blob, ol_an_uni_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd(blob);
    ol_an_rd_header(&r, UNI_MAGIC, UNI_VERSION);
    ol_an_uni_options_t o = {0};
    ol_an_uni_params_t p;
    o.kind = ol_an_rd_u8(&r);
    o.step_ns = ol_an_rd_i64(&r);
    o.warmup = ol_an_rd_u32(&r);
    uint32_t *u32s[] = {&p.window,      &p.shift_len,   &p.calib, &p.nov_segments,
                        &p.nov_seg_len, &p.nov_history, &p.hold,  &p.season};
    for (size_t i = 0; i < OL_ARRAY_LEN(u32s); i++) *u32s[i] = ol_an_rd_u32(&r);
    p.fire_p = ol_an_rd_f64(&r);
    p.hold_factor = ol_an_rd_f64(&r);
    p.cusum_k = ol_an_rd_f64(&r);
    p.cusum_h = ol_an_rd_f64(&r);
    if (r.rc != OL_OK || !params_ok(&p) || o.kind > OL_AN_SIG_LATENCY || o.step_ns < 0) return OL_CORRUPT;
    ol_an_uni_t *u = uni_new(&o, &p);
    if (!u) return OL_NOMEM;
    u->steps = ol_an_rd_u64(&r);
    u->last_t = ol_an_rd_i64(&r);
    u->rn = ol_an_rd_count(&r, p.window, 12);
    ol_an_rd_f64s(&r, u->ring, u->rn);
    ol_an_rd_f32s(&r, u->sring, u->rn);
    u->rhead = u->rn % p.window;
    u->useseas = ol_an_rd_u8(&r);
    u->seas_lr = ol_an_rd_f64(&r);
    u->seas_checks = ol_an_rd_u32(&r);
    ol_an_season_load(&u->season, &r);
    u->segn = ol_an_rd_count(&r, p.nov_history, 4);
    ol_an_rd_f32s(&r, u->seg, u->segn);
    u->seghead = u->segn % p.nov_history;
    u->segk = ol_an_rd_u32(&r);
    u->segsum = ol_an_rd_f64(&r);
    u->novel = ol_an_rd_f64(&r);
    ol_slice_t cb = rd_blob(&r);
    if (r.rc == OL_OK) {
        ol_an_cusum_destroy(u->cusum);
        u->cusum = NULL;
        int crc = ol_an_cusum_load(cb, &u->cusum);
        if (crc != OL_OK) r.rc = crc == OL_NOMEM ? OL_NOMEM : OL_CORRUPT;
        if (!u->cusum) ol_an_cusum_create(NULL, &u->cusum); /* so destroy stays simple */
    }
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_load(&u->cal[f], &r);
    u->hold = ol_an_rd_u32(&r);
    u->hold_p = ol_an_rd_f64(&r);
    u->onset_ns = ol_an_rd_i64(&r);
    bool ok = r.rc == OL_OK && r.left == 0 && u->segk < p.nov_seg_len && u->hold <= p.hold && isfinite(u->segsum) &&
              isfinite(u->novel) && u->novel >= 0 && u->useseas <= p.season &&
              isfinite(u->seas_lr);
    for (uint32_t i = 0; ok && i < u->rn; i++) {
        ok = isfinite(u->ring[i]) && !isinf(u->sring[i]);
        u->nseas += !isnan(u->sring[i]);
    }
    for (uint32_t i = 0; ok && i < u->segn; i++) ok = isfinite(u->seg[i]);
    if (!ok) {
        ol_an_uni_destroy(u);
        return OL_CORRUPT;
    }
    *out = u;
    return OL_OK;
}
