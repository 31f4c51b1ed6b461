/*
 * verdict.c - detector names and the bounds-checked state codec (verdict.h).
 */
#include "analyze/verdict.h"

#include "core/util.h"

const char *ol_an_det_name(ol_an_det_t d)
{
    static const char *names[OL_AN_DET__COUNT] = {"none",    "robust", "cusum",    "bocpd",  "iforest",
                                                  "autoenc", "slo",    "forecast", "novelty", "binomial", "poisson"};
    return (unsigned)d < OL_AN_DET__COUNT ? names[d] : "none";
}

void ol_an_wr_u8(ol_buf_t *b, uint8_t v) { ol_buf_append_u8(b, v); }

void ol_an_wr_u32(ol_buf_t *b, uint32_t v)
{
    uint8_t t[4];
    ol_store_le32(t, v);
    ol_buf_append(b, t, 4);
}

void ol_an_wr_u64(ol_buf_t *b, uint64_t v)
{
    uint8_t t[8];
    ol_store_le64(t, v);
    ol_buf_append(b, t, 8);
}

void ol_an_wr_i64(ol_buf_t *b, int64_t v) { ol_an_wr_u64(b, (uint64_t)v); }

void ol_an_wr_f64(ol_buf_t *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    ol_an_wr_u64(b, u);
}

void ol_an_wr_f64s(ol_buf_t *b, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) ol_an_wr_f64(b, v[i]);
}

void ol_an_wr_f32s(ol_buf_t *b, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        ol_an_wr_u32(b, u);
    }
}

static const uint8_t *take(ol_an_rd_t *r, size_t n)
{
    if (r->rc != OL_OK || r->left < n) {
        r->rc = OL_CORRUPT;
        r->left = 0;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint8_t ol_an_rd_u8(ol_an_rd_t *r)
{
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

uint32_t ol_an_rd_u32(ol_an_rd_t *r)
{
    const uint8_t *p = take(r, 4);
    return p ? ol_load_le32(p) : 0;
}

uint64_t ol_an_rd_u64(ol_an_rd_t *r)
{
    const uint8_t *p = take(r, 8);
    return p ? ol_load_le64(p) : 0;
}

int64_t ol_an_rd_i64(ol_an_rd_t *r) { return (int64_t)ol_an_rd_u64(r); }

double ol_an_rd_f64(ol_an_rd_t *r)
{
    uint64_t u = ol_an_rd_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void ol_an_rd_f64s(ol_an_rd_t *r, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = ol_an_rd_f64(r);
}

void ol_an_rd_f32s(ol_an_rd_t *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = ol_an_rd_u32(r);
        memcpy(&v[i], &u, 4);
    }
}

uint32_t ol_an_rd_count(ol_an_rd_t *r, uint32_t max, size_t elem)
{
    uint32_t n = ol_an_rd_u32(r);
    if (r->rc != OL_OK) return 0;
    if (n > max || (elem && (size_t)n > r->left / elem)) {
        r->rc = OL_CORRUPT;
        r->left = 0;
        return 0;
    }
    return n;
}

void ol_an_wr_header(ol_buf_t *b, const char magic[4], uint32_t version)
{
    ol_buf_append(b, magic, 4);
    ol_an_wr_u32(b, version);
}

void ol_an_wr_seal(ol_buf_t *b, size_t start)
{
    if (b->err != OL_OK || start > b->len) return;
    ol_an_wr_u32(b, ol_crc32c(0, b->data + start, b->len - start));
}

ol_an_rd_t ol_an_rd_sealed(ol_slice_t blob, const char magic[4], uint32_t version)
{
    ol_an_rd_t r = ol_an_rd(blob);
    if (!blob.ptr || blob.len < 12 || ol_crc32c(0, blob.ptr, blob.len - 4) != ol_load_le32(blob.ptr + blob.len - 4)) {
        r.rc = OL_CORRUPT;
        r.left = 0;
        return r;
    }
    r.left -= 4;
    ol_an_rd_header(&r, magic, version);
    return r;
}

void ol_an_rd_header(ol_an_rd_t *r, const char magic[4], uint32_t version)
{
    const uint8_t *p = take(r, 4);
    if (!p) return;
    if (memcmp(p, magic, 4) != 0 || ol_an_rd_u32(r) != version) {
        r->rc = OL_CORRUPT;
        r->left = 0;
    }
}
