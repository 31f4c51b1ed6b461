/*
 * uni.c - the single-signal detector (uni.h).
 *
 * Each step runs in three stages:
 *
 *   1. Features. A ring of the last `window` values gives a robust local
 *      level and scale (median, MAD). The point's own robust z catches
 *      spikes; the mean of the last `shift_len` points against the window
 *      before them catches level shifts; the distance from the newest
 *      pattern (nov_segments means of nov_seg_len steps) to its nearest
 *      earlier, non-overlapping pattern catches shapes never seen before
 *      (a left discord: a daily cycle that skips its peak, a flat line
 *      where there was noise).
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

#include <math.h>

#include "analyze/calib.h"
#include "core/alloc.h"
#include "sql/plan.h"

enum { F_SPIKE, F_SHIFT, F_NOVEL, F__COUNT };

static const uint8_t FEATURE_DET[F__COUNT] = {OL_AN_DET_ROBUST, OL_AN_DET_ROBUST, OL_AN_DET_NOVELTY};

#define UNI_MAX_WINDOW 4096
#define UNI_MAX_SEGMENTS 64
#define UNI_MIN_WINDOW 16 /* points before the robust features exist */
#define UNI_MIN_CALIB 32
#define FEATURE_FLOOR 0.1 /* features are in units of robust scale: rounding noise below this is not news */
#define SCORE_DECADES 6.0 /* score 1 = tail probability 1e-6 */  /* feature values before a feature may explain a verdict */

struct ol_an_uni {
    ol_an_uni_options_t opt;
    ol_an_uni_params_t prm;
    uint64_t steps;
    int64_t last_t;
    double *ring; /* last `window` values */
    uint32_t rn, rhead;
    double *seg; /* closed segment means, ring of nov_history */
    uint32_t segn, seghead, segk;
    double segsum;
    double novel; /* novelty of the newest closed pattern */
    ol_an_calib_t cal[F__COUNT];
    uint32_t hold;     /* steps left in the hold-down */
    double hold_p;     /* tail probability that fired */
    int64_t onset_ns;  /* when the open anomaly fired */
    double *scratch;   /* window-sized work area (not state) */
};

void ol_an_uni_params_default(ol_an_uni_params_t *p)
{
    *p = (ol_an_uni_params_t){
        .window = 256,
        .shift_len = 6,
        .calib = 2048,
        .nov_segments = 8,
        .nov_seg_len = 8,
        .nov_history = 2048,
        .fire_p = 1e-3,
        .hold = 100,
        .hold_factor = 0.5,
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
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(U32); i++)
        if (strcmp(name, U32[i].name) == 0) {
            if (!(v >= U32[i].lo && v <= U32[i].hi)) return OL_LIMIT;
            *(uint32_t *)((char *)p + U32[i].off) = (uint32_t)v;
            return OL_OK;
        }
    if (strcmp(name, "fire_p") == 0 || strcmp(name, "hold_factor") == 0) {
        if (!(v >= 0 && v <= 1)) return OL_LIMIT;
        *(strcmp(name, "fire_p") == 0 ? &p->fire_p : &p->hold_factor) = v;
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
           p->hold <= 100000 && p->hold_factor >= 0 && p->hold_factor <= 1;
}

static int uni_alloc(ol_an_uni_t *u)
{
    u->ring = ol_calloc(OL_MEM_ANALYZE, u->prm.window, sizeof(double));
    u->scratch = ol_calloc(OL_MEM_ANALYZE, u->prm.window, sizeof(double));
    u->seg = ol_calloc(OL_MEM_ANALYZE, u->prm.nov_history, sizeof(double));
    if (!u->ring || !u->scratch || !u->seg) return OL_NOMEM;
    for (int f = 0; f < F__COUNT; f++)
        if (ol_an_calib_init(&u->cal[f], u->prm.calib) != OL_OK) return OL_NOMEM;
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
    if (!params_ok(&prm) || o.kind > OL_AN_SIG_LATENCY) return OL_LIMIT;
    *out = uni_new(&o, &prm);
    return *out ? OL_OK : OL_NOMEM;
}

void ol_an_uni_destroy(ol_an_uni_t *u)
{
    if (!u) return;
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_free(&u->cal[f]);
    ol_free(OL_MEM_ANALYZE, u->ring, u->prm.window * sizeof(double));
    ol_free(OL_MEM_ANALYZE, u->scratch, u->prm.window * sizeof(double));
    ol_free(OL_MEM_ANALYZE, u->seg, u->prm.nov_history * sizeof(double));
    ol_free(OL_MEM_ANALYZE, u, sizeof *u);
}

bool ol_an_uni_warm(const ol_an_uni_t *u) { return u->steps >= u->opt.warmup; }
uint64_t ol_an_uni_steps(const ol_an_uni_t *u) { return u->steps; }

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

/* The last rn values oldest first into w. */
static uint32_t window_values(const ol_an_uni_t *u, double *w)
{
    uint32_t start = u->rn < u->prm.window ? 0 : u->rhead;
    for (uint32_t i = 0; i < u->rn; i++) w[i] = u->ring[(start + i) % u->prm.window];
    return u->rn;
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

int ol_an_uni_update(ol_an_uni_t *u, int64_t t_ns, double value, ol_an_verdict_t *out,
                     ol_an_verdict_t parts[OL_AN_DET__COUNT])
{
    memset(out, 0, sizeof *out);
    if (parts) memset(parts, 0, OL_AN_DET__COUNT * sizeof *parts);
    if (u->steps > 0 && t_ns < u->last_t) return OL_AGAIN;
    u->last_t = t_ns;
    u->steps++;
    out->value = value;
    if (!isfinite(value)) return OL_OK;
    bool up_only = u->opt.kind == OL_AN_SIG_ERRORS || u->opt.kind == OL_AN_SIG_LATENCY;

    double w[UNI_MAX_WINDOW];
    uint32_t n = window_values(u, w);
    double feat[F__COUNT] = {0}, med = value, scale = 0;
    bool have = n >= UNI_MIN_WINDOW;
    if (have) {
        double mad;
        robust(u, w, n, &med, &mad);
        scale = scale_floor(mad, med);
        double z = (value - med) / scale;
        feat[F_SPIKE] = up_only ? fmax(z, 0) : fabs(z);
        uint32_t k = u->prm.shift_len - 1;
        if (n > k + UNI_MIN_WINDOW) {
            double m2, mad2, sum = value;
            robust(u, w, n - k, &m2, &mad2);
            for (uint32_t i = n - k; i < n; i++) sum += w[i];
            double zs = (sum / u->prm.shift_len - m2) / scale_floor(mad2, m2);
            feat[F_SHIFT] = up_only ? fmax(zs, 0) : fabs(zs);
        }
    }

    u->segsum += value;
    if (++u->segk == u->prm.nov_seg_len) {
        double mean = u->segsum / u->prm.nov_seg_len;
        u->seg[u->seghead] = mean;
        u->seghead = (u->seghead + 1) % u->prm.nov_history;
        if (u->segn < u->prm.nov_history) u->segn++;
        u->segsum = 0;
        u->segk = 0;
        if (have && u->segn >= 3 * u->prm.nov_segments)
            u->novel = up_only && mean <= med ? 0 : novelty(u) / scale;
    }
    feat[F_NOVEL] = u->novel;

    double best_p = 1.0;
    int best_f = -1;
    if (have)
        for (int f = 0; f < F__COUNT; f++) {
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
                if (ps > pv->score) *pv = (ol_an_verdict_t){ps, value, med, feat[f], t_ns, FEATURE_DET[f]};
            }
        }

    u->ring[u->rhead] = value;
    u->rhead = (u->rhead + 1) % u->prm.window;
    if (u->rn < u->prm.window) u->rn++;

    out->expected = med;
    out->deviation = scale > 0 ? (value - med) / scale : 0;
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

#define UNI_MAGIC "OUNI"
#define UNI_VERSION 1

int ol_an_uni_save(const ol_an_uni_t *u, ol_buf_t *out)
{
    const ol_an_uni_params_t *p = &u->prm;
    ol_an_wr_header(out, UNI_MAGIC, UNI_VERSION);
    ol_an_wr_u8(out, u->opt.kind);
    ol_an_wr_i64(out, u->opt.step_ns);
    ol_an_wr_u32(out, u->opt.warmup);
    uint32_t u32s[] = {p->window, p->shift_len, p->calib, p->nov_segments, p->nov_seg_len, p->nov_history, p->hold};
    for (size_t i = 0; i < OL_ARRAY_LEN(u32s); i++) ol_an_wr_u32(out, u32s[i]);
    ol_an_wr_f64(out, p->fire_p);
    ol_an_wr_f64(out, p->hold_factor);
    ol_an_wr_u64(out, u->steps);
    ol_an_wr_i64(out, u->last_t);
    double w[UNI_MAX_WINDOW];
    uint32_t n = window_values(u, w);
    ol_an_wr_u32(out, n);
    ol_an_wr_f64s(out, w, n);
    ol_an_wr_u32(out, u->segn);
    uint32_t first = (u->seghead + p->nov_history - u->segn) % p->nov_history;
    for (uint32_t i = 0; i < u->segn; i++) ol_an_wr_f64(out, u->seg[(first + i) % p->nov_history]);
    ol_an_wr_u32(out, u->segk);
    ol_an_wr_f64(out, u->segsum);
    ol_an_wr_f64(out, u->novel);
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_save(&u->cal[f], out);
    ol_an_wr_u32(out, u->hold);
    ol_an_wr_f64(out, u->hold_p);
    ol_an_wr_i64(out, u->onset_ns);
    return out->err ? OL_NOMEM : OL_OK;
}

int ol_an_uni_load(ol_slice_t blob, ol_an_uni_t **out)
{
    ol_an_rd_t r = ol_an_rd(blob);
    ol_an_rd_header(&r, UNI_MAGIC, UNI_VERSION);
    ol_an_uni_options_t o = {0};
    ol_an_uni_params_t p;
    o.kind = ol_an_rd_u8(&r);
    o.step_ns = ol_an_rd_i64(&r);
    o.warmup = ol_an_rd_u32(&r);
    uint32_t *u32s[] = {&p.window, &p.shift_len, &p.calib, &p.nov_segments, &p.nov_seg_len, &p.nov_history, &p.hold};
    for (size_t i = 0; i < OL_ARRAY_LEN(u32s); i++) *u32s[i] = ol_an_rd_u32(&r);
    p.fire_p = ol_an_rd_f64(&r);
    p.hold_factor = ol_an_rd_f64(&r);
    if (r.rc != OL_OK || !params_ok(&p) || o.kind > OL_AN_SIG_LATENCY) return OL_CORRUPT;
    ol_an_uni_t *u = uni_new(&o, &p);
    if (!u) return OL_NOMEM;
    u->steps = ol_an_rd_u64(&r);
    u->last_t = ol_an_rd_i64(&r);
    u->rn = ol_an_rd_count(&r, p.window, 8);
    ol_an_rd_f64s(&r, u->ring, u->rn);
    u->rhead = u->rn % p.window;
    u->segn = ol_an_rd_count(&r, p.nov_history, 8);
    ol_an_rd_f64s(&r, u->seg, u->segn);
    u->seghead = u->segn % p.nov_history;
    u->segk = ol_an_rd_u32(&r);
    u->segsum = ol_an_rd_f64(&r);
    u->novel = ol_an_rd_f64(&r);
    for (int f = 0; f < F__COUNT; f++) ol_an_calib_load(&u->cal[f], &r);
    u->hold = ol_an_rd_u32(&r);
    u->hold_p = ol_an_rd_f64(&r);
    u->onset_ns = ol_an_rd_i64(&r);
    bool ok = r.rc == OL_OK && r.left == 0 && u->segk < p.nov_seg_len && u->hold <= p.hold && isfinite(u->segsum) &&
              isfinite(u->novel) && u->novel >= 0;
    for (uint32_t i = 0; ok && i < u->rn; i++) ok = isfinite(u->ring[i]);
    for (uint32_t i = 0; ok && i < u->segn; i++) ok = isfinite(u->seg[i]);
    if (!ok) {
        ol_an_uni_destroy(u);
        return OL_CORRUPT;
    }
    *out = u;
    return OL_OK;
}
