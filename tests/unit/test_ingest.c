/*
 * test_ingest.c - the OTLP receive pipeline, driven through its HTTP and gRPC
 * handlers with real SDK bodies (fixtures) and a real store in a temp dir:
 * status codes, partial_success, google.rpc.Status bodies, limits, auth,
 * readiness, and that failed requests store nothing.
 */
#include <stdlib.h>
#include <unistd.h>

#include "codec/compress.h"
#include "codec/pb.h"
#include "ingest/ingest.h"
#include "query/read.h"
#include "test.h"

static char g_dir[64];

typedef struct {
    ol_http_header_t h[8];
    size_t n;
} hdrs_t;

static void hdr(hdrs_t *h, const char *name, const char *value)
{
    h->h[h->n].name = ol_slice_cstr(name);
    h->h[h->n].value = ol_slice_cstr(value);
    h->n++;
}

static int post(ol_ingest_t *ing, const char *path, hdrs_t *h, ol_slice_t body, int body_status, ol_buf_t *out)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_http_request_t req = {.method = OL_SLICE_LIT("POST"), .path = ol_slice_cstr(path), .headers = h->h,
                             .n_headers = h->n, .body = body, .body_status = body_status, .arena = a};
    ol_http_response_t res;
    memset(&res, 0, sizeof res);
    res.arena = a;
    ol_buf_init(&res.body, OL_MEM_NET, 0);
    ol_ingest_http(ing, &req, &res);
    ol_buf_reset(out);
    ol_buf_append_slice(out, ol_buf_slice(&res.body));
    ol_buf_free(&res.body);
    ol_arena_destroy(a);
    return res.status;
}

static bool contains(const ol_buf_t *b, const char *s)
{
    return ol_slice_contains_nocase(ol_buf_slice(b), ol_slice_cstr(s));
}

static uint64_t count_spans(ol_store_t *st)
{
    ol_store_stats_t s;
    ol_store_stats(st, &s);
    return s.spans;
}

static void test_http_pipeline(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-ingest-XXXXXX");
    CHECK(mkdtemp(g_dir) != NULL);
    ol_store_options_t so = {.dir = g_dir, .fsync = OL_FSYNC_NEVER};
    ol_store_t *st = NULL;
    ol_err_t err;
    CHECK(ol_store_open(&so, &st, &err) == OL_OK);
    ol_ingest_options_t io = {.store = st, .max_body = 1 << 20};
    ol_ingest_t *ing = NULL;
    CHECK(ol_ingest_create(&io, &ing) == OL_OK);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);

    size_t pl, jl, gl;
    unsigned char *pb = ol_test_fixture("otlp/otlp-http-proto.traces.body", &pl);
    unsigned char *js = ol_test_fixture("otlp/otlp-http-json.traces.body", &jl);
    unsigned char *gz = ol_test_fixture("otlp/otlp-http-proto-gzip.traces.body", &gl);
    CHECK(pb && js && gz);

    hdrs_t h = {0};
    hdr(&h, "Content-Type", "application/x-protobuf");
    /* Not ready before replay: 503 with Retry-After, nothing stored. */
    CHECK_EQ_INT(post(ing, "/v1/traces", &h, ol_slice(pb, pl), OL_OK, &out), 503);
    CHECK(ol_store_replay(st) == OL_OK);

    CHECK_EQ_INT(post(ing, "/v1/traces", &h, ol_slice(pb, pl), OL_OK, &out), 200);
    CHECK(out.len == 0); /* empty ExportTraceServiceResponse */
    CHECK_EQ_INT(count_spans(st), 3);
    /* Same batch again (a retry): acknowledged, stored once. */
    CHECK_EQ_INT(post(ing, "/v1/traces", &h, ol_slice(pb, pl), OL_OK, &out), 200);
    CHECK_EQ_INT(count_spans(st), 3);
    /* Empty request succeeds. */
    CHECK_EQ_INT(post(ing, "/v1/traces", &h, OL_SLICE_NULL, OL_OK, &out), 200);

    hdrs_t hg = {0};
    hdr(&hg, "content-type", "application/x-protobuf");
    hdr(&hg, "content-encoding", "gzip");
    CHECK_EQ_INT(post(ing, "/v1/traces", &hg, ol_slice(gz, gl), OL_OK, &out), 200);
    CHECK_EQ_INT(count_spans(st), 6);

    hdrs_t hj = {0};
    hdr(&hj, "Content-Type", "application/json; charset=utf-8");
    CHECK_EQ_INT(post(ing, "/v1/traces", &hj, ol_slice(js, jl), OL_OK, &out), 200);
    CHECK(out.len == 2 && memcmp(out.data, "{}", 2) == 0);
    CHECK_EQ_INT(count_spans(st), 9);

    /* Bad input: each refused with the right status, store unchanged. */
    CHECK_EQ_INT(post(ing, "/v1/traces", &h, OL_SLICE_LIT("\x0a\xff\xff\xff\x0f garbage"), OL_OK, &out), 400);
    CHECK(out.len > 2 && out.data[0] == 0x08 && out.data[1] == 3); /* Status.code = 3 */
    CHECK_EQ_INT(post(ing, "/v1/traces", &hj, OL_SLICE_LIT("{\"resourceSpans\":[{"), OL_OK, &out), 400);
    CHECK(contains(&out, "\"code\":3"));
    hdrs_t ht = {0};
    hdr(&ht, "Content-Type", "text/plain");
    CHECK_EQ_INT(post(ing, "/v1/traces", &ht, ol_slice(pb, pl), OL_OK, &out), 415);
    CHECK_EQ_INT(post(ing, "/v1/traces", &h, OL_SLICE_NULL, OL_LIMIT, &out), 413);
    CHECK_EQ_INT(post(ing, "/v1/traces", &hg, ol_slice(pb, pl), OL_OK, &out), 400); /* not gzip */
    hdrs_t hb = {0};
    hdr(&hb, "content-type", "application/x-protobuf");
    hdr(&hb, "content-encoding", "br");
    CHECK_EQ_INT(post(ing, "/v1/traces", &hb, ol_slice(pb, pl), OL_OK, &out), 415);
    /* A compression bomb: small on the wire, over the limit once inflated. */
    size_t big = 4u << 20;
    char *zeros = calloc(1, big);
    ol_buf_t bomb;
    ol_buf_init(&bomb, OL_MEM_CORE, 0);
    CHECK(ol_compress(OL_ENC_GZIP, ol_slice(zeros, big), &bomb) == OL_OK);
    CHECK_EQ_INT(post(ing, "/v1/traces", &hg, ol_buf_slice(&bomb), OL_OK, &out), 413);
    free(zeros);
    ol_buf_free(&bomb);
    CHECK_EQ_INT(count_spans(st), 9);

    /* One span with a 15-byte trace id: partial success, the valid one is kept. */
    const char *partial =
        "{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":[{\"spans\":["
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f\",\"spanId\":\"0102030405060708\",\"name\":\"bad\"},"
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\",\"name\":\"good\","
        "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}";
    CHECK_EQ_INT(post(ing, "/v1/traces", &hj, ol_slice_cstr(partial), OL_OK, &out), 200);
    CHECK(contains(&out, "\"rejectedSpans\":\"1\""));
    CHECK(contains(&out, "trace_id"));
    CHECK_EQ_INT(count_spans(st), 10);

    /* Wrong path and method. */
    CHECK_EQ_INT(post(ing, "/v1/nope", &h, ol_slice(pb, pl), OL_OK, &out), 404);

    ol_buf_free(&out);
    free(pb);
    free(js);
    free(gz);
    ol_ingest_destroy(ing);
    ol_store_close(st);
}

static void test_auth(void)
{
    char dir[] = "/tmp/olly-ingest-auth-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ol_store_options_t so = {.dir = dir, .fsync = OL_FSYNC_NEVER};
    ol_store_t *st = NULL;
    ol_err_t err;
    CHECK(ol_store_open(&so, &st, &err) == OL_OK && ol_store_replay(st) == OL_OK);
    ol_ingest_options_t io = {.store = st, .token = "s3cret"};
    ol_ingest_t *ing = NULL;
    CHECK(ol_ingest_create(&io, &ing) == OL_OK);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    hdrs_t h = {0};
    hdr(&h, "Content-Type", "application/json");
    CHECK_EQ_INT(post(ing, "/v1/logs", &h, OL_SLICE_LIT("{}"), OL_OK, &out), 401);
    CHECK(contains(&out, "token"));
    hdr(&h, "Authorization", "Bearer wrong!");
    CHECK_EQ_INT(post(ing, "/v1/logs", &h, OL_SLICE_LIT("{}"), OL_OK, &out), 401);
    h.h[1].value = OL_SLICE_LIT("Bearer s3cret");
    CHECK_EQ_INT(post(ing, "/v1/logs", &h, OL_SLICE_LIT("{}"), OL_OK, &out), 200);
    ol_buf_free(&out);
    ol_ingest_destroy(ing);
    ol_store_close(st);
}

static int grpc(ol_ingest_t *ing, const char *path, const char *enc, ol_slice_t msg, bool compressed, int mstatus,
                ol_grpc_reply_t *reply)
{
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_grpc_call_t call = {.path = ol_slice_cstr(path), .grpc_encoding = ol_slice_cstr(enc), .message = msg,
                           .compressed = compressed, .message_status = mstatus, .arena = a};
    memset(reply, 0, sizeof *reply);
    ol_buf_init(&reply->response, OL_MEM_NET, 0);
    ol_buf_init(&reply->details, OL_MEM_NET, 0);
    ol_ingest_grpc(ing, &call, reply);
    ol_arena_destroy(a);
    return reply->status;
}

static void test_grpc(void)
{
    char dir[] = "/tmp/olly-ingest-grpc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ol_store_options_t so = {.dir = dir, .fsync = OL_FSYNC_NEVER};
    ol_store_t *st = NULL;
    ol_err_t err;
    CHECK(ol_store_open(&so, &st, &err) == OL_OK && ol_store_replay(st) == OL_OK);
    ol_ingest_options_t io = {.store = st, .max_body = 1 << 20};
    ol_ingest_t *ing = NULL;
    CHECK(ol_ingest_create(&io, &ing) == OL_OK);
    size_t l1, l2;
    unsigned char *plain = ol_test_fixture("otlp/otlp-grpc.logs.body", &l1);
    unsigned char *gz = ol_test_fixture("otlp/otlp-grpc-gzip.logs.body", &l2);
    CHECK(plain && gz && l1 > 5 && l2 > 5);
    const char *logs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    ol_grpc_reply_t r;
    CHECK_EQ_INT(grpc(ing, logs, "", ol_slice(plain + 5, l1 - 5), false, OL_OK, &r), OL_GRPC_OK);
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    CHECK_EQ_INT(grpc(ing, logs, "gzip", ol_slice(gz + 5, l2 - 5), true, OL_OK, &r), OL_GRPC_OK);
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    ol_store_stats_t s;
    ol_store_stats(st, &s);
    CHECK_EQ_INT(s.log_records, 4);
    CHECK_EQ_INT(grpc(ing, logs, "snappy", ol_slice(gz + 5, l2 - 5), true, OL_OK, &r), OL_GRPC_UNIMPLEMENTED);
    CHECK(r.accept_encoding && strstr(r.accept_encoding, "gzip"));
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    CHECK_EQ_INT(grpc(ing, "/foo.Bar/Export", "", ol_slice(plain + 5, l1 - 5), false, OL_OK, &r), OL_GRPC_UNIMPLEMENTED);
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    CHECK_EQ_INT(grpc(ing, logs, "", OL_SLICE_NULL, false, OL_LIMIT, &r), OL_GRPC_RESOURCE_EXHAUSTED);
    CHECK(r.details.len == 0); /* no RetryInfo: clients must not retry */
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    CHECK_EQ_INT(grpc(ing, logs, "", OL_SLICE_LIT("\x0a\x05\x01"), false, OL_OK, &r), OL_GRPC_INVALID_ARGUMENT);
    ol_buf_free(&r.response); ol_buf_free(&r.details);
    ol_store_stats(st, &s);
    CHECK_EQ_INT(s.log_records, 4);
    free(plain);
    free(gz);
    ol_ingest_destroy(ing);
    ol_store_close(st);
}

int main(void)
{
    RUN(test_http_pipeline);
    RUN(test_auth);
    RUN(test_grpc);
    return TEST_REPORT();
}
