/*
 * send.h - OTLP export clients for the load generator: HTTP/1.1 with
 * keep-alive (POST application/x-protobuf) and unary gRPC over cleartext
 * HTTP/2 (nghttp2), with optional gzip.
 *
 * A client is one connection used by one thread: one request at a time,
 * blocking sockets with a timeout. An export returns once the answer is
 * complete, with the HTTP status or grpc-status and the rejected-span count
 * from partial_success. Transport failures close the connection; the next
 * export reconnects. Nothing is retried here: the caller counts 429/503 and
 * UNAVAILABLE answers and decides how long to back off.
 */
#ifndef OL_LOADGEN_SEND_H
#define OL_LOADGEN_SEND_H

#include "core/common.h"

typedef enum { OL_LOADGEN_HTTP = 0, OL_LOADGEN_GRPC = 1 } ol_loadgen_proto_t;

typedef struct ol_loadgen_target {
    ol_loadgen_proto_t proto;
    char host[256];      /* without IPv6 brackets */
    char port[8];
    char path[512];      /* HTTP request path, or the gRPC method path */
    char authority[272]; /* Host header / :authority */
} ol_loadgen_target_t;

/* Parses a target. HTTP: [http://]host[:port][/path], port 4318 and path
 * /v1/traces by default. gRPC: [http://]host[:port], port 4317 by default.
 * IPv6 hosts in brackets. https is refused (the load generator speaks
 * cleartext only). OL_OK or OL_CORRUPT with err. */
int ol_loadgen_target_parse(const char *url, ol_loadgen_proto_t proto, ol_loadgen_target_t *t, ol_err_t *err);

typedef struct ol_loadgen_result {
    bool answered;       /* a complete answer came back (else: transport failure) */
    bool ok;             /* HTTP 2xx / grpc-status 0 */
    bool backoff;        /* HTTP 429/503, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED */
    int status;          /* HTTP status or grpc-status; -1 without an answer */
    int64_t rejected;    /* partial_success.rejected_spans of a successful answer */
    uint32_t retry_after_ms; /* from Retry-After when present, else 0 */
    uint64_t wire_bytes; /* request body bytes on the wire (after gzip, before framing) */
    uint64_t latency_ns; /* first byte written to last byte of the answer (gzip excluded) */
    char message[200];   /* what went wrong (transport error, grpc-message, Status.message) */
} ol_loadgen_result_t;

typedef struct ol_loadgen_client ol_loadgen_client_t;

/* Creates a client; nothing is connected yet. OL_NOMEM. */
int ol_loadgen_client_create(const ol_loadgen_target_t *t, bool gzip, ol_loadgen_client_t **out);
/* Connects now (the driver does this before its clock starts); exports
 * connect on demand too. OL_OK or OL_ERR with err. */
int ol_loadgen_client_connect(ol_loadgen_client_t *c, ol_err_t *err);
/* Sends one ExportTraceServiceRequest (`body`, uncompressed protobuf) and
 * waits for the answer. Always fills res; returns OL_OK when an answer was
 * received (whatever its status) and OL_ERR on a transport failure. */
int ol_loadgen_client_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res);
void ol_loadgen_client_destroy(ol_loadgen_client_t *c); /* NULL is fine */

/* Reads ExportTraceServiceResponse.partial_success: rejected_spans and the
 * error message (a view into pb). An empty response means nothing rejected.
 * OL_OK or OL_CORRUPT. */
int ol_loadgen_parse_export_response(ol_slice_t pb, int64_t *rejected, ol_slice_t *message);

#endif
