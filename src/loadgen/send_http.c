/*
 * send_http.c - OTLP/HTTP export: POST <path> with a protobuf body over a
 * keep-alive HTTP/1.1 connection.
 *
 * The request head and body go out in one writev. The response is read into
 * c->rbuf: head first (bounded), then a Content-Length or chunked body (the
 * chunked decoder from net/http1.h, decoding in place) or, without either,
 * everything until the server closes. A 2xx body is an
 * ExportTraceServiceResponse (partial_success gives the rejected spans);
 * other bodies are a google.rpc.Status whose message goes into the report.
 * "Connection: close" or HTTP/1.0 closes the socket after the answer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "codec/compress.h"
#include "core/util.h"
#include "loadgen/send_int.h"
#include "net/http1.h"

#define OL_LG_MAX_HEAD 65536

typedef struct ol_lg_http_head {
    int status;
    bool close;
    bool chunked;
    bool has_length;
    uint64_t length;
    uint32_t retry_after_ms;
    ol_encoding_t encoding;
    bool protobuf;
} ol_lg_http_head_t;

static const uint8_t *ol_lg_find_crlf2(const uint8_t *p, size_t n)
{
    for (size_t i = 3; i < n; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r') return p + i + 1;
    return NULL;
}

/* Status line and the headers the client cares about. OL_OK or OL_CORRUPT. */
static int ol_lg_parse_head(ol_slice_t head, ol_lg_http_head_t *h)
{
    memset(h, 0, sizeof *h);
    const uint8_t *p = head.ptr, *end = head.ptr + head.len;
    if (head.len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') return OL_CORRUPT;
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9') return OL_CORRUPT;
    h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    h->close = p[7] == '0';
    const uint8_t *line = memchr(p, '\n', (size_t)(end - p));
    if (!line) return OL_CORRUPT;
    line++;
    while (line < end) {
        const uint8_t *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) return OL_CORRUPT;
        ol_slice_t l = ol_slice_trim(ol_slice(line, (size_t)(eol - line)));
        line = eol + 1;
        if (l.len == 0) break;
        const uint8_t *colon = memchr(l.ptr, ':', l.len);
        if (!colon) return OL_CORRUPT;
        ol_slice_t name = ol_slice(l.ptr, (size_t)(colon - l.ptr));
        ol_slice_t value = ol_slice_trim(ol_slice(colon + 1, l.len - (size_t)(colon + 1 - l.ptr)));
        if (ol_slice_eq_nocase_cstr(name, "content-length")) {
            if (ol_parse_u64(value, &h->length) != OL_OK) return OL_CORRUPT;
            h->has_length = true;
        } else if (ol_slice_eq_nocase_cstr(name, "transfer-encoding")) {
            h->chunked = ol_http1_has_token(value, "chunked");
        } else if (ol_slice_eq_nocase_cstr(name, "connection")) {
            if (ol_http1_has_token(value, "close")) h->close = true;
        } else if (ol_slice_eq_nocase_cstr(name, "content-encoding")) {
            h->encoding = ol_encoding_parse(value);
        } else if (ol_slice_eq_nocase_cstr(name, "content-type")) {
            h->protobuf = ol_slice_contains_nocase(value, OL_SLICE_LIT("protobuf"));
        } else if (ol_slice_eq_nocase_cstr(name, "retry-after")) {
            uint64_t s;
            if (ol_parse_u64(value, &s) == OL_OK) h->retry_after_ms = (uint32_t)OL_MIN(s, 3600u) * 1000;
        }
    }
    return OL_OK;
}

/* Reads the body after a head of head_len bytes; on OL_OK the body is rbuf[head_len, head_len + *body_len). */
static int ol_lg_read_body(ol_loadgen_client_t *c, const ol_lg_http_head_t *h, size_t head_len, size_t *body_len,
                           ol_loadgen_result_t *res)
{
    ol_buf_t *b = &c->rbuf;
    if ((h->status >= 100 && h->status < 200) || h->status == 204 || h->status == 304) {
        *body_len = 0;
        return OL_OK;
    }
    if (h->chunked) {
        ol_http1_chunked_t d;
        ol_http1_chunked_init(&d, OL_LG_MAX_RESPONSE);
        size_t in = head_len, out = head_len;
        for (;;) {
            size_t used = 0, made = 0;
            int rc = ol_http1_chunked_decode(&d, b->data + in, b->len - in, &used, b->data + out, &made);
            in += used;
            out += made;
            if (rc == OL_OK) break;
            if (rc != OL_AGAIN) {
                ol_lg_msg(res, "bad chunked answer from %s", c->t.authority);
                return OL_ERR;
            }
            if (ol_lg_read_some(c, b, res) != OL_OK) return OL_ERR;
        }
        *body_len = out - head_len;
        return OL_OK;
    }
    if (h->has_length) {
        if (h->length > OL_LG_MAX_RESPONSE) {
            ol_lg_msg(res, "answer from %s declares %llu bytes", c->t.authority,
                     (unsigned long long)h->length);
            return OL_ERR;
        }
        while (b->len - head_len < h->length)
            if (ol_lg_read_some(c, b, res) != OL_OK) return OL_ERR;
        *body_len = (size_t)h->length;
        return OL_OK;
    }
    /* No framing: the body runs until the server closes. */
    ol_loadgen_result_t scratch;
    while (ol_lg_read_some(c, b, &scratch) == OL_OK) {
    }
    if (b->err) {
        ol_lg_msg(res, "%s", scratch.message);
        return OL_ERR;
    }
    *body_len = b->len - head_len;
    return OL_OK;
}

int ol_lg_http_export(ol_loadgen_client_t *c, ol_slice_t body, ol_loadgen_result_t *res)
{
    char head[1024];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: olly-loadgen/" OL_VERSION
                      "\r\nContent-Type: application/x-protobuf\r\n%sContent-Length: %zu\r\n\r\n",
                      c->t.path, c->t.authority, c->gzip ? "Content-Encoding: gzip\r\n" : "", body.len);
    if (hl < 0 || (size_t)hl >= sizeof head) {
        ol_lg_msg(res, "request head too long");
        return OL_ERR;
    }
    struct iovec iov[2] = {{head, (size_t)hl}, {(void *)body.ptr, body.len}};
    if (ol_lg_write_all(c, iov, body.len ? 2 : 1, res) != OL_OK) return OL_ERR;

    ol_buf_t *b = &c->rbuf;
    ol_buf_reset(b);
    const uint8_t *head_end;
    while (!(head_end = ol_lg_find_crlf2(b->data, b->len))) {
        if (b->len > OL_LG_MAX_HEAD) {
            ol_lg_msg(res, "answer head from %s is over %d bytes", c->t.authority,
                     OL_LG_MAX_HEAD);
            return OL_ERR;
        }
        if (ol_lg_read_some(c, b, res) != OL_OK) return OL_ERR;
    }
    size_t head_len = (size_t)(head_end - b->data), body_len = 0;
    ol_lg_http_head_t h;
    if (ol_lg_parse_head(ol_slice(b->data, head_len), &h) != OL_OK) {
        ol_lg_msg(res, "malformed answer head from %s", c->t.authority);
        return OL_ERR;
    }
    if (ol_lg_read_body(c, &h, head_len, &body_len, res) != OL_OK) return OL_ERR;
    ol_slice_t rb = ol_slice(b->data + head_len, body_len);

    res->status = h.status;
    res->ok = h.status >= 200 && h.status < 300;
    res->backoff = h.status == 429 || h.status == 503;
    res->retry_after_ms = h.retry_after_ms;
    ol_buf_t plain;
    ol_buf_init(&plain, OL_MEM_NET, 0);
    if (h.encoding != OL_ENC_IDENTITY && rb.len) {
        ol_err_t err;
        if (h.encoding == OL_ENC_UNKNOWN || ol_decompress(h.encoding, rb, OL_LG_MAX_RESPONSE, &plain, &err) != OL_OK) {
            ol_lg_msg(res, "cannot decode the %s answer body from %s",
                     h.encoding == OL_ENC_UNKNOWN ? "unknown-encoding" : ol_encoding_name(h.encoding), c->t.authority);
            ol_buf_free(&plain);
            return OL_ERR;
        }
        rb = ol_buf_slice(&plain);
    }
    if (res->ok) {
        ol_slice_t msg;
        if (ol_loadgen_parse_export_response(rb, &res->rejected, &msg) != OL_OK) {
            ol_lg_msg(res, "HTTP %d with an unreadable ExportTraceServiceResponse",
                     h.status);
            res->ok = false;
        } else if (msg.len) {
            ol_lg_msg(res, "%.*s", (int)OL_MIN(msg.len, 190u), (const char *)msg.ptr);
        }
    } else if (h.protobuf) {
        ol_lg_status_message(rb, res->message, sizeof res->message);
    } else {
        ol_lg_msg(res, "%.*s", (int)OL_MIN(rb.len, 120u), (const char *)rb.ptr);
    }
    ol_buf_free(&plain);
    if (h.close || (!h.chunked && !h.has_length && body_len)) ol_lg_close(c);
    return OL_OK;
}
