/*
 * traces.c - trace by id (OTLP/JSON) and trace search (summaries).
 *
 * Search scans every trace overlapping the window and keeps the `limit`
 * newest matches in a min-heap keyed by start time, holding only ids; the
 * summaries are then built from a fresh look-up of each kept trace, newest
 * first. A trace matches when one span satisfies every span-level condition
 * (attributes on the span or its resource), as Jaeger defines it. The store
 * may deliver a trace in fragments (head, parts of different flushes): a
 * trace is kept once, under the earliest start among its matching
 * fragments, and its summary is built from the whole trace, read as span
 * briefs (ol_store_trace_briefs: no attributes, and one read of each
 * granule for all the kept traces it holds).
 */
#include <stdlib.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"
#include "query/query_int.h"
#include "store/request.h"

#define OL_Q_TRACE_LIMIT_DEFAULT 20
#define OL_Q_SPAN_ATTRS 9     /* Span.attributes */
#define OL_Q_RESOURCE_ATTRS 1 /* Resource.attributes */

/* ---- trace by id ---- */

typedef struct ol_q_trace_ctx {
    ol_req_builder_t rb;
} ol_q_trace_ctx_t;

static int ol_q_trace_cb(void *ud, const ol_store_trace_t *t)
{
    ol_q_trace_ctx_t *c = ud;
    for (size_t i = 0; i < t->n_spans; i++) ol_req_add(&c->rb, t->spans[i]->origin, t->spans[i]->raw);
    return OL_OK;
}

int ol_query_trace(ol_store_t *s, const uint8_t trace_id[16], ol_buf_t *out)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_QUERY, 0);
    ol_q_trace_ctx_t c;
    ol_req_begin(&c.rb, &pb, OL_REQ_GROUP_BYTES);
    int rc = ol_store_scan_trace(s, trace_id, ol_q_trace_cb, &c);
    if (rc == OL_OK) rc = ol_req_finish(&c.rb);
    if (rc == OL_OK) rc = ol_q_render(&ol_pb_ExportTraceServiceRequest, "resourceSpans", &pb, c.rb.n_items, out);
    ol_buf_free(&pb);
    return rc;
}

/* ---- search ---- */

typedef struct ol_q_hit {
    uint64_t start_ns;
    uint8_t id[16];
} ol_q_hit_t;

/* a is newer than b (ties: smaller id first). */
static bool ol_q_hit_before(const ol_q_hit_t *a, const ol_q_hit_t *b)
{
    if (a->start_ns != b->start_ns) return a->start_ns > b->start_ns;
    return memcmp(a->id, b->id, 16) < 0;
}

static int ol_q_hit_cmp(const void *a, const void *b)
{
    const ol_q_hit_t *x = a, *y = b;
    return ol_q_hit_before(x, y) ? -1 : ol_q_hit_before(y, x) ? 1 : 0;
}

typedef struct ol_q_search_ctx {
    const ol_trace_query_t *q;
    size_t n_attrs;
    ol_buf_t tmp;
    ol_q_hit_t *heap; /* min-heap: root is the oldest kept hit */
    size_t n, limit;
} ol_q_search_ctx_t;

static void ol_q_heap_down(ol_q_hit_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ol_q_hit_before(&h[m], &h[l])) m = l;
        if (r < n && ol_q_hit_before(&h[m], &h[r])) m = r;
        if (m == i) return;
        ol_q_hit_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void ol_q_heap_up(ol_q_hit_t *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ol_q_hit_before(&h[p], &h[i])) break;
        ol_q_hit_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void ol_q_heap_push(ol_q_search_ctx_t *c, const ol_q_hit_t *hit)
{
    for (size_t i = 0; i < c->n; i++) {
        if (memcmp(c->heap[i].id, hit->id, 16) != 0) continue;
        if (hit->start_ns < c->heap[i].start_ns) { /* older: moves toward the root */
            c->heap[i].start_ns = hit->start_ns;
            ol_q_heap_up(c->heap, i);
        }
        return;
    }
    if (c->n < c->limit) {
        size_t i = c->n++;
        c->heap[i] = *hit;
        ol_q_heap_up(c->heap, i);
        return;
    }
    if (!ol_q_hit_before(hit, &c->heap[0])) return;
    c->heap[0] = *hit;
    ol_q_heap_down(c->heap, c->n, 0);
}

static uint64_t ol_q_span_duration(const ol_otlp_span_t *sp)
{
    return sp->end_ns > sp->start_ns ? sp->end_ns - sp->start_ns : 0;
}

static bool ol_q_span_match(ol_q_search_ctx_t *c, const ol_otlp_span_t *sp)
{
    const ol_trace_query_t *q = c->q;
    if (q->service.len && !ol_slice_eq(ol_store_service_of(sp->origin), q->service)) return false;
    if (q->operation.len && !ol_slice_eq(sp->name, q->operation)) return false;
    if (q->status >= 0 && sp->status_code != q->status) return false;
    uint64_t d = ol_q_span_duration(sp);
    if (q->min_duration_ns && d < q->min_duration_ns) return false;
    if (q->max_duration_ns && d > q->max_duration_ns) return false;
    if (!c->n_attrs) return true;
    uint32_t all = OL_Q_ALL(c->n_attrs);
    uint32_t m = ol_q_attr_mask(q->attrs, c->n_attrs, 0, sp->raw, OL_Q_SPAN_ATTRS, &c->tmp);
    if (m != all && sp->origin)
        m = ol_q_attr_mask(q->attrs, c->n_attrs, m, sp->origin->resource, OL_Q_RESOURCE_ATTRS, &c->tmp);
    return m == all;
}

static int ol_q_search_cb(void *ud, const ol_store_trace_t *t)
{
    ol_q_search_ctx_t *c = ud;
    for (size_t i = 0; i < t->n_spans; i++) {
        if (!ol_q_span_match(c, t->spans[i])) continue;
        ol_q_hit_t hit = {.start_ns = t->start_ns};
        memcpy(hit.id, t->trace_id, 16);
        ol_q_heap_push(c, &hit);
        break;
    }
    return OL_OK;
}

static int ol_q_search_hit(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns)
{
    (void)end_ns;
    ol_q_hit_t hit = {.start_ns = start_ns};
    memcpy(hit.id, trace_id, 16);
    ol_q_heap_push(ud, &hit);
    return OL_OK;
}

static int ol_q_slice_qcmp(const void *a, const void *b) { return ol_q_slice_cmp(*(const ol_slice_t *)a, *(const ol_slice_t *)b); }

typedef struct ol_q_summary_ctx {
    ol_buf_t *out;
    bool first;
} ol_q_summary_ctx_t;

static int ol_q_summary_cb(void *ud, const ol_store_trace_brief_t *t)
{
    ol_q_summary_ctx_t *c = ud;
    ol_buf_t *out = c->out;
    const ol_store_span_brief_t *root = NULL;
    uint64_t errors = 0;
    ol_slice_t *svcs = ol_malloc(OL_MEM_QUERY, (t->n_spans ? t->n_spans : 1) * sizeof *svcs);
    if (!svcs) return OL_NOMEM;
    /* The root: the first parentless span in time order, else the first span. */
    for (size_t i = 0; i < t->n_spans; i++) {
        const ol_store_span_brief_t *sp = &t->spans[i];
        if (!root || (!sp->has_parent && root->has_parent)) root = sp;
        errors += sp->status_code == OL_STATUS_ERROR;
        svcs[i] = sp->service;
    }
    qsort(svcs, t->n_spans, sizeof *svcs, ol_q_slice_qcmp);

    ol_buf_append_cstr(out, c->first ? "{\"traceId\":\"" : ",{\"traceId\":\"");
    c->first = false;
    ol_buf_append_hex(out, t->trace_id, 16);
    ol_buf_append_cstr(out, "\",\"rootServiceName\":");
    ol_json_write_string(out, root ? root->service : OL_SLICE_LIT(""));
    ol_buf_append_cstr(out, ",\"rootSpanName\":");
    ol_json_write_string(out, root ? root->name : OL_SLICE_LIT(""));
    ol_buf_append_cstr(out, ",\"startTimeUnixNano\":");
    ol_json_write_u64_str(out, t->start_ns);
    ol_buf_append_cstr(out, ",\"durationNanos\":");
    ol_json_write_u64_str(out, t->end_ns > t->start_ns ? t->end_ns - t->start_ns : 0);
    ol_buf_printf(out, ",\"spanCount\":%zu,\"errorCount\":%llu,\"services\":[", t->n_spans,
                  (unsigned long long)errors);
    for (size_t i = 0; i < t->n_spans; i++) {
        if (i && ol_slice_eq(svcs[i], svcs[i - 1])) continue;
        if (i) ol_buf_append_u8(out, ',');
        ol_json_write_string(out, svcs[i]);
    }
    ol_buf_printf(out, "],\"clockSkew\":%s}", t->clock_skew ? "true" : "false");
    ol_free(OL_MEM_QUERY, svcs, (t->n_spans ? t->n_spans : 1) * sizeof *svcs);
    return OL_OK;
}

int ol_query_traces(ol_store_t *s, const ol_trace_query_t *q, ol_buf_t *out)
{
    ol_q_search_ctx_t c = {.q = q, .n_attrs = OL_MIN(q->n_attrs, (size_t)OL_QUERY_MAX_ATTRS)};
    c.limit = q->limit ? q->limit : OL_Q_TRACE_LIMIT_DEFAULT;
    ol_buf_init(&c.tmp, OL_MEM_QUERY, 0);
    c.heap = ol_malloc(OL_MEM_QUERY, c.limit * sizeof *c.heap);
    if (!c.heap) return OL_NOMEM;
    ol_slice_t keys[OL_QUERY_MAX_ATTRS], values[OL_QUERY_MAX_ATTRS];
    for (size_t i = 0; i < c.n_attrs; i++) {
        keys[i] = q->attrs[i].key;
        values[i] = q->attrs[i].value;
    }
    ol_store_span_filter_t f = {.service = q->service, .name = q->operation, .status = q->status,
                                .min_duration_ns = q->min_duration_ns, .max_duration_ns = q->max_duration_ns,
                                .attr_keys = keys, .attr_values = values, .n_attrs = c.n_attrs};
    int rc = ol_store_search_traces(s, q->start_ns, q->end_ns, &f, ol_q_search_cb, ol_q_search_hit, &c);
    if (rc == OL_OK) {
        qsort(c.heap, c.n, sizeof *c.heap, ol_q_hit_cmp);
        ol_buf_append_cstr(out, "{\"traces\":[");
        ol_q_summary_ctx_t sc = {out, true};
        uint8_t(*ids)[16] = ol_malloc(OL_MEM_QUERY, (c.n ? c.n : 1) * sizeof *ids);
        if (!ids) rc = OL_NOMEM;
        for (size_t i = 0; ids && i < c.n; i++) memcpy(ids[i], c.heap[i].id, 16);
        if (rc == OL_OK) rc = ol_store_trace_briefs(s, (const uint8_t(*)[16])ids, c.n, ol_q_summary_cb, &sc);
        ol_free(OL_MEM_QUERY, ids, (c.n ? c.n : 1) * sizeof *ids);
        ol_buf_append_cstr(out, "]}");
        if (rc == OL_OK) rc = out->err;
    }
    ol_free(OL_MEM_QUERY, c.heap, c.limit * sizeof *c.heap);
    ol_buf_free(&c.tmp);
    return rc;
}
