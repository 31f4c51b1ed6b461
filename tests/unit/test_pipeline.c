/*
 * test_pipeline.c - the processors wired between ingest and the store: a
 * real SDK request through the OTLP/HTTP handler into a store in a temp dir,
 * then what RED counted. An SDK's retry of the same request is counted once;
 * a request the store refused (the SDK will send it again) is not counted.
 */
#include <stdlib.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "pipeline/pipeline.h"
#include "sql/sql.h"
#include "test.h"

static int post(ol_ingest_t *ing, const char *path, ol_slice_t body)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_http_header_t h = {.name = OL_SLICE_LIT("Content-Type"), .value = OL_SLICE_LIT("application/x-protobuf")};
    ol_http_request_t req = {.method = OL_SLICE_LIT("POST"), .path = ol_slice_cstr(path), .headers = &h,
                             .n_headers = 1, .body = body, .body_status = OL_OK, .arena = a};
    ol_http_response_t res;
    memset(&res, 0, sizeof res);
    res.arena = a;
    ol_buf_init(&res.body, OL_MEM_NET, 0);
    ol_ingest_http(ing, &req, &res);
    ol_buf_free(&res.body);
    ol_arena_destroy(a);
    return res.status;
}

/* sum(Value) of olly.red.requests over entry operations, through SQL. */
static long long red_requests(ol_store_t *st)
{
    const char *sql = "SELECT toInt64(sum(Value)) AS n FROM otel_metrics_sum WHERE MetricName = 'olly.red.requests' "
                      "AND TimeUnix >= toDateTime(0)";
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_QUERY, 0);
    ol_err_t err = {{0}};
    ol_sql_limits_t lim = {0};
    long long n = -1;
    if (ol_sql_run(st, sql, strlen(sql), &lim, 0, &out, NULL, &err) == OL_OK) {
        ol_slice_t s = ol_buf_slice(&out);
        const char *rows = strstr((const char *)s.ptr, "\"rows\":[[");
        if (rows) n = strtoll(rows + 9, NULL, 10);
    } else fprintf(stderr, "sql: %s\n", err.msg);
    ol_buf_free(&out);
    return n;
}

static void test_retries_counted_once(void)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/olly-pipeline-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    ol_store_options_t so = {.dir = dir, .fsync = OL_FSYNC_NEVER};
    ol_store_t *st = NULL;
    ol_err_t err = {{0}};
    CHECK(ol_store_open(&so, &st, &err) == OL_OK);
    ol_pipeline_options_t po = {.store = st, .correlate = {.dir = dir}, .semconv = true, .no_thread = true};
    ol_pipeline_t *pl = NULL;
    CHECK(ol_pipeline_create(&po, &pl, &err) == OL_OK);
    ol_ingest_options_t io = {.store = st, .pipeline = pl, .max_body = 1 << 20};
    ol_ingest_t *ing = NULL;
    CHECK(ol_ingest_create(&io, &ing) == OL_OK);
    size_t len = 0;
    unsigned char *body = ol_test_fixture("otlp/otlp-http-proto.traces.body", &len);
    CHECK(body != NULL);

    /* Not ready yet: the store refuses, nothing is counted. */
    CHECK_EQ_INT(post(ing, "/v1/traces", ol_slice(body, len)), 503);
    CHECK(ol_store_replay(st) == OL_OK);
    CHECK_EQ_INT(post(ing, "/v1/traces", ol_slice(body, len)), 200);
    ol_store_stats_t s1;
    ol_store_stats(st, &s1);
    CHECK(s1.spans > 0);
    /* The SDK retries the same request: the store flags every span a duplicate. */
    CHECK_EQ_INT(post(ing, "/v1/traces", ol_slice(body, len)), 200);
    ol_store_stats_t s2;
    ol_store_stats(st, &s2);
    CHECK_EQ_INT(s2.spans, s1.spans);

    CHECK(ol_pipeline_flush(pl) == OL_OK);
    CHECK_EQ_INT((uint64_t)red_requests(st), s1.spans);

    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_QUERY, 0);
    ol_pipeline_metrics_text(pl, &m);
    CHECK(ol_slice_contains_nocase(ol_buf_slice(&m), OL_SLICE_LIT("olly_red_")));
    ol_buf_free(&m);

    free(body);
    ol_ingest_destroy(ing);
    ol_pipeline_destroy(pl);
    ol_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(test_retries_counted_once);
    return TEST_REPORT();
}
