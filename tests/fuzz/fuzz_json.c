/*
 * fuzz_json.c - libFuzzer target for the JSON parser (json.c) and OTLP/JSON
 * transcoding (otlp_json.c).
 *
 * Parser invariants: the token tree is consistent (every `next` moves
 * forward and stays in bounds, the root spans all tokens), every string token
 * unescapes, and a decoded string written back with ol_json_write_string()
 * parses to the same bytes. Transcoding, for each of the three request
 * roots: whatever is accepted must be schema-valid protobuf, must render with
 * ol_pb_to_otlp_json(), and that rendering must transcode and render again to
 * the identical text (the two halves agree).
 */
#include <stdlib.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb_schema.h"

static void ol_fuzz_check_doc(const ol_json_doc_t *d, ol_arena_t *a)
{
    if (d->n == 0 || d->toks[0].next != d->n) abort();
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    for (uint32_t i = 0; i < d->n; i++) {
        const ol_json_tok_t *t = &d->toks[i];
        if (t->next <= i || t->next > d->n) abort();
        if ((t->kind == OL_JSON_ARRAY || t->kind == OL_JSON_OBJECT) && t->size == 0 && t->next != i + 1) abort();
        if (t->kind != OL_JSON_STRING) continue;
        ol_slice_t s;
        if (ol_json_unescape(t, a, &s) != OL_OK) abort();
        ol_buf_reset(&b);
        ol_json_write_string(&b, s);
        ol_json_doc_t d2;
        ol_err_t err;
        ol_slice_t s2;
        if (ol_json_parse(ol_buf_slice(&b), a, &d2, &err) != OL_OK || d2.n != 1) abort();
        if (ol_json_unescape(&d2.toks[0], a, &s2) != OL_OK || !ol_slice_eq(s, s2)) abort();
    }
    ol_buf_free(&b);
}

static void ol_fuzz_otlp(const ol_pb_msg_t *root, ol_signal_t sig, const uint8_t *data, size_t size)
{
    ol_arena_t *a = ol_arena_create(4096, 1 << 24);
    ol_buf_t pb, j1, pb2, j2;
    ol_buf_init(&pb, OL_MEM_CODEC, 0);
    ol_buf_init(&j1, OL_MEM_CODEC, 0);
    ol_buf_init(&pb2, OL_MEM_CODEC, 0);
    ol_buf_init(&j2, OL_MEM_CODEC, 0);
    ol_err_t err;
    if (a && ol_otlp_json_to_pb(root, ol_slice(data, size), a, &pb, &err) == OL_OK) {
        if (ol_pb_validate(root, ol_buf_slice(&pb), &err) != OL_OK) abort();
        if (ol_pb_to_otlp_json(root, ol_buf_slice(&pb), &j1) != OL_OK) abort();
        int rc = ol_otlp_json_to_pb(root, ol_buf_slice(&j1), a, &pb2, &err);
        if (rc != OL_OK) {
            if (rc != OL_NOMEM) abort(); /* only the arena cap may refuse it */
        } else {
            if (ol_pb_to_otlp_json(root, ol_buf_slice(&pb2), &j2) != OL_OK) abort();
            if (!ol_slice_eq(ol_buf_slice(&j1), ol_buf_slice(&j2))) abort();
        }
        ol_otlp_batch_t batch;
        ol_otlp_decode(sig, ol_buf_slice(&pb), a, &batch, &err);
    }
    ol_buf_free(&pb);
    ol_buf_free(&j1);
    ol_buf_free(&pb2);
    ol_buf_free(&j2);
    ol_arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_arena_t *a = ol_arena_create(4096, 1 << 24);
    ol_json_doc_t d;
    ol_err_t err;
    if (a && ol_json_parse(ol_slice(data, size), a, &d, &err) == OL_OK) ol_fuzz_check_doc(&d, a);
    ol_arena_destroy(a);
    ol_fuzz_otlp(&ol_pb_ExportTraceServiceRequest, OL_SIGNAL_TRACES, data, size);
    ol_fuzz_otlp(&ol_pb_ExportMetricsServiceRequest, OL_SIGNAL_METRICS, data, size);
    ol_fuzz_otlp(&ol_pb_ExportLogsServiceRequest, OL_SIGNAL_LOGS, data, size);
    return 0;
}
