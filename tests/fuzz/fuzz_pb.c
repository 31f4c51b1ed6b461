/*
 * fuzz_pb.c - libFuzzer target for the protobuf reader and the schema
 * validator: the input is checked against the three OTLP request schemas;
 * whatever validates must also render to OTLP/JSON without error, and the
 * raw reader must terminate cleanly on any input.
 */
#include <stdlib.h>

#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ol_pb_msg_t *const roots[] = {&ol_pb_ExportTraceServiceRequest, &ol_pb_ExportMetricsServiceRequest,
                                               &ol_pb_ExportLogsServiceRequest, &ol_pb_AnyValue};
    ol_slice_t in = ol_slice(data, size);
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, in);
    while (ol_pb_next(&r, &f) == OL_OK) {
        if (f.wire_type == OL_PB_LEN && (f.bytes.ptr < data || f.bytes.ptr + f.bytes.len > data + size)) abort();
    }
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    for (size_t i = 0; i < OL_ARRAY_LEN(roots); i++) {
        ol_err_t err;
        if (ol_pb_validate(roots[i], in, &err) != OL_OK) continue;
        ol_buf_reset(&out);
        if (ol_pb_to_otlp_json(roots[i], in, &out) != OL_OK) abort();
    }
    ol_buf_free(&out);
    return 0;
}
