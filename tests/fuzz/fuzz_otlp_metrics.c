/*
 * fuzz_otlp_metrics.c - libFuzzer target: ol_otlp_decode() of an
 * Export*ServiceRequest for metrics, then every decoded item rendered with
 * ol_pb_to_otlp_json() and its attributes walked as text. A request that
 * decodes must render; any view must point inside the input.
 */
#include <stdlib.h>

#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb_schema.h"

static void ol_fuzz_in(ol_slice_t s, const uint8_t *data, size_t size)
{
    if (s.len && (s.ptr < data || s.ptr + s.len > data + size)) abort();
}

static int ol_fuzz_attr(void *ud, ol_slice_t key, ol_slice_t value)
{
    ol_otlp_anyvalue_text(value, ud);
    return OL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_arena_t *a = ol_arena_create(4096, 1 << 24);
    ol_otlp_batch_t b;
    ol_err_t err;
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    if (a && ol_otlp_decode(OL_SIGNAL_METRICS, ol_slice(data, size), a, &b, &err) == OL_OK) {
        if (b.n_rejected > b.n_items) abort();
        for (size_t i = 0; i < b.n_origins; i++) {
            ol_fuzz_in(b.origins[i].resource, data, size);
            ol_fuzz_in(b.origins[i].scope, data, size);
            ol_fuzz_in(b.origins[i].service_name, data, size);
            ol_otlp_each_attribute(b.origins[i].resource, 1, ol_fuzz_attr, &out);
        }
        for (size_t i = 0; i < b.n_metrics; i++) {
            ol_fuzz_in(b.metrics[i].raw, data, size);
            ol_buf_reset(&out);
            if (ol_pb_to_otlp_json(&ol_pb_Metric, b.metrics[i].raw, &out) != OL_OK) abort();
            ol_otlp_each_attribute(b.metrics[i].raw, 12, ol_fuzz_attr, &out);
        }
    }
    ol_buf_free(&out);
    ol_arena_destroy(a);
    return 0;
}
