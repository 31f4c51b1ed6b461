/*
 * slo.c - burn-rate rules over rings of per-step event counts, and the
 * declaration parser (slo.h).
 *
 * Layout: every distinct window (each rule's long and short window, and
 * the SLO period) is a running sum of (bad, total) over the last K
 * buckets of one tier plus that tier's bucket being filled. A tier is a
 * ring of buckets of B steps; tiers are made at create, windows in
 * ascending order, each window joining the last tier when it fits in
 * OL_AN_SLO_RING_CAP of its buckets, else starting a tier with the
 * smallest B that fits. When a tier's bucket fills, it enters the ring
 * and every window of that tier drops the bucket that is now K + 1 back:
 * each step costs O(windows + tiers) whatever the windows' lengths.
 *
 * Counts are doubles: integer counts stay exact (below 2^53), so adding
 * and removing them leaves no drift; fractional counts drift by rounding
 * only, and sums are clamped at zero.
 *
 * Blob: header, options, then per tier its position, fill and ring, then
 * per rule its open flag and onset, the reported rule, the step count,
 * CRC-32C. The window sums are not
 * stored: load recomputes them from the rings, so they cannot disagree.
 */
#include "analyze/slo.h"

#include "core/alloc.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SLO_MAGIC "SLOB"
#define SLO_VERSION 1u
#define SLO_MAX_WIN (2 * OL_AN_SLO_MAX_RULES + 1)
#define SLO_MAX_STEPS (1ull << 30)
#define NS_PER_MIN (60ll * 1000000000ll)
#define SLO_MAX_TOTAL 1e18 /* events in one step; more is a step without events */

typedef struct slo_tier {
    uint32_t b, size, pos, part_n;
    double part_bad, part_tot;
    double *bad, *tot; /* size buckets each */
} slo_tier_t;

typedef struct slo_win {
    uint64_t steps; /* the window asked for, in steps */
    uint32_t tier, k;
    double bad, tot;
} slo_win_t;

struct ol_an_slo {
    ol_an_slo_options_t o;
    uint32_t n_win, n_tier, period_win;
    slo_win_t win[SLO_MAX_WIN];
    slo_tier_t tier[SLO_MAX_WIN];
    uint8_t rule_long[OL_AN_SLO_MAX_RULES], rule_short[OL_AN_SLO_MAX_RULES];
    bool open[OL_AN_SLO_MAX_RULES], above[OL_AN_SLO_MAX_RULES];
    int64_t since[OL_AN_SLO_MAX_RULES];
    uint64_t steps; /* updates seen */
    int firing;
    double *mem;
    size_t mem_n; /* doubles */
};

static const ol_an_slo_rule_t default_rules[] = {
    {60 * NS_PER_MIN, 5 * NS_PER_MIN, 14.4, OL_AN_SLO_PAGE},
    {360 * NS_PER_MIN, 30 * NS_PER_MIN, 6, OL_AN_SLO_PAGE},
    {1440 * NS_PER_MIN, 120 * NS_PER_MIN, 3, OL_AN_SLO_TICKET},
    {4320 * NS_PER_MIN, 360 * NS_PER_MIN, 1, OL_AN_SLO_TICKET},
};

void ol_an_slo_destroy(ol_an_slo_t *s)
{
    if (!s) return;
    ol_free(OL_MEM_ANALYZE, s->mem, s->mem_n * sizeof(double));
    ol_free(OL_MEM_ANALYZE, s, sizeof *s);
}

static uint64_t to_steps(int64_t ns, int64_t step_ns)
{
    uint64_t q = (uint64_t)(ns / step_ns), r = (uint64_t)(ns % step_ns);
    q += 2 * r >= (uint64_t)step_ns;
    return q ? q : 1;
}

static int slo_resolve(const ol_an_slo_options_t *opt, ol_an_slo_options_t *o)
{
    *o = *opt;
    if (o->period_ns == 0) o->period_ns = 30 * 1440 * NS_PER_MIN;
    if (o->n_rules == 0) {
        o->n_rules = OL_ARRAY_LEN(default_rules);
        memcpy(o->rules, default_rules, sizeof default_rules);
    }
    if (!(o->target > 0 && o->target < 1) || o->step_ns <= 0 || o->period_ns < o->step_ns) return OL_ERR;
    if (o->n_rules > OL_AN_SLO_MAX_RULES) return OL_ERR;
    if ((uint64_t)(o->period_ns / o->step_ns) > SLO_MAX_STEPS) return OL_ERR;
    for (uint32_t i = 0; i < o->n_rules; i++) {
        const ol_an_slo_rule_t *r = &o->rules[i];
        if (r->short_ns <= 0 || r->long_ns < r->short_ns || !(r->factor > 0) || !isfinite(r->factor)) return OL_ERR;
        if (r->severity != OL_AN_SLO_PAGE && r->severity != OL_AN_SLO_TICKET) return OL_ERR;
        if ((uint64_t)(r->long_ns / o->step_ns) > SLO_MAX_STEPS) return OL_ERR;
    }
    return OL_OK;
}

static uint32_t add_window(ol_an_slo_t *s, uint64_t steps)
{
    for (uint32_t i = 0; i < s->n_win; i++)
        if (s->win[i].steps == steps) return i;
    s->win[s->n_win].steps = steps;
    return s->n_win++;
}

static int cmp_win(const void *a, const void *b)
{
    uint64_t x = ((const slo_win_t *)a)->steps, y = ((const slo_win_t *)b)->steps;
    return x < y ? -1 : x > y;
}

static uint32_t find_window(const ol_an_slo_t *s, uint64_t steps)
{
    for (uint32_t i = 0; i < s->n_win; i++)
        if (s->win[i].steps == steps) return i;
    return 0;
}

/* Builds windows, tiers and rings for resolved options. */
static int slo_alloc(const ol_an_slo_options_t *o, ol_an_slo_t **out)
{
    ol_an_slo_t *s = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *s);
    if (!s) return OL_NOMEM;
    s->o = *o;
    s->firing = -1;
    for (uint32_t i = 0; i < o->n_rules; i++) {
        add_window(s, to_steps(o->rules[i].long_ns, o->step_ns));
        add_window(s, to_steps(o->rules[i].short_ns, o->step_ns));
    }
    add_window(s, to_steps(o->period_ns, o->step_ns));
    qsort(s->win, s->n_win, sizeof s->win[0], cmp_win);
    for (uint32_t i = 0; i < o->n_rules; i++) {
        s->rule_long[i] = (uint8_t)find_window(s, to_steps(o->rules[i].long_ns, o->step_ns));
        s->rule_short[i] = (uint8_t)find_window(s, to_steps(o->rules[i].short_ns, o->step_ns));
    }
    s->period_win = find_window(s, to_steps(o->period_ns, o->step_ns));

    for (uint32_t i = 0; i < s->n_win; i++) {
        slo_win_t *w = &s->win[i];
        slo_tier_t *t = s->n_tier ? &s->tier[s->n_tier - 1] : NULL;
        if (!t || (w->steps + t->b - 1) / t->b > OL_AN_SLO_RING_CAP) {
            t = &s->tier[s->n_tier++];
            t->b = (uint32_t)((w->steps + OL_AN_SLO_RING_CAP - 1) / OL_AN_SLO_RING_CAP);
        }
        /* K whole buckets plus the filling one cover K*B .. K*B + B - 1 steps: centre that on the window */
        double k = floor(((double)w->steps - (t->b - 1) / 2.0) / t->b + 0.5);
        w->k = k < 1 ? 1 : (uint32_t)k;
        w->tier = (uint32_t)(t - s->tier);
        if (w->k > t->size) t->size = w->k;
    }
    for (uint32_t i = 0; i < s->n_tier; i++) s->mem_n += 2 * (size_t)s->tier[i].size;
    s->mem = ol_calloc(OL_MEM_ANALYZE, s->mem_n, sizeof(double));
    if (!s->mem) {
        ol_an_slo_destroy(s);
        return OL_NOMEM;
    }
    double *p = s->mem;
    for (uint32_t i = 0; i < s->n_tier; i++) {
        s->tier[i].bad = p;
        s->tier[i].tot = p + s->tier[i].size;
        p += 2 * (size_t)s->tier[i].size;
    }
    *out = s;
    return OL_OK;
}

int ol_an_slo_create(const ol_an_slo_options_t *opt, ol_an_slo_t **out)
{
    *out = NULL;
    ol_an_slo_options_t o;
    if (!opt || slo_resolve(opt, &o) != OL_OK) return OL_ERR;
    return slo_alloc(&o, out);
}

const ol_an_slo_options_t *ol_an_slo_options(const ol_an_slo_t *s) { return &s->o; }

int ol_an_slo_window_steps(const ol_an_slo_t *s, int64_t window_ns, uint64_t *min_steps, uint64_t *max_steps)
{
    uint64_t steps = to_steps(window_ns, s->o.step_ns);
    for (uint32_t i = 0; i < s->n_win; i++) {
        if (s->win[i].steps != steps) continue;
        uint32_t b = s->tier[s->win[i].tier].b;
        *min_steps = (uint64_t)s->win[i].k * b;
        *max_steps = *min_steps + b - 1;
        return OL_OK;
    }
    return OL_NOTFOUND;
}

static double burn(const ol_an_slo_t *s, uint32_t w)
{
    const slo_win_t *x = &s->win[w];
    return x->tot > 0 ? x->bad / x->tot / (1 - s->o.target) : 0;
}

int ol_an_slo_burn(const ol_an_slo_t *s, uint32_t i, double *long_burn, double *short_burn)
{
    if (i >= s->o.n_rules) return OL_ERR;
    *long_burn = burn(s, s->rule_long[i]);
    *short_burn = burn(s, s->rule_short[i]);
    return OL_OK;
}

double ol_an_slo_budget_remaining(const ol_an_slo_t *s)
{
    const slo_win_t *p = &s->win[s->period_win];
    return p->tot > 0 ? 1 - p->bad / ((1 - s->o.target) * p->tot) : 1;
}

int ol_an_slo_firing(const ol_an_slo_t *s) { return s->firing; }

bool ol_an_slo_rule_open(const ol_an_slo_t *s, uint32_t i) { return i < s->o.n_rules && s->open[i]; }

int ol_an_slo_update(ol_an_slo_t *s, int64_t t_ns, double good, double total, ol_an_verdict_t *out, int *rule)
{
    if (!(total > 0 && total <= SLO_MAX_TOTAL)) total = 0;
    if (!(good > 0)) good = 0;
    if (good > total) good = total;
    double bad = total - good;

    for (uint32_t i = 0; i < s->n_win; i++) s->win[i].bad += bad, s->win[i].tot += total;
    for (uint32_t ti = 0; ti < s->n_tier; ti++) {
        slo_tier_t *t = &s->tier[ti];
        t->part_bad += bad;
        t->part_tot += total;
        if (++t->part_n < t->b) continue;
        for (uint32_t i = 0; i < s->n_win; i++) {
            slo_win_t *w = &s->win[i];
            if (w->tier != ti) continue;
            uint32_t old = (t->pos + t->size - w->k) % t->size;
            w->bad -= t->bad[old];
            w->tot -= t->tot[old];
            if (w->bad < 0) w->bad = 0;
            if (w->tot < 0) w->tot = 0;
        }
        t->bad[t->pos] = t->part_bad;
        t->tot[t->pos] = t->part_tot;
        t->pos = t->pos + 1 == t->size ? 0 : t->pos + 1;
        t->part_bad = t->part_tot = 0;
        t->part_n = 0;
    }

    s->steps++;
    int best = -1;
    double best_burn = 0;
    for (uint32_t r = 0; r < s->o.n_rules; r++) {
        double f = s->o.rules[r].factor, lb = burn(s, s->rule_long[r]), sb = burn(s, s->rule_short[r]);
        if (s->steps < s->win[s->rule_short[r]].steps) sb = 0; /* not a full short window yet */
        if (sb > f) {
            if (!s->above[r]) s->above[r] = true, s->since[r] = t_ns;
        } else {
            s->above[r] = false;
        }
        s->open[r] = sb > f && (s->open[r] || lb > f);
        if (!s->open[r]) continue;
        if (best < 0 || s->o.rules[r].severity < s->o.rules[best].severity ||
            (s->o.rules[r].severity == s->o.rules[best].severity && lb > best_burn))
            best = (int)r, best_burn = lb;
    }
    s->firing = best;
    if (rule) *rule = best;
    if (out) {
        *out = (ol_an_verdict_t){.det = OL_AN_DET_SLO, .expected = 1};
        if (best >= 0) {
            out->score = s->o.rules[best].severity == OL_AN_SLO_PAGE ? 1 : 0.5;
            out->value = out->deviation = best_burn;
            out->since_ns = s->since[best];
        } else if (s->o.n_rules) {
            out->value = out->deviation = burn(s, s->rule_long[0]);
        }
    }
    return OL_OK;
}

/* ---- persistence ---- */

int ol_an_slo_save(const ol_an_slo_t *s, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, SLO_MAGIC, SLO_VERSION);
    ol_an_wr_f64(out, s->o.target);
    ol_an_wr_i64(out, s->o.step_ns);
    ol_an_wr_i64(out, s->o.period_ns);
    ol_an_wr_u32(out, s->o.n_rules);
    for (uint32_t i = 0; i < s->o.n_rules; i++) {
        ol_an_wr_i64(out, s->o.rules[i].long_ns);
        ol_an_wr_i64(out, s->o.rules[i].short_ns);
        ol_an_wr_f64(out, s->o.rules[i].factor);
        ol_an_wr_u8(out, s->o.rules[i].severity);
    }
    for (uint32_t i = 0; i < s->n_tier; i++) {
        const slo_tier_t *t = &s->tier[i];
        ol_an_wr_u32(out, t->pos);
        ol_an_wr_u32(out, t->part_n);
        ol_an_wr_f64(out, t->part_bad);
        ol_an_wr_f64(out, t->part_tot);
        ol_an_wr_f64s(out, t->bad, t->size);
        ol_an_wr_f64s(out, t->tot, t->size);
    }
    for (uint32_t i = 0; i < s->o.n_rules; i++) {
        ol_an_wr_u8(out, (uint8_t)(s->open[i] | s->above[i] << 1));
        ol_an_wr_i64(out, s->since[i]);
    }
    ol_an_wr_u32(out, (uint32_t)s->firing);
    ol_an_wr_u64(out, s->steps);
    ol_an_wr_seal(out, start);
    return out->err;
}

static bool count_ok(double bad, double tot) { return isfinite(tot) && tot >= 0 && bad >= 0 && bad <= tot; }

int ol_an_slo_load(ol_slice_t blob, ol_an_slo_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, SLO_MAGIC, SLO_VERSION);
    if (r.rc != OL_OK) return OL_CORRUPT;
    ol_an_slo_options_t o = {0};
    o.target = ol_an_rd_f64(&r);
    o.step_ns = ol_an_rd_i64(&r);
    o.period_ns = ol_an_rd_i64(&r);
    o.n_rules = ol_an_rd_count(&r, OL_AN_SLO_MAX_RULES, 25);
    for (uint32_t i = 0; i < o.n_rules; i++) {
        o.rules[i].long_ns = ol_an_rd_i64(&r);
        o.rules[i].short_ns = ol_an_rd_i64(&r);
        o.rules[i].factor = ol_an_rd_f64(&r);
        o.rules[i].severity = ol_an_rd_u8(&r);
    }
    ol_an_slo_options_t chk;
    if (r.rc != OL_OK || o.n_rules == 0 || o.period_ns == 0 || slo_resolve(&o, &chk) != OL_OK) return OL_CORRUPT;
    ol_an_slo_t *s;
    int rc = slo_alloc(&o, &s);
    if (rc != OL_OK) return rc;
    bool ok = true;
    for (uint32_t i = 0; i < s->n_tier; i++) {
        slo_tier_t *t = &s->tier[i];
        t->pos = ol_an_rd_u32(&r);
        t->part_n = ol_an_rd_u32(&r);
        t->part_bad = ol_an_rd_f64(&r);
        t->part_tot = ol_an_rd_f64(&r);
        ol_an_rd_f64s(&r, t->bad, t->size);
        ol_an_rd_f64s(&r, t->tot, t->size);
        /* a bucket holds b steps, the part part_n (one step of slack for rounding): window sums stay finite */
        ok = ok && r.rc == OL_OK && t->pos < t->size && t->part_n < t->b && count_ok(t->part_bad, t->part_tot) &&
             t->part_tot <= SLO_MAX_TOTAL * (t->part_n + 1.0);
        for (uint32_t j = 0; ok && j < t->size; j++)
            ok = count_ok(t->bad[j], t->tot[j]) && t->tot[j] <= SLO_MAX_TOTAL * (t->b + 1.0);
    }
    for (uint32_t i = 0; i < o.n_rules; i++) {
        uint8_t f = ol_an_rd_u8(&r);
        s->since[i] = ol_an_rd_i64(&r);
        ok = ok && f <= 3 && (f & 1) <= (f >> 1); /* open implies above */
        s->open[i] = f & 1;
        s->above[i] = f >> 1;
    }
    s->firing = (int32_t)ol_an_rd_u32(&r);
    s->steps = ol_an_rd_u64(&r);
    ok = ok && r.rc == OL_OK && r.left == 0 && s->firing >= -1 && s->firing < (int)o.n_rules &&
         (s->firing < 0 || s->open[s->firing]);
    for (uint32_t i = 0; ok && i < s->n_win; i++) {
        slo_win_t *w = &s->win[i];
        const slo_tier_t *t = &s->tier[w->tier];
        w->bad = t->part_bad;
        w->tot = t->part_tot;
        for (uint32_t j = 1; j <= w->k; j++) {
            uint32_t at = (t->pos + t->size - j) % t->size;
            w->bad += t->bad[at];
            w->tot += t->tot[at];
        }
    }
    if (!ok) {
        ol_an_slo_destroy(s);
        return OL_CORRUPT;
    }
    *out = s;
    return OL_OK;
}

/* ---- declarations ---- */

static int field_string(const ol_json_doc_t *d, uint32_t v, ol_arena_t *a, const char *field, char *dst,
                        ol_err_t *err)
{
    ol_slice_t s;
    if (d->toks[v].kind != OL_JSON_STRING) {
        ol_err_set(err, "%s: must be a string", field);
        return OL_CORRUPT;
    }
    if (ol_json_unescape(&d->toks[v], a, &s) != OL_OK) {
        ol_err_set(err, "%s: cannot decode the string", field);
        return OL_NOMEM;
    }
    if (s.len >= OL_AN_SLO_NAME_MAX) {
        ol_err_set(err, "%s: longer than %d bytes", field, OL_AN_SLO_NAME_MAX - 1);
        return OL_CORRUPT;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < 0x20 || s.ptr[i] == 0x7f) {
            ol_err_set(err, "%s: control characters are not allowed", field);
            return OL_CORRUPT;
        }
    }
    memcpy(dst, s.ptr, s.len);
    dst[s.len] = 0;
    return OL_OK;
}

static int field_number(const ol_json_doc_t *d, uint32_t v, const char *field, double *out, ol_err_t *err)
{
    const ol_json_tok_t *t = &d->toks[v];
    char tmp[64];
    if (t->kind != OL_JSON_NUMBER) {
        ol_err_set(err, "%s: must be a number", field);
        return OL_CORRUPT;
    }
    if (t->text.len >= sizeof tmp) {
        ol_err_set(err, "%s: number too long", field);
        return OL_CORRUPT;
    }
    memcpy(tmp, t->text.ptr, t->text.len);
    tmp[t->text.len] = 0;
    *out = strtod(tmp, NULL);
    if (!isfinite(*out)) {
        ol_err_set(err, "%s: number out of range", field);
        return OL_CORRUPT;
    }
    return OL_OK;
}

static const char *const decl_fields[] = {"name",      "service",      "operation",  "kind",
                                          "objective", "threshold_ms", "period_days"};

int ol_an_slo_decl_from_json(const ol_json_doc_t *d, uint32_t obj, ol_arena_t *a, ol_an_slo_decl_t *out,
                             ol_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (obj >= d->n || d->toks[obj].kind != OL_JSON_OBJECT) {
        ol_err_set(err, "an SLO must be a JSON object");
        return OL_CORRUPT;
    }
    uint32_t val[OL_ARRAY_LEN(decl_fields)] = {0};
    uint32_t i = obj + 1;
    for (uint32_t m = 0; m < d->toks[obj].size; m++) {
        if (i + 1 >= d->n || d->toks[i].kind != OL_JSON_STRING) {
            ol_err_set(err, "malformed object");
            return OL_CORRUPT;
        }
        ol_slice_t key;
        if (ol_json_unescape(&d->toks[i], a, &key) != OL_OK) {
            ol_err_set(err, "cannot decode a field name");
            return OL_NOMEM;
        }
        size_t f = 0;
        while (f < OL_ARRAY_LEN(decl_fields) && !ol_slice_eq_cstr(key, decl_fields[f])) f++;
        if (f == OL_ARRAY_LEN(decl_fields)) {
            ol_err_set(err, "unknown field \"%.*s\" (known: name, service, operation, kind, objective, "
                            "threshold_ms, period_days)",
                       (int)OL_MIN(key.len, 64), (const char *)key.ptr);
            return OL_CORRUPT;
        }
        if (val[f]) {
            ol_err_set(err, "%s: given twice", decl_fields[f]);
            return OL_CORRUPT;
        }
        val[f] = i + 1;
        uint32_t next = d->toks[i + 1].next;
        if (next <= i + 1) {
            ol_err_set(err, "malformed object");
            return OL_CORRUPT;
        }
        i = next;
    }
    enum { F_NAME, F_SERVICE, F_OPERATION, F_KIND, F_OBJECTIVE, F_THRESHOLD, F_PERIOD };
    int rc;
    for (int f = F_NAME; f <= F_SERVICE; f++) {
        char *dst = f == F_NAME ? out->name : out->service;
        if (!val[f]) {
            ol_err_set(err, "%s: required", decl_fields[f]);
            return OL_CORRUPT;
        }
        if ((rc = field_string(d, val[f], a, decl_fields[f], dst, err)) != OL_OK) return rc;
        if (!dst[0]) {
            ol_err_set(err, "%s: must not be empty", decl_fields[f]);
            return OL_CORRUPT;
        }
    }
    if (val[F_OPERATION] && (rc = field_string(d, val[F_OPERATION], a, "operation", out->operation, err)) != OL_OK)
        return rc;

    char kind[OL_AN_SLO_NAME_MAX];
    if (!val[F_KIND]) {
        ol_err_set(err, "kind: required (\"availability\" or \"latency\")");
        return OL_CORRUPT;
    }
    if ((rc = field_string(d, val[F_KIND], a, "kind", kind, err)) != OL_OK) return rc;
    if (!strcmp(kind, "availability")) out->kind = OL_AN_SLO_AVAILABILITY;
    else if (!strcmp(kind, "latency")) out->kind = OL_AN_SLO_LATENCY;
    else {
        ol_err_set(err, "kind: must be \"availability\" or \"latency\", got \"%.64s\"", kind);
        return OL_CORRUPT;
    }

    if (!val[F_OBJECTIVE]) {
        ol_err_set(err, "objective: required (the fraction of good events, e.g. 0.999)");
        return OL_CORRUPT;
    }
    if ((rc = field_number(d, val[F_OBJECTIVE], "objective", &out->objective, err)) != OL_OK) return rc;
    if (!(out->objective > 0 && out->objective < 1)) {
        ol_err_set(err, "objective: must be a fraction between 0 and 1 exclusive (0.999 for 99.9%%), got %g",
                   out->objective);
        return OL_CORRUPT;
    }

    if (out->kind == OL_AN_SLO_LATENCY) {
        if (!val[F_THRESHOLD]) {
            ol_err_set(err, "threshold_ms: required for kind latency (requests faster than it are good)");
            return OL_CORRUPT;
        }
        if ((rc = field_number(d, val[F_THRESHOLD], "threshold_ms", &out->threshold_ms, err)) != OL_OK) return rc;
        if (!(out->threshold_ms > 0)) {
            ol_err_set(err, "threshold_ms: must be above 0, got %g", out->threshold_ms);
            return OL_CORRUPT;
        }
    } else if (val[F_THRESHOLD]) {
        ol_err_set(err, "threshold_ms: only for kind latency");
        return OL_CORRUPT;
    }

    out->period_days = 30;
    if (val[F_PERIOD]) {
        double p;
        if ((rc = field_number(d, val[F_PERIOD], "period_days", &p, err)) != OL_OK) return rc;
        if (!(p >= 1 && p <= 365) || p != floor(p)) {
            ol_err_set(err, "period_days: must be a whole number of days from 1 to 365, got %g", p);
            return OL_CORRUPT;
        }
        out->period_days = (uint32_t)p;
    }
    return OL_OK;
}

int ol_an_slo_decl_parse(ol_slice_t json, ol_an_slo_decl_t *out, ol_err_t *err)
{
    ol_arena_t *a = ol_arena_create(4096, 1 << 20);
    if (!a) {
        ol_err_set(err, "out of memory");
        return OL_NOMEM;
    }
    ol_json_doc_t doc;
    int rc = ol_json_parse(json, a, &doc, err);
    if (rc == OL_OK) rc = ol_an_slo_decl_from_json(&doc, 0, a, out, err);
    else if (rc != OL_NOMEM) rc = OL_CORRUPT;
    ol_arena_destroy(a);
    return rc;
}

void ol_an_slo_options_from_decl(const ol_an_slo_decl_t *d, int64_t step_ns, ol_an_slo_options_t *out)
{
    memset(out, 0, sizeof *out);
    out->target = d->objective;
    out->step_ns = step_ns;
    out->period_ns = (int64_t)d->period_days * 1440 * NS_PER_MIN;
}
