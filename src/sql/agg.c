/*
 * agg.c - GROUP BY and aggregate functions (see plan.h).
 *
 * Groups live in an open-addressing hash table keyed by the group-key
 * values; each group owns one block of aggregate states. A batch is added
 * column-wise: the key vectors and every aggregate's argument vectors are
 * evaluated over the whole batch first, then each row finds its group and
 * updates the states in a loop specialised per aggregate kind.
 *
 * Exactness (docs/sql.md): count, sum, avg, min, max, argMin/argMax,
 * quantileExact are exact; uniq counts distinct 64-bit hashes of the values
 * (exact unless two values collide); quantile interpolates between the two
 * nearest of all values, as ClickHouse's `quantile` does while it holds every
 * value (up to 8,192 per group; beyond that ClickHouse samples and Olly
 * stays exact); any takes the first value met.
 *
 * Everything is allocated from the query arena, so the memory bound on the
 * query bounds the groups and the values kept for quantiles.
 */
#include <math.h>
#include <stdlib.h>

#include "core/par.h"
#include "core/util.h"
#include "sql/plan.h"

typedef union val {
    int64_t i;
    double f;
    ol_slice_t s;
} val_t;

typedef struct sum_state {
    union {
        int64_t i;
        double f;
    } v;
} sum_state_t;

typedef struct avg_state {
    __int128 isum;
    double fsum;
    uint64_t n;
} avg_state_t;

typedef struct pick_state {
    uint64_t has;
    val_t v;
    val_t k;
} pick_state_t;

typedef struct set_state {
    uint64_t *slots; /* hash + 1 (0 = empty) */
    uint32_t cap, n;
} set_state_t;

typedef struct list_state {
    void *data; /* int64_t or double */
    uint32_t n, cap;
    uint32_t sorted; /* data is in order (a second reader need not sort) */
} list_state_t;

struct ol_sql_groups {
    const ol_sql_plan_t *p;
    ol_sql_ctx_t *qcx;
    uint32_t n, cap;        /* groups */
    uint32_t *table;        /* group index + 1, 0 = empty */
    uint32_t table_cap;     /* power of two */
    uint64_t *hashes;       /* per group */
    val_t **keys;           /* per key column: per group */
    uint8_t *states;        /* cap * state_bytes */
    uint32_t state_bytes;
    uint32_t *state_off;
    /* per-batch scratch */
    uint32_t *row_group;
    uint32_t scratch_rows;
};

static uint32_t state_size(const ol_sql_agg_t *a)
{
    switch (a->kind) {
    case OL_SQL_AGG_COUNT: return 8;
    case OL_SQL_AGG_SUM: return sizeof(sum_state_t);
    case OL_SQL_AGG_AVG: return sizeof(avg_state_t);
    case OL_SQL_AGG_UNIQ: return sizeof(set_state_t);
    case OL_SQL_AGG_QUANTILE:
    case OL_SQL_AGG_QUANTILE_EXACT: return sizeof(list_state_t);
    default: return sizeof(pick_state_t);
    }
}

static int grow_groups(ol_sql_groups_t *g)
{
    uint32_t ncap = g->cap ? g->cap * 2 : 64;
    ol_arena_t *a = g->qcx->arena;
    uint64_t *h = ol_arena_alloc(a, (size_t)ncap * sizeof *h);
    uint8_t *st = ol_arena_alloc(a, (size_t)ncap * (g->state_bytes ? g->state_bytes : 8));
    if (!h || !st) return OL_NOMEM;
    if (g->n) {
        memcpy(h, g->hashes, (size_t)g->n * sizeof *h);
        memcpy(st, g->states, (size_t)g->n * g->state_bytes);
    }
    g->hashes = h;
    g->states = st;
    for (uint32_t k = 0; k < g->p->n_group; k++) {
        val_t *v = ol_arena_alloc(a, (size_t)ncap * sizeof *v);
        if (!v) return OL_NOMEM;
        if (g->n) memcpy(v, g->keys[k], (size_t)g->n * sizeof *v);
        g->keys[k] = v;
    }
    g->cap = ncap;
    /* rehash when the table is more than half full */
    if ((uint64_t)ncap * 2 > g->table_cap) {
        uint32_t tcap = g->table_cap ? g->table_cap : 128;
        while (tcap < (uint64_t)ncap * 2) tcap *= 2;
        uint32_t *t = ol_arena_calloc(a, (size_t)tcap * sizeof *t);
        if (!t) return OL_NOMEM;
        for (uint32_t i = 0; i < g->n; i++) {
            uint32_t s = (uint32_t)g->hashes[i] & (tcap - 1);
            while (t[s]) s = (s + 1) & (tcap - 1);
            t[s] = i + 1;
        }
        g->table = t;
        g->table_cap = tcap;
    }
    return OL_OK;
}

static void init_states(ol_sql_groups_t *g, uint32_t gi)
{
    memset(g->states + (size_t)gi * g->state_bytes, 0, g->state_bytes);
}

int ol_sql_groups_create(ol_sql_ctx_t *qcx, const ol_sql_plan_t *p, ol_sql_groups_t **out)
{
    ol_sql_groups_t *g = ol_arena_calloc(qcx->arena, sizeof *g);
    if (!g) return OL_NOMEM;
    g->p = p;
    g->qcx = qcx;
    g->keys = ol_arena_calloc(qcx->arena, (p->n_group ? p->n_group : 1) * sizeof *g->keys);
    g->state_off = ol_arena_calloc(qcx->arena, (p->n_aggs ? p->n_aggs : 1) * sizeof *g->state_off);
    if (!g->keys || !g->state_off) return OL_NOMEM;
    uint32_t off = 0;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        if (p->aggs[i].values_of != i) { /* reads an earlier quantile's values (plan.h) */
            g->state_off[i] = g->state_off[p->aggs[i].values_of];
            continue;
        }
        g->state_off[i] = off;
        off += (state_size(&p->aggs[i]) + 15u) & ~15u;
    }
    g->state_bytes = off;
    int rc = grow_groups(g);
    if (rc != OL_OK) return rc;
    if (p->n_group == 0) { /* one group, even over no rows */
        g->n = 1;
        g->hashes[0] = 0;
        init_states(g, 0);
    }
    *out = g;
    return OL_OK;
}

void ol_sql_groups_destroy(ol_sql_groups_t *g) { (void)g; }

/* ---- values ---- */

static val_t vec_val(const ol_sql_vec_t *v, uint32_t r)
{
    val_t x;
    uint32_t k = ol_sql_row(v, r);
    switch (ol_sql_type_repr(v->type)) {
    case 'f': x.f = v->f[k]; break;
    case 's': x.s = v->s[k]; break;
    default: x.s.len = 0; x.i = v->i[k]; break;
    }
    return x;
}

static uint64_t val_hash(ol_sql_type_t t, val_t v)
{
    switch (ol_sql_type_repr(t)) {
    case 's': return ol_hash64(v.s.ptr, v.s.len, 0x51ED);
    case 'f': {
        double d = v.f == 0 ? 0.0 : v.f; /* -0.0 and 0.0 are one value */
        return ol_hash64(&d, sizeof d, 0xF1);
    }
    default: return ol_hash64(&v.i, sizeof v.i, 0x17);
    }
}

static int val_cmp(ol_sql_type_t t, val_t a, val_t b)
{
    switch (ol_sql_type_repr(t)) {
    case 's': {
        size_t n = OL_MIN(a.s.len, b.s.len);
        int c = n ? memcmp(a.s.ptr, b.s.ptr, n) : 0;
        return c ? c : (a.s.len < b.s.len ? -1 : a.s.len > b.s.len);
    }
    case 'f': return a.f < b.f ? -1 : a.f > b.f;
    default:
        if (ol_sql_type_is_int(t) && !ol_sql_type_is_signed(t) && t != OL_SQL_BOOL)
            return (uint64_t)a.i < (uint64_t)b.i ? -1 : (uint64_t)a.i > (uint64_t)b.i;
        return a.i < b.i ? -1 : a.i > b.i;
    }
}

static bool val_eq(ol_sql_type_t t, val_t a, val_t b)
{
    switch (ol_sql_type_repr(t)) {
    case 's': return ol_slice_eq(a.s, b.s);
    case 'f': return a.f == b.f || (isnan(a.f) && isnan(b.f));
    default: return a.i == b.i;
    }
}

static int val_keep(ol_sql_ctx_t *qcx, ol_sql_type_t t, val_t *v)
{
    if (ol_sql_type_repr(t) != 's' || v->s.len == 0) return OL_OK;
    void *p = ol_arena_memdup(qcx->arena, v->s.ptr, v->s.len);
    if (!p) return OL_NOMEM;
    v->s.ptr = p;
    return OL_OK;
}

static double val_double(ol_sql_type_t t, val_t v)
{
    if (t == OL_SQL_FLOAT64) return v.f;
    if (ol_sql_type_is_signed(t) || ol_sql_type_is_time(t)) return (double)v.i;
    return (double)(uint64_t)v.i;
}

/* ---- adding rows ---- */

static int set_add(ol_sql_ctx_t *qcx, set_state_t *s, uint64_t h)
{
    h = h ? h : 1;
    if ((uint64_t)(s->n + 1) * 2 > s->cap) {
        uint32_t ncap = s->cap ? s->cap * 2 : 16;
        uint64_t *ns = ol_arena_calloc(qcx->arena, (size_t)ncap * sizeof *ns);
        if (!ns) return OL_NOMEM;
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->slots[i]) continue;
            uint32_t j = (uint32_t)(s->slots[i] >> 7) & (ncap - 1);
            while (ns[j]) j = (j + 1) & (ncap - 1);
            ns[j] = s->slots[i];
        }
        s->slots = ns;
        s->cap = ncap;
    }
    uint32_t j = (uint32_t)(h >> 7) & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == h) return OL_OK;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = h;
    s->n++;
    return OL_OK;
}

/* The group of row r whose keys hash to h: found, or made. */
static int group_of(ol_sql_groups_t *g, const ol_sql_vec_t *kv, uint32_t r, uint64_t h, uint32_t *out)
{
    const ol_sql_plan_t *p = g->p;
    uint32_t s = (uint32_t)h & (g->table_cap - 1);
    for (;;) {
        uint32_t gi1 = g->table[s];
        if (!gi1) break;
        uint32_t gi = gi1 - 1;
        if (g->hashes[gi] == h) {
            bool eq = true;
            for (uint32_t k = 0; k < p->n_group && eq; k++) eq = val_eq(kv[k].type, g->keys[k][gi], vec_val(&kv[k], r));
            if (eq) {
                *out = gi;
                return OL_OK;
            }
        }
        s = (s + 1) & (g->table_cap - 1);
    }
    if (g->n == g->cap) {
        int rc = grow_groups(g);
        if (rc != OL_OK) return rc;
        s = (uint32_t)h & (g->table_cap - 1);
        while (g->table[s]) s = (s + 1) & (g->table_cap - 1);
    }
    uint32_t gi = g->n++;
    g->hashes[gi] = h;
    for (uint32_t k = 0; k < p->n_group; k++) {
        val_t v = vec_val(&kv[k], r);
        int rc = val_keep(g->qcx, kv[k].type, &v);
        if (rc != OL_OK) return rc;
        g->keys[k][gi] = v;
    }
    init_states(g, gi);
    g->table[s] = gi + 1;
    *out = gi;
    return OL_OK;
}

/* The hash of row r's keys: a single key's own hash, else a combination. */
static uint64_t row_hash(const ol_sql_vec_t *kv, uint32_t nk, uint32_t r)
{
    if (nk == 1) return val_hash(kv[0].type, vec_val(&kv[0], r));
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (uint32_t k = 0; k < nk; k++) h = (h ^ val_hash(kv[k].type, vec_val(&kv[k], r))) * 0x100000001B3ull;
    return h;
}

#define PTR_CACHE 64 /* a batch's distinct string keys, by address */

/* row_group[r] for every row of the frame. A batch's rows mostly repeat a
 * few keys, and the scan hands equal strings over as one slice (a service
 * name is its resource's, a span name its granule dictionary's): a single
 * String key is looked up by the slice's address first, any other key is
 * compared with the previous row's, and only a miss hashes the key. */
static int find_groups(ol_sql_groups_t *g, ol_sql_ctx_t *cx, const ol_sql_frame_t *f)
{
    const ol_sql_plan_t *p = g->p;
    uint32_t n = f->n, nk = p->n_group;
    if (nk == 0) {
        memset(g->row_group, 0, (size_t)n * sizeof *g->row_group);
        return OL_OK;
    }
    ol_sql_vec_t kv[64];
    if (nk > 64) return OL_LIMIT;
    for (uint32_t k = 0; k < nk; k++) {
        int rc = ol_sql_eval(cx, p->group[k], f, &kv[k]);
        if (rc != OL_OK) return rc;
    }
    if (nk == 1 && ol_sql_type_repr(kv[0].type) == 's' && !kv[0].is_const) {
        struct { const void *ptr; size_t len; uint32_t g1; } cache[PTR_CACHE];
        memset(cache, 0, sizeof cache);
        const ol_slice_t *sv = kv[0].s;
        for (uint32_t r = 0; r < n; r++) {
            uintptr_t a = (uintptr_t)sv[r].ptr;
            uint32_t c = (uint32_t)((a >> 3) ^ (a >> 11) ^ sv[r].len) & (PTR_CACHE - 1);
            if (cache[c].g1 && cache[c].ptr == sv[r].ptr && cache[c].len == sv[r].len) {
                g->row_group[r] = cache[c].g1 - 1;
                continue;
            }
            int rc = group_of(g, kv, r, row_hash(kv, 1, r), &g->row_group[r]);
            if (rc != OL_OK) return rc;
            if (sv[r].ptr) cache[c].ptr = sv[r].ptr, cache[c].len = sv[r].len, cache[c].g1 = g->row_group[r] + 1;
        }
        return OL_OK;
    }
    for (uint32_t r = 0; r < n; r++) {
        if (r) {
            bool same = true;
            for (uint32_t k = 0; k < nk && same; k++) same = val_eq(kv[k].type, vec_val(&kv[k], r - 1), vec_val(&kv[k], r));
            if (same) {
                g->row_group[r] = g->row_group[r - 1];
                continue;
            }
        }
        int rc = group_of(g, kv, r, row_hash(kv, nk, r), &g->row_group[r]);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

/* The rows an aggregate reads: every row (*sel NULL, *n = f->n) or those
 * passing its -If condition. */
static int agg_rows(ol_sql_ctx_t *cx, const ol_sql_agg_t *a, const ol_sql_frame_t *f, const uint32_t **sel, uint32_t *n)
{
    *sel = NULL;
    *n = f->n;
    if (!a->cond) return OL_OK;
    ol_sql_vec_t cv;
    int rc = ol_sql_eval(cx, a->cond, f, &cv);
    if (rc != OL_OK) return rc;
    if (cv.is_const) {
        if (!ol_sql_vec_true(&cv, 0)) *n = 0;
        return OL_OK;
    }
    uint32_t *s = ol_arena_alloc(cx->arena, (f->n ? f->n : 1) * sizeof *s), k = 0;
    if (!s) return OL_NOMEM;
    if (ol_sql_type_repr(cv.type) == 'i') {
        for (uint32_t r = 0; r < f->n; r++) {
            s[k] = r;
            k += cv.i[r] != 0;
        }
    } else {
        for (uint32_t r = 0; r < f->n; r++)
            if (ol_sql_vec_true(&cv, r)) s[k++] = r;
    }
    *sel = s;
    *n = k;
    return OL_OK;
}

/* The 8-byte values a quantile keeps of v's n rows: doubles for quantile of
 * a number, the integers' bits otherwise (times, quantileExact). */
static int quantile_values(ol_sql_ctx_t *cx, const ol_sql_agg_t *a, const ol_sql_vec_t *v, uint32_t n, const uint64_t **out)
{
    ol_sql_type_t t = a->arg_type;
    bool dbl = a->kind == OL_SQL_AGG_QUANTILE && !ol_sql_type_is_time(t);
    if (!v->is_const && (t == OL_SQL_FLOAT64 || (!dbl && ol_sql_type_repr(t) == 'i'))) {
        *out = t == OL_SQL_FLOAT64 ? (const uint64_t *)(const void *)v->f : (const uint64_t *)(const void *)v->i;
        return OL_OK;
    }
    uint64_t *o = ol_arena_alloc(cx->arena, (n ? n : 1) * sizeof *o);
    if (!o) return OL_NOMEM;
    if (dbl && !v->is_const && ol_sql_type_repr(t) == 'i') {
        double *d = (double *)(void *)o;
        if (ol_sql_type_is_signed(t))
            for (uint32_t r = 0; r < n; r++) d[r] = (double)v->i[r];
        else
            for (uint32_t r = 0; r < n; r++) d[r] = (double)(uint64_t)v->i[r];
        *out = o;
        return OL_OK;
    }
    for (uint32_t r = 0; r < n; r++) {
        val_t x = vec_val(v, r);
        if (dbl) {
            double d = val_double(t, x);
            memcpy(&o[r], &d, 8);
        } else {
            memcpy(&o[r], &x.i, 8); /* int64 bits, or the double for FLOAT64 */
        }
    }
    *out = o;
    return OL_OK;
}

static int list_grow(ol_sql_ctx_t *qcx, list_state_t *l)
{
    uint32_t ncap = l->cap ? l->cap * 2 : 8;
    if (ncap < l->cap) return OL_LIMIT;
    void *nd = ol_arena_alloc(qcx->arena, (size_t)ncap * 8);
    if (!nd) return OL_NOMEM;
    if (l->n) memcpy(nd, l->data, (size_t)l->n * 8);
    l->data = nd;
    l->cap = ncap;
    return OL_OK;
}

static int add_agg(ol_sql_groups_t *g, ol_sql_ctx_t *cx, const ol_sql_frame_t *f, uint32_t ai)
{
    const ol_sql_agg_t *a = &g->p->aggs[ai];
    if (a->values_of != ai) return OL_OK; /* its values are kept by an earlier quantile */
    const uint32_t *sel;
    uint32_t n;
    int rc = agg_rows(cx, a, f, &sel, &n);
    if (rc != OL_OK || n == 0) return rc;
    ol_sql_vec_t av[2];
    for (uint32_t i = 0; i < a->n_args; i++)
        if ((rc = ol_sql_eval(cx, a->args[i], f, &av[i])) != OL_OK) return rc;
    uint8_t *base = g->states + g->state_off[ai];
    size_t sb = g->state_bytes;
    const uint32_t *rg = g->row_group;
    if (a->kind == OL_SQL_AGG_COUNT) {
        if (sel)
            for (uint32_t j = 0; j < n; j++) (*(uint64_t *)(base + (size_t)rg[sel[j]] * sb))++;
        else
            for (uint32_t r = 0; r < n; r++) (*(uint64_t *)(base + (size_t)rg[r] * sb))++;
        return OL_OK;
    }
    if (a->kind == OL_SQL_AGG_QUANTILE || a->kind == OL_SQL_AGG_QUANTILE_EXACT) {
        const uint64_t *qv;
        if ((rc = quantile_values(cx, a, &av[0], f->n, &qv)) != OL_OK) return rc;
        for (uint32_t j = 0; j < n; j++) {
            uint32_t r = sel ? sel[j] : j;
            list_state_t *l = (list_state_t *)(base + (size_t)rg[r] * sb);
            if (l->n == l->cap && (rc = list_grow(g->qcx, l)) != OL_OK) return rc;
            ((uint64_t *)l->data)[l->n++] = qv[r];
        }
        return OL_OK;
    }
    ol_sql_type_t t = a->arg_type;
    char repr = ol_sql_type_repr(t);
    bool is_signed = ol_sql_type_is_signed(t) || ol_sql_type_is_time(t);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t r = sel ? sel[j] : j;
        uint8_t *st = base + (size_t)rg[r] * sb;
        switch (a->kind) {
        case OL_SQL_AGG_SUM: {
            sum_state_t *s = (sum_state_t *)st;
            val_t v = vec_val(&av[0], r);
            if (repr == 'f') s->v.f += v.f;
            else s->v.i = (int64_t)((uint64_t)s->v.i + (uint64_t)v.i);
            break;
        }
        case OL_SQL_AGG_AVG: {
            avg_state_t *s = (avg_state_t *)st;
            val_t v = vec_val(&av[0], r);
            if (repr == 'f') s->fsum += v.f;
            else if (is_signed) s->isum += v.i;
            else s->isum += (uint64_t)v.i;
            s->n++;
            break;
        }
        case OL_SQL_AGG_MIN:
        case OL_SQL_AGG_MAX:
        case OL_SQL_AGG_ANY:
        case OL_SQL_AGG_ANY_LAST: {
            pick_state_t *s = (pick_state_t *)st;
            val_t v = vec_val(&av[0], r);
            bool take = !s->has;
            if (!take) {
                if (a->kind == OL_SQL_AGG_ANY_LAST) take = true;
                else if (a->kind == OL_SQL_AGG_MIN) take = val_cmp(t, v, s->v) < 0;
                else if (a->kind == OL_SQL_AGG_MAX) take = val_cmp(t, v, s->v) > 0;
            }
            if (take) {
                if ((rc = val_keep(g->qcx, t, &v)) != OL_OK) return rc;
                s->v = v;
                s->has = 1;
            }
            break;
        }
        case OL_SQL_AGG_ARG_MIN:
        case OL_SQL_AGG_ARG_MAX: {
            pick_state_t *s = (pick_state_t *)st;
            val_t k = vec_val(&av[1], r);
            int c = s->has ? val_cmp(av[1].type, k, s->k) : 0;
            if (!s->has || (a->kind == OL_SQL_AGG_ARG_MIN ? c < 0 : c > 0)) {
                val_t v = vec_val(&av[0], r);
                rc = val_keep(g->qcx, t, &v);
                if (rc == OL_OK) rc = val_keep(g->qcx, av[1].type, &k);
                if (rc != OL_OK) return rc;
                s->v = v;
                s->k = k;
                s->has = 1;
            }
            break;
        }
        case OL_SQL_AGG_UNIQ:
            if ((rc = set_add(g->qcx, (set_state_t *)st, val_hash(t, vec_val(&av[0], r)))) != OL_OK) return rc;
            break;
        default: break; /* count and quantiles above */
        }
    }
    return OL_OK;
}

int ol_sql_groups_add(ol_sql_groups_t *g, ol_sql_ctx_t *cx, const ol_sql_frame_t *f)
{
    if (f->n == 0) return OL_OK;
    if (f->n > g->scratch_rows) {
        g->row_group = ol_arena_alloc(g->qcx->arena, (size_t)f->n * sizeof *g->row_group);
        if (!g->row_group) return OL_NOMEM;
        g->scratch_rows = f->n;
    }
    int rc = find_groups(g, cx, f);
    for (uint32_t i = 0; rc == OL_OK && i < g->p->n_aggs; i++) rc = add_agg(g, cx, f, i);
    return rc;
}

/* ---- results ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return x < y ? -1 : x > y;
}

/* ClickHouse's quantile over all values: linear interpolation between the
 * values around level * (n - 1). */
static double interpolate(const double *v, uint32_t n, double level)
{
    if (!n) return NAN;
    double idx = level * (double)(n - 1);
    if (idx < 0) idx = 0;
    if (idx > (double)(n - 1)) idx = (double)(n - 1);
    size_t left = (size_t)idx, right = left + 1;
    if (right == n) return v[left];
    return v[left] * ((double)right - idx) + v[right] * (idx - (double)left);
}

static void finish_quantile(const ol_sql_agg_t *a, list_state_t *l, ol_sql_type_t elem, double level, int64_t *oi,
                            double *of)
{
    ol_sql_type_t t = a->arg_type;
    if (a->kind == OL_SQL_AGG_QUANTILE) {
        double q;
        if (ol_sql_type_is_time(t)) {
            /* ClickHouse interpolates times as doubles too */
            if (!l->n) { *oi = 0; return; }
            const int64_t *iv = l->data;
            double idx = level * (double)(l->n - 1);
            size_t left = (size_t)idx, right = left + 1;
            if (right >= l->n) q = (double)iv[l->n - 1];
            else q = (double)iv[left] * ((double)right - idx) + (double)iv[right] * (idx - (double)left);
            *oi = (int64_t)q;
            return;
        }
        q = interpolate(l->data, l->n, level);
        *of = q;
        return;
    }
    /* quantileExact: the value at floor(level * n), the last for level 1 */
    if (!l->n) {
        if (elem == OL_SQL_FLOAT64) *of = NAN;
        else *oi = 0;
        return;
    }
    size_t k = level < 1 ? (size_t)(level * (double)l->n) : l->n - 1;
    if (k >= l->n) k = l->n - 1;
    if (t == OL_SQL_FLOAT64) *of = ((const double *)l->data)[k];
    else *oi = ((const int64_t *)l->data)[k];
}

/* One list to ready: its values, and the levels its readers ask for. */
typedef struct prep_item {
    list_state_t *l;
    const double *levels;
    uint32_t m;
} prep_item_t;

typedef struct prep_job {
    prep_item_t *items;
    size_t **ks; /* per item: scratch for 2 * m positions */
} prep_job_t;

static int prep_one(void *ud, size_t i)
{
    prep_job_t *j = ud;
    prep_item_t *it = &j->items[i];
    double *v = it->l->data;
    bool nan = false;
    for (uint32_t k = 0; k < it->l->n && !nan; k++) nan = isnan(v[k]);
    if (nan) {
        qsort(v, it->l->n, 8, cmp_f64);
        it->l->sorted = 1;
    } else {
        ol_sql_select_levels(v, it->l->n, it->levels, it->m, j->ks[i]);
    }
    return OL_OK;
}

static int cmp_prep_desc(const void *a, const void *b)
{
    uint32_t x = ((const prep_item_t *)a)->l->n, y = ((const prep_item_t *)b)->l->n;
    return x > y ? -1 : x < y;
}

#define PREP_PARALLEL_VALUES 65536 /* below this, threads cost more than they save */

/* Readies each list of doubles kept for quantile(): the order statistics
 * of every level its readers ask for are put in place
 * (ol_sql_select_levels), or, when it holds a NaN, the list is sorted with
 * NaNs last. Lists are independent: large ones are readied on every core,
 * the longest first. */
static int prepare_lists(ol_sql_groups_t *g, ol_sql_ctx_t *qcx)
{
    const ol_sql_plan_t *p = g->p;
    size_t n_items = 0, cap = 0;
    uint64_t total = 0;
    prep_item_t *items = NULL;
    for (uint32_t ai = 0; ai < p->n_aggs; ai++) {
        const ol_sql_agg_t *a = &p->aggs[ai];
        if (a->values_of != ai || a->kind != OL_SQL_AGG_QUANTILE || ol_sql_type_is_time(a->arg_type)) continue;
        uint32_t m = 0;
        for (uint32_t j = ai; j < p->n_aggs; j++)
            if (p->aggs[j].values_of == ai) m += p->aggs[j].n_levels;
        double *levels = ol_arena_alloc(qcx->arena, (size_t)m * sizeof *levels);
        if (!levels) return OL_NOMEM;
        m = 0;
        for (uint32_t j = ai; j < p->n_aggs; j++)
            if (p->aggs[j].values_of == ai)
                for (uint32_t q = 0; q < p->aggs[j].n_levels; q++) levels[m++] = p->aggs[j].levels[q];
        for (uint32_t gi = 0; gi < g->n; gi++) {
            list_state_t *l = (list_state_t *)(g->states + (size_t)gi * g->state_bytes + g->state_off[ai]);
            if (l->n < 2 || l->sorted) continue;
            if (n_items == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                prep_item_t *ni = ol_arena_alloc(qcx->arena, ncap * sizeof *ni);
                if (!ni) return OL_NOMEM;
                if (n_items) memcpy(ni, items, n_items * sizeof *ni);
                items = ni;
                cap = ncap;
            }
            items[n_items++] = (prep_item_t){l, levels, m};
            total += l->n;
        }
    }
    if (!n_items) return OL_OK;
    bool parallel = total >= PREP_PARALLEL_VALUES && n_items > 1;
    /* the longest first, so no thread is left with a long one at the end;
     * which thread takes which list changes no answer */
    if (parallel) qsort(items, n_items, sizeof *items, cmp_prep_desc);
    prep_job_t job = {items, ol_arena_alloc(qcx->arena, n_items * sizeof *job.ks)};
    if (!job.ks) return OL_NOMEM;
    for (size_t i = 0; i < n_items; i++)
        if (!(job.ks[i] = ol_arena_alloc(qcx->arena, 2 * (size_t)items[i].m * sizeof **job.ks))) return OL_NOMEM;
    if (!parallel) {
        for (size_t i = 0; i < n_items; i++) prep_one(&job, i);
        return OL_OK;
    }
    return ol_par_for(n_items, ol_par_cpus(), prep_one, &job);
}

int ol_sql_groups_finish(ol_sql_groups_t *g, ol_sql_ctx_t *qcx, ol_sql_frame_t *out)
{
    const ol_sql_plan_t *p = g->p;
    uint32_t n = g->n, ns = p->n_group + p->n_aggs;
    int prc = prepare_lists(g, qcx);
    if (prc != OL_OK) return prc;
    ol_sql_vec_t *slots = ol_arena_calloc(qcx->arena, (ns ? ns : 1) * sizeof *slots);
    if (!slots) return OL_NOMEM;
    for (uint32_t k = 0; k < p->n_group; k++) {
        ol_sql_vec_t *v = &slots[k];
        int rc = ol_sql_vec_alloc(qcx, v, p->group[k]->type, n);
        if (rc != OL_OK) return rc;
        for (uint32_t i = 0; i < n; i++) {
            val_t x = g->keys[k][i];
            switch (ol_sql_type_repr(v->type)) {
            case 'f': v->f[i] = x.f; break;
            case 's': v->s[i] = x.s; break;
            default: v->i[i] = x.i; break;
            }
        }
    }
    for (uint32_t ai = 0; ai < p->n_aggs; ai++) {
        const ol_sql_agg_t *a = &p->aggs[ai];
        ol_sql_vec_t *v = &slots[p->n_group + ai];
        int rc = ol_sql_vec_alloc(qcx, v, a->type, n);
        if (rc != OL_OK) return rc;
        ol_sql_vec_t *el = NULL;
        if (a->multi) {
            el = ol_arena_calloc(qcx->arena, sizeof *el);
            if (!el) return OL_NOMEM;
            rc = ol_sql_vec_alloc(qcx, el, ol_sql_type_elem(a->type), n * a->n_levels);
            if (rc != OL_OK) return rc;
            v->vals = el;
        }
        for (uint32_t gi = 0; gi < n; gi++) {
            uint8_t *st = g->states + (size_t)gi * g->state_bytes + g->state_off[ai];
            switch (a->kind) {
            case OL_SQL_AGG_COUNT: v->i[gi] = (int64_t)(*(uint64_t *)st); break;
            case OL_SQL_AGG_SUM: {
                sum_state_t *s = (sum_state_t *)st;
                if (a->type == OL_SQL_FLOAT64) v->f[gi] = s->v.f;
                else v->i[gi] = s->v.i;
                break;
            }
            case OL_SQL_AGG_AVG: {
                avg_state_t *s = (avg_state_t *)st;
                double sum = a->arg_type == OL_SQL_FLOAT64 ? s->fsum : (double)s->isum;
                v->f[gi] = s->n ? sum / (double)s->n : NAN;
                break;
            }
            case OL_SQL_AGG_UNIQ: v->i[gi] = ((set_state_t *)st)->n; break;
            case OL_SQL_AGG_QUANTILE:
            case OL_SQL_AGG_QUANTILE_EXACT: {
                list_state_t *l = (list_state_t *)st;
                bool selected = a->kind == OL_SQL_AGG_QUANTILE && !ol_sql_type_is_time(a->arg_type); /* prepare_lists */
                if (!selected && !l->sorted && l->n > 1) {
                    if (a->arg_type == OL_SQL_FLOAT64) qsort(l->data, l->n, 8, cmp_f64);
                    else if (ol_sql_type_is_signed(a->arg_type) || ol_sql_type_is_time(a->arg_type)) qsort(l->data, l->n, 8, cmp_i64);
                    else qsort(l->data, l->n, 8, cmp_u64);
                    l->sorted = 1;
                }
                ol_sql_type_t et = ol_sql_type_elem(a->type);
                if (a->multi) {
                    v->off[gi + 1] = v->off[gi] + a->n_levels;
                    for (uint32_t q = 0; q < a->n_levels; q++) {
                        uint32_t at = v->off[gi] + q;
                        int64_t oi = 0;
                        double of = 0;
                        finish_quantile(a, l, et, a->levels[q], &oi, &of);
                        if (et == OL_SQL_FLOAT64) el->f[at] = of;
                        else el->i[at] = oi;
                    }
                } else {
                    int64_t oi = 0;
                    double of = 0;
                    finish_quantile(a, l, a->type, a->levels[0], &oi, &of);
                    if (a->type == OL_SQL_FLOAT64) v->f[gi] = of;
                    else v->i[gi] = oi;
                }
                break;
            }
            default: { /* min, max, any, anyLast, argMin, argMax: the type's default when empty */
                pick_state_t *s = (pick_state_t *)st;
                switch (ol_sql_type_repr(a->type)) {
                case 'f': v->f[gi] = s->has ? s->v.f : 0; break;
                case 's': v->s[gi] = s->has ? s->v.s : OL_SLICE_NULL; break;
                default: v->i[gi] = s->has ? s->v.i : 0; break;
                }
                break;
            }
            }
        }
    }
    out->n = n;
    out->cols = NULL;
    out->keys = NULL;
    out->slots = slots;
    return OL_OK;
}
