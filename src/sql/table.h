/*
 * table.h - the tables SQL reads: their columns, and scans that turn what
 * the store holds into batches of column vectors.
 *
 * The tables are the OpenTelemetry Collector ClickHouse exporter's
 * (otel_traces, otel_logs, otel_metrics_gauge/_sum/_histogram/
 * _exponential_histogram/_summary; pinned revisions and column lists in
 * docs/sql-tables.md), with every value as the exporter writes it: ids as
 * lower-case hex ('' for an absent id), SpanKind 'Server', StatusCode
 * 'Error', attribute maps holding pcommon.Value.AsString() of each value.
 * Column names are the exporter's; a Nested column's sub-columns are columns
 * of their own named "Events.Timestamp" and so on, as ClickHouse names them.
 *
 * A scan is given what it may skip and which columns to fill. Pruning hints
 * are safe supersets: a scan may deliver rows outside [start_ns, end_ns) or
 * of other services (the executor applies WHERE in full), but it must
 * deliver every row inside them.
 */
#ifndef OL_SQL_TABLE_H
#define OL_SQL_TABLE_H

#include "core/buf.h"
#include "sql/vec.h"
#include "store/store.h"

typedef enum {
    OL_SQL_TABLE_TRACES,
    OL_SQL_TABLE_LOGS,
    OL_SQL_TABLE_GAUGE,
    OL_SQL_TABLE_SUM,
    OL_SQL_TABLE_HISTOGRAM,
    OL_SQL_TABLE_EXP_HISTOGRAM,
    OL_SQL_TABLE_SUMMARY,
    OL_SQL__TABLES
} ol_sql_table_id_t;

typedef struct ol_sql_column_def {
    const char *name;      /* "Timestamp", "SpanAttributes", "Events.Name" */
    ol_sql_type_t type;
    const char *type_name; /* as the exporter declares it: "LowCardinality(String)", "DateTime64(9)" */
    /* An ALIAS or MATERIALIZED column of the exporter's DDL (or one an older
     * revision had): readable by name, but not part of SELECT *, as in
     * ClickHouse. Added by table.c; the binder skips these for `*`. */
    bool hidden;
} ol_sql_column_def_t;

typedef struct ol_sql_table_def {
    ol_sql_table_id_t id;
    const char *name;        /* "otel_traces" */
    const char *short_name;  /* "spans", "logs", or NULL */
    const ol_sql_column_def_t *cols;
    uint32_t n_cols;
    int time_col;            /* the column pruned by time (Timestamp / TimeUnix) */
    int service_col;         /* ServiceName */
} ol_sql_table_def_t;

/* The table of this name (exporter name or short name, exact case), or NULL. */
const ol_sql_table_def_t *ol_sql_table_find(ol_slice_t name);
const ol_sql_table_def_t *ol_sql_table_get(ol_sql_table_id_t id);
/* Index of the column named `name` in t (exact case), or -1. */
int ol_sql_table_column(const ol_sql_table_def_t *t, ol_slice_t name);

/* A map value read as a column of its own: `SpanAttributes['http.route']`
 * with a constant key becomes a STRING vector ('' where the key is absent;
 * the first value when a key repeats, as ClickHouse's map access returns). */
typedef struct ol_sql_map_key {
    int col;        /* a MAP column of the table */
    ol_slice_t key;
} ol_sql_map_key_t;

typedef struct ol_sql_batch {
    uint32_t n;             /* rows */
    ol_sql_vec_t *cols;     /* one per table column; only needed ones filled (others n = 0) */
    ol_sql_vec_t *keys;     /* one per requested map key */
} ol_sql_batch_t;

/* Called once per batch; the batch and everything it points to are valid
 * only during the call. Returns OL_OK to go on, OL_STORE_STOP to end the
 * scan (the scan then returns OL_OK), or an error code, which ends the scan
 * and is returned. */
typedef int (*ol_sql_batch_fn)(void *ud, const ol_sql_batch_t *b);

typedef struct ol_sql_scan {
    const ol_sql_table_def_t *table;
    uint64_t start_ns, end_ns;        /* rows whose time column lies in [start_ns, end_ns) must come */
    const ol_slice_t *services;       /* n_services > 0: only rows of these services must come */
    size_t n_services;
    const bool *need;                 /* per table column: fill it */
    const ol_sql_map_key_t *keys;     /* map values to fill as STRING vectors */
    size_t n_keys;
    uint32_t batch_rows;              /* at most this many rows per batch (0 = 4096) */
    /* Semantic-convention normalisation (pipeline/semconv.h, docs/semconv.md):
     * SpanAttributes, SpanAttributeItems and LogAttributes, and the map keys
     * on them, show deprecated attribute names resolved to the stable ones.
     * Off (false) gives the maps exactly as the exporter writes them. A scan
     * that reads these maps or keys by another path than
     * ol_sql_tb_row_attrs must normalise too, or fall back to it when this
     * is set (for keys: when ol_semconv_key_affected(key)). */
    bool semconv;
    /* Statistics the scan adds to as it reads (rows it looked at before
     * WHERE, bytes of stored data it read or decoded). */
    uint64_t rows_scanned, bytes_scanned;
} ol_sql_scan_t;

/* Runs the scan over the store. OL_OK, OL_NOMEM, or what fn returned. */
int ol_sql_table_scan(ol_store_t *s, ol_sql_scan_t *scan, ol_sql_batch_fn fn, void *ud);

/* pcommon.Value.AsString() of an encoded AnyValue, appended to b: strings as
 * is, bools "true"/"false", ints decimal, doubles as Go's float64AsString
 * (ECMAScript number formatting), bytes base64, arrays and kvlists as Go's
 * json.Marshal of AsRaw() (map keys sorted, HTML characters escaped, invalid
 * UTF-8 as \ufffd; a NaN/Inf inside makes Marshal fail, giving ""). */
void ol_sql_go_as_string(ol_slice_t any_value, ol_buf_t *b);

const char *ol_sql_span_kind_str(int32_t kind);   /* "Server", ...; "" for values ptrace does not name */
const char *ol_sql_status_code_str(int32_t code); /* "Unset", "Ok", "Error"; "" likewise */

#endif
