/*
 * sql.h - Olly's SQL: run one read-only query over the store and render the
 * answer as JSON.
 *
 * The dialect is a strict subset of ClickHouse SQL over the OpenTelemetry
 * Collector ClickHouse exporter's tables (docs/sql.md): what runs on Olly
 * runs on ClickHouse with the same answer. Nothing in it writes, reads files
 * or reaches the network: the only tables are the store's, and the only
 * functions are the pure ones in docs/sql.md.
 *
 * Pipeline: parse (parse.c) -> bind names, types, aliases and aggregates,
 * fold constants, find the time range and services to prune by (bind.c) ->
 * scan batches (table.c) -> per batch: WHERE, then projection or grouped
 * aggregation (exec.c, agg.c) -> HAVING, ORDER BY, LIMIT -> JSON.
 */
#ifndef OL_SQL_SQL_H
#define OL_SQL_SQL_H

#include "core/buf.h"
#include "store/store.h"

/* Bounds on one query; 0 = the default in brackets. */
typedef struct ol_sql_limits {
    uint64_t max_rows_scanned;  /* rows read before WHERE [100,000,000] */
    uint64_t max_time_range_ns; /* span of the time range the query covers [31 days] */
    uint64_t max_run_ms;        /* wall time [30,000] */
    uint64_t max_result_rows;   /* rows in the answer [100,000] */
    uint64_t max_result_bytes;  /* bytes of the JSON answer [64 MiB] */
    uint64_t max_memory_bytes;  /* the query's arenas (groups, sorting) [1 GiB] */
    /* Not a bound: read SpanAttributes and LogAttributes as stored, without
     * semantic-convention normalisation (docs/semconv.md) [false: normalised;
     * the differential test against ClickHouse sets it]. */
    bool semconv_off;
} ol_sql_limits_t;

typedef struct ol_sql_stats {
    uint64_t rows_scanned, bytes_scanned, rows_returned;
    double elapsed_ms;
} ol_sql_stats_t;

/* Runs `sql` and appends to `out`:
 *   {"columns":[{"name":"service","type":"String"},...],
 *    "rows":[[...],...],
 *    "statistics":{"rowsScanned":N,"bytesScanned":N,"rowsReturned":N,"elapsedMs":X}}
 * Values as ClickHouse's JSON formats write them, except that 64-bit integers
 * are JSON numbers: strings as strings, DateTime64(9) as
 * "YYYY-MM-DD hh:mm:ss.nnnnnnnnn" (UTC), maps as objects, arrays as arrays,
 * NaN and infinities as null.
 *
 * now_ns is now() for the query (0 = the clock). Returns OL_OK;
 * OL_CORRUPT for a query that does not parse or bind (err says where and
 * why); OL_LIMIT when a bound is hit (err names it and its value);
 * OL_NOMEM; OL_ERR for other failures. On error `out` is left as it was. */
int ol_sql_run(ol_store_t *s, const char *sql, size_t len, const ol_sql_limits_t *limits, uint64_t now_ns,
               ol_buf_t *out, ol_sql_stats_t *stats, ol_err_t *err);

#endif
