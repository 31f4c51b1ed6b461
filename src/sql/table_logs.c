/*
 * table_logs.c - otel_logs: one row per stored log record, as the
 * exporter's pushLogsData writes it (docs/sql-tables.md lists every column).
 *
 * Records come from ol_store_scan_logs over the scan's window, which is on
 * the same time the Timestamp column holds: the record's time, or its
 * observed time when the time is 0. Log records are never de-duplicated by
 * the store, so each stored record is one row. Trace and span ids are the
 * decoder's views, which are empty for an id that is absent, all zero or of
 * the wrong length (the exporter writes "" for the first two; the collector
 * rejects the third). TraceFlags and SeverityNumber are the exporter's
 * uint8 conversions of the 32-bit fields.
 */
#include "sql/table_int.h"

enum { F_LOG_ATTRIBUTES = 6, F_LOG_FLAGS = 8 };

static int log_row(void *ud, const ol_otlp_log_t *l)
{
    ol_sql_tb_t *b = ud;
    b->epoch++; /* the previous callback's origins are gone */
    b->scan->rows_scanned++;
    b->scan->bytes_scanned += l->raw.len;
    uint64_t ts = l->time_ns ? l->time_ns : l->observed_ns;
    if (!ol_sql_tb_in_time(b, ts)) return OL_OK;
    const ol_sql_orow_t *o = ol_sql_tb_origin(b, l->origin);
    if (!o) return b->rc;
    if (!o->svc_ok) return OL_OK;

    for (uint32_t i = 0; i < b->t->n_cols; i++) {
        int c = (int)i;
        if (!b->cols[c].on || ol_sql_tb_origin_col(b, c, o)) continue;
        switch (b->src[c].field) {
        case OL_SQL_F_LOG_TIME: ol_sql_tb_set_i(b, c, (int64_t)ts); break;
        case OL_SQL_F_LOG_TIME_S: ol_sql_tb_set_i(b, c, (int64_t)(ts / 1000000000u)); break;
        case OL_SQL_F_LOG_TRACE: ol_sql_tb_set_s(b, c, ol_sql_tb_hex_or_empty(b, l->trace_id)); break;
        case OL_SQL_F_LOG_SPAN: ol_sql_tb_set_s(b, c, ol_sql_tb_hex_or_empty(b, l->span_id)); break;
        case OL_SQL_F_LOG_FLAGS: {
            uint32_t flags = 0;
            ol_pb_reader_t r;
            ol_pb_field_value_t f;
            ol_pb_reader_init(&r, l->raw);
            while (ol_pb_next(&r, &f) == OL_OK)
                if (f.number == F_LOG_FLAGS && f.wire_type == OL_PB_I32) flags = (uint32_t)f.u64;
            ol_sql_tb_set_i(b, c, (uint8_t)flags);
            break;
        }
        case OL_SQL_F_SEV_TEXT: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, l->severity_text)); break;
        case OL_SQL_F_SEV_NUM: ol_sql_tb_set_i(b, c, (uint8_t)l->severity_number); break;
        case OL_SQL_F_BODY: ol_sql_tb_set_s(b, c, ol_sql_tb_any(b, l->body)); break;
        case OL_SQL_F_EVENT_NAME: ol_sql_tb_set_s(b, c, ol_sql_tb_dup(b, l->event_name)); break;
        default: break; /* LogAttributes below */
        }
    }
    ol_sql_tb_origin_keys(b, o);
    if (b->need_field[OL_SQL_F_LOG_ATTRS]) ol_sql_tb_row_attrs(b, l->raw, F_LOG_ATTRIBUTES, OL_SQL_F_LOG_ATTRS, -1);
    return ol_sql_tb_row_done(b);
}

int ol_sql_scan_logs(ol_store_t *s, ol_sql_tb_t *b)
{
    return ol_store_scan_logs(s, b->scan->start_ns, b->scan->end_ns, log_row, b);
}
