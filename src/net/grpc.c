/*
 * grpc.c - unary gRPC over HTTP/2 (h2c prior knowledge, or h2 after TLS/ALPN)
 * with one nghttp2 server session per connection thread.
 *
 * nghttp2 does the framing, HPACK, flow control and HTTP messaging checks;
 * this file feeds it bytes with nghttp2_session_mem_recv and writes what
 * nghttp2_session_mem_send produces. Per stream it collects headers (copied
 * into the stream's arena) and DATA up to max_body bytes; when the client ends
 * the stream, the stream id goes on a ready list. Ready streams are handled
 * after mem_recv returns (never inside nghttp2 callbacks): the handler runs
 * synchronously and its reply is submitted as HEADERS, one DATA frame carrying
 * the length-prefixed response (status OK only) and trailers.
 *
 * Deadlines: while any request is incomplete, the oldest must finish within
 * read_timeout (else the session is terminated); with none, the connection
 * may idle for idle_timeout. On server stop the session finishes requests in
 * progress and then sends GOAWAY.
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "net/conn.h"

#define OL_G_MAX_STREAMS 32
#define OL_G_READ_BUF 16384
#define OL_G_WRITE_FLUSH 65536

typedef struct ol_g_stream {
    struct ol_g_stream *prev, *next;
    int32_t id;
    uint64_t started_ns;
    ol_arena_t *arena;
    ol_http_header_t *hdrs;
    size_t n_hdrs, cap_hdrs;
    size_t header_bytes;
    ol_slice_t path, method, content_type, grpc_encoding;
    ol_buf_t body; /* framed request bytes */
    bool oversize;
    bool responded;
    bool sending;  /* response DATA not yet fully handed to nghttp2 */
    /* reply */
    ol_grpc_reply_t reply;
    uint8_t prefix[5];
    size_t out_off;
    char status_str[16];
    ol_buf_t msg_enc;
    ol_buf_t details_b64;
    nghttp2_nv trailers[3];
    size_t n_trailers;
} ol_g_stream_t;

typedef struct ol_g_conn {
    ol_net_session_t *sess;
    ol_net_conn_t *c;
    ol_server_t *s;
    const ol_listener_config_t *cfg;
    nghttp2_session *ng;
    ol_g_stream_t *streams;
    ol_buf_t ready; /* int32 stream ids */
    size_t max_body, max_head;
} ol_g_conn_t;

static void ol_g_stream_free(ol_g_stream_t *st)
{
    ol_arena_destroy(st->arena);
    ol_buf_free(&st->body);
    ol_buf_free(&st->reply.response);
    ol_buf_free(&st->reply.details);
    ol_buf_free(&st->msg_enc);
    ol_buf_free(&st->details_b64);
    ol_free(OL_MEM_NET, st, sizeof *st);
}

static ol_slice_t ol_g_copy(ol_g_stream_t *st, const uint8_t *p, size_t n)
{
    void *q = ol_arena_memdup(st->arena, p, n);
    return q || n == 0 ? ol_slice(q, n) : OL_SLICE_NULL;
}

static int ol_g_on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    ol_g_conn_t *g = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    ol_g_stream_t *st = ol_calloc(OL_MEM_NET, 1, sizeof *st);
    if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->arena = ol_net_request_arena(g->cfg);
    if (!st->arena) {
        ol_free(OL_MEM_NET, st, sizeof *st);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    st->id = frame->hd.stream_id;
    st->started_ns = ol_mono_ns();
    ol_buf_init(&st->body, OL_MEM_NET, 0);
    ol_buf_init(&st->reply.response, OL_MEM_NET, 0);
    ol_buf_init(&st->reply.details, OL_MEM_NET, 0);
    ol_buf_init(&st->msg_enc, OL_MEM_NET, 0);
    ol_buf_init(&st->details_b64, OL_MEM_NET, 0);
    st->next = g->streams;
    if (g->streams) g->streams->prev = st;
    g->streams = st;
    nghttp2_session_set_stream_user_data(ng, st->id, st);
    return 0;
}

static int ol_g_on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                          const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    ol_g_conn_t *g = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    ol_g_stream_t *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (!st || st->responded) return 0;
    st->header_bytes += namelen + valuelen + 32;
    if (st->header_bytes > g->max_head) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    ol_slice_t n = ol_slice(name, namelen);
    if (namelen > 0 && name[0] == ':') {
        if (ol_slice_eq_cstr(n, ":path")) st->path = ol_g_copy(st, value, valuelen);
        else if (ol_slice_eq_cstr(n, ":method")) st->method = ol_g_copy(st, value, valuelen);
        return 0;
    }
    if (st->n_hdrs == st->cap_hdrs) {
        size_t cap = st->cap_hdrs ? st->cap_hdrs * 2 : 16;
        ol_http_header_t *h = ol_arena_alloc(st->arena, cap * sizeof *h);
        if (!h) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        if (st->n_hdrs) memcpy(h, st->hdrs, st->n_hdrs * sizeof *h);
        st->hdrs = h;
        st->cap_hdrs = cap;
    }
    ol_http_header_t *h = &st->hdrs[st->n_hdrs];
    h->name = ol_g_copy(st, name, namelen);
    h->value = ol_g_copy(st, value, valuelen);
    if ((namelen && !h->name.ptr) || (valuelen && !h->value.ptr)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->n_hdrs++;
    if (ol_slice_eq_cstr(n, "content-type")) st->content_type = h->value;
    else if (ol_slice_eq_cstr(n, "grpc-encoding")) st->grpc_encoding = h->value;
    return 0;
}

/* application/grpc, application/grpc+proto, application/grpc;charset=... */
static bool ol_g_is_grpc_type(ol_slice_t ct)
{
    static const char want[] = "application/grpc";
    size_t wl = sizeof want - 1;
    if (ct.len < wl || !ol_slice_eq_nocase_cstr(ol_slice(ct.ptr, wl), want)) return false;
    return ct.len == wl || ct.ptr[wl] == '+' || ct.ptr[wl] == ';';
}

static int ol_g_respond_plain(ol_g_conn_t *g, ol_g_stream_t *st, const char *status)
{
    nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE}};
    st->responded = true;
    ol_arena_destroy(st->arena);
    st->arena = NULL;
    ol_buf_free(&st->body);
    return nghttp2_submit_response(g->ng, st->id, nv, OL_ARRAY_LEN(nv), NULL);
}

static void ol_g_mark_ready(ol_g_conn_t *g, int32_t id)
{
    ol_buf_append(&g->ready, &id, sizeof id);
}

static int ol_g_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    ol_g_conn_t *g = ud;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    ol_g_stream_t *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (!st || st->responded) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        if (!ol_slice_eq_cstr(st->method, "POST")) {
            if (ol_g_respond_plain(g, st, "405") != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
            return 0;
        }
        if (!ol_g_is_grpc_type(st->content_type)) {
            if (ol_g_respond_plain(g, st, "415") != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
            return 0;
        }
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ol_g_mark_ready(g, frame->hd.stream_id);
    return 0;
}

static int ol_g_on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
                              void *ud)
{
    ol_g_conn_t *g = ud;
    ol_g_stream_t *st = nghttp2_session_get_stream_user_data(ng, stream_id);
    if (!st || st->responded || st->oversize) return 0;
    ol_buf_t *b = &st->body;
    if (b->len >= 5 && b->len - 5 >= ol_load_be32(b->data + 1)) return 0; /* first message complete */
    if (len > g->max_body - b->len) {
        st->oversize = true;
        ol_buf_free(b);
        return 0;
    }
    ol_buf_append(b, data, len);
    if (b->err) {
        st->oversize = true;
        ol_buf_free(b);
        return 0;
    }
    if (b->len >= 5 && (uint64_t)ol_load_be32(b->data + 1) + 5 > g->max_body) {
        st->oversize = true;
        ol_buf_free(b);
    }
    return 0;
}

static int ol_g_on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code, void *ud)
{
    ol_g_conn_t *g = ud;
    ol_g_stream_t *st = nghttp2_session_get_stream_user_data(ng, stream_id);
    if (!st) return 0;
    nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
    if (st->prev) st->prev->next = st->next;
    else g->streams = st->next;
    if (st->next) st->next->prev = st->prev;
    ol_g_stream_free(st);
    return 0;
}

static ssize_t ol_g_read_data(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t length,
                              uint32_t *data_flags, nghttp2_data_source *source, void *ud)
{
    ol_g_stream_t *st = source->ptr;
    size_t total = 5 + st->reply.response.len;
    size_t n = 0;
    while (n < length && st->out_off < total) {
        if (st->out_off < 5) {
            buf[n++] = st->prefix[st->out_off++];
            continue;
        }
        size_t off = st->out_off - 5;
        size_t k = OL_MIN(length - n, st->reply.response.len - off);
        memcpy(buf + n, st->reply.response.data + off, k);
        n += k;
        st->out_off += k;
    }
    if (st->out_off == total) {
        st->sending = false;
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(ng, stream_id, st->trailers, st->n_trailers) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

static void ol_g_percent_encode(ol_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '%') {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            ol_buf_append(b, e, 3);
        } else {
            ol_buf_append_u8(b, *p);
        }
    }
}

static nghttp2_nv ol_g_nv(const char *name, const uint8_t *value, size_t vlen)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), vlen, NGHTTP2_NV_FLAG_NONE};
}

/* Runs the handler for a complete request and submits the reply. */
static void ol_g_handle(ol_g_conn_t *g, ol_g_stream_t *st)
{
    ol_server_t *s = g->s;
    ol_grpc_call_t call = {
        .path = st->path,
        .grpc_encoding = st->grpc_encoding,
        .headers = st->hdrs,
        .n_headers = st->n_hdrs,
        .listener = g->cfg->name,
        .peer = g->c->peer,
        .arena = st->arena,
    };
    ol_buf_t *b = &st->body;
    if (st->oversize) {
        call.message_status = OL_LIMIT;
    } else if (b->len < 5 || b->data[0] > 1 || (uint64_t)ol_load_be32(b->data + 1) > b->len - 5) {
        call.message_status = OL_CORRUPT;
    } else {
        call.message_status = OL_OK;
        call.compressed = b->data[0] == 1;
        call.message = ol_slice(b->data + 5, ol_load_be32(b->data + 1));
    }
    atomic_fetch_add(&s->requests_total, 1);
    if (call.message_status == OL_CORRUPT) atomic_fetch_add(&s->bad_requests, 1);

    ol_grpc_reply_t *r = &st->reply;
    r->status = OL_GRPC_OK;
    r->message[0] = 0;
    r->accept_encoding = NULL;
    g->cfg->grpc(g->cfg->ud, &call, r);
    st->responded = true;

    if (r->status == OL_GRPC_OK && call.message_status == OL_LIMIT) {
        r->status = OL_GRPC_RESOURCE_EXHAUSTED;
        snprintf(r->message, sizeof r->message, "message larger than %zu bytes", g->max_body);
    } else if (r->status == OL_GRPC_OK && call.message_status == OL_CORRUPT) {
        r->status = OL_GRPC_INTERNAL;
        snprintf(r->message, sizeof r->message, "malformed gRPC message framing");
    }
    if (r->status == OL_GRPC_OK && (r->response.err || r->response.len > UINT32_MAX)) {
        r->status = OL_GRPC_INTERNAL;
        snprintf(r->message, sizeof r->message, "response could not be built");
    }
    r->message[sizeof r->message - 1] = 0;
    ol_arena_destroy(st->arena);
    st->arena = NULL;
    ol_buf_free(&st->body);

    snprintf(st->status_str, sizeof st->status_str, "%d", r->status);
    st->n_trailers = 0;
    st->trailers[st->n_trailers++] = ol_g_nv("grpc-status", (uint8_t *)st->status_str, strlen(st->status_str));
    if (r->message[0]) {
        ol_g_percent_encode(&st->msg_enc, r->message);
        if (!st->msg_enc.err)
            st->trailers[st->n_trailers++] = ol_g_nv("grpc-message", st->msg_enc.data, st->msg_enc.len);
    }
    if (r->details.len && !r->details.err) {
        ol_buf_append_base64(&st->details_b64, r->details.data, r->details.len);
        while (st->details_b64.len && st->details_b64.data[st->details_b64.len - 1] == '=') st->details_b64.len--;
        if (!st->details_b64.err)
            st->trailers[st->n_trailers++] =
                ol_g_nv("grpc-status-details-bin", st->details_b64.data, st->details_b64.len);
    }

    nghttp2_nv hdrs[3];
    size_t nh = 0;
    hdrs[nh++] = ol_g_nv(":status", (const uint8_t *)"200", 3);
    hdrs[nh++] = ol_g_nv("content-type", (const uint8_t *)"application/grpc", 16);
    if (r->accept_encoding)
        hdrs[nh++] = ol_g_nv("grpc-accept-encoding", (const uint8_t *)r->accept_encoding, strlen(r->accept_encoding));
    int rc;
    if (r->status == OL_GRPC_OK) {
        st->prefix[0] = 0;
        uint32_t len = (uint32_t)r->response.len;
        st->prefix[1] = (uint8_t)(len >> 24);
        st->prefix[2] = (uint8_t)(len >> 16);
        st->prefix[3] = (uint8_t)(len >> 8);
        st->prefix[4] = (uint8_t)len;
        st->out_off = 0;
        st->sending = true;
        nghttp2_data_provider prd = {.source.ptr = st, .read_callback = ol_g_read_data};
        rc = nghttp2_submit_response(g->ng, st->id, hdrs, nh, &prd);
    } else {
        rc = nghttp2_submit_headers(g->ng, NGHTTP2_FLAG_NONE, st->id, NULL, hdrs, nh, NULL);
        if (rc == 0) rc = nghttp2_submit_trailer(g->ng, st->id, st->trailers, st->n_trailers);
    }
    if (rc != 0) {
        ol_warn("%s: %s: cannot submit gRPC reply: %s", g->cfg->name, g->c->peer, nghttp2_strerror(rc));
        nghttp2_submit_rst_stream(g->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    }
}

static void ol_g_process_ready(ol_g_conn_t *g)
{
    for (size_t off = 0; off + sizeof(int32_t) <= g->ready.len; off += sizeof(int32_t)) {
        int32_t id;
        memcpy(&id, g->ready.data + off, sizeof id);
        ol_g_stream_t *st = nghttp2_session_get_stream_user_data(g->ng, id);
        if (st && !st->responded) ol_g_handle(g, st);
    }
    ol_buf_reset(&g->ready);
}

/* Writes everything nghttp2 has queued. */
static int ol_g_flush(ol_g_conn_t *g, ol_buf_t *out)
{
    for (;;) {
        ol_buf_reset(out);
        while (out->len < OL_G_WRITE_FLUSH) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(g->ng, &p);
            if (n < 0) return OL_ERR;
            if (n == 0) break;
            ol_buf_append(out, p, (size_t)n);
        }
        if (out->err) return out->err;
        if (out->len == 0) return OL_OK;
        int rc = ol_net_conn_write(g->c, out->data, out->len, ol_net_deadline(ol_net_read_timeout(g->cfg)));
        if (rc != OL_OK) return rc;
    }
}

/* True while a request is in progress or a reply is still being produced. */
static bool ol_g_busy(const ol_g_conn_t *g)
{
    for (const ol_g_stream_t *st = g->streams; st; st = st->next)
        if (!st->responded || st->sending) return true;
    return false;
}

/* Start of the oldest incomplete request, or 0 when none. */
static uint64_t ol_g_oldest_pending(const ol_g_conn_t *g)
{
    uint64_t t = 0;
    for (const ol_g_stream_t *st = g->streams; st; st = st->next)
        if (!st->responded && (t == 0 || st->started_ns < t)) t = st->started_ns;
    return t;
}

void ol_grpc_serve(ol_net_session_t *sess)
{
    ol_g_conn_t g = {
        .sess = sess,
        .c = &sess->conn,
        .s = sess->server,
        .cfg = &sess->listener->cfg,
    };
    g.max_body = ol_net_max_body(g.cfg);
    g.max_head = ol_net_max_header_bytes(g.cfg);
    ol_buf_init(&g.ready, OL_MEM_NET, 0);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_NET, 0);
    uint8_t *in = ol_malloc(OL_MEM_NET, OL_G_READ_BUF);
    nghttp2_session_callbacks *cb = NULL;
    if (!in || nghttp2_session_callbacks_new(&cb) != 0) goto out;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, ol_g_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, ol_g_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, ol_g_on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, ol_g_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, ol_g_on_stream_close);
    int rc = nghttp2_session_server_new(&g.ng, cb, &g);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0) goto out;

    uint32_t window = g.max_body < (1u << 20) ? (uint32_t)g.max_body + 16 : (1u << 20);
    if (window < 65535) window = 65535;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, OL_G_MAX_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)OL_MIN(g.max_head, (size_t)UINT32_MAX)},
    };
    if (nghttp2_submit_settings(g.ng, NGHTTP2_FLAG_NONE, iv, OL_ARRAY_LEN(iv)) != 0) goto out;
    nghttp2_session_set_local_window_size(g.ng, NGHTTP2_FLAG_NONE, 0, (int32_t)window * 4);

    int read_ms = ol_net_read_timeout(g.cfg), idle_ms = ol_net_idle_timeout(g.cfg);
    uint64_t last_active = ol_mono_ns();
    bool stop_seen = false;
    for (;;) {
        if (ol_g_flush(&g, &out) != OL_OK) break;
        if (!nghttp2_session_want_read(g.ng) && !nghttp2_session_want_write(g.ng)) break;
        uint64_t oldest = ol_g_oldest_pending(&g);
        if (!stop_seen && atomic_load(&g.s->stopping)) {
            stop_seen = true;
            nghttp2_submit_shutdown_notice(g.ng);
            continue;
        }
        if (stop_seen && !ol_g_busy(&g)) {
            nghttp2_session_terminate_session(g.ng, NGHTTP2_NO_ERROR);
            ol_g_flush(&g, &out);
            break;
        }
        uint64_t deadline = oldest ? oldest + (uint64_t)read_ms * 1000000ull : last_active + (uint64_t)idle_ms * 1000000ull;
        int w = ol_net_conn_wait(g.c, deadline, !stop_seen);
        if (w == OL_NET_WOKEN) continue; /* handled at the top of the loop */
        ssize_t n = w == OL_OK ? ol_net_conn_read(g.c, in, OL_G_READ_BUF, deadline) : w;
        if (n == OL_NET_TIMEOUT) {
            if (oldest) {
                atomic_fetch_add(&g.s->bad_requests, 1);
                ol_debug("%s: %s: gRPC request incomplete after %d ms", g.cfg->name, g.c->peer, read_ms);
            }
            nghttp2_session_terminate_session(g.ng, oldest ? NGHTTP2_CANCEL : NGHTTP2_NO_ERROR);
            ol_g_flush(&g, &out);
            break;
        }
        if (n <= 0) break;
        last_active = ol_mono_ns();
        ssize_t used = nghttp2_session_mem_recv(g.ng, in, (size_t)n);
        if (used < 0) {
            atomic_fetch_add(&g.s->bad_requests, 1);
            ol_debug("%s: %s: http2: %s", g.cfg->name, g.c->peer, nghttp2_strerror((int)used));
            ol_g_flush(&g, &out);
            break;
        }
        ol_g_process_ready(&g);
    }
out:
    ol_net_conn_finish(g.c, 0);
    if (g.ng) nghttp2_session_del(g.ng); /* does not call on_stream_close: free what is left */
    while (g.streams) {
        ol_g_stream_t *st = g.streams;
        g.streams = st->next;
        ol_g_stream_free(st);
    }
    ol_free(OL_MEM_NET, in, OL_G_READ_BUF);
    ol_buf_free(&out);
    ol_buf_free(&g.ready);
}
