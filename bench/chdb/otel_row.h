/*
 * otel_row.h - one decoded OTLP span as a row of the OpenTelemetry Collector
 * ClickHouse exporter's `otel_traces` table, encoded as ClickHouse RowBinary.
 *
 * The benchmark compares Olly's store with what users of the exporter run,
 * so the row must hold exactly what the exporter writes for the same span
 * (exporter_traces.go pushTraceData, pinned in README.md):
 *   Timestamp       start_time_unix_nano, DateTime64(9) -> Int64 LE
 *   TraceId, SpanId, ParentSpanId  lower-case hex, "" for an all-zero id
 *   TraceState      Span.trace_state
 *   SpanName        Span.name
 *   SpanKind        ptrace.SpanKind.String(): "Unspecified", "Internal", ...
 *   ServiceName     resource service.name, pcommon.Value.AsString()
 *   ResourceAttributes, SpanAttributes, Events.Attributes, Links.Attributes
 *                   Map(LowCardinality(String), String), values rendered as
 *                   pcommon.Value.AsString() (ol_sql_go_as_string)
 *   ScopeName, ScopeVersion  InstrumentationScope.name / .version
 *   Duration        end - start as UInt64 (wraps like the Go subtraction)
 *   StatusCode      ptrace.StatusCode.String(): "Unset", "Ok", "Error"
 *   StatusMessage   Status.message
 *   Events.*, Links.*  one array per Nested sub-column
 * Column order is the exporter's INSERT column list, OL_CHB_INSERT_COLUMNS.
 *
 * RowBinary: strings and array/map lengths are LEB128 varint-prefixed,
 * LowCardinality is transparent, fixed-width numbers little-endian.
 */
#ifndef OL_BENCH_CHDB_OTEL_ROW_H
#define OL_BENCH_CHDB_OTEL_ROW_H

#include "codec/otlp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"
#include "sql/table.h"

#define OL_CHB_INSERT_COLUMNS                                                                     \
    "Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, "     \
    "ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, "         \
    "StatusMessage, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, " \
    "Links.TraceState, Links.Attributes"

/* The same columns with their types, for file(..., 'RowBinary', structure). */
#define OL_CHB_INSERT_STRUCTURE                                                                          \
    "Timestamp DateTime64(9), TraceId String, SpanId String, ParentSpanId String, TraceState String, "  \
    "SpanName String, SpanKind String, ServiceName String, ResourceAttributes Map(String, String), "    \
    "ScopeName String, ScopeVersion String, SpanAttributes Map(String, String), Duration UInt64, "      \
    "StatusCode String, StatusMessage String, `Events.Timestamp` Array(DateTime64(9)), "                \
    "`Events.Name` Array(String), `Events.Attributes` Array(Map(String, String)), "                     \
    "`Links.TraceId` Array(String), `Links.SpanId` Array(String), `Links.TraceState` Array(String), "  \
    "`Links.Attributes` Array(Map(String, String))"

/* What every span of one origin (resource + scope) shares, rendered once. */
typedef struct ol_chb_origin_row {
    ol_slice_t service_name;   /* AsString of the first service.name, or "" */
    ol_slice_t resource_attrs; /* RowBinary Map bytes */
    ol_slice_t scope_name, scope_version;
} ol_chb_origin_row_t;

/* Renders the origin's shared columns into memory from `a` (slices stay
 * valid until the arena is reset). OL_OK, OL_NOMEM, OL_CORRUPT. */
int ol_chb_origin_row(const ol_otlp_origin_t *o, ol_arena_t *a, ol_chb_origin_row_t *out, ol_err_t *err);

/* Appends the RowBinary row of span `s` (a valid span from ol_otlp_decode)
 * to `out`. `scratch` is a work buffer the caller keeps between calls.
 * OL_OK, OL_CORRUPT (malformed nested field), OL_NOMEM (out->err set). */
int ol_chb_span_row(ol_buf_t *out, const ol_otlp_span_t *s, const ol_chb_origin_row_t *o, ol_buf_t *scratch,
                    ol_err_t *err);

/* The Go renderers now live with Olly's SQL tables (src/sql/gostr.c); these
 * names stay for the benchmark's callers. */
static inline void ol_chb_go_as_string(ol_slice_t any_value, ol_buf_t *b) { ol_sql_go_as_string(any_value, b); }
static inline const char *ol_chb_span_kind_str(int32_t kind) { return ol_sql_span_kind_str(kind); }
static inline const char *ol_chb_status_code_str(int32_t code) { return ol_sql_status_code_str(code); }

#endif
