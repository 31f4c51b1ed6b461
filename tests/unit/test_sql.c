/*
 * test_sql.c - the SQL engine end to end (ol_sql_run): parse, bind, scan,
 * filter, group, order, limit, render, and the bounds, over a small store
 * whose every answer is worked out by hand below. The same queries run with
 * the spans in the head and again after they are flushed into parts.
 * (The differential test in tests/sql/ compares many more queries with
 * ClickHouse itself.)
 *
 * Data: nine spans, one a minute from 2023-11-14 22:13:20 UTC:
 *   frontend  "GET /"   Server    10, 20, 30, 40 ms; http.route "/", status code 200 (the 4th: 500, Error)
 *   cart      "db"      Client    1, 2, 3 ms; db.system "redis"
 *   pay       "charge"  Internal  5, 100 ms; Ok; amount 1.5, flag true
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb_schema.h"
#include "core/arena.h"
#include "core/buf.h"
#include "sql/sql.h"
#include "store/store.h"
#include "test.h"

#define BASE_S UINT64_C(1700000000)

static ol_store_t *g_store;
static char g_dir[64];

static void span_json(ol_buf_t *b, bool first, int i, const char *name, int kind, uint64_t dur_ms, int status, const char *attrs)
{
    uint64_t start = (BASE_S + (uint64_t)i * 60) * UINT64_C(1000000000);
    ol_buf_printf(b,
                  "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"name\":\"%s\",\"kind\":%d,"
                  "\"startTimeUnixNano\":\"%" PRIu64 "\",\"endTimeUnixNano\":\"%" PRIu64 "\","
                  "\"attributes\":[%s],\"status\":{\"code\":%d}}",
                  first ? "" : ",", 0x100 + i, 0x200 + i, name, kind, start, start + dur_ms * UINT64_C(1000000), attrs,
                  status);
}

static void append_service(const char *service, int first, int n, const char *name, int kind, const uint64_t *durs,
                           const int *status, const char *const *attrs)
{
    ol_buf_t j, pb;
    ol_buf_init(&j, OL_MEM_CORE, 1u << 20);
    ol_buf_init(&pb, OL_MEM_CORE, 1u << 20);
    ol_buf_printf(&j,
                  "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
                  "\"stringValue\":\"%s\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"test\",\"version\":\"1.0\"},"
                  "\"spans\":[",
                  service);
    for (int k = 0; k < n; k++) span_json(&j, k == 0, first + k, name, kind, durs[k], status[k], attrs[k]);
    ol_buf_append_cstr(&j, "]}]}]}");
    ol_arena_t *a = ol_arena_create(1u << 16, 0);
    ol_err_t err = {{0}};
    int rc = ol_otlp_json_to_pb(&ol_pb_ExportTraceServiceRequest, ol_buf_slice(&j), a, &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "json: %s\n%.*s\n", err.msg, (int)j.len, (const char *)j.data);
    CHECK_EQ_INT(rc, OL_OK);
    ol_otlp_batch_t batch;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&pb), a, &batch, &err), OL_OK);
    ol_store_append_result_t res;
    CHECK_EQ_INT(ol_store_append(g_store, &batch, &res), OL_OK);
    CHECK_EQ_INT(res.accepted, (uint64_t)n);
    ol_arena_destroy(a);
    ol_buf_free(&j);
    ol_buf_free(&pb);
}

static void load(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-sql-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER, .flush_age_ms = 24ull * 3600 * 1000,
                            .merge_min_parts = 1000, .threads = 1};
    ol_err_t err = {{0}};
    if (ol_store_open(&o, &g_store, &err) != OL_OK || ol_store_replay(g_store) != OL_OK) abort();
    static const char *fa[] = {
        "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/\"}},{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}",
        "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/\"}},{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}",
        "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/\"}},{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}",
        "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/\"}},{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"500\"}}",
    };
    static const uint64_t fd[] = {10, 20, 30, 40};
    static const int fs[] = {0, 0, 0, 2};
    append_service("frontend", 0, 4, "GET /", 2, fd, fs, fa);
    static const char *ca[] = {"{\"key\":\"db.system\",\"value\":{\"stringValue\":\"redis\"}}",
                               "{\"key\":\"db.system\",\"value\":{\"stringValue\":\"redis\"}}",
                               "{\"key\":\"db.system\",\"value\":{\"stringValue\":\"redis\"}}"};
    static const uint64_t cd[] = {1, 2, 3};
    static const int cs[] = {0, 0, 0};
    append_service("cart", 4, 3, "db", 3, cd, cs, ca);
    static const char *pa[] = {
        "{\"key\":\"amount\",\"value\":{\"doubleValue\":1.5}},{\"key\":\"flag\",\"value\":{\"boolValue\":true}}",
        "{\"key\":\"amount\",\"value\":{\"doubleValue\":1.5}},{\"key\":\"flag\",\"value\":{\"boolValue\":true}}"};
    static const uint64_t pd[] = {5, 100};
    static const int ps[] = {1, 1};
    append_service("pay", 7, 2, "charge", 1, pd, ps, pa);
}

/* Runs sql and returns the JSON of its "rows" (static buffer), or the error. */
static char g_out[65536];
static int g_rc;

static const char *run_lim(const char *sql, const ol_sql_limits_t *lim)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 16u << 20);
    ol_err_t err = {{0}};
    ol_sql_stats_t st;
    g_rc = ol_sql_run(g_store, sql, strlen(sql), lim, (BASE_S + 3600) * 1000000000ull, &out, &st, &err);
    if (g_rc != OL_OK) {
        snprintf(g_out, sizeof g_out, "error: %s", err.msg);
    } else {
        const char *r = memmem(out.data, out.len, "\"rows\":", 7);
        const char *e = memmem(out.data, out.len, ",\"statistics\"", 13);
        if (r && e) snprintf(g_out, sizeof g_out, "%.*s", (int)(e - r - 7), r + 7);
        else snprintf(g_out, sizeof g_out, "%.*s", (int)out.len, (const char *)out.data);
    }
    ol_buf_free(&out);
    return g_out;
}

static const char *run(const char *sql) { return run_lim(sql, NULL); }

#define EXPECT(sql, want)                                                                           \
    do {                                                                                            \
        const char *got_ = run(sql);                                                                \
        if (strcmp(got_, want) != 0) {                                                              \
            ol_test_failed_checks++;                                                                \
            fprintf(stderr, "  %s:%d: %s\n    got  %s\n    want %s\n", __FILE__, __LINE__, sql, got_, want); \
        }                                                                                           \
    } while (0)

#define EXPECT_ERR(sql, rc, fragment)                                                                \
    do {                                                                                             \
        const char *got_ = run(sql);                                                                 \
        if (g_rc != (rc) || !strstr(got_, fragment)) {                                               \
            ol_test_failed_checks++;                                                                 \
            fprintf(stderr, "  %s:%d: %s\n    got  %d %s\n    want %d ...%s...\n", __FILE__, __LINE__, sql, g_rc, \
                    got_, rc, fragment);                                                             \
        }                                                                                            \
    } while (0)

static void queries(void)
{
    EXPECT("SELECT count() FROM otel_traces", "[[9]]");
    EXPECT("SELECT count(*) AS n FROM spans WHERE 1 = 1", "[[9]]");
    EXPECT("SELECT ServiceName, count() AS n FROM otel_traces GROUP BY ServiceName ORDER BY n DESC, ServiceName",
           "[[\"frontend\",4],[\"cart\",3],[\"pay\",2]]");
    EXPECT("SELECT SpanAttributes['http.response.status_code'] AS code, count() FROM spans "
           "WHERE ServiceName = 'frontend' GROUP BY code ORDER BY code",
           "[[\"200\",3],[\"500\",1]]");
    EXPECT("SELECT countIf(StatusCode = 'Error') / count() FROM spans WHERE ServiceName = 'frontend'", "[[0.25]]");
    EXPECT("SELECT quantile(0.5)(Duration), quantileExact(0.5)(Duration), avg(Duration) / 1e6 FROM spans "
           "WHERE ServiceName = 'frontend'",
           "[[25000000,30000000,25]]");
    EXPECT("SELECT quantiles(0, 0.5, 1)(Duration / 1000000) FROM spans WHERE SpanName = 'db'", "[[[1,2,3]]]");
    EXPECT("SELECT SpanKind, min(Duration), max(Duration), sum(Duration) FROM spans GROUP BY SpanKind ORDER BY SpanKind",
           "[[\"Client\",1000000,3000000,6000000],[\"Internal\",5000000,100000000,105000000],"
           "[\"Server\",10000000,40000000,100000000]]");
    EXPECT("SELECT SpanName FROM spans ORDER BY Timestamp LIMIT 2 OFFSET 3", "[[\"GET /\"],[\"db\"]]");
    EXPECT("SELECT SpanName FROM spans ORDER BY Timestamp DESC LIMIT 1, 2", "[[\"charge\"],[\"db\"]]");
    EXPECT("SELECT Timestamp, toStartOfHour(Timestamp) FROM spans ORDER BY Timestamp LIMIT 1",
           "[[\"2023-11-14 22:13:20.000000000\",\"2023-11-14 22:00:00\"]]");
    EXPECT("SELECT count() FROM spans WHERE Timestamp >= '2023-11-14 22:15:20'", "[[7]]");
    EXPECT("SELECT count() FROM spans WHERE Timestamp BETWEEN toDateTime(1700000060) AND toDateTime(1700000180)", "[[3]]");
    EXPECT("SELECT count() FROM spans WHERE Timestamp >= now() - INTERVAL 57 MINUTE", "[[6]]");
    /* Read-time semantic-convention normalisation (docs/semconv.md) shows db.system as db.system.name. */
    EXPECT("SELECT count() FROM spans WHERE mapContains(SpanAttributes, 'db.system.name') AND SpanName LIKE 'd%'", "[[3]]");
    EXPECT("SELECT count() FROM spans WHERE mapContains(SpanAttributes, 'db.system')", "[[0]]");
    EXPECT("SELECT count() FROM spans WHERE ServiceName IN ('cart', 'pay') OR NOT (Duration < 40000000)", "[[6]]");
    EXPECT("SELECT SpanAttributes['amount'], SpanAttributes['flag'], ResourceAttributes['service.name'] FROM spans "
           "WHERE ServiceName = 'pay' LIMIT 1",
           "[[\"1.5\",\"true\",\"pay\"]]");
    EXPECT("SELECT DISTINCT ServiceName FROM spans ORDER BY ServiceName", "[[\"cart\"],[\"frontend\"],[\"pay\"]]");
    EXPECT("SELECT ServiceName, count() AS c FROM spans GROUP BY ServiceName HAVING c > 2 ORDER BY ServiceName",
           "[[\"cart\",3],[\"frontend\",4]]");
    EXPECT("SELECT multiIf(Duration < 5000000, 'fast', Duration < 50000000, 'ok', 'slow') AS speed, count() "
           "FROM spans GROUP BY speed ORDER BY speed",
           "[[\"fast\",3],[\"ok\",5],[\"slow\",1]]");
    EXPECT("SELECT uniq(ServiceName), uniqExact(SpanName), count(DISTINCT SpanKind) FROM spans", "[[3,3,3]]");
    EXPECT("SELECT argMax(SpanName, Duration), argMin(ServiceName, Duration) FROM spans", "[[\"charge\",\"cart\"]]");
    EXPECT("SELECT count() FROM spans WHERE ServiceName = 'nope'", "[[0]]");
    EXPECT("SELECT ServiceName, count() FROM spans WHERE ServiceName = 'nope' GROUP BY ServiceName", "[]");
    EXPECT("SELECT sumIf(Duration, StatusCode = 'Ok') / 1000000 FROM otel.otel_traces", "[[105]]");
    EXPECT("SELECT toStartOfInterval(Timestamp, INTERVAL 5 MINUTE) AS t, count() FROM spans GROUP BY t ORDER BY t",
           "[[\"2023-11-14 22:10:00\",2],[\"2023-11-14 22:15:00\",5],[\"2023-11-14 22:20:00\",2]]");
    EXPECT("SELECT ServiceName FROM spans GROUP BY 1 ORDER BY 1 DESC LIMIT 1", "[[\"pay\"]]");
    EXPECT("SELECT lower(concat(ServiceName, '-', SpanKind)) AS x FROM spans WHERE startsWith(ServiceName, 'pa') LIMIT 1",
           "[[\"pay-internal\"]]");
    EXPECT("SELECT length(SpanAttributes), length(TraceId), SpanId FROM spans ORDER BY Timestamp LIMIT 1",
           "[[2,32,\"0000000000000200\"]]");

    /* errors say what and where */
    EXPECT_ERR("SELECT count() FORM spans", OL_CORRUPT, "line 1, column");
    EXPECT_ERR("SELECT Duraton FROM spans", OL_CORRUPT, "Unknown column Duraton");
    EXPECT_ERR("SELECT count() FROM nosuch", OL_CORRUPT, "Unknown table nosuch");
    EXPECT_ERR("SELECT SpanName, count() FROM spans", OL_CORRUPT, "not under aggregate function");
    EXPECT_ERR("SELECT 1 FROM spans WHERE count() > 1", OL_CORRUPT, "is found in WHERE");
    EXPECT_ERR("SELECT nosuchfn(1) FROM spans", OL_CORRUPT, "Unknown function nosuchfn");
    EXPECT_ERR("INSERT INTO spans VALUES (1)", OL_CORRUPT, "read-only");
    EXPECT_ERR("SELECT * FROM url('http://x', CSV)", OL_CORRUPT, "table functions");
    EXPECT_ERR("SELECT quantile(2)(Duration) FROM spans", OL_CORRUPT, "[0, 1]");
}

static void bounds(void)
{
    ol_sql_limits_t lim = {.max_result_rows = 2};
    run_lim("SELECT SpanName FROM spans", &lim);
    CHECK_EQ_INT(g_rc, OL_LIMIT);
    CHECK(strstr(g_out, "max_result_rows") != NULL);
    run_lim("SELECT SpanName FROM spans LIMIT 2", &lim);
    CHECK_EQ_INT(g_rc, OL_OK);
    ol_sql_limits_t lim2 = {.max_rows_scanned = 3};
    run_lim("SELECT count() FROM spans", &lim2);
    CHECK_EQ_INT(g_rc, OL_LIMIT);
    CHECK(strstr(g_out, "max_rows_scanned") != NULL);
    ol_sql_limits_t lim3 = {.max_time_range_ns = 60ull * 1000000000ull};
    run_lim("SELECT count() FROM spans", &lim3);
    CHECK_EQ_INT(g_rc, OL_LIMIT);
    CHECK(strstr(g_out, "max_time_range") != NULL);
    run_lim("SELECT count() FROM spans WHERE Timestamp >= '2023-11-14 22:13:20' AND Timestamp < '2023-11-14 22:14:00'", &lim3);
    CHECK_EQ_INT(g_rc, OL_OK);
    CHECK(strcmp(g_out, "[[1]]") == 0);
    ol_sql_limits_t lim4 = {.max_result_bytes = 10};
    run_lim("SELECT SpanName FROM spans", &lim4);
    CHECK_EQ_INT(g_rc, OL_LIMIT);
}

static void test_head(void)
{
    queries();
    bounds();
}

static void test_parts(void)
{
    CHECK_EQ_INT(ol_store_flush_now(g_store), OL_OK);
    queries();
    bounds();
}

static void test_output_shape(void)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 1u << 20);
    ol_err_t err = {{0}};
    const char *sql = "SELECT ServiceName AS s, count() FROM spans WHERE ServiceName = 'pay' GROUP BY s";
    CHECK_EQ_INT(ol_sql_run(g_store, sql, strlen(sql), NULL, 0, &out, NULL, &err), OL_OK);
    ol_buf_append_u8(&out, 0);
    CHECK(strstr((char *)out.data, "\"columns\":[{\"name\":\"s\",\"type\":\"LowCardinality(String)\"},"
                                   "{\"name\":\"count()\",\"type\":\"UInt64\"}]") != NULL);
    CHECK(strstr((char *)out.data, "\"statistics\":{\"rowsScanned\":") != NULL);
    ol_buf_free(&out);
}

int main(void)
{
    load();
    RUN(test_head);
    RUN(test_output_shape);
    RUN(test_parts);
    ol_store_close(g_store);
    ol_test_rm_rf(g_dir);
    return TEST_REPORT();
}
