/*
 * metrics.c - the metric name list and one metric's points.
 *
 * Point filtering never re-encodes a point: when some points of a stored
 * Metric are outside the window or fail an attribute filter, a new Metric is
 * written holding the original's other fields verbatim and, inside its data
 * message (Gauge, Sum, ...), the other fields verbatim plus only the
 * matching data points, each copied byte for byte. That Metric is rendered
 * like any stored one. Exemplars travel inside their points, so a kept
 * point keeps its exemplars, rendered with hex ids like every OTLP/JSON id.
 *
 * Exemplar listing (ol_query_exemplars): ol_exemplars_each yields the
 * window's exemplars in no order; the newest `limit` are kept in a min-heap
 * of rendered entries (one reused buffer per slot), so memory follows the
 * limit, not the number that match, and the heap is sorted newest first at
 * the end.
 */
#include <stdlib.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/alloc.h"
#include "core/util.h"
#include "query/exemplars.h"
#include "query/query_int.h"
#include "store/request.h"

#define OL_Q_DATA_POINTS 1     /* Gauge/Sum/Histogram/ExponentialHistogram/Summary.data_points */
#define OL_Q_POINT_TIME 3      /* *DataPoint.time_unix_nano (fixed64) */
#define OL_Q_RESOURCE_ATTRS 1  /* Resource.attributes */

/* *DataPoint.attributes field number for each Metric.data kind. */
static uint32_t ol_q_point_attr_field(ol_metric_type_t t)
{
    switch (t) {
    case OL_METRIC_GAUGE:
    case OL_METRIC_SUM:
    case OL_METRIC_SUMMARY:
        return 7;
    case OL_METRIC_HISTOGRAM:
        return 9;
    case OL_METRIC_EXP_HISTOGRAM:
        return 1;
    default:
        return 0;
    }
}

/* ---- names ---- */

typedef struct ol_q_name {
    ol_slice_t name, description, unit;
    ol_metric_type_t type;
} ol_q_name_t;

typedef struct ol_q_names_ctx {
    ol_arena_t *a;
    ol_q_name_t *v;
    size_t n, cap;
} ol_q_names_ctx_t;

static bool ol_q_dup(ol_arena_t *a, ol_slice_t in, ol_slice_t *out)
{
    void *p = ol_arena_memdup(a, in.ptr, in.len);
    *out = ol_slice(p, p ? in.len : 0);
    return p != NULL;
}

static int ol_q_names_cb(void *ud, const ol_store_metric_info_t *m)
{
    ol_q_names_ctx_t *c = ud;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 32;
        ol_q_name_t *nv = ol_arena_alloc(c->a, nc * sizeof *nv);
        if (!nv) return OL_NOMEM;
        if (c->n) memcpy(nv, c->v, c->n * sizeof *nv);
        c->v = nv;
        c->cap = nc;
    }
    ol_q_name_t *e = &c->v[c->n];
    e->type = m->type;
    if (!ol_q_dup(c->a, m->name, &e->name) || !ol_q_dup(c->a, m->description, &e->description) ||
        !ol_q_dup(c->a, m->unit, &e->unit))
        return OL_NOMEM;
    c->n++;
    return OL_OK;
}

static int ol_q_name_cmp(const void *a, const void *b)
{
    return ol_q_slice_cmp(((const ol_q_name_t *)a)->name, ((const ol_q_name_t *)b)->name);
}

int ol_query_metric_names(ol_store_t *s, ol_buf_t *out)
{
    ol_q_names_ctx_t c = {.a = ol_arena_create(4096, 0)};
    if (!c.a) return OL_NOMEM;
    int rc = ol_store_scan_metric_names(s, ol_q_names_cb, &c);
    if (rc == OL_OK) {
        if (c.n) qsort(c.v, c.n, sizeof *c.v, ol_q_name_cmp);
        ol_buf_append_cstr(out, "{\"metrics\":[");
        for (size_t i = 0; i < c.n; i++) {
            const ol_q_name_t *e = &c.v[i];
            ol_buf_append_cstr(out, i ? ",{\"name\":" : "{\"name\":");
            ol_json_write_string(out, e->name);
            ol_buf_append_cstr(out, ",\"type\":");
            ol_json_write_cstr(out, ol_metric_type_name(e->type));
            ol_buf_append_cstr(out, ",\"unit\":");
            ol_json_write_string(out, e->unit);
            ol_buf_append_cstr(out, ",\"description\":");
            ol_json_write_string(out, e->description);
            ol_buf_append_u8(out, '}');
        }
        ol_buf_append_cstr(out, "]}");
        rc = out->err;
    }
    ol_arena_destroy(c.a);
    return rc;
}

/* ---- points ---- */

typedef struct ol_q_metric_ctx {
    const ol_metric_query_t *q;
    size_t n_attrs;
    ol_req_builder_t rb;
    ol_buf_t metric; /* the rebuilt Metric */
    ol_buf_t tmp;
} ol_q_metric_ctx_t;

static bool ol_q_point_match(ol_q_metric_ctx_t *c, ol_slice_t point, uint32_t attr_field, uint32_t res_mask)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    uint64_t t = 0;
    ol_pb_reader_init(&r, point);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == OL_Q_POINT_TIME && f.wire_type == OL_PB_I64) t = f.u64;
    if (t < c->q->start_ns || t >= c->q->end_ns) return false;
    if (!c->n_attrs) return true;
    return ol_q_attr_mask(c->q->attrs, c->n_attrs, res_mask, point, attr_field, &c->tmp) == OL_Q_ALL(c->n_attrs);
}

/* Copies data message `data` (field `number` of Metric) into c->metric with
 * only the matching points. Returns how many points were kept. */
static size_t ol_q_filter_data(ol_q_metric_ctx_t *c, uint32_t number, ol_slice_t data, uint32_t attr_field,
                               uint32_t res_mask)
{
    size_t kept = 0;
    size_t mark = ol_pb_begin(&c->metric, number);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, data);
    const uint8_t *at = r.p;
    while (ol_pb_next(&r, &f) == OL_OK) {
        bool keep = true;
        if (f.number == OL_Q_DATA_POINTS && f.wire_type == OL_PB_LEN) {
            keep = ol_q_point_match(c, f.bytes, attr_field, res_mask);
            kept += keep;
        }
        if (keep) ol_buf_append(&c->metric, at, (size_t)(r.p - at));
        at = r.p;
    }
    ol_pb_end(&c->metric, mark);
    return kept;
}

static int ol_q_metric_cb(void *ud, const ol_otlp_metric_t *m)
{
    ol_q_metric_ctx_t *c = ud;
    const ol_metric_query_t *q = c->q;
    uint32_t res_mask = 0;
    if (c->n_attrs && m->origin)
        res_mask = ol_q_attr_mask(q->attrs, c->n_attrs, 0, m->origin->resource, OL_Q_RESOURCE_ATTRS, &c->tmp);
    if (res_mask == OL_Q_ALL(c->n_attrs) && m->min_time_ns >= q->start_ns && m->max_time_ns < q->end_ns) {
        ol_req_add(&c->rb, m->origin, m->raw);
        return c->rb.out->err;
    }
    uint32_t attr_field = ol_q_point_attr_field(m->type);
    if (!attr_field) return OL_OK;

    ol_buf_reset(&c->metric);
    size_t kept = 0;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, m->raw);
    const uint8_t *at = r.p;
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number == (uint32_t)m->type && f.wire_type == OL_PB_LEN)
            kept += ol_q_filter_data(c, f.number, f.bytes, attr_field, res_mask);
        else
            ol_buf_append(&c->metric, at, (size_t)(r.p - at));
        at = r.p;
    }
    if (c->metric.err) return c->metric.err;
    if (kept) ol_req_add(&c->rb, m->origin, ol_buf_slice(&c->metric));
    return c->rb.out->err;
}

int ol_query_metric(ol_store_t *s, const ol_metric_query_t *q, ol_buf_t *out)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_QUERY, 0);
    ol_q_metric_ctx_t c = {.q = q, .n_attrs = OL_MIN(q->n_attrs, (size_t)OL_QUERY_MAX_ATTRS)};
    ol_buf_init(&c.metric, OL_MEM_QUERY, 0);
    ol_buf_init(&c.tmp, OL_MEM_QUERY, 0);
    ol_req_begin(&c.rb, &pb, OL_REQ_GROUP_BYTES);
    int rc = ol_store_scan_metric(s, q->name, q->start_ns, q->end_ns, ol_q_metric_cb, &c);
    if (rc == OL_OK) rc = ol_req_finish(&c.rb);
    if (rc == OL_OK)
        rc = ol_q_render(&ol_pb_ExportMetricsServiceRequest, "resourceMetrics", &pb, c.rb.n_items, out);
    ol_buf_free(&c.metric);
    ol_buf_free(&c.tmp);
    ol_buf_free(&pb);
    return rc;
}

/* ---- exemplars ---- */

#define OL_Q_EX_DEFAULT_LIMIT 100
#define OL_Q_EX_FILTERED_ATTRS 7 /* Exemplar.filtered_attributes */

typedef struct ol_q_ex_ent {
    uint64_t time, seq;
    ol_buf_t json;
} ol_q_ex_ent_t;

typedef struct ol_q_kv {
    ol_slice_t k, v;
    size_t i;
} ol_q_kv_t;

typedef struct ol_q_ex_ctx {
    ol_q_ex_ent_t *heap; /* min-heap on (time, seq): the root is the first to give way */
    size_t n, cap, limit;
    uint64_t seq, total;
    ol_q_kv_t *kv;
    size_t n_kv, cap_kv;
    ol_buf_t tmp;
    int rc;
} ol_q_ex_ctx_t;

static bool ol_q_ex_less(const ol_q_ex_ent_t *a, const ol_q_ex_ent_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void ol_q_ex_swap(ol_q_ex_ent_t *a, ol_q_ex_ent_t *b)
{
    ol_q_ex_ent_t t = *a;
    *a = *b;
    *b = t;
}

static void ol_q_ex_down(ol_q_ex_ctx_t *c, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < c->n && ol_q_ex_less(&c->heap[l], &c->heap[m])) m = l;
        if (l + 1 < c->n && ol_q_ex_less(&c->heap[l + 1], &c->heap[m])) m = l + 1;
        if (m == i) return;
        ol_q_ex_swap(&c->heap[i], &c->heap[m]);
        i = m;
    }
}

static void ol_q_ex_up(ol_q_ex_ctx_t *c, size_t i)
{
    while (i && ol_q_ex_less(&c->heap[i], &c->heap[(i - 1) / 2])) {
        ol_q_ex_swap(&c->heap[i], &c->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static int ol_q_kv_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_q_ex_ctx_t *c = ud;
    if (ol_grow_array(OL_MEM_QUERY, (void **)&c->kv, &c->cap_kv, c->n_kv + 1, sizeof *c->kv) != OL_OK) {
        c->rc = OL_NOMEM;
        return OL_NOMEM;
    }
    c->kv[c->n_kv] = (ol_q_kv_t){key, any_value, c->n_kv};
    c->n_kv++;
    return OL_OK;
}

static int ol_q_kv_cmp(const void *a, const void *b)
{
    const ol_q_kv_t *x = a, *y = b;
    int r = ol_q_slice_cmp(x->k, y->k);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* The KeyValue list `field` of msg as a JSON object of text values, keys
 * sorted, the first value of a repeated key. */
static void ol_q_ex_attrs(ol_q_ex_ctx_t *c, ol_buf_t *out, ol_slice_t msg, uint32_t field)
{
    c->n_kv = 0;
    if (field) ol_otlp_each_attribute(msg, field, ol_q_kv_cb, c);
    if (c->n_kv > 1) qsort(c->kv, c->n_kv, sizeof *c->kv, ol_q_kv_cmp);
    ol_buf_append_u8(out, '{');
    for (size_t i = 0; i < c->n_kv; i++) {
        if (i && ol_slice_eq(c->kv[i].k, c->kv[i - 1].k)) continue;
        if (i) ol_buf_append_u8(out, ',');
        ol_json_write_string(out, c->kv[i].k);
        ol_buf_append_u8(out, ':');
        ol_buf_reset(&c->tmp);
        ol_otlp_anyvalue_text(c->kv[i].v, &c->tmp);
        if (c->tmp.err) c->rc = c->tmp.err;
        ol_json_write_string(out, ol_buf_slice(&c->tmp));
    }
    ol_buf_append_u8(out, '}');
}

static void ol_q_ex_render(ol_q_ex_ctx_t *c, ol_buf_t *out, const ol_exemplar_t *e, uint64_t t)
{
    ol_buf_append_cstr(out, "{\"time\":");
    ol_json_write_u64_str(out, t);
    ol_buf_append_cstr(out, ",\"value\":");
    if (e->is_int) ol_buf_printf(out, "%lld", (long long)e->as_int);
    else ol_json_write_double(out, e->as_double);
    ol_buf_append_cstr(out, ",\"traceId\":\"");
    ol_buf_append_hex(out, e->trace_id.ptr, e->trace_id.len);
    ol_buf_append_cstr(out, "\",\"spanId\":\"");
    ol_buf_append_hex(out, e->span_id.ptr, e->span_id.len);
    ol_buf_append_cstr(out, "\",\"service\":");
    ol_json_write_string(out, e->service);
    ol_buf_append_cstr(out, ",\"attributes\":");
    ol_q_ex_attrs(c, out, e->point, ol_q_point_attr_field(e->type));
    ol_buf_append_cstr(out, ",\"filteredAttributes\":");
    ol_q_ex_attrs(c, out, e->exemplar, OL_Q_EX_FILTERED_ATTRS);
    ol_buf_append_cstr(out, ",\"pointTime\":");
    ol_json_write_u64_str(out, e->point_time_ns);
    if (e->trace_id.len) {
        ol_buf_append_cstr(out, ",\"traceUrl\":\"/api/v1/traces/");
        ol_buf_append_hex(out, e->trace_id.ptr, e->trace_id.len);
        ol_buf_append_cstr(out, "\"}");
    } else {
        ol_buf_append_cstr(out, ",\"traceUrl\":null}");
    }
}

static int ol_q_ex_cb(void *ud, const ol_exemplar_t *e)
{
    ol_q_ex_ctx_t *c = ud;
    ol_q_ex_ent_t key = {.time = e->time_ns ? e->time_ns : e->point_time_ns, .seq = c->seq++};
    c->total++;
    ol_q_ex_ent_t *slot;
    bool root = false;
    if (c->n < c->limit) {
        if (c->n == c->cap &&
            ol_grow_array(OL_MEM_QUERY, (void **)&c->heap, &c->cap, c->n + 1, sizeof *c->heap) != OL_OK)
            return OL_NOMEM;
        slot = &c->heap[c->n++];
        ol_buf_init(&slot->json, OL_MEM_QUERY, 0);
    } else if (ol_q_ex_less(&c->heap[0], &key)) {
        slot = &c->heap[0];
        root = true;
        ol_buf_reset(&slot->json);
    } else {
        return OL_OK;
    }
    slot->time = key.time;
    slot->seq = key.seq;
    ol_q_ex_render(c, &slot->json, e, key.time);
    if (slot->json.err) return slot->json.err;
    if (c->rc != OL_OK) return c->rc;
    if (root) ol_q_ex_down(c, 0);
    else ol_q_ex_up(c, c->n - 1);
    return OL_OK;
}

static int ol_q_ex_newest_first(const void *a, const void *b)
{
    const ol_q_ex_ent_t *x = a, *y = b;
    return ol_q_ex_less(y, x) ? -1 : ol_q_ex_less(x, y);
}

int ol_query_exemplars(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns, uint64_t limit,
                       ol_buf_t *out)
{
    if (!name.len) return OL_NOTFOUND;
    ol_q_ex_ctx_t c = {.limit = limit ? (size_t)OL_MIN(limit, (uint64_t)OL_QUERY_MAX_EXEMPLARS)
                                      : OL_Q_EX_DEFAULT_LIMIT};
    ol_buf_init(&c.tmp, OL_MEM_QUERY, 0);
    int rc = ol_exemplars_each(s, name, start_ns, end_ns, ol_q_ex_cb, &c);
    if (rc == OL_OK) {
        if (c.n > 1) qsort(c.heap, c.n, sizeof *c.heap, ol_q_ex_newest_first);
        ol_buf_append_cstr(out, "{\"metric\":");
        ol_json_write_string(out, name);
        ol_buf_append_cstr(out, ",\"start\":");
        ol_json_write_u64_str(out, start_ns);
        ol_buf_append_cstr(out, ",\"end\":");
        ol_json_write_u64_str(out, end_ns);
        ol_buf_append_cstr(out, ",\"exemplars\":[");
        for (size_t i = 0; i < c.n; i++) {
            if (i) ol_buf_append_u8(out, ',');
            ol_buf_append_slice(out, ol_buf_slice(&c.heap[i].json));
        }
        ol_buf_append_cstr(out, c.total > c.n ? "],\"truncated\":true}" : "],\"truncated\":false}");
        rc = out->err;
    }
    for (size_t i = 0; i < c.n; i++) ol_buf_free(&c.heap[i].json);
    ol_free(OL_MEM_QUERY, c.heap, c.cap * sizeof *c.heap);
    ol_free(OL_MEM_QUERY, c.kv, c.cap_kv * sizeof *c.kv);
    ol_buf_free(&c.tmp);
    return rc;
}
