/*
 * test_net_http1.c - the HTTP/1.1 head parser and chunked decoder: valid and
 * malformed heads, limits, and every split of the input at a byte boundary
 * (each piece in its own exact-size allocation so overreads are caught under
 * ASan).
 */
#include <stdlib.h>

#include "net/http1.h"
#include "test.h"

#define MAXH 32

static int parse(const char *s, size_t len, size_t max_head, size_t max_headers, ol_http1_head_t *h,
                 ol_http_header_t *hdrs)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    int rc = ol_http1_parse_head(copy, len, max_head, hdrs, max_headers, h);
    free(copy);
    return rc;
}

static void test_parse_basic(void)
{
    static const char req[] = "POST /v1/traces?x=1&y HTTP/1.1\r\n"
                              "Host: localhost:4318\r\n"
                              "Content-Type:application/x-protobuf\r\n"
                              "X-Spaces: \t a b \t\r\n"
                              "Empty:\r\n"
                              "\r\n"
                              "BODY";
    ol_http_header_t hdrs[MAXH];
    ol_http1_head_t h;
    CHECK_EQ_INT(ol_http1_parse_head((const uint8_t *)req, sizeof req - 1, 65536, hdrs, MAXH, &h), OL_OK);
    CHECK(ol_slice_eq_cstr(h.method, "POST"));
    CHECK(ol_slice_eq_cstr(h.target, "/v1/traces?x=1&y"));
    CHECK(ol_slice_eq_cstr(h.path, "/v1/traces"));
    CHECK(ol_slice_eq_cstr(h.query, "x=1&y"));
    CHECK_EQ_INT(h.minor_version, 1);
    CHECK_EQ_INT(h.n_headers, 4);
    CHECK_EQ_INT(h.head_len, sizeof req - 1 - 4);
    CHECK(ol_slice_eq_cstr(hdrs[0].name, "Host"));
    CHECK(ol_slice_eq_cstr(hdrs[0].value, "localhost:4318"));
    CHECK(ol_slice_eq_cstr(hdrs[1].value, "application/x-protobuf"));
    CHECK(ol_slice_eq_cstr(hdrs[2].value, "a b"));
    CHECK_EQ_INT(hdrs[3].value.len, 0);
    CHECK(ol_slice_eq_cstr(ol_http_header_get(hdrs, h.n_headers, "content-TYPE"), "application/x-protobuf"));
    CHECK(ol_http_header_get(hdrs, h.n_headers, "missing").ptr == NULL);

    static const char req2[] = "\r\n\nGET / HTTP/1.0\nA: b\n\n";
    CHECK_EQ_INT(ol_http1_parse_head((const uint8_t *)req2, sizeof req2 - 1, 65536, hdrs, MAXH, &h), OL_OK);
    CHECK(ol_slice_eq_cstr(h.method, "GET"));
    CHECK_EQ_INT(h.minor_version, 0);
    CHECK_EQ_INT(h.query.len, 0);
    CHECK_EQ_INT(h.head_len, sizeof req2 - 1);
    CHECK_EQ_INT(h.n_headers, 1);
}

static void test_parse_every_split(void)
{
    static const char *reqs[] = {
        "POST /v1/logs HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
        "GET /api/v1/traces?service=x HTTP/1.0\r\n\r\n",
        "\r\nPUT / HTTP/1.1\nX: y\n\n",
    };
    for (size_t r = 0; r < OL_ARRAY_LEN(reqs); r++) {
        size_t len = strlen(reqs[r]);
        ol_http_header_t hdrs[MAXH];
        ol_http1_head_t h;
        for (size_t i = 0; i < len; i++) {
            int rc = parse(reqs[r], i, 65536, MAXH, &h, hdrs);
            if (rc != OL_AGAIN) fprintf(stderr, "  request %zu split at %zu: rc %d\n", r, i, rc);
            CHECK_EQ_INT(rc, OL_AGAIN);
        }
        CHECK_EQ_INT(parse(reqs[r], len, 65536, MAXH, &h, hdrs), OL_OK);
        CHECK_EQ_INT(h.head_len, len);
    }
}

static void test_parse_malformed(void)
{
    static const char *bad[] = {
        "GET  / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.2\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET /\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET /a\tb HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\rX\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\n: x\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n\rx",
        "GET / XTTP",           /* prefix already wrong */
        "\x16\x03\x01\x02\x00", /* a TLS ClientHello on a cleartext port */
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        ol_http_header_t hdrs[MAXH];
        ol_http1_head_t h;
        int rc = parse(bad[i], strlen(bad[i]), 65536, MAXH, &h, hdrs);
        if (rc != OL_CORRUPT) fprintf(stderr, "  case %zu: rc %d\n", i, rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
    /* NUL inside a value */
    static const char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
    ol_http_header_t hdrs[MAXH];
    ol_http1_head_t h;
    CHECK_EQ_INT(parse(nul, sizeof nul - 1, 65536, MAXH, &h, hdrs), OL_CORRUPT);
}

static void test_parse_limits(void)
{
    ol_http_header_t hdrs[4];
    ol_http1_head_t h;
    static const char req[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    size_t len = sizeof req - 1;
    CHECK_EQ_INT(parse(req, len, len, 4, &h, hdrs), OL_OK);
    CHECK_EQ_INT(parse(req, len, len - 1, 4, &h, hdrs), OL_LIMIT);
    CHECK_EQ_INT(parse(req, len - 1, len - 1, 4, &h, hdrs), OL_LIMIT);  /* incomplete and already at the limit */
    CHECK_EQ_INT(parse(req, len - 1, len, 4, &h, hdrs), OL_AGAIN);
    CHECK_EQ_INT(parse(req, len, 65536, 3, &h, hdrs), OL_OK);
    CHECK_EQ_INT(parse(req, len, 65536, 2, &h, hdrs), OL_LIMIT);
}

static void test_has_token(void)
{
    CHECK(ol_http1_has_token(ol_slice_cstr("close"), "close"));
    CHECK(ol_http1_has_token(ol_slice_cstr("keep-alive, Close"), "close"));
    CHECK(ol_http1_has_token(ol_slice_cstr(" TE ,close "), "close"));
    CHECK(!ol_http1_has_token(ol_slice_cstr("closed"), "close"));
    CHECK(!ol_http1_has_token(ol_slice_cstr(""), "close"));
}

/* Decodes s in pieces cut at the given positions (sorted, < len); each piece
 * is its own allocation. Returns the final rc; body/consumed go out. */
static int chunked_pieces(const char *s, size_t len, const size_t *cuts, size_t n_cuts, uint64_t limit, char *body,
                          size_t *body_len, size_t *consumed)
{
    ol_http1_chunked_t d;
    ol_http1_chunked_init(&d, limit);
    size_t start = 0, out = 0, total_used = 0;
    int rc = OL_AGAIN;
    for (size_t k = 0; k <= n_cuts && rc == OL_AGAIN; k++) {
        size_t end = k < n_cuts ? cuts[k] : len;
        size_t n = end - start;
        uint8_t *piece = malloc(n ? n : 1);
        memcpy(piece, s + start, n);
        size_t used, produced;
        rc = ol_http1_chunked_decode(&d, piece, n, &used, piece, &produced);
        memcpy(body + out, piece, produced);
        out += produced;
        total_used += used;
        if (rc == OL_AGAIN && used != n) rc = -999;
        free(piece);
        start = end;
    }
    *body_len = out;
    *consumed = total_used;
    return rc;
}

static void test_chunked_basic(void)
{
    static const char enc[] = "4\r\nWiki\r\n5;name=val;x\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\n\r\nNEXT";
    char body[128];
    size_t bl, used;
    CHECK_EQ_INT(chunked_pieces(enc, sizeof enc - 1, NULL, 0, 0, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(bl, 23);
    CHECK(memcmp(body, "Wikipedia in\r\n\r\nchunks.", 23) == 0);
    CHECK_EQ_INT(used, sizeof enc - 1 - 4);

    static const char tr[] = "a\r\n0123456789\r\n0\r\nX-Trailer: v\r\nY: z\r\n\r\n";
    CHECK_EQ_INT(chunked_pieces(tr, sizeof tr - 1, NULL, 0, 0, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(bl, 10);
    CHECK_EQ_INT(used, sizeof tr - 1);

    static const char up[] = "1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n";
    CHECK_EQ_INT(chunked_pieces(up, sizeof up - 1, NULL, 0, 0, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(bl, 31);

    static const char empty[] = "0\r\n\r\n";
    CHECK_EQ_INT(chunked_pieces(empty, sizeof empty - 1, NULL, 0, 0, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(bl, 0);
}

static void test_chunked_every_split(void)
{
    static const char enc[] = "4\r\nWiki\r\n5;e=1\r\npedia\r\n3 \r\nabc\r\n0\r\nT: v\r\n\r\n";
    size_t len = sizeof enc - 1;
    char body[64];
    size_t bl, used;
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j += 3) {
            size_t cuts[2] = {i, j};
            int rc = chunked_pieces(enc, len, cuts, 2, 0, body, &bl, &used);
            if (rc != OL_OK || bl != 12) fprintf(stderr, "  split %zu,%zu: rc %d len %zu\n", i, j, rc, bl);
            CHECK_EQ_INT(rc, OL_OK);
            CHECK_EQ_INT(bl, 12);
            CHECK_EQ_INT(used, len);
            CHECK(memcmp(body, "Wikipediaabc", 12) == 0);
        }
    }
    /* byte by byte */
    size_t cuts[sizeof enc];
    for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
    CHECK_EQ_INT(chunked_pieces(enc, len, cuts, len - 1, 0, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(bl, 12);
}

static void test_chunked_bad(void)
{
    static const char *bad[] = {
        "x\r\n",
        "\r\n",
        "4\r\nWikiX\r\n",
        "4\r\nWiki\n0\r\n\r\n",
        "4\nWiki\r\n0\r\n\r\n",
        "4x\r\nWiki\r\n",
        "4 x\r\nWiki\r\n",
        "-4\r\nWiki\r\n",
        "0x4\r\nWiki\r\n",
        "10000000000000000\r\n",  /* 2^64: overflow */
        "4\r\nWiki\r\n0\r\nbad trailer\r\n\r\n",
        "4\r\nWiki\r\n0\r\n\rX",
        "4;a\x01\r\nWiki\r\n",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(bad); i++) {
        char body[64];
        size_t bl, used;
        int rc = chunked_pieces(bad[i], strlen(bad[i]), NULL, 0, 0, body, &bl, &used);
        if (rc != OL_CORRUPT) fprintf(stderr, "  case %zu: rc %d\n", i, rc);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
    /* Largest representable size is fine as far as framing goes (limit 0). */
    ol_http1_chunked_t d;
    ol_http1_chunked_init(&d, 0);
    size_t used, produced;
    uint8_t big[] = "FFFFFFFFFFFFFFFF\r\nab";
    CHECK_EQ_INT(ol_http1_chunked_decode(&d, big, sizeof big - 1, &used, big, &produced), OL_AGAIN);
    CHECK_EQ_INT(produced, 2);
    /* A decoder that failed stays failed. */
    ol_http1_chunked_init(&d, 0);
    uint8_t x[] = "zz";
    CHECK_EQ_INT(ol_http1_chunked_decode(&d, x, 2, &used, x, &produced), OL_CORRUPT);
    uint8_t ok[] = "0\r\n\r\n";
    CHECK_EQ_INT(ol_http1_chunked_decode(&d, ok, 5, &used, ok, &produced), OL_CORRUPT);
}

static void test_chunked_limit(void)
{
    char body[64];
    size_t bl, used;
    static const char two[] = "4\r\nWiki\r\n2\r\nab\r\n0\r\n\r\n";
    CHECK_EQ_INT(chunked_pieces(two, sizeof two - 1, NULL, 0, 6, body, &bl, &used), OL_OK);
    CHECK_EQ_INT(chunked_pieces(two, sizeof two - 1, NULL, 0, 5, body, &bl, &used), OL_LIMIT);
    static const char huge[] = "FFFFFFFF\r\n";
    CHECK_EQ_INT(chunked_pieces(huge, sizeof huge - 1, NULL, 0, 1000, body, &bl, &used), OL_LIMIT);
    /* Trailer section bounded. */
    ol_http1_chunked_t d;
    ol_http1_chunked_init(&d, 0);
    d.max_trailer = 8;
    uint8_t t[] = "0\r\nLong-Trailer: value\r\n\r\n";
    size_t produced;
    CHECK_EQ_INT(ol_http1_chunked_decode(&d, t, sizeof t - 1, &used, t, &produced), OL_CORRUPT);
}

int main(void)
{
    RUN(test_parse_basic);
    RUN(test_parse_every_split);
    RUN(test_parse_malformed);
    RUN(test_parse_limits);
    RUN(test_has_token);
    RUN(test_chunked_basic);
    RUN(test_chunked_every_split);
    RUN(test_chunked_bad);
    RUN(test_chunked_limit);
    return TEST_REPORT();
}
