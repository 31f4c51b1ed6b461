/*
 * table_traces.c - otel_traces: one row per stored span, as the exporter's
 * pushTraceData writes it (docs/sql-tables.md lists every column).
 *
 * Spans come from ol_store_scan_traces over the scan's time window: traces
 * overlapping it, once per place that holds some of their spans (the head,
 * each part), each time with the spans found there. A span is stored in one
 * place, so delivering every span of every fragment gives each row once. The
 * exception is the store's own: a span re-sent after its first copy was
 * flushed is held twice until a merge folds the two copies, and comes twice
 * here too (docs/sql-tables.md).
 *
 * What the decoder hands out (ids, name, kind, times, status code) is used
 * as is; the other fields (trace state, status message, attributes, events,
 * links) are read from the span's encoded bytes, each only when a column or
 * key needs it. Rows whose start lies outside the window, or whose service
 * is not one the scan asks for, are dropped before anything is rendered.
 */
#include "sql/table_int.h"

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

static int span_row(ol_sql_tb_t *b, const ol_otlp_span_t *sp)
{
    b->scan->rows_scanned++;
    b->scan->bytes_scanned += sp->raw.len;
    if (!ol_sql_tb_in_time(b, sp->start_ns)) return OL_OK;
    const ol_sql_orow_t *o = ol_sql_tb_origin(b, sp->origin);
    if (!o) return b->rc;
    if (!o->svc_ok) return OL_OK;

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
        int rc = span_row(b, t->spans[i]);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

int ol_sql_scan_traces(ol_store_t *s, ol_sql_tb_t *b)
{
    return ol_store_scan_traces(s, b->scan->start_ns, b->scan->end_ns, trace_cb, b);
}
