/*
 * chrows.h - the OpenTelemetry Collector ClickHouse exporter's logs and
 * metrics tables on the ClickHouse side of the SQL differential test: their
 * DDL (as the exporter renders it) and OTLP log records / metric data points
 * turned into their rows (RowBinary), as the exporter writes them.
 *
 * This is deliberately an implementation separate from Olly's table scans
 * (src/sql/table.c) and from bench/chdb/otel_row.c: where two independent
 * renderings of the same OTLP data disagree, a query shows it.
 *
 * Pinned sources (open-telemetry/opentelemetry-collector-contrib,
 * exporter/clickhouseexporter; per-file commits, see README.md):
 *   internal/sqltemplates/logs_table.sql                 @ e3bd2d1d648f1868f50a8f2c1b68f7ce451ee6eb
 *   internal/sqltemplates/metrics_gauge_table.sql        @ e3bd2d1d648f1868f50a8f2c1b68f7ce451ee6eb
 *   internal/sqltemplates/metrics_sum_table.sql          @ 8090d3c8ba8acfa230ff78df7528065be6bb2284
 *   internal/sqltemplates/metrics_histogram_table.sql    @ 61540ced55e993255df9bcfca48ed89a87d3914f
 *   internal/sqltemplates/metrics_exp_histogram_table.sql @ e3bd2d1d648f1868f50a8f2c1b68f7ce451ee6eb
 *   internal/sqltemplates/metrics_summary_table.sql      @ 4d14328b3c3f47870f98155a34f2950417eca7ea
 *   internal/metrics/metrics_model.go                    @ cf3f1e3ed2d7e878755de4b73d754a5f8ecb7447
 *     (getValue, convertExemplars, AttributesToMap, GetServiceName)
 *   internal/util.go                                     @ 64079aac9170092935a20f1f96863317bcd98273
 */
#ifndef OL_TESTS_SQL_CHROWS_H
#define OL_TESTS_SQL_CHROWS_H

#include "codec/otlp.h"
#include "core/buf.h"

typedef enum {
    CR_LOGS = 0,
    CR_GAUGE,
    CR_SUM,
    CR_HISTOGRAM,
    CR_EXP_HISTOGRAM,
    CR_SUMMARY,
    CR__TABLES
} cr_table_t;

const char *cr_table_name(cr_table_t t); /* "otel_logs", "otel_metrics_gauge", ... */
/* Appends the CREATE TABLE statement of t for database db. */
void cr_ddl(ol_buf_t *b, cr_table_t t, const char *db);
/* The column list of the INSERT that cr_*_row rows are encoded for. */
const char *cr_insert_columns(cr_table_t t);

/* Appends the otel_logs row of one decoded log record. OL_OK or OL_NOMEM. */
int cr_log_row(ol_buf_t *out, const ol_otlp_log_t *l);

/* Appends one row per data point of metric m to out[the table of its type]
 * and adds the number of rows to rows[that table]. OL_OK, OL_CORRUPT (a
 * malformed point), OL_NOMEM. */
int cr_metric_rows(ol_buf_t *out[CR__TABLES], uint64_t rows[CR__TABLES], const ol_otlp_metric_t *m);

/* pcommon.Value.AsString() of an encoded AnyValue (written here again, on
 * purpose; see the top). */
void cr_go_as_string(ol_slice_t any_value, ol_buf_t *b);

#endif
