/*
 * ingest.h - the OTLP receivers.
 *
 * One ingest object serves both transports: ol_ingest_http() is the handler
 * of the OTLP/HTTP listener (POST /v1/traces|metrics|logs) and
 * ol_ingest_grpc() the handler of the OTLP/gRPC listener (the Export method
 * of the three collector services). Both run the same pipeline: auth,
 * limits, decompression (size limit applied after decompression), OTLP/JSON
 * transcoding, OTLP decoding, store append, response. Replies follow the
 * OTLP specification (docs/ingest.md has the full table of statuses).
 *
 * Backpressure: the bytes of requests being processed are counted; over
 * max_inflight_bytes a request is refused at once with 429 (HTTP) or
 * UNAVAILABLE + RetryInfo (gRPC), so memory stays bounded.
 */
#ifndef OL_INGEST_INGEST_H
#define OL_INGEST_INGEST_H

#include "net/server.h"
#include "store/store.h"

typedef struct ol_ingest ol_ingest_t;
struct ol_pipeline;

typedef struct ol_ingest_options {
    ol_store_t *store;
    struct ol_pipeline *pipeline; /* processors around the append (pipeline.h); NULL = none */
    size_t max_body;           /* decompressed request size limit; default 64 MiB */
    size_t max_inflight_bytes; /* default 256 MiB */
    const char *token;         /* bearer token required when set */
    uint32_t retry_after_s;    /* Retry-After / RetryInfo delay; default 1 */
} ol_ingest_options_t;

int ol_ingest_create(const ol_ingest_options_t *opt, ol_ingest_t **out);
void ol_ingest_destroy(ol_ingest_t *ing);

void ol_ingest_http(void *ing, const ol_http_request_t *req, ol_http_response_t *res);
void ol_ingest_grpc(void *ing, const ol_grpc_call_t *call, ol_grpc_reply_t *reply);

/* Appends Olly's ingest counters in Prometheus text format. */
void ol_ingest_metrics_text(ol_ingest_t *ing, ol_buf_t *out);

#endif
