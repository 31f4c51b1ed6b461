/*
 * otlp.c - Export{Trace,Metrics,Logs}ServiceRequest (protobuf) -> batch of
 * views, as documented in otlp.h.
 *
 * Decoding is two passes over bytes that never get copied:
 *   1. ol_pb_validate() against the request schema: after it succeeds every
 *      known field has the right wire type and every nested message is well
 *      framed, so the walk below cannot run off the buffer (it still checks
 *      each read and fails with OL_CORRUPT rather than trusting that);
 *   2. a count of origins (one per Scope* message) and items, so the arrays
 *      are allocated once from the arena at their exact size, then a fill
 *      that records per-item views and applies the per-item rules.
 *
 * The three signals share their envelope shape: Request.1 is the repeated
 * Resource{Spans,Metrics,Logs}; in it .1 is the Resource, .2 the repeated
 * Scope* and .3 the schema_url; in a Scope*, .1 is the InstrumentationScope,
 * .2 the repeated items and .3 the schema_url. Only the item decoder differs.
 *
 * A non-repeated field that occurs more than once takes its last value, as
 * protobuf specifies for scalars. An 8-byte all-zero parent_span_id means
 * "no parent" and is reported as empty.
 */
#include "codec/otlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"
#include "core/buf.h"
#include "core/util.h"

enum {
    F_REQ_RESOURCE_X = 1,
    F_RX_RESOURCE = 1,
    F_RX_SCOPE_X = 2,
    F_RX_SCHEMA_URL = 3,
    F_SX_SCOPE = 1,
    F_SX_ITEMS = 2,
    F_SX_SCHEMA_URL = 3,
};

const char *ol_signal_name(ol_signal_t s)
{
    switch (s) {
    case OL_SIGNAL_TRACES:
        return "traces";
    case OL_SIGNAL_METRICS:
        return "metrics";
    case OL_SIGNAL_LOGS:
        return "logs";
    }
    return "unknown";
}

const char *ol_metric_type_name(ol_metric_type_t t)
{
    switch (t) {
    case OL_METRIC_GAUGE:
        return "gauge";
    case OL_METRIC_SUM:
        return "sum";
    case OL_METRIC_HISTOGRAM:
        return "histogram";
    case OL_METRIC_EXP_HISTOGRAM:
        return "exponentialHistogram";
    case OL_METRIC_SUMMARY:
        return "summary";
    case OL_METRIC_NONE:
        break;
    }
    return "none";
}

static bool ol_otlp_id_ok(ol_slice_t id, size_t want)
{
    if (id.len != want) return false;
    for (size_t i = 0; i < want; i++)
        if (id.ptr[i]) return true;
    return false;
}

/* ---- attributes ---- */

int ol_otlp_each_attribute(ol_slice_t msg, uint32_t field_number, ol_otlp_kv_fn fn, void *ud)
{
    ol_pb_reader_t r, kr;
    ol_pb_field_value_t f, kf;
    int rc;
    ol_pb_reader_init(&r, msg);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != field_number || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key = OL_SLICE_NULL, value = OL_SLICE_NULL;
        ol_pb_reader_init(&kr, f.bytes);
        while ((rc = ol_pb_next(&kr, &kf)) == OL_OK) {
            if (kf.wire_type != OL_PB_LEN) continue;
            if (kf.number == 1) key = kf.bytes;
            else if (kf.number == 2) value = kf.bytes;
        }
        if (rc != OL_NOTFOUND) return OL_CORRUPT;
        rc = fn(ud, key, value);
        if (rc != OL_OK) return rc;
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

typedef struct {
    ol_slice_t *out;
} ol_otlp_svc_ctx_t;

static int ol_otlp_svc_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_otlp_svc_ctx_t *c = ud;
    if (!ol_slice_eq_cstr(key, "service.name")) return OL_OK;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, any_value);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) *c->out = f.bytes;
    return c->out->ptr ? 1 : OL_OK; /* first string-valued service.name wins */
}

static ol_slice_t ol_otlp_service_name(ol_slice_t resource)
{
    ol_slice_t name = OL_SLICE_NULL;
    ol_otlp_svc_ctx_t c = {&name};
    ol_otlp_each_attribute(resource, 1, ol_otlp_svc_cb, &c);
    if (!name.ptr) name = OL_SLICE_NULL;
    return name;
}

/* ---- AnyValue as text ---- */

void ol_otlp_any_parse(ol_slice_t av, ol_otlp_any_t *out)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    memset(out, 0, sizeof *out);
    ol_pb_reader_init(&r, av);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number < 1 || f.number > 7) continue;
        bool len_kind = f.number == 1 || f.number >= 5;
        uint8_t want = len_kind ? OL_PB_LEN : f.number == 4 ? OL_PB_I64 : OL_PB_VARINT;
        if (f.wire_type != want) continue;
        out->kind = f.number;
        out->u64 = f.u64;
        out->bytes = f.bytes;
    }
}

static void ol_otlp_fmt_double(double d, char out[40])
{
    if (isnan(d)) {
        strcpy(out, "NaN");
        return;
    }
    if (isinf(d)) {
        strcpy(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return;
    }
}

static void ol_otlp_any_json(ol_slice_t av, ol_buf_t *b, int depth);

static void ol_otlp_kvlist_json(ol_slice_t kvl, ol_buf_t *b, int depth)
{
    ol_pb_reader_t r, kr;
    ol_pb_field_value_t f, kf;
    bool first = true;
    ol_buf_append_u8(b, '{');
    ol_pb_reader_init(&r, kvl);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key = OL_SLICE_NULL, value = OL_SLICE_NULL;
        ol_pb_reader_init(&kr, f.bytes);
        while (ol_pb_next(&kr, &kf) == OL_OK) {
            if (kf.wire_type != OL_PB_LEN) continue;
            if (kf.number == 1) key = kf.bytes;
            else if (kf.number == 2) value = kf.bytes;
        }
        if (!first) ol_buf_append_u8(b, ',');
        first = false;
        ol_json_write_string(b, key.ptr ? key : OL_SLICE_LIT(""));
        ol_buf_append_u8(b, ':');
        ol_otlp_any_json(value, b, depth + 1);
    }
    ol_buf_append_u8(b, '}');
}

static void ol_otlp_array_json(ol_slice_t arr, ol_buf_t *b, int depth)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    bool first = true;
    ol_buf_append_u8(b, '[');
    ol_pb_reader_init(&r, arr);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        if (!first) ol_buf_append_u8(b, ',');
        first = false;
        ol_otlp_any_json(f.bytes, b, depth + 1);
    }
    ol_buf_append_u8(b, ']');
}

/* One AnyValue as a compact JSON value (inside arrays and kvlists). */
static void ol_otlp_any_json(ol_slice_t av, ol_buf_t *b, int depth)
{
    ol_otlp_any_t v;
    if (depth > OL_PB_MAX_DEPTH) {
        ol_buf_append_cstr(b, "null");
        return;
    }
    ol_otlp_any_parse(av, &v);
    switch (v.kind) {
    case 1:
        ol_json_write_string(b, v.bytes);
        break;
    case 2:
        ol_buf_append_cstr(b, v.u64 ? "true" : "false");
        break;
    case 3:
        ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64);
        break;
    case 4:
        ol_json_write_double(b, ol_pb_as_double(v.u64));
        break;
    case 5:
        ol_otlp_array_json(v.bytes, b, depth);
        break;
    case 6:
        ol_otlp_kvlist_json(v.bytes, b, depth);
        break;
    case 7:
        ol_buf_append_u8(b, '"');
        ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len);
        ol_buf_append_u8(b, '"');
        break;
    default:
        ol_buf_append_cstr(b, "null");
        break;
    }
}

void ol_otlp_anyvalue_text(ol_slice_t any_value, struct ol_buf *b)
{
    ol_otlp_any_t v;
    char tmp[40];
    ol_otlp_any_parse(any_value, &v);
    switch (v.kind) {
    case 1:
        ol_buf_append_slice(b, v.bytes);
        break;
    case 2:
        ol_buf_append_cstr(b, v.u64 ? "true" : "false");
        break;
    case 3:
        ol_buf_printf(b, "%lld", (long long)(int64_t)v.u64);
        break;
    case 4:
        ol_otlp_fmt_double(ol_pb_as_double(v.u64), tmp);
        ol_buf_append_cstr(b, tmp);
        break;
    case 5:
        ol_otlp_array_json(v.bytes, b, 1);
        break;
    case 6:
        ol_otlp_kvlist_json(v.bytes, b, 1);
        break;
    case 7:
        ol_buf_append_base64(b, v.bytes.ptr, v.bytes.len);
        break;
    default:
        break;
    }
}

/* ---- items ---- */

static void ol_otlp_reject(ol_otlp_batch_t *out, uint64_t n, const char *reason)
{
    out->n_rejected += n;
    if (!out->first_reject_reason) out->first_reject_reason = reason;
}

static int ol_otlp_span_decode(ol_slice_t raw, ol_otlp_span_t *s, ol_otlp_batch_t *out)
{
    ol_pb_reader_t r, sr;
    ol_pb_field_value_t f, sf;
    int rc;
    ol_pb_reader_init(&r, raw);
    s->raw = raw;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.wire_type == OL_PB_LEN) {
            switch (f.number) {
            case 1: s->trace_id = f.bytes; break;
            case 2: s->span_id = f.bytes; break;
            case 4: s->parent_span_id = f.bytes; break;
            case 5: s->name = f.bytes; break;
            case 15:
                s->status_code = 0;
                ol_pb_reader_init(&sr, f.bytes);
                while ((rc = ol_pb_next(&sr, &sf)) == OL_OK)
                    if (sf.number == 3 && sf.wire_type == OL_PB_VARINT) s->status_code = (int32_t)sf.u64;
                if (rc != OL_NOTFOUND) return OL_CORRUPT;
                break;
            default: break;
            }
        } else if (f.wire_type == OL_PB_VARINT && f.number == 6) {
            s->kind = (int32_t)f.u64;
        } else if (f.wire_type == OL_PB_I64) {
            if (f.number == 7) s->start_ns = f.u64;
            else if (f.number == 8) s->end_ns = f.u64;
        }
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;

    s->valid = true;
    if (!ol_otlp_id_ok(s->trace_id, 16)) s->reject_reason = "invalid trace_id (want 16 non-zero bytes)";
    else if (!ol_otlp_id_ok(s->span_id, 8)) s->reject_reason = "invalid span_id (want 8 non-zero bytes)";
    else if (s->parent_span_id.len != 0 && s->parent_span_id.len != 8)
        s->reject_reason = "invalid parent_span_id (want 8 bytes)";
    if (s->reject_reason) {
        s->valid = false;
        ol_otlp_reject(out, 1, s->reject_reason);
    }
    if (s->parent_span_id.len && !ol_otlp_id_ok(s->parent_span_id, 8)) s->parent_span_id = OL_SLICE_NULL;
    out->n_items++;
    return OL_OK;
}

static int ol_otlp_log_decode(ol_slice_t raw, ol_otlp_log_t *l, ol_otlp_batch_t *out)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    int rc;
    ol_pb_reader_init(&r, raw);
    l->raw = raw;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.wire_type == OL_PB_LEN) {
            switch (f.number) {
            case 3: l->severity_text = f.bytes; break;
            case 5: l->body = f.bytes; break;
            case 9: l->trace_id = f.bytes; break;
            case 10: l->span_id = f.bytes; break;
            case 12: l->event_name = f.bytes; break;
            default: break;
            }
        } else if (f.wire_type == OL_PB_VARINT && f.number == 2) {
            l->severity_number = (int32_t)f.u64;
        } else if (f.wire_type == OL_PB_I64) {
            if (f.number == 1) l->time_ns = f.u64;
            else if (f.number == 11) l->observed_ns = f.u64;
        }
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;
    if (!ol_otlp_id_ok(l->trace_id, 16)) {
        l->trace_id = OL_SLICE_NULL;
        l->span_id = OL_SLICE_NULL;
    } else if (!ol_otlp_id_ok(l->span_id, 8)) {
        l->span_id = OL_SLICE_NULL;
    }
    out->n_items++;
    return OL_OK;
}

/* Counts data points (field 1 of every Metric.data message) and their
 * time_unix_nano range (field 3 of every point type). */
static int ol_otlp_points_scan(ol_otlp_metric_t *m)
{
    ol_pb_reader_t r, pr;
    ol_pb_field_value_t f, pf;
    int rc;
    bool any_time = false;
    ol_pb_reader_init(&r, m->data);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        m->n_points++;
        uint64_t t = 0;
        bool has_t = false;
        ol_pb_reader_init(&pr, f.bytes);
        while ((rc = ol_pb_next(&pr, &pf)) == OL_OK)
            if (pf.number == 3 && pf.wire_type == OL_PB_I64) {
                t = pf.u64;
                has_t = true;
            }
        if (rc != OL_NOTFOUND) return OL_CORRUPT;
        if (!has_t) continue;
        if (!any_time || t < m->min_time_ns) m->min_time_ns = t;
        if (!any_time || t > m->max_time_ns) m->max_time_ns = t;
        any_time = true;
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

static int ol_otlp_metric_decode(ol_slice_t raw, ol_otlp_metric_t *m, ol_otlp_batch_t *out)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    int rc;
    ol_pb_reader_init(&r, raw);
    m->raw = raw;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        switch (f.number) {
        case 1: m->name = f.bytes; break;
        case 2: m->description = f.bytes; break;
        case 3: m->unit = f.bytes; break;
        case OL_METRIC_GAUGE:
        case OL_METRIC_SUM:
        case OL_METRIC_HISTOGRAM:
        case OL_METRIC_EXP_HISTOGRAM:
        case OL_METRIC_SUMMARY:
            m->type = (ol_metric_type_t)f.number;
            m->data = f.bytes;
            break;
        default: break;
        }
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;
    if (m->type != OL_METRIC_NONE && ol_otlp_points_scan(m) != OL_OK) return OL_CORRUPT;
    m->valid = m->name.len > 0;
    if (!m->valid) {
        m->reject_reason = "metric without name";
        ol_otlp_reject(out, m->n_points, m->reject_reason);
    }
    out->n_items += m->n_points;
    return OL_OK;
}

/* ---- the envelope walk ---- */

static const ol_pb_msg_t *ol_otlp_root(ol_signal_t sig)
{
    switch (sig) {
    case OL_SIGNAL_TRACES: return &ol_pb_ExportTraceServiceRequest;
    case OL_SIGNAL_METRICS: return &ol_pb_ExportMetricsServiceRequest;
    case OL_SIGNAL_LOGS: return &ol_pb_ExportLogsServiceRequest;
    }
    return NULL;
}

/* Advances r to the next LEN field `number`: OL_OK, OL_NOTFOUND at the end, OL_CORRUPT. */
static int ol_otlp_next_len(ol_pb_reader_t *r, uint32_t number, ol_pb_field_value_t *f)
{
    int rc;
    while ((rc = ol_pb_next(r, f)) == OL_OK)
        if (f->number == number && f->wire_type == OL_PB_LEN) return OL_OK;
    return rc;
}

static int ol_otlp_count(ol_slice_t pb, size_t *n_origins, size_t *n_items)
{
    ol_pb_reader_t r, rr, sr;
    ol_pb_field_value_t rf, sf, itf;
    int rc, rc2, rc3;
    *n_origins = *n_items = 0;
    ol_pb_reader_init(&r, pb);
    while ((rc = ol_otlp_next_len(&r, F_REQ_RESOURCE_X, &rf)) == OL_OK) {
        ol_pb_reader_init(&rr, rf.bytes);
        while ((rc2 = ol_otlp_next_len(&rr, F_RX_SCOPE_X, &sf)) == OL_OK) {
            (*n_origins)++;
            ol_pb_reader_init(&sr, sf.bytes);
            while ((rc3 = ol_otlp_next_len(&sr, F_SX_ITEMS, &itf)) == OL_OK) (*n_items)++;
            if (rc3 != OL_NOTFOUND) return OL_CORRUPT;
        }
        if (rc2 != OL_NOTFOUND) return OL_CORRUPT;
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

static void *ol_otlp_array(ol_arena_t *a, size_t n, size_t size)
{
    if (n == 0) return NULL;
    if (n > SIZE_MAX / size) return NULL;
    return ol_arena_calloc(a, n * size);
}

int ol_otlp_decode(ol_signal_t sig, ol_slice_t pb, ol_arena_t *arena, ol_otlp_batch_t *out, ol_err_t *err)
{
    ol_err_t scratch;
    if (!err) err = &scratch;
    memset(out, 0, sizeof *out);
    out->signal = sig;
    const ol_pb_msg_t *root = ol_otlp_root(sig);
    if (!root) {
        ol_err_set(err, "unknown signal %d", (int)sig);
        return OL_ERR;
    }
    int rc = ol_pb_validate(root, pb, err);
    if (rc != OL_OK) return rc;

    size_t n_origins, n_items;
    if (ol_otlp_count(pb, &n_origins, &n_items) != OL_OK) goto corrupt;
    out->origins = ol_otlp_array(arena, n_origins, sizeof *out->origins);
    size_t item_size = sig == OL_SIGNAL_TRACES ? sizeof(ol_otlp_span_t)
                       : sig == OL_SIGNAL_LOGS ? sizeof(ol_otlp_log_t)
                                               : sizeof(ol_otlp_metric_t);
    void *items = ol_otlp_array(arena, n_items, item_size);
    if ((n_origins && !out->origins) || (n_items && !items)) {
        ol_err_set(err, "request too large: %zu items", n_items);
        memset(out, 0, sizeof *out);
        out->signal = sig;
        return OL_NOMEM;
    }
    if (sig == OL_SIGNAL_TRACES) out->spans = items;
    else if (sig == OL_SIGNAL_LOGS) out->logs = items;
    else out->metrics = items;

    ol_pb_reader_t r, rr, sr;
    ol_pb_field_value_t rf, f, sf, itf;
    int rc2, rc3;
    uint32_t resource_index = 0;
    ol_pb_reader_init(&r, pb);
    while ((rc = ol_otlp_next_len(&r, F_REQ_RESOURCE_X, &rf)) == OL_OK) {
        ol_slice_t resource = OL_SLICE_NULL, resource_schema_url = OL_SLICE_NULL;
        ol_pb_reader_init(&rr, rf.bytes);
        while ((rc2 = ol_pb_next(&rr, &f)) == OL_OK) {
            if (f.wire_type != OL_PB_LEN) continue;
            if (f.number == F_RX_RESOURCE) resource = f.bytes;
            else if (f.number == F_RX_SCHEMA_URL) resource_schema_url = f.bytes;
        }
        if (rc2 != OL_NOTFOUND) goto corrupt;
        ol_slice_t service_name = ol_otlp_service_name(resource);

        ol_pb_reader_init(&rr, rf.bytes);
        while ((rc2 = ol_otlp_next_len(&rr, F_RX_SCOPE_X, &sf)) == OL_OK) {
            if (OL_NEVER(out->n_origins >= n_origins)) goto corrupt;
            ol_otlp_origin_t *o = &out->origins[out->n_origins++];
            o->resource = resource;
            o->resource_schema_url = resource_schema_url;
            o->service_name = service_name;
            o->resource_index = resource_index;
            ol_pb_reader_init(&sr, sf.bytes);
            while ((rc3 = ol_pb_next(&sr, &f)) == OL_OK) {
                if (f.wire_type != OL_PB_LEN) continue;
                if (f.number == F_SX_SCOPE) o->scope = f.bytes;
                else if (f.number == F_SX_SCHEMA_URL) o->scope_schema_url = f.bytes;
            }
            if (rc3 != OL_NOTFOUND) goto corrupt;

            ol_pb_reader_init(&sr, sf.bytes);
            while ((rc3 = ol_otlp_next_len(&sr, F_SX_ITEMS, &itf)) == OL_OK) {
                int irc;
                if (OL_NEVER(out->n_spans + out->n_logs + out->n_metrics >= n_items)) goto corrupt;
                if (sig == OL_SIGNAL_TRACES) {
                    ol_otlp_span_t *s = &out->spans[out->n_spans++];
                    s->origin = o;
                    irc = ol_otlp_span_decode(itf.bytes, s, out);
                } else if (sig == OL_SIGNAL_LOGS) {
                    ol_otlp_log_t *l = &out->logs[out->n_logs++];
                    l->origin = o;
                    irc = ol_otlp_log_decode(itf.bytes, l, out);
                } else {
                    ol_otlp_metric_t *m = &out->metrics[out->n_metrics++];
                    m->origin = o;
                    irc = ol_otlp_metric_decode(itf.bytes, m, out);
                }
                if (irc != OL_OK) goto corrupt;
            }
            if (rc3 != OL_NOTFOUND) goto corrupt;
        }
        if (rc2 != OL_NOTFOUND) goto corrupt;
        resource_index++;
    }
    if (rc != OL_NOTFOUND) goto corrupt;
    return OL_OK;

corrupt:
    memset(out, 0, sizeof *out);
    out->signal = sig;
    ol_err_set(err, "%s: malformed request", root->name);
    return OL_CORRUPT;
}
