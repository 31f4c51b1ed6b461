/*
 * test_codec_otlp.c - OTLP request decoding (otlp.c) and protobuf -> OTLP/JSON
 * rendering (pb_json.c) on every protobuf capture in fixtures/otlp (HTTP
 * plain and gzip, gRPC plain and gzip; see fixtures/otlp/README.md for their
 * content), plus hand-built requests for the per-item rejection rules.
 */
#include <zlib.h>

#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"
#include "core/util.h"
#include "test.h"

static const char *const transports[] = {"otlp-http-proto", "otlp-http-proto-gzip", "otlp-grpc", "otlp-grpc-gzip"};

static unsigned char *gunzip(const unsigned char *in, size_t n, size_t *out_len)
{
    size_t cap = 4096, len = 0;
    unsigned char *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!out || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    int zrc;
    do {
        if (len == cap) {
            unsigned char *bigger = realloc(out, cap *= 2);
            if (!bigger) break;
            out = bigger;
        }
        zs.next_out = out + len;
        zs.avail_out = (uInt)(cap - len);
        zrc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
    } while (zrc == Z_OK);
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = len;
    return out;
}

/* The bare Export*ServiceRequest of one capture (malloc'd), undoing gzip and
 * the gRPC length prefix. */
static unsigned char *load_pb(const char *transport, const char *signal, size_t *len)
{
    char rel[256];
    size_t n;
    snprintf(rel, sizeof rel, "otlp/%s.%s.body", transport, signal);
    unsigned char *raw = ol_test_fixture(rel, &n);
    if (!raw) return NULL;
    bool grpc = strncmp(transport, "otlp-grpc", 9) == 0;
    bool gz = strstr(transport, "gzip") != NULL;
    const unsigned char *body = raw;
    size_t body_len = n;
    if (grpc) {
        CHECK(n >= 5);
        if (n < 5) { free(raw); return NULL; }
        CHECK_EQ_INT(raw[0], gz ? 1 : 0);
        CHECK_EQ_INT(ol_load_be32(raw + 1), n - 5);
        body = raw + 5;
        body_len = n - 5;
    }
    unsigned char *out;
    if (gz) {
        out = gunzip(body, body_len, len);
        CHECK(out != NULL);
    } else {
        out = malloc(body_len + 1);
        memcpy(out, body, body_len);
        *len = body_len;
    }
    free(raw);
    return out;
}

static bool contains(const ol_buf_t *b, const char *needle)
{
    if (memmem(b->data, b->len, needle, strlen(needle))) return true;
    fprintf(stderr, "  missing %s in %.*s\n", needle, (int)OL_MIN(b->len, 400), (const char *)b->data);
    return false;
}

static void hex_of(ol_slice_t s, char *out)
{
    ol_hex_encode(out, s.ptr, s.len);
    out[2 * s.len] = 0;
}

static ol_slice_t scope_name(ol_slice_t scope)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_slice_t name = OL_SLICE_NULL;
    ol_pb_reader_init(&r, scope);
    while (ol_pb_next(&r, &f) == OL_OK)
        if (f.number == 1 && f.wire_type == OL_PB_LEN) name = f.bytes;
    return name;
}

typedef struct {
    int n;
    char keys[16][64];
    char text[16][128];
} attrs_t;

static int collect_attr(void *ud, ol_slice_t key, ol_slice_t value)
{
    attrs_t *a = ud;
    if (a->n >= 16) return OL_OK;
    snprintf(a->keys[a->n], 64, "%.*s", (int)key.len, (const char *)key.ptr);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    ol_otlp_anyvalue_text(value, &b);
    snprintf(a->text[a->n], 128, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    ol_buf_free(&b);
    a->n++;
    return OL_OK;
}

static const char *attr_text(const attrs_t *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->keys[i], key) == 0) return a->text[i];
    return "<absent>";
}

static const ol_otlp_span_t *span_named(const ol_otlp_batch_t *b, const char *name)
{
    for (size_t i = 0; i < b->n_spans; i++)
        if (ol_slice_eq_cstr(b->spans[i].name, name)) return &b->spans[i];
    return NULL;
}

static void check_resource(const ol_otlp_origin_t *o)
{
    CHECK(ol_slice_eq_cstr(o->service_name, "checkout"));
    CHECK_EQ_INT(o->resource_index, 0);
    attrs_t a = {0};
    CHECK_EQ_INT(ol_otlp_each_attribute(o->resource, 1, collect_attr, &a), OL_OK);
    CHECK_EQ_INT(a.n, 4);
    CHECK(strcmp(attr_text(&a, "service.name"), "checkout") == 0);
    CHECK(strcmp(attr_text(&a, "service.version"), "1.2.3") == 0);
    CHECK(strcmp(attr_text(&a, "deployment.environment.name"), "test") == 0);
    CHECK(strcmp(attr_text(&a, "host.name"), "host-1") == 0);
}

static void check_traces(const char *transport)
{
    size_t n = 0;
    unsigned char *pb = load_pb(transport, "traces", &n);
    CHECK(pb != NULL);
    if (!pb) return;
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t b;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(pb, n), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.signal, OL_SIGNAL_TRACES);
    CHECK_EQ_INT(b.n_spans, 3);
    CHECK_EQ_INT(b.n_items, 3);
    CHECK_EQ_INT(b.n_rejected, 0);
    CHECK_EQ_INT(b.n_origins, 1);
    if (b.n_spans != 3 || b.n_origins != 1) goto out;
    check_resource(&b.origins[0]);
    CHECK(ol_slice_eq_cstr(scope_name(b.origins[0].scope), "checkout-tracer"));

    const ol_otlp_span_t *bg = span_named(&b, "background-job");
    const ol_otlp_span_t *get = span_named(&b, "GET /checkout");
    const ol_otlp_span_t *sel = span_named(&b, "SELECT orders");
    CHECK(bg && get && sel);
    if (!bg || !get || !sel) goto out;
    for (size_t i = 0; i < 3; i++) {
        const ol_otlp_span_t *s = &b.spans[i];
        CHECK(s->valid && s->reject_reason == NULL);
        CHECK(s->origin == &b.origins[0]);
        CHECK_EQ_INT(s->trace_id.len, 16);
        CHECK_EQ_INT(s->span_id.len, 8);
        CHECK(s->start_ns > 1700000000000000000ull && s->end_ns >= s->start_ns);
        CHECK(s->raw.ptr >= pb && s->raw.ptr + s->raw.len <= pb + n);
    }
    CHECK_EQ_INT(bg->kind, 5);
    CHECK_EQ_INT(get->kind, 2);
    CHECK_EQ_INT(sel->kind, 3);
    CHECK_EQ_INT(bg->status_code, 0);
    CHECK_EQ_INT(get->status_code, 2);
    CHECK_EQ_INT(sel->status_code, 2);
    CHECK_EQ_INT(bg->parent_span_id.len, 0);
    CHECK_EQ_INT(get->parent_span_id.len, 0);
    CHECK(ol_slice_eq(sel->parent_span_id, get->span_id));
    CHECK(ol_slice_eq(sel->trace_id, get->trace_id));
    CHECK(!ol_slice_eq(bg->trace_id, get->trace_id));
    if (strcmp(transport, "otlp-http-proto") == 0) {
        char hex[33];
        hex_of(bg->trace_id, hex);
        CHECK(strcmp(hex, "e3a5affa3600f63ffa532c5fb6ef56f5") == 0);
        CHECK(bg->start_ns == 0x18ea1bfa654ec900ull && bg->end_ns == 0x18ea1bfa65547be0ull);
    }

    attrs_t at = {0};
    CHECK_EQ_INT(ol_otlp_each_attribute(get->raw, 9, collect_attr, &at), OL_OK);
    CHECK_EQ_INT(at.n, 7);
    CHECK(strcmp(attr_text(&at, "http.request.method"), "GET") == 0);
    CHECK(strcmp(attr_text(&at, "http.response.status_code"), "500") == 0);
    CHECK(strcmp(attr_text(&at, "user.vip"), "true") == 0);
    CHECK(strcmp(attr_text(&at, "cart.items"), "3") == 0);
    CHECK(strcmp(attr_text(&at, "cart.total"), "99.5") == 0);
    CHECK(strcmp(attr_text(&at, "tags"), "[\"a\",\"b\"]") == 0);

    ol_buf_t js;
    ol_buf_init(&js, OL_MEM_CODEC, 0);
    for (size_t i = 0; i < 3; i++) {
        const ol_otlp_span_t *s = &b.spans[i];
        char hex[33], want[128];
        ol_buf_reset(&js);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, s->raw, &js), OL_OK);
        hex_of(s->trace_id, hex);
        snprintf(want, sizeof want, "\"traceId\":\"%s\"", hex);
        CHECK(contains(&js, want));
        hex_of(s->span_id, hex);
        snprintf(want, sizeof want, "\"spanId\":\"%s\"", hex);
        CHECK(contains(&js, want));
        snprintf(want, sizeof want, "\"kind\":%d", s->kind);
        CHECK(contains(&js, want));
        snprintf(want, sizeof want, "\"startTimeUnixNano\":\"%llu\"", (unsigned long long)s->start_ns);
        CHECK(contains(&js, want));
        CHECK(contains(&js, "\"flags\":257"));
        CHECK(js.data[0] == '{' && js.data[js.len - 1] == '}');
    }
    ol_buf_reset(&js);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, sel->raw, &js), OL_OK);
    char hex[17], want[64];
    hex_of(get->span_id, hex);
    snprintf(want, sizeof want, "\"parentSpanId\":\"%s\"", hex);
    CHECK(contains(&js, want));
    CHECK(contains(&js, "\"status\":{\"message\":\"db timeout\",\"code\":2}"));
    CHECK(contains(&js, "\"name\":\"retry\",\"attributes\":[{\"key\":\"attempt\",\"value\":{\"intValue\":\"2\"}}]"));
    CHECK(contains(&js, "\"links\":[{\"traceId\":\""));
    CHECK(contains(&js, "{\"key\":\"link.reason\",\"value\":{\"stringValue\":\"triggered-by\"}}"));
    ol_buf_reset(&js);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, get->raw, &js), OL_OK);
    CHECK(contains(&js, "{\"key\":\"cart.total\",\"value\":{\"doubleValue\":99.5}}"));
    CHECK(contains(&js, "{\"key\":\"user.vip\",\"value\":{\"boolValue\":true}}"));
    CHECK(contains(&js, "\"arrayValue\":{\"values\":[{\"stringValue\":\"a\"},{\"stringValue\":\"b\"}]}"));

    ol_buf_reset(&js);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_ExportTraceServiceRequest, ol_slice(pb, n), &js), OL_OK);
    CHECK(contains(&js, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
                        "\"value\":{\"stringValue\":\"checkout\"}}"));
    CHECK(contains(&js, "\"scopeSpans\":[{\"scope\":{\"name\":\"checkout-tracer\",\"version\":\"0.1.0\"},\"spans\":["));
    ol_buf_free(&js);
out:
    ol_arena_destroy(a);
    free(pb);
}

static const ol_otlp_metric_t *metric_named(const ol_otlp_batch_t *b, const char *name)
{
    for (size_t i = 0; i < b->n_metrics; i++)
        if (ol_slice_eq_cstr(b->metrics[i].name, name)) return &b->metrics[i];
    return NULL;
}

static void check_metrics(const char *transport)
{
    static const struct {
        const char *name;
        ol_metric_type_t type;
        uint32_t points;
        const char *json;
    } want[] = {
        {"http.server.requests", OL_METRIC_SUM, 2, "\"aggregationTemporality\":2,\"isMonotonic\":true}"},
        {"http.server.duration", OL_METRIC_HISTOGRAM, 1, "\"count\":\"5\",\"sum\":1472,\"bucketCounts\":["},
        {"rpc.payload.size", OL_METRIC_EXP_HISTOGRAM, 1, "\"scale\":4,"},
        {"queue.depth", OL_METRIC_GAUGE, 1, "\"asDouble\":17,"},
        {"process.cpu.utilization", OL_METRIC_GAUGE, 1, "\"asDouble\":0.42,"},
        {"active.sessions", OL_METRIC_SUM, 1, "\"asDouble\":-3}],\"aggregationTemporality\":2}"},
    };
    size_t n = 0;
    unsigned char *pb = load_pb(transport, "metrics", &n);
    CHECK(pb != NULL);
    if (!pb) return;
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t b;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_slice(pb, n), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_metrics, 6);
    CHECK_EQ_INT(b.n_items, 7); /* data points */
    CHECK_EQ_INT(b.n_rejected, 0);
    CHECK_EQ_INT(b.n_origins, 1);
    if (b.n_origins == 1) check_resource(&b.origins[0]);
    ol_buf_t js;
    ol_buf_init(&js, OL_MEM_CODEC, 0);
    for (size_t i = 0; i < OL_ARRAY_LEN(want); i++) {
        const ol_otlp_metric_t *m = metric_named(&b, want[i].name);
        CHECK(m != NULL);
        if (!m) continue;
        CHECK(m->valid);
        CHECK_EQ_INT(m->type, want[i].type);
        CHECK_EQ_INT(m->n_points, want[i].points);
        CHECK(m->min_time_ns > 1700000000000000000ull && m->max_time_ns >= m->min_time_ns);
        CHECK(m->data.len > 0 && m->data.ptr > m->raw.ptr);
        ol_buf_reset(&js);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, m->raw, &js), OL_OK);
        char key[128];
        snprintf(key, sizeof key, "{\"name\":\"%s\"", want[i].name);
        CHECK(contains(&js, key));
        snprintf(key, sizeof key, "\"%s\":{\"dataPoints\":[", ol_metric_type_name(m->type));
        CHECK(contains(&js, key));
        CHECK(contains(&js, want[i].json));
    }
    const ol_otlp_metric_t *d = metric_named(&b, "http.server.duration");
    if (d) {
        ol_buf_reset(&js);
        ol_pb_to_otlp_json(&ol_pb_Metric, d->raw, &js);
        /* compared by value: any JSON spelling of the numbers (10 or 1e+01) is correct */
        static const double bounds[] = {0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
        CHECK(contains(&js, "\"explicitBounds\":["));
        const char *p = memmem(js.data, js.len, "\"explicitBounds\":[", 18);
        size_t nb = 0;
        if (p) {
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%.*s", (int)OL_MIN(255, js.len - (size_t)(p + 18 - (const char *)js.data)), p + 18);
            for (char *q = tmp, *e; nb < OL_ARRAY_LEN(bounds); q = e + 1, nb++) {
                double v = strtod(q, &e);
                if (e == q || v != bounds[nb] || (*e != ',' && *e != ']')) break;
                if (*e == ']') { nb++; break; }
            }
        }
        CHECK_EQ_INT(nb, OL_ARRAY_LEN(bounds));
        CHECK(contains(&js, "\"unit\":\"ms\""));
    }
    ol_buf_free(&js);
    ol_arena_destroy(a);
    free(pb);
}

static void check_logs(const char *transport)
{
    size_t n = 0;
    unsigned char *pb = load_pb(transport, "logs", &n);
    CHECK(pb != NULL);
    if (!pb) return;
    ol_arena_t *a = ol_arena_create(4096, 0);
    ol_otlp_batch_t b;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_slice(pb, n), a, &b, &err), OL_OK);
    CHECK_EQ_INT(b.n_logs, 2);
    CHECK_EQ_INT(b.n_items, 2);
    CHECK_EQ_INT(b.n_rejected, 0);
    if (b.n_logs != 2 || b.n_origins != 1) goto out;
    check_resource(&b.origins[0]);
    CHECK(ol_slice_eq_cstr(scope_name(b.origins[0].scope), "checkout-logger"));
    const ol_otlp_log_t *e = &b.logs[0], *i = &b.logs[1];
    CHECK_EQ_INT(e->severity_number, 17);
    CHECK(ol_slice_eq_cstr(e->severity_text, "ERROR"));
    CHECK_EQ_INT(e->trace_id.len, 16);
    CHECK_EQ_INT(e->span_id.len, 8);
    CHECK(e->time_ns > 1700000000000000000ull && e->observed_ns >= e->time_ns);
    CHECK_EQ_INT(i->severity_number, 9);
    CHECK(ol_slice_eq_cstr(i->severity_text, "INFO"));
    CHECK_EQ_INT(i->trace_id.len, 0);
    CHECK_EQ_INT(i->span_id.len, 0);
    CHECK_EQ_INT(i->event_name.len, 0);

    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_CODEC, 0);
    ol_otlp_anyvalue_text(e->body, &t);
    CHECK(ol_slice_eq_cstr(ol_buf_slice(&t), "payment failed for order 42"));
    ol_buf_reset(&t);
    ol_otlp_anyvalue_text(i->body, &t);
    CHECK(ol_slice_eq_cstr(ol_buf_slice(&t), "{\"msg\":\"structured body\",\"n\":1}"));

    ol_buf_reset(&t);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_LogRecord, e->raw, &t), OL_OK);
    char hex[33], want[64];
    hex_of(e->trace_id, hex);
    snprintf(want, sizeof want, "\"traceId\":\"%s\"", hex);
    CHECK(contains(&t, want));
    CHECK(contains(&t, "\"severityNumber\":17,\"severityText\":\"ERROR\","
                       "\"body\":{\"stringValue\":\"payment failed for order 42\"}"));
    CHECK(contains(&t, "\"flags\":1,"));
    ol_buf_reset(&t);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_LogRecord, i->raw, &t), OL_OK);
    CHECK(contains(&t, "\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"msg\",\"value\":{\"stringValue\":"
                       "\"structured body\"}},{\"key\":\"n\",\"value\":{\"intValue\":\"1\"}}]}}"));
    ol_buf_free(&t);
out:
    ol_arena_destroy(a);
    free(pb);
}

static void test_fixtures_traces(void)
{
    for (size_t i = 0; i < OL_ARRAY_LEN(transports); i++) check_traces(transports[i]);
}

static void test_fixtures_metrics(void)
{
    for (size_t i = 0; i < OL_ARRAY_LEN(transports); i++) check_metrics(transports[i]);
}

static void test_fixtures_logs(void)
{
    for (size_t i = 0; i < OL_ARRAY_LEN(transports); i++) check_logs(transports[i]);
}

static void test_partial_success_response(void)
{
    size_t n;
    unsigned char *p = ol_test_fixture("otlp/response.partial_success.traces.pb", &n);
    CHECK(p != NULL);
    if (!p) return;
    ol_err_t err;
    CHECK_EQ_INT(ol_pb_validate(&ol_pb_ExportTraceServiceResponse, ol_slice(p, n), &err), OL_OK);
    ol_buf_t js;
    ol_buf_init(&js, OL_MEM_CODEC, 0);
    CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_ExportTraceServiceResponse, ol_slice(p, n), &js), OL_OK);
    CHECK(ol_slice_eq_cstr(ol_buf_slice(&js),
                           "{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"dropped by capture server\"}}"));
    ol_buf_free(&js);
    free(p);
}

/* Every prefix and a few byte flips of every capture: OL_OK or OL_CORRUPT, never a crash. */
static void test_truncated_and_flipped(void)
{
    static const char *const sigs[] = {"traces", "metrics", "logs"};
    ol_arena_t *a = ol_arena_create(4096, 0);
    for (int s = 0; s < 3; s++) {
        size_t n = 0;
        unsigned char *pb = load_pb("otlp-http-proto", sigs[s], &n);
        if (!pb) continue;
        int corrupt = 0;
        ol_otlp_batch_t b;
        ol_err_t err;
        for (size_t len = 0; len < n; len++) {
            err.msg[0] = 0;
            int rc = ol_otlp_decode((ol_signal_t)s, ol_slice(pb, len), a, &b, &err);
            CHECK(rc == OL_OK || rc == OL_CORRUPT);
            if (rc == OL_CORRUPT) {
                corrupt++;
                CHECK(err.msg[0] != 0);
                CHECK_EQ_INT(b.n_items, 0);
            }
            ol_arena_reset(a);
        }
        CHECK(corrupt > 0);
        ol_buf_t js;
        ol_buf_init(&js, OL_MEM_CODEC, 0);
        for (size_t i = 0; i < n; i += 7) {
            unsigned char saved = pb[i];
            pb[i] ^= 0x5a;
            int rc = ol_otlp_decode((ol_signal_t)s, ol_slice(pb, n), a, &b, &err);
            CHECK(rc == OL_OK || rc == OL_CORRUPT);
            for (size_t k = 0; rc == OL_OK && k < b.n_spans; k++) {
                ol_buf_reset(&js);
                CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Span, b.spans[k].raw, &js), OL_OK);
            }
            pb[i] = saved;
            ol_arena_reset(a);
        }
        ol_buf_free(&js);
        free(pb);
    }
    ol_arena_destroy(a);
}

static void put_span(ol_buf_t *b, const uint8_t *tid, size_t tid_len, const uint8_t *sid, size_t sid_len,
                     const uint8_t *parent, size_t parent_len, const char *name)
{
    size_t m = ol_pb_begin(b, 2);
    if (tid) ol_pb_put_bytes(b, 1, ol_slice(tid, tid_len));
    if (sid) ol_pb_put_bytes(b, 2, ol_slice(sid, sid_len));
    if (parent) ol_pb_put_bytes(b, 4, ol_slice(parent, parent_len));
    ol_pb_put_bytes(b, 5, ol_slice_cstr(name));
    ol_pb_end(b, m);
}

static void put_resource(ol_buf_t *b, const char *service)
{
    size_t r = ol_pb_begin(b, 1);
    size_t kv = ol_pb_begin(b, 1);
    ol_pb_put_bytes(b, 1, OL_SLICE_LIT("service.name"));
    size_t av = ol_pb_begin(b, 2);
    ol_pb_put_bytes(b, 1, ol_slice_cstr(service));
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
    ol_pb_end(b, r);
}

static void test_span_rejection(void)
{
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t zeros[16] = {0};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    size_t rs = ol_pb_begin(&b, 1);
    put_resource(&b, "svc-a");
    size_t ss = ol_pb_begin(&b, 2);
    put_span(&b, tid, 16, sid, 8, NULL, 0, "ok");
    put_span(&b, tid, 15, sid, 8, NULL, 0, "short-trace");
    put_span(&b, tid, 16, zeros, 8, NULL, 0, "zero-span");
    put_span(&b, zeros, 16, sid, 8, NULL, 0, "zero-trace");
    put_span(&b, tid, 16, sid, 8, sid, 7, "short-parent");
    put_span(&b, tid, 16, sid, 8, zeros, 8, "zero-parent");
    put_span(&b, NULL, 0, sid, 8, NULL, 0, "no-trace");
    ol_pb_end(&b, ss);
    ol_pb_end(&b, rs);
    rs = ol_pb_begin(&b, 1); /* a second resource with two scopes */
    ol_pb_put_bytes(&b, 3, OL_SLICE_LIT("https://schema/1"));
    put_resource(&b, "svc-b");
    ss = ol_pb_begin(&b, 2);
    ol_pb_put_bytes(&b, 3, OL_SLICE_LIT("https://scope/1"));
    ol_pb_end(&b, ss);
    ss = ol_pb_begin(&b, 2);
    put_span(&b, tid, 16, sid, 8, sid, 8, "child");
    ol_pb_end(&b, ss);
    ol_pb_end(&b, rs);
    CHECK_EQ_INT(b.err, OL_OK);

    ol_arena_t *a = ol_arena_create(1024, 0);
    ol_otlp_batch_t out;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &out, &err), OL_OK);
    CHECK_EQ_INT(out.n_spans, 8);
    CHECK_EQ_INT(out.n_items, 8);
    CHECK_EQ_INT(out.n_rejected, 5);
    CHECK_EQ_INT(out.n_origins, 3);
    CHECK(out.first_reject_reason && strstr(out.first_reject_reason, "trace_id"));
    if (out.n_spans == 8 && out.n_origins == 3) {
        const ol_otlp_span_t *s = out.spans;
        CHECK(s[0].valid && !s[0].reject_reason);
        CHECK(!s[1].valid && strstr(s[1].reject_reason, "trace_id"));
        CHECK(!s[2].valid && strstr(s[2].reject_reason, "span_id"));
        CHECK(!s[3].valid && strstr(s[3].reject_reason, "trace_id"));
        CHECK(!s[4].valid && strstr(s[4].reject_reason, "parent_span_id"));
        CHECK(s[5].valid && s[5].parent_span_id.len == 0);
        CHECK(!s[6].valid);
        CHECK(s[7].valid && s[7].parent_span_id.len == 8);
        CHECK(ol_slice_eq_cstr(s[0].origin->service_name, "svc-a"));
        CHECK(ol_slice_eq_cstr(s[7].origin->service_name, "svc-b"));
        CHECK(s[7].origin == &out.origins[2]);
        CHECK_EQ_INT(out.origins[1].resource_index, 1);
        CHECK_EQ_INT(out.origins[2].resource_index, 1);
        CHECK(ol_slice_eq_cstr(out.origins[1].resource_schema_url, "https://schema/1"));
        CHECK(ol_slice_eq_cstr(out.origins[1].scope_schema_url, "https://scope/1"));
        CHECK_EQ_INT(out.origins[2].scope_schema_url.len, 0);
        CHECK_EQ_INT(out.origins[0].resource_schema_url.len, 0);
    }

    /* arena cap too small for the arrays: OL_NOMEM */
    ol_arena_t *tiny = ol_arena_create(64, 64);
    if (tiny) {
        CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), tiny, &out, &err), OL_NOMEM);
        ol_arena_destroy(tiny);
    }

    /* the same bytes are not a valid metrics request (Span field 1 is bytes, Metric.name a string: fine),
     * but a structural error is: a varint where ScopeSpans.spans wants LEN */
    ol_buf_reset(&b);
    rs = ol_pb_begin(&b, 1);
    ss = ol_pb_begin(&b, 2);
    ol_pb_put_uint(&b, 2, 1);
    ol_pb_end(&b, ss);
    ol_pb_end(&b, rs);
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&b), a, &out, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "ScopeSpans") && strstr(err.msg, "spans"));

    /* an empty request is a valid, empty batch */
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, OL_SLICE_NULL, a, &out, &err), OL_OK);
    CHECK_EQ_INT(out.n_logs, 0);
    CHECK_EQ_INT(out.n_items, 0);
    ol_arena_destroy(a);
    ol_buf_free(&b);
}

static void put_log(ol_buf_t *b, const uint8_t *tid, size_t tid_len, const uint8_t *sid, size_t sid_len)
{
    size_t m = ol_pb_begin(b, 2);
    ol_pb_put_fixed64(b, 1, 1000);
    ol_pb_put_uint(b, 2, 13);
    if (tid) ol_pb_put_bytes(b, 9, ol_slice(tid, tid_len));
    if (sid) ol_pb_put_bytes(b, 10, ol_slice(sid, sid_len));
    ol_pb_put_bytes(b, 12, OL_SLICE_LIT("evt"));
    ol_pb_end(b, m);
}

static void test_log_unlinked(void)
{
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t zeros[16] = {0};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    size_t rl = ol_pb_begin(&b, 1);
    size_t sl = ol_pb_begin(&b, 2);
    put_log(&b, tid, 16, sid, 8);
    put_log(&b, tid, 15, sid, 8);   /* bad trace id: unlinked */
    put_log(&b, zeros, 16, sid, 8); /* zero trace id: unlinked */
    put_log(&b, tid, 16, sid, 3);   /* bad span id: span link dropped */
    ol_pb_end(&b, sl);
    ol_pb_end(&b, rl);
    ol_arena_t *a = ol_arena_create(1024, 0);
    ol_otlp_batch_t out;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_LOGS, ol_buf_slice(&b), a, &out, &err), OL_OK);
    CHECK_EQ_INT(out.n_logs, 4);
    CHECK_EQ_INT(out.n_items, 4);
    CHECK_EQ_INT(out.n_rejected, 0);
    if (out.n_logs == 4) {
        CHECK(out.logs[0].trace_id.len == 16 && out.logs[0].span_id.len == 8);
        CHECK(out.logs[1].trace_id.len == 0 && out.logs[1].span_id.len == 0);
        CHECK(out.logs[2].trace_id.len == 0 && out.logs[2].span_id.len == 0);
        CHECK(out.logs[3].trace_id.len == 16 && out.logs[3].span_id.len == 0);
        CHECK(ol_slice_eq_cstr(out.logs[1].event_name, "evt"));
        CHECK_EQ_INT(out.logs[1].severity_number, 13);
        CHECK(out.logs[1].time_ns == 1000);
        /* the raw bytes still carry the bad id */
        ol_buf_t js;
        ol_buf_init(&js, OL_MEM_CODEC, 0);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_LogRecord, out.logs[1].raw, &js), OL_OK);
        CHECK(contains(&js, "\"traceId\":\"0102030405060708090a0b0c0d0e0f\""));
        CHECK(contains(&js, "\"eventName\":\"evt\""));
        ol_buf_free(&js);
    }
    ol_arena_destroy(a);
    ol_buf_free(&b);
}

static void test_metric_without_name(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    size_t rm = ol_pb_begin(&b, 1);
    size_t sm = ol_pb_begin(&b, 2);
    for (int named = 0; named < 2; named++) {
        size_t m = ol_pb_begin(&b, 2);
        if (named) ol_pb_put_bytes(&b, 1, OL_SLICE_LIT("m"));
        size_t g = ol_pb_begin(&b, 5);
        for (int p = 0; p < 3; p++) {
            size_t dp = ol_pb_begin(&b, 1);
            ol_pb_put_fixed64(&b, 3, 100 + (uint64_t)(p * 10) * (named ? 1 : 2));
            ol_pb_put_fixed64(&b, 6, (uint64_t)p); /* as_int */
            ol_pb_end(&b, dp);
        }
        ol_pb_end(&b, g);
        ol_pb_end(&b, m);
    }
    ol_pb_end(&b, sm);
    ol_pb_end(&b, rm);
    ol_arena_t *a = ol_arena_create(1024, 0);
    ol_otlp_batch_t out;
    ol_err_t err;
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_METRICS, ol_buf_slice(&b), a, &out, &err), OL_OK);
    CHECK_EQ_INT(out.n_metrics, 2);
    CHECK_EQ_INT(out.n_items, 6);
    CHECK_EQ_INT(out.n_rejected, 3);
    if (out.n_metrics == 2) {
        CHECK(!out.metrics[0].valid && out.metrics[0].reject_reason);
        CHECK(out.metrics[1].valid);
        CHECK_EQ_INT(out.metrics[1].type, OL_METRIC_GAUGE);
        CHECK_EQ_INT(out.metrics[1].n_points, 3);
        CHECK(out.metrics[1].min_time_ns == 100 && out.metrics[1].max_time_ns == 120);
        CHECK(out.metrics[0].min_time_ns == 100 && out.metrics[0].max_time_ns == 140);
        ol_buf_t js;
        ol_buf_init(&js, OL_MEM_CODEC, 0);
        CHECK_EQ_INT(ol_pb_to_otlp_json(&ol_pb_Metric, out.metrics[1].raw, &js), OL_OK);
        CHECK(contains(&js, "{\"timeUnixNano\":\"120\",\"asInt\":\"2\"}"));
        ol_buf_free(&js);
    }
    ol_arena_destroy(a);
    ol_buf_free(&b);
}

static void test_anyvalue_text(void)
{
    ol_buf_t v, t;
    ol_buf_init(&v, OL_MEM_CODEC, 0);
    ol_buf_init(&t, OL_MEM_CODEC, 0);
#define TEXT_IS(want)                                                              \
    do {                                                                           \
        ol_buf_reset(&t);                                                          \
        ol_otlp_anyvalue_text(ol_buf_slice(&v), &t);                               \
        CHECK(ol_slice_eq_cstr(ol_buf_slice(&t), want));                           \
        if (!ol_slice_eq_cstr(ol_buf_slice(&t), want))                             \
            fprintf(stderr, "  got '%.*s' want '%s'\n", (int)t.len, t.data, want); \
        ol_buf_reset(&v);                                                          \
    } while (0)
    ol_pb_put_uint(&v, 3, (uint64_t)-42);
    TEXT_IS("-42");
    ol_pb_put_double(&v, 4, 0.1);
    TEXT_IS("0.1");
    ol_pb_put_double(&v, 4, 1e300);
    TEXT_IS("1e+300");
    ol_pb_put_uint(&v, 2, 0);
    TEXT_IS("false");
    ol_pb_put_bytes(&v, 7, OL_SLICE_LIT("\x01\x02\x03"));
    TEXT_IS("AQID");
    TEXT_IS(""); /* empty AnyValue */
    size_t arr = ol_pb_begin(&v, 5);
    size_t el = ol_pb_begin(&v, 1);
    ol_pb_put_uint(&v, 3, 7);
    ol_pb_end(&v, el);
    el = ol_pb_begin(&v, 1);
    ol_pb_put_bytes(&v, 1, OL_SLICE_LIT("q\"x"));
    ol_pb_end(&v, el);
    el = ol_pb_begin(&v, 1);
    ol_pb_end(&v, el);
    el = ol_pb_begin(&v, 1);
    size_t kvl = ol_pb_begin(&v, 6);
    size_t kv = ol_pb_begin(&v, 1);
    ol_pb_put_bytes(&v, 1, OL_SLICE_LIT("d"));
    size_t av = ol_pb_begin(&v, 2);
    ol_pb_put_double(&v, 4, 1.5);
    ol_pb_end(&v, av);
    ol_pb_end(&v, kv);
    ol_pb_end(&v, kvl);
    ol_pb_end(&v, el);
    ol_pb_end(&v, arr);
    TEXT_IS("[7,\"q\\\"x\",null,{\"d\":1.5}]");
    ol_buf_free(&v);
    ol_buf_free(&t);
}

static void test_names(void)
{
    CHECK(strcmp(ol_signal_name(OL_SIGNAL_TRACES), "traces") == 0);
    CHECK(strcmp(ol_signal_name(OL_SIGNAL_METRICS), "metrics") == 0);
    CHECK(strcmp(ol_signal_name(OL_SIGNAL_LOGS), "logs") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_GAUGE), "gauge") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_SUM), "sum") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_HISTOGRAM), "histogram") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_EXP_HISTOGRAM), "exponentialHistogram") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_SUMMARY), "summary") == 0);
    CHECK(strcmp(ol_metric_type_name(OL_METRIC_NONE), "none") == 0);
}

int main(void)
{
    RUN(test_fixtures_traces);
    RUN(test_fixtures_metrics);
    RUN(test_fixtures_logs);
    RUN(test_partial_success_response);
    RUN(test_truncated_and_flipped);
    RUN(test_span_rejection);
    RUN(test_log_unlinked);
    RUN(test_metric_without_name);
    RUN(test_anyvalue_text);
    RUN(test_names);
    return TEST_REPORT();
}
