/*
 * test_pipeline_correlate.c - correlation ids (src/pipeline/correlate*.c).
 *
 *   - the id rules, one table of good and hostile ids (too long, control
 *     characters, non-UTF-8, spaces, only punctuation, empty, fake and
 *     malformed olly- ids, olly- ids from the future or before 2000);
 *   - the generated form and the hash, pinned to the vectors of
 *     docs/correlation.md;
 *   - sanitising: a rejected id is cut out of the raw bytes with every other
 *     byte as received, a trace-less log record gets the deterministic
 *     replacement in its place, valid ids leave the item untouched (not even
 *     copied), counters per reason; and nothing hostile reaches the store;
 *   - the index: LRU eviction, deletion keeps every other id reachable, the
 *     per-id bound, the file surviving a reopen, a torn tail, a damaged
 *     record, a damaged header, a record with a good CRC and an unknown
 *     entry (skipped, the file kept aside), compaction;
 *   - root hints: lookup by (second, hash), dedup, the ring reusing the
 *     oldest, kept across a reopen, and the same answer from a processor
 *     without them (which searches the store);
 *   - lookups over a real store: explicit ids across traces and trace-less
 *     logs; generated ids of traces whose spans came in separate batches
 *     and lie in separate parts and the head, agreeing with an independent
 *     computation and across two stores holding the same trace; logs that
 *     arrived before and after their trace; exemplar-linked metric points;
 *     the merged timeline in time order; 400 and 404 cases.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/log.h"
#include "core/util.h"
#include "pipeline/correlate.h"
#include "pipeline/correlate_int.h"
#include "store/store.h"
#include "test.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define T0_S 1700000000ull /* "s44we8" in base 36 */
#define T0 (T0_S * SEC)
#define NOW_S (T0_S + 3600)

/* ---- builders ---- */

typedef struct kv {
    const char *k, *v;
    int kind; /* 0 string, 1 int (v is decimal), 2 bool true */
} kv_t;

static void put_str(ol_buf_t *b, uint32_t f, const char *s) { ol_pb_put_bytes(b, f, ol_slice_cstr(s)); }

static void put_kv(ol_buf_t *b, uint32_t field, const kv_t *a)
{
    size_t kv = ol_pb_begin(b, field);
    put_str(b, 1, a->k);
    size_t av = ol_pb_begin(b, 2);
    if (a->kind == 0) put_str(b, 1, a->v);
    else if (a->kind == 1) ol_pb_put_uint(b, 3, (uint64_t)atoll(a->v));
    else ol_pb_put_uint(b, 2, 1);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

/* A KeyValue field with minimal lengths, as the sanitiser writes its replacement. */
static void put_kv_min(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    size_t kl = strlen(k), vl = strlen(v);
    ol_pb_put_tag(b, field, OL_PB_LEN);
    ol_pb_put_varint(b, 2 + kl + 2 + 2 + vl);
    ol_pb_put_tag(b, 1, OL_PB_LEN);
    ol_pb_put_varint(b, kl);
    ol_buf_append(b, k, kl);
    ol_pb_put_tag(b, 2, OL_PB_LEN);
    ol_pb_put_varint(b, 2 + vl);
    ol_pb_put_tag(b, 1, OL_PB_LEN);
    ol_pb_put_varint(b, vl);
    ol_buf_append(b, v, vl);
}

static void tid_of(uint8_t out[16], uint8_t v)
{
    for (int i = 0; i < 16; i++) out[i] = (uint8_t)(v * 17 + i * 31 + 1);
}

typedef struct span_def {
    uint8_t tid, sid, parent;
    const char *service, *name;
    uint64_t start, end;
    kv_t attrs[4];
    size_t n_attrs;
} span_def_t;

/* The Span's fields (what its raw view holds). */
static void span_body(ol_buf_t *b, const span_def_t *d)
{
    uint8_t id[16];
    tid_of(id, d->tid);
    ol_pb_put_bytes(b, 1, ol_slice(id, 16));
    uint8_t sid[8] = {0, 0, 0, 0, 0, 0, d->tid, d->sid};
    ol_pb_put_bytes(b, 2, ol_slice(sid, 8));
    if (d->parent) {
        uint8_t pid[8] = {0, 0, 0, 0, 0, 0, d->tid, d->parent};
        ol_pb_put_bytes(b, 4, ol_slice(pid, 8));
    }
    put_str(b, 5, d->name);
    ol_pb_put_uint(b, 6, d->parent ? 3 : 2);
    ol_pb_put_fixed64(b, 7, d->start);
    ol_pb_put_fixed64(b, 8, d->end);
    for (size_t i = 0; i < d->n_attrs; i++) put_kv(b, 9, &d->attrs[i]);
    ol_pb_put_uint(b, 10, 0); /* dropped_attributes_count, after the attributes */
}

static void resource_scope(ol_buf_t *b, const char *service, size_t *rm, size_t *sm)
{
    *rm = ol_pb_begin(b, 1);
    size_t r = ol_pb_begin(b, 1);
    put_kv(b, 1, &(kv_t){"service.name", service, 0});
    ol_pb_end(b, r);
    *sm = ol_pb_begin(b, 2);
    size_t sc = ol_pb_begin(b, 1);
    put_str(b, 1, "test");
    ol_pb_end(b, sc);
}

static void build_spans(ol_buf_t *b, const span_def_t *d, size_t n)
{
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_CORE, 0);
    for (size_t i = 0; i < n; i++) {
        size_t rm, sm;
        resource_scope(b, d[i].service, &rm, &sm);
        ol_buf_reset(&body);
        span_body(&body, &d[i]);
        ol_pb_put_bytes(b, 2, ol_buf_slice(&body));
        ol_pb_end(b, sm);
        ol_pb_end(b, rm);
    }
    ol_buf_free(&body);
}

typedef struct log_def {
    const char *service;
    uint64_t time;
    uint8_t tid; /* 0 = none */
    const char *body;
    kv_t attrs[3];
    size_t n_attrs;
} log_def_t;

static void log_body(ol_buf_t *b, const log_def_t *d, const kv_t *replaced_at, const char *replacement)
{
    if (d->time) ol_pb_put_fixed64(b, 1, d->time);
    ol_pb_put_uint(b, 2, 9);
    put_str(b, 3, "INFO");
    size_t body = ol_pb_begin(b, 5);
    put_str(b, 1, d->body);
    ol_pb_end(b, body);
    for (size_t i = 0; i < d->n_attrs; i++) {
        if (replaced_at == &d->attrs[i]) put_kv_min(b, 6, d->attrs[i].k, replacement);
        else put_kv(b, 6, &d->attrs[i]);
    }
    if (d->tid) {
        uint8_t id[16];
        tid_of(id, d->tid);
        ol_pb_put_bytes(b, 9, ol_slice(id, 16));
        uint8_t sid[8] = {0, 0, 0, 0, 0, 0, d->tid, 1};
        ol_pb_put_bytes(b, 10, ol_slice(sid, 8));
    }
    ol_pb_put_fixed64(b, 11, d->time ? d->time + MS : 0);
}

static void build_logs(ol_buf_t *b, const log_def_t *d, size_t n)
{
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_CORE, 0);
    for (size_t i = 0; i < n; i++) {
        size_t rm, sm;
        resource_scope(b, d[i].service, &rm, &sm);
        ol_buf_reset(&body);
        log_body(&body, &d[i], NULL, NULL);
        ol_pb_put_bytes(b, 2, ol_buf_slice(&body));
        ol_pb_end(b, sm);
        ol_pb_end(b, rm);
    }
    ol_buf_free(&body);
}

/* A gauge with one point whose exemplar points at (tid, span 1). */
static void build_metric(ol_buf_t *b, const char *name, uint64_t t, double v, uint8_t tid)
{
    size_t rm, sm;
    resource_scope(b, "frontend", &rm, &sm);
    size_t m = ol_pb_begin(b, 2);
    put_str(b, 1, name);
    size_t g = ol_pb_begin(b, 5);
    size_t p = ol_pb_begin(b, 1);
    ol_pb_put_fixed64(b, 3, t);
    ol_pb_put_double(b, 4, v);
    size_t ex = ol_pb_begin(b, 5);
    ol_pb_put_fixed64(b, 2, t - 5 * MS);
    ol_pb_put_double(b, 3, v);
    uint8_t sid[8] = {0, 0, 0, 0, 0, 0, tid, 1};
    ol_pb_put_bytes(b, 4, ol_slice(sid, 8));
    uint8_t id[16];
    tid_of(id, tid);
    ol_pb_put_bytes(b, 5, ol_slice(id, 16));
    ol_pb_end(b, ex);
    ol_pb_end(b, p);
    ol_pb_end(b, g);
    ol_pb_end(b, m);
    ol_pb_end(b, sm);
    ol_pb_end(b, rm);
}

/* ---- a store with the processor in front, as ingest runs it ---- */

typedef struct env {
    char dir[64];
    ol_store_t *s;
    ol_correlate_t *c;
    ol_buf_t out;
} env_t;

static bool env_open(env_t *e, bool fresh, uint64_t max_ids)
{
    if (fresh) {
        snprintf(e->dir, sizeof e->dir, "/tmp/olly-test-corr-XXXXXX");
        if (!mkdtemp(e->dir)) return false;
    }
    ol_store_options_t o = {.dir = e->dir, .fsync = OL_FSYNC_NEVER};
    ol_err_t err;
    if (ol_store_open(&o, &e->s, &err) != OL_OK || ol_store_replay(e->s) != OL_OK) return false;
    ol_correlate_options_t co = {.dir = e->dir, .max_ids = max_ids};
    if (ol_correlate_create(&co, e->s, &e->c, &err) != OL_OK) {
        fprintf(stderr, "  correlate_create: %s\n", err.msg);
        return false;
    }
    e->c->now_s = NOW_S;
    ol_buf_init(&e->out, OL_MEM_CORE, 0);
    return true;
}

static void env_close(env_t *e, bool remove_dir)
{
    ol_correlate_destroy(e->c);
    ol_store_close(e->s);
    ol_buf_free(&e->out);
    e->c = NULL;
    e->s = NULL;
    if (remove_dir) ol_test_rm_rf(e->dir);
}

/* Decode, sanitise, append, observe. */
static int env_send(env_t *e, ol_signal_t sig, ol_buf_t *b)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    int rc = ol_otlp_decode(sig, ol_buf_slice(b), a, &batch, &err);
    if (rc == OL_OK) rc = ol_correlate_sanitize(e->c, &batch, a);
    uint8_t dup[64] = {0};
    uint8_t *dups = batch.n_spans <= 64 ? dup : NULL;
    ol_store_append_result_t res = {0};
    if (rc == OL_OK) rc = ol_store_append_dups(e->s, &batch, &res, dups);
    if (rc == OL_OK) ol_correlate_observe(e->c, &batch, dups);
    ol_arena_destroy(a);
    ol_buf_reset(b);
    return rc;
}

static int env_spans(env_t *e, const span_def_t *d, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_spans(&b, d, n);
    int rc = env_send(e, OL_SIGNAL_TRACES, &b);
    ol_buf_free(&b);
    return rc;
}

static int env_logs(env_t *e, const log_def_t *d, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_logs(&b, d, n);
    int rc = env_send(e, OL_SIGNAL_LOGS, &b);
    ol_buf_free(&b);
    return rc;
}

static int env_query(env_t *e, const char *id, bool timeline_only)
{
    ol_buf_reset(&e->out);
    ol_err_t err = {{0}};
    int rc = ol_correlate_query(e->c, ol_slice_cstr(id), timeline_only, &e->out, &err);
    if (rc == OL_OK) {
        /* every answer is well-formed JSON */
        ol_arena_t *a = ol_arena_create(4096, 0);
        ol_json_doc_t doc;
        ol_err_t jerr;
        if (ol_json_parse(ol_buf_slice(&e->out), a, &doc, &jerr) != OL_OK) {
            fprintf(stderr, "  bad JSON (%s): %.*s\n", jerr.msg, (int)e->out.len, (const char *)e->out.data);
            rc = OL_ERR;
        }
        ol_arena_destroy(a);
    }
    return rc;
}

static int count_in(const ol_buf_t *b, const char *s)
{
    int n = 0;
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= b->len; i++)
        if (memcmp(b->data + i, s, k) == 0) n++;
    return n;
}

static long pos_in(const ol_buf_t *b, const char *s)
{
    const void *p = memmem(b->data, b->len, s, strlen(s));
    return p ? (long)((const uint8_t *)p - b->data) : -1;
}

static void hex_of_tid(char out[33], uint8_t v)
{
    uint8_t id[16];
    tid_of(id, v);
    ol_hex_encode(out, id, 16);
    out[32] = 0;
}

static void gen_id_of(char out[OL_CID_GENERATED_MAX + 1], uint8_t v, uint64_t start_ns)
{
    uint8_t id[16];
    tid_of(id, v);
    ol_cid_for_trace(out, id, start_ns);
}

/* ---- id rules ---- */

static void test_id_rules(void)
{
    char long_ok[101], long_bad[102], future[40], past[40], ok_gen[40];
    memset(long_ok, 'a', 100);
    long_ok[100] = 0;
    memset(long_bad, 'a', 101);
    long_bad[101] = 0;
    ol_cid_format_generated(future, NOW_S + OL_CID_FUTURE_SLACK_S + 1, 0x12345678);
    ol_cid_format_generated(past, OL_CID_MIN_SECOND - 1, 0x12345678);
    ol_cid_format_generated(ok_gen, T0_S, 0x0123abcd);
    struct {
        const char *id;
        ol_cid_verdict_t want;
    } cases[] = {
        {"order-42", OL_CID_OK},
        {"a", OL_CID_OK},
        {"7", OL_CID_OK},
        {"A.b_c:D-9", OL_CID_OK},
        {"0af7651916cd43dd8448eb211c80319c", OL_CID_OK},
        {"550e8400-e29b-41d4-a716-446655440000", OL_CID_OK},
        {long_ok, OL_CID_OK},
        {ok_gen, OL_CID_OK},
        {"olly_not-generated", OL_CID_OK},
        {"ollyx-1", OL_CID_OK},
        {"x-olly-s44we8-0123abcd", OL_CID_OK},
        {"", OL_CID_EMPTY},
        {long_bad, OL_CID_TOO_LONG},
        {"has space", OL_CID_BAD_CHAR},
        {"tab\there", OL_CID_BAD_CHAR},
        {"nl\n", OL_CID_BAD_CHAR},
        {"\x01\x02", OL_CID_BAD_CHAR},
        {"del\x7f", OL_CID_BAD_CHAR},
        {"\xff\xfe", OL_CID_BAD_CHAR},
        {"caf\xc3\xa9", OL_CID_BAD_CHAR}, /* valid UTF-8, outside the set */
        {"a/b", OL_CID_BAD_CHAR},
        {"../etc", OL_CID_BAD_CHAR},
        {"..", OL_CID_BAD_CHAR},
        {"-", OL_CID_BAD_CHAR},
        {"._:-", OL_CID_BAD_CHAR},
        {"<script>", OL_CID_BAD_CHAR},
        {"a\"b", OL_CID_BAD_CHAR},
        {"x'; DROP TABLE", OL_CID_BAD_CHAR},
        {"olly-", OL_CID_BAD_GENERATED},
        {"olly-abc", OL_CID_BAD_GENERATED},
        {"olly-s44we8", OL_CID_BAD_GENERATED},
        {"olly-s44we8-", OL_CID_BAD_GENERATED},
        {"olly-s44we8-0123abc", OL_CID_BAD_GENERATED},    /* 7 hex */
        {"olly-s44we8-0123abcde", OL_CID_BAD_GENERATED},  /* 9 hex */
        {"olly-s44we8-0123ABCD", OL_CID_BAD_GENERATED},   /* upper-case hex */
        {"olly-s44we8-0123abcg", OL_CID_BAD_GENERATED},
        {"olly-S44WE8-0123abcd", OL_CID_BAD_GENERATED},   /* upper-case base 36 */
        {"olly-0s44we8-0123abcd", OL_CID_BAD_GENERATED},  /* leading zero */
        {"olly--0123abcd", OL_CID_BAD_GENERATED},
        {"olly-s44:we8-0123abcd", OL_CID_BAD_GENERATED},
        {"olly-s44we8-0123abcd-x", OL_CID_BAD_GENERATED},
        {"OLLY-s44we8-0123abcd", OL_CID_BAD_GENERATED},   /* claims it in another case */
        {"Olly-anything", OL_CID_BAD_GENERATED},
        {"olly-0-0123abcd", OL_CID_BAD_GENERATED},        /* 1970 */
        {"olly-zzzzzzzzzzzzzz-0123abcd", OL_CID_BAD_GENERATED},
        {future, OL_CID_BAD_GENERATED},
        {past, OL_CID_BAD_GENERATED},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        ol_cid_verdict_t v = ol_cid_check(ol_slice_cstr(cases[i].id), NOW_S);
        if (v != cases[i].want)
            fprintf(stderr, "  id %zu \"%s\": got %s, want %s\n", i, cases[i].id, ol_cid_reason(v),
                    ol_cid_reason(cases[i].want));
        CHECK(v == cases[i].want);
    }
    /* the bounds themselves */
    ol_cid_format_generated(future, NOW_S + OL_CID_FUTURE_SLACK_S, 1);
    CHECK(ol_cid_check(ol_slice_cstr(future), NOW_S) == OL_CID_OK);
    ol_cid_format_generated(past, OL_CID_MIN_SECOND, 1);
    CHECK(ol_cid_check(ol_slice_cstr(past), NOW_S) == OL_CID_OK);
    /* an embedded NUL */
    CHECK(ol_cid_check(ol_slice("ab\0cd", 5), NOW_S) == OL_CID_BAD_CHAR);
}

static void test_generated_form(void)
{
    char out[OL_CID_GENERATED_MAX + 1];
    /* vectors of docs/correlation.md */
    CHECK(ol_cid_hash64("", 0) == 0xf52a15e9a9b5e89bull);
    CHECK(ol_cid_hash64("order-42", 8) == 0x586d07f28908894full);
    uint8_t tid[16];
    CHECK_EQ_INT(ol_hex_decode(tid, 16, "0af7651916cd43dd8448eb211c80319c", 32), 16);
    CHECK(ol_cid_hash64(tid, 16) == 0xf6afa5a7b7284da0ull);
    size_t n = ol_cid_for_trace(out, tid, T0 + 999999999);
    CHECK_EQ_INT(n, strlen("olly-s44we8-f6afa5a7"));
    CHECK(strcmp(out, "olly-s44we8-f6afa5a7") == 0);
    for (int i = 0; i < 16; i++) tid[i] = (uint8_t)(i + 1);
    ol_cid_for_trace(out, tid, 1763769600ull * SEC);
    CHECK(strcmp(out, "olly-t63pc0-267fb309") == 0);
    ol_cid_format_generated(out, OL_CID_MIN_SECOND, 0);
    CHECK(strcmp(out, "olly-fnmqo0-00000000") == 0);
    ol_cid_format_generated(out, 0, 0xffffffffu);
    CHECK(strcmp(out, "olly-0-ffffffff") == 0);
    ol_cid_format_generated(out, UINT64_MAX, 1);
    CHECK_EQ_INT(strlen(out), OL_CID_GENERATED_MAX);
    /* parse is the inverse of format */
    uint64_t s;
    uint32_t h;
    for (uint64_t sec = 0; sec < 5000000000ull; sec = sec * 3 + 7) {
        ol_cid_format_generated(out, sec, (uint32_t)(sec * 2654435761u));
        CHECK(ol_cid_parse_generated(ol_slice_cstr(out), &s, &h));
        CHECK(s == sec && h == (uint32_t)(sec * 2654435761u));
    }
    ol_cid_format_generated(out, UINT64_MAX, 7);
    CHECK(ol_cid_parse_generated(ol_slice_cstr(out), &s, &h) && s == UINT64_MAX && h == 7);
    CHECK(!ol_cid_parse_generated(OL_SLICE_LIT("olly-3w5e11264sgsg-00000000"), &s, &h)); /* 2^64 */
}

/* ---- sanitising ---- */

static void test_sanitize_rewrite(void)
{
    ol_correlate_t *c;
    ol_err_t err;
    CHECK_EQ_INT(ol_correlate_create(NULL, NULL, &c, &err), OL_OK);
    c->now_s = NOW_S;
    /* spans: a bad id among other attributes, a good one, a non-string, a fake olly- */
    span_def_t spans[] = {
        {1, 1, 0, "checkout", "GET /a", T0, T0 + MS, {{"a", "1", 1}, {"correlation_id", "bad id\x01", 0},
                                                     {"b", "keep me", 0}, {"correlation.id", "good-1", 0}}, 4},
        {2, 1, 0, "checkout", "GET /b", T0, T0 + MS, {{"correlation.id", "good-2", 0}, {"x", "y", 0}}, 2},
        {3, 1, 0, "checkout", "GET /c", T0, T0 + MS, {{"correlation_id", "42", 1}}, 1},
        {4, 1, 0, "checkout", "GET /d", T0, T0 + MS, {{"correlation_id", "olly-s44we8-XYZ", 0}, {"k", "v", 2}}, 2},
        {5, 1, 0, "checkout", "GET /e", T0, T0 + MS, {{"other", "correlation_id", 0}}, 1},
    };
    ol_buf_t req, want;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    ol_buf_init(&want, OL_MEM_CORE, 0);
    build_spans(&req, spans, OL_ARRAY_LEN(spans));
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t b;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&req), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_spans, 5);
    ol_slice_t before[5];
    for (int i = 0; i < 5; i++) before[i] = b.spans[i].raw;
    CHECK_EQ_INT(ol_correlate_sanitize(c, &b, a), OL_OK);
    /* span 1: the bad attribute is gone, every other byte is as sent */
    span_def_t w = spans[0];
    w.attrs[1] = w.attrs[2];
    w.attrs[2] = w.attrs[3];
    w.n_attrs = 3;
    span_body(&want, &w);
    CHECK(ol_slice_eq(b.spans[0].raw, ol_buf_slice(&want)));
    CHECK(b.spans[0].raw.ptr != before[0].ptr);
    /* span 2 (valid id) and span 5 (no id attribute) are untouched */
    CHECK(b.spans[1].raw.ptr == before[1].ptr && b.spans[1].raw.len == before[1].len);
    CHECK(b.spans[4].raw.ptr == before[4].ptr && b.spans[4].raw.len == before[4].len);
    /* span 3: a non-string id is cut; span 4: a fake olly- id is cut, the bool kept */
    ol_buf_reset(&want);
    w = spans[2];
    w.n_attrs = 0;
    span_body(&want, &w);
    CHECK(ol_slice_eq(b.spans[2].raw, ol_buf_slice(&want)));
    ol_buf_reset(&want);
    w = spans[3];
    w.attrs[0] = w.attrs[1];
    w.n_attrs = 1;
    span_body(&want, &w);
    CHECK(ol_slice_eq(b.spans[3].raw, ol_buf_slice(&want)));
    /* the rewritten spans still decode to the same views */
    for (int i = 0; i < 5; i++) {
        ol_pb_reader_t r;
        ol_pb_field_value_t f;
        ol_pb_reader_init(&r, b.spans[i].raw);
        int rc;
        while ((rc = ol_pb_next(&r, &f)) == OL_OK) {}
        CHECK_EQ_INT(rc, OL_NOTFOUND);
    }
    ol_arena_destroy(a);

    /* logs: without a trace id a rejected id is replaced in place; with one it is cut */
    log_def_t logs[] = {
        {"worker", T0 + 1500 * MS, 0, "no trace", {{"pre", "1", 0}, {"correlation_id", "evil\x1b[31m", 0}, {"post", "2", 0}}, 3},
        {"worker", T0 + 2 * SEC, 7, "with trace", {{"correlation.id", "\xff\xfe\xfd", 0}, {"post", "2", 0}}, 2},
        {"worker", 0, 0, "no time, no trace", {{"correlation_id", "", 0}}, 1},
        {"worker", T0, 0, "valid", {{"correlation_id", "order-9", 0}}, 1},
    };
    ol_buf_reset(&req);
    build_logs(&req, logs, OL_ARRAY_LEN(logs));
    a = ol_arena_create(4096, 0);
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&req), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_logs, 4);
    ol_slice_t valid_before = b.logs[3].raw;
    CHECK_EQ_INT(ol_correlate_sanitize(c, &b, a), OL_OK);
    char rep[OL_CID_GENERATED_MAX + 1];
    const char *evil = "evil\x1b[31m";
    ol_cid_format_generated(rep, T0_S + 1, ol_cid_hash32(evil, strlen(evil)));
    ol_buf_reset(&want);
    log_body(&want, &logs[0], &logs[0].attrs[1], rep);
    CHECK(ol_slice_eq(b.logs[0].raw, ol_buf_slice(&want)));
    ol_buf_reset(&want);
    log_def_t lw = logs[1];
    lw.attrs[0] = lw.attrs[1];
    lw.n_attrs = 1;
    log_body(&want, &lw, NULL, NULL);
    CHECK(ol_slice_eq(b.logs[1].raw, ol_buf_slice(&want)));
    /* no time at all: the replacement takes the node's clock */
    ol_cid_format_generated(rep, NOW_S, ol_cid_hash32("", 0));
    ol_buf_reset(&want);
    log_body(&want, &logs[2], &logs[2].attrs[0], rep);
    CHECK(ol_slice_eq(b.logs[2].raw, ol_buf_slice(&want)));
    CHECK(b.logs[3].raw.ptr == valid_before.ptr);
    /* deterministic: the same record again gets the same replacement */
    ol_otlp_batch_t b2;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&req), a, &b2, &err), OL_OK);
    CHECK_EQ_INT(ol_correlate_sanitize(c, &b2, a), OL_OK);
    CHECK(ol_slice_eq(b2.logs[0].raw, b.logs[0].raw));
    ol_arena_destroy(a);

    /* counters: bad_char: span 1, log 1, log 2, twice for the re-sent logs; ... */
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_correlate_metrics_text(c, &m);
    CHECK(count_in(&m, "olly_correlation_ids_rejected_total{reason=\"bad_char\"} 5\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_rejected_total{reason=\"not_string\"} 1\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_rejected_total{reason=\"bad_generated\"} 1\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_rejected_total{reason=\"empty\"} 2\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_rejected_total{reason=\"too_long\"} 0\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_replaced_total 4\n") == 1);
    ol_buf_free(&m);
    ol_buf_free(&req);
    ol_buf_free(&want);
    ol_correlate_destroy(c);
}

typedef struct clean_ctx {
    const char *big;
    int items, dirty;
} clean_ctx_t;

static void clean_check(clean_ctx_t *k, ol_slice_t raw)
{
    k->items++;
    if (memmem(raw.ptr, raw.len, k->big, 100) || memmem(raw.ptr, raw.len, "olly-fake", 9) ||
        memmem(raw.ptr, raw.len, "DROP", 4))
        k->dirty++;
}

static int clean_trace_cb(void *ud, const ol_store_trace_t *t)
{
    for (size_t i = 0; i < t->n_spans; i++) clean_check(ud, t->spans[i]->raw);
    return OL_OK;
}

static int clean_log_cb(void *ud, const ol_otlp_log_t *l)
{
    clean_check(ud, l->raw);
    return OL_OK;
}

/* What the store holds of trace 10 and the logs: none of the hostile bytes. */
static void check_clean(env_t *e, const char *big)
{
    clean_ctx_t k = {.big = big};
    uint8_t id[16];
    tid_of(id, 10);
    CHECK_EQ_INT(ol_store_scan_trace(e->s, id, clean_trace_cb, &k), OL_OK);
    CHECK_EQ_INT(ol_store_scan_logs(e->s, 0, UINT64_MAX, clean_log_cb, &k), OL_OK);
    CHECK_EQ_INT(k.items, 3);
    CHECK_EQ_INT(k.dirty, 0);
}

/* Hostile ids never reach the store: the stored items (in the head, then in
 * parts after a reopen) hold none of them; the replacement is indexed and
 * answers. */
static void test_hostile_not_stored(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    char big[300];
    memset(big, 'Z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    span_def_t spans[] = {
        {10, 1, 0, "api", "POST /pay", T0, T0 + 10 * MS, {{"correlation_id", big, 0}}, 1},
        {10, 2, 1, "api", "charge", T0 + MS, T0 + 5 * MS, {{"correlation.id", "olly-fake-ffffffff", 0}}, 1},
    };
    CHECK_EQ_INT(env_spans(&e, spans, 2), OL_OK);
    log_def_t logs[] = {{"api", T0 + 2 * MS, 0, "orphan", {{"correlation_id", "DROP TABLE \x07", 0}}, 1}};
    CHECK_EQ_INT(env_logs(&e, logs, 1), OL_OK);
    check_clean(&e, big);
    env_close(&e, false);
    CHECK(env_open(&e, false, 0)); /* everything now read back from parts */
    check_clean(&e, big);
    /* the orphan log has its replacement */
    char rep[OL_CID_GENERATED_MAX + 1];
    ol_cid_format_generated(rep, T0_S, ol_cid_hash32("DROP TABLE \x07", 12));
    CHECK_EQ_INT(env_query(&e, rep, false), OL_OK);
    CHECK(count_in(&e.out, "\"body\":\"orphan\"") == 2); /* logs and timeline */
    CHECK(count_in(&e.out, "\"traces\":[]") == 1);
    /* the trace has no valid id left: it answers to its generated id */
    char gen[OL_CID_GENERATED_MAX + 1];
    gen_id_of(gen, 10, T0);
    CHECK_EQ_INT(env_query(&e, gen, false), OL_OK);
    CHECK(count_in(&e.out, "\"spanCount\":2") == 1);
    env_close(&e, true);
}

/* ---- the index ---- */

static void test_index_memory(void)
{
    ol_cix_t x;
    ol_cix_init(&x, 1000);
    char id[32];
    ol_cix_ref_t r = {{1}, T0};
    /* 3000 ids through a 1000-id index: the last 1000 remain, all reachable */
    uint64_t created = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        r.trace_id[1] = (uint8_t)i;
        CHECK_EQ_INT(ol_cix_add(&x, ol_slice_cstr(id), &r), 1);
        created++;
        if (i % 7 == 0) { /* extend an older one: it becomes recent (or comes back) */
            snprintf(id, sizeof id, "id-%d", i / 2);
            created += ol_cix_get(&x, ol_slice_cstr(id)) == NULL;
            ol_cix_add(&x, ol_slice_cstr(id), &(ol_cix_ref_t){{2, (uint8_t)i}, T0});
        }
    }
    CHECK_EQ_INT(x.n, 1000);
    int live = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        ol_cix_entry_t *e = ol_cix_get(&x, ol_slice_cstr(id));
        live += e != NULL;
        if (i >= 2500) CHECK(e != NULL); /* the newest are never the least recent */
    }
    CHECK_EQ_INT(live, 1000);
    size_t walk = 0;
    for (ol_cix_entry_t *e = x.lru_head; e; e = e->lru_next) walk++;
    CHECK_EQ_INT(walk, 1000);
    CHECK(x.evicted == created - 1000);
    /* refs: duplicates are not added, time refs are per second, the bound holds */
    ol_cix_t y;
    ol_cix_init(&y, 10);
    ol_slice_t k = OL_SLICE_LIT("flow");
    ol_cix_ref_t t1 = {{9}, T0}, tm = {{0}, T0 + 100};
    CHECK_EQ_INT(ol_cix_add(&y, k, &t1), 1);
    t1.time_ns += SEC;
    CHECK_EQ_INT(ol_cix_add(&y, k, &t1), 0);
    CHECK_EQ_INT(ol_cix_add(&y, k, &tm), 1);
    tm.time_ns = T0 + 999 * MS;
    CHECK_EQ_INT(ol_cix_add(&y, k, &tm), 0);
    tm.time_ns = T0 + SEC;
    CHECK_EQ_INT(ol_cix_add(&y, k, &tm), 1);
    ol_cix_entry_t *e = ol_cix_get(&y, k);
    CHECK(e && e->n_refs == 3 && e->refs[1].time_ns == T0);
    for (int i = 0; i < OL_CIX_MAX_REFS + 10; i++) {
        ol_cix_ref_t r2 = {{7, (uint8_t)i, (uint8_t)(i >> 8)}, T0};
        ol_cix_add(&y, k, &r2);
    }
    CHECK(e->n_refs == OL_CIX_MAX_REFS && y.refs_dropped > 0);
    ol_cix_free(&x);
    ol_cix_free(&y);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void index_path(char *out, size_t n, const env_t *e) { snprintf(out, n, "%s/correlation.idx", e->dir); }

static int query_rc(env_t *e, const char *id) { return env_query(e, id, false); }

static void test_index_reopen(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    span_def_t spans[] = {
        {20, 1, 0, "shop", "checkout", T0, T0 + 50 * MS, {{"correlation_id", "order-1", 0}}, 1},
        {21, 1, 0, "shop", "retry", T0 + SEC, T0 + SEC + 5 * MS, {{"correlation_id", "order-1", 0}}, 1},
        {22, 1, 0, "shop", "other", T0 + SEC, T0 + SEC + 5 * MS, {{"correlation.id", "order-2", 0}}, 1},
    };
    CHECK_EQ_INT(env_spans(&e, spans, 3), OL_OK);
    log_def_t logs[] = {{"mailer", T0 + 3 * SEC, 0, "mail sent", {{"correlation_id", "order-1", 0}}, 1}};
    CHECK_EQ_INT(env_logs(&e, logs, 1), OL_OK);
    CHECK_EQ_INT(query_rc(&e, "order-1"), OL_OK);
    ol_buf_t first;
    ol_buf_init(&first, OL_MEM_CORE, 0);
    ol_buf_append_slice(&first, ol_buf_slice(&e.out));
    env_close(&e, false);

    /* reopen: same answer */
    CHECK(env_open(&e, false, 0));
    CHECK_EQ_INT(query_rc(&e, "order-1"), OL_OK);
    CHECK(ol_slice_eq(ol_buf_slice(&e.out), ol_buf_slice(&first)));
    CHECK(count_in(&e.out, "\"traceId\":\"") >= 2);
    CHECK(count_in(&e.out, "mail sent") == 2);
    env_close(&e, false);

    /* a torn tail: half a record appended */
    char path[128];
    index_path(path, sizeof path, &e);
    uint64_t good = file_size(path);
    FILE *f = fopen(path, "ab");
    fwrite("\x40\x00\x00\x00\x12\x34", 1, 6, f);
    fclose(f);
    ol_log_set_level(OL_LOG_ERROR);
    CHECK(env_open(&e, false, 0));
    ol_log_set_level(OL_LOG_WARN);
    CHECK_EQ_INT(file_size(path), good);
    CHECK_EQ_INT(query_rc(&e, "order-1"), OL_OK);
    CHECK(ol_slice_eq(ol_buf_slice(&e.out), ol_buf_slice(&first)));
    /* more appends after the repair land where they should */
    span_def_t more[] = {{23, 1, 0, "shop", "later", T0 + 5 * SEC, T0 + 6 * SEC, {{"correlation_id", "order-3", 0}}, 1}};
    CHECK_EQ_INT(env_spans(&e, more, 1), OL_OK);
    env_close(&e, false);
    CHECK(env_open(&e, false, 0));
    CHECK_EQ_INT(query_rc(&e, "order-3"), OL_OK);
    env_close(&e, false);

    /* damage in the middle: the first record's payload; later records are
     * not trusted, the damaged bytes are set aside */
    int fd = open(path, O_RDWR);
    uint8_t byte;
    CHECK(pread(fd, &byte, 1, OL_CIX_HEADER + 10) == 1);
    byte ^= 0x55;
    CHECK(pwrite(fd, &byte, 1, OL_CIX_HEADER + 10) == 1);
    close(fd);
    uint64_t before = file_size(path);
    ol_log_set_level(OL_LOG_ERROR + 1);
    CHECK(env_open(&e, false, 0));
    ol_log_set_level(OL_LOG_WARN);
    CHECK_EQ_INT(file_size(path), OL_CIX_HEADER);
    char aside[160];
    snprintf(aside, sizeof aside, "%s.corrupt-%d", path, OL_CIX_HEADER);
    CHECK_EQ_INT(file_size(aside), before - OL_CIX_HEADER);
    CHECK_EQ_INT(query_rc(&e, "order-1"), OL_NOTFOUND);
    env_close(&e, false);

    /* a damaged header: the file is set aside whole, the index starts empty */
    fd = open(path, O_RDWR);
    CHECK(pwrite(fd, "X", 1, 0) == 1);
    close(fd);
    ol_log_set_level(OL_LOG_ERROR + 1);
    CHECK(env_open(&e, false, 0));
    ol_log_set_level(OL_LOG_WARN);
    snprintf(aside, sizeof aside, "%s.corrupt-0", path);
    CHECK_EQ_INT(file_size(aside), OL_CIX_HEADER);
    CHECK_EQ_INT(file_size(path), OL_CIX_HEADER);
    env_close(&e, true);
    ol_buf_free(&first);
}

/* A record whose CRC holds but whose entries do not parse (a later version's
 * kind) is skipped, the records after it are applied, and the file is kept
 * whole aside before anything could rewrite it. */
static void test_index_skipped(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    env_close(&e, false);
    char path[128], aside[160];
    index_path(path, sizeof path, &e);
    ol_buf_t img;
    ol_buf_init(&img, OL_MEM_CORE, 0);
    uint8_t hdr[OL_CIX_HEADER];
    ol_cix_put_header(hdr);
    ol_buf_append(&img, hdr, sizeof hdr);
    size_t mark = ol_cix_record_begin(&img);
    ol_cix_put_entry(&img, OL_SLICE_LIT("order-a"), &(ol_cix_ref_t){{1}, T0});
    ol_cix_record_end(&img, mark);
    mark = ol_cix_record_begin(&img);
    ol_cix_put_entry(&img, OL_SLICE_LIT("order-x"), &(ol_cix_ref_t){{2}, T0});
    img.data[mark + OL_CIX_REC_HEADER] = 9; /* an unknown kind */
    ol_cix_record_end(&img, mark);
    mark = ol_cix_record_begin(&img);
    ol_cix_put_entry(&img, OL_SLICE_LIT("order-b"), &(ol_cix_ref_t){{3}, T0});
    ol_cix_put_root(&img, (const uint8_t[16]){3}, T0_S);
    ol_cix_record_end(&img, mark);
    FILE *f = fopen(path, "wb");
    fwrite(img.data, 1, img.len, f);
    fclose(f);
    ol_log_set_level(OL_LOG_ERROR + 1);
    CHECK(env_open(&e, false, 0));
    ol_log_set_level(OL_LOG_WARN);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("order-a")) != NULL);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("order-x")) == NULL);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("order-b")) != NULL);
    CHECK_EQ_INT(e.c->hints.n, 1);
    snprintf(aside, sizeof aside, "%s.corrupt-0", path);
    CHECK_EQ_INT(file_size(aside), img.len);
    CHECK_EQ_INT(file_size(path), img.len);
    ol_buf_free(&img);
    env_close(&e, true);
}

/* Eviction and compaction: the file is rewritten and the newest ids survive a reopen. */
static void test_index_compaction(void)
{
    env_t e;
    CHECK(env_open(&e, true, 100));
    char path[128];
    index_path(path, sizeof path, &e);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    char ids[64][24];
    for (int round = 0; round < 600; round++) {
        span_def_t d[64];
        for (int i = 0; i < 64; i++) {
            snprintf(ids[i], sizeof ids[i], "flow-%d", round * 64 + i);
            d[i] = (span_def_t){(uint8_t)(i + 1), 1, 9, /* not roots: no hints */ "svc", "op", T0 + (uint64_t)round * SEC,
                                T0 + (uint64_t)round * SEC + MS, {{"correlation_id", ids[i], 0}}, 1};
        }
        build_spans(&b, d, 64);
        ol_arena_t *a = ol_arena_create(4096, 0);
        ol_otlp_batch_t batch;
        ol_err_t err;
        CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &batch, &err), OL_OK);
        ol_correlate_observe(e.c, &batch, NULL); /* the index alone: no store needed */
        ol_arena_destroy(a);
        ol_buf_reset(&b);
    }
    ol_buf_free(&b);
    uint64_t big = file_size(path);
    CHECK(big > (1u << 20));
    ol_log_set_level(OL_LOG_WARN);
    ol_correlate_tick(e.c, 0);
    ol_log_set_level(OL_LOG_WARN);
    uint64_t small = file_size(path);
    CHECK(small < 20000);
    CHECK_EQ_INT(e.c->ix.n, 100);
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_correlate_metrics_text(e.c, &m);
    CHECK(count_in(&m, "olly_correlation_index_ids 100\n") == 1);
    CHECK(count_in(&m, "olly_correlation_index_evicted_total 38300\n") == 1);
    CHECK(count_in(&m, "olly_correlation_index_compactions_total 1\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_seen_total{signal=\"traces\"} 38400\n") == 1);
    ol_buf_free(&m);
    env_close(&e, false);
    ol_log_set_level(OL_LOG_WARN);
    CHECK(env_open(&e, false, 100));
    ol_log_set_level(OL_LOG_WARN);
    CHECK_EQ_INT(e.c->ix.n, 100);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("flow-38399")) != NULL);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("flow-38300")) != NULL);
    CHECK(ol_cix_get(&e.c->ix, OL_SLICE_LIT("flow-38299")) == NULL);
    /* the same recency order as before the reopen */
    CHECK(e.c->ix.lru_head && memcmp(e.c->ix.lru_head->id, "flow-38399", 10) == 0);
    env_close(&e, true);
}

/* ---- lookups ---- */

static void test_query_explicit(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    /* flow order-7: trace 30 (id on its root only), a retry trace 31 (id on a
     * child), a trace-less log; trace 32 belongs to another flow */
    log_def_t early[] = {{"api", T0 + 2 * MS, 30, "before the spans came", {{"k", "v", 0}}, 1}};
    CHECK_EQ_INT(env_logs(&e, early, 1), OL_OK);
    span_def_t spans[] = {
        {30, 1, 0, "api", "POST /order", T0, T0 + 100 * MS, {{"correlation_id", "order-7", 0}}, 1},
        {30, 2, 1, "db", "INSERT", T0 + 10 * MS, T0 + 20 * MS, {{"x", "y", 0}}, 1},
        {31, 1, 0, "api", "POST /order (retry)", T0 + 5 * SEC, T0 + 5 * SEC + 50 * MS, {{"x", "y", 0}}, 1},
        {31, 2, 1, "payments", "charge", T0 + 5 * SEC + MS, T0 + 5 * SEC + 40 * MS, {{"correlation.id", "order-7", 0}}, 1},
        {32, 1, 0, "api", "GET /other", T0 + SEC, T0 + SEC + MS, {{"correlation_id", "order-8", 0}}, 1},
    };
    CHECK_EQ_INT(env_spans(&e, spans, 5), OL_OK);
    log_def_t late[] = {
        {"api", T0 + 60 * MS, 30, "after the spans", {{"k", "v", 0}}, 1},
        {"mailer", T0 + 30 * SEC, 0, "confirmation mailed", {{"correlation_id", "order-7", 0}}, 1},
        {"mailer", T0 + 30 * SEC, 0, "other mail", {{"correlation_id", "order-8", 0}}, 1},
        {"api", T0 + 50 * MS, 32, "other trace", {{"k", "v", 0}}, 1},
    };
    CHECK_EQ_INT(env_logs(&e, late, 4), OL_OK);
    CHECK_EQ_INT(ol_store_flush_now(e.s), OL_OK); /* read from parts too */

    CHECK_EQ_INT(query_rc(&e, "order-7"), OL_OK);
    char t30[33], t31[33], t32[33];
    hex_of_tid(t30, 30);
    hex_of_tid(t31, 31);
    hex_of_tid(t32, 32);
    CHECK(count_in(&e.out, "\"id\":\"order-7\",\"generated\":false") == 1);
    CHECK(count_in(&e.out, "\"spanCount\":2") == 2);
    CHECK(pos_in(&e.out, t30) >= 0 && pos_in(&e.out, t31) > pos_in(&e.out, t30)); /* by start */
    CHECK(pos_in(&e.out, t32) < 0);
    CHECK(count_in(&e.out, "before the spans came") == 2);
    CHECK(count_in(&e.out, "after the spans") == 2);
    CHECK(count_in(&e.out, "confirmation mailed") == 2);
    CHECK(count_in(&e.out, "other mail") == 0 && count_in(&e.out, "other trace") == 0);
    CHECK(count_in(&e.out, "\"services\":[\"api\",\"db\"]") == 1);
    CHECK(count_in(&e.out, "\"services\":[\"api\",\"payments\"]") == 1);
    /* timeline: 4 spans x 2 + 3 logs, in time order */
    CHECK_EQ_INT(count_in(&e.out, "{\"kind\":\""), 11);
    long tl = pos_in(&e.out, "\"timeline\":");
    CHECK(tl > 0);
    {
        uint64_t prev = 0;
        bool sorted = true;
        const char *p = (const char *)e.out.data + tl;
        const char *end = (const char *)e.out.data + e.out.len;
        while ((p = memmem(p, (size_t)(end - p), "\"timeUnixNano\":\"", 16))) {
            p += 16;
            uint64_t t = strtoull(p, NULL, 10);
            if (t < prev) sorted = false;
            prev = t;
        }
        CHECK(sorted);
    }
    long order_pos = pos_in(&e.out, "{\"kind\":\"span_start\",\"timeUnixNano\":\"1700000000000000000\"");
    long log_pos = pos_in(&e.out, "{\"kind\":\"log\",\"timeUnixNano\":\"1700000000002000000\"");
    CHECK(order_pos > tl && log_pos > order_pos);

    /* timeline only */
    CHECK_EQ_INT(env_query(&e, "order-7", true), OL_OK);
    CHECK(pos_in(&e.out, "\"traces\"") < 0 && pos_in(&e.out, "\"logs\"") < 0);
    CHECK_EQ_INT(count_in(&e.out, "{\"kind\":\""), 11);

    /* trace 30 has an explicit id, yet its generated id names it too */
    char gen[OL_CID_GENERATED_MAX + 1];
    gen_id_of(gen, 30, T0);
    CHECK_EQ_INT(query_rc(&e, gen), OL_OK);
    CHECK(count_in(&e.out, "\"generated\":true") == 1 && pos_in(&e.out, t30) > 0 && pos_in(&e.out, t31) < 0);

    /* 400 and 404 */
    ol_err_t err = {{0}};
    ol_buf_reset(&e.out);
    CHECK_EQ_INT(ol_correlate_query(e.c, OL_SLICE_LIT("bad id"), false, &e.out, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "A-Z a-z 0-9") != NULL && e.out.len == 0);
    CHECK_EQ_INT(ol_correlate_query(e.c, OL_SLICE_LIT("olly-nothere"), false, &e.out, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "olly-") != NULL);
    CHECK_EQ_INT(ol_correlate_query(e.c, OL_SLICE_NULL, false, &e.out, &err), OL_CORRUPT);
    CHECK_EQ_INT(query_rc(&e, "order-unknown"), OL_NOTFOUND);
    gen_id_of(gen, 99, T0);
    CHECK_EQ_INT(query_rc(&e, gen), OL_NOTFOUND);

    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_correlate_metrics_text(e.c, &m);
    CHECK(count_in(&m, "olly_correlation_lookups_total{kind=\"explicit\"} 3\n") == 1);
    CHECK(count_in(&m, "olly_correlation_lookups_total{kind=\"generated\"} 2\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_seen_total{signal=\"traces\"} 3\n") == 1);
    CHECK(count_in(&m, "olly_correlation_ids_seen_total{signal=\"logs\"} 2\n") == 1);
    CHECK(count_in(&m, "olly_correlation_index_ids 2\n") == 1);
    ol_buf_free(&m);
    env_close(&e, true);
}

/* A trace whose spans come in three batches, stored in two parts and the
 * head, with logs before, between and after: its generated id is the same
 * whichever half is looked at, equals an independent computation, and
 * gathers everything; a second store holding the same spans agrees. */
static void test_query_generated(void)
{
    env_t e, e2;
    CHECK(env_open(&e, true, 0));
    CHECK(env_open(&e2, true, 0));
    const uint64_t s0 = T0 + 400 * MS; /* the root starts 0.4 s into the second */
    span_def_t part1[] = {
        {40, 2, 1, "api", "validate", s0 + 700 * MS, s0 + 800 * MS, {{"x", "1", 0}}, 1}, /* next second */
        {41, 1, 0, "api", "unrelated", s0 + 10 * MS, s0 + 20 * MS, {{"x", "1", 0}}, 1}, /* same second */
    };
    span_def_t part2[] = {{40, 3, 1, "db", "SELECT", s0 + 900 * MS, s0 + 950 * MS, {{"x", "1", 0}}, 1}};
    span_def_t head[] = {{40, 1, 0, "api", "GET /cart", s0, s0 + 1200 * MS, {{"x", "1", 0}}, 1}}; /* the root, last */
    log_def_t before[] = {{"api", s0 + 750 * MS, 40, "log before any span", {{"k", "v", 0}}, 1}};
    log_def_t after[] = {{"db", s0 + 2 * SEC, 40, "log after the trace", {{"k", "v", 0}}, 1}};

    CHECK_EQ_INT(env_logs(&e, before, 1), OL_OK);
    CHECK_EQ_INT(env_spans(&e, part1, 2), OL_OK);
    CHECK_EQ_INT(ol_store_flush_now(e.s), OL_OK);
    CHECK_EQ_INT(env_spans(&e, part2, 1), OL_OK);
    CHECK_EQ_INT(ol_store_flush_now(e.s), OL_OK);
    char gen_partial[OL_CID_GENERATED_MAX + 1];
    gen_id_of(gen_partial, 40, s0 + 700 * MS);
    CHECK_EQ_INT(query_rc(&e, gen_partial), OL_OK); /* before the root came: the start is the child's */
    CHECK(count_in(&e.out, "\"spanCount\":2") == 1);
    CHECK_EQ_INT(env_spans(&e, head, 1), OL_OK);
    CHECK_EQ_INT(env_logs(&e, after, 1), OL_OK);

    char gen[OL_CID_GENERATED_MAX + 1];
    gen_id_of(gen, 40, s0);
    /* independent: base 36 of the second by hand, FNV-1a + splitmix by hand */
    {
        uint8_t id[16];
        tid_of(id, 40);
        uint64_t h = 0xcbf29ce484222325ull;
        for (int i = 0; i < 16; i++) h = (h ^ id[i]) * 0x100000001b3ull;
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
        h ^= h >> 31;
        char want[40];
        snprintf(want, sizeof want, "olly-s44we8-%08x", (unsigned)(h >> 32));
        CHECK(strcmp(gen, want) == 0);
    }
    CHECK_EQ_INT(query_rc(&e, gen), OL_OK);
    char t40[33], t41[33];
    hex_of_tid(t40, 40);
    hex_of_tid(t41, 41);
    CHECK(count_in(&e.out, "\"spanCount\":3") == 1);
    CHECK(pos_in(&e.out, t41) < 0);
    CHECK(count_in(&e.out, "log before any span") == 2 && count_in(&e.out, "log after the trace") == 2);
    char want_field[64];
    snprintf(want_field, sizeof want_field, "\"generatedId\":\"%s\"", gen);
    CHECK(count_in(&e.out, want_field) == 1);
    /* the old partial id no longer names it: the trace now starts a second earlier */
    CHECK_EQ_INT(query_rc(&e, gen_partial), OL_NOTFOUND);
    /* the same answer after everything is in parts */
    CHECK_EQ_INT(ol_store_flush_now(e.s), OL_OK);
    CHECK_EQ_INT(query_rc(&e, gen), OL_OK);
    CHECK(count_in(&e.out, "\"spanCount\":3") == 1);

    /* another node with the same spans, sent in one batch in another order */
    span_def_t all[] = {head[0], part2[0], part1[0]};
    CHECK_EQ_INT(env_spans(&e2, all, 3), OL_OK);
    CHECK_EQ_INT(query_rc(&e2, gen), OL_OK);
    CHECK(count_in(&e2.out, "\"spanCount\":3") == 1);
    /* a hash that matches no trace of that second */
    char other[OL_CID_GENERATED_MAX + 1];
    uint8_t id[16];
    tid_of(id, 40);
    ol_cid_format_generated(other, T0_S, ol_cid_hash32(id, 16) ^ 1);
    CHECK_EQ_INT(query_rc(&e, other), OL_NOTFOUND);
    env_close(&e, true);
    env_close(&e2, true);
}

static void test_query_exemplars(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    span_def_t spans[] = {{50, 1, 0, "api", "GET /x", T0, T0 + 200 * MS, {{"correlation_id", "req-50", 0}}, 1}};
    CHECK_EQ_INT(env_spans(&e, spans, 1), OL_OK);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_metric(&b, "http.server.duration", T0 + 150 * MS, 0.2, 50);
    CHECK_EQ_INT(env_send(&e, OL_SIGNAL_METRICS, &b), OL_OK);
    build_metric(&b, "http.server.duration", T0 + 160 * MS, 0.9, 51); /* another trace */
    CHECK_EQ_INT(env_send(&e, OL_SIGNAL_METRICS, &b), OL_OK);
    ol_buf_free(&b);
    CHECK_EQ_INT(query_rc(&e, "req-50"), OL_OK);
    char want[128], t50[33];
    hex_of_tid(t50, 50);
    CHECK(count_in(&e.out, "\"metrics\":[{\"metric\":\"http.server.duration\",\"type\":\"gauge\",\"service\":"
                           "\"frontend\",\"timeUnixNano\":\"1700000000145000000\",\"value\":0.2") == 1);
    snprintf(want, sizeof want, "\"traceId\":\"%s\",\"spanId\":\"0000000000003201\"", t50);
    CHECK(count_in(&e.out, want) == 4); /* the point, its timeline event, the span's start and end events */
    CHECK(count_in(&e.out, "0.9") == 0);
    CHECK(count_in(&e.out, "{\"kind\":\"metric\"") == 1);
    env_close(&e, true);
}

/* The root hints: found by (second, hash), deduplicated, the oldest reused
 * once the ring is full, kept across a restart; and a lookup answers the
 * same with them as without them (the store is then searched). */
static void test_root_hints(void)
{
    ol_chints_t h = {0};
    uint8_t id[16] = {0}, out[4][16];
    const uint32_t n = OL_CHINT_MAX + 1000;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(id, &i, 4);
        CHECK_EQ_INT(ol_chints_add(&h, id, T0_S + i / 4, i % 7, true), 1); /* a few per key */
    }
    CHECK_EQ_INT(h.n, OL_CHINT_MAX);
    CHECK_EQ_INT(h.cap, OL_CHINT_MAX);
    int missing = 0, wrong = 0;
    for (uint32_t i = 0; i < n; i += 97) {
        memcpy(id, &i, 4);
        size_t k = ol_chints_find(&h, T0_S + i / 4, i % 7, out, 4);
        bool found = false;
        for (size_t j = 0; j < k; j++) found |= memcmp(out[j], id, 16) == 0;
        if (i < 1000) wrong += found; /* reused */
        else missing += !found;
    }
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(wrong, 0);
    memcpy(id, &(uint32_t){n - 1}, 4);
    CHECK_EQ_INT(ol_chints_add(&h, id, T0_S + (n - 1) / 4, (n - 1) % 7, true), 0); /* again: not added */
    CHECK(memcmp(ol_chints_at(&h, 0)->trace_id, &(uint32_t){1000}, 4) == 0); /* the oldest left */
    CHECK(memcmp(ol_chints_at(&h, OL_CHINT_MAX - 1)->trace_id, &(uint32_t){n - 1}, 4) == 0);
    CHECK_EQ_INT(h.pos, 1000);
    CHECK_EQ_INT(ol_chints_find(&h, T0_S + 5000, 99, out, 4), 0);
    ol_chints_free(&h);

    env_t e;
    CHECK(env_open(&e, true, 0));
    span_def_t spans[] = {
        {70, 1, 0, "api", "GET /h", T0 + 100 * MS, T0 + 300 * MS, {{"x", "1", 0}}, 1},
        {70, 2, 1, "api", "child", T0 + 150 * MS, T0 + 200 * MS, {{"x", "1", 0}}, 1},
        {71, 1, 0, "api", "GET /i", T0 + 700 * MS, T0 + 800 * MS, {{"x", "1", 0}}, 1},
    };
    CHECK_EQ_INT(env_spans(&e, spans, 3), OL_OK);
    CHECK_EQ_INT(ol_store_flush_now(e.s), OL_OK);
    char gen[OL_CID_GENERATED_MAX + 1];
    gen_id_of(gen, 70, T0 + 100 * MS);
    CHECK_EQ_INT(query_rc(&e, gen), OL_OK);
    ol_buf_t first;
    ol_buf_init(&first, OL_MEM_CORE, 0);
    ol_buf_append_slice(&first, ol_buf_slice(&e.out));
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_correlate_metrics_text(e.c, &m);
    CHECK(count_in(&m, "olly_correlation_generated_searches_total 0\n") == 1);
    CHECK(count_in(&m, "olly_correlation_root_hints 2\n") == 1);
    env_close(&e, false);
    CHECK(env_open(&e, false, 0)); /* the hints come back from the index file */
    CHECK_EQ_INT(query_rc(&e, gen), OL_OK);
    CHECK(ol_slice_eq(ol_buf_slice(&e.out), ol_buf_slice(&first)));
    ol_buf_reset(&m);
    ol_correlate_metrics_text(e.c, &m);
    CHECK(count_in(&m, "olly_correlation_generated_searches_total 0\n") == 1);
    CHECK(count_in(&m, "olly_correlation_root_hints 2\n") == 1);
    /* a processor without them (memory only, as a node that never saw the roots) searches */
    ol_correlate_t *bare;
    ol_err_t err;
    CHECK_EQ_INT(ol_correlate_create(NULL, e.s, &bare, &err), OL_OK);
    bare->now_s = NOW_S;
    ol_buf_reset(&e.out);
    CHECK_EQ_INT(ol_correlate_query(bare, ol_slice_cstr(gen), false, &e.out, &err), OL_OK);
    CHECK(ol_slice_eq(ol_buf_slice(&e.out), ol_buf_slice(&first)));
    ol_buf_reset(&m);
    ol_correlate_metrics_text(bare, &m);
    CHECK(count_in(&m, "olly_correlation_generated_searches_total 1\n") == 1);
    CHECK(count_in(&m, "olly_correlation_root_hints 0\n") == 1);
    ol_correlate_destroy(bare);
    ol_buf_free(&m);
    ol_buf_free(&first);
    env_close(&e, true);
}

static void test_observe_dup(void)
{
    env_t e;
    CHECK(env_open(&e, true, 0));
    span_def_t spans[] = {{60, 1, 0, "api", "x", T0, T0 + MS, {{"correlation_id", "dup-flow", 0}}, 1}};
    CHECK_EQ_INT(env_spans(&e, spans, 1), OL_OK);
    CHECK_EQ_INT(env_spans(&e, spans, 1), OL_OK); /* the store reports it as a duplicate */
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_CORE, 0);
    ol_correlate_metrics_text(e.c, &m);
    CHECK(count_in(&m, "olly_correlation_ids_seen_total{signal=\"traces\"} 1\n") == 1);
    CHECK(count_in(&m, "olly_correlation_index_refs 1\n") == 1);
    ol_buf_free(&m);
    env_close(&e, true);
}

/* ---- the fuzz target's seeds (tests/fuzz/fuzz_correlate_id.c) ---- */

static void write_seed(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputc(mode, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static void write_corpus(const char *dir)
{
    const char *ids[] = {"order-42", "olly-s44we8-f6afa5a7", "bad id", "OLLY-s44we8-f6afa5a7", "olly-0s44we8-1"};
    for (size_t i = 0; i < OL_ARRAY_LEN(ids); i++) {
        char name[32];
        snprintf(name, sizeof name, "id-%zu", i);
        write_seed(dir, name, 0, ids[i], strlen(ids[i]));
    }
    ol_cix_t x;
    ol_cix_init(&x, 64);
    ol_cix_add(&x, OL_SLICE_LIT("order-1"), &(ol_cix_ref_t){{1, 2, 3}, T0});
    ol_cix_add(&x, OL_SLICE_LIT("order-1"), &(ol_cix_ref_t){{0}, T0});
    ol_cix_add(&x, OL_SLICE_LIT("olly-s44we8-f6afa5a7"), &(ol_cix_ref_t){{0}, T0 + SEC});
    ol_cix_add(&x, OL_SLICE_LIT("order-2"), &(ol_cix_ref_t){{9}, T0});
    ol_chints_t hints = {0};
    ol_chints_add(&hints, (const uint8_t[16]){1, 2, 3}, T0_S, ol_cid_hash32((const uint8_t[16]){1, 2, 3}, 16), true);
    ol_chints_add(&hints, (const uint8_t[16]){9}, T0_S + 1, ol_cid_hash32((const uint8_t[16]){9}, 16), true);
    ol_buf_t img;
    ol_buf_init(&img, OL_MEM_CORE, 0);
    ol_cix_write_image(&x, &hints, &img);
    ol_chints_free(&hints);
    /* a second record, appended as observe does */
    size_t mark = ol_cix_record_begin(&img);
    ol_cix_put_entry(&img, OL_SLICE_LIT("order-3"), &(ol_cix_ref_t){{7, 7}, T0 + 2 * SEC});
    ol_cix_put_entry(&img, OL_SLICE_LIT("order-1"), &(ol_cix_ref_t){{4}, T0 + 3 * SEC});
    ol_cix_put_root(&img, (const uint8_t[16]){7, 7}, T0_S + 2);
    ol_cix_record_end(&img, mark);
    write_seed(dir, "index", 1, img.data, img.len);
    write_seed(dir, "index-fixup", 2, img.data, img.len);
    write_seed(dir, "index-torn", 1, img.data, img.len - 5);
    write_seed(dir, "index-header", 2, img.data, OL_CIX_HEADER);
    ol_buf_free(&img);
    ol_cix_free(&x);
    ol_buf_t attrs;
    ol_buf_init(&attrs, OL_MEM_CORE, 0);
    const kv_t kvs[] = {{"a", "1", 1}, {"correlation_id", "bad id\x01", 0}, {"b", "keep", 0},
                        {"correlation.id", "good-1", 0}, {"correlation_id", "olly-s44we8-XYZ", 0},
                        {"correlation_id", "7", 1}};
    for (int k = 0; k < 3; k++) { /* span attributes; log attributes without, then with a trace id */
        ol_buf_reset(&attrs);
        for (size_t i = 0; i < OL_ARRAY_LEN(kvs); i++) put_kv(&attrs, k ? 6 : 9, &kvs[i]);
        uint8_t seed[1024];
        seed[0] = (uint8_t)(k == 2);
        memcpy(seed + 1, attrs.data, attrs.len);
        char name[32];
        snprintf(name, sizeof name, "items-%d", k);
        write_seed(dir, name, 3, seed, attrs.len + 1);
    }
    ol_buf_free(&attrs);
}

int main(void)
{
    ol_log_set_level(OL_LOG_WARN);
    const char *corpus = getenv("OL_CORRELATE_CORPUS_OUT");
    if (corpus) write_corpus(corpus);
    RUN(test_id_rules);
    RUN(test_generated_form);
    RUN(test_sanitize_rewrite);
    RUN(test_hostile_not_stored);
    RUN(test_index_memory);
    RUN(test_index_reopen);
    RUN(test_index_skipped);
    RUN(test_index_compaction);
    RUN(test_query_explicit);
    RUN(test_query_generated);
    RUN(test_query_exemplars);
    RUN(test_root_hints);
    RUN(test_observe_dup);
    return TEST_REPORT();
}
