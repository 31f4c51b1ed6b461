/*
 * table_traces.c - otel_traces: one row per stored span, as the exporter's
 * pushTraceData writes it (docs/sql-tables.md lists every column).
 *
 * Two ways to read the spans, with the same rows:
 *
 * Columns (ol_store_scan_span_cols, store/scan_cols.h), whenever no column
 * needs a span's whole attribute list (SpanAttributes, SpanAttributeItems).
 * Spans still in memory come as traces (below); a part hands over, granule
 * by granule, only the columns the query reads: start, duration, name,
 * kind, status, ids, trace state, events, links, the resource + scope index,
 * and for SpanAttributes['k'] with a constant key that key's values (its
 * a:<key> / r:<key> columns). Granules outside the time window are not read;
 * with a service filter, parts and granules without a resource of those
 * services are not read either (each resource's ServiceName is worked out
 * once per part, as the rows show it).
 *
 * Traces (ol_store_scan_traces) otherwise, and for spans still in memory:
 * traces overlapping the window, once per place that holds some of their
 * spans (the head, each part), each time with the spans found there. A span
 * is stored in one place, so delivering every span of every fragment gives
 * each row once. The exception is the store's own: a span re-sent after its
 * first copy was flushed is held twice until a merge folds the two copies,
 * and comes twice here too (docs/sql-tables.md). What the decoder hands out
 * (ids, name, kind, times, status code) is used as is; the other fields
 * (trace state, status message, attributes, events, links) are read from the
 * span's encoded bytes, each only when a column or key needs it.
 *
 * Either way, rows whose start lies outside the window, or whose service is
 * not one the scan asks for, are dropped before anything is rendered, and
 * rows_scanned counts the rows inside the window.
 */
#include <stdio.h>

#include "core/util.h"
#include "pipeline/semconv.h"
#include "sql/table_int.h"
#include "store/scan_cols.h"

enum {
    F_SPAN_TRACE_STATE = 3,
    F_SPAN_ATTRIBUTES = 9,
    F_SPAN_EVENTS = 11,
    F_SPAN_LINKS = 13,
    F_SPAN_STATUS = 15,
    F_STATUS_MESSAGE = 2,
    F_EVENT_TIME = 1,
    F_EVENT_NAME = 2,
    F_EVENT_ATTRIBUTES = 3,
    F_LINK_TRACE_ID = 1,
    F_LINK_SPAN_ID = 2,
    F_LINK_TRACE_STATE = 3,
    F_LINK_ATTRIBUTES = 4,
};

/* The column of field f if it is filled, else -1. */
static int col_on(const ol_sql_tb_t *b, ol_sql_field_t f)
{
    int c = b->field_col[f];
    return c >= 0 && b->cols[c].on ? c : -1;
}

/* Events.* of the span. */
static void span_events(ol_sql_tb_t *b, ol_slice_t raw)
{
    int ct = col_on(b, OL_SQL_F_EV_TIME), cn = col_on(b, OL_SQL_F_EV_NAME), ca = col_on(b, OL_SQL_F_EV_ATTRS);
    if (ct < 0 && cn < 0 && ca < 0) return;
    ol_pb_reader_t r, er;
    ol_pb_field_value_t f, ef;
    ol_pb_reader_init(&r, raw);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_SPAN_EVENTS || f.wire_type != OL_PB_LEN) continue;
        uint64_t t = 0;
        ol_slice_t name = OL_SLICE_LIT("");
        ol_pb_reader_init(&er, f.bytes);
        while (ol_pb_next(&er, &ef) == OL_OK) {
            if (ef.number == F_EVENT_TIME && ef.wire_type == OL_PB_I64) t = ef.u64;
            else if (ef.number == F_EVENT_NAME && ef.wire_type == OL_PB_LEN) name = ef.bytes;
        }
        if (ct >= 0) ol_sql_tb_arr_push_i(b, ct, (int64_t)t);
        if (cn >= 0) ol_sql_tb_arr_push_s(b, cn, ol_sql_tb_dup(b, name));
        if (ca >= 0) ol_sql_tb_amap_kvs(b, ca, f.bytes, F_EVENT_ATTRIBUTES);
    }
    if (ct >= 0) ol_sql_tb_arr_end(b, ct);
    if (cn >= 0) ol_sql_tb_arr_end(b, cn);
    if (ca >= 0) ol_sql_tb_arr_end(b, ca);
}

/* Links.* of the span. */
static void span_links(ol_sql_tb_t *b, ol_slice_t raw)
{
    int ct = col_on(b, OL_SQL_F_LN_TRACE), cs = col_on(b, OL_SQL_F_LN_SPAN), cst = col_on(b, OL_SQL_F_LN_STATE),
        ca = col_on(b, OL_SQL_F_LN_ATTRS);
    if (ct < 0 && cs < 0 && cst < 0 && ca < 0) return;
    ol_pb_reader_t r, lr;
    ol_pb_field_value_t f, lf;
    ol_pb_reader_init(&r, raw);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != F_SPAN_LINKS || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t tid = OL_SLICE_NULL, sid = OL_SLICE_NULL, state = OL_SLICE_LIT("");
        ol_pb_reader_init(&lr, f.bytes);
        while (ol_pb_next(&lr, &lf) == OL_OK) {
            if (lf.wire_type != OL_PB_LEN) continue;
            if (lf.number == F_LINK_TRACE_ID) tid = lf.bytes;
            else if (lf.number == F_LINK_SPAN_ID) sid = lf.bytes;
            else if (lf.number == F_LINK_TRACE_STATE) state = lf.bytes;
        }
        if (ct >= 0) ol_sql_tb_arr_push_s(b, ct, ol_sql_tb_hex_or_empty(b, tid));
        if (cs >= 0) ol_sql_tb_arr_push_s(b, cs, ol_sql_tb_hex_or_empty(b, sid));
        if (cst >= 0) ol_sql_tb_arr_push_s(b, cst, ol_sql_tb_dup(b, state));
        if (ca >= 0) ol_sql_tb_amap_kvs(b, ca, f.bytes, F_LINK_ATTRIBUTES);
    }
    if (ct >= 0) ol_sql_tb_arr_end(b, ct);
    if (cs >= 0) ol_sql_tb_arr_end(b, cs);
    if (cst >= 0) ol_sql_tb_arr_end(b, cst);
    if (ca >= 0) ol_sql_tb_arr_end(b, ca);
}

/* Row of span sp, whose origin renders as o. */
static int span_row(ol_sql_tb_t *b, const ol_otlp_span_t *sp, const ol_sql_orow_t *o)
{
    ol_slice_t trace_state = OL_SLICE_LIT(""), status = OL_SLICE_NULL;
    if (b->need_field[OL_SQL_F_TRACE_STATE] || b->need_field[OL_SQL_F_STATUS_MSG]) {
        ol_pb_reader_t r;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&r, sp->raw);
        while (ol_pb_next(&r, &f) == OL_OK) {
            if (f.wire_type != OL_PB_LEN) continue;
            if (f.number == F_SPAN_TRACE_STATE) trace_state = f.bytes;
            else if (f.number == F_SPAN_STATUS) status = f.bytes;
        }
    }
    for (uint32_t i = 0; i < b->t->n_cols; i++) {
        int c = (int)i;
        if (!b->cols[c].on || ol_sql_tb_origin_col(b, c, o)) continue;
        switch (b->src[c].field) {
        case OL_SQL_F_SPAN_TIME: ol_sql_tb_set_i(b, c, (int64_t)sp->start_ns); break;
        case OL_SQL_F_TRACE_ID: ol_sql_tb_set_s(b, c, ol_sql_tb_hex_or_empty(b, sp->trace_id)); break;
        case OL_SQL_F_SPAN_ID: ol_sql_tb_set_s(b, c, ol_sql_tb_hex_or_empty(b, sp->span_id)); break;
        case OL_SQL_F_PARENT_ID: ol_sql_tb_set_s(b, c, ol_sql_tb_hex_or_empty(b, sp->parent_span_id)); break;
        case OL_SQL_F_TRACE_STATE: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, trace_state)); break;
        case OL_SQL_F_SPAN_NAME: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, sp->name)); break;
        case OL_SQL_F_SPAN_KIND: ol_sql_tb_set_s(b, c, ol_slice_cstr(ol_sql_span_kind_str(sp->kind))); break;
        case OL_SQL_F_DURATION: ol_sql_tb_set_i(b, c, (int64_t)(sp->end_ns - sp->start_ns)); break;
        case OL_SQL_F_STATUS_CODE: ol_sql_tb_set_s(b, c, ol_slice_cstr(ol_sql_status_code_str(sp->status_code))); break;
        case OL_SQL_F_STATUS_MSG:
            ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, ol_sql_pb_last_len(status, F_STATUS_MESSAGE)));
            break;
        default: break; /* attributes, events and links below */
        }
    }
    ol_sql_tb_origin_keys(b, o);
    if (b->need_field[OL_SQL_F_SPAN_ATTRS] || b->need_field[OL_SQL_F_SPAN_ITEMS])
        ol_sql_tb_row_attrs(b, sp->raw, F_SPAN_ATTRIBUTES, OL_SQL_F_SPAN_ATTRS, col_on(b, OL_SQL_F_SPAN_ITEMS));
    span_events(b, sp->raw);
    span_links(b, sp->raw);
    return ol_sql_tb_row_done(b);
}

static int trace_cb(void *ud, const ol_store_trace_t *t)
{
    ol_sql_tb_t *b = ud;
    b->epoch++; /* the previous callback's origins are gone */
    for (size_t i = 0; i < t->n_spans; i++) {
        const ol_otlp_span_t *sp = t->spans[i];
        b->scan->rows_scanned++;
        b->scan->bytes_scanned += sp->raw.len;
        if (!ol_sql_tb_in_time(b, sp->start_ns)) continue;
        const ol_sql_orow_t *o = ol_sql_tb_origin(b, sp->origin);
        if (!o) return b->rc;
        if (!o->svc_ok) continue;
        int rc = span_row(b, sp, o);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

/* ---- from part columns ---- */

/* What the column path keeps for the scan. */
typedef struct tcols {
    ol_sql_tb_t *b;
    int *cols;               /* filled columns other than the origin's */
    size_t n_cols;
    int *ocols;              /* filled columns of the origin (service, resource, scope) */
    size_t n_ocols;
    bool origin;             /* rows need their origin */
    bool origin_keys;        /* some scan key is on the resource or scope map */
    size_t *key_slot;        /* per scan key: its index in the request's keys, or SIZE_MAX */
    ol_slice_t *req_keys;
    size_t n_req_keys;
    ol_slice_t kind_s[256];  /* SpanKind of each stored kind */
    ol_slice_t status_s[4];  /* StatusCode of codes 0..3 */
    /* Origin rows by origin index, one cache per reader of the scan
     * (ol_span_cols_t.part: a part and the slot decoding it, whose origin
     * indexes keep their meaning while it reads that part; granules take
     * turns among a few slots, and each slot reads the parts in order) */
    struct tcols_oc {
        uint32_t part;
        bool used;
        uint64_t gen;        /* the origin rows (ol_sql_tb_t.origin_gen) it points to */
        const ol_sql_orow_t **oc;
        size_t cap;
    } occ[8], *cur;
    unsigned occ_next;
    uint64_t nc_epoch;       /* the batch the name cache belongs to */
    const ol_slice_t *nc_dict; /* the names the cache belongs to (NULL: none yet this granule) */
    ol_slice_t *nc;          /* per name id: its copy in the batch, .ptr NULL until made */
    size_t nc_cap;
    uint64_t hc_epoch;       /* the batch the head origin cache belongs to */
    const ol_otlp_origin_t **hc_key; /* head origins (stable while the heads are read) -> their rows */
    const ol_sql_orow_t **hc_row;
    size_t hc_cap, hc_n;
    uint32_t *sel;           /* cols_cb: the granule rows of the chunk being filled */
    const ol_sql_orow_t **sel_o; /* and their origins' rows */
    uint32_t sel_cap;
} tcols_t;

/* The one check point for read-time semantic-convention normalisation
 * (pipeline/semconv.h): SpanAttributes['key'] is read from a part's columns
 * only when normalisation cannot change that key's value; otherwise the
 * scan takes the span path, where ol_sql_tb_row_attrs normalises. */
static bool key_by_columns(const ol_sql_tb_t *b, ol_slice_t key)
{
    return !b->scan->semconv || !ol_semconv_key_affected(key);
}

/* Whether the scan can read parts by columns: no column needs a span's
 * whole attribute list. */
static bool cols_possible(const ol_sql_tb_t *b)
{
    if (col_on(b, OL_SQL_F_SPAN_ATTRS) >= 0 || col_on(b, OL_SQL_F_SPAN_ITEMS) >= 0) return false;
    for (size_t k = 0; k < b->scan->n_keys; k++)
        if (b->key_field[k] == OL_SQL_F_SPAN_ATTRS && !key_by_columns(b, b->scan->keys[k].key)) return false;
    return true;
}

/* Key and value of an encoded KeyValue, the last of each (table.c's reading). */
static void kv_last(ol_slice_t kv, ol_slice_t *key, ol_slice_t *value)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    *key = OL_SLICE_LIT("");
    *value = OL_SLICE_NULL;
    ol_pb_reader_init(&r, kv);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type != OL_PB_LEN) continue;
        if (f.number == 1) *key = f.bytes;
        else if (f.number == 2) *value = f.bytes;
    }
}

/* Whether rows of this resource can be of a service the scan asks for: its
 * ServiceName as the rows show it, AsString of the first service.name
 * (rendered as ol_sql_tb_any renders it, but into memory of its own: the
 * store may call this from its decoding thread while rows are built). */
static bool keep_resource(void *ud, ol_slice_t resource)
{
    const tcols_t *x = ud;
    const ol_sql_scan_t *scan = x->b->scan;
    ol_slice_t av = OL_SLICE_NULL;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, resource);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        ol_slice_t key, value;
        kv_last(f.bytes, &key, &value);
        if (ol_slice_eq_cstr(key, "service.name")) {
            av = value;
            break;
        }
    }
    ol_otlp_any_t v;
    ol_otlp_any_parse(av, &v);
    ol_buf_t tmp;
    ol_buf_init(&tmp, OL_MEM_QUERY, 0);
    char num[24];
    ol_slice_t service = OL_SLICE_LIT("");
    if (v.kind == 1) {
        service = v.bytes;
    } else if (v.kind == 2) {
        service = v.u64 ? OL_SLICE_LIT("true") : OL_SLICE_LIT("false");
    } else if (v.kind == 3) {
        int k = snprintf(num, sizeof num, "%lld", (long long)v.u64);
        service = ol_slice(num, (size_t)k);
    } else if (v.kind != 0) {
        ol_sql_go_as_string(av, &tmp);
        if (tmp.err) {
            ol_buf_free(&tmp);
            return true;
        }
        service = ol_buf_slice(&tmp);
    }
    bool keep = false;
    for (size_t i = 0; i < scan->n_services && !keep; i++) keep = ol_slice_eq(service, scan->services[i]);
    ol_buf_free(&tmp);
    return keep;
}

/* The rendering of one attribute value, as ol_sql_tb_any gives it. */
static ol_slice_t value_str(ol_sql_tb_t *b, const ol_span_value_t *v)
{
    uint8_t av[16];
    size_t k = 0;
    uint64_t u = v->u;
    switch (v->type) {
    case OL_SPAN_V_STRING: return ol_sql_tb_dup(b, v->s);
    case OL_SPAN_V_BOOL: return u ? OL_SLICE_LIT("true") : OL_SLICE_LIT("false");
    case OL_SPAN_V_ANY: return ol_sql_tb_any(b, v->s);
    case OL_SPAN_V_INT:
        av[k++] = 0x18;
        while (u >= 0x80) av[k++] = (uint8_t)(u | 0x80), u >>= 7;
        av[k++] = (uint8_t)u;
        return ol_sql_tb_any(b, ol_slice(av, k));
    case OL_SPAN_V_DOUBLE:
        av[k++] = 0x21;
        ol_store_le64(av + k, u);
        return ol_sql_tb_any(b, ol_slice(av, k + 8));
    default: return OL_SLICE_LIT("");
    }
}

static const ol_sql_orow_t *cols_origin(tcols_t *x, const ol_span_cols_t *c, uint32_t idx)
{
    ol_sql_tb_t *b = x->b;
    struct tcols_oc *o = x->cur;
    if (o->gen != b->origin_gen) {
        if (o->oc) memset(o->oc, 0, o->cap * sizeof *o->oc);
        o->gen = b->origin_gen;
    }
    if (idx >= o->cap) {
        size_t old = o->cap;
        if (ol_grow_array(OL_MEM_QUERY, (void **)&o->oc, &o->cap, (size_t)idx + 1, sizeof *o->oc) != OL_OK) {
            b->rc = OL_NOMEM;
            return NULL;
        }
        memset(o->oc + old, 0, (o->cap - old) * sizeof *o->oc);
    }
    if (!o->oc[idx]) o->oc[idx] = ol_sql_tb_origin(b, &c->origins[idx]);
    return o->oc[idx];
}

static ol_slice_t cols_name(tcols_t *x, const ol_span_cols_t *c, uint32_t id)
{
    ol_sql_tb_t *b = x->b;
    if (x->nc_epoch != b->epoch || x->nc_dict != c->names) {
        if (c->n_names > x->nc_cap) {
            ol_free(OL_MEM_QUERY, x->nc, x->nc_cap * sizeof *x->nc);
            x->nc_cap = 0;
            x->nc = ol_malloc(OL_MEM_QUERY, c->n_names * sizeof *x->nc);
            if (!x->nc) {
                b->rc = OL_NOMEM;
                return OL_SLICE_LIT("");
            }
            x->nc_cap = c->n_names;
        }
        memset(x->nc, 0, c->n_names * sizeof *x->nc);
        x->nc_epoch = b->epoch;
        x->nc_dict = c->names;
    }
    if (!x->nc[id].ptr) x->nc[id] = ol_sql_tb_dup(b, c->names[id]);
    return x->nc[id];
}

/* Rows per chunk when a row may bring strings of any length (attribute
 * values, status messages, trace states, events, links): the batch's soft
 * size is checked between chunks. */
#define CHUNK_VARIABLE 64

/* A granule's rows go into the batch a chunk at a time: first the rows of
 * the chunk (in the window, of a wanted service) and their origins, then
 * each column for all of them in one loop. */
static int cols_cb(void *ud, const ol_span_cols_t *c)
{
    tcols_t *x = ud;
    ol_sql_tb_t *b = x->b;
    b->scan->bytes_scanned += c->bytes;
    x->nc_dict = NULL; /* a new granule's names (its dictionary may sit where the last one did) */
    if (!x->cur || x->cur->part != c->part) { /* another reader: its origin indexes mean other origins */
        size_t n_occ = sizeof x->occ / sizeof *x->occ;
        x->cur = NULL;
        for (size_t i = 0; i < n_occ && !x->cur; i++)
            if (x->occ[i].used && x->occ[i].part == c->part) x->cur = &x->occ[i];
        if (!x->cur) {
            x->cur = &x->occ[x->occ_next++ % n_occ];
            if (x->cur->oc) memset(x->cur->oc, 0, x->cur->cap * sizeof *x->cur->oc);
            x->cur->part = c->part;
            x->cur->used = true;
            x->cur->gen = b->origin_gen;
        }
    }
    if (x->sel_cap < b->cap) {
        ol_free(OL_MEM_QUERY, x->sel, x->sel_cap * sizeof *x->sel);
        ol_free(OL_MEM_QUERY, x->sel_o, x->sel_cap * sizeof *x->sel_o);
        x->sel_cap = 0;
        x->sel = ol_malloc(OL_MEM_QUERY, b->cap * sizeof *x->sel);
        x->sel_o = ol_malloc(OL_MEM_QUERY, b->cap * sizeof *x->sel_o);
        if (!x->sel || !x->sel_o) return OL_NOMEM;
        x->sel_cap = b->cap;
    }
    bool variable = b->scan->n_keys || c->events || c->links || c->status_msg || c->trace_state;
    size_t i = 0;
    while (i < c->n) {
        uint32_t room = b->cap - b->n, m = 0, base = b->n;
        if (variable && room > CHUNK_VARIABLE) room = CHUNK_VARIABLE;
        for (; i < c->n && m < room; i++) {
            if (c->start_ns && !ol_sql_tb_in_time(b, c->start_ns[i])) continue;
            b->scan->rows_scanned++;
            const ol_sql_orow_t *o = NULL;
            if (x->origin) {
                uint32_t oi = c->origin[i];
                o = x->cur->gen == b->origin_gen && oi < x->cur->cap ? x->cur->oc[oi] : NULL;
                if (!o && !(o = cols_origin(x, c, oi))) return b->rc;
                if (!o->svc_ok) continue;
            }
            x->sel[m] = (uint32_t)i;
            x->sel_o[m++] = o;
        }
        if (!m) break;
        const uint32_t *sel = x->sel;
        for (size_t j = 0; j < x->n_ocols; j++) {
            int col = x->ocols[j];
            if (b->src[col].field == OL_SQL_F_SERVICE) {
                for (uint32_t t = 0; t < m; t++) b->cols[col].s[base + t] = x->sel_o[t]->service;
                continue;
            }
            for (uint32_t t = 0; t < m; t++) {
                b->n = base + t;
                ol_sql_tb_origin_col(b, col, x->sel_o[t]);
            }
        }
        if (x->origin_keys) {
            for (uint32_t t = 0; t < m; t++) {
                b->n = base + t;
                ol_sql_tb_origin_keys(b, x->sel_o[t]);
            }
        }
        for (size_t j = 0; j < x->n_cols; j++) {
            int col = x->cols[j];
            int64_t *iv = b->cols[col].i ? b->cols[col].i + base : NULL;
            ol_slice_t *sv = b->cols[col].s ? b->cols[col].s + base : NULL;
            switch (b->src[col].field) {
            case OL_SQL_F_SPAN_TIME:
                for (uint32_t t = 0; t < m; t++) iv[t] = (int64_t)c->start_ns[sel[t]];
                break;
            case OL_SQL_F_DURATION:
                for (uint32_t t = 0; t < m; t++) iv[t] = c->dur_ns[sel[t]];
                break;
            case OL_SQL_F_TRACE_ID:
                for (uint32_t t = 0; t < m; t++) sv[t] = ol_sql_tb_hex_or_empty(b, ol_slice(c->trace_id + 16 * (size_t)sel[t], 16));
                break;
            case OL_SQL_F_SPAN_ID:
                for (uint32_t t = 0; t < m; t++) sv[t] = ol_sql_tb_hex_or_empty(b, ol_slice(c->span_id + 8 * (size_t)sel[t], 8));
                break;
            case OL_SQL_F_PARENT_ID:
                for (uint32_t t = 0; t < m; t++) {
                    const uint8_t *pid = c->parent[sel[t]];
                    sv[t] = pid ? ol_sql_tb_hex_or_empty(b, ol_slice(pid, 8)) : OL_SLICE_LIT("");
                }
                break;
            case OL_SQL_F_TRACE_STATE:
                for (uint32_t t = 0; t < m; t++) sv[t] = ol_sql_tb_dup(b, c->trace_state[sel[t]]);
                break;
            case OL_SQL_F_SPAN_NAME:
                for (uint32_t t = 0; t < m; t++) sv[t] = cols_name(x, c, c->name[sel[t]]);
                break;
            case OL_SQL_F_SPAN_KIND:
                for (uint32_t t = 0; t < m; t++) sv[t] = x->kind_s[c->kind[sel[t]]];
                break;
            case OL_SQL_F_STATUS_CODE:
                for (uint32_t t = 0; t < m; t++) {
                    int32_t st = c->status[sel[t]];
                    sv[t] = (uint32_t)st < 4 ? x->status_s[st] : ol_slice_cstr(ol_sql_status_code_str(st));
                }
                break;
            case OL_SQL_F_STATUS_MSG:
                for (uint32_t t = 0; t < m; t++) sv[t] = ol_sql_tb_dup(b, c->status_msg[sel[t]]);
                break;
            default: break; /* events and links below */
            }
        }
        for (size_t k = 0; k < b->scan->n_keys; k++) {
            if (x->key_slot[k] == SIZE_MAX) continue;
            const ol_span_value_t *vals = c->values[x->key_slot[k]];
            for (uint32_t t = 0; t < m; t++) b->keys[k].s[base + t] = value_str(b, &vals[sel[t]]);
        }
        if (c->events || c->links) {
            for (uint32_t t = 0; t < m; t++) {
                b->n = base + t;
                if (c->events) span_events(b, c->events[sel[t]]);
                if (c->links) span_links(b, c->links[sel[t]]);
            }
        }
        b->n = base;
        int rc = ol_sql_tb_rows_done(b, m);
        if (rc != OL_OK) return rc;
    }
    return b->rc;
}

/* The row of a head span's origin. The heads are read under the store's
 * lock, so an origin's address names it for the whole of their reading:
 * spans of one origin find its row by address, not by hashing its bytes as
 * ol_sql_tb_origin does (valid until the batch is handed over). */
static const ol_sql_orow_t *head_origin(tcols_t *x, const ol_otlp_origin_t *o)
{
    ol_sql_tb_t *b = x->b;
    if (x->hc_epoch != b->epoch) {
        if (x->hc_key) memset(x->hc_key, 0, x->hc_cap * sizeof *x->hc_key);
        x->hc_n = 0;
        x->hc_epoch = b->epoch;
    }
    if (!o) return ol_sql_tb_origin(b, o);
    if ((x->hc_n + 1) * 2 > x->hc_cap) {
        size_t cap = x->hc_cap ? x->hc_cap * 2 : 256;
        const ol_otlp_origin_t **k = ol_calloc(OL_MEM_QUERY, cap, sizeof *k);
        const ol_sql_orow_t **v = ol_calloc(OL_MEM_QUERY, cap, sizeof *v);
        if (!k || !v) {
            ol_free(OL_MEM_QUERY, k, cap * sizeof *k);
            ol_free(OL_MEM_QUERY, v, cap * sizeof *v);
            b->rc = OL_NOMEM;
            return NULL;
        }
        for (size_t i = 0; i < x->hc_cap; i++) {
            if (!x->hc_key[i]) continue;
            size_t j = (size_t)(((uintptr_t)x->hc_key[i] >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = x->hc_key[i];
            v[j] = x->hc_row[i];
        }
        ol_free(OL_MEM_QUERY, x->hc_key, x->hc_cap * sizeof *x->hc_key);
        ol_free(OL_MEM_QUERY, x->hc_row, x->hc_cap * sizeof *x->hc_row);
        x->hc_key = k;
        x->hc_row = v;
        x->hc_cap = cap;
    }
    size_t j = (size_t)(((uintptr_t)o >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (x->hc_cap - 1);
    while (x->hc_key[j] && x->hc_key[j] != o) j = (j + 1) & (x->hc_cap - 1);
    if (x->hc_key[j]) return x->hc_row[j];
    const ol_sql_orow_t *row = ol_sql_tb_origin(b, o);
    if (!row) return NULL;
    x->hc_key[j] = o;
    x->hc_row[j] = row;
    x->hc_n++;
    return row;
}

static int cols_trace_cb(void *ud, const ol_store_trace_t *t)
{
    tcols_t *x = ud;
    ol_sql_tb_t *b = x->b;
    for (size_t i = 0; i < t->n_spans; i++) {
        const ol_otlp_span_t *sp = t->spans[i];
        b->scan->bytes_scanned += sp->raw.len;
        if (!ol_sql_tb_in_time(b, sp->start_ns)) continue;
        b->scan->rows_scanned++;
        const ol_sql_orow_t *o = head_origin(x, sp->origin);
        if (!o) return b->rc;
        if (!o->svc_ok) continue;
        int rc = span_row(b, sp, o);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

static int scan_cols(ol_store_t *s, ol_sql_tb_t *b)
{
    const ol_sql_table_def_t *t = b->t;
    size_t nc = t->n_cols, nk = b->scan->n_keys;
    tcols_t x = {.b = b};
    for (int k = 0; k < 256; k++) x.kind_s[k] = ol_slice_cstr(ol_sql_span_kind_str(k));
    for (int k = 0; k < 4; k++) x.status_s[k] = ol_slice_cstr(ol_sql_status_code_str(k));
    ol_span_cols_req_t req = {.start_ns = b->scan->start_ns, .end_ns = b->scan->end_ns};
    x.cols = ol_calloc(OL_MEM_QUERY, nc, sizeof *x.cols);
    x.ocols = ol_calloc(OL_MEM_QUERY, nc, sizeof *x.ocols);
    x.key_slot = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *x.key_slot) : NULL;
    x.req_keys = nk ? ol_calloc(OL_MEM_QUERY, nk, sizeof *x.req_keys) : NULL;
    int rc = x.cols && x.ocols && (!nk || (x.key_slot && x.req_keys)) ? OL_OK : OL_NOMEM;
    for (size_t c = 0; rc == OL_OK && c < nc; c++) {
        if (!b->cols[c].on) continue;
        switch (b->src[c].field) {
        case OL_SQL_F_SERVICE:
        case OL_SQL_F_RES_ATTRS:
        case OL_SQL_F_RES_URL:
        case OL_SQL_F_RES_ITEMS:
        case OL_SQL_F_RES_KEY:
        case OL_SQL_F_SCOPE_NAME:
        case OL_SQL_F_SCOPE_VERSION:
        case OL_SQL_F_SCOPE_ATTRS:
        case OL_SQL_F_SCOPE_DROPPED:
        case OL_SQL_F_SCOPE_URL: x.ocols[x.n_ocols++] = (int)c; continue;
        case OL_SQL_F_SPAN_TIME: req.want |= OL_SPAN_COL_START; break;
        case OL_SQL_F_TRACE_ID: req.want |= OL_SPAN_COL_TRACE_ID; break;
        case OL_SQL_F_SPAN_ID: req.want |= OL_SPAN_COL_SPAN_ID; break;
        case OL_SQL_F_PARENT_ID: req.want |= OL_SPAN_COL_PARENT; break;
        case OL_SQL_F_TRACE_STATE: req.want |= OL_SPAN_COL_TRACE_STATE; break;
        case OL_SQL_F_SPAN_NAME: req.want |= OL_SPAN_COL_NAME; break;
        case OL_SQL_F_SPAN_KIND: req.want |= OL_SPAN_COL_KIND; break;
        case OL_SQL_F_DURATION: req.want |= OL_SPAN_COL_DURATION; break;
        case OL_SQL_F_STATUS_CODE: req.want |= OL_SPAN_COL_STATUS; break;
        case OL_SQL_F_STATUS_MSG: req.want |= OL_SPAN_COL_STATUS_MSG; break;
        case OL_SQL_F_EV_TIME:
        case OL_SQL_F_EV_NAME:
        case OL_SQL_F_EV_ATTRS: req.want |= OL_SPAN_COL_EVENTS; continue;
        case OL_SQL_F_LN_TRACE:
        case OL_SQL_F_LN_SPAN:
        case OL_SQL_F_LN_STATE:
        case OL_SQL_F_LN_ATTRS: req.want |= OL_SPAN_COL_LINKS; continue;
        default: rc = OL_ERR; break; /* cols_possible keeps the others on the span path */
        }
        x.cols[x.n_cols++] = (int)c;
    }
    for (size_t k = 0; k < nk; k++) {
        x.key_slot[k] = SIZE_MAX;
        if (b->key_field[k] == OL_SQL_F_SPAN_ATTRS) {
            x.key_slot[k] = x.n_req_keys;
            x.req_keys[x.n_req_keys++] = b->scan->keys[k].key;
        } else {
            x.origin = x.origin_keys = true; /* a key of the resource or scope map */
        }
    }
    x.origin |= x.n_ocols > 0 || b->scan->n_services > 0;
    if (x.origin) req.want |= OL_SPAN_COL_ORIGIN;
    if (b->scan->n_services) req.keep_resource = keep_resource;
    req.keys = x.req_keys;
    req.n_keys = x.n_req_keys;
    if (rc == OL_OK) rc = ol_store_scan_span_cols(s, &req, cols_trace_cb, cols_cb, &x);
    ol_free(OL_MEM_QUERY, x.cols, nc * sizeof *x.cols);
    ol_free(OL_MEM_QUERY, x.ocols, nc * sizeof *x.ocols);
    ol_free(OL_MEM_QUERY, x.key_slot, nk * sizeof *x.key_slot);
    ol_free(OL_MEM_QUERY, x.req_keys, nk * sizeof *x.req_keys);
    for (size_t i = 0; i < sizeof x.occ / sizeof *x.occ; i++) ol_free(OL_MEM_QUERY, x.occ[i].oc, x.occ[i].cap * sizeof *x.occ[i].oc);
    ol_free(OL_MEM_QUERY, x.nc, x.nc_cap * sizeof *x.nc);
    ol_free(OL_MEM_QUERY, x.hc_key, x.hc_cap * sizeof *x.hc_key);
    ol_free(OL_MEM_QUERY, x.hc_row, x.hc_cap * sizeof *x.hc_row);
    ol_free(OL_MEM_QUERY, x.sel, x.sel_cap * sizeof *x.sel);
    ol_free(OL_MEM_QUERY, x.sel_o, x.sel_cap * sizeof *x.sel_o);
    return rc;
}

int ol_sql_scan_traces(ol_store_t *s, ol_sql_tb_t *b)
{
    if (cols_possible(b)) return scan_cols(s, b);
    return ol_store_scan_traces(s, b->scan->start_ns, b->scan->end_ns, trace_cb, b);
}
