/*
 * send_int.h - the client layout shared by send.c (connection, gzip,
 * dispatch) and the two protocols (send_http.c, send_grpc.c). Private to
 * src/loadgen.
 */
#ifndef OL_LOADGEN_SEND_INT_H
#define OL_LOADGEN_SEND_INT_H

#include <nghttp2/nghttp2.h>
#include <sys/uio.h>
#include <zlib.h>

#include "codec/compress.h"
#include "core/buf.h"
#include "loadgen/send.h"

#define OL_LG_IO_TIMEOUT_S 30        /* a stalled server fails the request instead of hanging the run */
#define OL_LG_MAX_RESPONSE (16u << 20) /* answers are small; anything larger is refused */

typedef struct ol_lg_grpc_call {
    int32_t stream_id;
    bool done;
    uint32_t reset_code; /* HTTP/2 error code the stream closed with (0 = none) */
    int http_status;
    int grpc_status;     /* -1 until seen */
    ol_encoding_t reply_encoding;
    ol_slice_t message;  /* DATA frames carry prefix_bytes, then message */
    uint8_t prefix_bytes[5];
    size_t queued;       /* bytes of prefix + message promised to nghttp2 */
    size_t sent;         /* bytes of prefix + message written into frames */
    char grpc_message[160];
} ol_lg_grpc_call_t;

struct ol_loadgen_client {
    ol_loadgen_target_t t;
    bool gzip;
    int fd;
    z_stream z;
    bool z_ready;
    ol_buf_t zbuf; /* the compressed body of the current request */
    ol_buf_t rbuf; /* bytes received (HTTP: the response; gRPC: the reply message) */
    ol_buf_t wbuf; /* gRPC: frames waiting to be written */
    nghttp2_session *ng;
    ol_lg_grpc_call_t call;
    bool wfail;    /* a write inside an nghttp2 callback failed */
};

/* Sets res->message (truncating). */
void ol_lg_msg(ol_loadgen_result_t *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ol_lg_copy(char *dst, size_t cap, const char *src);

/* Socket helpers (send.c). Both return OL_OK or OL_ERR with res->message set. */
int ol_lg_write_all(ol_loadgen_client_t *c, const struct iovec *iov, int n, ol_loadgen_result_t *res);
/* Reads what is available into b (at least one byte); OL_ERR on EOF (message says so), error or timeout. */
int ol_lg_read_some(ol_loadgen_client_t *c, ol_buf_t *b, ol_loadgen_result_t *res);
void ol_lg_close(ol_loadgen_client_t *c);
/* gzip of body into c->zbuf (level 1, as collectors default to). OL_OK or OL_NOMEM. */
int ol_lg_gzip(ol_loadgen_client_t *c, ol_slice_t body);
/* google.rpc.Status.message of an error body, for the report. */
void ol_lg_status_message(ol_slice_t pb, char *out, size_t cap);

int ol_lg_http_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res);
int ol_lg_grpc_open(ol_loadgen_client_t *c, ol_err_t *err);
int ol_lg_grpc_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res);
void ol_lg_grpc_close(ol_loadgen_client_t *c);

#endif
