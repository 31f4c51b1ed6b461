/*
 * test_query.c - the read queries over a store filled with hand-built OTLP
 * requests: trace search filters (service, operation, status, duration,
 * span and resource attributes, time window, limit, newest first), trace
 * summaries, services, log filters (service, severity, trace id, body
 * substring, time, limit) and metric point filtering by time and attribute.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/log.h"
#include "core/util.h"
#include "query/read.h"
#include "store/store.h"
#include "test.h"

#define T0 1700000000000000000ull
#define MS 1000000ull
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

/* Resource{service.name (if any), deployment.environment} + a scope. */
static void put_resource_scope_begin(ol_buf_t *b, const char *service, const char *env, size_t *rmark, size_t *smark)
{
    *rmark = ol_pb_begin(b, 1);
    size_t r = ol_pb_begin(b, 1);
    if (service) put_kv_str(b, 1, "service.name", service);
    if (env) put_kv_str(b, 1, "deployment.environment", env);
    ol_pb_end(b, r);
    *smark = ol_pb_begin(b, 2);
    size_t sc = ol_pb_begin(b, 1);
    put_str(b, 1, "test-scope");
    ol_pb_end(b, sc);
}

static void id_bytes(uint8_t *out, size_t n, uint8_t v)
{
    memset(out, 0, n);
    out[0] = v;
    out[n - 1] = 1;
}

typedef struct span_def {
    const char *service, *env;
    uint8_t tid, sid, parent;
    const char *name;
    int status;
    uint64_t start, end;
    const char *ak, *av; /* one string attribute (optional) */
} span_def_t;

static void build_traces(ol_buf_t *b, const span_def_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t rm, sm;
        put_resource_scope_begin(b, d[i].service, d[i].env, &rm, &sm);
        size_t sp = ol_pb_begin(b, 2);
        uint8_t id[16];
        id_bytes(id, 16, d[i].tid);
        ol_pb_put_bytes(b, 1, ol_slice(id, 16));
        id_bytes(id, 8, d[i].sid);
        ol_pb_put_bytes(b, 2, ol_slice(id, 8));
        if (d[i].parent) {
            id_bytes(id, 8, d[i].parent);
            ol_pb_put_bytes(b, 4, ol_slice(id, 8));
        }
        put_str(b, 5, d[i].name);
        ol_pb_put_uint(b, 6, 2);
        ol_pb_put_fixed64(b, 7, d[i].start);
        ol_pb_put_fixed64(b, 8, d[i].end);
        if (d[i].ak) put_kv_str(b, 9, d[i].ak, d[i].av);
        put_kv_int(b, 9, "http.status_code", 200);
        if (d[i].status) {
            size_t st = ol_pb_begin(b, 15);
            ol_pb_put_uint(b, 3, (uint64_t)d[i].status);
            ol_pb_end(b, st);
        }
        ol_pb_end(b, sp);
        ol_pb_end(b, sm);
        ol_pb_end(b, rm);
    }
}

typedef struct log_def {
    const char *service;
    uint64_t time, observed;
    int sev;
    const char *body;
    uint8_t tid;
} log_def_t;

static void build_logs(ol_buf_t *b, const log_def_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t rm, sm;
        put_resource_scope_begin(b, d[i].service, "prod", &rm, &sm);
        size_t lr = ol_pb_begin(b, 2);
        if (d[i].time) ol_pb_put_fixed64(b, 1, d[i].time);
        ol_pb_put_uint(b, 2, (uint64_t)d[i].sev);
        size_t body = ol_pb_begin(b, 5);
        put_str(b, 1, d[i].body);
        ol_pb_end(b, body);
        if (d[i].tid) {
            uint8_t id[16];
            id_bytes(id, 16, d[i].tid);
            ol_pb_put_bytes(b, 9, ol_slice(id, 16));
        }
        if (d[i].observed) ol_pb_put_fixed64(b, 11, d[i].observed);
        ol_pb_end(b, lr);
        ol_pb_end(b, sm);
        ol_pb_end(b, rm);
    }
}

static void build_metrics(ol_buf_t *b)
{
    size_t rm, sm;
    put_resource_scope_begin(b, "frontend", "prod", &rm, &sm);
    /* Gauge "cpu": three points, host a / b / a. */
    size_t m = ol_pb_begin(b, 2);
    put_str(b, 1, "cpu");
    put_str(b, 2, "cpu usage");
    put_str(b, 3, "1");
    size_t g = ol_pb_begin(b, 5);
    const char *hosts[3] = {"a", "b", "a"};
    for (int i = 0; i < 3; i++) {
        size_t p = ol_pb_begin(b, 1);
        ol_pb_put_fixed64(b, 3, T0 + (uint64_t)(i + 1) * SEC);
        ol_pb_put_double(b, 4, 0.5 + i);
        put_kv_str(b, 7, "host", hosts[i]);
        ol_pb_end(b, p);
    }
    ol_pb_end(b, g);
    ol_pb_end(b, m);
    /* Histogram "lat": one point with route=/a. */
    m = ol_pb_begin(b, 2);
    put_str(b, 1, "lat");
    put_str(b, 3, "ms");
    size_t h = ol_pb_begin(b, 9);
    size_t p = ol_pb_begin(b, 1);
    ol_pb_put_fixed64(b, 3, T0 + SEC);
    ol_pb_put_fixed64(b, 4, 2);
    put_kv_str(b, 9, "route", "/a");
    ol_pb_end(b, p);
    ol_pb_put_uint(b, 2, 2);
    ol_pb_end(b, h);
    ol_pb_end(b, m);
    ol_pb_end(b, sm);
    ol_pb_end(b, rm);
}

/* ---- fixture store ---- */

static ol_store_t *g_store;
static char g_dir[64];

static const span_def_t g_spans[] = {
    /* trace 1: frontend GET /a (OK) -> db SELECT (ERROR) */
    {"frontend", "prod", 1, 1, 0, "GET /a", 1, T0, T0 + 100 * MS, "http.method", "GET"},
    {"db", "prod", 1, 2, 1, "SELECT", 2, T0 + 10 * MS, T0 + 60 * MS, "db.system", "postgres"},
    /* trace 2: frontend GET /b, 5 ms, staging */
    {"frontend", "staging", 2, 3, 0, "GET /b", 0, T0 + SEC, T0 + SEC + 5 * MS, NULL, NULL},
    /* trace 3: worker job, 2 s, ERROR */
    {"worker", "prod", 3, 4, 0, "job", 2, T0 + 2 * SEC, T0 + 4 * SEC, NULL, NULL},
    /* trace 4: no service.name, 1 ms */
    {NULL, NULL, 4, 5, 0, "orphan", 0, T0 + 3 * SEC, T0 + 3 * SEC + MS, NULL, NULL},
    /* trace 5: clock skew (ends before it starts) */
    {"skew", "prod", 5, 6, 0, "backwards", 0, T0 + 5 * SEC, T0 + 4 * SEC, NULL, NULL},
};

static const log_def_t g_logdefs[] = {
    {"frontend", T0 + 1, 0, 9, "user logged in", 1},
    {"frontend", T0 + 2, 0, 17, "Payment FAILED for order 7", 2},
    {"db", T0 + 3, 0, 13, "slow query", 0},
    {"db", 0, T0 + 4, 9, "connection reset", 0},
};

static int append_pb(ol_signal_t sig, ol_buf_t *b)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t batch;
    ol_err_t err;
    int rc = ol_otlp_decode(sig, ol_buf_slice(b), a, &batch, &err);
    if (rc != OL_OK) fprintf(stderr, "  decode: %s\n", err.msg);
    ol_store_append_result_t r;
    if (rc == OL_OK) rc = ol_store_append(g_store, &batch, &r);
    ol_arena_destroy(a);
    return rc;
}

static bool setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-query-XXXXXX");
    if (!mkdtemp(g_dir)) return false;
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER};
    ol_err_t err;
    if (ol_store_open(&o, &g_store, &err) != OL_OK || ol_store_replay(g_store) != OL_OK) return false;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    build_traces(&b, g_spans, OL_ARRAY_LEN(g_spans));
    int rc = append_pb(OL_SIGNAL_TRACES, &b);
    ol_buf_reset(&b);
    build_logs(&b, g_logdefs, OL_ARRAY_LEN(g_logdefs));
    if (rc == OL_OK) rc = append_pb(OL_SIGNAL_LOGS, &b);
    ol_buf_reset(&b);
    build_metrics(&b);
    if (rc == OL_OK) rc = append_pb(OL_SIGNAL_METRICS, &b);
    ol_buf_free(&b);
    return rc == OL_OK;
}

/* ---- output helpers ---- */

static ol_buf_t g_out;

static long pos(const char *s)
{
    const char *p = memmem(g_out.data, g_out.len, s, strlen(s));
    return p ? (long)(p - (const char *)g_out.data) : -1;
}

static bool has(const char *s) { return pos(s) >= 0; }

static int count(const char *s)
{
    int n = 0;
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= g_out.len; i++)
        if (memcmp(g_out.data + i, s, k) == 0) n++;
    return n;
}

static const char *tid_hex(uint8_t t)
{
    static char bufs[8][33];
    static int k;
    char *o = bufs[k++ & 7];
    uint8_t id[16];
    id_bytes(id, 16, t);
    ol_hex_encode(o, id, 16);
    o[32] = 0;
    return o;
}

/* Runs a trace search; returns the trace numbers found, in output order, as a string like "5,4,3". */
static const char *search(const ol_trace_query_t *q)
{
    static char res[64];
    ol_buf_reset(&g_out);
    int rc = ol_query_traces(g_store, q, &g_out);
    if (rc != OL_OK) return "error";
    long at[8];
    char *o = res;
    *o = 0;
    for (int t = 1; t <= 5; t++) at[t] = pos(tid_hex((uint8_t)t));
    for (;;) {
        int best = 0;
        for (int t = 1; t <= 5; t++)
            if (at[t] >= 0 && (!best || at[t] < at[best])) best = t;
        if (!best) break;
        o += sprintf(o, o == res ? "%d" : ",%d", best);
        at[best] = -1;
    }
    return res;
}

static ol_trace_query_t tq(void)
{
    return (ol_trace_query_t){.start_ns = 0, .end_ns = UINT64_MAX, .status = OL_STATUS_ANY};
}

#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *x_ = (a), *y_ = (b);                                                         \
        if (strcmp(x_, y_) != 0) {                                                               \
            ol_test_failed_checks++;                                                             \
            fprintf(stderr, "  %s:%d: %s == \"%s\" failed: \"%s\"\n", __FILE__, __LINE__, #a, y_, x_); \
        }                                                                                        \
    } while (0)

/* ---- traces ---- */

static void test_trace_search_filters(void)
{
    ol_trace_query_t q = tq();
    CHECK_STR(search(&q), "5,4,3,2,1");
    CHECK(has("{\"traces\":[{\"traceId\":\""));

    q = tq();
    q.service = OL_SLICE_LIT("db");
    CHECK_STR(search(&q), "1");
    q.service = OL_SLICE_LIT("frontend");
    CHECK_STR(search(&q), "2,1");
    q.service = OL_SLICE_LIT(OL_STORE_UNKNOWN_SERVICE);
    CHECK_STR(search(&q), "4");
    q.service = OL_SLICE_LIT("nope");
    CHECK_STR(search(&q), "");
    CHECK(has("{\"traces\":[]}"));

    q = tq();
    q.operation = OL_SLICE_LIT("GET /b");
    CHECK_STR(search(&q), "2");
    q.operation = OL_SLICE_LIT("SELECT");
    CHECK_STR(search(&q), "1");

    q = tq();
    q.status = OL_STATUS_ERROR;
    CHECK_STR(search(&q), "3,1");
    q.status = OL_STATUS_OK;
    CHECK_STR(search(&q), "1");
    q.status = OL_STATUS_UNSET;
    CHECK_STR(search(&q), "5,4,2");

    /* service and status must hold for the same span */
    q = tq();
    q.service = OL_SLICE_LIT("frontend");
    q.status = OL_STATUS_ERROR;
    CHECK_STR(search(&q), "");

    q = tq();
    q.min_duration_ns = SEC;
    CHECK_STR(search(&q), "3");
    q = tq();
    q.max_duration_ns = 10 * MS;
    CHECK_STR(search(&q), "5,4,2"); /* the skewed span counts as 0 */
    q = tq();
    q.min_duration_ns = 40 * MS;
    q.max_duration_ns = 60 * MS;
    CHECK_STR(search(&q), "1");
}

static void test_trace_search_attrs(void)
{
    ol_trace_query_t q = tq();
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("http.method"), OL_SLICE_LIT("GET")};
    q.n_attrs = 1;
    CHECK_STR(search(&q), "1");
    q.attrs[0].value = OL_SLICE_LIT("POST");
    CHECK_STR(search(&q), "");

    /* resource attribute */
    q = tq();
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("deployment.environment"), OL_SLICE_LIT("staging")};
    q.n_attrs = 1;
    CHECK_STR(search(&q), "2");

    /* int attribute by its text form */
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("http.status_code"), OL_SLICE_LIT("200")};
    CHECK_STR(search(&q), "5,4,3,2,1");

    /* span + resource attribute on the same span */
    q = tq();
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("db.system"), OL_SLICE_LIT("postgres")};
    q.attrs[1] = (ol_attr_filter_t){OL_SLICE_LIT("deployment.environment"), OL_SLICE_LIT("prod")};
    q.n_attrs = 2;
    q.service = OL_SLICE_LIT("db");
    CHECK_STR(search(&q), "1");
    /* two span attributes that live on different spans of one trace: no match */
    q = tq();
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("db.system"), OL_SLICE_LIT("postgres")};
    q.attrs[1] = (ol_attr_filter_t){OL_SLICE_LIT("http.method"), OL_SLICE_LIT("GET")};
    q.n_attrs = 2;
    CHECK_STR(search(&q), "");
}

static void test_trace_search_window_limit(void)
{
    ol_trace_query_t q = tq();
    q.limit = 2;
    CHECK_STR(search(&q), "5,4");
    q.limit = 1;
    q.status = OL_STATUS_ERROR;
    CHECK_STR(search(&q), "3");

    q = tq();
    q.start_ns = T0 + SEC;
    q.end_ns = T0 + SEC + SEC / 2;
    CHECK_STR(search(&q), "2");
    /* a trace that started before the window but runs into it overlaps */
    q.start_ns = T0 + 3 * SEC;
    q.end_ns = T0 + 3 * SEC + 1;
    CHECK_STR(search(&q), "4,3");
    /* end is exclusive */
    q.start_ns = 0;
    q.end_ns = T0;
    CHECK_STR(search(&q), "");
}

static void test_trace_summary(void)
{
    ol_trace_query_t q = tq();
    q.service = OL_SLICE_LIT("db");
    search(&q);
    char want[512];
    snprintf(want, sizeof want,
             "{\"traces\":[{\"traceId\":\"%s\",\"rootServiceName\":\"frontend\",\"rootSpanName\":\"GET /a\","
             "\"startTimeUnixNano\":\"%llu\",\"durationNanos\":\"%llu\",\"spanCount\":2,\"errorCount\":1,"
             "\"services\":[\"db\",\"frontend\"],\"clockSkew\":false}]}",
             tid_hex(1), (unsigned long long)T0, (unsigned long long)(100 * MS));
    CHECK_STR((ol_buf_append_u8(&g_out, 0), (const char *)g_out.data), want);

    q = tq();
    q.service = OL_SLICE_LIT("skew");
    search(&q);
    CHECK(has("\"clockSkew\":true"));
    ol_store_stats_t st;
    ol_store_stats(g_store, &st);
    CHECK_EQ_INT(st.clock_skew_spans, 1);
    CHECK_EQ_INT(st.spans, 6);
    CHECK_EQ_INT(st.traces, 5);
}

static void test_trace_by_id(void)
{
    uint8_t id[16];
    id_bytes(id, 16, 1);
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_trace(g_store, id, &g_out), OL_OK);
    CHECK(has("\"resourceSpans\""));
    CHECK(has("\"GET /a\""));
    CHECK(has("\"SELECT\""));
    CHECK(!has("\"GET /b\""));
    /* two different resources (frontend, db): two groups */
    CHECK_EQ_INT(count("\"scopeSpans\""), 2);
    CHECK(has(tid_hex(1)));
    id_bytes(id, 16, 99);
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_trace(g_store, id, &g_out), OL_NOTFOUND);
}

static void test_services(void)
{
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_services(g_store, &g_out), OL_OK);
    ol_buf_append_u8(&g_out, 0);
    CHECK_STR((const char *)g_out.data,
              "{\"services\":[{\"name\":\"db\",\"operations\":[\"SELECT\"]},"
              "{\"name\":\"frontend\",\"operations\":[\"GET /a\",\"GET /b\"]},"
              "{\"name\":\"skew\",\"operations\":[\"backwards\"]},"
              "{\"name\":\"unknown_service\",\"operations\":[\"orphan\"]},"
              "{\"name\":\"worker\",\"operations\":[\"job\"]}]}");
}

/* ---- logs ---- */

static const char *g_bodies[] = {"user logged in", "Payment FAILED for order 7", "slow query", "connection reset"};

/* Log numbers (1-based, g_logdefs order) in output order. */
static const char *logs(const ol_log_query_t *q)
{
    static char res[64];
    ol_buf_reset(&g_out);
    if (ol_query_logs(g_store, q, &g_out) != OL_OK) return "error";
    long at[5];
    char *o = res;
    *o = 0;
    for (int i = 1; i <= 4; i++) at[i] = pos(g_bodies[i - 1]);
    for (;;) {
        int best = 0;
        for (int i = 1; i <= 4; i++)
            if (at[i] >= 0 && (!best || at[i] < at[best])) best = i;
        if (!best) break;
        o += sprintf(o, o == res ? "%d" : ",%d", best);
        at[best] = -1;
    }
    return res;
}

static ol_log_query_t lq(void) { return (ol_log_query_t){.start_ns = 0, .end_ns = UINT64_MAX}; }

static void test_logs_filters(void)
{
    ol_log_query_t q = lq();
    CHECK_STR(logs(&q), "4,3,2,1");
    CHECK(has("{\"resourceLogs\":["));
    /* newest first: db, db, frontend, frontend -> two resource groups */
    CHECK_EQ_INT(count("\"scopeLogs\""), 2);

    q = lq();
    q.service = OL_SLICE_LIT("db");
    CHECK_STR(logs(&q), "4,3");
    q.service = OL_SLICE_LIT("nope");
    CHECK_STR(logs(&q), "");
    CHECK(has("{\"resourceLogs\":[]}"));

    q = lq();
    q.min_severity = 13;
    CHECK_STR(logs(&q), "3,2");

    q = lq();
    q.q = OL_SLICE_LIT("failed");
    CHECK_STR(logs(&q), "2");
    q.q = OL_SLICE_LIT("O");
    CHECK_STR(logs(&q), "4,3,2,1");
    q.q = OL_SLICE_LIT("zzz");
    CHECK_STR(logs(&q), "");

    q = lq();
    q.has_trace_id = true;
    id_bytes(q.trace_id, 16, 1);
    CHECK_STR(logs(&q), "1");
    CHECK(has(tid_hex(1)));

    q = lq();
    q.limit = 2;
    CHECK_STR(logs(&q), "4,3");

    /* time window; the record without time is placed by its observed time */
    q = lq();
    q.start_ns = T0 + 2;
    q.end_ns = T0 + 4;
    CHECK_STR(logs(&q), "3,2");
    q.end_ns = T0 + 5;
    CHECK_STR(logs(&q), "4,3,2");
}

/* ---- metrics ---- */

static ol_metric_query_t mq(const char *name)
{
    return (ol_metric_query_t){.name = ol_slice_cstr(name), .start_ns = 0, .end_ns = UINT64_MAX};
}

static char g_t[4][24];

static void test_metric_names(void)
{
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric_names(g_store, &g_out), OL_OK);
    ol_buf_append_u8(&g_out, 0);
    CHECK_STR((const char *)g_out.data,
              "{\"metrics\":[{\"name\":\"cpu\",\"type\":\"gauge\",\"unit\":\"1\",\"description\":\"cpu usage\"},"
              "{\"name\":\"lat\",\"type\":\"histogram\",\"unit\":\"ms\",\"description\":\"\"}]}");
}

static void test_metric_points(void)
{
    for (int i = 1; i <= 3; i++) snprintf(g_t[i], sizeof g_t[i], "\"%llu\"", (unsigned long long)(T0 + i * SEC));

    ol_metric_query_t q = mq("cpu");
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has("{\"resourceMetrics\":["));
    CHECK(has(g_t[1]) && has(g_t[2]) && has(g_t[3]));
    CHECK(has("\"cpu usage\""));

    q.start_ns = T0 + 2 * SEC;
    q.end_ns = T0 + 3 * SEC;
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(!has(g_t[1]) && has(g_t[2]) && !has(g_t[3]));
    /* the rebuilt Metric keeps its other fields */
    CHECK(has("\"cpu usage\""));
    CHECK(has("\"unit\":\"1\""));

    q = mq("cpu");
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("host"), OL_SLICE_LIT("a")};
    q.n_attrs = 1;
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has(g_t[1]) && !has(g_t[2]) && has(g_t[3]));

    q.start_ns = T0 + 2 * SEC;
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(!has(g_t[1]) && !has(g_t[2]) && has(g_t[3]));

    /* resource attribute */
    q = mq("cpu");
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("deployment.environment"), OL_SLICE_LIT("prod")};
    q.n_attrs = 1;
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has(g_t[1]) && has(g_t[2]) && has(g_t[3]));
    q.attrs[0].value = OL_SLICE_LIT("staging");
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    ol_buf_append_u8(&g_out, 0);
    CHECK_STR((const char *)g_out.data, "{\"resourceMetrics\":[]}");

    /* histogram points carry attributes in field 9 */
    q = mq("lat");
    q.attrs[0] = (ol_attr_filter_t){OL_SLICE_LIT("route"), OL_SLICE_LIT("/a")};
    q.n_attrs = 1;
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(has(g_t[1]));
    CHECK(has("\"aggregationTemporality\":2"));
    q.attrs[0].value = OL_SLICE_LIT("/b");
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_OK);
    CHECK(!has(g_t[1]));

    q = mq("nope");
    ol_buf_reset(&g_out);
    CHECK_EQ_INT(ol_query_metric(g_store, &q, &g_out), OL_NOTFOUND);
}

int main(void)
{
    ol_log_set_level(OL_LOG_WARN);
    ol_buf_init(&g_out, OL_MEM_CORE, 0);
    bool ok = setup();
    CHECK(ok);
    if (ok) {
        RUN(test_trace_search_filters);
        RUN(test_trace_search_attrs);
        RUN(test_trace_search_window_limit);
        RUN(test_trace_summary);
        RUN(test_trace_by_id);
        RUN(test_services);
        RUN(test_logs_filters);
        RUN(test_metric_names);
        RUN(test_metric_points);
    }
    ol_store_close(g_store);
    ol_test_rm_rf(g_dir);
    ol_buf_free(&g_out);
    return ok ? TEST_REPORT() : (TEST_REPORT() | 1);
}
