/*
 * compress.h - request body decompression with a hard output limit.
 *
 * The limit applies to the decompressed size, so a small compression bomb is
 * refused (OL_LIMIT) after producing at most `limit` bytes; truncated or
 * damaged input is OL_CORRUPT. Used for HTTP Content-Encoding and gRPC
 * message compression.
 */
#ifndef OL_CODEC_COMPRESS_H
#define OL_CODEC_COMPRESS_H

#include "core/buf.h"
#include "core/common.h"

typedef enum {
    OL_ENC_IDENTITY = 0,
    OL_ENC_GZIP,
    OL_ENC_DEFLATE, /* zlib-wrapped as HTTP specifies; raw deflate accepted too */
    OL_ENC_ZSTD,
    OL_ENC_UNKNOWN
} ol_encoding_t;

/* Parses a Content-Encoding / grpc-encoding value (case-insensitive, trimmed;
 * empty = identity). */
ol_encoding_t ol_encoding_parse(ol_slice_t value);
const char *ol_encoding_name(ol_encoding_t e);

/* Decompresses `in` into out (appending). OL_OK, OL_LIMIT, OL_CORRUPT, OL_NOMEM. */
int ol_decompress(ol_encoding_t enc, ol_slice_t in, size_t limit, ol_buf_t *out, ol_err_t *err);
/* Compresses (for tests and responses). OL_OK or OL_NOMEM. */
int ol_compress(ol_encoding_t enc, ol_slice_t in, ol_buf_t *out);

#endif
