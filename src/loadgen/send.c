/*
 * send.c - what both export clients share: target parsing, the blocking
 * socket (connect with TCP_NODELAY and send/receive timeouts, write-all,
 * read-some), per-request gzip with one reused deflate stream, parsing of
 * ExportTraceServiceResponse and google.rpc.Status, and dispatch to the
 * protocol (send_http.c, send_grpc.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "loadgen/send_int.h"

void ol_lg_msg(ol_loadgen_result_t *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

void ol_lg_copy(char *dst, size_t cap, const char *src)
{
    size_t n = OL_MIN(strlen(src), cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

int ol_loadgen_target_parse(const char *url, ol_loadgen_proto_t proto, ol_loadgen_target_t *t, ol_err_t *err)
{
    memset(t, 0, sizeof *t);
    t->proto = proto;
    const char *p = url;
    if (strncmp(p, "https://", 8) == 0) {
        ol_err_set(err, "target '%s': https is not supported; use http:// (cleartext)", url);
        return OL_CORRUPT;
    }
    if (strncmp(p, "http://", 7) == 0) p += 7;
    const char *host = p, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end) {
            ol_err_set(err, "target '%s': unterminated IPv6 address", url);
            return OL_CORRUPT;
        }
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/");
        p = host_end;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof t->host) {
        ol_err_set(err, "target '%s': missing or overlong host", url);
        return OL_CORRUPT;
    }
    memcpy(t->host, host, hl);
    const char *port = proto == OL_LOADGEN_GRPC ? "4317" : "4318";
    size_t pl = strlen(port);
    if (*p == ':') {
        port = ++p;
        pl = strspn(p, "0123456789");
        p += pl;
        if (pl == 0 || pl > 5 || atoi(port) < 1 || atoi(port) > 65535) {
            ol_err_set(err, "target '%s': bad port", url);
            return OL_CORRUPT;
        }
    }
    memcpy(t->port, port, pl);
    if (*p && *p != '/') {
        ol_err_set(err, "target '%s': unexpected '%c' after the host and port", url, *p);
        return OL_CORRUPT;
    }
    const char *path = *p && strcmp(p, "/") != 0 ? p : "/v1/traces";
    if (proto == OL_LOADGEN_GRPC) {
        if (*p && strcmp(p, "/") != 0) {
            ol_err_set(err, "target '%s': a gRPC target is host:port, without a path", url);
            return OL_CORRUPT;
        }
        path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    }
    if (strlen(path) >= sizeof t->path || strpbrk(path, " \r\n")) {
        ol_err_set(err, "target '%s': bad path", url);
        return OL_CORRUPT;
    }
    strcpy(t->path, path);
    bool v6 = strchr(t->host, ':') != NULL;
    snprintf(t->authority, sizeof t->authority, "%s%s%s:%s", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
    return OL_OK;
}

int ol_loadgen_client_create(const ol_loadgen_target_t *t, bool gzip, ol_loadgen_client_t **out)
{
    ol_loadgen_client_t *c = ol_calloc(OL_MEM_NET, 1, sizeof *c);
    *out = c;
    if (!c) return OL_NOMEM;
    c->t = *t;
    c->gzip = gzip;
    c->fd = -1;
    ol_buf_init(&c->zbuf, OL_MEM_NET, 0);
    ol_buf_init(&c->rbuf, OL_MEM_NET, OL_LG_MAX_RESPONSE + 65536);
    ol_buf_init(&c->wbuf, OL_MEM_NET, 0);
    return OL_OK;
}

void ol_lg_close(ol_loadgen_client_t *c)
{
    if (c->ng) ol_lg_grpc_close(c);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

void ol_loadgen_client_destroy(ol_loadgen_client_t *c)
{
    if (!c) return;
    ol_lg_close(c);
    if (c->z_ready) deflateEnd(&c->z);
    ol_buf_free(&c->zbuf);
    ol_buf_free(&c->rbuf);
    ol_buf_free(&c->wbuf);
    ol_free(OL_MEM_NET, c, sizeof *c);
}

int ol_loadgen_client_connect(ol_loadgen_client_t *c, ol_err_t *err)
{
    if (c->fd >= 0) return OL_OK;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(c->t.host, c->t.port, &hints, &ai);
    if (gai != 0) {
        ol_err_set(err, "cannot resolve %s: %s", c->t.host, gai_strerror(gai));
        return OL_ERR;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            c->fd = fd;
            break;
        }
        e = errno;
        close(fd);
    }
    freeaddrinfo(ai);
    if (c->fd < 0) {
        ol_err_set(err, "cannot connect to %s: %s", c->t.authority, strerror(e));
        return OL_ERR;
    }
    int one = 1;
    struct timeval tv = {.tv_sec = OL_LG_IO_TIMEOUT_S};
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (c->t.proto == OL_LOADGEN_GRPC && ol_lg_grpc_open(c, err) != OL_OK) {
        ol_lg_close(c);
        return OL_ERR;
    }
    return OL_OK;
}

int ol_lg_write_all(ol_loadgen_client_t *c, const struct iovec *iov_in, int n, ol_loadgen_result_t *res)
{
    struct iovec iov[8];
    if (n > (int)OL_ARRAY_LEN(iov)) n = (int)OL_ARRAY_LEN(iov);
    memcpy(iov, iov_in, (size_t)n * sizeof *iov);
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t w = writev(c->fd, v, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            ol_lg_msg(res, "write to %s: %s", c->t.authority,
                     errno == EAGAIN ? "timed out" : strerror(errno));
            return OL_ERR;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return OL_OK;
}

int ol_lg_read_some(ol_loadgen_client_t *c, ol_buf_t *b, ol_loadgen_result_t *res)
{
    if (ol_buf_reserve(b, 65536) != OL_OK) {
        ol_lg_msg(res, "answer from %s is larger than %u bytes", c->t.authority,
                 OL_LG_MAX_RESPONSE);
        return OL_ERR;
    }
    for (;;) {
        ssize_t r = read(c->fd, b->data + b->len, b->cap - b->len);
        if (r > 0) {
            b->len += (size_t)r;
            return OL_OK;
        }
        if (r < 0 && errno == EINTR) continue;
        ol_lg_msg(res, "read from %s: %s", c->t.authority,
                 r == 0 ? "connection closed by the server" : errno == EAGAIN ? "timed out" : strerror(errno));
        return OL_ERR;
    }
}

int ol_lg_gzip(ol_loadgen_client_t *c, ol_slice_t body)
{
    if (!c->z_ready) {
        memset(&c->z, 0, sizeof c->z);
        if (deflateInit2(&c->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return OL_NOMEM;
        c->z_ready = true;
    } else if (deflateReset(&c->z) != Z_OK) {
        return OL_NOMEM;
    }
    size_t bound = deflateBound(&c->z, (uLong)body.len) + 64;
    ol_buf_reset(&c->zbuf);
    if (ol_buf_reserve(&c->zbuf, bound) != OL_OK) return OL_NOMEM;
    c->z.next_in = (Bytef *)body.ptr;
    c->z.avail_in = (uInt)body.len;
    c->z.next_out = c->zbuf.data;
    c->z.avail_out = (uInt)bound;
    if (deflate(&c->z, Z_FINISH) != Z_STREAM_END) return OL_NOMEM;
    c->zbuf.len = bound - c->z.avail_out;
    return OL_OK;
}

int ol_loadgen_parse_export_response(ol_slice_t pb, int64_t *rejected, ol_slice_t *message)
{
    *rejected = 0;
    *message = OL_SLICE_NULL;
    ol_pb_reader_t r, ps;
    ol_pb_field_value_t f;
    int rc;
    ol_pb_reader_init(&r, pb);
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != 1 || f.wire_type != OL_PB_LEN) continue;
        ol_pb_reader_init(&ps, f.bytes);
        while ((rc = ol_pb_next(&ps, &f)) == OL_OK) {
            if (f.number == 1 && f.wire_type == OL_PB_VARINT) *rejected = (int64_t)f.u64;
            else if (f.number == 2 && f.wire_type == OL_PB_LEN) *message = f.bytes;
        }
        if (rc != OL_NOTFOUND) return OL_CORRUPT;
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

void ol_lg_status_message(ol_slice_t pb, char *out, size_t cap)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, pb);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 2 && f.wire_type == OL_PB_LEN) {
            snprintf(out, cap, "%.*s", (int)OL_MIN(f.bytes.len, cap - 1), (const char *)f.bytes.ptr);
            return;
        }
}

int ol_loadgen_client_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->status = -1;
    if (c->fd < 0) {
        ol_err_t err;
        if (ol_loadgen_client_connect(c, &err) != OL_OK) {
            ol_lg_copy(res->message, sizeof res->message, err.msg);
            return OL_ERR;
        }
    }
    if (c->gzip) {
        if (ol_lg_gzip(c, body) != OL_OK) {
            ol_lg_msg(res, "gzip failed (out of memory)");
            return OL_ERR;
        }
        body = ol_buf_slice(&c->zbuf);
    }
    res->wire_bytes = body.len;
    uint64_t t0 = ol_mono_ns();
    int rc = c->t.proto == OL_LOADGEN_GRPC ? ol_lg_grpc_export(c, body, res) : ol_lg_http_export(c, body, res);
    res->latency_ns = ol_mono_ns() - t0;
    if (rc != OL_OK) {
        ol_lg_close(c);
        res->answered = false;
        res->ok = false;
        res->status = -1;
        return OL_ERR;
    }
    res->answered = true;
    return OL_OK;
}
