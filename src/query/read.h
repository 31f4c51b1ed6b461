/*
 * read.h - the read API's queries, rendered as JSON.
 *
 * Each function appends one JSON document to `out`. Time bounds are Unix
 * nanoseconds, inclusive start, exclusive end; the API layer has already
 * parsed and validated parameters and applied defaults (last hour).
 *
 * OTLP/JSON outputs ({"resourceSpans":[...]}, {"resourceLogs":[...]},
 * {"resourceMetrics":[...]}) group items by the resource and scope they
 * were sent with and render every stored field (codec/otlp_json.h).
 */
#ifndef OL_QUERY_READ_H
#define OL_QUERY_READ_H

#include "core/buf.h"
#include "store/store.h"

#define OL_QUERY_MAX_ATTRS 16
#define OL_QUERY_MAX_EXEMPLARS 10000

typedef struct ol_attr_filter {
    ol_slice_t key, value; /* value compared with the attribute's text form */
} ol_attr_filter_t;

/* {"resourceSpans":[...]}; OL_NOTFOUND when no span has this id. */
int ol_query_trace(ol_store_t *s, const uint8_t trace_id[16], ol_buf_t *out);

typedef enum { OL_STATUS_ANY = -1, OL_STATUS_UNSET = 0, OL_STATUS_OK = 1, OL_STATUS_ERROR = 2 } ol_status_filter_t;

typedef struct ol_trace_query {
    uint64_t start_ns, end_ns;   /* trace overlaps [start, end) */
    ol_slice_t service;          /* empty = any */
    ol_slice_t operation;        /* span name; empty = any */
    int status;                  /* ol_status_filter_t */
    uint64_t min_duration_ns;    /* 0 = none */
    uint64_t max_duration_ns;    /* 0 = none */
    ol_attr_filter_t attrs[OL_QUERY_MAX_ATTRS];
    size_t n_attrs;
    size_t limit;                /* default 20, max 1000 (API enforces) */
} ol_trace_query_t;

/* A trace matches when one of its spans satisfies every span-level condition
 * (service, operation, status, duration, attrs; attrs match the span's or its
 * resource's attributes), as in Jaeger. Output, newest start first:
 * {"traces":[{"traceId","rootServiceName","rootSpanName","startTimeUnixNano",
 *   "durationNanos","spanCount","errorCount","services":[...],"clockSkew":bool}]} */
int ol_query_traces(ol_store_t *s, const ol_trace_query_t *q, ol_buf_t *out);

/* {"services":[{"name":"checkout","operations":["GET /checkout",...]}]}, sorted by name. */
int ol_query_services(ol_store_t *s, ol_buf_t *out);

typedef struct ol_log_query {
    uint64_t start_ns, end_ns; /* record time (observed time when time is 0) */
    ol_slice_t service;
    int32_t min_severity;      /* 0 = any */
    bool has_trace_id;
    uint8_t trace_id[16];
    ol_slice_t q;              /* case-insensitive substring of the body text */
    size_t limit;              /* default 100, max 10000 */
} ol_log_query_t;

/* {"resourceLogs":[...]}, newest first within the limit. */
int ol_query_logs(ol_store_t *s, const ol_log_query_t *q, ol_buf_t *out);

/* {"metrics":[{"name","type","unit","description"}]} sorted by name. */
int ol_query_metric_names(ol_store_t *s, ol_buf_t *out);

typedef struct ol_metric_query {
    ol_slice_t name;
    uint64_t start_ns, end_ns; /* point time_unix_nano */
    ol_attr_filter_t attrs[OL_QUERY_MAX_ATTRS]; /* point or resource attributes */
    size_t n_attrs;
} ol_metric_query_t;

/* {"resourceMetrics":[...]} with only the matching points; OL_NOTFOUND for an unknown name.
 * Each point keeps its exemplars (trace and span ids in hex, as OTLP/JSON writes them). */
int ol_query_metric(ol_store_t *s, const ol_metric_query_t *q, ol_buf_t *out);

/* The exemplars of metric `name` whose time (the point's time when the
 * exemplar has none) lies in [start_ns, end_ns), newest first (ties: the
 * later found first), at most `limit` (0 = 100; at most OL_QUERY_MAX_EXEMPLARS):
 *   {"metric":"...","start":"<ns>","end":"<ns>","exemplars":[
 *     {"time":"<ns>","value":N,"traceId":"<hex>","spanId":"<hex>","service":"...",
 *      "attributes":{...},"filteredAttributes":{...},"pointTime":"<ns>",
 *      "traceUrl":"/api/v1/traces/<hex>"}],"truncated":bool}
 * value is a JSON number (an int exemplar's as_int exactly, a double's
 * shortest form; NaN/Infinity as strings); traceId/spanId are "" and
 * traceUrl null when the id is absent or malformed; attributes (the
 * point's) and filteredAttributes (the exemplar's) map each key to its text
 * form (ol_otlp_anyvalue_text), keys sorted, the first value of a repeated
 * key; truncated says more exemplars matched than were listed. Memory is
 * bounded by `limit`, not by how many match. OL_NOTFOUND for an unknown
 * name (out untouched). */
int ol_query_exemplars(ol_store_t *s, ol_slice_t name, uint64_t start_ns, uint64_t end_ns, uint64_t limit,
                       ol_buf_t *out);

/* {"signals":[{"signal","parts","rows","bytes","inputBytes","compressionRatio",
 *   "bytesPerItem","partitions":[{"day",...same...,"minTimeUnixNano","maxTimeUnixNano"}]}],
 *  "head":{"spans","bytes"},"wal":{"bytes","segments"},"flushes","flushErrors",
 *  "merges","mergeErrors","droppedPartitions"} (docs/api.md). */
int ol_query_storage(ol_store_t *s, ol_buf_t *out);

#endif
