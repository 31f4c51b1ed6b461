/*
 * pb_schema.c - the OTLP message tables and the schema-driven validator.
 *
 * Every message of opentelemetry-proto v1 that can appear in an
 * Export{Trace,Metrics,Logs}Service request or response is described here
 * once, with field numbers, OTLP/JSON names, proto names and types taken from
 * the .proto files (common, resource, trace, metrics, logs, collector) plus
 * google.rpc.Status. The tables are read by otlp.c (validation, decoding),
 * otlp_json.c (JSON -> protobuf) and pb_json.c (protobuf -> JSON); a field
 * added here is picked up by all three.
 *
 * Within a message, fields are listed in field-number order; JSON output
 * follows that order. Messages reference each other (AnyValue <-> ArrayValue,
 * KeyValueList <-> KeyValue), so the file-local ones are declared first as
 * tentative definitions and defined further down.
 *
 * ol_pb_validate() walks an encoded message once: every known field must use
 * the wire type of its declared type (repeated numeric fields may also be
 * packed, in which case the packed payload must decode exactly), nested
 * messages are validated recursively up to OL_PB_MAX_DEPTH, unknown fields are
 * skipped after their framing has been checked by the reader.
 */
#include "codec/pb_schema.h"

#include "codec/pb.h"

#define FLD(n, j, p, t) {(n), (j), (p), (t), false, NULL, NULL}
#define REP(n, j, p, t) {(n), (j), (p), (t), true, NULL, NULL}
#define MSG(n, j, p, m) {(n), (j), (p), OL_PBT_MESSAGE, false, &(m), NULL}
#define MSGS(n, j, p, m) {(n), (j), (p), OL_PBT_MESSAGE, true, &(m), NULL}
#define ENM(n, j, p, e) {(n), (j), (p), OL_PBT_ENUM, false, NULL, &(e)}
#define MSGDEF(var, full, fields) const ol_pb_msg_t var = {(full), (fields), OL_ARRAY_LEN(fields)}
#define SMSGDEF(var, full, fields) static const ol_pb_msg_t var = {(full), (fields), OL_ARRAY_LEN(fields)}

/* File-local messages (tentative definitions; see the essay above). */
static const ol_pb_msg_t ol_pb_ArrayValue, ol_pb_KeyValueList, ol_pb_EntityRef;
static const ol_pb_msg_t ol_pb_Span_Event, ol_pb_Span_Link, ol_pb_Status;
static const ol_pb_msg_t ol_pb_Gauge, ol_pb_Sum, ol_pb_Histogram, ol_pb_ExponentialHistogram, ol_pb_Summary;
static const ol_pb_msg_t ol_pb_NumberDataPoint, ol_pb_HistogramDataPoint, ol_pb_ExponentialHistogramDataPoint;
static const ol_pb_msg_t ol_pb_ExponentialHistogramDataPoint_Buckets, ol_pb_SummaryDataPoint;
static const ol_pb_msg_t ol_pb_SummaryDataPoint_ValueAtQuantile, ol_pb_Exemplar;
static const ol_pb_msg_t ol_pb_ExportTracePartialSuccess, ol_pb_ExportMetricsPartialSuccess;
static const ol_pb_msg_t ol_pb_ExportLogsPartialSuccess, ol_pb_Any;

/* ---- enums ---- */

static const ol_pb_enum_value_t span_kind_values[] = {
    {"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1}, {"SPAN_KIND_SERVER", 2},
    {"SPAN_KIND_CLIENT", 3},      {"SPAN_KIND_PRODUCER", 4}, {"SPAN_KIND_CONSUMER", 5},
};
static const ol_pb_enum_t span_kind_enum = {"opentelemetry.proto.trace.v1.Span.SpanKind", span_kind_values,
                                            OL_ARRAY_LEN(span_kind_values)};

static const ol_pb_enum_value_t status_code_values[] = {
    {"STATUS_CODE_UNSET", 0}, {"STATUS_CODE_OK", 1}, {"STATUS_CODE_ERROR", 2},
};
static const ol_pb_enum_t status_code_enum = {"opentelemetry.proto.trace.v1.Status.StatusCode", status_code_values,
                                              OL_ARRAY_LEN(status_code_values)};

static const ol_pb_enum_value_t temporality_values[] = {
    {"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
    {"AGGREGATION_TEMPORALITY_DELTA", 1},
    {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2},
};
static const ol_pb_enum_t temporality_enum = {"opentelemetry.proto.metrics.v1.AggregationTemporality",
                                              temporality_values, OL_ARRAY_LEN(temporality_values)};

static const ol_pb_enum_value_t severity_values[] = {
    {"SEVERITY_NUMBER_UNSPECIFIED", 0},
    {"SEVERITY_NUMBER_TRACE", 1},  {"SEVERITY_NUMBER_TRACE2", 2},  {"SEVERITY_NUMBER_TRACE3", 3},
    {"SEVERITY_NUMBER_TRACE4", 4}, {"SEVERITY_NUMBER_DEBUG", 5},   {"SEVERITY_NUMBER_DEBUG2", 6},
    {"SEVERITY_NUMBER_DEBUG3", 7}, {"SEVERITY_NUMBER_DEBUG4", 8},  {"SEVERITY_NUMBER_INFO", 9},
    {"SEVERITY_NUMBER_INFO2", 10}, {"SEVERITY_NUMBER_INFO3", 11},  {"SEVERITY_NUMBER_INFO4", 12},
    {"SEVERITY_NUMBER_WARN", 13},  {"SEVERITY_NUMBER_WARN2", 14},  {"SEVERITY_NUMBER_WARN3", 15},
    {"SEVERITY_NUMBER_WARN4", 16}, {"SEVERITY_NUMBER_ERROR", 17},  {"SEVERITY_NUMBER_ERROR2", 18},
    {"SEVERITY_NUMBER_ERROR3", 19}, {"SEVERITY_NUMBER_ERROR4", 20}, {"SEVERITY_NUMBER_FATAL", 21},
    {"SEVERITY_NUMBER_FATAL2", 22}, {"SEVERITY_NUMBER_FATAL3", 23}, {"SEVERITY_NUMBER_FATAL4", 24},
};
static const ol_pb_enum_t severity_enum = {"opentelemetry.proto.logs.v1.SeverityNumber", severity_values,
                                           OL_ARRAY_LEN(severity_values)};

/* ---- opentelemetry.proto.common.v1 ---- */

static const ol_pb_field_t AnyValue_f[] = {
    FLD(1, "stringValue", "string_value", OL_PBT_STRING),
    FLD(2, "boolValue", "bool_value", OL_PBT_BOOL),
    FLD(3, "intValue", "int_value", OL_PBT_INT64),
    FLD(4, "doubleValue", "double_value", OL_PBT_DOUBLE),
    MSG(5, "arrayValue", "array_value", ol_pb_ArrayValue),
    MSG(6, "kvlistValue", "kvlist_value", ol_pb_KeyValueList),
    FLD(7, "bytesValue", "bytes_value", OL_PBT_BYTES),
};
MSGDEF(ol_pb_AnyValue, "opentelemetry.proto.common.v1.AnyValue", AnyValue_f);

static const ol_pb_field_t ArrayValue_f[] = {
    MSGS(1, "values", "values", ol_pb_AnyValue),
};
SMSGDEF(ol_pb_ArrayValue, "opentelemetry.proto.common.v1.ArrayValue", ArrayValue_f);

static const ol_pb_field_t KeyValueList_f[] = {
    MSGS(1, "values", "values", ol_pb_KeyValue),
};
SMSGDEF(ol_pb_KeyValueList, "opentelemetry.proto.common.v1.KeyValueList", KeyValueList_f);

static const ol_pb_field_t KeyValue_f[] = {
    FLD(1, "key", "key", OL_PBT_STRING),
    MSG(2, "value", "value", ol_pb_AnyValue),
};
MSGDEF(ol_pb_KeyValue, "opentelemetry.proto.common.v1.KeyValue", KeyValue_f);

static const ol_pb_field_t InstrumentationScope_f[] = {
    FLD(1, "name", "name", OL_PBT_STRING),
    FLD(2, "version", "version", OL_PBT_STRING),
    MSGS(3, "attributes", "attributes", ol_pb_KeyValue),
    FLD(4, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
};
MSGDEF(ol_pb_InstrumentationScope, "opentelemetry.proto.common.v1.InstrumentationScope", InstrumentationScope_f);

static const ol_pb_field_t EntityRef_f[] = {
    FLD(1, "schemaUrl", "schema_url", OL_PBT_STRING),
    FLD(2, "type", "type", OL_PBT_STRING),
    REP(3, "idKeys", "id_keys", OL_PBT_STRING),
    REP(4, "descriptionKeys", "description_keys", OL_PBT_STRING),
};
SMSGDEF(ol_pb_EntityRef, "opentelemetry.proto.common.v1.EntityRef", EntityRef_f);

/* ---- opentelemetry.proto.resource.v1 ---- */

static const ol_pb_field_t Resource_f[] = {
    MSGS(1, "attributes", "attributes", ol_pb_KeyValue),
    FLD(2, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
    MSGS(3, "entityRefs", "entity_refs", ol_pb_EntityRef),
};
MSGDEF(ol_pb_Resource, "opentelemetry.proto.resource.v1.Resource", Resource_f);

/* ---- opentelemetry.proto.trace.v1 ---- */

static const ol_pb_field_t ResourceSpans_f[] = {
    MSG(1, "resource", "resource", ol_pb_Resource),
    MSGS(2, "scopeSpans", "scope_spans", ol_pb_ScopeSpans),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ResourceSpans, "opentelemetry.proto.trace.v1.ResourceSpans", ResourceSpans_f);

static const ol_pb_field_t ScopeSpans_f[] = {
    MSG(1, "scope", "scope", ol_pb_InstrumentationScope),
    MSGS(2, "spans", "spans", ol_pb_Span),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ScopeSpans, "opentelemetry.proto.trace.v1.ScopeSpans", ScopeSpans_f);

static const ol_pb_field_t Span_f[] = {
    FLD(1, "traceId", "trace_id", OL_PBT_ID),
    FLD(2, "spanId", "span_id", OL_PBT_ID),
    FLD(3, "traceState", "trace_state", OL_PBT_STRING),
    FLD(4, "parentSpanId", "parent_span_id", OL_PBT_ID),
    FLD(5, "name", "name", OL_PBT_STRING),
    ENM(6, "kind", "kind", span_kind_enum),
    FLD(7, "startTimeUnixNano", "start_time_unix_nano", OL_PBT_FIXED64),
    FLD(8, "endTimeUnixNano", "end_time_unix_nano", OL_PBT_FIXED64),
    MSGS(9, "attributes", "attributes", ol_pb_KeyValue),
    FLD(10, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
    MSGS(11, "events", "events", ol_pb_Span_Event),
    FLD(12, "droppedEventsCount", "dropped_events_count", OL_PBT_UINT32),
    MSGS(13, "links", "links", ol_pb_Span_Link),
    FLD(14, "droppedLinksCount", "dropped_links_count", OL_PBT_UINT32),
    MSG(15, "status", "status", ol_pb_Status),
    FLD(16, "flags", "flags", OL_PBT_FIXED32),
};
MSGDEF(ol_pb_Span, "opentelemetry.proto.trace.v1.Span", Span_f);

static const ol_pb_field_t Span_Event_f[] = {
    FLD(1, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(2, "name", "name", OL_PBT_STRING),
    MSGS(3, "attributes", "attributes", ol_pb_KeyValue),
    FLD(4, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
};
SMSGDEF(ol_pb_Span_Event, "opentelemetry.proto.trace.v1.Span.Event", Span_Event_f);

static const ol_pb_field_t Span_Link_f[] = {
    FLD(1, "traceId", "trace_id", OL_PBT_ID),
    FLD(2, "spanId", "span_id", OL_PBT_ID),
    FLD(3, "traceState", "trace_state", OL_PBT_STRING),
    MSGS(4, "attributes", "attributes", ol_pb_KeyValue),
    FLD(5, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
    FLD(6, "flags", "flags", OL_PBT_FIXED32),
};
SMSGDEF(ol_pb_Span_Link, "opentelemetry.proto.trace.v1.Span.Link", Span_Link_f);

static const ol_pb_field_t Status_f[] = {
    FLD(2, "message", "message", OL_PBT_STRING),
    ENM(3, "code", "code", status_code_enum),
};
SMSGDEF(ol_pb_Status, "opentelemetry.proto.trace.v1.Status", Status_f);

/* ---- opentelemetry.proto.metrics.v1 ---- */

static const ol_pb_field_t ResourceMetrics_f[] = {
    MSG(1, "resource", "resource", ol_pb_Resource),
    MSGS(2, "scopeMetrics", "scope_metrics", ol_pb_ScopeMetrics),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ResourceMetrics, "opentelemetry.proto.metrics.v1.ResourceMetrics", ResourceMetrics_f);

static const ol_pb_field_t ScopeMetrics_f[] = {
    MSG(1, "scope", "scope", ol_pb_InstrumentationScope),
    MSGS(2, "metrics", "metrics", ol_pb_Metric),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ScopeMetrics, "opentelemetry.proto.metrics.v1.ScopeMetrics", ScopeMetrics_f);

static const ol_pb_field_t Metric_f[] = {
    FLD(1, "name", "name", OL_PBT_STRING),
    FLD(2, "description", "description", OL_PBT_STRING),
    FLD(3, "unit", "unit", OL_PBT_STRING),
    MSG(5, "gauge", "gauge", ol_pb_Gauge),
    MSG(7, "sum", "sum", ol_pb_Sum),
    MSG(9, "histogram", "histogram", ol_pb_Histogram),
    MSG(10, "exponentialHistogram", "exponential_histogram", ol_pb_ExponentialHistogram),
    MSG(11, "summary", "summary", ol_pb_Summary),
    MSGS(12, "metadata", "metadata", ol_pb_KeyValue),
};
MSGDEF(ol_pb_Metric, "opentelemetry.proto.metrics.v1.Metric", Metric_f);

static const ol_pb_field_t Gauge_f[] = {
    MSGS(1, "dataPoints", "data_points", ol_pb_NumberDataPoint),
};
SMSGDEF(ol_pb_Gauge, "opentelemetry.proto.metrics.v1.Gauge", Gauge_f);

static const ol_pb_field_t Sum_f[] = {
    MSGS(1, "dataPoints", "data_points", ol_pb_NumberDataPoint),
    ENM(2, "aggregationTemporality", "aggregation_temporality", temporality_enum),
    FLD(3, "isMonotonic", "is_monotonic", OL_PBT_BOOL),
};
SMSGDEF(ol_pb_Sum, "opentelemetry.proto.metrics.v1.Sum", Sum_f);

static const ol_pb_field_t Histogram_f[] = {
    MSGS(1, "dataPoints", "data_points", ol_pb_HistogramDataPoint),
    ENM(2, "aggregationTemporality", "aggregation_temporality", temporality_enum),
};
SMSGDEF(ol_pb_Histogram, "opentelemetry.proto.metrics.v1.Histogram", Histogram_f);

static const ol_pb_field_t ExponentialHistogram_f[] = {
    MSGS(1, "dataPoints", "data_points", ol_pb_ExponentialHistogramDataPoint),
    ENM(2, "aggregationTemporality", "aggregation_temporality", temporality_enum),
};
SMSGDEF(ol_pb_ExponentialHistogram, "opentelemetry.proto.metrics.v1.ExponentialHistogram", ExponentialHistogram_f);

static const ol_pb_field_t Summary_f[] = {
    MSGS(1, "dataPoints", "data_points", ol_pb_SummaryDataPoint),
};
SMSGDEF(ol_pb_Summary, "opentelemetry.proto.metrics.v1.Summary", Summary_f);

/* flags is a bit field of DataPointFlags (bit 0: NO_RECORDED_VALUE), hence uint32. */
static const ol_pb_field_t NumberDataPoint_f[] = {
    FLD(2, "startTimeUnixNano", "start_time_unix_nano", OL_PBT_FIXED64),
    FLD(3, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(4, "asDouble", "as_double", OL_PBT_DOUBLE),
    MSGS(5, "exemplars", "exemplars", ol_pb_Exemplar),
    FLD(6, "asInt", "as_int", OL_PBT_SFIXED64),
    MSGS(7, "attributes", "attributes", ol_pb_KeyValue),
    FLD(8, "flags", "flags", OL_PBT_UINT32),
};
SMSGDEF(ol_pb_NumberDataPoint, "opentelemetry.proto.metrics.v1.NumberDataPoint", NumberDataPoint_f);

static const ol_pb_field_t HistogramDataPoint_f[] = {
    FLD(2, "startTimeUnixNano", "start_time_unix_nano", OL_PBT_FIXED64),
    FLD(3, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(4, "count", "count", OL_PBT_FIXED64),
    FLD(5, "sum", "sum", OL_PBT_DOUBLE),
    REP(6, "bucketCounts", "bucket_counts", OL_PBT_FIXED64),
    REP(7, "explicitBounds", "explicit_bounds", OL_PBT_DOUBLE),
    MSGS(8, "exemplars", "exemplars", ol_pb_Exemplar),
    MSGS(9, "attributes", "attributes", ol_pb_KeyValue),
    FLD(10, "flags", "flags", OL_PBT_UINT32),
    FLD(11, "min", "min", OL_PBT_DOUBLE),
    FLD(12, "max", "max", OL_PBT_DOUBLE),
};
SMSGDEF(ol_pb_HistogramDataPoint, "opentelemetry.proto.metrics.v1.HistogramDataPoint", HistogramDataPoint_f);

static const ol_pb_field_t ExponentialHistogramDataPoint_f[] = {
    MSGS(1, "attributes", "attributes", ol_pb_KeyValue),
    FLD(2, "startTimeUnixNano", "start_time_unix_nano", OL_PBT_FIXED64),
    FLD(3, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(4, "count", "count", OL_PBT_FIXED64),
    FLD(5, "sum", "sum", OL_PBT_DOUBLE),
    FLD(6, "scale", "scale", OL_PBT_SINT32),
    FLD(7, "zeroCount", "zero_count", OL_PBT_FIXED64),
    MSG(8, "positive", "positive", ol_pb_ExponentialHistogramDataPoint_Buckets),
    MSG(9, "negative", "negative", ol_pb_ExponentialHistogramDataPoint_Buckets),
    FLD(10, "flags", "flags", OL_PBT_UINT32),
    MSGS(11, "exemplars", "exemplars", ol_pb_Exemplar),
    FLD(12, "min", "min", OL_PBT_DOUBLE),
    FLD(13, "max", "max", OL_PBT_DOUBLE),
    FLD(14, "zeroThreshold", "zero_threshold", OL_PBT_DOUBLE),
};
SMSGDEF(ol_pb_ExponentialHistogramDataPoint, "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint",
        ExponentialHistogramDataPoint_f);

static const ol_pb_field_t Buckets_f[] = {
    FLD(1, "offset", "offset", OL_PBT_SINT32),
    REP(2, "bucketCounts", "bucket_counts", OL_PBT_UINT64),
};
SMSGDEF(ol_pb_ExponentialHistogramDataPoint_Buckets,
        "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets", Buckets_f);

static const ol_pb_field_t SummaryDataPoint_f[] = {
    FLD(2, "startTimeUnixNano", "start_time_unix_nano", OL_PBT_FIXED64),
    FLD(3, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(4, "count", "count", OL_PBT_FIXED64),
    FLD(5, "sum", "sum", OL_PBT_DOUBLE),
    MSGS(6, "quantileValues", "quantile_values", ol_pb_SummaryDataPoint_ValueAtQuantile),
    MSGS(7, "attributes", "attributes", ol_pb_KeyValue),
    FLD(8, "flags", "flags", OL_PBT_UINT32),
};
SMSGDEF(ol_pb_SummaryDataPoint, "opentelemetry.proto.metrics.v1.SummaryDataPoint", SummaryDataPoint_f);

static const ol_pb_field_t ValueAtQuantile_f[] = {
    FLD(1, "quantile", "quantile", OL_PBT_DOUBLE),
    FLD(2, "value", "value", OL_PBT_DOUBLE),
};
SMSGDEF(ol_pb_SummaryDataPoint_ValueAtQuantile, "opentelemetry.proto.metrics.v1.SummaryDataPoint.ValueAtQuantile",
        ValueAtQuantile_f);

static const ol_pb_field_t Exemplar_f[] = {
    FLD(2, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    FLD(3, "asDouble", "as_double", OL_PBT_DOUBLE),
    FLD(4, "spanId", "span_id", OL_PBT_ID),
    FLD(5, "traceId", "trace_id", OL_PBT_ID),
    FLD(6, "asInt", "as_int", OL_PBT_SFIXED64),
    MSGS(7, "filteredAttributes", "filtered_attributes", ol_pb_KeyValue),
};
SMSGDEF(ol_pb_Exemplar, "opentelemetry.proto.metrics.v1.Exemplar", Exemplar_f);

/* ---- opentelemetry.proto.logs.v1 ---- */

static const ol_pb_field_t ResourceLogs_f[] = {
    MSG(1, "resource", "resource", ol_pb_Resource),
    MSGS(2, "scopeLogs", "scope_logs", ol_pb_ScopeLogs),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ResourceLogs, "opentelemetry.proto.logs.v1.ResourceLogs", ResourceLogs_f);

static const ol_pb_field_t ScopeLogs_f[] = {
    MSG(1, "scope", "scope", ol_pb_InstrumentationScope),
    MSGS(2, "logRecords", "log_records", ol_pb_LogRecord),
    FLD(3, "schemaUrl", "schema_url", OL_PBT_STRING),
};
MSGDEF(ol_pb_ScopeLogs, "opentelemetry.proto.logs.v1.ScopeLogs", ScopeLogs_f);

static const ol_pb_field_t LogRecord_f[] = {
    FLD(1, "timeUnixNano", "time_unix_nano", OL_PBT_FIXED64),
    ENM(2, "severityNumber", "severity_number", severity_enum),
    FLD(3, "severityText", "severity_text", OL_PBT_STRING),
    MSG(5, "body", "body", ol_pb_AnyValue),
    MSGS(6, "attributes", "attributes", ol_pb_KeyValue),
    FLD(7, "droppedAttributesCount", "dropped_attributes_count", OL_PBT_UINT32),
    FLD(8, "flags", "flags", OL_PBT_FIXED32),
    FLD(9, "traceId", "trace_id", OL_PBT_ID),
    FLD(10, "spanId", "span_id", OL_PBT_ID),
    FLD(11, "observedTimeUnixNano", "observed_time_unix_nano", OL_PBT_FIXED64),
    FLD(12, "eventName", "event_name", OL_PBT_STRING),
};
MSGDEF(ol_pb_LogRecord, "opentelemetry.proto.logs.v1.LogRecord", LogRecord_f);

/* ---- opentelemetry.proto.collector.*.v1 ---- */

static const ol_pb_field_t ExportTraceServiceRequest_f[] = {
    MSGS(1, "resourceSpans", "resource_spans", ol_pb_ResourceSpans),
};
MSGDEF(ol_pb_ExportTraceServiceRequest, "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
       ExportTraceServiceRequest_f);

static const ol_pb_field_t ExportTracePartialSuccess_f[] = {
    FLD(1, "rejectedSpans", "rejected_spans", OL_PBT_INT64),
    FLD(2, "errorMessage", "error_message", OL_PBT_STRING),
};
SMSGDEF(ol_pb_ExportTracePartialSuccess, "opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess",
        ExportTracePartialSuccess_f);

static const ol_pb_field_t ExportTraceServiceResponse_f[] = {
    MSG(1, "partialSuccess", "partial_success", ol_pb_ExportTracePartialSuccess),
};
MSGDEF(ol_pb_ExportTraceServiceResponse, "opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse",
       ExportTraceServiceResponse_f);

static const ol_pb_field_t ExportMetricsServiceRequest_f[] = {
    MSGS(1, "resourceMetrics", "resource_metrics", ol_pb_ResourceMetrics),
};
MSGDEF(ol_pb_ExportMetricsServiceRequest, "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest",
       ExportMetricsServiceRequest_f);

static const ol_pb_field_t ExportMetricsPartialSuccess_f[] = {
    FLD(1, "rejectedDataPoints", "rejected_data_points", OL_PBT_INT64),
    FLD(2, "errorMessage", "error_message", OL_PBT_STRING),
};
SMSGDEF(ol_pb_ExportMetricsPartialSuccess, "opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess",
        ExportMetricsPartialSuccess_f);

static const ol_pb_field_t ExportMetricsServiceResponse_f[] = {
    MSG(1, "partialSuccess", "partial_success", ol_pb_ExportMetricsPartialSuccess),
};
MSGDEF(ol_pb_ExportMetricsServiceResponse, "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
       ExportMetricsServiceResponse_f);

static const ol_pb_field_t ExportLogsServiceRequest_f[] = {
    MSGS(1, "resourceLogs", "resource_logs", ol_pb_ResourceLogs),
};
MSGDEF(ol_pb_ExportLogsServiceRequest, "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest",
       ExportLogsServiceRequest_f);

static const ol_pb_field_t ExportLogsPartialSuccess_f[] = {
    FLD(1, "rejectedLogRecords", "rejected_log_records", OL_PBT_INT64),
    FLD(2, "errorMessage", "error_message", OL_PBT_STRING),
};
SMSGDEF(ol_pb_ExportLogsPartialSuccess, "opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess",
        ExportLogsPartialSuccess_f);

static const ol_pb_field_t ExportLogsServiceResponse_f[] = {
    MSG(1, "partialSuccess", "partial_success", ol_pb_ExportLogsPartialSuccess),
};
MSGDEF(ol_pb_ExportLogsServiceResponse, "opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse",
       ExportLogsServiceResponse_f);

/* ---- google.rpc.Status (gRPC error details) ---- */

static const ol_pb_field_t Any_f[] = {
    FLD(1, "typeUrl", "type_url", OL_PBT_STRING),
    FLD(2, "value", "value", OL_PBT_BYTES),
};
SMSGDEF(ol_pb_Any, "google.protobuf.Any", Any_f);

static const ol_pb_field_t RpcStatus_f[] = {
    FLD(1, "code", "code", OL_PBT_INT32),
    FLD(2, "message", "message", OL_PBT_STRING),
    MSGS(3, "details", "details", ol_pb_Any),
};
MSGDEF(ol_pb_RpcStatus, "google.rpc.Status", RpcStatus_f);

/* ---- lookups ---- */

const ol_pb_field_t *ol_pb_msg_field(const ol_pb_msg_t *m, uint32_t number)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].number == number) return &m->fields[i];
    return NULL;
}

const ol_pb_field_t *ol_pb_msg_field_by_json(const ol_pb_msg_t *m, ol_slice_t key)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (ol_slice_eq_cstr(key, m->fields[i].json_name)) return &m->fields[i];
    for (size_t i = 0; i < m->n_fields; i++)
        if (ol_slice_eq_cstr(key, m->fields[i].proto_name)) return &m->fields[i];
    return NULL;
}

uint8_t ol_pb_type_wire(ol_pb_type_t t)
{
    switch (t) {
    case OL_PBT_STRING:
    case OL_PBT_BYTES:
    case OL_PBT_ID:
    case OL_PBT_MESSAGE:
        return OL_PB_LEN;
    case OL_PBT_FIXED64:
    case OL_PBT_SFIXED64:
    case OL_PBT_DOUBLE:
        return OL_PB_I64;
    case OL_PBT_FIXED32:
    case OL_PBT_FLOAT:
        return OL_PB_I32;
    case OL_PBT_BOOL:
    case OL_PBT_INT32:
    case OL_PBT_UINT32:
    case OL_PBT_INT64:
    case OL_PBT_UINT64:
    case OL_PBT_SINT32:
    case OL_PBT_SINT64:
    case OL_PBT_ENUM:
        return OL_PB_VARINT;
    }
    return OL_PB_LEN;
}

/* ---- validation ---- */

/* Checks that a packed payload is a whole number of elements of wire type w. */
static bool ol_pb_packed_ok(uint8_t w, ol_slice_t s)
{
    if (w == OL_PB_I64) return s.len % 8 == 0;
    if (w == OL_PB_I32) return s.len % 4 == 0;
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    uint64_t v;
    while (p < end)
        if (ol_pb_read_varint(&p, end, &v) != OL_OK) return false;
    return true;
}

static int ol_pb_validate_rec(const ol_pb_msg_t *m, ol_slice_t pb, int depth, const uint8_t *root, ol_err_t *err)
{
    if (depth > OL_PB_MAX_DEPTH) {
        if (err) ol_err_set(err, "%s at offset %zu: nesting deeper than %d", m->name, (size_t)(pb.ptr - root),
                            OL_PB_MAX_DEPTH);
        return OL_CORRUPT;
    }
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, pb);
    for (;;) {
        const uint8_t *at = r.p;
        int rc = ol_pb_next(&r, &f);
        if (rc == OL_NOTFOUND) return OL_OK;
        if (rc != OL_OK) {
            if (err) ol_err_set(err, "%s at offset %zu: malformed field", m->name, (size_t)(at - root));
            return OL_CORRUPT;
        }
        const ol_pb_field_t *fd = ol_pb_msg_field(m, f.number);
        if (!fd) continue;
        uint8_t want = ol_pb_type_wire(fd->type);
        if (f.wire_type == want) {
            if (fd->type == OL_PBT_MESSAGE) {
                rc = ol_pb_validate_rec(fd->msg, f.bytes, depth + 1, root, err);
                if (rc != OL_OK) return rc;
            }
            continue;
        }
        if (fd->repeated && want != OL_PB_LEN && f.wire_type == OL_PB_LEN) {
            if (ol_pb_packed_ok(want, f.bytes)) continue;
            if (err) ol_err_set(err, "%s.%s at offset %zu: malformed packed values", m->name, fd->proto_name,
                                (size_t)(at - root));
            return OL_CORRUPT;
        }
        if (err)
            ol_err_set(err, "%s.%s at offset %zu: wire type %u, expected %u", m->name, fd->proto_name,
                       (size_t)(at - root), (unsigned)f.wire_type, (unsigned)want);
        return OL_CORRUPT;
    }
}

int ol_pb_validate(const ol_pb_msg_t *m, ol_slice_t pb, ol_err_t *err)
{
    return ol_pb_validate_rec(m, pb, 1, pb.ptr, err);
}
