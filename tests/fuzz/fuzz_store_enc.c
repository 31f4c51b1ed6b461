/*
 * fuzz_store_enc.c - every column decoder of src/store/col/enc.c on arbitrary
 * bytes, and every encoder against its decoder.
 *
 * Input: byte 0 picks the target (mod 11), bytes 1-2 give n (12 bits) and a
 * width (the high 4 bits of byte 2, through a table), the rest is the stream.
 * Output arrays are heap blocks of exactly the size the contract promises,
 * so ASan catches any write or read beyond it. Whatever decodes must
 * re-encode and decode to the same values (bits: to the same bytes, since
 * padding must be zero), and `used` must lie inside the input. Target 10
 * treats the stream as values instead: each encoder's output must decode
 * back exactly, with `used` equal to the stream length.
 */
#include <stdlib.h>

#include "store/col/enc.h"

static const size_t g_widths[16] = {16, 8, 1, 2, 3, 4, 5, 12, 16, 20, 32, 0, 16, 8, 16, 7};

static void *fz_alloc(size_t n) { return malloc(n ? n : 1); }

static void fz_check(bool ok)
{
    if (!ok) abort();
}

static void fz_reencode_u64(int kind, const uint64_t *v, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    uint64_t *back = fz_alloc(n * sizeof *back);
    size_t used;
    ol_err_t err;
    if (kind == 0) {
        ol_enc_uvarints(&b, v, n);
        fz_check(ol_dec_uvarints(ol_buf_slice(&b), back, n, &used, &err) == OL_OK);
    } else {
        ol_enc_delta(&b, 42, v, n);
        fz_check(ol_dec_delta(ol_buf_slice(&b), 42, back, n, &used, &err) == OL_OK);
    }
    fz_check(used == b.len && (n == 0 || memcmp(back, v, n * sizeof *v) == 0));
    free(back);
    ol_buf_free(&b);
}

static void fz_decode(unsigned sel, ol_slice_t in, size_t n, size_t width)
{
    size_t used = SIZE_MAX;
    ol_err_t err;
    int rc = OL_OK;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    switch (sel) {
    case 0: {
        uint64_t *o = fz_alloc(n * sizeof *o);
        rc = ol_dec_uvarints(in, o, n, &used, &err);
        if (rc == OL_OK) fz_reencode_u64(0, o, n);
        free(o);
        break;
    }
    case 1: {
        uint64_t *o = fz_alloc(n * sizeof *o);
        rc = ol_dec_delta(in, 42, o, n, &used, &err);
        if (rc == OL_OK) fz_reencode_u64(1, o, n);
        free(o);
        break;
    }
    case 2: {
        int64_t *o = fz_alloc(n * sizeof *o), *back = fz_alloc(n * sizeof *back);
        rc = ol_dec_zigzag(in, o, n, &used, &err);
        if (rc == OL_OK) {
            size_t u2;
            ol_enc_zigzag(&b, o, n);
            fz_check(ol_dec_zigzag(ol_buf_slice(&b), back, n, &u2, &err) == OL_OK && u2 == b.len);
            fz_check(n == 0 || memcmp(o, back, n * sizeof *o) == 0);
        }
        free(o);
        free(back);
        break;
    }
    case 3: {
        uint8_t *o = fz_alloc(n);
        rc = ol_dec_u8(in, o, n, &used, &err);
        if (rc == OL_OK) fz_check(used == n && (n == 0 || memcmp(o, in.ptr, n) == 0));
        free(o);
        break;
    }
    case 4: {
        const uint8_t *p = NULL;
        rc = ol_dec_fixed(in, width, n, &p, &used, &err);
        if (rc == OL_OK) fz_check(used == n * width && p == in.ptr);
        break;
    }
    case 5: {
        uint8_t *o = fz_alloc(n * width), *back = fz_alloc(n * width);
        rc = ol_dec_runs(in, width, n, o, &used, &err);
        if (rc == OL_OK) {
            size_t u2;
            ol_enc_runs(&b, o, width, n);
            fz_check(ol_dec_runs(ol_buf_slice(&b), width, n, back, &u2, &err) == OL_OK && u2 == b.len);
            fz_check(n * width == 0 || memcmp(o, back, n * width) == 0);
        }
        free(o);
        free(back);
        break;
    }
    case 6: {
        bool *o = fz_alloc(n * sizeof *o);
        rc = ol_dec_bits(in, o, n, &used, &err);
        if (rc == OL_OK) {
            ol_enc_bits(&b, o, n);
            fz_check(b.len == used && (used == 0 || memcmp(b.data, in.ptr, used) == 0));
        }
        free(o);
        break;
    }
    case 7: {
        ol_slice_t *o = fz_alloc(n * sizeof *o);
        rc = ol_dec_bytes(in, o, n, &used, &err);
        if (rc == OL_OK) {
            size_t total = 0;
            for (size_t i = 0; i < n; i++) {
                fz_check(o[i].len <= in.len);
                fz_check(o[i].len == 0 || (o[i].ptr >= in.ptr && o[i].ptr + o[i].len <= in.ptr + used));
                total += o[i].len;
            }
            fz_check(total <= used);
        }
        free(o);
        break;
    }
    case 8: {
        ol_slice_t *o = fz_alloc(n * sizeof *o);
        size_t count = SIZE_MAX;
        rc = ol_dict_decode(in, o, n, &count, &used, &err);
        if (rc == OL_OK) {
            fz_check(count <= n);
            /* Rebuilding a dictionary from the entries keeps first-seen order. */
            ol_dict_t *d = ol_dict_new();
            fz_check(d != NULL);
            for (size_t i = 0; i < count; i++) {
                uint32_t id = ol_dict_add(d, o[i]);
                fz_check(id < ol_dict_count(d) && ol_slice_eq(ol_dict_get(d, id), o[i]));
                fz_check(ol_dict_find(d, o[i]) == id);
            }
            ol_dict_encode(d, &b);
            ol_dict_free(d);
        }
        free(o);
        break;
    }
    case 9: {
        size_t max_raw = n * 64;
        rc = ol_block_read(in, max_raw, &b, &used, &err);
        if (rc == OL_OK) {
            uint32_t raw = (uint32_t)in.ptr[1] | (uint32_t)in.ptr[2] << 8 | (uint32_t)in.ptr[3] << 16 |
                           (uint32_t)in.ptr[4] << 24;
            fz_check(b.len <= max_raw && used >= OL_BLOCK_HEADER && b.len == raw);
        } else {
            fz_check(b.len == 0);
        }
        break;
    }
    }
    fz_check(rc == OL_OK || rc == OL_CORRUPT || rc == OL_LIMIT);
    if (rc == OL_OK) fz_check(used <= in.len);
    else fz_check(err.msg[0] != 0);
    ol_buf_free(&b);
}

/* The stream's bytes as values: every encoder must round-trip them. */
static void fz_encode(ol_slice_t in, size_t width)
{
    size_t n8 = in.len / 8, n = in.len;
    uint64_t *u = fz_alloc(n8 * sizeof *u), *du = fz_alloc(n8 * sizeof *du);
    for (size_t i = 0; i < n8; i++) memcpy(&u[i], in.ptr + i * 8, 8);
    fz_reencode_u64(0, u, n8);
    fz_reencode_u64(1, u, n8);

    ol_buf_t b, blk;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    ol_buf_init(&blk, OL_MEM_STORE, 0);
    size_t used, off = 0;
    ol_err_t err;
    bool *bits = fz_alloc(n * sizeof *bits), *dbits = fz_alloc(n * sizeof *dbits);
    for (size_t i = 0; i < n; i++) bits[i] = in.ptr[i] & 1;
    size_t nw = width ? n / width : 0;
    uint8_t *runs = fz_alloc(nw * width);
    /* Collapse neighbours that share their first byte so runs appear. */
    for (size_t i = 0; i < nw; i++) {
        size_t src = i > 0 && in.ptr[i * width] % 2 == in.ptr[(i - 1) * width] % 2 ? i - 1 : i;
        memcpy(runs + i * width, src == i ? in.ptr + i * width : runs + src * width, width);
    }
    size_t ns = 0;
    ol_slice_t *strs = fz_alloc(n * sizeof *strs);
    for (size_t i = 0; i < n; i += 1 + in.ptr[i] % 7)
        strs[ns++] = ol_slice(in.ptr + i, OL_MIN((size_t)in.ptr[i] % 7, n - i));
    ol_dict_t *d = ol_dict_new();
    for (size_t i = 0; i < ns; i++) ol_dict_add(d, strs[i]);

    ol_enc_bits(&b, bits, n);
    ol_enc_runs(&b, runs, width, nw);
    ol_enc_bytes(&b, strs, ns);
    ol_dict_encode(d, &b);
    fz_check(b.err == OL_OK);
    ol_block_write(&blk, ol_buf_slice(&b), 1);
    ol_buf_reset(&b);
    fz_check(ol_block_read(ol_buf_slice(&blk), OL_BLOCK_MAX_RAW, &b, &used, &err) == OL_OK && used == blk.len);

    ol_slice_t s = ol_buf_slice(&b);
    fz_check(ol_dec_bits(s, dbits, n, &used, &err) == OL_OK);
    fz_check(n == 0 || memcmp(bits, dbits, n) == 0);
    off += used;
    uint8_t *druns = fz_alloc(nw * width);
    fz_check(ol_dec_runs(ol_slice(s.ptr + off, s.len - off), width, nw, druns, &used, &err) == OL_OK);
    fz_check(nw * width == 0 || memcmp(runs, druns, nw * width) == 0);
    off += used;
    ol_slice_t *dstrs = fz_alloc(ns * sizeof *dstrs);
    fz_check(ol_dec_bytes(ol_slice(s.ptr + off, s.len - off), dstrs, ns, &used, &err) == OL_OK);
    for (size_t i = 0; i < ns; i++) fz_check(ol_slice_eq(strs[i], dstrs[i]));
    off += used;
    size_t count;
    fz_check(ol_dict_decode(ol_slice(s.ptr + off, s.len - off), dstrs, ns, &count, &used, &err) == OL_OK);
    fz_check(count == ol_dict_count(d));
    for (size_t i = 0; i < count; i++) fz_check(ol_slice_eq(dstrs[i], ol_dict_get(d, (uint32_t)i)));
    off += used;
    fz_check(off == s.len);

    ol_dict_free(d);
    free(u);
    free(du);
    free(bits);
    free(dbits);
    free(runs);
    free(druns);
    free(strs);
    free(dstrs);
    ol_buf_free(&b);
    ol_buf_free(&blk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 16)) return 0;
    unsigned sel = data[0] % 11;
    size_t n = (size_t)data[1] | (size_t)(data[2] & 0x0f) << 8;
    size_t width = g_widths[data[2] >> 4];
    ol_slice_t in = ol_slice(size > 3 ? data + 3 : NULL, size - 3);
    if (sel == 10)
        fz_encode(in, width);
    else
        fz_decode(sel, in, n, width);
    return 0;
}
