/*
 * fuzz_http1.c - the HTTP/1.1 head parser and chunked decoder.
 *
 * Byte 0 picks a split point; the rest is the input. Beyond "never crash",
 * it checks restartability: parsing a prefix may only say "need more" or give
 * the answer the whole input gives, and decoding a chunked body in two pieces
 * (in place) must give exactly what decoding it in one piece does.
 */
#include <stdlib.h>

#include "net/http1.h"

static void ol_fz_check_slice(ol_slice_t s, const uint8_t *buf, size_t len)
{
    if (s.len && (s.ptr < buf || s.ptr + s.len > buf + len)) abort();
}

static void ol_fz_head(const uint8_t *buf, size_t size, size_t cut)
{
    ol_http_header_t hdrs[16], hdrs2[16];
    ol_http1_head_t h, h2;
    int rc = ol_http1_parse_head(buf, size, 4096, hdrs, 16, &h);
    if (rc == OL_OK) {
        if (h.head_len > size || h.n_headers > 16 || (h.minor_version != 0 && h.minor_version != 1)) abort();
        ol_fz_check_slice(h.method, buf, size);
        ol_fz_check_slice(h.target, buf, size);
        ol_fz_check_slice(h.path, buf, size);
        ol_fz_check_slice(h.query, buf, size);
        if (h.path.len > h.target.len || h.method.len == 0 || h.target.len == 0) abort();
        for (size_t i = 0; i < h.n_headers; i++) {
            ol_fz_check_slice(hdrs[i].name, buf, h.head_len);
            ol_fz_check_slice(hdrs[i].value, buf, h.head_len);
            if (hdrs[i].name.len == 0) abort();
        }
    }
    int rc2 = ol_http1_parse_head(buf, cut, 4096, hdrs2, 16, &h2);
    if (rc2 == OL_OK && (rc != OL_OK || h2.head_len != h.head_len || h2.n_headers != h.n_headers)) abort();
    if (rc2 == OL_CORRUPT && rc != OL_CORRUPT) abort();
}

static void ol_fz_chunked(const uint8_t *data, size_t size, size_t cut)
{
    uint8_t *whole = malloc(size ? size : 1);
    uint8_t *split = malloc(size ? size : 1);
    if (!whole || !split) abort();
    ol_http1_chunked_t d;
    size_t used, produced;
    ol_http1_chunked_init(&d, 4096);
    int rc = ol_http1_chunked_decode(&d, data, size, &used, whole, &produced);
    if (used > size || produced > used) abort();

    memcpy(split, data, size);
    ol_http1_chunked_t d2;
    ol_http1_chunked_init(&d2, 4096);
    size_t used1, prod1, used2 = 0, prod2 = 0;
    int rc2 = ol_http1_chunked_decode(&d2, split, cut, &used1, split, &prod1);
    if (used1 > cut || prod1 > used1) abort();
    if (rc2 == OL_AGAIN) {
        if (used1 != cut) abort();
        rc2 = ol_http1_chunked_decode(&d2, split + cut, size - cut, &used2, split + prod1, &prod2);
        if (used2 > size - cut || prod2 > used2) abort();
    }
    if (rc != rc2) abort();
    if (rc == OL_OK || rc == OL_AGAIN) {
        if (produced != prod1 + prod2 || used != used1 + used2) abort();
        if (produced && memcmp(whole, split, produced) != 0) abort();
        if (d.total > 4096) abort();
    }
    free(whole);
    free(split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t n = size - 1;
    size_t cut = n * data[0] / 255;
    uint8_t *buf = malloc(n ? n : 1); /* exact size so overreads are caught */
    if (!buf) abort();
    memcpy(buf, data + 1, n);
    ol_fz_head(buf, n, cut);
    ol_fz_chunked(buf, n, cut);
    free(buf);
    return 0;
}
