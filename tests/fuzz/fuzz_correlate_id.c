/*
 * fuzz_correlate_id.c - the correlation id rules, the index-file loader and
 * the sanitiser's rewriting (src/pipeline/correlate_*.c) over arbitrary
 * bytes. The first input byte picks the mode, the rest is the input:
 *
 *   0: an id. A valid id is 1..100 bytes of [A-Za-z0-9._:-] with a letter or
 *      digit; an id of the generated form formats back to itself.
 *   1: an index file image, as is (header, framing and CRC checks).
 *   2: the same with the header CRC and each record's CRC fixed up along the
 *      framing, so the fuzzer reaches the entries. Whatever loads must keep
 *      the index's invariants, the good records must end inside the input,
 *      and the compacted image must load to the same index and re-encode to
 *      itself.
 *   3: extra fields for a Span and a LogRecord (byte 1: whether the record
 *      has a trace id) in a request that must decode; after sanitising,
 *      every id attribute left is valid, every other field is the input's
 *      in order, and sanitising again changes nothing.
 *
 * Seeds: tests/fuzz/corpus/correlate_id, written by
 * OL_CORRELATE_CORPUS_OUT=<dir> build/tests/test_pipeline_correlate.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/pb.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"

#define FZ_NOW_S 1700000000ull

static void fz_ids(const uint8_t *p, size_t n)
{
    ol_slice_t id = ol_slice(p, n);
    ol_cid_verdict_t v = ol_cid_check(id, FZ_NOW_S);
    if (v == OL_CID_OK) {
        if (n == 0 || n > OL_CORRELATE_MAX_ID) abort();
        bool alnum = false;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[i];
            bool an = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            alnum |= an;
            if (!an && c != '.' && c != '_' && c != ':' && c != '-') abort();
        }
        if (!alnum) abort();
    } else if (v >= OL_CID__COUNT || v == OL_CID_NOT_STRING) {
        abort();
    }
    uint64_t s;
    uint32_t h;
    if (ol_cid_parse_generated(id, &s, &h)) {
        char out[OL_CID_GENERATED_MAX + 1];
        size_t k = ol_cid_format_generated(out, s, h);
        if (k != n || memcmp(out, p, n) != 0) abort();
    }
}

/* Header CRC and each record's CRC recomputed, following the lengths. */
static void fz_fixup(uint8_t *f, size_t n)
{
    if (n < OL_CIX_HEADER) return;
    ol_store_le32(f + 16, ol_crc32c(0, f, 16));
    size_t pos = OL_CIX_HEADER;
    while (n - pos >= OL_CIX_REC_HEADER) {
        uint32_t len = ol_load_le32(f + pos);
        if (len == 0 || len > OL_CIX_MAX_PAYLOAD || len > n - pos - OL_CIX_REC_HEADER) return;
        uint32_t crc = ol_crc32c(ol_crc32c(0, f + pos, 4), f + pos + OL_CIX_REC_HEADER, len);
        ol_store_le32(f + pos + 4, crc);
        pos += OL_CIX_REC_HEADER + len;
    }
}

static void fz_check_index(const ol_cix_t *x)
{
    size_t n = 0, refs = 0;
    for (const ol_cix_entry_t *e = x->lru_head; e; e = e->lru_next) {
        n++;
        refs += e->n_refs;
        if (ol_cix_get(x, ol_slice(e->id, e->id_len)) != e) abort();
        if (e->n_refs > OL_CIX_MAX_REFS || e->n_refs > e->cap_refs) abort();
        if (ol_cid_check(ol_slice(e->id, e->id_len), UINT64_MAX - OL_CID_FUTURE_SLACK_S) != OL_CID_OK) abort();
    }
    if (n != x->n || refs != x->n_refs || n > x->max_ids) abort();
}

/* Every hint is found by its key, and the chains hold exactly n entries. */
static void fz_check_hints(const ol_chints_t *h)
{
    if (h->n > h->cap || h->cap > OL_CHINT_MAX) abort();
    for (uint32_t i = 0; i < h->n; i++) {
        const ol_chint_t *e = ol_chints_at(h, i);
        if (e->hash != ol_cid_hash32(e->trace_id, 16)) abort();
        uint8_t out[64][16];
        size_t k = ol_chints_find(h, e->second, e->hash, out, 64), j = 0;
        while (j < k && memcmp(out[j], e->trace_id, 16) != 0) j++;
        if (j == k) abort();
    }
    uint32_t linked = 0;
    for (uint32_t b = 0; b < h->cap; b++)
        for (uint32_t k = h->head[b]; k; k = h->e[k - 1].next)
            if (++linked > h->n) abort();
    if (linked != h->n) abort();
}

static void fz_index(uint8_t *f, size_t n, bool fix)
{
    if (fix) fz_fixup(f, n);
    ol_cix_t x;
    ol_cix_init(&x, 64);
    ol_chints_t hx = {0};
    ol_cix_load_t res;
    ol_err_t err;
    int rc = ol_cix_load_image(&x, &hx, ol_slice(f, n), &res, &err);
    if (rc == OL_OK) {
        if (res.good_end < OL_CIX_HEADER || res.good_end > n) abort();
        if ((res.good_end == n) != (res.tail == OL_CIX_CLEAN)) abort();
        fz_check_index(&x);
        fz_check_hints(&hx);
        ol_buf_t img, img2;
        ol_buf_init(&img, OL_MEM_PIPELINE, 0);
        ol_buf_init(&img2, OL_MEM_PIPELINE, 0);
        if (ol_cix_write_image(&x, &hx, &img) != OL_OK) abort();
        ol_cix_t y;
        ol_cix_init(&y, 64);
        ol_chints_t hy = {0};
        ol_cix_load_t r2;
        if (ol_cix_load_image(&y, &hy, ol_buf_slice(&img), &r2, &err) != OL_OK) abort();
        if (r2.tail != OL_CIX_CLEAN || r2.skipped_records || y.n != x.n || y.n_refs != x.n_refs || hy.n != hx.n)
            abort();
        fz_check_index(&y);
        fz_check_hints(&hy);
        if (ol_cix_write_image(&y, &hy, &img2) != OL_OK || !ol_slice_eq(ol_buf_slice(&img), ol_buf_slice(&img2)))
            abort();
        ol_buf_free(&img);
        ol_buf_free(&img2);
        ol_cix_free(&y);
        ol_chints_free(&hy);
    } else if (rc != OL_CORRUPT || x.n != 0 || hx.n != 0) {
        abort();
    }
    ol_cix_free(&x);
    ol_chints_free(&hx);
}

/* ---- mode 3 ---- */

typedef struct fz_attr_ctx {
    bool bad;
} fz_attr_ctx_t;

static int fz_valid_cb(void *ud, ol_slice_t key, uint32_t kind, ol_slice_t value)
{
    fz_attr_ctx_t *c = ud;
    if (kind != 1 || ol_cid_check(value, FZ_NOW_S) != OL_CID_OK) c->bad = true;
    return OL_OK;
}

/* The fields of msg other than id KeyValues of field `attrs`, in order. */
static void fz_others(ol_slice_t msg, uint32_t attrs, ol_buf_t *out)
{
    ol_pb_reader_t r;
    ol_pb_reader_init(&r, msg);
    ol_pb_field_value_t f;
    for (;;) {
        const uint8_t *at = r.p;
        if (ol_pb_next(&r, &f) != OL_OK) break;
        if (f.number == attrs && f.wire_type == OL_PB_LEN) {
            ol_pb_reader_t kr;
            ol_pb_reader_init(&kr, f.bytes);
            ol_pb_field_value_t kf;
            ol_slice_t key = OL_SLICE_NULL;
            while (ol_pb_next(&kr, &kf) == OL_OK)
                if (kf.number == 1 && kf.wire_type == OL_PB_LEN) key = kf.bytes;
            if (ol_cid_is_key(key)) continue;
        }
        ol_buf_append(out, at, (size_t)(r.p - at));
    }
}

static void fz_check_item(ol_slice_t before, ol_slice_t after, uint32_t attrs)
{
    fz_attr_ctx_t c = {0};
    ol_cid_each(after, attrs, fz_valid_cb, &c);
    if (c.bad) abort();
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, after);
    int rc;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {}
    if (rc != OL_NOTFOUND) abort();
    ol_buf_t x, y;
    ol_buf_init(&x, OL_MEM_PIPELINE, 0);
    ol_buf_init(&y, OL_MEM_PIPELINE, 0);
    fz_others(before, attrs, &x);
    fz_others(after, attrs, &y);
    if (!ol_slice_eq(ol_buf_slice(&x), ol_buf_slice(&y))) abort();
    ol_buf_free(&x);
    ol_buf_free(&y);
}

static void fz_sanitize(const uint8_t *p, size_t n)
{
    static ol_correlate_t *c;
    if (!c) {
        ol_err_t err;
        ol_correlate_options_t o = {.max_ids = 1000};
        if (ol_correlate_create(&o, NULL, &c, &err) != OL_OK) abort();
        c->now_s = FZ_NOW_S;
    }
    if (n < 1) return;
    bool with_trace = p[0] & 1;
    ol_slice_t extra = ol_slice(p + 1, n - 1);
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int sig = 0; sig < 2; sig++) {
        ol_buf_t req, item;
        ol_buf_init(&req, OL_MEM_PIPELINE, 0);
        ol_buf_init(&item, OL_MEM_PIPELINE, 0);
        if (sig == 0) {
            ol_pb_put_bytes(&item, 1, ol_slice(tid, 16));
            ol_pb_put_bytes(&item, 2, ol_slice(sid, 8));
        } else {
            ol_pb_put_fixed64(&item, 1, FZ_NOW_S * 1000000000ull);
            if (with_trace) ol_pb_put_bytes(&item, 9, ol_slice(tid, 16));
        }
        ol_buf_append_slice(&item, extra);
        size_t rm = ol_pb_begin(&req, 1), sm = ol_pb_begin(&req, 2);
        ol_pb_put_bytes(&req, 2, ol_buf_slice(&item));
        ol_pb_end(&req, sm);
        ol_pb_end(&req, rm);
        ol_arena_t *a = ol_arena_create(4096, 1 << 24);
        ol_otlp_batch_t b;
        ol_err_t err;
        ol_signal_t s = sig == 0 ? OL_SIGNAL_TRACES : OL_SIGNAL_LOGS;
        if (a && ol_otlp_decode(s, ol_buf_slice(&req), a, &b, &err) == OL_OK) {
            size_t items = sig == 0 ? b.n_spans : b.n_logs;
            ol_slice_t before = items ? (sig == 0 ? b.spans[0].raw : b.logs[0].raw) : OL_SLICE_NULL;
            if (ol_correlate_sanitize(c, &b, a) != OL_OK) abort();
            if (items && (sig == 1 || b.spans[0].valid)) {
                ol_slice_t after = sig == 0 ? b.spans[0].raw : b.logs[0].raw;
                fz_check_item(before, after, sig == 0 ? OL_CID_SPAN_ATTRS : OL_CID_LOG_ATTRS);
                if (ol_correlate_sanitize(c, &b, a) != OL_OK) abort();
                ol_slice_t again = sig == 0 ? b.spans[0].raw : b.logs[0].raw;
                if (again.ptr != after.ptr || again.len != after.len) abort();
            }
            ol_correlate_observe(c, &b, NULL);
        }
        ol_arena_destroy(a);
        ol_buf_free(&req);
        ol_buf_free(&item);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t len = size - 1;
    uint8_t *in = malloc(len ? len : 1);
    if (!in) return 0;
    memcpy(in, data + 1, len);
    switch (data[0] % 4) {
    case 0: fz_ids(in, len); break;
    case 1: fz_index(in, len, false); break;
    case 2: fz_index(in, len, true); break;
    default: fz_sanitize(in, len); break;
    }
    free(in);
    return 0;
}
