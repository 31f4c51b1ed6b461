/*
 * genai_query.c - ol_genai_usage: GenAI usage over a window, by model or by
 * service, from the open cells and the olly.genai.* points in the store.
 *
 * A bucket counts when its start lies in [start, end). The open cells are
 * read under mu, then the stored points (ol_store_scan_metric over
 * [start, end + resolution), since a point's TimeUnix is its bucket's end,
 * keeping points whose StartTimeUnix is in the window and whose scope is
 * "olly", so a client cannot forge usage by sending metrics of the same
 * names), all under emit_lock shared: no bucket moves from memory into the
 * store meanwhile, so each is counted once.
 *
 * Groups are keyed by (model or service, provider); names are copied into
 * an arena because the store's views end with each callback.
 */
#include <math.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/util.h"
#include "pipeline/genai_int.h"

#define OL_GENAI_Q_MAX_GROUPS 10000u

typedef struct ol_genai_group {
    ol_slice_t name, provider;
    uint64_t hash;
    uint64_t requests, errors, input_tokens, output_tokens;
    double cost;
    ol_sketch_t duration;
} ol_genai_group_t;

typedef struct ol_genai_q {
    ol_genai_t *g;
    int by;
    uint64_t start, end;
    ol_arena_t *arena;
    ol_genai_group_t *groups;
    size_t n, cap;
    uint32_t *slots; /* group index + 1 */
    size_t mask;
    int rc;
} ol_genai_q_t;

enum { OL_GENAI_F_REQUESTS = 0, OL_GENAI_F_ERRORS, OL_GENAI_F_TOKENS, OL_GENAI_F_COST, OL_GENAI_F_DURATION };

static const struct {
    const char *name;
    ol_metric_type_t type;
} ol_genai_q_metrics[] = {
    [OL_GENAI_F_REQUESTS] = {"olly.genai.requests", OL_METRIC_SUM},
    [OL_GENAI_F_ERRORS] = {"olly.genai.errors", OL_METRIC_SUM},
    [OL_GENAI_F_TOKENS] = {"olly.genai.tokens", OL_METRIC_SUM},
    [OL_GENAI_F_COST] = {"olly.genai.cost", OL_METRIC_SUM},
    [OL_GENAI_F_DURATION] = {"olly.genai.duration", OL_METRIC_EXP_HISTOGRAM},
};

static uint64_t ol_genai_q_hash(ol_slice_t name, ol_slice_t provider)
{
    return ol_hash64(provider.ptr, provider.len, ol_hash64(name.ptr, name.len, 0x7573616765ull));
}

static int ol_genai_q_rehash(ol_genai_q_t *q, size_t slots)
{
    uint32_t *v = ol_calloc(OL_GENAI_MEM, slots, sizeof *v);
    if (!v) return OL_NOMEM;
    if (q->slots) ol_free(OL_GENAI_MEM, q->slots, (q->mask + 1) * sizeof *q->slots);
    q->slots = v;
    q->mask = slots - 1;
    for (size_t k = 0; k < q->n; k++) {
        size_t i = (size_t)q->groups[k].hash & q->mask;
        while (q->slots[i]) i = (i + 1) & q->mask;
        q->slots[i] = (uint32_t)k + 1;
    }
    return OL_OK;
}

static ol_slice_t ol_genai_q_copy(ol_genai_q_t *q, ol_slice_t s)
{
    if (!s.len) return OL_SLICE_NULL;
    void *p = ol_arena_memdup(q->arena, s.ptr, s.len);
    return p ? ol_slice(p, s.len) : (ol_slice_t){NULL, SIZE_MAX};
}

/* The group of (name, provider), created if new; NULL on failure (q->rc). */
static ol_genai_group_t *ol_genai_q_group(ol_genai_q_t *q, ol_slice_t name, ol_slice_t provider)
{
    if (q->rc) return NULL;
    uint64_t h = ol_genai_q_hash(name, provider);
    size_t i = 0;
    if (q->slots) {
        for (i = (size_t)h & q->mask; q->slots[i]; i = (i + 1) & q->mask) {
            ol_genai_group_t *gr = &q->groups[q->slots[i] - 1];
            if (gr->hash == h && ol_slice_eq(gr->name, name) && ol_slice_eq(gr->provider, provider)) return gr;
        }
    }
    if (q->n >= OL_GENAI_Q_MAX_GROUPS) {
        q->rc = OL_LIMIT;
        return NULL;
    }
    ol_slice_t n = ol_genai_q_copy(q, name), p = ol_genai_q_copy(q, provider);
    if (n.len == SIZE_MAX || p.len == SIZE_MAX ||
        ol_grow_array(OL_GENAI_MEM, (void **)&q->groups, &q->cap, q->n + 1, sizeof *q->groups) != OL_OK) {
        q->rc = OL_NOMEM;
        return NULL;
    }
    ol_genai_group_t *gr = &q->groups[q->n++];
    memset(gr, 0, sizeof *gr);
    gr->name = n;
    gr->provider = p;
    gr->hash = h;
    ol_sketch_init(&gr->duration);
    if (!q->slots || q->n * 2 > q->mask + 1) {
        if (ol_genai_q_rehash(q, q->slots ? (q->mask + 1) * 2 : 64) != OL_OK) {
            q->rc = OL_NOMEM;
            return NULL;
        }
    } else {
        while (q->slots[i]) i = (i + 1) & q->mask;
        q->slots[i] = (uint32_t)q->n;
    }
    return gr;
}

static bool ol_genai_q_in(const ol_genai_q_t *q, uint64_t bucket_start)
{
    return bucket_start >= q->start && bucket_start < q->end;
}

/* ---- open cells ---- */

static void ol_genai_q_memory(ol_genai_q_t *q)
{
    ol_genai_t *g = q->g;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->n_cells && !q->rc; i++) {
        const ol_genai_cell_t *c = &g->cells[i];
        if (!c->used || !ol_genai_q_in(q, c->bucket * g->opt.resolution_ns)) continue;
        ol_slice_t name = ol_genai_cell_name(c, q->by ? OL_GENAI_K_SERVICE : OL_GENAI_K_MODEL);
        ol_genai_group_t *gr = ol_genai_q_group(q, name, ol_genai_cell_name(c, OL_GENAI_K_PROVIDER));
        if (!gr) break;
        gr->requests = ol_genai_add(gr->requests, c->requests);
        gr->errors = ol_genai_add(gr->errors, c->errors);
        gr->input_tokens = ol_genai_add(gr->input_tokens, c->input_tokens);
        gr->output_tokens = ol_genai_add(gr->output_tokens, c->output_tokens);
        gr->cost += (double)c->cost_pico / 1e12;
        if (ol_sketch_merge(&gr->duration, &c->duration) != OL_OK) q->rc = OL_NOMEM;
    }
    pthread_mutex_unlock(&g->mu);
}

/* ---- stored points ---- */

typedef struct ol_genai_q_attrs {
    ol_slice_t provider, model, token_type;
} ol_genai_q_attrs_t;

static int ol_genai_q_attr(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_genai_q_attrs_t *a = ud;
    ol_otlp_any_t v;
    ol_otlp_any_parse(any_value, &v);
    if (v.kind != 1) return OL_OK;
    if (ol_slice_eq_cstr(key, "gen_ai.provider.name")) a->provider = v.bytes;
    else if (ol_slice_eq_cstr(key, "gen_ai.request.model")) a->model = v.bytes;
    else if (ol_slice_eq_cstr(key, "gen_ai.token.type")) a->token_type = v.bytes;
    return OL_OK;
}

static uint64_t ol_genai_q_count(uint64_t bits, bool is_double)
{
    if (!is_double) return (int64_t)bits > 0 ? bits : 0;
    double d = ol_pb_as_double(bits);
    return d > 0 && d < 1.8e19 ? (uint64_t)llround(d) : 0;
}

static void ol_genai_q_point(ol_genai_q_t *q, int metric, ol_slice_t svc, ol_slice_t point)
{
    bool hist = metric == OL_GENAI_F_DURATION;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, point);
    uint64_t start = 0, bits = 0;
    bool has_start = false, has_value = false, is_double = false;
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type != OL_PB_I64) continue;
        if (f.number == 2) start = f.u64, has_start = true;
        else if (!hist && (f.number == 4 || f.number == 6)) bits = f.u64, has_value = true, is_double = f.number == 4;
    }
    if (!has_start || !ol_genai_q_in(q, start) || (!hist && !has_value)) return;
    ol_genai_q_attrs_t a = {OL_SLICE_NULL, OL_SLICE_NULL, OL_SLICE_NULL};
    if (ol_otlp_each_attribute(point, hist ? 1 : 7, ol_genai_q_attr, &a) != OL_OK) return;
    ol_slice_t name = q->by ? ol_slice(svc.ptr, OL_MIN(svc.len, (size_t)OL_GENAI_MAX_NAME)) : a.model;
    ol_genai_group_t *gr = ol_genai_q_group(q, name, a.provider);
    if (!gr) return;
    switch (metric) {
    case OL_GENAI_F_REQUESTS: gr->requests = ol_genai_add(gr->requests, ol_genai_q_count(bits, is_double)); break;
    case OL_GENAI_F_ERRORS: gr->errors = ol_genai_add(gr->errors, ol_genai_q_count(bits, is_double)); break;
    case OL_GENAI_F_TOKENS:
        if (ol_slice_eq_cstr(a.token_type, "input"))
            gr->input_tokens = ol_genai_add(gr->input_tokens, ol_genai_q_count(bits, is_double));
        else if (ol_slice_eq_cstr(a.token_type, "output"))
            gr->output_tokens = ol_genai_add(gr->output_tokens, ol_genai_q_count(bits, is_double));
        break;
    case OL_GENAI_F_COST: {
        double d = is_double ? ol_pb_as_double(bits) : (double)(int64_t)bits;
        if (isfinite(d) && d > 0) gr->cost += d;
        break;
    }
    default: {
        int rc = ol_sketch_decode(&gr->duration, point);
        if (rc == OL_NOMEM) q->rc = rc;
        break;
    }
    }
}

typedef struct {
    ol_genai_q_t *q;
    int metric;
} ol_genai_q_scan_t;

static int ol_genai_q_metric_cb(void *ud, const ol_otlp_metric_t *m)
{
    ol_genai_q_scan_t *sc = ud;
    ol_genai_q_t *q = sc->q;
    if (m->type != ol_genai_q_metrics[sc->metric].type || !m->origin || !ol_emit_is_ours(m->origin->scope))
        return OL_OK;
    ol_slice_t svc = ol_store_service_of(m->origin);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, m->data);
    while (!q->rc && ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) ol_genai_q_point(q, sc->metric, svc, f.bytes);
    return q->rc;
}

static int ol_genai_q_store(ol_genai_q_t *q, ol_err_t *err)
{
    uint64_t scan_end = q->end + q->g->opt.resolution_ns;
    if (scan_end < q->end) scan_end = UINT64_MAX;
    for (int i = 0; q->g->store && i < (int)OL_ARRAY_LEN(ol_genai_q_metrics) && !q->rc; i++) {
        ol_genai_q_scan_t sc = {q, i};
        int rc = ol_store_scan_metric(q->g->store, ol_slice_cstr(ol_genai_q_metrics[i].name), q->start, scan_end,
                                      ol_genai_q_metric_cb, &sc);
        if (rc == OL_NOTFOUND) continue;
        if (rc != OL_OK && !q->rc) {
            ol_err_set(err, "genai: reading %s: %s", ol_genai_q_metrics[i].name, ol_rc_str(rc));
            return rc;
        }
    }
    return q->rc;
}

/* ---- JSON ---- */

static int ol_genai_group_order(const void *a, const void *b)
{
    const ol_genai_group_t *x = a, *y = b;
    size_t n = OL_MIN(x->name.len, y->name.len);
    int c = n ? memcmp(x->name.ptr, y->name.ptr, n) : 0;
    if (c || x->name.len != y->name.len) return c ? c : (x->name.len < y->name.len ? -1 : 1);
    n = OL_MIN(x->provider.len, y->provider.len);
    c = n ? memcmp(x->provider.ptr, y->provider.ptr, n) : 0;
    if (c || x->provider.len != y->provider.len) return c ? c : (x->provider.len < y->provider.len ? -1 : 1);
    return 0;
}

static void ol_genai_json_figures(ol_buf_t *out, const ol_genai_group_t *gr)
{
    ol_buf_printf(out, "\"requests\":%llu,\"errors\":%llu,\"inputTokens\":%llu,\"outputTokens\":%llu,\"costUsd\":",
                  (unsigned long long)gr->requests, (unsigned long long)gr->errors,
                  (unsigned long long)gr->input_tokens, (unsigned long long)gr->output_tokens);
    ol_json_write_double(out, gr->cost);
    static const char *const keys[3] = {"p50Ms", "p95Ms", "p99Ms"};
    static const double qs[3] = {0.50, 0.95, 0.99};
    for (int k = 0; k < 3; k++) {
        ol_buf_printf(out, ",\"%s\":", keys[k]);
        if (gr->duration.count) ol_json_write_double(out, ol_sketch_quantile(&gr->duration, qs[k]));
        else ol_buf_append_cstr(out, "null");
    }
}

static int ol_genai_q_render(ol_genai_q_t *q, ol_buf_t *out)
{
    if (q->n) qsort(q->groups, q->n, sizeof *q->groups, ol_genai_group_order);
    ol_genai_group_t total;
    memset(&total, 0, sizeof total);
    ol_sketch_init(&total.duration);
    int rc = OL_OK;
    const char *by = q->by ? "service" : "model";
    ol_buf_printf(out, "{\"start\":%llu,\"end\":%llu,\"by\":\"%s\",\"groups\":[", (unsigned long long)q->start,
                  (unsigned long long)q->end, by);
    for (size_t i = 0; i < q->n; i++) {
        const ol_genai_group_t *gr = &q->groups[i];
        ol_buf_printf(out, "%s{\"%s\":", i ? "," : "", by);
        ol_json_write_string(out, gr->name);
        ol_buf_append_cstr(out, ",\"provider\":");
        ol_json_write_string(out, gr->provider);
        ol_buf_append_u8(out, ',');
        ol_genai_json_figures(out, gr);
        ol_buf_append_u8(out, '}');
        total.requests = ol_genai_add(total.requests, gr->requests);
        total.errors = ol_genai_add(total.errors, gr->errors);
        total.input_tokens = ol_genai_add(total.input_tokens, gr->input_tokens);
        total.output_tokens = ol_genai_add(total.output_tokens, gr->output_tokens);
        total.cost += gr->cost;
        if (ol_sketch_merge(&total.duration, &gr->duration) != OL_OK) rc = OL_NOMEM;
    }
    ol_buf_append_cstr(out, "],\"total\":{");
    ol_genai_json_figures(out, &total);
    ol_buf_append_cstr(out, "}}");
    ol_sketch_free(&total.duration);
    return rc != OL_OK ? rc : out->err;
}

int ol_genai_usage(ol_genai_t *g, uint64_t start_ns, uint64_t end_ns, int by, ol_buf_t *out, ol_err_t *err)
{
    err->msg[0] = 0;
    if (by != 0 && by != 1) {
        ol_err_set(err, "genai: by must be model or service");
        return OL_ERR;
    }
    if (end_ns <= start_ns) {
        ol_err_set(err, "genai: the window is empty (end must be after start)");
        return OL_ERR;
    }
    ol_genai_q_t q = {.g = g, .by = by, .start = start_ns, .end = end_ns};
    q.arena = ol_arena_create(1u << 12, 0);
    if (!q.arena) {
        ol_err_set(err, "genai: out of memory");
        return OL_NOMEM;
    }
    pthread_rwlock_rdlock(&g->emit_lock);
    ol_genai_q_memory(&q);
    int rc = q.rc ? q.rc : ol_genai_q_store(&q, err);
    pthread_rwlock_unlock(&g->emit_lock);
    if (rc == OL_OK) rc = ol_genai_q_render(&q, out);
    if (rc != OL_OK && !err->msg[0]) {
        if (rc == OL_LIMIT) ol_err_set(err, "genai: more than %u groups in the window", OL_GENAI_Q_MAX_GROUPS);
        else ol_err_set(err, "genai: %s", ol_rc_str(rc));
    }
    for (size_t i = 0; i < q.n; i++) ol_sketch_free(&q.groups[i].duration);
    ol_free(OL_GENAI_MEM, q.groups, q.cap * sizeof *q.groups);
    if (q.slots) ol_free(OL_GENAI_MEM, q.slots, (q.mask + 1) * sizeof *q.slots);
    ol_arena_destroy(q.arena);
    return rc;
}
