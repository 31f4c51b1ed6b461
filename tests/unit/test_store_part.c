/*
 * test_store_part.c - traces parts: the spans the JS SDK sent (fixtures) and
 * synthetic spans with every field come back byte for byte; traces larger
 * than a granule, duplicates, attribute promotion; and every kind of damage
 * (flipped bytes, truncation) is refused with OL_CORRUPT, never misread.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
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
    write_corpus();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return TEST_REPORT();
}
