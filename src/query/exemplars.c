/*
 * exemplars.c - walks the exemplars of stored metrics (contract in
 * exemplars.h).
 *
 * Exemplars live inside the data points of the Metric items the store kept
 * as received: Gauge and Sum points (NumberDataPoint.exemplars = 5),
 * histogram points (8) and exponential histogram points (11); summaries have
 * none. Nothing is decoded ahead: each point of an item read by
 * ol_store_scan_metric is walked once for its time and once for its
 * exemplars, and each exemplar is handed to the caller as views into the
 * stored bytes.
 *
 * Time: an exemplar is in the window by its own time_unix_nano, or by its
 * point's time when it has none. The store prunes metric items by their
 * points' times, and an exemplar is recorded during its point's collection
 * interval, i.e. before the point's time (or, with clock skew between the
 * SDK's reservoir and its exporter, a little after). So the store is asked
 * for the window widened by OL_EXEMPLAR_SLACK_NS on each side and each
 * exemplar is then checked against the real window: an exemplar more than
 * that far from its point's time is missed when its point lies outside the
 * widened window.
 *
 * Ids: the trace and span ids are handed out only when they have the
 * right length (16 and 8 bytes) and are not all zero (the W3C invalid id);
 * otherwise they are empty, and the exemplar is still yielded.
 */
#include "query/exemplars.h"

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/arena.h"

#define OL_EXEMPLAR_SLACK_NS (3600ull * 1000000000ull)

enum {
    F_DATA_POINTS = 1, /* Gauge/Sum/Histogram/ExponentialHistogram.data_points */
    F_POINT_TIME = 3,  /* *DataPoint.time_unix_nano */
    F_EX_TIME = 2,
    F_EX_AS_DOUBLE = 3,
    F_EX_SPAN_ID = 4,
    F_EX_TRACE_ID = 5,
    F_EX_AS_INT = 6,
};

typedef struct ol_ex_ctx {
    uint64_t start_ns, end_ns;
    ol_exemplar_fn fn;
    void *ud;
    bool stopped;
} ol_ex_ctx_t;

/* The *DataPoint.exemplars field of each Metric.data kind (0 = none). */
static uint32_t ol_ex_field(ol_metric_type_t t)
{
    switch (t) {
    case OL_METRIC_GAUGE:
    case OL_METRIC_SUM: return 5;
    case OL_METRIC_HISTOGRAM: return 8;
    case OL_METRIC_EXP_HISTOGRAM: return 11;
    default: return 0;
    }
}

static ol_slice_t ol_ex_id(ol_slice_t id, size_t width)
{
    if (id.len != width) return OL_SLICE_NULL;
    for (size_t i = 0; i < width; i++)
        if (id.ptr[i]) return id;
    return OL_SLICE_NULL;
}

static int ol_ex_point(ol_ex_ctx_t *c, const ol_otlp_metric_t *m, ol_slice_t service, ol_slice_t point,
                       uint32_t field)
{
    ol_pb_reader_t r, er;
    ol_pb_field_value_t f, ef;
    uint64_t point_time = 0;
    bool any = false;
    ol_pb_reader_init(&r, point);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number == F_POINT_TIME && f.wire_type == OL_PB_I64) point_time = f.u64;
        else if (f.number == field && f.wire_type == OL_PB_LEN) any = true;
    }
    if (!any) return OL_OK;
    ol_pb_reader_init(&r, point);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != field || f.wire_type != OL_PB_LEN) continue;
        ol_exemplar_t e = {.metric = m->name, .service = service, .type = m->type, .point = point,
                           .point_time_ns = point_time, .exemplar = f.bytes};
        ol_slice_t tid = OL_SLICE_NULL, sid = OL_SLICE_NULL;
        ol_pb_reader_init(&er, f.bytes);
        while (ol_pb_next(&er, &ef) == OL_OK) {
            if (ef.wire_type == OL_PB_I64) {
                if (ef.number == F_EX_TIME) e.time_ns = ef.u64;
                else if (ef.number == F_EX_AS_DOUBLE) {
                    e.is_int = false;
                    e.as_double = ol_pb_as_double(ef.u64);
                } else if (ef.number == F_EX_AS_INT) {
                    e.is_int = true;
                    e.as_int = (int64_t)ef.u64;
                }
            } else if (ef.wire_type == OL_PB_LEN) {
                if (ef.number == F_EX_SPAN_ID) sid = ef.bytes;
                else if (ef.number == F_EX_TRACE_ID) tid = ef.bytes;
            }
        }
        uint64_t t = e.time_ns ? e.time_ns : point_time;
        if (t < c->start_ns || t >= c->end_ns) continue;
        e.trace_id = ol_ex_id(tid, 16);
        e.span_id = ol_ex_id(sid, 8);
        int rc = c->fn(c->ud, &e);
        if (rc == OL_STORE_STOP) c->stopped = true;
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

static int ol_ex_metric_cb(void *ud, const ol_otlp_metric_t *m)
{
    ol_ex_ctx_t *c = ud;
    uint32_t field = ol_ex_field(m->type);
    if (!field) return OL_OK;
    ol_slice_t service = ol_store_service_of(m->origin);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, m->data);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_DATA_POINTS || f.wire_type != OL_PB_LEN) continue;
        int rc = ol_ex_point(c, m, service, f.bytes, field);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

typedef struct ol_ex_names {
    ol_arena_t *a;
    ol_slice_t *v;
    size_t n, cap;
} ol_ex_names_t;

static int ol_ex_name_cb(void *ud, const ol_store_metric_info_t *info)
{
    ol_ex_names_t *ns = ud;
    if (ol_grow_array(OL_MEM_QUERY, (void **)&ns->v, &ns->cap, ns->n + 1, sizeof *ns->v) != OL_OK) return OL_NOMEM;
    void *p = ol_arena_memdup(ns->a, info->name.len ? (const void *)info->name.ptr : "", info->name.len);
    if (!p) return OL_NOMEM;
    ns->v[ns->n++] = ol_slice(p, info->name.len);
    return OL_OK;
}

int ol_exemplars_each(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns, ol_exemplar_fn fn,
                      void *ud)
{
    if (OL_NEVER(!s || !fn)) return OL_ERR;
    ol_ex_ctx_t c = {.start_ns = start_ns, .end_ns = end_ns, .fn = fn, .ud = ud};
    uint64_t lo = start_ns > OL_EXEMPLAR_SLACK_NS ? start_ns - OL_EXEMPLAR_SLACK_NS : 0;
    uint64_t hi = end_ns < UINT64_MAX - OL_EXEMPLAR_SLACK_NS ? end_ns + OL_EXEMPLAR_SLACK_NS : UINT64_MAX;
    if (name.len) {
        if (end_ns <= start_ns) { /* nothing can match, but an unknown name is still reported */
            lo = 0;
            hi = 1;
        }
        int rc = ol_store_scan_metric(s, name, lo, hi, ol_ex_metric_cb, &c);
        return rc == OL_STORE_STOP ? OL_OK : rc;
    }
    if (end_ns <= start_ns) return OL_OK;

    /* every metric: the names first, since a scan's callback must not call the store */
    ol_ex_names_t ns = {.a = ol_arena_create(16 << 10, 0)};
    if (!ns.a) return OL_NOMEM;
    int rc = ol_store_scan_metric_names(s, ol_ex_name_cb, &ns);
    for (size_t i = 0; i < ns.n && rc == OL_OK && !c.stopped; i++) {
        rc = ol_store_scan_metric(s, ns.v[i], lo, hi, ol_ex_metric_cb, &c);
        if (rc == OL_NOTFOUND) rc = OL_OK; /* dropped since it was listed */
    }
    ol_free(OL_MEM_QUERY, ns.v, ns.cap * sizeof *ns.v);
    ol_arena_destroy(ns.a);
    return rc == OL_STORE_STOP ? OL_OK : rc;
}
