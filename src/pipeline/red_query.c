/*
 * red_query.c - the service map and the service page, read from the RED
 * series.
 *
 * A query sums the olly.red.* points whose bucket start (StartTimeUnix)
 * lies in [start, end): first the cells still open in memory (under mu),
 * then the points in the store (ol_store_scan_metric over
 * [start, end + resolution), since a bucket's TimeUnix is its end). It holds
 * emit_lock shared throughout, so no bucket moves from memory into the store
 * while it reads: each is counted once. Only points under the scope "olly"
 * count, so a client cannot forge RED figures by sending metrics with the
 * same names.
 *
 * Points are folded into groups keyed by what the answer shows: for the map,
 * a node per (name, type) and an edge per (caller, peer, peer type); for a
 * service, its entry operations as a whole, each operation, and its edges in
 * and out. Each group sums requests and errors and merges duration sketches;
 * the service page also keeps them per step. Output is sorted so answers are
 * stable: nodes and edges by name, operations by requests (most first).
 */
#include "pipeline/red_int.h"

#include <math.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/arena.h"

#define OL_RED_Q_MAX_STEPS 10000u
#define OL_RED_Q_TARGET_STEPS 300u
#define OL_RED_Q_MAX_OPERATIONS 500u

enum { OL_RED_G_NODE = 0, OL_RED_G_EDGE, OL_RED_G_SUMMARY, OL_RED_G_OP, OL_RED_G_UP, OL_RED_G_DOWN };
enum { OL_RED_F_REQUESTS = 0, OL_RED_F_ERRORS, OL_RED_F_DURATION };

typedef struct ol_red_group {
    uint8_t cls, kind, entry;
    ol_slice_t a, b;   /* NODE: name; EDGE: caller, peer; OP: name; UP: caller; DOWN: peer */
    uint32_t hash;
    bool present;      /* a node that has data of its own (a service's operations) */
    uint64_t requests, errors;
    ol_sketch_t duration;
    uint64_t *s_requests, *s_errors; /* per step (SUMMARY, OP) */
    ol_sketch_t *s_duration;
} ol_red_group_t;

typedef struct ol_red_q {
    ol_red_t *r;
    bool map;
    ol_slice_t service;
    uint64_t start, end, step;
    uint32_t n_steps;
    ol_arena_t *arena;
    ol_red_group_t *groups;
    size_t n, cap;
    ol_red_index_t ix;
    uint32_t n_ops;
    uint64_t ops_dropped;
    int rc; /* first error */
} ol_red_q_t;

typedef struct {
    const ol_red_q_t *q;
    uint8_t cls, kind, entry;
    ol_slice_t a, b;
} ol_red_gkey_t;

static bool ol_red_group_eq(const void *ud, uint32_t idx)
{
    const ol_red_gkey_t *k = ud;
    const ol_red_group_t *g = &k->q->groups[idx];
    return g->cls == k->cls && g->kind == k->kind && g->entry == k->entry && ol_slice_eq(g->a, k->a) &&
           ol_slice_eq(g->b, k->b);
}

static ol_red_group_t *ol_red_group(ol_red_q_t *q, int cls, int kind, bool entry, ol_slice_t a, ol_slice_t b)
{
    ol_red_gkey_t k = {q, (uint8_t)cls, (uint8_t)kind, entry, a, b};
    uint8_t tag[3] = {(uint8_t)cls, (uint8_t)kind, entry};
    uint64_t h = ol_red_hash(tag, sizeof tag, 5);
    h = ol_red_hash(a.ptr, a.len, h);
    h = ol_red_hash(b.ptr, b.len, h ^ 0x9e3779b97f4a7c15ull);
    uint32_t i = ol_red_index_find(&q->ix, (uint32_t)h, ol_red_group_eq, &k);
    if (i != OL_RED_NONE) return &q->groups[i];
    bool stepped = cls == OL_RED_G_SUMMARY || cls == OL_RED_G_OP;
    if (cls == OL_RED_G_OP) {
        if (q->n_ops >= OL_RED_Q_MAX_OPERATIONS) {
            q->ops_dropped++;
            return NULL;
        }
    }
    if (ol_grow_array(OL_MEM_PIPELINE, (void **)&q->groups, &q->cap, q->n + 1, sizeof *q->groups)) goto nomem;
    ol_red_group_t *g = &q->groups[q->n];
    memset(g, 0, sizeof *g);
    g->cls = (uint8_t)cls;
    g->kind = (uint8_t)kind;
    g->entry = entry;
    g->hash = (uint32_t)h;
    ol_sketch_init(&g->duration);
    g->a.ptr = a.len ? ol_arena_memdup(q->arena, a.ptr, a.len) : NULL;
    g->a.len = a.len;
    g->b.ptr = b.len ? ol_arena_memdup(q->arena, b.ptr, b.len) : NULL;
    g->b.len = b.len;
    if ((a.len && !g->a.ptr) || (b.len && !g->b.ptr)) goto nomem;
    if (stepped && q->n_steps) {
        g->s_requests = ol_calloc(OL_MEM_PIPELINE, q->n_steps, sizeof *g->s_requests);
        g->s_errors = ol_calloc(OL_MEM_PIPELINE, q->n_steps, sizeof *g->s_errors);
        g->s_duration = ol_calloc(OL_MEM_PIPELINE, q->n_steps, sizeof *g->s_duration);
        if (!g->s_requests || !g->s_errors || !g->s_duration) {
            ol_free(OL_MEM_PIPELINE, g->s_requests, q->n_steps * sizeof *g->s_requests);
            ol_free(OL_MEM_PIPELINE, g->s_errors, q->n_steps * sizeof *g->s_errors);
            ol_free(OL_MEM_PIPELINE, g->s_duration, q->n_steps * sizeof *g->s_duration);
            goto nomem;
        }
    }
    if (ol_red_index_insert(&q->ix, (uint32_t)h, (uint32_t)q->n)) goto nomem_steps;
    q->n++;
    if (cls == OL_RED_G_OP) q->n_ops++;
    return g;
nomem_steps:
    ol_free(OL_MEM_PIPELINE, g->s_requests, q->n_steps * sizeof *g->s_requests);
    ol_free(OL_MEM_PIPELINE, g->s_errors, q->n_steps * sizeof *g->s_errors);
    ol_free(OL_MEM_PIPELINE, g->s_duration, q->n_steps * sizeof *g->s_duration);
nomem:
    if (!q->rc) q->rc = OL_NOMEM;
    return NULL;
}

static void ol_red_q_free(ol_red_q_t *q)
{
    for (size_t i = 0; i < q->n; i++) {
        ol_red_group_t *g = &q->groups[i];
        ol_sketch_free(&g->duration);
        if (g->s_duration)
            for (uint32_t k = 0; k < q->n_steps; k++) ol_sketch_free(&g->s_duration[k]);
        ol_free(OL_MEM_PIPELINE, g->s_requests, q->n_steps * sizeof *g->s_requests);
        ol_free(OL_MEM_PIPELINE, g->s_errors, q->n_steps * sizeof *g->s_errors);
        ol_free(OL_MEM_PIPELINE, g->s_duration, q->n_steps * sizeof *g->s_duration);
    }
    ol_free(OL_MEM_PIPELINE, q->groups, q->cap * sizeof *q->groups);
    ol_red_index_free(&q->ix);
    ol_arena_destroy(q->arena);
}

/* One contribution: a field's value (requests/errors count, or a sketch) in
 * the bucket starting at bucket_start. */
typedef struct ol_red_contrib {
    uint64_t requests, errors;
    const ol_sketch_t *duration; /* or NULL */
    ol_slice_t duration_pb;      /* or an encoded ExponentialHistogramDataPoint */
} ol_red_contrib_t;

static void ol_red_group_add(ol_red_q_t *q, ol_red_group_t *g, uint64_t bucket_start, const ol_red_contrib_t *c)
{
    if (!g) return;
    g->requests += c->requests;
    g->errors += c->errors;
    int rc = OL_OK;
    if (c->duration) rc = ol_sketch_merge(&g->duration, c->duration);
    else if (c->duration_pb.len) rc = ol_sketch_decode(&g->duration, c->duration_pb);
    if (rc == OL_NOMEM && !q->rc) q->rc = rc;
    if (!g->s_requests) return;
    uint64_t k = (bucket_start - q->start) / q->step;
    if (k >= q->n_steps) return;
    g->s_requests[k] += c->requests;
    g->s_errors[k] += c->errors;
    if (c->duration) rc = ol_sketch_merge(&g->s_duration[k], c->duration);
    else if (c->duration_pb.len) rc = ol_sketch_decode(&g->s_duration[k], c->duration_pb);
    if (rc == OL_NOMEM && !q->rc) q->rc = rc;
}

/* Folds one point of an operation series (service, name, kind, entry). */
static void ol_red_q_op(ol_red_q_t *q, ol_slice_t svc, ol_slice_t name, int kind, bool entry, uint64_t bstart,
                        const ol_red_contrib_t *c)
{
    if (q->map) {
        ol_red_group_t *g = ol_red_group(q, OL_RED_G_NODE, OL_RED_PEER_SERVICE, false, svc, OL_SLICE_NULL);
        if (!g) return;
        g->present = true;
        if (entry) ol_red_group_add(q, g, bstart, c);
        return;
    }
    if (!ol_slice_eq(svc, q->service)) return;
    if (entry) ol_red_group_add(q, ol_red_group(q, OL_RED_G_SUMMARY, 0, false, OL_SLICE_NULL, OL_SLICE_NULL), bstart, c);
    ol_red_group_add(q, ol_red_group(q, OL_RED_G_OP, kind, entry, name, OL_SLICE_NULL), bstart, c);
}

/* Folds one point of an edge series (caller -> peer of type ptype). */
static void ol_red_q_edge(ol_red_q_t *q, ol_slice_t caller, ol_slice_t peer, int ptype, uint64_t bstart,
                          const ol_red_contrib_t *c)
{
    if (q->map) {
        ol_red_group_add(q, ol_red_group(q, OL_RED_G_EDGE, ptype, false, caller, peer), bstart, c);
        ol_red_group(q, OL_RED_G_NODE, OL_RED_PEER_SERVICE, false, caller, OL_SLICE_NULL);
        ol_red_group_t *dst = ol_red_group(q, OL_RED_G_NODE, ptype, false, peer, OL_SLICE_NULL);
        if (dst && ptype != OL_RED_PEER_SERVICE) ol_red_group_add(q, dst, bstart, c);
        return;
    }
    if (ol_slice_eq(caller, q->service))
        ol_red_group_add(q, ol_red_group(q, OL_RED_G_DOWN, ptype, false, peer, OL_SLICE_NULL), bstart, c);
    if (ptype == OL_RED_PEER_SERVICE && ol_slice_eq(peer, q->service))
        ol_red_group_add(q, ol_red_group(q, OL_RED_G_UP, 0, false, caller, OL_SLICE_NULL), bstart, c);
}

/* ---- memory ---- */

static void ol_red_q_memory(ol_red_q_t *q)
{
    ol_red_t *r = q->r;
    pthread_mutex_lock(&r->mu);
    for (uint32_t i = 0; i < r->n_cells && !q->rc; i++) {
        const ol_red_cell_t *c = &r->cells[i];
        if (c->series == OL_RED_NONE) continue;
        uint64_t bstart = c->bucket * r->opt.resolution_ns;
        if (bstart < q->start || bstart >= q->end) continue;
        const ol_red_series_t *s = &r->series[c->series];
        const ol_red_service_ent_t *svc = &r->services[s->svc];
        ol_red_contrib_t ct = {c->requests, c->errors, &c->duration, OL_SLICE_NULL};
        if (s->is_edge)
            ol_red_q_edge(q, ol_slice(svc->name, svc->len), ol_slice(s->name, s->len), s->kind, bstart, &ct);
        else
            ol_red_q_op(q, ol_slice(svc->name, svc->len), ol_slice(s->name, s->len), s->kind, s->entry, bstart, &ct);
    }
    pthread_mutex_unlock(&r->mu);
}

/* ---- the store ---- */

static const struct {
    const char *name;
    bool edge;
    int field;
    ol_metric_type_t type;
} ol_red_q_metrics[] = {
    {"olly.red.requests", false, OL_RED_F_REQUESTS, OL_METRIC_SUM},
    {"olly.red.errors", false, OL_RED_F_ERRORS, OL_METRIC_SUM},
    {"olly.red.duration", false, OL_RED_F_DURATION, OL_METRIC_EXP_HISTOGRAM},
    {"olly.red.edge.requests", true, OL_RED_F_REQUESTS, OL_METRIC_SUM},
    {"olly.red.edge.errors", true, OL_RED_F_ERRORS, OL_METRIC_SUM},
    {"olly.red.edge.duration", true, OL_RED_F_DURATION, OL_METRIC_EXP_HISTOGRAM},
};

typedef struct {
    ol_red_q_t *q;
    int metric;
} ol_red_scan_t;

typedef struct {
    ol_slice_t span_name, span_kind, entry, peer_name, peer_type;
} ol_red_point_attrs_t;

static int ol_red_point_attr(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_red_point_attrs_t *a = ud;
    ol_otlp_any_t v;
    ol_otlp_any_parse(any_value, &v);
    if (v.kind != 1) return OL_OK;
    if (ol_slice_eq_cstr(key, "span.name")) a->span_name = v.bytes;
    else if (ol_slice_eq_cstr(key, "span.kind")) a->span_kind = v.bytes;
    else if (ol_slice_eq_cstr(key, "olly.entry")) a->entry = v.bytes;
    else if (ol_slice_eq_cstr(key, "peer.name")) a->peer_name = v.bytes;
    else if (ol_slice_eq_cstr(key, "peer.type")) a->peer_type = v.bytes;
    return OL_OK;
}

static void ol_red_q_point(ol_red_q_t *q, int metric, ol_slice_t svc, ol_slice_t point)
{
    bool hist = ol_red_q_metrics[metric].type == OL_METRIC_EXP_HISTOGRAM;
    uint32_t attr_field = hist ? 1 : 7;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, point);
    uint64_t start = 0, value = 0;
    bool has_start = false;
    ol_red_point_attrs_t a;
    memset(&a, 0, sizeof a);
    /* One pass: times, value and the attributes' KeyValues. */
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type == OL_PB_LEN && f.number == attr_field) {
            ol_pb_reader_t kr;
            ol_pb_field_value_t kf;
            ol_slice_t key = OL_SLICE_NULL, av = OL_SLICE_NULL;
            ol_pb_reader_init(&kr, f.bytes);
            while (ol_pb_next(&kr, &kf) == OL_OK) {
                if (kf.wire_type != OL_PB_LEN) continue;
                if (kf.number == 1) key = kf.bytes;
                else if (kf.number == 2) av = kf.bytes;
            }
            ol_red_point_attr(&a, key, av);
            continue;
        }
        if (f.wire_type != OL_PB_I64) continue;
        if (f.number == 2) start = f.u64, has_start = true;
        else if (!hist && f.number == 6) value = (int64_t)f.u64 > 0 ? f.u64 : 0;
        else if (!hist && f.number == 4) {
            double d = ol_pb_as_double(f.u64);
            value = d > 0 && d < 1.8e19 ? (uint64_t)llround(d) : 0;
        }
        if (has_start && (start < q->start || start >= q->end)) return;
    }
    if (!has_start || start < q->start || start >= q->end) return;
    ol_red_contrib_t c = {0, 0, NULL, OL_SLICE_NULL};
    switch (ol_red_q_metrics[metric].field) {
    case OL_RED_F_REQUESTS: c.requests = value; break;
    case OL_RED_F_ERRORS: c.errors = value; break;
    default: c.duration_pb = point; break;
    }
    if (ol_red_q_metrics[metric].edge) {
        int ptype = ol_red_peer_parse(a.peer_type);
        if (ptype < 0 || !a.peer_name.len) return;
        ol_red_q_edge(q, svc, a.peer_name, ptype, start, &c);
    } else {
        int kind = ol_red_kind_parse(a.span_kind);
        if (kind < 0) return;
        ol_red_q_op(q, svc, a.span_name, kind, ol_slice_eq_cstr(a.entry, "true"), start, &c);
    }
}

static int ol_red_q_metric_cb(void *ud, const ol_otlp_metric_t *m)
{
    ol_red_scan_t *sc = ud;
    ol_red_q_t *q = sc->q;
    if (m->type != ol_red_q_metrics[sc->metric].type || !m->origin || !ol_emit_is_ours(m->origin->scope))
        return OL_OK;
    ol_slice_t svc = ol_store_service_of(m->origin);
    /* A service page needs other services' points only for the edges into it. */
    if (!q->map && !ol_red_q_metrics[sc->metric].edge && !ol_slice_eq(svc, q->service)) return OL_OK;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, m->data);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) ol_red_q_point(q, sc->metric, svc, f.bytes);
    return q->rc ? q->rc : OL_OK;
}

static int ol_red_q_store(ol_red_q_t *q, ol_err_t *err)
{
    uint64_t scan_end = q->end + q->r->opt.resolution_ns;
    if (scan_end < q->end) scan_end = UINT64_MAX;
    for (int i = 0; i < (int)OL_ARRAY_LEN(ol_red_q_metrics); i++) {
        ol_red_scan_t sc = {q, i};
        int rc = ol_store_scan_metric(q->r->store, ol_slice_cstr(ol_red_q_metrics[i].name), q->start, scan_end,
                                      ol_red_q_metric_cb, &sc);
        if (rc == OL_NOTFOUND) continue;
        if (rc != OL_OK) {
            ol_err_set(err, "red: reading %s: %s", ol_red_q_metrics[i].name, ol_rc_str(rc));
            return rc;
        }
    }
    if (q->rc) ol_err_set(err, "red: %s", ol_rc_str(q->rc));
    return q->rc;
}

static int ol_red_q_run(ol_red_q_t *q, ol_err_t *err)
{
    err->msg[0] = 0;
    q->arena = ol_arena_create(1u << 14, 0);
    if (!q->arena) {
        ol_err_set(err, "red: no memory");
        return OL_NOMEM;
    }
    pthread_rwlock_rdlock(&q->r->emit_lock);
    ol_red_q_memory(q);
    int rc = q->rc ? q->rc : ol_red_q_store(q, err);
    pthread_rwlock_unlock(&q->r->emit_lock);
    if (rc && !err->msg[0]) ol_err_set(err, "red: %s", ol_rc_str(rc));
    return rc;
}

/* ---- JSON ---- */

static void ol_red_json_q(ol_buf_t *out, const char *key, const ol_sketch_t *s, double q)
{
    ol_buf_printf(out, ",\"%s\":", key);
    if (s->count) ol_json_write_double(out, ol_sketch_quantile(s, q));
    else ol_buf_append_cstr(out, "null");
}

/* "requests"/"calls", rate, errors, errorRate, p50/p95/p99 of a group. */
static void ol_red_json_figures(ol_buf_t *out, const ol_red_q_t *q, const ol_red_group_t *g, const char *count_key)
{
    double secs = (double)(q->end - q->start) / 1e9;
    ol_buf_printf(out, ",\"%s\":%llu,\"rate\":", count_key, (unsigned long long)g->requests);
    ol_json_write_double(out, g->requests / secs);
    ol_buf_printf(out, ",\"errors\":%llu,\"errorRate\":", (unsigned long long)g->errors);
    ol_json_write_double(out, g->requests ? (double)g->errors / (double)g->requests : 0);
    ol_red_json_q(out, "p50Ms", &g->duration, 0.50);
    ol_red_json_q(out, "p95Ms", &g->duration, 0.95);
    ol_red_json_q(out, "p99Ms", &g->duration, 0.99);
}

static void ol_red_json_series(ol_buf_t *out, const ol_red_q_t *q, const ol_red_group_t *g)
{
    static const double qs[3] = {0.50, 0.95, 0.99};
    static const char *const qk[3] = {"p50Ms", "p95Ms", "p99Ms"};
    ol_buf_append_cstr(out, ",\"series\":{\"timestamps\":[");
    for (uint32_t k = 0; k < q->n_steps; k++)
        ol_buf_printf(out, "%s%llu", k ? "," : "", (unsigned long long)(q->start + (uint64_t)k * q->step));
    ol_buf_append_cstr(out, "],\"requests\":[");
    for (uint32_t k = 0; k < q->n_steps; k++)
        ol_buf_printf(out, "%s%llu", k ? "," : "", (unsigned long long)(g && g->s_requests ? g->s_requests[k] : 0));
    ol_buf_append_cstr(out, "],\"errors\":[");
    for (uint32_t k = 0; k < q->n_steps; k++)
        ol_buf_printf(out, "%s%llu", k ? "," : "", (unsigned long long)(g && g->s_errors ? g->s_errors[k] : 0));
    ol_buf_append_cstr(out, "],\"errorRate\":[");
    for (uint32_t k = 0; k < q->n_steps; k++) {
        if (k) ol_buf_append_u8(out, ',');
        uint64_t n = g && g->s_requests ? g->s_requests[k] : 0;
        if (n) ol_json_write_double(out, (double)g->s_errors[k] / (double)n);
        else ol_buf_append_cstr(out, "null");
    }
    for (int j = 0; j < 3; j++) {
        ol_buf_printf(out, "],\"%s\":[", qk[j]);
        for (uint32_t k = 0; k < q->n_steps; k++) {
            if (k) ol_buf_append_u8(out, ',');
            const ol_sketch_t *s = g && g->s_duration ? &g->s_duration[k] : NULL;
            if (s && s->count) ol_json_write_double(out, ol_sketch_quantile(s, qs[j]));
            else ol_buf_append_cstr(out, "null");
        }
    }
    ol_buf_append_cstr(out, "]}");
}

static void ol_red_json_edge(ol_buf_t *out, const ol_red_q_t *q, const ol_red_group_t *g, ol_slice_t source,
                             ol_slice_t target, int ptype)
{
    ol_buf_append_cstr(out, "{\"source\":");
    ol_json_write_string(out, source);
    ol_buf_append_cstr(out, ",\"target\":");
    ol_json_write_string(out, target);
    ol_buf_printf(out, ",\"targetType\":\"%s\"", ol_red_peer_name(ptype));
    ol_red_json_figures(out, q, g, "calls");
    ol_buf_append_u8(out, '}');
}

static int ol_red_slice_cmp(ol_slice_t a, ol_slice_t b)
{
    int c = a.len && b.len ? memcmp(a.ptr, b.ptr, OL_MIN(a.len, b.len)) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int ol_red_group_cmp(const void *pa, const void *pb)
{
    const ol_red_group_t *a = *(const ol_red_group_t *const *)pa, *b = *(const ol_red_group_t *const *)pb;
    if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
    if (a->cls == OL_RED_G_OP && a->requests != b->requests) return a->requests > b->requests ? -1 : 1;
    int c = ol_red_slice_cmp(a->a, b->a);
    if (c) return c;
    c = ol_red_slice_cmp(a->b, b->b);
    if (c) return c;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* The groups in output order (caller frees with ol_free). */
static ol_red_group_t **ol_red_q_sorted(ol_red_q_t *q)
{
    ol_red_group_t **v = ol_malloc(OL_MEM_PIPELINE, (q->n ? q->n : 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < q->n; i++) v[i] = &q->groups[i];
    qsort(v, q->n, sizeof *v, ol_red_group_cmp);
    return v;
}

int ol_red_service_map(ol_red_t *r, uint64_t start_ns, uint64_t end_ns, ol_buf_t *out, ol_err_t *err)
{
    ol_err_t local;
    if (!err) err = &local;
    if (end_ns <= start_ns) {
        ol_err_set(err, "end must be after start");
        return OL_ERR;
    }
    ol_red_q_t q;
    memset(&q, 0, sizeof q);
    q.r = r;
    q.map = true;
    q.start = start_ns;
    q.end = end_ns;
    int rc = ol_red_q_run(&q, err);
    ol_red_group_t **v = rc == OL_OK ? ol_red_q_sorted(&q) : NULL;
    if (rc == OL_OK && !v) {
        rc = OL_NOMEM;
        ol_err_set(err, "red: no memory");
    }
    if (rc == OL_OK) {
        ol_buf_printf(out, "{\"start\":%llu,\"end\":%llu,\"nodes\":[", (unsigned long long)start_ns,
                      (unsigned long long)end_ns);
        bool first = true;
        for (size_t i = 0; i < q.n; i++) {
            const ol_red_group_t *g = v[i];
            if (g->cls != OL_RED_G_NODE) continue;
            ol_buf_append_cstr(out, first ? "{\"name\":" : ",{\"name\":");
            first = false;
            ol_json_write_string(out, g->a);
            ol_buf_printf(out, ",\"type\":\"%s\"", ol_red_peer_name(g->kind));
            ol_red_json_figures(out, &q, g, "requests");
            ol_buf_append_u8(out, '}');
        }
        ol_buf_append_cstr(out, "],\"edges\":[");
        first = true;
        for (size_t i = 0; i < q.n; i++) {
            const ol_red_group_t *g = v[i];
            if (g->cls != OL_RED_G_EDGE) continue;
            if (!first) ol_buf_append_u8(out, ',');
            first = false;
            ol_red_json_edge(out, &q, g, g->a, g->b, g->kind);
        }
        ol_buf_append_cstr(out, "]}");
        if (out->err) {
            rc = out->err;
            ol_err_set(err, "red: answer too large: %s", ol_rc_str(rc));
        }
    }
    ol_free(OL_MEM_PIPELINE, v, (q.n ? q.n : 1) * sizeof *v);
    ol_red_q_free(&q);
    return rc;
}

int ol_red_service(ol_red_t *r, ol_slice_t service, uint64_t start_ns, uint64_t end_ns, uint64_t step_ns,
                   ol_buf_t *out, ol_err_t *err)
{
    ol_err_t local;
    if (!err) err = &local;
    if (end_ns <= start_ns) {
        ol_err_set(err, "end must be after start");
        return OL_ERR;
    }
    uint64_t res = r->opt.resolution_ns, span = end_ns - start_ns;
    if (!step_ns) {
        uint64_t buckets = span / res + (span % res != 0);
        step_ns = res * (buckets / OL_RED_Q_TARGET_STEPS + (buckets % OL_RED_Q_TARGET_STEPS != 0));
        if (!step_ns) step_ns = res;
    } else {
        step_ns = (step_ns / res + (step_ns % res != 0)) * res;
    }
    uint64_t n_steps = span / step_ns + (span % step_ns != 0);
    if (n_steps > OL_RED_Q_MAX_STEPS) {
        ol_err_set(err, "%llu steps in the window (at most %u): raise step or narrow the window",
                   (unsigned long long)n_steps, OL_RED_Q_MAX_STEPS);
        return OL_LIMIT;
    }
    ol_red_q_t q;
    memset(&q, 0, sizeof q);
    q.r = r;
    q.service = service;
    q.start = start_ns;
    q.end = end_ns;
    q.step = step_ns;
    q.n_steps = (uint32_t)n_steps;
    int rc = ol_red_q_run(&q, err);
    ol_red_group_t **v = rc == OL_OK ? ol_red_q_sorted(&q) : NULL;
    if (rc == OL_OK && !v) {
        rc = OL_NOMEM;
        ol_err_set(err, "red: no memory");
    }
    if (rc == OL_OK && q.n == 0) {
        rc = OL_NOTFOUND;
        ol_err_set(err, "no RED data for service %.*s in the window", (int)OL_MIN(service.len, 200),
                   (const char *)service.ptr);
    }
    if (rc == OL_OK) {
        const ol_red_group_t *sum = NULL;
        for (size_t i = 0; i < q.n; i++)
            if (v[i]->cls == OL_RED_G_SUMMARY) sum = v[i];
        ol_red_group_t empty;
        memset(&empty, 0, sizeof empty);
        ol_buf_append_cstr(out, "{\"service\":");
        ol_json_write_string(out, service);
        ol_buf_printf(out, ",\"start\":%llu,\"end\":%llu,\"step\":%llu", (unsigned long long)start_ns,
                      (unsigned long long)end_ns, (unsigned long long)step_ns);
        ol_red_json_figures(out, &q, sum ? sum : &empty, "requests");
        ol_red_json_series(out, &q, sum);
        ol_buf_append_cstr(out, ",\"operations\":[");
        bool first = true;
        for (size_t i = 0; i < q.n; i++) {
            const ol_red_group_t *g = v[i];
            if (g->cls != OL_RED_G_OP) continue;
            ol_buf_append_cstr(out, first ? "{\"name\":" : ",{\"name\":");
            first = false;
            ol_json_write_string(out, g->a);
            ol_buf_printf(out, ",\"kind\":\"%s\",\"entry\":%s", ol_red_kind_name(g->kind), g->entry ? "true" : "false");
            ol_red_json_figures(out, &q, g, "requests");
            ol_red_json_series(out, &q, g);
            ol_buf_append_u8(out, '}');
        }
        ol_buf_printf(out, "],\"operationsOmitted\":%llu,\"upstream\":[", (unsigned long long)q.ops_dropped);
        first = true;
        for (size_t i = 0; i < q.n; i++) {
            const ol_red_group_t *g = v[i];
            if (g->cls != OL_RED_G_UP) continue;
            if (!first) ol_buf_append_u8(out, ',');
            first = false;
            ol_red_json_edge(out, &q, g, g->a, service, OL_RED_PEER_SERVICE);
        }
        ol_buf_append_cstr(out, "],\"downstream\":[");
        first = true;
        for (size_t i = 0; i < q.n; i++) {
            const ol_red_group_t *g = v[i];
            if (g->cls != OL_RED_G_DOWN) continue;
            if (!first) ol_buf_append_u8(out, ',');
            first = false;
            ol_red_json_edge(out, &q, g, service, g->a, g->kind);
        }
        ol_buf_append_cstr(out, "]}");
        if (out->err) {
            rc = out->err;
            ol_err_set(err, "red: answer too large: %s", ol_rc_str(rc));
        }
    }
    ol_free(OL_MEM_PIPELINE, v, (q.n ? q.n : 1) * sizeof *v);
    ol_red_q_free(&q);
    return rc;
}
