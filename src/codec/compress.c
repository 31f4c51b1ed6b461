/*
 * compress.c - gzip/deflate through zlib, zstd through libzstd, both
 * streamed into a buffer in bounded steps so that the output limit is checked
 * before memory is committed.
 */
#include "codec/compress.h"

#include <zlib.h>
#include <zstd.h>

ol_encoding_t ol_encoding_parse(ol_slice_t v)
{
    v = ol_slice_trim(v);
    if (v.len == 0 || ol_slice_eq_nocase_cstr(v, "identity")) return OL_ENC_IDENTITY;
    if (ol_slice_eq_nocase_cstr(v, "gzip") || ol_slice_eq_nocase_cstr(v, "x-gzip")) return OL_ENC_GZIP;
    if (ol_slice_eq_nocase_cstr(v, "deflate")) return OL_ENC_DEFLATE;
    if (ol_slice_eq_nocase_cstr(v, "zstd")) return OL_ENC_ZSTD;
    return OL_ENC_UNKNOWN;
}

const char *ol_encoding_name(ol_encoding_t e)
{
    static const char *names[] = {"identity", "gzip", "deflate", "zstd", "unknown"};
    return (unsigned)e <= OL_ENC_UNKNOWN ? names[e] : "unknown";
}

#define OL_INFLATE_STEP (64 * 1024)

static int ol_inflate(ol_slice_t in, int window_bits, size_t limit, ol_buf_t *out, ol_err_t *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, window_bits) != Z_OK) return OL_NOMEM;
    size_t start = out->len;
    z.next_in = (Bytef *)in.ptr;
    z.avail_in = (uInt)OL_MIN(in.len, (size_t)UINT32_MAX);
    size_t in_left = in.len - z.avail_in;
    int rc = OL_OK;
    for (;;) {
        size_t room = limit - (out->len - start);
        size_t step = OL_MIN((size_t)OL_INFLATE_STEP, room + 1); /* one byte past the limit detects overflow */
        if (ol_buf_reserve(out, step) != OL_OK) { rc = out->err == OL_LIMIT ? OL_LIMIT : OL_NOMEM; break; }
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)step;
        int zr = inflate(&z, Z_NO_FLUSH);
        out->len += step - z.avail_out;
        if (out->len - start > limit) {
            ol_err_set(err, "decompressed body exceeds the limit of %zu bytes", limit);
            rc = OL_LIMIT;
            break;
        }
        if (zr == Z_STREAM_END) {
            /* Concatenated gzip members are allowed (RFC 1952). */
            if (z.avail_in > 0 && window_bits == 15 + 16) {
                if (inflateReset(&z) != Z_OK) { rc = OL_CORRUPT; break; }
                continue;
            }
            if (z.avail_in > 0 || in_left > 0) {
                ol_err_set(err, "trailing bytes after the compressed stream");
                rc = OL_CORRUPT;
            }
            break;
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            ol_err_set(err, "compressed body is truncated");
            rc = OL_CORRUPT;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            ol_err_set(err, "invalid compressed data: %s", z.msg ? z.msg : "unknown error");
            rc = zr == Z_MEM_ERROR ? OL_NOMEM : OL_CORRUPT;
            break;
        }
        if (z.avail_in == 0 && in_left > 0) {
            size_t n = OL_MIN(in_left, (size_t)UINT32_MAX);
            z.avail_in = (uInt)n;
            in_left -= n;
        }
    }
    inflateEnd(&z);
    if (rc != OL_OK) out->len = start;
    return rc;
}

static int ol_unzstd(ol_slice_t in, size_t limit, ol_buf_t *out, ol_err_t *err)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d) return OL_NOMEM;
    size_t start = out->len;
    ZSTD_inBuffer ib = {in.ptr, in.len, 0};
    int rc = OL_OK;
    size_t last = 1;
    while (ib.pos < ib.size || last != 0) {
        size_t room = limit - (out->len - start);
        size_t step = OL_MIN((size_t)OL_INFLATE_STEP, room + 1);
        if (ol_buf_reserve(out, step) != OL_OK) { rc = out->err == OL_LIMIT ? OL_LIMIT : OL_NOMEM; break; }
        ZSTD_outBuffer ob = {out->data + out->len, step, 0};
        size_t before_in = ib.pos;
        last = ZSTD_decompressStream(d, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(last)) {
            ol_err_set(err, "invalid zstd data: %s", ZSTD_getErrorName(last));
            rc = OL_CORRUPT;
            break;
        }
        if (out->len - start > limit) {
            ol_err_set(err, "decompressed body exceeds the limit of %zu bytes", limit);
            rc = OL_LIMIT;
            break;
        }
        if (ib.pos == ib.size && ob.pos == 0 && ib.pos == before_in && last != 0) {
            ol_err_set(err, "compressed body is truncated");
            rc = OL_CORRUPT;
            break;
        }
    }
    ZSTD_freeDCtx(d);
    if (rc != OL_OK) out->len = start;
    return rc;
}

int ol_decompress(ol_encoding_t enc, ol_slice_t in, size_t limit, ol_buf_t *out, ol_err_t *err)
{
    switch (enc) {
    case OL_ENC_IDENTITY:
        if (in.len > limit) {
            ol_err_set(err, "body exceeds the limit of %zu bytes", limit);
            return OL_LIMIT;
        }
        ol_buf_append_slice(out, in);
        return out->err ? out->err : OL_OK;
    case OL_ENC_GZIP:
        return ol_inflate(in, 15 + 16, limit, out, err);
    case OL_ENC_DEFLATE:
        /* zlib header: CMF/FLG with (CMF*256+FLG) % 31 == 0 and method 8. */
        if (in.len >= 2 && (in.ptr[0] & 0x0f) == 8 && ((in.ptr[0] << 8) | in.ptr[1]) % 31 == 0)
            return ol_inflate(in, 15, limit, out, err);
        return ol_inflate(in, -15, limit, out, err);
    case OL_ENC_ZSTD:
        return ol_unzstd(in, limit, out, err);
    default:
        ol_err_set(err, "unsupported encoding");
        return OL_CORRUPT;
    }
}

int ol_compress(ol_encoding_t enc, ol_slice_t in, ol_buf_t *out)
{
    if (enc == OL_ENC_IDENTITY) {
        ol_buf_append_slice(out, in);
        return out->err ? out->err : OL_OK;
    }
    if (enc == OL_ENC_ZSTD) {
        size_t bound = ZSTD_compressBound(in.len);
        if (ol_buf_reserve(out, bound) != OL_OK) return OL_NOMEM;
        size_t n = ZSTD_compress(out->data + out->len, bound, in.ptr, in.len, 3);
        if (ZSTD_isError(n)) return OL_ERR;
        out->len += n;
        return OL_OK;
    }
    if (enc != OL_ENC_GZIP && enc != OL_ENC_DEFLATE) return OL_ERR;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, enc == OL_ENC_GZIP ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return OL_NOMEM;
    size_t bound = deflateBound(&z, (uLong)in.len) + 32;
    if (ol_buf_reserve(out, bound) != OL_OK) {
        deflateEnd(&z);
        return OL_NOMEM;
    }
    z.next_in = (Bytef *)in.ptr;
    z.avail_in = (uInt)in.len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    int zr = deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
    return zr == Z_STREAM_END ? OL_OK : OL_ERR;
}
