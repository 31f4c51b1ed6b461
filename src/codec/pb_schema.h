/*
 * pb_schema.h - OTLP message schemas as tables.
 *
 * One table per protobuf message (field number, JSON name, type, nested
 * message) drives three things, so that no OTLP field can be forgotten by one
 * of them: structural validation of incoming protobuf (otlp.c), OTLP/JSON ->
 * protobuf transcoding (otlp_json.c) and protobuf -> OTLP/JSON rendering
 * (pb_json.c). The tables follow opentelemetry-proto v1.x (trace, metrics,
 * logs, common, resource, collector services) plus google.rpc.Status.
 *
 * Unknown field numbers in protobuf are skipped (forward compatibility) and
 * not rendered; unknown JSON keys are ignored.
 */
#ifndef OL_CODEC_PB_SCHEMA_H
#define OL_CODEC_PB_SCHEMA_H

#include "core/common.h"

typedef enum {
    OL_PBT_STRING,   /* LEN, UTF-8 */
    OL_PBT_BYTES,    /* LEN, JSON base64 */
    OL_PBT_ID,       /* LEN, trace/span ids: JSON as hex (OTLP/JSON rule) */
    OL_PBT_BOOL,     /* VARINT */
    OL_PBT_INT32,    /* VARINT, JSON number */
    OL_PBT_UINT32,   /* VARINT, JSON number */
    OL_PBT_INT64,    /* VARINT, JSON string */
    OL_PBT_UINT64,   /* VARINT, JSON string */
    OL_PBT_SINT32,   /* VARINT zigzag, JSON number */
    OL_PBT_SINT64,   /* VARINT zigzag, JSON string */
    OL_PBT_FIXED32,  /* I32, JSON number */
    OL_PBT_FIXED64,  /* I64, JSON string */
    OL_PBT_SFIXED64, /* I64, JSON string */
    OL_PBT_DOUBLE,   /* I64, JSON number ("NaN", "Infinity", "-Infinity" as strings) */
    OL_PBT_FLOAT,    /* I32 */
    OL_PBT_ENUM,     /* VARINT, JSON number on output; number or name on input */
    OL_PBT_MESSAGE   /* LEN, nested */
} ol_pb_type_t;

typedef struct ol_pb_enum_value {
    const char *name;
    int32_t number;
} ol_pb_enum_value_t;

typedef struct ol_pb_enum {
    const char *name;
    const ol_pb_enum_value_t *values;
    size_t n_values;
} ol_pb_enum_t;

struct ol_pb_msg;

typedef struct ol_pb_field {
    uint32_t number;
    const char *json_name; /* lowerCamelCase, as OTLP/JSON emits */
    const char *proto_name; /* snake_case, also accepted on JSON input */
    ol_pb_type_t type;
    bool repeated;          /* numeric repeated fields are packed on output, both accepted on input */
    const struct ol_pb_msg *msg;  /* OL_PBT_MESSAGE */
    const ol_pb_enum_t *enm;      /* OL_PBT_ENUM */
} ol_pb_field_t;

typedef struct ol_pb_msg {
    const char *name; /* full protobuf name, e.g. "opentelemetry.proto.trace.v1.Span" */
    const ol_pb_field_t *fields;
    size_t n_fields;
} ol_pb_msg_t;

/* Maximum message nesting accepted anywhere (AnyValue arrays/kvlists nest).
 * Deeper input is rejected as malformed; documented in docs/ingest.md. */
#define OL_PB_MAX_DEPTH 64

const ol_pb_field_t *ol_pb_msg_field(const ol_pb_msg_t *m, uint32_t number);
const ol_pb_field_t *ol_pb_msg_field_by_json(const ol_pb_msg_t *m, ol_slice_t key); /* json or proto name */

/* Wire type expected for a field type (LEN for packed repeated too). */
uint8_t ol_pb_type_wire(ol_pb_type_t t);

/* Structural validation of an encoded message against its schema, recursively:
 * every known field has an acceptable wire type, nested messages are well formed,
 * depth <= OL_PB_MAX_DEPTH. Unknown fields are skipped. OL_OK or OL_CORRUPT
 * with err describing what and where (message name, field). */
int ol_pb_validate(const ol_pb_msg_t *m, ol_slice_t pb, ol_err_t *err);

/* Roots and messages others need. */
extern const ol_pb_msg_t ol_pb_ExportTraceServiceRequest;
extern const ol_pb_msg_t ol_pb_ExportMetricsServiceRequest;
extern const ol_pb_msg_t ol_pb_ExportLogsServiceRequest;
extern const ol_pb_msg_t ol_pb_ResourceSpans, ol_pb_ScopeSpans, ol_pb_Span;
extern const ol_pb_msg_t ol_pb_ResourceMetrics, ol_pb_ScopeMetrics, ol_pb_Metric;
extern const ol_pb_msg_t ol_pb_ResourceLogs, ol_pb_ScopeLogs, ol_pb_LogRecord;
extern const ol_pb_msg_t ol_pb_Resource, ol_pb_InstrumentationScope, ol_pb_KeyValue, ol_pb_AnyValue;
/* Responses (partial_success) and google.rpc.Status (gRPC error details). */
extern const ol_pb_msg_t ol_pb_ExportTraceServiceResponse;
extern const ol_pb_msg_t ol_pb_ExportMetricsServiceResponse;
extern const ol_pb_msg_t ol_pb_ExportLogsServiceResponse;
extern const ol_pb_msg_t ol_pb_RpcStatus;

#endif
