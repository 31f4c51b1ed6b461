/*
 * season.c - the daily and weekly profile (season.h).
 *
 * A slot is closed when the first point of another slot arrives: its
 * buffered points reduce to one day value, whose residual against the
 * slot's profile (as it stood before) is noted for the weekly cells, and
 * which then enters the slot's ring of 7. The residuals of a day are
 * folded into the weekly cells when a later day's first slot closes.
 */
#include "analyze/season.h"

#include <float.h>
#include <math.h>

#define DAY_NS 86400000000000LL
#define HOUR_NS 3600000000000LL
#define TRUST_DAYS 3
#define TRUST_WEEKS 2

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* 1970-01-01 was a Thursday: weekday 0 = Monday. */
static uint32_t weekday(int64_t day) { return (uint32_t)(((day + 3) % 7 + 7) % 7); }

static void configure(ol_an_season_t *s)
{
    s->slots = 0;
    s->stride = 1;
    if (s->step_ns <= 0 || s->step_ns > HOUR_NS) return;
    int64_t slots = DAY_NS / s->step_ns;
    if (slots > OL_AN_SEASON_SLOTS) slots = OL_AN_SEASON_SLOTS;
    s->slots = (uint32_t)slots;
    int64_t per = DAY_NS / slots / s->step_ns;
    s->stride = (uint32_t)((per + OL_AN_SEASON_BUF - 1) / OL_AN_SEASON_BUF);
    if (s->stride < 1) s->stride = 1;
}

void ol_an_season_init(ol_an_season_t *s, int64_t step_ns)
{
    memset(s, 0, sizeof *s);
    s->step_ns = step_ns > 0 ? step_ns : 0;
    s->key = -1;
    s->res_day = -1;
    for (uint32_t i = 0; i < OL_AN_SEASON_SLOTS; i++) s->res[i] = NAN;
    configure(s);
}

static double median_f(const float *v, uint32_t n)
{
    float t[OL_AN_SEASON_BUF];
    for (uint32_t i = 0; i < n; i++) {
        float x = v[i];
        uint32_t j = i;
        for (; j > 0 && t[j - 1] > x; j--) t[j] = t[j - 1];
        t[j] = x;
    }
    return n % 2 ? t[n / 2] : 0.5 * ((double)t[n / 2 - 1] + t[n / 2]);
}

static double median_d(const double *v, uint32_t n)
{
    float t[OL_AN_SEASON_BUF];
    for (uint32_t i = 0; i < n; i++) t[i] = (float)v[i];
    return median_f(t, n);
}

static double slot_level(const ol_an_season_t *s, uint32_t slot)
{
    return s->cnt[slot] >= TRUST_DAYS ? median_f(s->val[slot], s->cnt[slot]) : NAN;
}

/* Rings hold floats: a finite double beyond their range is held at its
 * edge (a load refuses infinities), NaN stays NaN. */
static float season_f32(double v) { return isnan(v) ? NAN : (float)fmax(fmin(v, FLT_MAX), -FLT_MAX); }

static void push(float *ring, uint8_t *cnt, uint8_t *head, uint32_t cap, float v)
{
    ring[*head] = v;
    *head = (uint8_t)((*head + 1) % cap);
    if (*cnt < cap) (*cnt)++;
}

/* The finished day's residuals, hour by hour, into the weekly cells. */
static void fold_day(ol_an_season_t *s)
{
    if (s->res_day < 0) return;
    uint32_t wd = weekday(s->res_day);
    for (uint32_t h = 0; h < 24; h++) {
        float v[OL_AN_SEASON_BUF];
        uint32_t n = 0;
        for (uint32_t i = h * s->slots / 24; i < (h + 1) * s->slots / 24 && n < OL_AN_SEASON_BUF; i++)
            if (!isnan(s->res[i])) v[n++] = s->res[i];
        uint32_t c = wd * 24 + h;
        if (n) push(s->wk[c], &s->wcnt[c], &s->whead[c], OL_AN_SEASON_WEEKS, season_f32(median_f(v, n)));
    }
    for (uint32_t i = 0; i < OL_AN_SEASON_SLOTS; i++) s->res[i] = NAN;
    s->res_day = -1;
}

static void close_slot(ol_an_season_t *s)
{
    if (s->key < 0 || s->nbuf == 0) return;
    int64_t day = s->key / s->slots;
    uint32_t slot = (uint32_t)(s->key % s->slots);
    double v = median_d(s->buf, s->nbuf);
    if (day != s->res_day) {
        fold_day(s);
        s->res_day = day;
    }
    double lvl = slot_level(s, slot);
    if (!isnan(lvl)) s->res[slot] = season_f32(v - lvl);
    push(s->val[slot], &s->cnt[slot], &s->head[slot], OL_AN_SEASON_DAYS, season_f32(v));
}

static void learn_step(ol_an_season_t *s, int64_t t_ns)
{
    if (s->have_last && t_ns > s->last_t) {
        uint64_t d = (uint64_t)t_ns - (uint64_t)s->last_t; /* no signed overflow on any pair */
        if (d <= (uint64_t)INT64_MAX) s->delta[s->ndelta++] = (int64_t)d;
    }
    s->have_last = 1;
    s->last_t = t_ns;
    if (s->ndelta < OL_AN_SEASON_LEARN) return;
    int64_t t[OL_AN_SEASON_LEARN];
    for (uint32_t i = 0; i < OL_AN_SEASON_LEARN; i++) {
        int64_t x = s->delta[i];
        uint32_t j = i;
        for (; j > 0 && t[j - 1] > x; j--) t[j] = t[j - 1];
        t[j] = x;
    }
    s->step_ns = t[OL_AN_SEASON_LEARN / 2];
    s->ndelta = 0;
    configure(s);
}

double ol_an_season_update(ol_an_season_t *s, int64_t t_ns, double x)
{
    if (s->step_ns == 0) {
        learn_step(s, t_ns);
        return NAN;
    }
    if (s->slots == 0) return NAN;
    int64_t day = floor_div(t_ns, DAY_NS), tod = t_ns - day * DAY_NS;
    uint32_t slot = (uint32_t)(tod * (int64_t)s->slots / DAY_NS);
    int64_t key = day * s->slots + slot;
    if (key != s->key) {
        close_slot(s);
        s->key = key;
        s->seen = s->nbuf = 0;
    }

    double e = slot_level(s, slot);
    int64_t slot_ns = DAY_NS / s->slots;
    if (!isnan(e) && slot_ns >= 4 * s->step_ns) {
        /* a day value stands for its slot's middle: interpolate towards
         * the neighbour on this side */
        double pos = (double)(tod - (int64_t)slot * DAY_NS / s->slots) / (double)slot_ns - 0.5;
        uint32_t nb = pos < 0 ? (slot + s->slots - 1) % s->slots : (slot + 1) % s->slots;
        double en = slot_level(s, nb);
        if (!isnan(en)) e += fabs(pos) * (en - e);
    }
    uint32_t c = weekday(day) * 24 + (uint32_t)(tod / HOUR_NS);
    if (!isnan(e) && s->wcnt[c] >= TRUST_WEEKS) e += median_f(s->wk[c], s->wcnt[c]);

    if (isfinite(x) && s->seen++ % s->stride == 0 && s->nbuf < OL_AN_SEASON_BUF) s->buf[s->nbuf++] = x;
    return e;
}

uint32_t ol_an_season_days(const ol_an_season_t *s)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < s->slots; i++)
        if (s->cnt[i] > m) m = s->cnt[i];
    return m;
}

/* Rings are written oldest first, so a loaded ring starts at head 0. */
static void wr_ring(ol_buf_t *b, const float *ring, uint8_t cnt, uint8_t head, uint32_t cap)
{
    ol_an_wr_u8(b, cnt);
    uint32_t start = cnt < cap ? 0 : head;
    for (uint32_t i = 0; i < cnt; i++) ol_an_wr_f32s(b, &ring[(start + i) % cap], 1);
}

static void rd_ring(ol_an_rd_t *r, float *ring, uint8_t *cnt, uint8_t *head, uint32_t cap)
{
    uint8_t n = ol_an_rd_u8(r);
    if (n > cap) r->rc = OL_CORRUPT;
    if (r->rc != OL_OK) return;
    ol_an_rd_f32s(r, ring, n);
    for (uint32_t i = 0; i < n && r->rc == OL_OK; i++)
        if (!isfinite(ring[i])) r->rc = OL_CORRUPT;
    *cnt = n;
    *head = (uint8_t)(n % cap);
}

void ol_an_season_save(const ol_an_season_t *s, ol_buf_t *b)
{
    ol_an_wr_i64(b, s->step_ns);
    ol_an_wr_u8(b, s->have_last);
    ol_an_wr_i64(b, s->last_t);
    ol_an_wr_u32(b, s->ndelta);
    for (uint32_t i = 0; i < s->ndelta; i++) ol_an_wr_i64(b, s->delta[i]);
    ol_an_wr_i64(b, s->key);
    ol_an_wr_u32(b, s->seen);
    ol_an_wr_u32(b, s->nbuf);
    ol_an_wr_f64s(b, s->buf, s->nbuf);
    ol_an_wr_i64(b, s->res_day);
    ol_an_wr_f32s(b, s->res, s->slots);
    for (uint32_t i = 0; i < s->slots; i++)
        wr_ring(b, s->val[i], s->cnt[i], s->head[i], OL_AN_SEASON_DAYS);
    for (uint32_t i = 0; i < 7 * 24; i++) wr_ring(b, s->wk[i], s->wcnt[i], s->whead[i], OL_AN_SEASON_WEEKS);
}

void ol_an_season_load(ol_an_season_t *s, ol_an_rd_t *r)
{
    int64_t step = ol_an_rd_i64(r);
    ol_an_season_init(s, step);
    s->have_last = ol_an_rd_u8(r);
    s->last_t = ol_an_rd_i64(r);
    s->ndelta = ol_an_rd_u32(r);
    if (s->have_last > 1 || (s->ndelta > 0 && !s->have_last) || step < 0 || s->ndelta >= OL_AN_SEASON_LEARN || (step > 0 && s->ndelta != 0)) r->rc = OL_CORRUPT;
    for (uint32_t i = 0; i < s->ndelta && r->rc == OL_OK; i++) {
        s->delta[i] = ol_an_rd_i64(r);
        if (s->delta[i] <= 0) r->rc = OL_CORRUPT;
    }
    s->key = ol_an_rd_i64(r);
    s->seen = ol_an_rd_u32(r);
    s->nbuf = ol_an_rd_u32(r);
    if (s->nbuf > OL_AN_SEASON_BUF || s->nbuf > s->seen || s->key < -1 || (s->slots == 0 && s->key != -1))
        r->rc = OL_CORRUPT;
    if (r->rc != OL_OK) return;
    ol_an_rd_f64s(r, s->buf, s->nbuf);
    for (uint32_t i = 0; i < s->nbuf && r->rc == OL_OK; i++)
        if (!isfinite(s->buf[i])) r->rc = OL_CORRUPT;
    s->res_day = ol_an_rd_i64(r);
    if (s->res_day < -1) r->rc = OL_CORRUPT;
    ol_an_rd_f32s(r, s->res, s->slots);
    for (uint32_t i = 0; i < s->slots && r->rc == OL_OK; i++)
        if (isinf(s->res[i])) r->rc = OL_CORRUPT;
    for (uint32_t i = 0; i < s->slots && r->rc == OL_OK; i++)
        rd_ring(r, s->val[i], &s->cnt[i], &s->head[i], OL_AN_SEASON_DAYS);
    for (uint32_t i = 0; i < 7 * 24 && r->rc == OL_OK; i++)
        rd_ring(r, s->wk[i], &s->wcnt[i], &s->whead[i], OL_AN_SEASON_WEEKS);
}
