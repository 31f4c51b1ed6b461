/*
 * emit.c - the builder of emit.h: collects pre-encoded data points, then
 * writes them as ExportMetricsServiceRequests through the ordinary decode +
 * append path.
 *
 * Every point is encoded when it is added (its attributes, times and value
 * fields; the DataPoint wrapper comes at write time) into one byte buffer
 * that also holds the copied service, metric name, description and unit;
 * entries refer to it by offset, so growing the buffer never invalidates
 * them. At write time the entries are sorted by (service, metric name,
 * type, insertion order) and nested into ResourceMetrics / ScopeMetrics /
 * Metric messages.
 */
#include "pipeline/emit.h"

#include <stdlib.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/log.h"

typedef struct ol_emit_ref {
    size_t off;
    uint32_t len;
} ol_emit_ref_t;

typedef struct ol_emit_entry {
    ol_emit_ref_t service, name, desc, unit, point;
    ol_metric_type_t type;
    uint32_t seq;
    const uint8_t *base; /* filled in for sorting only */
} ol_emit_entry_t;

struct ol_emit {
    ol_buf_t data;
    ol_emit_entry_t *entries;
    size_t n, cap;
    int failed; /* OL_OK or the first add error since the last write */
    uint64_t failed_points;
    ol_emit_stats_t st;
};

int ol_emit_create(ol_emit_t **out)
{
    ol_emit_t *e = ol_calloc(OL_MEM_PIPELINE, 1, sizeof *e);
    *out = e;
    if (!e) return OL_NOMEM;
    ol_buf_init(&e->data, OL_MEM_PIPELINE, 0);
    return OL_OK;
}

void ol_emit_destroy(ol_emit_t *e)
{
    if (!e) return;
    ol_buf_free(&e->data);
    ol_free(OL_MEM_PIPELINE, e->entries, e->cap * sizeof *e->entries);
    ol_free(OL_MEM_PIPELINE, e, sizeof *e);
}

size_t ol_emit_pending(const ol_emit_t *e) { return e->n; }

void ol_emit_stats(const ol_emit_t *e, ol_emit_stats_t *out) { *out = e->st; }

static ol_emit_ref_t ol_emit_copy(ol_emit_t *e, ol_slice_t s)
{
    ol_emit_ref_t r = {e->data.len, (uint32_t)s.len};
    ol_buf_append_slice(&e->data, s);
    return r;
}

static ol_slice_t ol_emit_at(const ol_emit_t *e, ol_emit_ref_t r) { return ol_slice(e->data.data + r.off, r.len); }

static void ol_emit_put_str(ol_buf_t *b, uint32_t field, ol_slice_t s)
{
    if (s.len) ol_pb_put_bytes(b, field, s);
}

/* KeyValue{key, AnyValue{string_value}} as field `field`, with exact
 * lengths (not ol_pb_begin's 5-byte ones): every reader of these points
 * decodes them, so they are kept small. */
static void ol_emit_put_kv(ol_buf_t *b, uint32_t field, ol_slice_t key, ol_slice_t value)
{
    size_t any = 1 + ol_pb_varint_len(value.len) + value.len;
    size_t kv = 1 + ol_pb_varint_len(key.len) + key.len + 1 + ol_pb_varint_len(any) + any;
    ol_pb_put_tag(b, field, OL_PB_LEN);
    ol_pb_put_varint(b, kv);
    ol_pb_put_bytes(b, 1, key);
    ol_pb_put_tag(b, 2, OL_PB_LEN);
    ol_pb_put_varint(b, any);
    ol_pb_put_bytes(b, 1, value);
}

static int ol_emit_fail(ol_emit_t *e, int rc)
{
    if (e->failed == OL_OK) e->failed = rc;
    e->failed_points++;
    e->st.points_failed++;
    e->st.errors++;
    return rc;
}

/* Copies the identity, encodes attributes and times; the caller appends the
 * value fields, then calls ol_emit_end. */
static ol_emit_entry_t *ol_emit_begin(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p,
                                      ol_metric_type_t type)
{
    if (!m || !m->name || p->service.len > UINT32_MAX) return NULL;
    if (ol_grow_array(OL_MEM_PIPELINE, (void **)&e->entries, &e->cap, e->n + 1, sizeof *e->entries)) return NULL;
    ol_emit_entry_t *en = &e->entries[e->n];
    memset(en, 0, sizeof *en);
    en->type = type;
    en->seq = (uint32_t)e->st.points_added;
    en->service = ol_emit_copy(e, p->service);
    en->name = ol_emit_copy(e, ol_slice_cstr(m->name));
    en->desc = ol_emit_copy(e, ol_slice_cstr(m->description));
    en->unit = ol_emit_copy(e, ol_slice_cstr(m->unit));
    en->point.off = e->data.len;
    /* NumberDataPoint.attributes is field 7, ExponentialHistogramDataPoint's 1. */
    uint32_t attr_field = type == OL_METRIC_SUM ? 7 : 1;
    for (size_t i = 0; i < p->n_attrs; i++)
        ol_emit_put_kv(&e->data, attr_field, ol_slice_cstr(p->attrs[i].key), p->attrs[i].value);
    ol_pb_put_fixed64(&e->data, 2, p->start_ns);
    ol_pb_put_fixed64(&e->data, 3, p->end_ns);
    return en;
}

static int ol_emit_end(ol_emit_t *e, ol_emit_entry_t *en)
{
    if (e->data.err) return ol_emit_fail(e, e->data.err);
    size_t len = e->data.len - en->point.off;
    if (len > UINT32_MAX) return ol_emit_fail(e, OL_LIMIT);
    en->point.len = (uint32_t)len;
    e->n++;
    e->st.points_added++;
    return OL_OK;
}

int ol_emit_sum_int(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, int64_t value)
{
    ol_emit_entry_t *en = ol_emit_begin(e, m, p, OL_METRIC_SUM);
    if (!en) return ol_emit_fail(e, OL_NOMEM);
    ol_pb_put_fixed64(&e->data, 6, (uint64_t)value);
    return ol_emit_end(e, en);
}

int ol_emit_sum_double(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, double value)
{
    ol_emit_entry_t *en = ol_emit_begin(e, m, p, OL_METRIC_SUM);
    if (!en) return ol_emit_fail(e, OL_NOMEM);
    ol_pb_put_double(&e->data, 4, value);
    return ol_emit_end(e, en);
}

int ol_emit_exp_histogram(ol_emit_t *e, const ol_emit_metric_t *m, const ol_emit_point_t *p, const ol_sketch_t *s)
{
    ol_emit_entry_t *en = ol_emit_begin(e, m, p, OL_METRIC_EXP_HISTOGRAM);
    if (!en) return ol_emit_fail(e, OL_NOMEM);
    ol_sketch_encode(s, &e->data);
    return ol_emit_end(e, en);
}

/* ---- encoding ---- */

static int ol_emit_slice_cmp(ol_slice_t a, ol_slice_t b)
{
    int c = memcmp(a.ptr, b.ptr, OL_MIN(a.len, b.len));
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int ol_emit_entry_cmp(const void *pa, const void *pb)
{
    const ol_emit_entry_t *a = pa, *b = pb;
    int c = ol_emit_slice_cmp(ol_slice(a->base + a->service.off, a->service.len),
                              ol_slice(b->base + b->service.off, b->service.len));
    if (c) return c;
    c = ol_emit_slice_cmp(ol_slice(a->base + a->name.off, a->name.len), ol_slice(b->base + b->name.off, b->name.len));
    if (c) return c;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void ol_emit_sort(ol_emit_t *e)
{
    for (size_t i = 0; i < e->n; i++) e->entries[i].base = e->data.data;
    if (e->n > 1) qsort(e->entries, e->n, sizeof *e->entries, ol_emit_entry_cmp);
}

static bool ol_emit_same_service(const ol_emit_t *e, const ol_emit_entry_t *a, const ol_emit_entry_t *b)
{
    return ol_slice_eq(ol_emit_at(e, a->service), ol_emit_at(e, b->service));
}

static bool ol_emit_same_metric(const ol_emit_t *e, const ol_emit_entry_t *a, const ol_emit_entry_t *b)
{
    return a->type == b->type && ol_slice_eq(ol_emit_at(e, a->name), ol_emit_at(e, b->name));
}

/* Encodes sorted entries from index i into one request in out, stopping after
 * the point that takes out past `limit`; returns the next index. */
static size_t ol_emit_encode_from(const ol_emit_t *e, size_t i, size_t limit, ol_buf_t *out)
{
    while (i < e->n) {
        const ol_emit_entry_t *r0 = &e->entries[i];
        size_t rm = ol_pb_begin(out, 1);
        size_t res = ol_pb_begin(out, 1);
        ol_slice_t svc = ol_emit_at(e, r0->service);
        if (svc.len) ol_emit_put_kv(out, 1, OL_SLICE_LIT("service.name"), svc);
        ol_pb_end(out, res);
        size_t sm = ol_pb_begin(out, 2);
        size_t scope = ol_pb_begin(out, 1);
        ol_pb_put_bytes(out, 1, OL_SLICE_LIT(OL_EMIT_SCOPE));
        ol_pb_put_bytes(out, 2, OL_SLICE_LIT(OL_VERSION));
        ol_pb_end(out, scope);
        bool full = false;
        while (i < e->n && ol_emit_same_service(e, r0, &e->entries[i]) && !full) {
            const ol_emit_entry_t *m0 = &e->entries[i];
            size_t m = ol_pb_begin(out, 2);
            ol_pb_put_bytes(out, 1, ol_emit_at(e, m0->name));
            ol_emit_put_str(out, 2, ol_emit_at(e, m0->desc));
            ol_emit_put_str(out, 3, ol_emit_at(e, m0->unit));
            size_t d = ol_pb_begin(out, (uint32_t)m0->type);
            while (i < e->n && ol_emit_same_service(e, r0, &e->entries[i]) && ol_emit_same_metric(e, m0, &e->entries[i])) {
                ol_pb_put_bytes(out, 1, ol_emit_at(e, e->entries[i].point));
                i++;
                if (out->len >= limit) {
                    full = true;
                    break;
                }
            }
            ol_pb_put_uint(out, 2, 1); /* AGGREGATION_TEMPORALITY_DELTA */
            if (m0->type == OL_METRIC_SUM) ol_pb_put_uint(out, 3, 1); /* is_monotonic */
            ol_pb_end(out, d);
            ol_pb_end(out, m);
        }
        ol_pb_end(out, sm);
        ol_pb_end(out, rm);
        if (full) break;
    }
    return i;
}

int ol_emit_encode(ol_emit_t *e, ol_buf_t *out)
{
    ol_emit_sort(e);
    ol_emit_encode_from(e, 0, SIZE_MAX, out);
    return out->err;
}

static void ol_emit_clear(ol_emit_t *e)
{
    e->n = 0;
    e->failed = OL_OK;
    e->failed_points = 0;
    ol_buf_reset(&e->data);
}

int ol_emit_write(ol_emit_t *e, ol_store_t *store, ol_err_t *err)
{
    ol_err_t local;
    if (!err) err = &local;
    if (e->failed != OL_OK) {
        int rc = e->failed;
        ol_err_set(err, "emit: %zu points lost earlier: %s", (size_t)e->failed_points, ol_rc_str(rc));
        e->st.points_failed += e->n;
        e->st.errors++;
        ol_emit_clear(e);
        return rc;
    }
    if (!e->n) return OL_OK;
    ol_emit_sort(e);
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_PIPELINE, 0);
    ol_arena_t *a = NULL;
    int rc = OL_OK;
    size_t i = 0;
    while (i < e->n) {
        ol_buf_reset(&req);
        size_t next = ol_emit_encode_from(e, i, OL_EMIT_REQUEST_BYTES, &req);
        if (req.err) {
            rc = req.err;
            ol_err_set(err, "emit: encoding: %s", ol_rc_str(rc));
            break;
        }
        if (!a) a = ol_arena_create(1u << 16, 0);
        else ol_arena_reset(a);
        if (!a) {
            rc = OL_NOMEM;
            ol_err_set(err, "emit: no memory");
            break;
        }
        ol_otlp_batch_t batch;
        rc = ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&req), a, &batch, err);
        if (rc == OL_OK && (batch.n_rejected || batch.n_items != next - i)) {
            ol_err_set(err, "emit: decoded %llu points of %zu, %llu rejected (%s)", (unsigned long long)batch.n_items,
                       next - i, (unsigned long long)batch.n_rejected,
                       batch.first_reject_reason ? batch.first_reject_reason : "-");
            rc = OL_CORRUPT;
        }
        if (rc != OL_OK) break;
        ol_store_append_result_t res = {0};
        rc = ol_store_append(store, &batch, &res);
        if (rc != OL_OK) {
            ol_err_set(err, "emit: store append: %s", ol_rc_str(rc));
            break;
        }
        e->st.points_written += next - i;
        e->st.requests++;
        i = next;
    }
    if (rc != OL_OK) {
        e->st.points_failed += e->n - i;
        e->st.errors++;
        ol_warn("emit: %zu points not written: %s", e->n - i, err->msg);
    }
    ol_arena_destroy(a);
    ol_buf_free(&req);
    ol_emit_clear(e);
    return rc;
}

bool ol_emit_is_ours(ol_slice_t scope)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, scope);
    ol_slice_t name = OL_SLICE_NULL;
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) name = f.bytes;
    return ol_slice_eq_cstr(name, OL_EMIT_SCOPE);
}
