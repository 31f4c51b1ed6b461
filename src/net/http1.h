/*
 * http1.h - HTTP/1.1 request-head parser and chunked-body decoder.
 *
 * Both are pure functions over caller-owned bytes: no I/O, no allocation, so
 * the connection loop in server.c drives them and the fuzzer can too.
 *
 * The head parser is zero-copy and restartable in the picohttpparser sense:
 * it is called with everything received so far (from the first byte of the
 * request) and either parses a complete head, returns OL_AGAIN ("need more
 * bytes", nothing is kept between calls), OL_CORRUPT (malformed: answer 400)
 * or OL_LIMIT (head longer than max_head or more than max_headers fields:
 * answer 431). All slices in the result point into the caller's buffer.
 * A prefix that is already malformed is reported as OL_CORRUPT without
 * waiting for the rest of the head.
 *
 * The chunked decoder keeps a small state between calls, consumes any split
 * of the input and writes the body bytes to an output that may alias the
 * input (out <= in, as when decoding in place). Chunk sizes are strict hex
 * with overflow checks; extensions are skipped; trailer fields are skipped
 * (bounded by max_trailer bytes).
 */
#ifndef OL_NET_HTTP1_H
#define OL_NET_HTTP1_H

#include "core/common.h"
#include "net/server.h"

typedef struct ol_http1_head {
    ol_slice_t method;
    ol_slice_t target;
    ol_slice_t path;
    ol_slice_t query;
    int minor_version;          /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    size_t n_headers;
    size_t head_len;            /* bytes of the head including the blank line */
} ol_http1_head_t;

/* Parses the request head at buf[0..len). Header fields go to hdrs[0..max_headers);
 * names as sent, values with surrounding whitespace removed. Leading empty
 * lines are skipped. Returns OL_OK, OL_AGAIN, OL_CORRUPT or OL_LIMIT. */
int ol_http1_parse_head(const uint8_t *buf, size_t len, size_t max_head, ol_http_header_t *hdrs,
                        size_t max_headers, ol_http1_head_t *out);

typedef struct ol_http1_chunked {
    int state;
    uint64_t remaining;     /* bytes left in the current chunk (data state) */
    uint64_t size;          /* chunk size being parsed */
    uint64_t total;         /* sum of declared chunk sizes so far */
    uint64_t limit;         /* max total body bytes; 0 = unlimited */
    size_t line_len;        /* bytes of the current size/trailer line */
    size_t trailer_bytes;
    size_t max_trailer;     /* default 16 KiB when 0 */
    int digits;
    bool in_ext;            /* past the ';' of a chunk extension */
} ol_http1_chunked_t;

void ol_http1_chunked_init(ol_http1_chunked_t *d, uint64_t limit);

/* Decodes in[0..in_len). Body bytes are written to out (out may equal in or
 * lie before it: memmove semantics); out must have room for in_len bytes.
 * *in_used = input bytes consumed, *out_len = body bytes produced.
 * Returns OL_OK when the last chunk and trailers have been consumed (input
 * after that is not consumed), OL_AGAIN when all input was consumed and more
 * is needed, OL_CORRUPT on bad framing, OL_LIMIT when the declared sizes
 * exceed d->limit. After OL_CORRUPT/OL_LIMIT the decoder must not be reused. */
int ol_http1_chunked_decode(ol_http1_chunked_t *d, const uint8_t *in, size_t in_len, size_t *in_used,
                            uint8_t *out, size_t *out_len);

/* True when the comma-separated header value contains token (case-insensitive). */
bool ol_http1_has_token(ol_slice_t value, const char *token);

#endif
