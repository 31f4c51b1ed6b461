/*
 * test_net_server.c - the server over real loopback sockets: HTTP/1.1
 * keep-alive, chunked bodies, 100-continue, body and header limits, malformed
 * heads, read timeouts, the connection bound, graceful stop; gRPC through an
 * nghttp2 client session (status trailers, 415, oversized and badly framed
 * messages); and both protocols over TLS with a throwaway certificate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "net/server.h"
#include "test.h"

/* ---- handlers ---- */

static _Atomic int g_last_body_status;
static _Atomic int g_last_msg_status;
static _Atomic int g_http_calls;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void http_handler(void *ud, const ol_http_request_t *req, ol_http_response_t *res)
{
    atomic_fetch_add(&g_http_calls, 1);
    atomic_store(&g_last_body_status, req->body_status);
    if (ol_slice_eq_cstr(req->path, "/slow")) sleep_ms(400);
    ol_http_response_header(res, "Content-Type", "text/plain");
    ol_http_response_header(res, "Content-Length", "999"); /* must be ignored: the server sets it */
    if (req->body_status == OL_LIMIT) {
        res->status = 413;
        ol_buf_append_cstr(&res->body, "too large");
        return;
    }
    if (ol_slice_eq_cstr(req->path, "/close")) res->close = true;
    if (ol_slice_eq_cstr(req->path, "/big")) {
        for (int i = 0; i < 200000; i++) ol_buf_append_u8(&res->body, (uint8_t)('a' + i % 26));
        return;
    }
    ol_buf_printf(&res->body, "len=%zu", req->body.len);
    if (req->body.len >= 3 && memcmp(req->body.ptr, "sum", 3) == 0) {
        unsigned sum = 0;
        for (size_t i = 0; i < req->body.len; i++) sum += req->body.ptr[i];
        ol_buf_printf(&res->body, " sum=%u", sum);
    }
}

static void grpc_handler(void *ud, const ol_grpc_call_t *call, ol_grpc_reply_t *reply)
{
    atomic_store(&g_last_msg_status, call->message_status);
    if (call->message_status != OL_OK) return; /* the server must turn this into an error */
    if (ol_slice_eq_cstr(call->path, "/test.Svc/Slow")) sleep_ms(400);
    if (ol_slice_eq_cstr(call->path, "/test.Svc/Fail")) {
        reply->status = OL_GRPC_INVALID_ARGUMENT;
        snprintf(reply->message, sizeof reply->message, "bad 100%% d\xc3\xa9j\xc3\xa0\nvu");
        ol_buf_append(&reply->details, "\x08\x03\x12\x01x", 5);
        return;
    }
    reply->accept_encoding = "gzip";
    if (ol_slice_eq_cstr(call->path, "/test.Svc/Big")) {
        for (int i = 0; i < 200000; i++) ol_buf_append_u8(&reply->response, (uint8_t)('a' + i % 26));
        return;
    }
    ol_buf_printf(&reply->response, "len=%zu enc=%.*s c=%d", call->message.len, (int)call->grpc_encoding.len,
                  call->grpc_encoding.ptr ? (const char *)call->grpc_encoding.ptr : "", call->compressed);
}

/* ---- server setup ---- */

typedef struct srv_opts {
    int max_conns;
    size_t max_body;
    size_t max_head;
    int read_timeout_ms;
    int idle_timeout_ms;
    const char *cert, *key;
} srv_opts_t;

static ol_server_t *start_server(srv_opts_t o, int *http_port, int *grpc_port)
{
    ol_server_t *s = NULL;
    if (ol_server_create(&s, o.max_conns ? o.max_conns : 64) != OL_OK) return NULL;
    ol_listener_config_t h = {
        .name = "test-http",
        .addr = "127.0.0.1:0",
        .proto = OL_PROTO_HTTP1,
        .http = http_handler,
        .max_body = o.max_body ? o.max_body : 1 << 20,
        .max_header_bytes = o.max_head,
        .read_timeout_ms = o.read_timeout_ms,
        .idle_timeout_ms = o.idle_timeout_ms,
        .tls_cert = o.cert,
        .tls_key = o.key,
    };
    ol_listener_config_t g = h;
    g.name = "test-grpc";
    g.proto = OL_PROTO_GRPC;
    g.http = NULL;
    g.grpc = grpc_handler;
    ol_err_t err = {{0}};
    int hi = ol_server_listen(s, &h, &err);
    int gi = ol_server_listen(s, &g, &err);
    if (hi < 0 || gi < 0 || ol_server_start(s) != OL_OK) {
        fprintf(stderr, "  server start failed: %s\n", err.msg);
        ol_server_destroy(s);
        return NULL;
    }
    *http_port = ol_server_port(s, hi);
    if (grpc_port) *grpc_port = ol_server_port(s, gi);
    return s;
}

/* ---- a small blocking client (plain or TLS) ---- */

typedef struct cli {
    int fd;
    SSL *ssl;
    SSL_CTX *ctx;
    char buf[1 << 19];
    size_t len;
} cli_t;

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static cli_t *cli_open(int port, const char *alpn)
{
    cli_t *c = calloc(1, sizeof *c);
    c->fd = tcp_connect(port);
    if (c->fd < 0) {
        free(c);
        return NULL;
    }
    if (alpn) {
        c->ctx = SSL_CTX_new(TLS_client_method());
        c->ssl = SSL_new(c->ctx);
        unsigned char protos[32];
        protos[0] = (unsigned char)strlen(alpn);
        memcpy(protos + 1, alpn, strlen(alpn));
        SSL_set_alpn_protos(c->ssl, protos, 1 + (unsigned)strlen(alpn));
        SSL_set_fd(c->ssl, c->fd);
        if (SSL_connect(c->ssl) != 1) {
            fprintf(stderr, "  SSL_connect failed\n");
            SSL_free(c->ssl);
            SSL_CTX_free(c->ctx);
            close(c->fd);
            free(c);
            return NULL;
        }
    }
    return c;
}

static void cli_close(cli_t *c)
{
    if (!c) return;
    if (c->ssl) SSL_free(c->ssl);
    if (c->ctx) SSL_CTX_free(c->ctx);
    close(c->fd);
    free(c);
}

static int cli_send(cli_t *c, const void *p, size_t n)
{
    if (c->ssl) return SSL_write(c->ssl, p, (int)n) == (int)n ? 0 : -1;
    const char *q = p;
    while (n) {
        ssize_t r = send(c->fd, q, n, MSG_NOSIGNAL);
        if (r <= 0) return -1;
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

static int cli_sends(cli_t *c, const char *s) { return cli_send(c, s, strlen(s)); }

/* >0 bytes, 0 EOF, -1 error, -2 timeout */
static ssize_t cli_recv(cli_t *c, void *p, size_t n, int timeout_ms)
{
    if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pf, 1, timeout_ms);
        if (r == 0) return -2;
        if (r < 0) return -1;
    }
    if (c->ssl) {
        int r = SSL_read(c->ssl, p, (int)n);
        if (r > 0) return r;
        return SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    ssize_t r = recv(c->fd, p, n, 0);
    return r < 0 ? -1 : r;
}

typedef struct resp {
    int status;
    char head[4096];
    char body[1 << 18];
    size_t body_len;
} resp_t;

/* Reads one response (5 s budget). Returns 0 or -1. */
static int cli_response(cli_t *c, resp_t *r)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        char *end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hl = (size_t)(end - c->buf) + 4;
            if (hl >= sizeof r->head) return -1;
            memcpy(r->head, c->buf, hl);
            r->head[hl] = 0;
            if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) return -1;
            size_t clen = 0;
            char *cl = strcasestr(r->head, "\r\nContent-Length:");
            if (cl) clen = strtoul(cl + 17, NULL, 10);
            else if (r->status >= 200) return -1; /* the server always sends one */
            while (c->len < hl + clen) {
                ssize_t n = cli_recv(c, c->buf + c->len, sizeof c->buf - c->len, 5000);
                if (n <= 0) return -1;
                c->len += (size_t)n;
            }
            if (clen >= sizeof r->body) return -1;
            memcpy(r->body, c->buf + hl, clen);
            r->body_len = clen;
            memmove(c->buf, c->buf + hl + clen, c->len - hl - clen);
            c->len -= hl + clen;
            return 0;
        }
        if (c->len == sizeof c->buf) return -1;
        ssize_t n = cli_recv(c, c->buf + c->len, sizeof c->buf - c->len, 5000);
        if (n <= 0) return -1;
        c->len += (size_t)n;
    }
}

/* True when the server closes the connection within ms. */
static bool cli_closed_within(cli_t *c, int ms)
{
    uint64_t end = ol_mono_ns() + (uint64_t)ms * 1000000ull;
    char tmp[4096];
    for (;;) {
        uint64_t now = ol_mono_ns();
        if (now >= end) return false;
        ssize_t n = cli_recv(c, tmp, sizeof tmp, (int)((end - now) / 1000000) + 1);
        if (n == 0 || n == -1) return true;
        if (n == -2) return false;
    }
}

static bool has_header(const resp_t *r, const char *line) { return strcasestr(r->head, line) != NULL; }

/* ---- HTTP/1.1 tests ---- */

static void test_keepalive(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){0}, &port, NULL);
    CHECK(s != NULL);
    if (!s) return;
    cli_t *c = cli_open(port, NULL);
    CHECK(c != NULL);
    resp_t r;
    /* Two requests, the second pipelined right behind the first. */
    cli_sends(c, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                 "GET /q?a=b HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body_len == 5 && memcmp(r.body, "len=5", 5) == 0);
    CHECK(has_header(&r, "Content-Length: 5\r\n"));
    CHECK(!has_header(&r, "999"));
    CHECK(has_header(&r, "Content-Type: text/plain\r\n"));
    CHECK(!has_header(&r, "Connection: close"));
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body_len == 5 && memcmp(r.body, "len=0", 5) == 0);
    /* A third after a pause, on the same connection. */
    sleep_ms(50);
    cli_sends(c, "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(r.body_len == 5 && memcmp(r.body, "len=3", 5) == 0);
    /* Connection: close is honoured. */
    cli_sends(c, "GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    /* HTTP/1.0 closes after one response; a handler can ask to close too. */
    c = cli_open(port, NULL);
    cli_sends(c, "GET / HTTP/1.0\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);
    c = cli_open(port, NULL);
    cli_sends(c, "GET /close HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    /* HEAD: Content-Length of the would-be body, no body bytes. */
    c = cli_open(port, NULL);
    cli_sends(c, "HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    memset(&r, 0, sizeof r);
    char tmp[4096];
    size_t got = 0;
    while (got < 4096) {
        ssize_t n = cli_recv(c, tmp + got, sizeof tmp - got - 1, 1000);
        if (n <= 0) break;
        got += (size_t)n;
        tmp[got] = 0;
        if (strstr(tmp, "len=0")) break;
    }
    tmp[got] = 0;
    char *second = strstr(tmp + 1, "HTTP/1.1 200");
    CHECK(second != NULL);
    if (second) CHECK(strstr(tmp, "\r\n\r\nHTTP/1.1 200") == second - 4);
    cli_close(c);

    ol_server_stats_t st;
    ol_server_get_stats(s, &st);
    CHECK(st.requests_total >= 7);
    CHECK(st.connections_total >= 4);
    ol_server_destroy(s);
}

static void test_chunked(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.max_body = 64}, &port, NULL);
    if (!s) return;
    cli_t *c = cli_open(port, NULL);
    resp_t r;
    cli_sends(c, "POST /v1/logs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsum\r\n");
    sleep_ms(30);
    cli_sends(c, "4;ext=1\r\nabcd\r");
    sleep_ms(30);
    cli_sends(c, "\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    unsigned sum = 's' + 'u' + 'm' + 'a' + 'b' + 'c' + 'd';
    char want[64];
    snprintf(want, sizeof want, "len=7 sum=%u", sum);
    CHECK(r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0);
    CHECK_EQ_INT(cli_response(c, &r), 0); /* the pipelined GET after the chunked body */
    CHECK(r.body_len == 5 && memcmp(r.body, "len=0", 5) == 0);

    /* A chunked body larger than max_body: handler sees OL_LIMIT, then close. */
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n");
    char big[80];
    memset(big, 'x', sizeof big);
    cli_send(c, big, 64);
    cli_sends(c, "\r\n1\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 413);
    CHECK_EQ_INT(atomic_load(&g_last_body_status), OL_LIMIT);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    /* Bad chunk framing: 400 and close. */
    c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    /* Content-Length together with chunked, and unknown codings, are refused. */
    c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    cli_close(c);
    c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    cli_close(c);
    ol_server_destroy(s);
}

static void test_expect_continue(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.max_body = 100}, &port, NULL);
    if (!s) return;
    cli_t *c = cli_open(port, NULL);
    resp_t r;
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 100);
    CHECK_EQ_INT(r.body_len, 0);
    cli_sends(c, "abcd");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body_len == 5 && memcmp(r.body, "len=4", 5) == 0);

    /* Chunked with 100-continue. */
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 100);
    cli_sends(c, "2\r\nab\r\n0\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(r.body_len == 5 && memcmp(r.body, "len=2", 5) == 0);

    /* Over the limit: no 100, the handler answers 413 straight away. */
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 413);
    CHECK(r.body_len == 9 && memcmp(r.body, "too large", 9) == 0);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);
    ol_server_destroy(s);
}

static void test_body_limit(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.max_body = 1000}, &port, NULL);
    if (!s) return;
    cli_t *c = cli_open(port, NULL);
    resp_t r;
    atomic_store(&g_last_body_status, 0);
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    char chunk[10000];
    memset(chunk, 'y', sizeof chunk);
    cli_send(c, chunk, sizeof chunk); /* part of the body is already on its way */
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 413);
    CHECK_EQ_INT(atomic_load(&g_last_body_status), OL_LIMIT);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(c, 3000));
    cli_close(c);

    /* Exactly at the limit is fine. */
    c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
    cli_send(c, chunk, 1000);
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body_len == 8 && memcmp(r.body, "len=1000", 8) == 0);
    cli_close(c);
    ol_server_destroy(s);
}

static void test_bad_heads(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.max_head = 1024}, &port, NULL);
    if (!s) return;
    resp_t r;
    cli_t *c = cli_open(port, NULL);
    char big[2048];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
    cli_send(c, big, sizeof big);
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 431);
    CHECK(has_header(&r, "Content-Type: application/json\r\n"));
    CHECK(strstr(r.body, "\"code\":8") != NULL);
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    c = cli_open(port, NULL);
    cli_sends(c, "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    CHECK(has_header(&r, "Content-Type: application/json\r\n"));
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(r.body_len > 0 && strncmp(r.body, "{\"code\":3,\"message\":\"", 21) == 0);
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    c = cli_open(port, NULL);
    cli_sends(c, "HELLO\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    cli_close(c);

    c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.status, 400);
    cli_close(c);

    ol_server_stats_t st;
    ol_server_get_stats(s, &st);
    CHECK(st.bad_requests >= 4);
    ol_server_destroy(s);
}

static void test_read_timeout(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.read_timeout_ms = 300, .idle_timeout_ms = 600}, &port, NULL);
    if (!s) return;
    ol_server_stats_t before, after;
    ol_server_get_stats(s, &before);
    cli_t *c = cli_open(port, NULL);
    cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    uint64_t t0 = ol_mono_ns();
    CHECK(cli_closed_within(c, 3000));
    uint64_t ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms >= 200 && ms < 2000);
    cli_close(c);

    /* Stalling inside the head also times out. */
    c = cli_open(port, NULL);
    cli_sends(c, "GET / HTTP/1.1\r\nHost:");
    CHECK(cli_closed_within(c, 3000));
    cli_close(c);
    ol_server_get_stats(s, &after);
    CHECK(after.bad_requests >= before.bad_requests + 2);

    /* An idle keep-alive connection is closed after idle_timeout. */
    c = cli_open(port, NULL);
    resp_t r;
    cli_sends(c, "GET / HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    t0 = ol_mono_ns();
    CHECK(cli_closed_within(c, 3000));
    ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms >= 400);
    cli_close(c);
    ol_server_destroy(s);
}

static void test_max_conns(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){.max_conns = 1}, &port, NULL);
    if (!s) return;
    cli_t *a = cli_open(port, NULL);
    resp_t r;
    cli_sends(a, "GET / HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(a, &r), 0);
    cli_t *b = cli_open(port, NULL);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_INT(cli_response(b, &r), 0);
        CHECK_EQ_INT(r.status, 503);
        CHECK(strstr(r.body, "\"code\":14") != NULL);
        CHECK(cli_closed_within(b, 2000));
        cli_close(b);
    }
    ol_server_stats_t st;
    ol_server_get_stats(s, &st);
    CHECK_EQ_INT(st.connections_rejected, 1);
    CHECK_EQ_INT(st.connections_active, 1);
    cli_close(a);
    /* Once the first connection is gone a new one is served. */
    sleep_ms(100);
    b = cli_open(port, NULL);
    cli_sends(b, "GET / HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(b, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    cli_close(b);
    ol_server_destroy(s);
}

static void test_graceful_stop(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){0}, &port, NULL);
    if (!s) return;
    resp_t r;
    cli_t *idle = cli_open(port, NULL);
    cli_sends(idle, "GET / HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(idle, &r), 0);
    cli_t *busy = cli_open(port, NULL);
    cli_sends(busy, "GET /slow HTTP/1.1\r\n\r\n");
    sleep_ms(100); /* the handler is now sleeping */
    uint64_t t0 = ol_mono_ns();
    ol_server_stop(s, 3000);
    uint64_t ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms < 2500);
    CHECK_EQ_INT(cli_response(busy, &r), 0); /* the in-flight request completed */
    CHECK_EQ_INT(r.status, 200);
    CHECK(has_header(&r, "Connection: close\r\n"));
    CHECK(cli_closed_within(busy, 1000));
    CHECK(cli_closed_within(idle, 1000));
    CHECK(tcp_connect(port) < 0);
    cli_close(busy);
    cli_close(idle);
    ol_server_stats_t st;
    ol_server_get_stats(s, &st);
    CHECK_EQ_INT(st.connections_active, 0);
    ol_server_destroy(s);

    /* A request stuck past drain_ms is cut off. */
    s = start_server((srv_opts_t){0}, &port, NULL);
    if (!s) return;
    cli_t *stuck = cli_open(port, NULL);
    cli_sends(stuck, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    sleep_ms(50);
    t0 = ol_mono_ns();
    ol_server_stop(s, 200);
    ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms >= 150 && ms < 2000);
    CHECK(cli_closed_within(stuck, 1000));
    cli_close(stuck);
    ol_server_destroy(s);
}

/* ---- gRPC through an nghttp2 client ---- */

typedef struct gres {
    cli_t *c;
    nghttp2_session *ng;
    bool goaway;
    int32_t stream;
    int http_status;
    int grpc_status;
    char grpc_message[512];
    char details[512];
    char accept_encoding[512];
    uint8_t data[1 << 18];
    size_t data_len;
    int header_blocks;
    bool closed;
    const uint8_t *body;
    size_t body_len, body_off;
} gres_t;

static ssize_t g_send_cb(nghttp2_session *ng, const uint8_t *data, size_t len, int flags, void *ud)
{
    gres_t *g = ud;
    return cli_send(g->c, data, len) == 0 ? (ssize_t)len : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int g_header_cb(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                       const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    gres_t *g = ud;
    char v[512];
    snprintf(v, sizeof v, "%.*s", (int)vl, value);
    if (nl == 7 && memcmp(name, ":status", 7) == 0) g->http_status = atoi(v);
    else if (nl == 11 && memcmp(name, "grpc-status", 11) == 0) g->grpc_status = atoi(v);
    else if (nl == 12 && memcmp(name, "grpc-message", 12) == 0) snprintf(g->grpc_message, sizeof g->grpc_message, "%s", v);
    else if (nl == 23 && memcmp(name, "grpc-status-details-bin", 23) == 0) snprintf(g->details, sizeof g->details, "%s", v);
    else if (nl == 20 && memcmp(name, "grpc-accept-encoding", 20) == 0)
        snprintf(g->accept_encoding, sizeof g->accept_encoding, "%s", v);
    return 0;
}

static int g_frame_cb(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    gres_t *g = ud;
    if (f->hd.type == NGHTTP2_HEADERS && f->hd.stream_id == g->stream) g->header_blocks++;
    if (f->hd.type == NGHTTP2_GOAWAY) g->goaway = true;
    return 0;
}

static int g_data_cb(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    gres_t *g = ud;
    if (g->data_len + len <= sizeof g->data) {
        memcpy(g->data + g->data_len, data, len);
        g->data_len += len;
    }
    return 0;
}

static int g_close_cb(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    gres_t *g = ud;
    if (id == g->stream) g->closed = true;
    return 0;
}

static ssize_t g_body_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    gres_t *g = ud;
    size_t n = OL_MIN(len, g->body_len - g->body_off);
    memcpy(buf, g->body + g->body_off, n);
    g->body_off += n;
    if (g->body_off == g->body_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int gopen(int port, bool tls, gres_t *g)
{
    memset(g, 0, sizeof *g);
    g->c = cli_open(port, tls ? "h2" : NULL);
    if (!g->c) return -1;
    if (tls) {
        const unsigned char *proto;
        unsigned plen;
        SSL_get0_alpn_selected(g->c->ssl, &proto, &plen);
        CHECK(plen == 2 && memcmp(proto, "h2", 2) == 0);
    }
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, g_send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, g_header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, g_frame_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, g_data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, g_close_cb);
    nghttp2_session_client_new(&g->ng, cb, g);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(g->ng, NGHTTP2_FLAG_NONE, NULL, 0);
    return 0;
}

static void gclose(gres_t *g)
{
    if (g->ng) nghttp2_session_del(g->ng);
    cli_close(g->c);
    g->ng = NULL;
    g->c = NULL;
}

/* Starts a request; with body NULL only HEADERS are sent (the stream stays open). */
static void gstart(gres_t *g, const char *path, const char *ctype, const char *encoding, const uint8_t *body,
                   size_t body_len)
{
    g->grpc_status = -1;
    g->http_status = 0;
    g->grpc_message[0] = g->details[0] = g->accept_encoding[0] = 0;
    g->data_len = 0;
    g->header_blocks = 0;
    g->closed = false;
    g->body = body;
    g->body_len = body_len;
    g->body_off = 0;
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv nva[] = {NV(":method", "POST"), NV(":scheme", "http"), NV(":path", path),
                        NV(":authority", "localhost"), NV("content-type", ctype), NV("te", "trailers"),
                        NV("grpc-encoding", encoding ? encoding : "identity")};
#undef NV
    nghttp2_data_provider prd = {.read_callback = g_body_cb};
    if (body)
        g->stream = nghttp2_submit_request(g->ng, NULL, nva, OL_ARRAY_LEN(nva), &prd, NULL);
    else
        g->stream = nghttp2_submit_headers(g->ng, NGHTTP2_FLAG_NONE, -1, NULL, nva, OL_ARRAY_LEN(nva), NULL);
}

/* Exchanges frames until the current stream closes (0), the server closes the
 * connection or errs (-1), or timeout_ms passes (-2). */
static int gpump(gres_t *g, int timeout_ms)
{
    uint64_t end = ol_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (ol_mono_ns() < end) {
        if (nghttp2_session_send(g->ng) != 0) return -1;
        if (g->closed) return 0;
        uint8_t buf[16384];
        ssize_t n = cli_recv(g->c, buf, sizeof buf, 100);
        if (n == -2) continue;
        if (n <= 0) return -1;
        if (nghttp2_session_mem_recv(g->ng, buf, (size_t)n) < 0) return -1;
    }
    return -2;
}

/* Waits for the server to end the connection: -1 when it did. */
static int gwait_end(gres_t *g, int timeout_ms)
{
    g->closed = false;
    g->stream = 0;
    return gpump(g, timeout_ms);
}

/* One unary call on a new connection. Returns 0 when the stream completed. */
static int grpc_call(int port, bool tls, const char *path, const char *ctype, const char *encoding,
                     const uint8_t *body, size_t body_len, gres_t *g)
{
    if (gopen(port, tls, g) != 0) return -1;
    gstart(g, path, ctype, encoding, body, body_len);
    int rc = gpump(g, 5000);
    gclose(g);
    return rc;
}

static size_t frame_msg(uint8_t *out, const void *msg, uint32_t len, uint8_t flag)
{
    out[0] = flag;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    memcpy(out + 5, msg, len);
    return 5 + len;
}

static void check_grpc(int port, bool tls)
{
    uint8_t body[256];
    size_t n = frame_msg(body, "hello world", 11, 0);
    gres_t g;
    CHECK_EQ_INT(grpc_call(port, tls, "/test.Svc/Echo", "application/grpc", NULL, body, n, &g), 0);
    CHECK_EQ_INT(g.http_status, 200);
    CHECK_EQ_INT(g.grpc_status, 0);
    CHECK_EQ_INT(g.header_blocks, 2); /* headers + trailers */
    CHECK(strcmp(g.accept_encoding, "gzip") == 0);
    const char *want = "len=11 enc=identity c=0";
    CHECK_EQ_INT(g.data_len, 5 + strlen(want));
    CHECK(g.data_len >= 5 && g.data[0] == 0 && ol_load_be32(g.data + 1) == strlen(want));
    CHECK(g.data_len == 5 + strlen(want) && memcmp(g.data + 5, want, strlen(want)) == 0);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), OL_OK);
}

static void test_grpc(void)
{
    int hport, port;
    ol_server_t *s = start_server((srv_opts_t){.max_body = 1000}, &hport, &port);
    if (!s) return;
    check_grpc(port, false);

    uint8_t body[2048];
    gres_t g;
    /* Compressed flag and grpc-encoding reach the handler; +proto content type is gRPC. */
    size_t n = frame_msg(body, "xyz", 3, 1);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpc+proto", "gzip", body, n, &g), 0);
    CHECK_EQ_INT(g.grpc_status, 0);
    CHECK(g.data_len > 5 && memcmp(g.data + 5, "len=3 enc=gzip c=1", 18) == 0);

    /* Error status: no DATA; message percent-encoded; details unpadded base64. */
    n = frame_msg(body, "", 0, 0);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Fail", "application/grpc", NULL, body, n, &g), 0);
    CHECK_EQ_INT(g.http_status, 200);
    CHECK_EQ_INT(g.grpc_status, OL_GRPC_INVALID_ARGUMENT);
    CHECK_EQ_INT(g.data_len, 0);
    CHECK(strcmp(g.grpc_message, "bad 100%25 d%C3%A9j%C3%A0%0Avu") == 0);
    CHECK(strcmp(g.details, "CAMSAXg") == 0); /* base64("\x08\x03\x12\x01x") without "=" */

    /* Oversized message: RESOURCE_EXHAUSTED. */
    static uint8_t zs[1500];
    memset(zs, 'z', sizeof zs);
    n = frame_msg(body, zs, sizeof zs, 0);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpc", NULL, body, n, &g), 0);
    CHECK_EQ_INT(g.grpc_status, OL_GRPC_RESOURCE_EXHAUSTED);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), OL_LIMIT);
    CHECK_EQ_INT(g.data_len, 0);

    /* Bad framing: truncated message and missing prefix. */
    n = frame_msg(body, "abcdef", 6, 0);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpc", NULL, body, n - 2, &g), 0);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), OL_CORRUPT);
    CHECK_EQ_INT(g.grpc_status, OL_GRPC_INTERNAL);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpc", NULL, body, 3, &g), 0);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), OL_CORRUPT);
    body[0] = 7;
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpc", NULL, body, 10, &g), 0);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), OL_CORRUPT);

    /* Wrong content type: HTTP 415, handler not called. */
    atomic_store(&g_last_msg_status, 12345);
    n = frame_msg(body, "abc", 3, 0);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/json", NULL, body, n, &g), 0);
    CHECK_EQ_INT(g.http_status, 415);
    CHECK_EQ_INT(g.grpc_status, -1);
    CHECK_EQ_INT(atomic_load(&g_last_msg_status), 12345);
    CHECK_EQ_INT(grpc_call(port, false, "/test.Svc/Echo", "application/grpcx", NULL, body, n, &g), 0);
    CHECK_EQ_INT(g.http_status, 415);

    /* HTTP/1.1 spoken to the gRPC port is dropped. */
    cli_t *c = cli_open(port, NULL);
    cli_sends(c, "GET / HTTP/1.1\r\n\r\n");
    CHECK(cli_closed_within(c, 2000));
    cli_close(c);

    ol_server_stats_t st;
    ol_server_get_stats(s, &st);
    CHECK(st.requests_total >= 7);
    ol_server_destroy(s);
}

static void test_large(void)
{
    int port, gport;
    ol_server_t *s = start_server((srv_opts_t){.max_body = 1 << 20}, &port, &gport);
    if (!s) return;
    size_t n = 600000;
    uint8_t *big = malloc(n);
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        big[i] = (uint8_t)(i * 7 + 3);
        if (i < 3) big[i] = (uint8_t)"sum"[i];
        sum += big[i];
    }
    static resp_t r;
    char want[64];
    snprintf(want, sizeof want, "len=%zu sum=%u", n, sum);
    cli_t *c = cli_open(port, NULL);
    char head[128];
    snprintf(head, sizeof head, "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
    cli_sends(c, head);
    cli_send(c, big, n);
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0);
    /* The same body chunked, in uneven chunks. */
    cli_sends(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    size_t off = 0, step = 1;
    while (off < n) {
        size_t k = OL_MIN(step, n - off);
        char line[32];
        snprintf(line, sizeof line, "%zx\r\n", k);
        cli_sends(c, line);
        cli_send(c, big + off, k);
        cli_sends(c, "\r\n");
        off += k;
        step = step * 3 + 1;
    }
    cli_sends(c, "0\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK(r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0);
    /* A large response. */
    cli_sends(c, "GET /big HTTP/1.1\r\n\r\n");
    CHECK_EQ_INT(cli_response(c, &r), 0);
    CHECK_EQ_INT(r.body_len, 200000);
    CHECK(r.body[0] == 'a' && r.body[199999] == (char)('a' + 199999 % 26));
    cli_close(c);

    /* gRPC: a message spanning many DATA frames and flow-control windows, and a large reply. */
    uint8_t *framed = malloc(n + 5);
    framed[0] = 0;
    framed[1] = (uint8_t)(n >> 24);
    framed[2] = (uint8_t)(n >> 16);
    framed[3] = (uint8_t)(n >> 8);
    framed[4] = (uint8_t)n;
    memcpy(framed + 5, big, n);
    static gres_t g;
    CHECK_EQ_INT(grpc_call(gport, false, "/test.Svc/Echo", "application/grpc", NULL, framed, n + 5, &g), 0);
    CHECK_EQ_INT(g.grpc_status, 0);
    CHECK(g.data_len > 5 && memcmp(g.data + 5, "len=600000 ", 11) == 0);
    size_t fl = frame_msg(framed, "q", 1, 0);
    CHECK_EQ_INT(grpc_call(gport, false, "/test.Svc/Big", "application/grpc", NULL, framed, fl, &g), 0);
    CHECK_EQ_INT(g.grpc_status, 0);
    CHECK_EQ_INT(g.data_len, 200005);
    CHECK(ol_load_be32(g.data + 1) == 200000 && g.data[5] == 'a');
    free(framed);
    free(big);
    ol_server_destroy(s);
}

static void test_grpc_lifecycle(void)
{
    int hport, port;
    ol_server_t *s = start_server((srv_opts_t){.read_timeout_ms = 300, .idle_timeout_ms = 700}, &hport, &port);
    if (!s) return;
    uint8_t body[64];
    size_t n = frame_msg(body, "abc", 3, 0);
    gres_t g;

    /* Several calls on one connection, then the idle timeout ends it with GOAWAY. */
    CHECK_EQ_INT(gopen(port, false, &g), 0);
    for (int i = 0; i < 3; i++) {
        gstart(&g, "/test.Svc/Echo", "application/grpc", NULL, body, n);
        CHECK_EQ_INT(gpump(&g, 3000), 0);
        CHECK_EQ_INT(g.grpc_status, 0);
        CHECK(g.data_len > 5 && memcmp(g.data + 5, "len=3", 5) == 0);
    }
    uint64_t t0 = ol_mono_ns();
    CHECK_EQ_INT(gwait_end(&g, 3000), -1);
    uint64_t ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(g.goaway);
    CHECK(ms >= 500 && ms < 2500);
    gclose(&g);

    /* A stream that never ends is cut off after read_timeout. */
    ol_server_stats_t before, after;
    ol_server_get_stats(s, &before);
    CHECK_EQ_INT(gopen(port, false, &g), 0);
    gstart(&g, "/test.Svc/Echo", "application/grpc", NULL, NULL, 0);
    t0 = ol_mono_ns();
    CHECK_EQ_INT(gpump(&g, 3000), -1);
    ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms >= 200 && ms < 1500);
    gclose(&g);
    ol_server_get_stats(s, &after);
    CHECK(after.bad_requests > before.bad_requests);

    /* Graceful stop: a slow call in flight completes, an idle connection gets GOAWAY. */
    gres_t idle;
    CHECK_EQ_INT(gopen(port, false, &idle), 0);
    gstart(&idle, "/test.Svc/Echo", "application/grpc", NULL, body, n);
    CHECK_EQ_INT(gpump(&idle, 3000), 0);
    CHECK_EQ_INT(gopen(port, false, &g), 0);
    gstart(&g, "/test.Svc/Slow", "application/grpc", NULL, body, n);
    gpump(&g, 100);
    t0 = ol_mono_ns();
    ol_server_stop(s, 3000);
    ms = (ol_mono_ns() - t0) / 1000000;
    CHECK(ms < 2000);
    CHECK_EQ_INT(gpump(&g, 2000), 0);
    CHECK_EQ_INT(g.grpc_status, 0);
    CHECK_EQ_INT(gwait_end(&g, 2000), -1);
    CHECK(g.goaway);
    CHECK_EQ_INT(gwait_end(&idle, 2000), -1);
    CHECK(idle.goaway);
    gclose(&g);
    gclose(&idle);
    ol_server_destroy(s);
}

/* ---- TLS ---- */

static bool make_cert(const char *cert_path, const char *key_path)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!pkey || !x) return false;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, nm);
    X509_sign(x, pkey, EVP_sha256());
    FILE *f = fopen(cert_path, "w");
    FILE *k = fopen(key_path, "w");
    bool ok = f && k && PEM_write_X509(f, x) == 1 && PEM_write_PrivateKey(k, pkey, NULL, NULL, 0, NULL, NULL) == 1;
    if (f) fclose(f);
    if (k) fclose(k);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return ok;
}

static void test_tls(void)
{
    char cert[64], key[64];
    snprintf(cert, sizeof cert, "/tmp/olly-test-%d.crt", (int)getpid());
    snprintf(key, sizeof key, "/tmp/olly-test-%d.key", (int)getpid());
    CHECK(make_cert(cert, key));
    int hport, gport;
    ol_server_t *s = start_server((srv_opts_t){.cert = cert, .key = key, .read_timeout_ms = 500}, &hport, &gport);
    CHECK(s != NULL);
    if (s) {
        cli_t *c = cli_open(hport, "http/1.1");
        CHECK(c != NULL);
        if (c) {
            resp_t r;
            cli_sends(c, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd");
            CHECK_EQ_INT(cli_response(c, &r), 0);
            CHECK_EQ_INT(r.status, 200);
            CHECK(r.body_len == 5 && memcmp(r.body, "len=4", 5) == 0);
            cli_sends(c, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
            CHECK_EQ_INT(cli_response(c, &r), 0);
            CHECK(r.body_len == 5 && memcmp(r.body, "len=0", 5) == 0);
            CHECK(cli_closed_within(c, 2000));
            cli_close(c);
        }
        check_grpc(gport, true);

        /* A cleartext client on a TLS port fails the handshake and is dropped. */
        c = cli_open(hport, NULL);
        cli_sends(c, "GET / HTTP/1.1\r\n\r\n");
        CHECK(cli_closed_within(c, 2000));
        cli_close(c);
        ol_server_destroy(s);
    }
    /* Bad key path fails at listen time with a message. */
    ol_server_t *s2;
    ol_server_create(&s2, 4);
    ol_listener_config_t cfg = {.name = "x", .addr = "127.0.0.1:0", .proto = OL_PROTO_HTTP1, .http = http_handler,
                                .tls_cert = cert, .tls_key = "/nonexistent.key"};
    ol_err_t err = {{0}};
    CHECK(ol_server_listen(s2, &cfg, &err) < 0);
    CHECK(strstr(err.msg, "nonexistent") != NULL);
    ol_server_destroy(s2);
    unlink(cert);
    unlink(key);
}

static void test_listen_errors(void)
{
    int port;
    ol_server_t *s = start_server((srv_opts_t){0}, &port, NULL);
    if (!s) return;
    ol_server_t *s2;
    ol_server_create(&s2, 4);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    ol_listener_config_t cfg = {.name = "dup", .addr = addr, .proto = OL_PROTO_HTTP1, .http = http_handler};
    ol_err_t err = {{0}};
    CHECK(ol_server_listen(s2, &cfg, &err) < 0);
    CHECK(strstr(err.msg, "in use") != NULL);
    cfg.addr = "nonsense";
    CHECK(ol_server_listen(s2, &cfg, &err) < 0);
    cfg.addr = "127.0.0.1:99999";
    CHECK(ol_server_listen(s2, &cfg, &err) < 0);
    cfg.addr = "[::1]:0";
    int i = ol_server_listen(s2, &cfg, &err); /* IPv6 may be unavailable; then an error, not a crash */
    if (i >= 0) CHECK(ol_server_port(s2, i) > 0);
    ol_server_destroy(s2);
    ol_server_destroy(s);
}

int main(void)
{
    ol_log_set_level(OL_LOG_WARN);
    RUN(test_keepalive);
    RUN(test_chunked);
    RUN(test_expect_continue);
    RUN(test_body_limit);
    RUN(test_large);
    RUN(test_bad_heads);
    RUN(test_read_timeout);
    RUN(test_max_conns);
    RUN(test_graceful_stop);
    RUN(test_grpc);
    RUN(test_grpc_lifecycle);
    RUN(test_tls);
    RUN(test_listen_errors);
    return TEST_REPORT();
}
