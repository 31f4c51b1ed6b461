/*
 * test_query_exemplars.c - metric exemplars read back from a store in a
 * temporary directory: ol_exemplars_each over gauges, sums, histograms and
 * exponential histograms (summaries have none), int and double values,
 * exemplars without a time (the point's time counts), missing, short and
 * all-zero ids, window bounds (start inclusive, end exclusive, an exemplar
 * inside the window whose point lies outside it), every metric at once,
 * stopping early, an unknown name; ol_query_exemplars' JSON (newest first,
 * limit and truncated, attributes, trace links); ol_query_metric keeping
 * exemplars with hex ids. Everything is checked in the head, after a flush
 * into parts, and after reopening the store (read back from the parts).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/util.h"
#include "query/exemplars.h"
#include "query/read.h"
#include "store/store.h"
#include "test.h"

#define T0 1700000000000000000ull
#define SEC 1000000000ull

/* ---- request builders ---- */

static void put_str(ol_buf_t *b, uint32_t f, const char *s) { ol_pb_put_bytes(b, f, ol_slice_cstr(s)); }

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *k, const char *v)
{
    size_t kv = ol_pb_begin(b, field);
    put_str(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    put_str(b, 1, v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static void put_kv_int(ol_buf_t *b, uint32_t field, const char *k, int64_t v)
{
    size_t kv = ol_pb_begin(b, field);
    put_str(b, 1, k);
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_uint(b, 3, (uint64_t)v);
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

/* ids: 0 = absent, 1 = valid (byte n), 2 = wrong length, 3 = all zero */
enum { ID_NONE, ID_OK, ID_SHORT, ID_ZERO };

typedef struct exdef {
    uint64_t time;  /* 0 = absent */
    bool is_int;
    double d;
    int64_t i;
    int tid, sid;
    uint8_t n;      /* id byte */
    const char *fk, *fv; /* one filtered attribute (optional) */
} exdef_t;

static void put_id(ol_buf_t *b, uint32_t field, int kind, size_t width, uint8_t n)
{
    uint8_t id[16];
    if (kind == ID_NONE) return;
    memset(id, 0, sizeof id);
    if (kind != ID_ZERO) {
        id[0] = n;
        id[width - 1] = 0xab;
    }
    ol_pb_put_bytes(b, field, ol_slice(id, kind == ID_SHORT ? width - 1 : width));
}

static void put_exemplar(ol_buf_t *b, uint32_t field, const exdef_t *e)
{
    size_t m = ol_pb_begin(b, field);
    if (e->fk) put_kv_str(b, 7, e->fk, e->fv);
    if (e->time) ol_pb_put_fixed64(b, 2, e->time);
    if (e->is_int) ol_pb_put_fixed64(b, 6, (uint64_t)e->i);
    else ol_pb_put_double(b, 3, e->d);
    put_id(b, 4, e->sid, 8, e->n);
    put_id(b, 5, e->tid, 16, e->n);
    ol_pb_end(b, m);
}

static size_t g_rm, g_sm;

static void begin_resource(ol_buf_t *b, const char *service)
{
    g_rm = ol_pb_begin(b, 1);
    size_t r = ol_pb_begin(b, 1);
    if (service) put_kv_str(b, 1, "service.name", service);
    ol_pb_end(b, r);
    g_sm = ol_pb_begin(b, 2);
}

static void end_resource(ol_buf_t *b)
{
    ol_pb_end(b, g_sm);
    ol_pb_end(b, g_rm);
}

/* One metric of `type` with one point at `pt` (attribute route=<route>,
 * plus a repeated key and an int attribute) holding the exemplars. */
static void put_metric(ol_buf_t *b, const char *name, ol_metric_type_t type, uint64_t pt, const char *route,
                       const exdef_t *ex, size_t n_ex)
{
    size_t m = ol_pb_begin(b, 2);
    put_str(b, 1, name);
    size_t d = ol_pb_begin(b, (uint32_t)type);
    size_t p = ol_pb_begin(b, 1);
    uint32_t attr_f = 7, ex_f = 5;
    switch (type) {
    case OL_METRIC_HISTOGRAM:
        attr_f = 9;
        ex_f = 8;
        ol_pb_put_fixed64(b, 4, 3); /* count */
        break;
    case OL_METRIC_EXP_HISTOGRAM:
        attr_f = 1;
        ex_f = 11;
        ol_pb_put_fixed64(b, 4, 3);
        break;
    case OL_METRIC_SUMMARY:
        ex_f = 0;
        ol_pb_put_fixed64(b, 4, 3);
        break;
    default: ol_pb_put_double(b, 4, 1.5); break;
    }
    ol_pb_put_fixed64(b, 3, pt);
    put_kv_str(b, attr_f, "route", route);
    put_kv_int(b, attr_f, "code", 200);
    put_kv_str(b, attr_f, "a.dup", "first");
    put_kv_str(b, attr_f, "a.dup", "second");
    for (size_t i = 0; i < n_ex && ex_f; i++) put_exemplar(b, ex_f, &ex[i]);
    ol_pb_end(b, p);
    if (type == OL_METRIC_SUM || type == OL_METRIC_HISTOGRAM || type == OL_METRIC_EXP_HISTOGRAM)
        ol_pb_put_uint(b, 2, 2);
    ol_pb_end(b, d);
    ol_pb_end(b, m);
}

static const exdef_t gauge_ex[] = {
    {T0 + 10 * SEC, false, 2.5, 0, ID_OK, ID_OK, 1, "user", "u1"},
    {T0 + 11 * SEC, true, 0, -7, ID_NONE, ID_NONE, 2, NULL, NULL},
    {0, false, 4.25, 0, ID_SHORT, ID_ZERO, 3, NULL, NULL}, /* time: the point's (T0 + 12 s) */
};
static const exdef_t sum_ex[] = {{T0 + 20 * SEC, true, 0, 42, ID_OK, ID_OK, 4, NULL, NULL}};
static const exdef_t hist_ex[] = {
    {T0 + 30 * SEC, false, 0.125, 0, ID_OK, ID_OK, 5, "b", "2"},
    {T0 + 31 * SEC, false, 0.25, 0, ID_ZERO, ID_SHORT, 6, NULL, NULL},
};
static const exdef_t exph_ex[] = {{T0 + 40 * SEC, false, 9.0, 0, ID_OK, ID_OK, 7, NULL, NULL}};
/* recorded 50 minutes before its point, which lies outside a window around the exemplar */
static const exdef_t early_ex[] = {{T0 + 100 * SEC, false, 1.0, 0, ID_OK, ID_OK, 8, NULL, NULL}};

static void build(ol_buf_t *b)
{
    begin_resource(b, "checkout");
    put_metric(b, "g", OL_METRIC_GAUGE, T0 + 12 * SEC, "/a", gauge_ex, OL_ARRAY_LEN(gauge_ex));
    put_metric(b, "s", OL_METRIC_SUM, T0 + 21 * SEC, "/s", sum_ex, OL_ARRAY_LEN(sum_ex));
    end_resource(b);
    begin_resource(b, NULL);
    put_metric(b, "h", OL_METRIC_HISTOGRAM, T0 + 32 * SEC, "/h", hist_ex, OL_ARRAY_LEN(hist_ex));
    put_metric(b, "x", OL_METRIC_EXP_HISTOGRAM, T0 + 41 * SEC, "/x", exph_ex, OL_ARRAY_LEN(exph_ex));
    put_metric(b, "q", OL_METRIC_SUMMARY, T0 + 50 * SEC, "/q", NULL, 0);
    put_metric(b, "early", OL_METRIC_GAUGE, T0 + 100 * SEC + 3000 * SEC, "/e", early_ex, 1);
    end_resource(b);
}

/* ---- store ---- */

static ol_store_t *g_store;
static char g_dir[64];

static int open_store(void)
{
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER};
    ol_err_t err;
    int rc = ol_store_open(&o, &g_store, &err);
    if (rc == OL_OK) rc = ol_store_replay(g_store);
    return rc;
}

static bool setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-exemplars-XXXXXX");
    if (!mkdtemp(g_dir) || open_store() != OL_OK) return false;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build(&b);
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    int rc = ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&b), a, &batch, &err);
    ol_store_append_result_t res = {0};
    if (rc == OL_OK) rc = ol_store_append(g_store, &batch, &res);
    ol_arena_destroy(a);
    ol_buf_free(&b);
    return rc == OL_OK;
}

/* ---- collecting ---- */

typedef struct got {
    char metric[16], service[32];
    ol_metric_type_t type;
    uint64_t time, point_time;
    bool is_int;
    int64_t i;
    double d;
    size_t tid_len, sid_len;
    uint8_t tid0, sid0;
    size_t point_len, ex_len;
} got_t;

typedef struct coll {
    got_t v[32];
    size_t n;
    size_t stop_after; /* 0 = never */
} coll_t;

static void cpy(char *dst, size_t cap, ol_slice_t s)
{
    size_t n = OL_MIN(s.len, cap - 1);
    memcpy(dst, s.ptr, n);
    dst[n] = 0;
}

static int coll_cb(void *ud, const ol_exemplar_t *e)
{
    coll_t *c = ud;
    if (c->n == OL_ARRAY_LEN(c->v)) return OL_ERR;
    got_t *g = &c->v[c->n++];
    memset(g, 0, sizeof *g);
    cpy(g->metric, sizeof g->metric, e->metric);
    cpy(g->service, sizeof g->service, e->service);
    g->type = e->type;
    g->time = e->time_ns;
    g->point_time = e->point_time_ns;
    g->is_int = e->is_int;
    g->i = e->as_int;
    g->d = e->as_double;
    g->tid_len = e->trace_id.len;
    g->sid_len = e->span_id.len;
    g->tid0 = e->trace_id.len ? e->trace_id.ptr[0] : 0;
    g->sid0 = e->span_id.len ? e->span_id.ptr[0] : 0;
    g->point_len = e->point.len;
    g->ex_len = e->exemplar.len;
    return c->stop_after && c->n >= c->stop_after ? OL_STORE_STOP : OL_OK;
}

static int each(const char *name, uint64_t start, uint64_t end, coll_t *c)
{
    memset(c, 0, sizeof *c);
    return ol_exemplars_each(g_store, ol_slice_cstr(name), start, end, coll_cb, c);
}

static const got_t *find(const coll_t *c, const char *metric, uint64_t time)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].metric, metric) && c->v[i].time == time) return &c->v[i];
    return NULL;
}

/* ---- tests ---- */

static void check_each_types(void)
{
    coll_t c;
    CHECK_EQ_INT(each("g", 0, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 3);
    const got_t *g = find(&c, "g", T0 + 10 * SEC);
    CHECK(g && g->type == OL_METRIC_GAUGE && !g->is_int && g->d == 2.5 && g->tid_len == 16 && g->tid0 == 1 &&
          g->sid_len == 8 && g->sid0 == 1 && g->point_time == T0 + 12 * SEC && !strcmp(g->service, "checkout") &&
          g->point_len > 0 && g->ex_len > 0);
    g = find(&c, "g", T0 + 11 * SEC);
    CHECK(g && g->is_int && g->i == -7 && g->tid_len == 0 && g->sid_len == 0);
    g = find(&c, "g", 0); /* no time of its own */
    CHECK(g && g->d == 4.25 && g->point_time == T0 + 12 * SEC && g->tid_len == 0 && g->sid_len == 0);

    CHECK_EQ_INT(each("s", 0, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 1);
    g = find(&c, "s", T0 + 20 * SEC);
    CHECK(g && g->type == OL_METRIC_SUM && g->is_int && g->i == 42 && g->tid0 == 4);

    CHECK_EQ_INT(each("h", 0, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 2);
    g = find(&c, "h", T0 + 30 * SEC);
    CHECK(g && g->type == OL_METRIC_HISTOGRAM && g->d == 0.125 && g->tid0 == 5 &&
          !strcmp(g->service, OL_STORE_UNKNOWN_SERVICE));
    g = find(&c, "h", T0 + 31 * SEC);
    CHECK(g && g->tid_len == 0 && g->sid_len == 0); /* all-zero trace id, short span id */

    CHECK_EQ_INT(each("x", 0, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 1);
    CHECK(c.n == 1 && c.v[0].type == OL_METRIC_EXP_HISTOGRAM && c.v[0].d == 9.0 && c.v[0].sid0 == 7);

    CHECK_EQ_INT(each("q", 0, UINT64_MAX, &c), OL_OK); /* summaries carry no exemplars */
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(each("nope", 0, UINT64_MAX, &c), OL_NOTFOUND);
    CHECK_EQ_INT(each("nope", 5, 5, &c), OL_NOTFOUND);
    CHECK_EQ_INT(each("g", 5, 5, &c), OL_OK);
    CHECK_EQ_INT(c.n, 0);

    /* every metric */
    CHECK_EQ_INT(each("", 0, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 8);
    /* stop early */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    CHECK_EQ_INT(ol_exemplars_each(g_store, OL_SLICE_NULL, 0, UINT64_MAX, coll_cb, &c), OL_OK);
    CHECK_EQ_INT(c.n, 2);
}

static void check_window(void)
{
    coll_t c;
    /* start inclusive, end exclusive, on the exemplar's own time */
    CHECK_EQ_INT(each("g", T0 + 10 * SEC, T0 + 11 * SEC, &c), OL_OK);
    CHECK(c.n == 1 && c.v[0].time == T0 + 10 * SEC);
    CHECK_EQ_INT(each("g", T0 + 10 * SEC + 1, T0 + 11 * SEC + 1, &c), OL_OK);
    CHECK(c.n == 1 && c.v[0].time == T0 + 11 * SEC);
    /* the untimed exemplar goes by its point's time */
    CHECK_EQ_INT(each("g", T0 + 12 * SEC, T0 + 13 * SEC, &c), OL_OK);
    CHECK(c.n == 1 && c.v[0].time == 0 && c.v[0].d == 4.25);
    CHECK_EQ_INT(each("g", T0 + 13 * SEC, UINT64_MAX, &c), OL_OK);
    CHECK_EQ_INT(c.n, 0);
    /* an exemplar in the window whose point is 50 min later, outside it */
    CHECK_EQ_INT(each("early", T0 + 99 * SEC, T0 + 101 * SEC, &c), OL_OK);
    CHECK(c.n == 1 && c.v[0].time == T0 + 100 * SEC && c.v[0].point_time == T0 + 3100 * SEC);
    CHECK_EQ_INT(each("", T0 + 99 * SEC, T0 + 101 * SEC, &c), OL_OK);
    CHECK_EQ_INT(c.n, 1);
    CHECK_EQ_INT(each("", T0 + 30 * SEC, T0 + 41 * SEC, &c), OL_OK);
    CHECK_EQ_INT(c.n, 3); /* h x2, x */
}

static ol_buf_t g_out;

static bool has(const char *s) { return memmem(g_out.data, g_out.len, s, strlen(s)) != NULL; }

static long at(const char *s)
{
    const char *p = memmem(g_out.data, g_out.len, s, strlen(s));
    return p ? (long)(p - (const char *)g_out.data) : -1;
}

static void check_json(void)
{
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("g"), 0, UINT64_MAX, 0, &g_out), OL_OK);
    const char *want =
        "{\"metric\":\"g\",\"start\":\"0\",\"end\":\"18446744073709551615\",\"exemplars\":["
        "{\"time\":\"1700000012000000000\",\"value\":4.25,\"traceId\":\"\",\"spanId\":\"\",\"service\":\"checkout\","
        "\"attributes\":{\"a.dup\":\"first\",\"code\":\"200\",\"route\":\"/a\"},\"filteredAttributes\":{},"
        "\"pointTime\":\"1700000012000000000\",\"traceUrl\":null},"
        "{\"time\":\"1700000011000000000\",\"value\":-7,\"traceId\":\"\",\"spanId\":\"\",\"service\":\"checkout\","
        "\"attributes\":{\"a.dup\":\"first\",\"code\":\"200\",\"route\":\"/a\"},\"filteredAttributes\":{},"
        "\"pointTime\":\"1700000012000000000\",\"traceUrl\":null},"
        "{\"time\":\"1700000010000000000\",\"value\":2.5,\"traceId\":\"010000000000000000000000000000ab\","
        "\"spanId\":\"01000000000000ab\",\"service\":\"checkout\","
        "\"attributes\":{\"a.dup\":\"first\",\"code\":\"200\",\"route\":\"/a\"},\"filteredAttributes\":{\"user\":\"u1\"},"
        "\"pointTime\":\"1700000012000000000\",\"traceUrl\":\"/api/v1/traces/010000000000000000000000000000ab\"}"
        "],\"truncated\":false}";
    CHECK(g_out.len == strlen(want) && memcmp(g_out.data, want, g_out.len) == 0);
    if (!(g_out.len == strlen(want) && memcmp(g_out.data, want, g_out.len) == 0))
        fprintf(stderr, "  got: %.*s\n", (int)g_out.len, (const char *)g_out.data);

    /* limit: the newest two, truncated */
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("g"), 0, UINT64_MAX, 2, &g_out), OL_OK);
    CHECK(at("\"time\":\"1700000012000000000\"") >= 0 &&
          at("\"time\":\"1700000012000000000\"") < at("\"time\":\"1700000011000000000\""));
    CHECK(!has("\"time\":\"1700000010000000000\""));
    CHECK(has("\"truncated\":true}"));
    /* limit 1 over every kind of heap replacement: the newest only */
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("h"), 0, UINT64_MAX, 1, &g_out), OL_OK);
    CHECK(has("\"time\":\"1700000031000000000\"") && !has("\"time\":\"1700000030000000000\"") &&
          has("\"truncated\":true"));
    /* a window holding one, exactly the limit: not truncated */
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("h"), T0 + 30 * SEC, T0 + 31 * SEC, 1, &g_out), OL_OK);
    CHECK(has("\"value\":0.125") && has("\"attributes\":{\"a.dup\":\"first\",\"code\":\"200\",\"route\":\"/h\"}") &&
          has("\"filteredAttributes\":{\"b\":\"2\"}") && has("\"service\":\"unknown_service\"") &&
          has("\"truncated\":false}"));
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("x"), 0, UINT64_MAX, 5, &g_out), OL_OK);
    CHECK(has("\"value\":9,") && has("\"route\":\"/x\"") && has("\"spanId\":\"07000000000000ab\""));
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("q"), 0, UINT64_MAX, 5, &g_out), OL_OK);
    CHECK(has("\"exemplars\":[],\"truncated\":false}"));
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_exemplars(g_store, OL_SLICE_LIT("nope"), 0, UINT64_MAX, 5, &g_out), OL_NOTFOUND);
    CHECK_EQ_INT(g_out.len, 0);
}

static void check_metric_api(void)
{
    ol_buf_reset(&g_out);
    ol_metric_query_t q = {.name = OL_SLICE_LIT("g"), .start_ns = 0, .end_ns = UINT64_MAX};
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has("\"exemplars\":[{"));
    CHECK(has("\"traceId\":\"010000000000000000000000000000ab\""));
    CHECK(has("\"spanId\":\"01000000000000ab\""));
    CHECK(has("\"asInt\":\"-7\""));
    CHECK(has("\"filteredAttributes\":[{\"key\":\"user\""));
    /* a filtered point keeps its exemplars */
    ol_buf_reset(&g_out);
    q.name = OL_SLICE_LIT("h");
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("route"), OL_SLICE_LIT("/h")};
    q.n_attrs = 1;
    q.start_ns = T0;
    q.end_ns = T0 + 40 * SEC;
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has("\"traceId\":\"050000000000000000000000000000ab\""));
    CHECK(has("\"timeUnixNano\":\"1700000031000000000\""));
}

static void run_all(void)
{
    check_each_types();
    check_window();
    check_json();
    check_metric_api();
}

static void test_head(void) { run_all(); }

static void test_flushed(void)
{
    CHECK_EQ_INT(ol_store_flush_now(g_store), OL_OK);
    ol_store_stats_t st;
    ol_store_stats(g_store, &st);
    CHECK(st.parts > 0);
    run_all();
}

static void test_reopened(void)
{
    ol_store_close(g_store);
    g_store = NULL;
    CHECK_EQ_INT(open_store(), OL_OK);
    if (!g_store) return;
    ol_store_stats_t st;
    ol_store_stats(g_store, &st);
    CHECK(st.parts > 0);
    run_all();
}

int main(void)
{
    ol_buf_init(&g_out, OL_MEM_CORE, 0);
    if (!setup()) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    RUN(test_head);
    RUN(test_flushed);
    RUN(test_reopened);
    if (g_store) ol_store_close(g_store);
    ol_test_rm_rf(g_dir);
    ol_buf_free(&g_out);
    return TEST_REPORT();
}
