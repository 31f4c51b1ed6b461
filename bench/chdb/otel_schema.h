/*
 * otel_schema.h - the OpenTelemetry Collector ClickHouse exporter's traces
 * schema (otel_traces, otel_traces_trace_id_ts, otel_traces_trace_id_ts_mv),
 * rendered as the exporter renders it for database `db`, table otel_traces,
 * no cluster, no TTL and the default engines.
 *
 * Pinned version: see otel_schema.c and README.md.
 */
#ifndef OL_BENCH_CHDB_OTEL_SCHEMA_H
#define OL_BENCH_CHDB_OTEL_SCHEMA_H

#include "core/buf.h"

typedef enum {
    OL_CHB_INDEX_TEXT = 0, /* what the exporter creates on ClickHouse >= 26.2 */
    OL_CHB_INDEX_BLOOM = 1 /* what it creates on older servers */
} ol_chb_index_t;

const char *ol_chb_index_name(ol_chb_index_t ix); /* "text", "bloom" */

/* Appends statement i (0..OL_CHB_SCHEMA_STATEMENTS-1, in creation order) for
 * database `db` to b. */
enum { OL_CHB_SCHEMA_STATEMENTS = 3 };
void ol_chb_schema_statement(ol_buf_t *b, int i, const char *db, ol_chb_index_t ix);

#endif
