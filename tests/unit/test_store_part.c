/*
 * test_store_part.c - traces parts: the spans the JS SDK sent (fixtures) and
 * synthetic spans with every field come back byte for byte; traces larger
 * than a granule, duplicates, attribute promotion; and every kind of damage
 * (flipped bytes, truncation) is refused with OL_CORRUPT, never misread.
 * Merges of 2..5 overlapping parts give the very file ol_part_write_spans
 * gives for the union, in memory that does not grow with the rows, and fail
 * cleanly on damaged inputs; the services table round trips; a lookup by
 * trace id reads only the granules that may hold it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/part.h"
#include "test.h"

static char g_dir[256];

static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

/* ---- Building requests with minimal (canonical) encodings ---- */

static void put_msg(ol_buf_t *b, uint32_t field, ol_buf_t *inner)
{
    ol_pb_put_bytes(b, field, ol_buf_slice(inner));
    ol_buf_reset(inner);
}

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    ol_buf_t av, kv;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&av, 1, ol_slice_cstr(v));
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(k));
    put_msg(&kv, 2, &av);
    put_msg(b, field, &kv);
    ol_buf_free(&av);
    ol_buf_free(&kv);
}

static void put_kv_raw_av(ol_buf_t *b, uint32_t field, const char *k, ol_slice_t av, bool with_value)
{
    ol_buf_t kv;
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(k));
    if (with_value) ol_pb_put_bytes(&kv, 2, av);
    put_msg(b, field, &kv);
    ol_buf_free(&kv);
}

typedef struct span_spec {
    uint8_t trace[16], span[8], parent[8];
    bool has_parent;
    const char *name;
    uint64_t start, end;
    int kind;
    int n_attrs;
    bool rich; /* every other field too */
} span_spec_t;

static void put_span(ol_buf_t *b, const span_spec_t *s, uint32_t seed)
{
    ol_buf_t sp, tmp;
    ol_buf_init(&sp, OL_MEM_CORE, 0);
    ol_buf_init(&tmp, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&sp, 1, ol_slice(s->trace, 16));
    ol_pb_put_bytes(&sp, 2, ol_slice(s->span, 8));
    if (s->rich) ol_pb_put_bytes(&sp, 3, OL_SLICE_LIT("vendor=abc,x=1"));
    if (s->has_parent) ol_pb_put_bytes(&sp, 4, ol_slice(s->parent, 8));
    ol_pb_put_bytes(&sp, 5, ol_slice_cstr(s->name));
    if (s->kind) ol_pb_put_uint(&sp, 6, (uint64_t)s->kind);
    ol_pb_put_fixed64(&sp, 7, s->start);
    ol_pb_put_fixed64(&sp, 8, s->end);
    char k[32], v[32];
    for (int i = 0; i < s->n_attrs; i++) {
        snprintf(k, sizeof k, "attr.%d", i);
        snprintf(v, sizeof v, "value-%u", (seed + (uint32_t)i) % 7);
        put_kv_str(&sp, 9, k, v);
    }
    if (s->rich) {
        /* int (negative), double, bool, bytes, array, kvlist, empty AnyValue, no value at all */
        ol_buf_t av;
        ol_buf_init(&av, OL_MEM_CORE, 0);
        ol_pb_put_uint(&av, 3, (uint64_t)(int64_t)-42);
        put_kv_raw_av(&sp, 9, "i", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        ol_pb_put_double(&av, 4, 3.25);
        put_kv_raw_av(&sp, 9, "d", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        ol_pb_put_uint(&av, 2, 1);
        put_kv_raw_av(&sp, 9, "b", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        ol_pb_put_bytes(&av, 7, OL_SLICE_LIT("\x00\x01\x02"));
        put_kv_raw_av(&sp, 9, "bytes", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        ol_buf_t arr;
        ol_buf_init(&arr, OL_MEM_CORE, 0);
        ol_buf_t el;
        ol_buf_init(&el, OL_MEM_CORE, 0);
        ol_pb_put_bytes(&el, 1, OL_SLICE_LIT("a"));
        put_msg(&arr, 1, &el);
        ol_pb_put_uint(&el, 3, 7);
        put_msg(&arr, 1, &el);
        put_msg(&av, 5, &arr);
        put_kv_raw_av(&sp, 9, "arr", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        put_kv_str(&arr, 1, "inner", "x");
        put_msg(&av, 6, &arr);
        put_kv_raw_av(&sp, 9, "kv", ol_buf_slice(&av), true);
        ol_buf_reset(&av);
        put_kv_raw_av(&sp, 9, "empty", OL_SLICE_NULL, true);
        put_kv_raw_av(&sp, 9, "novalue", OL_SLICE_NULL, false);
        put_kv_str(&sp, 9, "attr.0", "duplicate key"); /* duplicate keys keep both */
        ol_pb_put_uint(&sp, 10, 3);
        /* events */
        ol_pb_put_fixed64(&tmp, 1, s->start + 5);
        ol_pb_put_bytes(&tmp, 2, OL_SLICE_LIT("exception"));
        put_kv_str(&tmp, 3, "exception.type", "Timeout");
        put_msg(&sp, 11, &tmp);
        ol_pb_put_uint(&sp, 12, 1);
        /* link */
        ol_pb_put_bytes(&tmp, 1, ol_slice(s->parent, 8)); /* deliberately odd: 8-byte trace id in a link */
        ol_pb_put_bytes(&tmp, 2, ol_slice(s->span, 8));
        put_kv_str(&tmp, 4, "link.kind", "follows");
        put_msg(&sp, 13, &tmp);
        ol_pb_put_uint(&sp, 14, 2);
        ol_pb_put_bytes(&tmp, 2, OL_SLICE_LIT("db timeout"));
        ol_pb_put_uint(&tmp, 3, 2);
        put_msg(&sp, 15, &tmp);
        ol_pb_put_fixed32(&sp, 16, 0x101);
        ol_pb_put_bytes(&sp, 99, OL_SLICE_LIT("an unknown field")); /* kept in extra */
        ol_buf_free(&av);
        ol_buf_free(&arr);
        ol_buf_free(&el);
    } else if (seed % 3 == 0) {
        ol_pb_put_uint(&tmp, 3, 1);
        put_msg(&sp, 15, &tmp);
    }
    put_msg(b, 2, &sp);
    ol_buf_free(&sp);
    ol_buf_free(&tmp);
}

/* An ExportTraceServiceRequest with one ResourceSpans per service. */
static void build_request(ol_buf_t *req, const span_spec_t *specs, size_t n, int n_services)
{
    for (int svc = 0; svc < n_services; svc++) {
        ol_buf_t rs, res, ss, scope;
        ol_buf_init(&rs, OL_MEM_CORE, 0);
        ol_buf_init(&res, OL_MEM_CORE, 0);
        ol_buf_init(&ss, OL_MEM_CORE, 0);
        ol_buf_init(&scope, OL_MEM_CORE, 0);
        char name[32];
        snprintf(name, sizeof name, "svc-%d", svc);
        put_kv_str(&res, 1, "service.name", name);
        put_kv_str(&res, 1, "host.name", "host-1");
        put_msg(&rs, 1, &res);
        ol_pb_put_bytes(&scope, 1, OL_SLICE_LIT("lib"));
        ol_pb_put_bytes(&scope, 2, OL_SLICE_LIT("1.0"));
        put_msg(&ss, 1, &scope);
        for (size_t i = (size_t)svc; i < n; i += (size_t)n_services) put_span(&ss, &specs[i], (uint32_t)i);
        put_msg(&rs, 2, &ss);
        ol_pb_put_bytes(&rs, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.26.0"));
        put_msg(req, 1, &rs);
        ol_buf_free(&rs);
        ol_buf_free(&res);
        ol_buf_free(&ss);
        ol_buf_free(&scope);
    }
}

/* ---- Reading back ---- */

typedef struct collected {
    const ol_otlp_span_t **spans;
    size_t n, cap;
} collected_t;

static int collect(void *ud, const ol_otlp_span_t *s)
{
    collected_t *c = ud;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->spans = realloc(c->spans, c->cap * sizeof *c->spans);
    }
    c->spans[c->n++] = s;
    return OL_OK;
}

static const ol_otlp_span_t *find_span(const collected_t *c, const ol_otlp_span_t *want)
{
    for (size_t i = 0; i < c->n; i++)
        if (ol_slice_eq(c->spans[i]->span_id, want->span_id) && ol_slice_eq(c->spans[i]->trace_id, want->trace_id))
            return c->spans[i];
    return NULL;
}

static bool same_span(const ol_otlp_span_t *got, const ol_otlp_span_t *want)
{
    bool ok = got && ol_slice_eq(got->raw, want->raw) && ol_slice_eq(got->origin->resource, want->origin->resource) &&
              ol_slice_eq(got->origin->scope, want->origin->scope) &&
              ol_slice_eq(got->origin->resource_schema_url, want->origin->resource_schema_url) &&
              ol_slice_eq(got->origin->service_name, want->origin->service_name) && got->start_ns == want->start_ns &&
              got->end_ns == want->end_ns && got->kind == want->kind && got->status_code == want->status_code &&
              ol_slice_eq(got->name, want->name) && ol_slice_eq(got->parent_span_id, want->parent_span_id);
    if (!ok && got) {
        fprintf(stderr, "  span differs: raw %zu vs %zu bytes\n", got->raw.len, want->raw.len);
        for (size_t i = 0; i < got->raw.len && i < want->raw.len; i++)
            if (got->raw.ptr[i] != want->raw.ptr[i]) {
                fprintf(stderr, "  first difference at byte %zu\n", i);
                break;
            }
    }
    return ok;
}

/* Writes the batch's spans as a part and checks every span comes back by trace and by scan. */
static void roundtrip_batch(const ol_otlp_batch_t *batch, const char *name)
{
    const ol_otlp_span_t **in = malloc((batch->n_spans + 1) * sizeof *in);
    for (size_t i = 0; i < batch->n_spans; i++) in[i] = &batch->spans[i];
    ol_err_t err = {0};
    ol_part_info_t info;
    const char *path = tmp_path(name);
    unlink(path);
    CHECK_EQ_INT(ol_part_write_spans(NULL, path, 7, 3, in, batch->n_spans, &info, &err), OL_OK);
    CHECK_EQ_INT(info.rows, batch->n_spans);
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
    if (!p) {
        fprintf(stderr, "  %s\n", err.msg);
        free(in);
        return;
    }
    CHECK_EQ_INT(ol_part_info(p)->rows, batch->n_spans);
    CHECK_EQ_INT(ol_part_info(p)->wal_segment, 3);
    CHECK_EQ_INT(ol_part_info(p)->id, 7);
    CHECK_EQ_INT(ol_part_info(p)->footer_crc, info.footer_crc);
    CHECK_EQ_INT(ol_part_verify(p, &err), OL_OK);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    size_t bad = 0;
    for (size_t i = 0; i < batch->n_spans; i++) {
        collected_t c = {0};
        int rc = ol_part_spans_trace(p, batch->spans[i].trace_id.ptr, a, collect, &c, &err);
        if (rc != OL_OK || !same_span(find_span(&c, &batch->spans[i]), &batch->spans[i])) bad++;
        free(c.spans);
        ol_arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);
    collected_t all = {0};
    CHECK_EQ_INT(ol_part_spans_scan(p, 0, UINT64_MAX, a, collect, &all, &err), OL_OK);
    CHECK_EQ_INT(all.n, batch->n_spans);
    free(all.spans);
    uint8_t nobody[16] = {0xff, 0xfe};
    CHECK_EQ_INT(ol_part_spans_trace(p, nobody, a, collect, &(collected_t){0}, &err), OL_NOTFOUND);
    ol_arena_destroy(a);
    ol_part_close(p);
    free(in);
}

static void test_fixtures(void)
{
    size_t n = 0;
    unsigned char *body = ol_test_fixture("otlp/otlp-http-proto.traces.body", &n);
    CHECK(body != NULL);
    if (!body) return;
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t batch;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(body, n), a, &batch, &err), OL_OK);
    CHECK_EQ_INT(batch.n_spans, 3);
    roundtrip_batch(&batch, "fixture.olp");
    ol_arena_destroy(a);
    free(body);
}

static void fill_id(uint8_t *p, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * (i % 8))) ^ (uint8_t)(i * 37 + 1);
}

static span_spec_t *make_specs(size_t n_traces, const size_t *sizes, bool rich, size_t *n_out)
{
    size_t n = 0;
    for (size_t t = 0; t < n_traces; t++) n += sizes[t];
    span_spec_t *s = calloc(n, sizeof *s);
    size_t k = 0;
    for (size_t t = 0; t < n_traces; t++) {
        uint8_t trace[16];
        fill_id(trace, 16, 0x1234567ULL * (t + 1));
        for (size_t j = 0; j < sizes[t]; j++, k++) {
            memcpy(s[k].trace, trace, 16);
            fill_id(s[k].span, 8, (t << 24) + j + 1);
            if (j > 0) {
                s[k].has_parent = true;
                memcpy(s[k].parent, s[k - j + (j - 1) / 2].span, 8); /* a parent inside the trace */
            }
            if (j == 1 && t % 2) fill_id(s[k].parent, 8, 999999 + t); /* a parent not stored */
            s[k].name = j % 3 == 0 ? "GET /api/cart" : j % 3 == 1 ? "SELECT orders" : "";
            s[k].start = 1700000000000000000ULL + t * 1000000ULL + j * 1000;
            s[k].end = s[k].start + 500 + j;
            if (t == 3 && j == 0) s[k].end = s[k].start - 100; /* clock skew: kept as sent */
            s[k].kind = (int)(j % 6);
            s[k].n_attrs = 5 + (int)(j % 20);
            s[k].rich = rich && j % 4 == 0;
        }
    }
    *n_out = n;
    return s;
}

static void test_synthetic_every_field(void)
{
    size_t sizes[] = {1, 2, 5, 9, 30, 4, 1, 17};
    size_t n = 0;
    span_spec_t *specs = make_specs(OL_ARRAY_LEN(sizes), sizes, true, &n);
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_request(&req, specs, n, 3);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t batch;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&req), a, &batch, &err), OL_OK);
    CHECK_EQ_INT(batch.n_spans, n);
    CHECK_EQ_INT(batch.n_rejected, 0);
    roundtrip_batch(&batch, "synthetic.olp");
    ol_arena_destroy(a);
    ol_buf_free(&req);
    free(specs);
}

static void test_large_traces_and_duplicates(void)
{
    /* A trace of 10,000 spans (more than a granule), many small ones, and every span twice. */
    size_t sizes[200];
    for (size_t i = 0; i < OL_ARRAY_LEN(sizes); i++) sizes[i] = 1 + i % 37;
    sizes[50] = 10000;
    size_t n = 0;
    span_spec_t *specs = make_specs(OL_ARRAY_LEN(sizes), sizes, false, &n);
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_request(&req, specs, n, 4);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t batch;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&req), a, &batch, &err), OL_OK);
    const ol_otlp_span_t **in = malloc(2 * batch.n_spans * sizeof *in);
    for (size_t i = 0; i < batch.n_spans; i++) in[i] = in[batch.n_spans + i] = &batch.spans[i];
    ol_part_info_t info;
    const char *path = tmp_path("large.olp");
    unlink(path);
    CHECK_EQ_INT(ol_part_write_spans(NULL, path, 8, 1, in, 2 * batch.n_spans, &info, &err), OL_OK);
    CHECK_EQ_INT(info.rows, batch.n_spans);
    CHECK(info.granules >= 3);
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
    if (p) {
        CHECK_EQ_INT(ol_part_verify(p, &err), OL_OK);
        collected_t c = {0};
        CHECK_EQ_INT(ol_part_spans_trace(p, batch.spans[0].trace_id.ptr, a, collect, &c, &err), OL_OK);
        /* every span of the big trace, once, in start order */
        size_t big = 0;
        for (size_t i = 0; i < n; i++) big += memcmp(specs[i].trace, batch.spans[0].trace_id.ptr, 16) == 0;
        CHECK_EQ_INT(c.n, big);
        free(c.spans);
        c = (collected_t){0};
        uint8_t tid[16];
        memcpy(tid, specs[0].trace, 16);
        size_t want = 0;
        for (size_t i = 0; i < n; i++) want += memcmp(specs[i].trace, specs[sizes[0] + sizes[1] + 3].trace, 16) == 0;
        CHECK_EQ_INT(ol_part_spans_trace(p, specs[sizes[0] + sizes[1] + 3].trace, a, collect, &c, &err), OL_OK);
        CHECK_EQ_INT(c.n, want);
        for (size_t i = 1; i < c.n; i++) CHECK(c.spans[i - 1]->start_ns <= c.spans[i]->start_ns);
        free(c.spans);
        /* a key in every row has its own column; a rare one is in attrs */
        ol_slice_t names[256];
        size_t nc = ol_part_columns(p, 0, names, 256);
        bool promoted = false, attrs = false;
        for (size_t i = 0; i < nc && i < 256; i++) {
            promoted |= ol_slice_eq_cstr(names[i], "a:attr.0");
            attrs |= ol_slice_eq_cstr(names[i], "attrs");
        }
        CHECK(promoted);
        CHECK(attrs);
        /* time pruning: a window before everything finds nothing */
        collected_t none = {0};
        CHECK_EQ_INT(ol_part_spans_scan(p, 0, 1000, a, collect, &none, &err), OL_OK);
        CHECK_EQ_INT(none.n, 0);
        ol_part_close(p);
    }
    free(in);
    ol_arena_destroy(a);
    ol_buf_free(&req);
    free(specs);
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void write_file(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

/* Opens and fully verifies; returns the result code. */
static int open_verify(const char *path, ol_err_t *err)
{
    ol_part_t *p = NULL;
    int rc = ol_part_open(NULL, path, &p, err);
    if (rc) return rc;
    rc = ol_part_verify(p, err);
    ol_part_close(p);
    return rc;
}

static void test_corruption(void)
{
    size_t n = 0;
    unsigned char *good = read_file(tmp_path("synthetic.olp"), &n);
    CHECK(good != NULL && n > 100);
    if (!good) return;
    unsigned char *bad = malloc(n);
    const char *path = tmp_path("damaged.olp");
    ol_err_t err = {0};
    /* Every single-byte flip is caught (CRCs cover every byte), whatever it hits. */
    size_t undetected = 0, step = n > 4000 ? n / 4000 : 1;
    for (size_t i = 0; i < n; i += step) {
        memcpy(bad, good, n);
        bad[i] ^= 0x5a;
        write_file(path, bad, n);
        int rc = open_verify(path, &err);
        if (rc != OL_CORRUPT) {
            if (undetected < 5) fprintf(stderr, "  flip at %zu of %zu: rc %d\n", i, n, rc);
            undetected++;
        }
    }
    CHECK_EQ_INT(undetected, 0);
    /* Truncation at any length (a torn write) is refused. */
    size_t accepted = 0;
    for (size_t len = 0; len < n; len += step) {
        write_file(path, good, len);
        if (open_verify(path, &err) != OL_CORRUPT) accepted++;
    }
    CHECK_EQ_INT(accepted, 0);
    /* The undamaged file still verifies. */
    write_file(path, good, n);
    CHECK_EQ_INT(open_verify(path, &err), OL_OK);
    CHECK_EQ_INT(open_verify(tmp_path("no-such.olp"), &err), OL_NOTFOUND);
    free(bad);
    free(good);
}

static void test_existing_file_not_overwritten(void)
{
    ol_err_t err = {0};
    const char *path = tmp_path("exists.olp");
    write_file(path, (const unsigned char *)"x", 1);
    const ol_otlp_span_t *none[1];
    CHECK(ol_part_write_spans(NULL, path, 1, 0, none, 0, NULL, &err) != OL_OK);
    size_t n = 0;
    unsigned char *b = read_file(path, &n);
    CHECK_EQ_INT(n, 1);
    free(b);
    /* An empty part is valid. */
    unlink(path);
    CHECK_EQ_INT(ol_part_write_spans(NULL, path, 1, 0, none, 0, NULL, &err), OL_OK);
    CHECK_EQ_INT(open_verify(path, &err), OL_OK);
}

/* ---- Merges ---- */

/* A request of many traces (one larger than a granule) under three services, decoded. */
typedef struct merge_fixture {
    span_spec_t *specs;
    size_t n_specs;
    ol_buf_t req;
    ol_arena_t *a;
    ol_otlp_batch_t batch;
} merge_fixture_t;

static bool merge_fixture_init_attrs(merge_fixture_t *f, size_t n_traces, size_t big, int max_attrs)
{
    size_t *sizes = calloc(n_traces, sizeof *sizes);
    for (size_t i = 0; i < n_traces; i++) sizes[i] = 1 + (i * 7) % 23;
    if (big) sizes[n_traces / 3] = big;
    f->specs = make_specs(n_traces, sizes, false, &f->n_specs);
    for (size_t i = 0; i < f->n_specs; i++) f->specs[i].n_attrs = max_attrs ? (int)(i % (size_t)max_attrs) : 0;
    free(sizes);
    ol_buf_init(&f->req, OL_MEM_CORE, 0);
    build_request(&f->req, f->specs, f->n_specs, 3);
    f->a = ol_arena_create(1 << 20, 0);
    ol_err_t err = {0};
    int rc = ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&f->req), f->a, &f->batch, &err);
    CHECK_EQ_INT(rc, OL_OK);
    CHECK_EQ_INT(f->batch.n_spans, f->n_specs);
    return rc == OL_OK;
}

static bool merge_fixture_init(merge_fixture_t *f, size_t n_traces, size_t big)
{
    return merge_fixture_init_attrs(f, n_traces, big, 7);
}

static void merge_fixture_free(merge_fixture_t *f)
{
    ol_arena_destroy(f->a);
    ol_buf_free(&f->req);
    free(f->specs);
}

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

/* Writes k parts from the fixture's spans: span i goes to part mix(i) % k;
 * every 7th also to the next part (a duplicate across inputs), every 11th
 * twice to its own part. Opens them into ps. */
static bool write_inputs_io(const merge_fixture_t *f, size_t k, const char *prefix, ol_part_t **ps, const ol_io_t *io)
{
    const ol_otlp_span_t **in = malloc(3 * f->batch.n_spans * sizeof *in);
    bool ok = true;
    for (size_t j = 0; j < k; j++) {
        size_t n = 0;
        for (size_t i = 0; i < f->batch.n_spans; i++) {
            size_t home = mix((uint32_t)i) % k;
            if (home == j) in[n++] = &f->batch.spans[i];
            if (home == j && i % 11 == 0) in[n++] = &f->batch.spans[i];
            if (i % 7 == 0 && (home + 1) % k == j) in[n++] = &f->batch.spans[i];
        }
        char name[64];
        snprintf(name, sizeof name, "%s-%zu.olp", prefix, j);
        const char *path = tmp_path(name);
        unlink(path);
        ol_err_t err = {0};
        ps[j] = NULL;
        int rc = ol_part_write_spans(NULL, path, 10 + j, 1, in, n, NULL, &err);
        if (!rc) rc = ol_part_open(io, path, &ps[j], &err);
        if (rc) fprintf(stderr, "  %s\n", err.msg);
        CHECK_EQ_INT(rc, OL_OK);
        ok &= rc == OL_OK;
    }
    free(in);
    return ok;
}

static bool write_inputs(const merge_fixture_t *f, size_t k, const char *prefix, ol_part_t **ps)
{
    return write_inputs_io(f, k, prefix, ps, NULL);
}

static bool files_equal(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = read_file(a, &na), *y = read_file(b, &nb);
    bool eq = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return eq;
}

/* No granule boundary inside a trace unless the trace alone exceeds a granule. */
static size_t split_traces(const ol_part_t *p, const merge_fixture_t *f)
{
    size_t bad = 0;
    for (uint32_t g = 1; g < ol_part_info(p)->granules; g++) {
        const uint8_t *id = ol_part_granule(p, g)->first_trace_id;
        if (memcmp(ol_part_granule(p, g - 1)->last_trace_id, id, 16) != 0) continue;
        size_t n = 0;
        for (size_t i = 0; i < f->n_specs; i++) n += memcmp(f->specs[i].trace, id, 16) == 0;
        if (n <= OL_PART_GRANULE_ROWS) bad++;
    }
    return bad;
}

static void test_merge_equals_write(void)
{
    merge_fixture_t f;
    if (!merge_fixture_init(&f, 1500, 9000)) return;
    const ol_otlp_span_t **all = malloc(f.batch.n_spans * sizeof *all);
    for (size_t i = 0; i < f.batch.n_spans; i++) all[i] = &f.batch.spans[i];
    ol_err_t err = {0};
    ol_part_info_t ref_info, out_info;
    const char *ref = "ref.olp";
    char ref_path[512];
    snprintf(ref_path, sizeof ref_path, "%s", tmp_path(ref));
    unlink(ref_path);
    CHECK_EQ_INT(ol_part_write_spans(NULL, ref_path, 100, 5, all, f.batch.n_spans, &ref_info, &err), OL_OK);
    CHECK(ref_info.granules >= 4);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    for (size_t k = 2; k <= 5; k++) {
        ol_part_t *ps[5];
        char prefix[32];
        snprintf(prefix, sizeof prefix, "in%zu", k);
        if (!write_inputs(&f, k, prefix, ps)) break;
        const char *out = tmp_path("merged.olp");
        unlink(out);
        int rc = ol_part_merge_spans(NULL, out, 100, 5, ps, k, &out_info, &err);
        if (rc) fprintf(stderr, "  merge of %zu: %s\n", k, err.msg);
        CHECK_EQ_INT(rc, OL_OK);
        CHECK_EQ_INT(out_info.rows, f.batch.n_spans);
        CHECK_EQ_INT(out_info.granules, ref_info.granules);
        CHECK_EQ_INT(out_info.input_bytes, ref_info.input_bytes);
        CHECK_EQ_INT(out_info.bytes, ref_info.bytes);
        CHECK(files_equal(out, ref_path));
        /* span by span, as a reader sees them */
        ol_part_t *po = NULL, *pr = NULL;
        CHECK_EQ_INT(ol_part_open(NULL, out, &po, &err), OL_OK);
        CHECK_EQ_INT(ol_part_open(NULL, ref_path, &pr, &err), OL_OK);
        if (po && pr) {
            CHECK_EQ_INT(ol_part_verify(po, &err), OL_OK);
            collected_t co = {0}, cr = {0};
            CHECK_EQ_INT(ol_part_spans_scan(po, 0, UINT64_MAX, a, collect, &co, &err), OL_OK);
            CHECK_EQ_INT(ol_part_spans_scan(pr, 0, UINT64_MAX, a, collect, &cr, &err), OL_OK);
            CHECK_EQ_INT(co.n, cr.n);
            size_t differ = 0;
            for (size_t i = 0; i < co.n && i < cr.n; i++) differ += !same_span(co.spans[i], cr.spans[i]);
            CHECK_EQ_INT(differ, 0);
            free(co.spans);
            free(cr.spans);
            ol_arena_reset(a);
            CHECK_EQ_INT(split_traces(po, &f), 0);
            /* a trace whose spans sat in several inputs is whole, in one granule */
            size_t t = 0;
            for (size_t i = 0; i < f.n_specs; i++) {
                if (i + 1 < f.n_specs && memcmp(f.specs[i].trace, f.specs[i + 1].trace, 16) == 0 &&
                    mix((uint32_t)i) % k != mix((uint32_t)i + 1) % k && f.batch.n_spans > 0) {
                    t = i;
                    break;
                }
            }
            size_t want = 0, covering = 0;
            for (size_t i = 0; i < f.n_specs; i++) want += memcmp(f.specs[i].trace, f.specs[t].trace, 16) == 0;
            for (uint32_t g = 0; g < ol_part_info(po)->granules; g++) {
                const ol_part_granule_info_t *gi = ol_part_granule(po, g);
                covering += memcmp(gi->first_trace_id, f.specs[t].trace, 16) <= 0 &&
                            memcmp(gi->last_trace_id, f.specs[t].trace, 16) >= 0;
            }
            CHECK(want >= 2 && want <= OL_PART_GRANULE_ROWS);
            CHECK_EQ_INT(covering, 1);
            collected_t c = {0};
            CHECK_EQ_INT(ol_part_spans_trace(po, f.specs[t].trace, a, collect, &c, &err), OL_OK);
            CHECK_EQ_INT(c.n, want);
            free(c.spans);
            ol_arena_reset(a);
        }
        ol_part_close(po);
        ol_part_close(pr);
        for (size_t j = 0; j < k; j++) ol_part_close(ps[j]);
    }
    /* one input, and none */
    ol_part_t *one = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, ref_path, &one, &err), OL_OK);
    const char *out = tmp_path("merged1.olp");
    unlink(out);
    CHECK_EQ_INT(ol_part_merge_spans(NULL, out, 100, 5, &one, 1, NULL, &err), OL_OK);
    CHECK(files_equal(out, ref_path));
    ol_part_close(one);
    unlink(out);
    CHECK_EQ_INT(ol_part_merge_spans(NULL, out, 1, 0, NULL, 0, &out_info, &err), OL_OK);
    CHECK_EQ_INT(out_info.rows, 0);
    CHECK_EQ_INT(open_verify(out, &err), OL_OK);
    ol_arena_destroy(a);
    free(all);
    merge_fixture_free(&f);
}

/* An io that counts reads and samples the store's and arenas' memory at each. */
static long g_reads;
static int64_t g_peak_mem;
static ssize_t counting_pread(const ol_io_t *io, int fd, void *p, size_t n, uint64_t off)
{
    g_reads++;
    int64_t m = ol_mem_in_use(OL_MEM_STORE) + ol_mem_in_use(OL_MEM_CORE);
    if (m > g_peak_mem) g_peak_mem = m;
    return ol_io_posix()->pread(io, fd, p, n, off);
}

static const ol_io_t *counting_io(void)
{
    static ol_io_t io;
    io = *ol_io_posix();
    io.pread = counting_pread;
    return &io;
}

static void test_merge_memory_bounded(void)
{
    /* Two merges of 3 inputs of full granules, one with 3 times the rows of
     * the other: the peak memory while merging grows by much less than the
     * rows' size (only the compressed output the builder keeps grows). */
    int64_t peak[2] = {0, 0};
    uint64_t raw[2] = {0, 0};
    size_t traces[2] = {3000, 9000};
    for (int r = 0; r < 2; r++) {
        merge_fixture_t f;
        if (!merge_fixture_init_attrs(&f, traces[r], 0, 2)) return;
        ol_part_t *ps[3];
        if (!write_inputs_io(&f, 3, "mem", ps, counting_io())) {
            merge_fixture_free(&f);
            return;
        }
        /* the fixture's request and decoded spans are not the merge's: drop them first */
        for (size_t i = 0; i < f.batch.n_spans; i++) raw[r] += f.batch.spans[i].raw.len;
        merge_fixture_free(&f);
        const char *out = tmp_path("mem-merged.olp");
        unlink(out);
        ol_err_t err = {0};
        ol_part_info_t info;
        int64_t base = ol_mem_in_use(OL_MEM_STORE) + ol_mem_in_use(OL_MEM_CORE);
        g_peak_mem = 0;
        CHECK_EQ_INT(ol_part_merge_spans(counting_io(), out, 1, 0, ps, 3, &info, &err), OL_OK);
        peak[r] = g_peak_mem - base;
        CHECK_EQ_INT(ol_mem_in_use(OL_MEM_STORE) + ol_mem_in_use(OL_MEM_CORE), base);
        CHECK(info.granules >= (r ? 12u : 4u));
        for (size_t j = 0; j < 3; j++) ol_part_close(ps[j]);
    }
    fprintf(stderr, "  merge peak memory: %lld bytes for %llu bytes of spans, %lld for %llu\n", (long long)peak[0],
            (unsigned long long)raw[0], (long long)peak[1], (unsigned long long)raw[1]);
    CHECK(raw[1] > 2 * raw[0]);
    CHECK(peak[1] - peak[0] < (int64_t)(raw[1] - raw[0]) / 4);
}

static void test_merge_corrupt_input(void)
{
    merge_fixture_t f;
    if (!merge_fixture_init(&f, 1500, 0)) return;
    ol_part_t *ps[2];
    if (!write_inputs(&f, 2, "dmg", ps)) {
        merge_fixture_free(&f);
        return;
    }
    ol_err_t err = {0};
    CHECK(ol_part_info(ps[1])->granules >= 2);
    size_t n = 0;
    unsigned char *b = read_file(ol_part_path(ps[1]), &n);
    const char *damaged = tmp_path("dmg-damaged.olp");
    char damaged_path[512];
    snprintf(damaged_path, sizeof damaged_path, "%s", damaged);
    const char *out = tmp_path("dmg-merged.olp");
    /* damage at the start (granule 0) and in the middle (a later granule): both refused, no output */
    size_t at[2] = {50, n / 2};
    for (int k = 0; k < 2 && b; k++) {
        b[at[k]] ^= 0x5a;
        write_file(damaged_path, b, n);
        b[at[k]] ^= 0x5a;
        ol_part_t *bad = NULL;
        CHECK_EQ_INT(ol_part_open(NULL, damaged_path, &bad, &err), OL_OK);
        if (!bad) continue;
        ol_part_t *in[2] = {ps[0], bad};
        unlink(out);
        err.msg[0] = 0;
        CHECK_EQ_INT(ol_part_merge_spans(NULL, out, 9, 0, in, 2, NULL, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, damaged_path) != NULL);
        CHECK(access(out, F_OK) != 0);
        ol_part_close(bad);
    }
    free(b);
    /* a logs part is not merged with traces */
    ol_part_builder_t *lb = ol_part_builder_new(OL_SIGNAL_LOGS, 3, 3);
    const char *logs = tmp_path("dmg-logs.olp");
    char logs_path[512];
    snprintf(logs_path, sizeof logs_path, "%s", logs);
    unlink(logs_path);
    CHECK_EQ_INT(ol_part_builder_finish(lb, NULL, logs_path, 0, NULL, &err), OL_OK);
    ol_part_builder_free(lb);
    ol_part_t *lp = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, logs_path, &lp, &err), OL_OK);
    if (lp) {
        ol_part_t *in[2] = {ps[0], lp};
        unlink(out);
        CHECK_EQ_INT(ol_part_merge_spans(NULL, out, 9, 0, in, 2, NULL, &err), OL_ERR);
        CHECK(access(out, F_OK) != 0);
        ol_part_close(lp);
    }
    /* allocation failures anywhere: an error, never a crash, a leak or a file */
    int64_t base = ol_mem_in_use(OL_MEM_STORE) + ol_mem_in_use(OL_MEM_CORE);
    size_t failed = 0, left = 0;
    for (long k = 1; k < 4000; k += 7) {
        unlink(out);
        ol_alloc_fail_after(k);
        int rc = ol_part_merge_spans(NULL, out, 9, 0, ps, 2, NULL, &err);
        ol_alloc_fail_after(0);
        if (rc == OL_OK) break;
        failed++;
        left += access(out, F_OK) == 0;
        if (ol_mem_in_use(OL_MEM_STORE) + ol_mem_in_use(OL_MEM_CORE) != base) {
            fprintf(stderr, "  leak after failing allocation %ld\n", k);
            CHECK(false);
            break;
        }
    }
    CHECK(failed > 10);
    CHECK_EQ_INT(left, 0);
    for (size_t j = 0; j < 2; j++) ol_part_close(ps[j]);
    merge_fixture_free(&f);
}

/* ---- The services table ---- */

typedef struct svc_list {
    char pairs[64][80];
    size_t n;
} svc_list_t;

static int svc_collect(void *ud, ol_slice_t service, ol_slice_t name)
{
    svc_list_t *l = ud;
    if (l->n < 64)
        snprintf(l->pairs[l->n++], sizeof l->pairs[0], "%.*s/%.*s", (int)service.len, (const char *)service.ptr,
                 (int)name.len, (const char *)name.ptr);
    return OL_OK;
}

static int svc_stop(void *ud, ol_slice_t service, ol_slice_t name)
{
    ++*(int *)ud;
    return 1;
}

static void test_services_table(void)
{
    size_t sizes[] = {3, 4, 5};
    size_t n = 0;
    span_spec_t *specs = make_specs(3, sizes, false, &n);
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    build_request(&req, specs, n, 2);
    /* and a resource without service.name */
    ol_buf_t rs, ss;
    ol_buf_init(&rs, OL_MEM_CORE, 0);
    ol_buf_init(&ss, OL_MEM_CORE, 0);
    span_spec_t lone = specs[0];
    lone.span[0] ^= 0x77;
    lone.name = "orphan op";
    put_span(&ss, &lone, 1);
    put_msg(&rs, 2, &ss);
    put_msg(&req, 1, &rs);
    ol_buf_free(&rs);
    ol_buf_free(&ss);
    ol_arena_t *a = ol_arena_create(1 << 16, 0);
    ol_otlp_batch_t batch;
    ol_err_t err = {0};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&req), a, &batch, &err), OL_OK);
    const ol_otlp_span_t **in = malloc(batch.n_spans * sizeof *in);
    for (size_t i = 0; i < batch.n_spans; i++) in[i] = &batch.spans[i];
    const char *path = tmp_path("services.olp");
    unlink(path);
    CHECK_EQ_INT(ol_part_write_spans(NULL, path, 1, 0, in, batch.n_spans, NULL, &err), OL_OK);
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(NULL, path, &p, &err), OL_OK);
    if (p) {
        CHECK_EQ_INT(ol_part_verify(p, &err), OL_OK);
        svc_list_t l = {0};
        CHECK_EQ_INT(ol_part_spans_services(p, svc_collect, &l, &err), OL_OK);
        /* spans of svc-0 are the even ones (names cycle "GET /api/cart", "SELECT orders", "") */
        static const char *const want[] = {"svc-0/", "svc-0/GET /api/cart", "svc-0/SELECT orders", "svc-1/",
                                           "svc-1/GET /api/cart", "svc-1/SELECT orders", "unknown_service/orphan op"};
        CHECK_EQ_INT(l.n, OL_ARRAY_LEN(want));
        for (size_t i = 0; i < l.n && i < OL_ARRAY_LEN(want); i++) {
            if (strcmp(l.pairs[i], want[i]) != 0) fprintf(stderr, "  pair %zu: %s, want %s\n", i, l.pairs[i], want[i]);
            CHECK(strcmp(l.pairs[i], want[i]) == 0);
        }
        int calls = 0;
        CHECK_EQ_INT(ol_part_spans_services(p, svc_stop, &calls, &err), OL_OK);
        CHECK_EQ_INT(calls, 1);
        CHECK(ol_part_spans_has_service(p, OL_SLICE_LIT("svc-0")));
        CHECK(ol_part_spans_has_service(p, OL_SLICE_LIT("svc-1")));
        CHECK(ol_part_spans_has_service(p, OL_SLICE_LIT("unknown_service")));
        CHECK(!ol_part_spans_has_service(p, OL_SLICE_LIT("svc-2")));
        CHECK(!ol_part_spans_has_service(p, OL_SLICE_LIT("svc-")));
        CHECK(!ol_part_spans_has_service(p, OL_SLICE_NULL));
        ol_part_close(p);
    }
    /* a part without the table (an older writer), and one whose table is damaged */
    for (int k = 0; k < 2; k++) {
        ol_part_builder_t *b = ol_part_builder_new(OL_SIGNAL_TRACES, 2, 3);
        if (k) ol_part_builder_table(b, OL_SLICE_LIT("services"), OL_SLICE_LIT("\x02\x03svc\x05"));
        const char *old = tmp_path("old.olp");
        unlink(old);
        CHECK_EQ_INT(ol_part_builder_finish(b, NULL, old, 0, NULL, &err), OL_OK);
        ol_part_builder_free(b);
        p = NULL;
        CHECK_EQ_INT(ol_part_open(NULL, old, &p, &err), OL_OK);
        if (!p) continue;
        svc_list_t l = {0};
        CHECK_EQ_INT(ol_part_spans_services(p, svc_collect, &l, &err), k ? OL_CORRUPT : OL_OK);
        CHECK_EQ_INT(l.n, 0);
        CHECK(ol_part_spans_has_service(p, OL_SLICE_LIT("anything")));
        ol_part_close(p);
    }
    free(in);
    ol_arena_destroy(a);
    ol_buf_free(&req);
    free(specs);
}

/* A lookup by trace id reads the granules whose range holds the id, nothing else. */
static void test_trace_lookup_reads(void)
{
    ol_err_t err = {0};
    ol_part_t *p = NULL;
    CHECK_EQ_INT(ol_part_open(counting_io(), tmp_path("ref.olp"), &p, &err), OL_OK);
    if (!p) return;
    uint32_t ng = ol_part_info(p)->granules;
    CHECK(ng >= 4);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    for (uint32_t g = 0; g < ng; g++) {
        const ol_part_granule_info_t *gi = ol_part_granule(p, g);
        /* a trace id inside this granule only (its last trace, unless it continues in the next granule) */
        bool shared = g + 1 < ng && memcmp(ol_part_granule(p, g + 1)->first_trace_id, gi->last_trace_id, 16) == 0;
        if (shared || (g && memcmp(ol_part_granule(p, g - 1)->last_trace_id, gi->last_trace_id, 16) == 0)) continue;
        g_reads = 0;
        collected_t c = {0};
        CHECK_EQ_INT(ol_part_spans_trace(p, gi->last_trace_id, a, collect, &c, &err), OL_OK);
        /* every column of the granule but the r:<key> ones, which only searches read */
        ol_slice_t names[256];
        size_t n_cols = ol_part_columns(p, g, names, 256), want = 0;
        for (size_t k = 0; k < n_cols && k < 256; k++) want += !(names[k].len > 2 && !memcmp(names[k].ptr, "r:", 2));
        CHECK_EQ_INT(g_reads, want);
        free(c.spans);
        ol_arena_reset(a);
    }
    /* ids before, between and after the granules' ranges read nothing */
    uint8_t lo[16] = {0}, hi[16];
    memset(hi, 0xff, 16);
    g_reads = 0;
    CHECK_EQ_INT(ol_part_spans_trace(p, lo, a, collect, &(collected_t){0}, &err), OL_NOTFOUND);
    CHECK_EQ_INT(ol_part_spans_trace(p, hi, a, collect, &(collected_t){0}, &err), OL_NOTFOUND);
    for (uint32_t g = 0; g + 1 < ng; g++) {
        uint8_t mid[16];
        memcpy(mid, ol_part_granule(p, g)->last_trace_id, 16);
        for (int i = 15; i >= 0 && ++mid[i] == 0; i--) continue; /* the next id up */
        if (memcmp(mid, ol_part_granule(p, g + 1)->first_trace_id, 16) < 0)
            CHECK_EQ_INT(ol_part_spans_trace(p, mid, a, collect, &(collected_t){0}, &err), OL_NOTFOUND);
    }
    CHECK_EQ_INT(g_reads, 0);
    ol_arena_destroy(a);
    ol_part_close(p);
}

/* With OL_PART_CORPUS_OUT=<dir>, writes seeds for tests/fuzz/fuzz_part.c:
 * whole parts (first byte odd) and the fixture's granule as streams (even). */
static void write_corpus(void)
{
    const char *dir = getenv("OL_PART_CORPUS_OUT");
    if (!dir) return;
    static const char *const cols[] = {"trace_id", "span_id", "parent", "start", "duration", "name", "kind",
                                       "status_code", "status_message", "trace_state", "present", "flags", "resource",
                                       "scope", "dropped", "events", "links", "extra", "attr_keys", "attrs", "a:http.route"};
    static const char *const tables[] = {"resources", "scopes", "keys"};
    const char *parts[] = {"fixture.olp", "synthetic.olp"};
    char out[600];
    for (size_t k = 0; k < 2; k++) {
        size_t n = 0;
        unsigned char *b = read_file(tmp_path(parts[k]), &n);
        if (!b) continue;
        unsigned char *seed = malloc(n + 1);
        seed[0] = 1;
        memcpy(seed + 1, b, n);
        snprintf(out, sizeof out, "%s/whole-%zu", dir, k);
        write_file(out, seed, n + 1);
        free(seed);
        free(b);
        ol_part_t *p = NULL;
        ol_err_t err = {0};
        if (ol_part_open(NULL, tmp_path(parts[k]), &p, &err)) continue;
        ol_buf_t s, col;
        ol_buf_init(&s, OL_MEM_CORE, 0);
        ol_buf_init(&col, OL_MEM_CORE, 0);
        ol_buf_append_u8(&s, 0);
        ol_buf_append_u8(&s, (uint8_t)ol_part_granule(p, 0)->rows);
        for (size_t i = 0; i < OL_ARRAY_LEN(cols) + OL_ARRAY_LEN(tables); i++) {
            ol_buf_reset(&col);
            ol_slice_t t = OL_SLICE_NULL;
            if (i < OL_ARRAY_LEN(cols)) ol_part_read_column(p, 0, ol_slice_cstr(cols[i]), &col, &err);
            else ol_part_table(p, ol_slice_cstr(tables[i - OL_ARRAY_LEN(cols)]), &t);
            if (t.len) ol_buf_append_slice(&col, t);
            if (col.len > 65535) col.len = 65535;
            uint8_t len[2] = {(uint8_t)col.len, (uint8_t)(col.len >> 8)};
            ol_buf_append(&s, len, 2);
            ol_buf_append(&s, col.data, col.len);
        }
        snprintf(out, sizeof out, "%s/streams-%zu", dir, k);
        write_file(out, s.data, s.len);
        ol_buf_free(&s);
        ol_buf_free(&col);
        ol_part_close(p);
    }
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-part-%d", (int)getpid());
    mkdir(g_dir, 0755);
    RUN(test_fixtures);
    RUN(test_synthetic_every_field);
    RUN(test_large_traces_and_duplicates);
    RUN(test_corruption);
    RUN(test_existing_file_not_overwritten);
    RUN(test_merge_equals_write);
    RUN(test_trace_lookup_reads);
    RUN(test_merge_memory_bounded);
    RUN(test_merge_corrupt_input);
    RUN(test_services_table);
    write_corpus();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return TEST_REPORT();
}
