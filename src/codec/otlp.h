/*
 * otlp.h - decode an OTLP Export*ServiceRequest (protobuf) into a batch of
 * views.
 *
 * The batch holds no copies: every slice points into the request buffer, and
 * the small arrays (origins, items) come from the caller's arena. JSON
 * requests are first transcoded to protobuf (otlp_json.h) and then decoded
 * here, so there is exactly one path from bytes to a batch.
 *
 * Each item keeps `raw`, its own encoded message (Span, LogRecord, Metric),
 * byte for byte as received: the store persists those bytes, which is how
 * "stored exactly as received" holds.
 *
 * Validation: the whole request is checked structurally against the schema
 * (wire types, lengths, depth); any structural error fails the request
 * (OL_CORRUPT -> 400 / INVALID_ARGUMENT). Semantic problems reject single
 * items (valid=false, reason set) and are reported in partial_success:
 *   spans: trace_id not 16 bytes or all zero; span_id not 8 bytes or all zero;
 *          parent_span_id present but not 8 bytes.
 *   logs:  never rejected; a trace_id that is not 16 non-zero bytes (or a
 *          span_id not 8) is kept but unlinked (trace_id/span_id views empty,
 *          the raw bytes untouched).
 *   metrics: a metric without a name is rejected (all its points).
 */
#ifndef OL_CODEC_OTLP_H
#define OL_CODEC_OTLP_H

#include "core/arena.h"
#include "core/common.h"

typedef enum { OL_SIGNAL_TRACES = 0, OL_SIGNAL_METRICS = 1, OL_SIGNAL_LOGS = 2 } ol_signal_t;
const char *ol_signal_name(ol_signal_t s); /* "traces", "metrics", "logs" */

/* The resource + scope an item was sent under. */
typedef struct ol_otlp_origin {
    ol_slice_t resource;            /* encoded Resource (may be empty) */
    ol_slice_t resource_schema_url; /* Resource{Spans,Metrics,Logs}.schema_url */
    ol_slice_t scope;               /* encoded InstrumentationScope (may be empty) */
    ol_slice_t scope_schema_url;    /* Scope{Spans,Metrics,Logs}.schema_url */
    ol_slice_t service_name;        /* resource attribute service.name (string) or empty */
    uint32_t resource_index;        /* index of the Resource* message in the request */
} ol_otlp_origin_t;

typedef struct ol_otlp_span {
    const ol_otlp_origin_t *origin;
    ol_slice_t raw; /* encoded Span */
    ol_slice_t trace_id, span_id, parent_span_id;
    ol_slice_t name;
    uint64_t start_ns, end_ns;
    int32_t kind;
    int32_t status_code; /* 0 unset, 1 ok, 2 error */
    bool valid;
    const char *reject_reason; /* static string when !valid */
} ol_otlp_span_t;

typedef struct ol_otlp_log {
    const ol_otlp_origin_t *origin;
    ol_slice_t raw; /* encoded LogRecord */
    uint64_t time_ns, observed_ns;
    int32_t severity_number;
    ol_slice_t severity_text;
    ol_slice_t trace_id, span_id; /* empty when absent or invalid (unlinked) */
    ol_slice_t body;              /* encoded AnyValue (may be empty) */
    ol_slice_t event_name;
} ol_otlp_log_t;

typedef enum {
    OL_METRIC_NONE = 0,
    OL_METRIC_GAUGE = 5,
    OL_METRIC_SUM = 7,
    OL_METRIC_HISTOGRAM = 9,
    OL_METRIC_EXP_HISTOGRAM = 10,
    OL_METRIC_SUMMARY = 11
} ol_metric_type_t; /* values are the Metric.data oneof field numbers */
const char *ol_metric_type_name(ol_metric_type_t t); /* "gauge", "sum", "histogram", "exponentialHistogram", "summary", "none" */

typedef struct ol_otlp_metric {
    const ol_otlp_origin_t *origin;
    ol_slice_t raw; /* encoded Metric */
    ol_slice_t name, description, unit;
    ol_metric_type_t type;
    ol_slice_t data;     /* encoded Gauge/Sum/Histogram/... message */
    uint32_t n_points;   /* data points in `data` */
    uint64_t min_time_ns, max_time_ns; /* over the points' time_unix_nano */
    bool valid;
    const char *reject_reason;
} ol_otlp_metric_t;

typedef struct ol_otlp_batch {
    ol_signal_t signal;
    ol_otlp_origin_t *origins;
    size_t n_origins;
    ol_otlp_span_t *spans;
    size_t n_spans;
    ol_otlp_log_t *logs;
    size_t n_logs;
    ol_otlp_metric_t *metrics;
    size_t n_metrics;
    /* Item counts for partial_success: spans / log records / data points. */
    uint64_t n_items;
    uint64_t n_rejected;
    const char *first_reject_reason;
} ol_otlp_batch_t;

/* Decodes `pb` (an Export{Trace,Metrics,Logs}ServiceRequest). On OL_OK the
 * batch is filled (possibly empty). OL_CORRUPT: malformed, err says what and
 * where. OL_NOMEM: the arena cap was hit. */
int ol_otlp_decode(ol_signal_t sig, ol_slice_t pb, ol_arena_t *arena, ol_otlp_batch_t *out, ol_err_t *err);

/* Iterate KeyValue entries of an encoded message's repeated KeyValue field
 * (e.g. Resource.attributes = 1, Span.attributes = 9). Returns OL_OK. */
typedef int (*ol_otlp_kv_fn)(void *ud, ol_slice_t key, ol_slice_t any_value);
int ol_otlp_each_attribute(ol_slice_t msg, uint32_t field_number, ol_otlp_kv_fn fn, void *ud);

/* The one value an encoded AnyValue holds: kind is its oneof field number
 * (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes; 0 when
 * empty), u64 the scalar bits, bytes the LEN payload. Fields with the wrong
 * wire type are ignored; the last good one wins, as protobuf says. */
typedef struct ol_otlp_any {
    uint32_t kind;
    uint64_t u64;
    ol_slice_t bytes;
} ol_otlp_any_t;
void ol_otlp_any_parse(ol_slice_t any_value, ol_otlp_any_t *out);

/* Renders an encoded AnyValue as text for matching and search: strings as is,
 * ints/doubles/bools in decimal/"true"/"false", bytes as base64, arrays and
 * kvlists as compact JSON. Appends to b. */
struct ol_buf;
void ol_otlp_anyvalue_text(ol_slice_t any_value, struct ol_buf *b);

#endif
