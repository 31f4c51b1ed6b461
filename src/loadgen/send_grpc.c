/*
 * send_grpc.c - OTLP/gRPC export: unary TraceService/Export calls over a
 * cleartext HTTP/2 connection driven by an nghttp2 client session.
 *
 * One call at a time per connection. The request message is framed with the
 * 5-byte gRPC prefix and handed to nghttp2 without copying
 * (NGHTTP2_DATA_FLAG_NO_COPY): the send-data callback appends the frame
 * header and the payload to c->wbuf, which is written out after each
 * nghttp2_session_send(), so a request goes out in a few large writes.
 * Received bytes go through nghttp2_session_mem_recv(); the callbacks collect
 * :status, grpc-status and grpc-message (from headers or trailers) and the
 * reply message, and mark the call done when the stream closes.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "codec/compress.h"
#include "core/util.h"
#include "loadgen/send_int.h"

#define OL_LG_WBUF_FLUSH (1u << 20)

static int ol_lg_flush(ol_loadgen_client_t *c, ol_loadgen_result_t *res)
{
    if (c->wbuf.err) {
        ol_lg_msg(res, "out of memory framing the request");
        return OL_ERR;
    }
    if (c->wbuf.len == 0) return OL_OK;
    struct iovec iov = {c->wbuf.data, c->wbuf.len};
    int rc = ol_lg_write_all(c, &iov, 1, res);
    ol_buf_reset(&c->wbuf);
    return rc;
}

static ssize_t ol_lg_g_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    ol_loadgen_client_t *c = ud;
    ol_buf_append(&c->wbuf, data, len);
    return c->wbuf.err ? NGHTTP2_ERR_CALLBACK_FAILURE : (ssize_t)len;
}

static ssize_t ol_lg_g_read(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length, uint32_t *flags,
                                  nghttp2_data_source *src, void *ud)
{
    ol_loadgen_client_t *c = ud;
    ol_lg_grpc_call_t *call = &c->call;
    size_t total = 5 + call->message.len, n = OL_MIN(length, total - call->queued);
    call->queued += n;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (call->queued == total) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int ol_lg_g_send_data(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                             nghttp2_data_source *src, void *ud)
{
    ol_loadgen_client_t *c = ud;
    ol_lg_grpc_call_t *call = &c->call;
    ol_buf_append(&c->wbuf, framehd, 9);
    if (frame->data.padlen > 0) return NGHTTP2_ERR_CALLBACK_FAILURE; /* no padding is ever selected */
    while (length > 0) {
        size_t n;
        if (call->sent < 5) {
            n = OL_MIN(length, 5 - call->sent);
            ol_buf_append(&c->wbuf, call->prefix_bytes + call->sent, n);
        } else {
            n = length;
            ol_buf_append(&c->wbuf, call->message.ptr + (call->sent - 5), n);
        }
        call->sent += n;
        length -= n;
    }
    if (c->wbuf.err) return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (c->wbuf.len >= OL_LG_WBUF_FLUSH) {
        ol_loadgen_result_t scratch;
        if (ol_lg_flush(c, &scratch) != OL_OK) {
            c->wfail = true;
            ol_lg_copy(call->grpc_message, sizeof call->grpc_message, scratch.message);
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
    }
    return 0;
}

static int ol_lg_small_int(const uint8_t *v, size_t n)
{
    if (n == 0 || n > 4) return -2;
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return -2;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

static int ol_lg_g_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                          const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    ol_loadgen_client_t *c = ud;
    ol_lg_grpc_call_t *call = &c->call;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != call->stream_id) return 0;
    ol_slice_t n = ol_slice(name, namelen);
    if (ol_slice_eq_cstr(n, ":status")) call->http_status = ol_lg_small_int(value, valuelen);
    else if (ol_slice_eq_cstr(n, "grpc-status")) call->grpc_status = ol_lg_small_int(value, valuelen);
    else if (ol_slice_eq_cstr(n, "grpc-message"))
        snprintf(call->grpc_message, sizeof call->grpc_message, "%.*s", (int)OL_MIN(valuelen, 150u),
                 (const char *)value);
    else if (ol_slice_eq_cstr(n, "grpc-encoding"))
        call->reply_encoding = ol_encoding_parse(ol_slice(value, valuelen));
    return 0;
}

static int ol_lg_g_data(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
                        void *ud)
{
    ol_loadgen_client_t *c = ud;
    if (stream_id == c->call.stream_id) ol_buf_append(&c->rbuf, data, len); /* over the limit: err, checked later */
    return 0;
}

static int ol_lg_g_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *ud)
{
    ol_loadgen_client_t *c = ud;
    if (stream_id != c->call.stream_id) return 0;
    c->call.done = true;
    c->call.reset_code = error_code;
    return 0;
}

int ol_lg_grpc_open(ol_loadgen_client_t *c, ol_err_t *err)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0) {
        ol_err_set(err, "out of memory creating the HTTP/2 session");
        return OL_NOMEM;
    }
    nghttp2_session_callbacks_set_send_callback(cb, ol_lg_g_send);
    nghttp2_session_callbacks_set_send_data_callback(cb, ol_lg_g_send_data);
    nghttp2_session_callbacks_set_on_header_callback(cb, ol_lg_g_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, ol_lg_g_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, ol_lg_g_close);
    int rv = nghttp2_session_client_new(&c->ng, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) {
        c->ng = NULL;
        ol_err_set(err, "cannot create the HTTP/2 session: %s", nghttp2_strerror(rv));
        return OL_NOMEM;
    }
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20}};
    if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, OL_ARRAY_LEN(iv)) != 0) {
        ol_err_set(err, "cannot queue the HTTP/2 settings");
        return OL_ERR;
    }
    return OL_OK;
}

void ol_lg_grpc_close(ol_loadgen_client_t *c)
{
    nghttp2_session_del(c->ng);
    c->ng = NULL;
    ol_buf_reset(&c->wbuf);
}

/* gRPC's mapping of an HTTP status without grpc-status (doc/http-grpc-status-mapping.md). */
static int ol_lg_grpc_from_http(int http)
{
    switch (http) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
    }
}

static int ol_lg_grpc_reply(ol_loadgen_client_t *c, ol_loadgen_result_t *res)
{
    ol_lg_grpc_call_t *call = &c->call;
    int st = call->grpc_status;
    if (st < 0) {
        st = ol_lg_grpc_from_http(call->http_status);
        ol_lg_msg(res, "HTTP %d without grpc-status", call->http_status);
    } else if (call->grpc_message[0]) {
        ol_lg_msg(res, "%s", call->grpc_message);
    }
    res->status = st;
    res->ok = st == 0;
    res->backoff = st == 14 || st == 8;
    if (!res->ok) return OL_OK;
    ol_buf_t *b = &c->rbuf;
    if (b->err || b->len < 5 || b->data[0] > 1 || ol_load_be32(b->data + 1) != b->len - 5) {
        ol_lg_msg(res, "malformed gRPC reply message (%zu bytes)", b->len);
        res->ok = false;
        return OL_OK;
    }
    ol_slice_t msg = ol_slice(b->data + 5, b->len - 5);
    ol_buf_t plain;
    ol_buf_init(&plain, OL_MEM_NET, 0);
    if (b->data[0] == 1) {
        ol_err_t err;
        if (call->reply_encoding == OL_ENC_IDENTITY || call->reply_encoding == OL_ENC_UNKNOWN ||
            ol_decompress(call->reply_encoding, msg, OL_LG_MAX_RESPONSE, &plain, &err) != OL_OK) {
            ol_lg_msg(res, "cannot decompress the gRPC reply");
            res->ok = false;
            ol_buf_free(&plain);
            return OL_OK;
        }
        msg = ol_buf_slice(&plain);
    }
    ol_slice_t text;
    if (ol_loadgen_parse_export_response(msg, &res->rejected, &text) != OL_OK) {
        ol_lg_msg(res, "unreadable ExportTraceServiceResponse");
        res->ok = false;
    } else if (text.len) {
        ol_lg_msg(res, "%.*s", (int)OL_MIN(text.len, 190u), (const char *)text.ptr);
    }
    ol_buf_free(&plain);
    return OL_OK;
}

int ol_lg_grpc_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res)
{
    ol_lg_grpc_call_t *call = &c->call;
    memset(call, 0, sizeof *call);
    call->grpc_status = -1;
    call->stream_id = -1;
    call->message = body;
    call->prefix_bytes[0] = c->gzip ? 1 : 0;
    uint32_t len = (uint32_t)body.len;
    call->prefix_bytes[1] = (uint8_t)(len >> 24);
    call->prefix_bytes[2] = (uint8_t)(len >> 16);
    call->prefix_bytes[3] = (uint8_t)(len >> 8);
    call->prefix_bytes[4] = (uint8_t)len;
    ol_buf_reset(&c->rbuf);
    c->wfail = false;

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NO_COPY_NAME}
    nghttp2_nv nva[] = {
        NV(":method", "POST"),
        NV(":scheme", "http"),
        NV(":path", c->t.path),
        NV(":authority", c->t.authority),
        NV("content-type", "application/grpc"),
        NV("te", "trailers"),
        NV("user-agent", "grpc-c/olly-loadgen/" OL_VERSION),
        NV("grpc-accept-encoding", "identity,gzip"),
        NV("grpc-encoding", "gzip"),
    };
#undef NV
    nghttp2_data_provider prd = {.read_callback = ol_lg_g_read};
    int32_t sid = nghttp2_submit_request(c->ng, NULL, nva, OL_ARRAY_LEN(nva) - (c->gzip ? 0 : 1), &prd, c);
    if (sid < 0) {
        ol_lg_msg(res, "cannot start a gRPC call: %s", nghttp2_strerror(sid));
        return OL_ERR;
    }
    call->stream_id = sid;
    uint8_t in[32768];
    for (;;) {
        int rv = nghttp2_session_send(c->ng);
        if (rv != 0) {
            ol_lg_msg(res, "%s",
                     c->wfail ? call->grpc_message : nghttp2_strerror(rv));
            return OL_ERR;
        }
        if (ol_lg_flush(c, res) != OL_OK) return OL_ERR;
        if (call->done) break;
        if (!nghttp2_session_want_read(c->ng)) {
            ol_lg_msg(res, "%s closed the HTTP/2 session", c->t.authority);
            return OL_ERR;
        }
        ssize_t r = read(c->fd, in, sizeof in);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            ol_lg_msg(res, "read from %s: %s", c->t.authority,
                     r == 0 ? "connection closed by the server" : errno == EAGAIN ? "timed out" : strerror(errno));
            return OL_ERR;
        }
        ssize_t used = nghttp2_session_mem_recv(c->ng, in, (size_t)r);
        if (used < 0) {
            ol_lg_msg(res, "HTTP/2 error from %s: %s", c->t.authority,
                     nghttp2_strerror((int)used));
            return OL_ERR;
        }
    }
    if (call->reset_code != 0 && call->grpc_status < 0) {
        ol_lg_msg(res, "stream reset by %s (HTTP/2 error %u)", c->t.authority,
                 call->reset_code);
        return OL_ERR;
    }
    int rc = ol_lg_grpc_reply(c, res);
    /* Flush what the reply made nghttp2 queue (WINDOW_UPDATE); a peer that said GOAWAY gets a new connection. */
    ol_loadgen_result_t scratch;
    if (nghttp2_session_send(c->ng) != 0 || ol_lg_flush(c, &scratch) != OL_OK || !nghttp2_session_want_read(c->ng))
        ol_lg_close(c);
    return rc;
}
