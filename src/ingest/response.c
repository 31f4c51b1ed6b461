/*
 * response.c - encodes OTLP export responses and google.rpc.Status.
 *
 * Field numbers (opentelemetry-proto collector/{trace,metrics,logs}/v1, google/rpc/status.proto,
 * google/rpc/error_details.proto):
 *   Export*ServiceResponse.partial_success = 1
 *   Export*PartialSuccess.rejected_{spans,data_points,log_records} = 1 (int64), error_message = 2
 *   Status.code = 1, message = 2, details = 3 (Any: type_url = 1, value = 2)
 *   RetryInfo.retry_delay = 1 (Duration: seconds = 1, nanos = 2)
 */
#include "ingest/response.h"

#include "codec/json.h"
#include "codec/pb.h"

static const char *ol_rejected_field(ol_signal_t sig)
{
    switch (sig) {
    case OL_SIGNAL_TRACES: return "rejectedSpans";
    case OL_SIGNAL_METRICS: return "rejectedDataPoints";
    default: return "rejectedLogRecords";
    }
}

void ol_ingest_write_export_response(ol_buf_t *b, bool json, ol_signal_t sig, uint64_t rejected, const char *msg)
{
    if (json) {
        if (rejected == 0 && (!msg || !*msg)) {
            ol_buf_append_cstr(b, "{}");
            return;
        }
        ol_buf_printf(b, "{\"partialSuccess\":{\"%s\":", ol_rejected_field(sig));
        ol_json_write_u64_str(b, rejected);
        ol_buf_append_cstr(b, ",\"errorMessage\":");
        ol_json_write_cstr(b, msg ? msg : "");
        ol_buf_append_cstr(b, "}}");
        return;
    }
    if (rejected == 0 && (!msg || !*msg)) return; /* empty message */
    size_t m = ol_pb_begin(b, 1);
    if (rejected) ol_pb_put_uint(b, 1, rejected);
    if (msg && *msg) ol_pb_put_bytes(b, 2, ol_slice_cstr(msg));
    ol_pb_end(b, m);
}

void ol_ingest_write_status(ol_buf_t *b, bool json, int grpc_code, const char *msg, uint32_t retry_delay_s)
{
    if (json) {
        ol_buf_printf(b, "{\"code\":%d,\"message\":", grpc_code);
        ol_json_write_cstr(b, msg ? msg : "");
        if (retry_delay_s)
            ol_buf_printf(b, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                             "\"retryDelay\":\"%us\"}]", retry_delay_s);
        ol_buf_append_u8(b, '}');
        return;
    }
    if (grpc_code) ol_pb_put_uint(b, 1, (uint64_t)(uint32_t)grpc_code);
    if (msg && *msg) ol_pb_put_bytes(b, 2, ol_slice_cstr(msg));
    if (retry_delay_s) {
        size_t any = ol_pb_begin(b, 3);
        ol_pb_put_bytes(b, 1, OL_SLICE_LIT("type.googleapis.com/google.rpc.RetryInfo"));
        size_t val = ol_pb_begin(b, 2);
        size_t dur = ol_pb_begin(b, 1);
        ol_pb_put_uint(b, 1, retry_delay_s);
        ol_pb_end(b, dur);
        ol_pb_end(b, val);
        ol_pb_end(b, any);
    }
}
