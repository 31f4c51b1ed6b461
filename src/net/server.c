/*
 * server.c - listeners, acceptor threads, connection threads and the
 * HTTP/1.1 connection loop (see server.h for the model).
 *
 * Each listener has an acceptor thread that polls the listening socket and
 * the server's wake pipe. An accepted socket becomes a session with its own
 * joinable thread; sessions live on one list under s->mu and are joined by
 * whichever acceptor (or ol_server_stop) finds them done. Over max_conns a
 * connection gets a 503 (HTTP/1.1), a GOAWAY (h2c) or a plain close (TLS).
 *
 * HTTP/1.1 loop, per request: wait for the first byte under the idle timeout
 * (also woken by stop), then the whole request must arrive before the read
 * deadline. The head is parsed in place in `in`; the body goes to a separate
 * buffer so that header slices stay valid while the body is read (chunked
 * bodies are decoded in place in that buffer; bytes after the last chunk are
 * kept in `carry` for the next request). Responses always carry
 * Content-Length; errors produced here carry a google.rpc.Status JSON body.
 *
 * Stop: set `stopping`, write the wake pipe (which stays readable), join the
 * acceptors, wait up to drain_ms for sessions to finish their in-flight
 * request, then shut the remaining sockets down and wait for the threads.
 */
#include "net/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "net/conn.h"
#include "net/http1.h"

#define OL_NET_MAX_REQ_HEADERS 128
#define OL_NET_ERR_LINGER_MS 500
#define OL_NET_READ_CHUNK 65536
#define OL_NET_KEEP_BUF (1u << 20) /* buffers above this are freed between requests */

size_t ol_net_max_header_bytes(const ol_listener_config_t *cfg)
{
    return cfg->max_header_bytes ? cfg->max_header_bytes : 64 * 1024;
}

size_t ol_net_max_body(const ol_listener_config_t *cfg)
{
    return cfg->max_body ? cfg->max_body : 16u << 20;
}

int ol_net_read_timeout(const ol_listener_config_t *cfg)
{
    return cfg->read_timeout_ms > 0 ? cfg->read_timeout_ms : 30000;
}

int ol_net_idle_timeout(const ol_listener_config_t *cfg)
{
    return cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : 120000;
}

ol_arena_t *ol_net_request_arena(const ol_listener_config_t *cfg)
{
    size_t cap = (size_t)64 << 20;
    size_t mb = ol_net_max_body(cfg);
    size_t scaled = mb > SIZE_MAX / 64 ? SIZE_MAX / 2 : mb * 32;
    cap = scaled > SIZE_MAX - cap ? SIZE_MAX : cap + scaled;
    return ol_arena_create(16384, cap);
}

ol_slice_t ol_http_header_get(const ol_http_header_t *h, size_t n, const char *name)
{
    ol_slice_t want = ol_slice_cstr(name);
    for (size_t i = 0; i < n; i++)
        if (ol_slice_eq_nocase(h[i].name, want)) return h[i].value;
    return OL_SLICE_NULL;
}

void ol_http_response_header(ol_http_response_t *res, const char *name, const char *value)
{
    if (res->n_headers >= OL_HTTP_MAX_RESPONSE_HEADERS) {
        ol_warn("response header %s dropped: more than %d headers", name, OL_HTTP_MAX_RESPONSE_HEADERS);
        return;
    }
    size_t nl = strlen(name), vl = strlen(value);
    void *n = ol_arena_memdup(res->arena, name, nl);
    void *v = ol_arena_memdup(res->arena, value, vl);
    if ((!n && nl) || (!v && vl)) {
        ol_warn("response header %s dropped: out of memory", name);
        return;
    }
    res->headers[res->n_headers].name = ol_slice(n, nl);
    res->headers[res->n_headers].value = ol_slice(v, vl);
    res->n_headers++;
}

static const char *ol_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

/* {"code":N,"message":"..."}: google.rpc.Status in JSON. */
static void ol_net_status_json(ol_buf_t *b, int grpc_code, const char *msg)
{
    ol_buf_printf(b, "{\"code\":%d,\"message\":\"", grpc_code);
    for (const char *p = msg; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            ol_buf_append_u8(b, '\\');
            ol_buf_append_u8(b, c);
        } else if (c < 0x20) {
            ol_buf_printf(b, "\\u%04x", c);
        } else {
            ol_buf_append_u8(b, c);
        }
    }
    ol_buf_append_cstr(b, "\"}");
}

static bool ol_net_header_ok(ol_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == 0) return false;
    return true;
}

/* ---- HTTP/1.1 connection ---- */

typedef struct ol_h1 {
    ol_net_session_t *sess;
    ol_net_conn_t *c;
    ol_server_t *s;
    const ol_listener_config_t *cfg;
    ol_buf_t in;      /* received, unconsumed from `pos` */
    size_t pos;
    ol_buf_t carry;   /* bytes read past a chunked body */
    ol_buf_t body;
    ol_buf_t out;     /* response head (and small bodies) */
    ol_buf_t resbody;
    ol_arena_t *arena;
    ol_http_header_t hdrs[OL_NET_MAX_REQ_HEADERS];
} ol_h1_t;

static uint64_t ol_h1_write_deadline(const ol_h1_t *h) { return ol_net_deadline(ol_net_read_timeout(h->cfg)); }

static int ol_h1_write_response(ol_h1_t *h, int status, const ol_http_header_t *hdrs, size_t n_hdrs,
                                ol_slice_t body, bool keep, bool head_only)
{
    ol_buf_t *o = &h->out;
    ol_buf_reset(o);
    ol_buf_printf(o, "HTTP/1.1 %d %s\r\n", status, ol_http_reason(status));
    for (size_t i = 0; i < n_hdrs; i++) {
        ol_slice_t n = hdrs[i].name, v = hdrs[i].value;
        if (ol_slice_eq_nocase_cstr(n, "content-length") || ol_slice_eq_nocase_cstr(n, "connection") ||
            ol_slice_eq_nocase_cstr(n, "transfer-encoding"))
            continue;
        if (n.len == 0 || !ol_net_header_ok(n) || !ol_net_header_ok(v)) {
            ol_warn("response header with CR/LF dropped");
            continue;
        }
        ol_buf_append_slice(o, n);
        ol_buf_append(o, ": ", 2);
        ol_buf_append_slice(o, v);
        ol_buf_append(o, "\r\n", 2);
    }
    bool bodyless = status == 204 || status == 304 || status < 200;
    if (!bodyless) ol_buf_printf(o, "Content-Length: %zu\r\n", body.len);
    if (!keep) ol_buf_append_cstr(o, "Connection: close\r\n");
    ol_buf_append(o, "\r\n", 2);
    if (bodyless || head_only) body.len = 0;
    if (body.len <= 16384) ol_buf_append_slice(o, body);
    if (o->err) return o->err;
    uint64_t dl = ol_h1_write_deadline(h);
    int rc = ol_net_conn_write(h->c, o->data, o->len, dl);
    if (rc == OL_OK && body.len > 16384) rc = ol_net_conn_write(h->c, body.ptr, body.len, dl);
    return rc;
}

static void ol_h1_send_error(ol_h1_t *h, int status, int grpc_code, const char *msg)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_NET, 0);
    ol_net_status_json(&b, grpc_code, msg);
    ol_http_header_t ct = {OL_SLICE_LIT("Content-Type"), OL_SLICE_LIT("application/json")};
    if (!b.err) ol_h1_write_response(h, status, &ct, 1, ol_buf_slice(&b), false, false);
    ol_buf_free(&b);
}

/* Reads more head bytes into h->in. Same results as ol_net_conn_read. */
static ssize_t ol_h1_fill(ol_h1_t *h, uint64_t deadline)
{
    if (ol_buf_reserve(&h->in, 8192) != OL_OK) return OL_ERR;
    ssize_t r = ol_net_conn_read(h->c, h->in.data + h->in.len, h->in.cap - h->in.len, deadline);
    if (r > 0) h->in.len += (size_t)r;
    return r;
}

static void ol_h1_compact(ol_h1_t *h)
{
    if (h->pos > 0) {
        memmove(h->in.data, h->in.data + h->pos, h->in.len - h->pos);
        h->in.len -= h->pos;
        h->pos = 0;
    }
    if (h->carry.len) {
        ol_buf_append(&h->in, h->carry.data, h->carry.len);
        ol_buf_reset(&h->carry);
    }
}

typedef enum { OL_H1_NEXT, OL_H1_CLOSE, OL_H1_LINGER } ol_h1_next_t;

/* Reads a Content-Length body into h->body. */
static int ol_h1_read_length_body(ol_h1_t *h, size_t head_len, uint64_t clen, bool expect, uint64_t deadline)
{
    size_t have = h->in.len - head_len;
    size_t take = have < clen ? have : (size_t)clen;
    /* Grown as bytes arrive, so a client that only announces a large body costs little. */
    if (ol_buf_reserve(&h->body, OL_MAX(take, (size_t)OL_MIN(clen, (uint64_t)OL_NET_READ_CHUNK))) != OL_OK)
        return OL_NOMEM;
    ol_buf_append(&h->body, h->in.data + head_len, take);
    h->pos = head_len + take;
    if (h->body.len < clen && expect) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        int rc = ol_net_conn_write(h->c, cont, sizeof cont - 1, deadline);
        if (rc != OL_OK) return rc;
    }
    while (h->body.len < clen) {
        size_t want = (size_t)clen - h->body.len;
        if (ol_buf_reserve(&h->body, OL_MIN(want, (size_t)4 * OL_NET_READ_CHUNK)) != OL_OK) return OL_NOMEM;
        want = OL_MIN(want, h->body.cap - h->body.len);
        ssize_t r = ol_net_conn_read(h->c, h->body.data + h->body.len, want, deadline);
        if (r <= 0) return r == 0 ? OL_ERR : (int)r;
        h->body.len += (size_t)r;
    }
    return OL_OK;
}

/* Reads and decodes a chunked body into h->body. OL_OK, OL_LIMIT, OL_CORRUPT,
 * OL_NOMEM or a read failure. */
static int ol_h1_read_chunked_body(ol_h1_t *h, size_t head_len, bool expect, uint64_t deadline)
{
    ol_http1_chunked_t d;
    ol_http1_chunked_init(&d, ol_net_max_body(h->cfg));
    size_t have = h->in.len - head_len;
    size_t used = 0, produced = 0;
    if (ol_buf_reserve(&h->body, have ? have : 1) != OL_OK) return OL_NOMEM;
    int rc = ol_http1_chunked_decode(&d, h->in.data + head_len, have, &used, h->body.data, &produced);
    h->body.len = produced;
    h->pos = head_len + used;
    if (rc != OL_AGAIN) return rc;
    if (expect && have == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        int w = ol_net_conn_write(h->c, cont, sizeof cont - 1, deadline);
        if (w != OL_OK) return w;
    }
    while (rc == OL_AGAIN) {
        if (ol_buf_reserve(&h->body, OL_NET_READ_CHUNK) != OL_OK) return OL_NOMEM;
        uint8_t *raw = h->body.data + h->body.len;
        ssize_t r = ol_net_conn_read(h->c, raw, h->body.cap - h->body.len, deadline);
        if (r <= 0) return r == 0 ? OL_ERR : (int)r;
        rc = ol_http1_chunked_decode(&d, raw, (size_t)r, &used, raw, &produced);
        if (rc == OL_OK && used < (size_t)r) ol_buf_append(&h->carry, raw + used, (size_t)r - used);
        h->body.len += produced;
    }
    if (rc == OL_OK && h->carry.err) return h->carry.err;
    return rc;
}

static ol_h1_next_t ol_h1_request(ol_h1_t *h)
{
    ol_server_t *s = h->s;
    const ol_listener_config_t *cfg = h->cfg;
    ol_net_conn_t *c = h->c;

    ol_h1_compact(h);
    if (h->in.len == 0) {
        int w = ol_net_conn_wait(c, ol_net_deadline(ol_net_idle_timeout(cfg)), true);
        if (w != OL_OK) return OL_H1_CLOSE;
    }
    uint64_t deadline = ol_net_deadline(ol_net_read_timeout(cfg));
    size_t max_head = ol_net_max_header_bytes(cfg);
    ol_http1_head_t head;
    int rc;
    for (;;) {
        rc = ol_http1_parse_head(h->in.data, h->in.len, max_head, h->hdrs, OL_NET_MAX_REQ_HEADERS, &head);
        if (rc != OL_AGAIN) break;
        size_t before = h->in.len;
        ssize_t r = ol_h1_fill(h, deadline);
        if (r <= 0) {
            if (r == OL_NET_TIMEOUT || before > 0) {
                atomic_fetch_add(&s->bad_requests, 1);
                ol_debug("%s: %s: incomplete request head (%s)", cfg->name, c->peer,
                         r == OL_NET_TIMEOUT ? "timeout" : "closed");
            }
            return OL_H1_CLOSE;
        }
    }
    if (rc == OL_CORRUPT) {
        atomic_fetch_add(&s->bad_requests, 1);
        ol_h1_send_error(h, 400, OL_GRPC_INVALID_ARGUMENT, "malformed request head");
        return OL_H1_LINGER;
    }
    if (rc == OL_LIMIT) {
        atomic_fetch_add(&s->bad_requests, 1);
        ol_h1_send_error(h, 431, OL_GRPC_RESOURCE_EXHAUSTED, "request header fields too large");
        return OL_H1_LINGER;
    }
    atomic_fetch_add(&s->requests_total, 1);

    const ol_http_header_t *hd = h->hdrs;
    size_t nh = head.n_headers;
    bool keep = head.minor_version == 1;
    ol_slice_t conn_h = ol_http_header_get(hd, nh, "connection");
    if (conn_h.ptr && ol_http1_has_token(conn_h, "close")) keep = false;

    bool chunked = false, bad = false, have_cl = false;
    uint64_t clen = 0;
    for (size_t i = 0; i < nh; i++) {
        if (ol_slice_eq_nocase_cstr(hd[i].name, "content-length")) {
            uint64_t v = 0;
            if (ol_parse_u64(hd[i].value, &v) != OL_OK || (have_cl && v != clen)) bad = true;
            clen = v;
            have_cl = true;
        } else if (ol_slice_eq_nocase_cstr(hd[i].name, "transfer-encoding")) {
            if (chunked || !ol_slice_eq_nocase_cstr(hd[i].value, "chunked")) bad = true;
            chunked = true;
        }
    }
    if (chunked && (have_cl || head.minor_version == 0)) bad = true;
    if (bad) {
        atomic_fetch_add(&s->bad_requests, 1);
        ol_h1_send_error(h, 400, OL_GRPC_INVALID_ARGUMENT, "invalid message framing");
        return OL_H1_LINGER;
    }
    ol_slice_t expect_h = ol_http_header_get(hd, nh, "expect");
    bool expect = head.minor_version == 1 && expect_h.ptr && ol_slice_eq_nocase_cstr(expect_h, "100-continue");

    ol_buf_reset(&h->body);
    int body_status = OL_OK;
    if (!chunked && clen > ol_net_max_body(cfg)) {
        body_status = OL_LIMIT;
        h->pos = h->in.len;
    } else {
        rc = chunked ? ol_h1_read_chunked_body(h, head.head_len, expect, deadline)
                     : ol_h1_read_length_body(h, head.head_len, clen, expect, deadline);
        if (rc == OL_LIMIT) {
            body_status = OL_LIMIT;
            h->pos = h->in.len;
        } else if (rc == OL_CORRUPT) {
            atomic_fetch_add(&s->bad_requests, 1);
            ol_h1_send_error(h, 400, OL_GRPC_INVALID_ARGUMENT, "malformed chunked body");
            return OL_H1_LINGER;
        } else if (rc == OL_NOMEM) {
            ol_h1_send_error(h, 503, OL_GRPC_UNAVAILABLE, "out of memory");
            return OL_H1_LINGER;
        } else if (rc != OL_OK) {
            atomic_fetch_add(&s->bad_requests, 1);
            ol_debug("%s: %s: incomplete request body (%s)", cfg->name, c->peer,
                     rc == OL_NET_TIMEOUT ? "timeout" : "closed");
            return OL_H1_CLOSE;
        }
    }
    if (body_status == OL_LIMIT) {
        keep = false;
        ol_buf_reset(&h->body);
    }

    if (!h->arena) h->arena = ol_net_request_arena(cfg);
    if (!h->arena) {
        ol_h1_send_error(h, 503, OL_GRPC_UNAVAILABLE, "out of memory");
        return OL_H1_LINGER;
    }
    ol_http_request_t req = {
        .method = head.method,
        .target = head.target,
        .path = head.path,
        .query = head.query,
        .headers = hd,
        .n_headers = nh,
        .body = body_status == OL_OK ? ol_buf_slice(&h->body) : OL_SLICE_NULL,
        .body_status = body_status,
        .listener = cfg->name,
        .peer = c->peer,
        .arena = h->arena,
    };
    ol_http_response_t *res = ol_arena_calloc(h->arena, sizeof *res);
    if (!res) {
        ol_h1_send_error(h, 503, OL_GRPC_UNAVAILABLE, "out of memory");
        return OL_H1_LINGER;
    }
    res->status = 200;
    res->arena = h->arena;
    ol_buf_reset(&h->resbody);
    res->body = h->resbody;
    cfg->http(cfg->ud, &req, res);
    h->resbody = res->body;

    if (res->close || atomic_load(&s->stopping)) keep = false;
    bool head_only = ol_slice_eq_cstr(head.method, "HEAD");
    if (h->resbody.err) {
        ol_warn("%s: %s: response body failed: %s", cfg->name, c->peer, ol_rc_str(h->resbody.err));
        ol_h1_send_error(h, 500, OL_GRPC_INTERNAL, "response could not be built");
        keep = false;
    } else if (ol_h1_write_response(h, res->status, res->headers, res->n_headers, ol_buf_slice(&h->resbody), keep,
                                    head_only) != OL_OK) {
        keep = false;
    }

    if (ol_arena_used(h->arena) > OL_NET_KEEP_BUF) {
        ol_arena_destroy(h->arena);
        h->arena = NULL;
    } else {
        ol_arena_reset(h->arena);
    }
    if (h->body.cap > OL_NET_KEEP_BUF) ol_buf_free(&h->body);
    if (h->resbody.cap > OL_NET_KEEP_BUF) ol_buf_free(&h->resbody);
    if (body_status == OL_LIMIT) return OL_H1_LINGER;
    return keep ? OL_H1_NEXT : OL_H1_CLOSE;
}

static void ol_http1_serve(ol_net_session_t *sess)
{
    ol_h1_t *h = ol_calloc(OL_MEM_NET, 1, sizeof *h);
    if (!h) return;
    h->sess = sess;
    h->c = &sess->conn;
    h->s = sess->server;
    h->cfg = &sess->listener->cfg;
    ol_buf_init(&h->in, OL_MEM_NET, 0);
    ol_buf_init(&h->carry, OL_MEM_NET, 0);
    ol_buf_init(&h->body, OL_MEM_NET, 0);
    ol_buf_init(&h->out, OL_MEM_NET, 0);
    ol_buf_init(&h->resbody, OL_MEM_NET, 0);
    ol_h1_next_t next;
    do {
        next = ol_h1_request(h);
    } while (next == OL_H1_NEXT && !atomic_load(&h->s->stopping));
    ol_net_conn_finish(h->c, next == OL_H1_LINGER && !atomic_load(&h->s->stopping) ? OL_NET_ERR_LINGER_MS : 0);
    ol_arena_destroy(h->arena);
    ol_buf_free(&h->in);
    ol_buf_free(&h->carry);
    ol_buf_free(&h->body);
    ol_buf_free(&h->out);
    ol_buf_free(&h->resbody);
    ol_free(OL_MEM_NET, h, sizeof *h);
}

/* ---- sessions ---- */

static void *ol_net_session_main(void *arg)
{
    ol_net_session_t *sess = arg;
    ol_server_t *s = sess->server;
    ol_net_listener_t *l = sess->listener;
    bool ok = true;
    if (l->tls) {
        int rc = ol_net_conn_tls_accept(&sess->conn, l->tls, ol_net_deadline(ol_net_read_timeout(&l->cfg)));
        if (rc != OL_OK) {
            atomic_fetch_add(&s->bad_requests, 1);
            ok = false;
        }
    }
    if (ok) {
        if (l->cfg.proto == OL_PROTO_GRPC) ol_grpc_serve(sess);
        else ol_http1_serve(sess);
    }
    ol_net_conn_free_tls(&sess->conn);
    pthread_mutex_lock(&s->mu);
    close(sess->conn.fd);
    sess->conn.fd = -1;
    sess->done = true;
    s->active--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Joins and frees finished sessions (all sessions when all is set; the caller
 * then guarantees none is running). */
static void ol_net_reap(ol_server_t *s, bool all)
{
    ol_net_session_t *done = NULL;
    pthread_mutex_lock(&s->mu);
    ol_net_session_t **pp = &s->sessions;
    while (*pp) {
        ol_net_session_t *x = *pp;
        if (x->done || all) {
            *pp = x->next;
            x->next = done;
            done = x;
        } else {
            pp = &x->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
    while (done) {
        ol_net_session_t *n = done->next;
        pthread_join(done->thread, NULL);
        ol_free(OL_MEM_NET, done, sizeof *done);
        done = n;
    }
}

static void ol_net_reject(ol_net_listener_t *l, int fd)
{
    if (!l->tls) {
        if (l->cfg.proto == OL_PROTO_HTTP1) {
            ol_buf_t body, msg;
            ol_buf_init(&body, OL_MEM_NET, 0);
            ol_buf_init(&msg, OL_MEM_NET, 0);
            ol_net_status_json(&body, OL_GRPC_UNAVAILABLE, "too many connections");
            ol_buf_printf(&msg,
                          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          body.len);
            ol_buf_append_slice(&msg, ol_buf_slice(&body));
            if (!msg.err) (void)send(fd, msg.data, msg.len, MSG_DONTWAIT | MSG_NOSIGNAL);
            ol_buf_free(&body);
            ol_buf_free(&msg);
        } else {
            /* Server preface (empty SETTINGS) and GOAWAY(last 0, ENHANCE_YOUR_CALM). */
            static const uint8_t frames[] = {0, 0, 0, 4, 0, 0, 0, 0, 0,
                                             0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};
            (void)send(fd, frames, sizeof frames, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
    }
    shutdown(fd, SHUT_WR);
    uint8_t junk[4096];
    for (int i = 0; i < 16 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++) {
    }
    close(fd);
}

static void ol_net_format_peer(const struct sockaddr *sa, socklen_t sl, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN + 1], serv[16];
    if (getnameinfo(sa, sl, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "unknown");
        return;
    }
    if (sa->sa_family == AF_INET6) snprintf(out, cap, "[%s]:%s", host, serv);
    else snprintf(out, cap, "%s:%s", host, serv);
}

static void *ol_net_acceptor(void *arg)
{
    ol_net_listener_t *l = arg;
    ol_server_t *s = l->server;
    while (!atomic_load(&s->stopping)) {
        struct pollfd pf[2] = {{.fd = l->fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
        int r = poll(pf, 2, 1000);
        ol_net_reap(s, false);
        if (atomic_load(&s->stopping)) break;
        if (r <= 0 || !(pf[0].revents & POLLIN)) continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                ol_warn("%s: accept: %s", l->cfg.name, strerror(errno));
                struct timespec ts = {0, 50 * 1000000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        atomic_fetch_add(&s->connections_total, 1);

        ol_net_session_t *sess = ol_calloc(OL_MEM_NET, 1, sizeof *sess);
        bool started = false;
        pthread_mutex_lock(&s->mu);
        if (sess && s->active < s->max_conns) {
            sess->server = s;
            sess->listener = l;
            sess->conn.fd = fd;
            sess->conn.wake_fd = s->wake[0];
            ol_net_format_peer((struct sockaddr *)&ss, sl, sess->conn.peer, sizeof sess->conn.peer);
            /* Created under the lock so the session cannot finish before it is listed. */
            if (pthread_create(&sess->thread, NULL, ol_net_session_main, sess) == 0) {
                sess->next = s->sessions;
                s->sessions = sess;
                s->active++;
                started = true;
            }
        }
        pthread_mutex_unlock(&s->mu);
        if (!started) {
            ol_free(OL_MEM_NET, sess, sess ? sizeof *sess : 0);
            atomic_fetch_add(&s->connections_rejected, 1);
            ol_net_reject(l, fd);
        }
    }
    return NULL;
}

/* ---- server ---- */

int ol_server_create(ol_server_t **out, int max_conns)
{
    *out = NULL;
    ol_server_t *s = ol_calloc(OL_MEM_NET, 1, sizeof *s);
    if (!s) return OL_NOMEM;
    s->max_conns = max_conns > 0 ? max_conns : 1024;
    s->wake[0] = s->wake[1] = -1;
    for (int i = 0; i < OL_NET_MAX_LISTENERS; i++) s->listeners[i].fd = -1;
    atomic_init(&s->stopping, false);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        ol_error("server: pipe: %s", strerror(errno));
        ol_server_destroy(s);
        return OL_ERR;
    }
    *out = s;
    return OL_OK;
}

static char *ol_net_strdup(const char *p) { return p ? ol_strndup(OL_MEM_NET, p, strlen(p)) : NULL; }

static void ol_net_strfree(const char *p)
{
    if (p) ol_free(OL_MEM_NET, (void *)p, strlen(p) + 1);
}

static int ol_net_bind(const char *addr, int *port_out, ol_err_t *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon) {
        ol_err_set(err, "listen address %s: expected host:port", addr);
        return -1;
    }
    char host[256], port[16];
    size_t hl = (size_t)(colon - addr);
    const char *hp = addr;
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        hp++;
        hl -= 2;
    }
    size_t pl = strlen(colon + 1);
    if (hl >= sizeof host || pl == 0 || pl >= sizeof port || strspn(colon + 1, "0123456789") != pl) {
        ol_err_set(err, "listen address %s: bad host or port", addr);
        return -1;
    }
    memcpy(host, hp, hl);
    host[hl] = 0;
    memcpy(port, colon + 1, pl + 1);
    if (strtol(port, NULL, 10) > 65535) {
        ol_err_set(err, "listen address %s: port out of range", addr);
        return -1;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(hl ? host : NULL, port, &hints, &res);
    if (g != 0) {
        ol_err_set(err, "listen address %s: %s", addr, gai_strerror(g));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 511) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        ol_err_set(err, "listen on %s: %s", addr, strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) *port_out = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) *port_out = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return fd;
}

int ol_server_listen(ol_server_t *s, const ol_listener_config_t *cfg, ol_err_t *err)
{
    if (s->started) {
        ol_err_set(err, "listen: server already started");
        return OL_ERR;
    }
    if (s->n_listeners >= OL_NET_MAX_LISTENERS) {
        ol_err_set(err, "listen: at most %d listeners", OL_NET_MAX_LISTENERS);
        return OL_LIMIT;
    }
    if (!cfg->addr || !cfg->name || (cfg->proto == OL_PROTO_HTTP1 && !cfg->http) ||
        (cfg->proto == OL_PROTO_GRPC && !cfg->grpc) || (cfg->proto != OL_PROTO_HTTP1 && cfg->proto != OL_PROTO_GRPC)) {
        ol_err_set(err, "listen %s: incomplete listener configuration", cfg->name ? cfg->name : "?");
        return OL_ERR;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        ol_err_set(err, "listen %s: TLS needs both a certificate and a key", cfg->name);
        return OL_ERR;
    }
    ol_net_listener_t *l = &s->listeners[s->n_listeners];
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->server = s;
    l->index = s->n_listeners;
    if (cfg->tls_cert) {
        l->tls = ol_net_tls_ctx_create(cfg->tls_cert, cfg->tls_key, cfg->proto == OL_PROTO_GRPC ? "h2" : "http/1.1",
                                       err);
        if (!l->tls) return OL_ERR;
    }
    l->fd = ol_net_bind(cfg->addr, &l->port, err);
    if (l->fd < 0) {
        ol_net_tls_ctx_free(l->tls);
        l->tls = NULL;
        return OL_ERR;
    }
    l->cfg = *cfg;
    l->cfg.name = ol_net_strdup(cfg->name);
    l->cfg.addr = ol_net_strdup(cfg->addr);
    l->cfg.tls_cert = ol_net_strdup(cfg->tls_cert);
    l->cfg.tls_key = ol_net_strdup(cfg->tls_key);
    ol_debug("%s listening on %s (port %d%s)", cfg->name, cfg->addr, l->port, l->tls ? ", tls" : "");
    return s->n_listeners++;
}

int ol_server_port(ol_server_t *s, int listener)
{
    if (listener < 0 || listener >= s->n_listeners) return -1;
    return s->listeners[listener].port;
}

int ol_server_start(ol_server_t *s)
{
    if (s->started) return OL_OK;
    s->started = true;
    /* OpenSSL writes with write(2), which raises SIGPIPE on a closed peer
     * (plain sockets use MSG_NOSIGNAL). Ignore it unless someone handles it. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    for (int i = 0; i < s->n_listeners; i++) {
        ol_net_listener_t *l = &s->listeners[i];
        if (pthread_create(&l->thread, NULL, ol_net_acceptor, l) != 0) {
            ol_error("%s: cannot start acceptor thread", l->cfg.name);
            return OL_ERR;
        }
        l->thread_started = true;
    }
    return OL_OK;
}

void ol_server_stop(ol_server_t *s, int drain_ms)
{
    if (!s) return;
    if (!atomic_exchange(&s->stopping, true) && s->wake[1] >= 0) {
        if (write(s->wake[1], "x", 1) < 0) ol_warn("server: wake pipe: %s", strerror(errno));
    }
    for (int i = 0; i < s->n_listeners; i++) {
        ol_net_listener_t *l = &s->listeners[i];
        if (l->thread_started) pthread_join(l->thread, NULL);
        l->thread_started = false;
        if (l->fd >= 0) close(l->fd);
        l->fd = -1;
    }
    struct timespec dl = ol_mono_deadline_ms(drain_ms > 0 ? (uint64_t)drain_ms : 0);
    pthread_mutex_lock(&s->mu);
    while (s->active > 0 && drain_ms > 0) {
        if (pthread_cond_timedwait(&s->cond, &s->mu, &dl) == ETIMEDOUT) break;
    }
    if (s->active > 0) {
        ol_info("server: closing %d connection(s) still busy after drain", s->active);
        for (ol_net_session_t *x = s->sessions; x; x = x->next)
            if (!x->done && x->conn.fd >= 0) shutdown(x->conn.fd, SHUT_RDWR);
    }
    while (s->active > 0) pthread_cond_wait(&s->cond, &s->mu);
    pthread_mutex_unlock(&s->mu);
    ol_net_reap(s, true);
}

void ol_server_destroy(ol_server_t *s)
{
    if (!s) return;
    ol_server_stop(s, 0);
    for (int i = 0; i < s->n_listeners; i++) {
        ol_net_listener_t *l = &s->listeners[i];
        ol_net_tls_ctx_free(l->tls);
        ol_net_strfree(l->cfg.name);
        ol_net_strfree(l->cfg.addr);
        ol_net_strfree(l->cfg.tls_cert);
        ol_net_strfree(l->cfg.tls_key);
    }
    if (s->wake[0] >= 0) close(s->wake[0]);
    if (s->wake[1] >= 0) close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    ol_free(OL_MEM_NET, s, sizeof *s);
}

void ol_server_get_stats(ol_server_t *s, ol_server_stats_t *out)
{
    out->connections_total = atomic_load(&s->connections_total);
    out->connections_rejected = atomic_load(&s->connections_rejected);
    out->requests_total = atomic_load(&s->requests_total);
    out->bad_requests = atomic_load(&s->bad_requests);
    pthread_mutex_lock(&s->mu);
    out->connections_active = (uint64_t)s->active;
    pthread_mutex_unlock(&s->mu);
}
