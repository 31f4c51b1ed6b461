/*
 * server.h - listeners for HTTP/1.1 and gRPC (HTTP/2 cleartext or TLS).
 *
 * Model: one acceptor thread per listener and one thread per connection with
 * blocking I/O and timeouts, bounded by max_conns across the server (a
 * connection over the bound gets a 503 and is closed). A connection thread
 * parses requests (HTTP/1.1: net/http1.h; HTTP/2: nghttp2), reads the whole
 * body under a size limit, calls the listener's handler synchronously and
 * writes the response. Decoding and storing therefore run on as many cores as
 * there are busy connections.
 *
 * HTTP/1.1: keep-alive, chunked request bodies, Expect: 100-continue, limits
 * on header bytes (431) and body bytes (the handler is called with
 * body_status = OL_LIMIT so it can answer 413 in the request's encoding; the
 * connection is then closed), read timeout (a client that stops mid-request
 * is disconnected). Malformed request heads get 400 and close.
 *
 * gRPC: unary calls only. The connection thread collects a stream's headers
 * and DATA up to max_body bytes of framed message, then calls the grpc
 * handler with the first length-prefixed message; the reply becomes HEADERS,
 * one DATA frame (when status is OK) and trailers with grpc-status,
 * grpc-message (percent-encoded) and grpc-status-details-bin (base64) when
 * details are set. Non-gRPC content types get HTTP 415; an oversized message
 * gets RESOURCE_EXHAUSTED.
 *
 * TLS: when cert and key are set, every accepted connection does a TLS
 * handshake first (OpenSSL); gRPC listeners negotiate "h2" by ALPN.
 */
#ifndef OL_NET_SERVER_H
#define OL_NET_SERVER_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"

typedef struct ol_http_header {
    ol_slice_t name;  /* HTTP/1.1: as sent; HTTP/2: lower-case */
    ol_slice_t value;
} ol_http_header_t;

typedef struct ol_http_request {
    ol_slice_t method;
    ol_slice_t target; /* request-target as sent */
    ol_slice_t path;   /* target up to '?' */
    ol_slice_t query;  /* after '?', without it; may be empty */
    const ol_http_header_t *headers;
    size_t n_headers;
    ol_slice_t body;   /* complete, de-chunked; valid during the handler call */
    int body_status;   /* OL_OK, or OL_LIMIT when the body exceeded max_body (body is empty) */
    const char *listener; /* listener name */
    const char *peer;     /* "ip:port" */
    ol_arena_t *arena;    /* per-request arena, freed after the response is written */
} ol_http_request_t;

/* Case-insensitive header lookup; empty slice with ptr NULL if absent. */
ol_slice_t ol_http_header_get(const ol_http_header_t *h, size_t n, const char *name);

#define OL_HTTP_MAX_RESPONSE_HEADERS 24

typedef struct ol_http_response {
    int status;
    ol_http_header_t headers[OL_HTTP_MAX_RESPONSE_HEADERS];
    size_t n_headers;
    ol_buf_t body;      /* initialised by the server; the handler appends */
    ol_arena_t *arena;  /* same as the request's */
    bool close;         /* ask the server to close the connection after this response */
} ol_http_response_t;

/* Adds a header; name and value are copied into the response arena. */
void ol_http_response_header(ol_http_response_t *res, const char *name, const char *value);

typedef void (*ol_http_handler_fn)(void *ud, const ol_http_request_t *req, ol_http_response_t *res);

/* gRPC status codes used here. */
enum {
    OL_GRPC_OK = 0,
    OL_GRPC_INVALID_ARGUMENT = 3,
    OL_GRPC_NOT_FOUND = 5,
    OL_GRPC_RESOURCE_EXHAUSTED = 8,
    OL_GRPC_UNIMPLEMENTED = 12,
    OL_GRPC_INTERNAL = 13,
    OL_GRPC_UNAVAILABLE = 14,
    OL_GRPC_UNAUTHENTICATED = 16
};

typedef struct ol_grpc_call {
    ol_slice_t path;            /* :path */
    ol_slice_t grpc_encoding;   /* grpc-encoding header, empty if absent */
    const ol_http_header_t *headers;
    size_t n_headers;
    ol_slice_t message;         /* first message payload (after the 5-byte prefix) */
    bool compressed;            /* prefix flag was 1 */
    int message_status;         /* OL_OK, OL_LIMIT (too large; message empty), OL_CORRUPT (bad framing) */
    const char *listener;
    const char *peer;
    ol_arena_t *arena;
} ol_grpc_call_t;

typedef struct ol_grpc_reply {
    int status;               /* OL_GRPC_* */
    char message[256];        /* grpc-message (plain; the server percent-encodes) */
    ol_buf_t response;        /* serialized response message (sent when status == OK) */
    ol_buf_t details;         /* serialized google.rpc.Status for grpc-status-details-bin; empty = none */
    const char *accept_encoding; /* if set, sent as grpc-accept-encoding */
} ol_grpc_reply_t;

typedef void (*ol_grpc_handler_fn)(void *ud, const ol_grpc_call_t *call, ol_grpc_reply_t *reply);

typedef enum { OL_PROTO_HTTP1 = 1, OL_PROTO_GRPC = 2 } ol_listener_proto_t;

typedef struct ol_listener_config {
    const char *name;       /* "otlp-http", "otlp-grpc", "api" */
    const char *addr;       /* "host:port"; port 0 = any free port */
    ol_listener_proto_t proto;
    ol_http_handler_fn http;
    ol_grpc_handler_fn grpc;
    void *ud;
    size_t max_body;        /* bytes on the wire (HTTP/1 body, gRPC framed message) */
    size_t max_header_bytes; /* default 64 KiB */
    int read_timeout_ms;    /* a request must arrive completely within this; default 30000 */
    int idle_timeout_ms;    /* keep-alive idle; default 120000 */
    const char *tls_cert;   /* PEM paths; both NULL = cleartext */
    const char *tls_key;
} ol_listener_config_t;

typedef struct ol_server ol_server_t;

int ol_server_create(ol_server_t **out, int max_conns);
/* Binds and listens now (so a taken port fails at start-up with a clear err).
 * Returns the listener index (>= 0) or a negative code. */
int ol_server_listen(ol_server_t *s, const ol_listener_config_t *cfg, ol_err_t *err);
/* The bound port of listener i (useful with port 0). */
int ol_server_port(ol_server_t *s, int listener);
/* Starts acceptor threads. */
int ol_server_start(ol_server_t *s);
/* Stops accepting, lets in-flight requests finish (up to drain_ms), closes
 * idle connections, joins threads. */
void ol_server_stop(ol_server_t *s, int drain_ms);
void ol_server_destroy(ol_server_t *s);

/* Counters for /metrics. */
typedef struct ol_server_stats {
    uint64_t connections_total;
    uint64_t connections_active;
    uint64_t connections_rejected;
    uint64_t requests_total;
    uint64_t bad_requests; /* malformed heads, header overflow, timeouts */
} ol_server_stats_t;
void ol_server_get_stats(ol_server_t *s, ol_server_stats_t *out);

#endif
